//! Command-line parsing and dispatch. Each subcommand lives in its own module and returns the
//! process exit code.

mod admin;
mod bank;
mod fingerprints;
mod hash;
mod index;
mod keys;
mod matching;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Lindung: detect known abuse material, run a hotline, care for victims.
#[derive(Debug, Parser)]
#[command(name = "lindung", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fingerprint images: PDQ (with quality), MD5 and SHA-256.
    Hash(hash::HashArgs),
    /// Look up images or hashes in a bank file by PDQ distance.
    Match(matching::MatchArgs),
    /// Build matching-index snapshots.
    #[command(subcommand)]
    Index(index::IndexCommand),
    /// Run the platform's web server and API.
    Serve(serve::ServeArgs),
    /// Manage banks in the store: create, list, import, export.
    #[command(subcommand)]
    Bank(bank::BankCommand),
    /// Manage users.
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(admin::AuditCommand),
    /// Make a consistent online backup of the SQLite store.
    Backup(admin::BackupArgs),
    /// Manage the field keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
}

/// Writes one JSON object and a newline. Serialising to memory first keeps a closed pipe an
/// `io::ErrorKind::BrokenPipe`, which the commands treat as the reader's choice to stop.
fn write_json_line(
    out: &mut impl std::io::Write,
    value: &impl serde::Serialize,
) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)
}

/// Parses the command line and runs the chosen command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hash(args) => hash::run(args),
        Command::Match(args) => matching::run(args),
        Command::Index(command) => index::run(command),
        Command::Serve(args) => serve::run(args),
        Command::Bank(command) => bank::run(command),
        Command::User(command) => admin::user(command),
        Command::Token(command) => admin::token(command),
        Command::Audit(command) => admin::audit(command),
        Command::Backup(args) => admin::backup(args),
        Command::Keys(command) => keys::keys(command),
    };
    match result {
        Ok(code) => code,
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(err)
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("lindung: {err:#}");
            ExitCode::from(2)
        }
    }
}
