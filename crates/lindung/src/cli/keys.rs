//! The deployment's field keys from the command line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a new field key: new values are sealed with it from the server's next start, which
    /// then re-encrypts the stored values in the background; the old keys stay, to read what
    /// they sealed until then.
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Data directory (its `field.key` is used unless LINDUNG_FIELD_KEY_FILE names another).
    #[arg(
        long,
        env = "LINDUNG_DATA_DIR",
        default_value = "lindung-data",
        value_name = "DIR"
    )]
    data_dir: PathBuf,
}

pub fn keys(command: KeysCommand) -> Result<ExitCode> {
    let KeysCommand::Rotate(args) = command;
    let path = crate::store::keys::field_key_path(&args.data_dir);
    let id = crate::store::keys::rotate(&path)?;
    println!(
        "added field key {id} to {}; restart the server to seal new values with it and re-encrypt the stored ones (keep every line of the file)",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
