//! `lindung bank`: create, list, import and export banks in the store.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::admin::{StoreArgs, runtime};
use crate::access::audit::Actor;
use crate::access::{self, DEFAULT_ORGANISATION, Principal, Role};
use crate::banks::file_bank::text_of;
use crate::banks::formats::{ExportFormat, export_signals};
use crate::banks::parse_hash_list;
use crate::banks::store as banks;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum BankCommand {
    /// Create a bank.
    Create(CreateArgs),
    /// List banks with their sizes.
    List(ListArgs),
    /// Import a hash list into a bank, all or nothing.
    Import(ImportArgs),
    /// Write a bank's PDQ hashes as a hash list.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long)]
    name: String,
    /// Owning organisation [default: the default organisation].
    #[arg(long, value_name = "NAME")]
    org: Option<String>,
    /// PDQ match threshold for this bank.
    #[arg(long, default_value_t = banks::DEFAULT_PDQ_THRESHOLD)]
    threshold: i32,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The bank to import into.
    #[arg(long)]
    bank: String,
    /// A hash list: one hash per line (with an optional note), python-threatexchange
    /// `local_file`, or `threatexchange dataset --csv`.
    file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long)]
    bank: String,
    #[arg(long, value_enum, default_value_t = ExportFormat::Plain)]
    format: ExportFormat,
}

/// The command line acts with admin rights over the organisation it names.
fn cli_principal(organisation_id: i32) -> Principal {
    Principal {
        user_id: 0,
        organisation_id,
        email: "cli".into(),
        role: Role::Admin,
        language: None,
    }
}

pub fn run(command: BankCommand) -> Result<ExitCode> {
    runtime()?.block_on(async move {
        match command {
            BankCommand::Create(args) => {
                let store = Store::open(&args.store.location()).await?;
                let actor = Actor::cli("bank create");
                let org = access::organisation_id(
                    &store,
                    &actor,
                    args.org.as_deref().unwrap_or(DEFAULT_ORGANISATION),
                )
                .await?;
                let created = banks::create_bank(
                    &store,
                    &actor,
                    &cli_principal(org),
                    &args.name,
                    Some(args.threshold),
                    true,
                    banks::BankSharing::Private,
                )
                .await?;
                eprintln!("created bank {} (id {})", created.name, created.id);
                Ok(ExitCode::SUCCESS)
            }
            BankCommand::List(args) => {
                let store = Store::open(&args.store.location()).await?;
                for b in banks::list_banks(&store).await? {
                    let size = banks::bank_signals(&store, b.id).await?.len();
                    println!(
                        "{}\t{}\tthreshold {}\t{size} signals",
                        b.name,
                        if b.enabled { "enabled" } else { "disabled" },
                        b.pdq_threshold
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            BankCommand::Import(args) => import(args).await,
            BankCommand::Export(args) => {
                let store = Store::open(&args.store.location()).await?;
                let target = banks::find_bank(&store, &args.bank).await?;
                let rows = banks::bank_signals(&store, target.id).await?;
                let stdout = std::io::stdout();
                let mut out = BufWriter::new(stdout.lock());
                out.write_all(export_signals(&rows, args.format, &target.name).as_bytes())?;
                out.flush()?;
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

async fn import(args: ImportArgs) -> Result<ExitCode> {
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    // The whole list is checked before anything is written: a bad line stops the import with
    // nothing in the bank.
    let list = match text_of(&args.file, bytes)
        .map_err(|e| e.to_string())
        .and_then(|text| {
            parse_hash_list(&text).map_err(|e| format!("{}: {e}", args.file.display()))
        }) {
        Ok(list) => list,
        Err(message) => {
            eprintln!("lindung: {message}; nothing was imported");
            return Ok(ExitCode::from(2));
        }
    };
    for (kind, count) in &list.other_signals {
        eprintln!("lindung: note: {count} {kind} entries cannot be banked and are not imported");
    }
    let signals = match list.bank_signals() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!(
                "lindung: {}: {e}; nothing was imported",
                args.file.display()
            );
            return Ok(ExitCode::from(2));
        }
    };
    let store = Store::open(&args.store.location()).await?;
    let target = banks::find_bank(&store, &args.bank).await?;
    let progress = indicatif::ProgressBar::with_draw_target(
        Some(signals.len() as u64),
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    eprintln!("importing {} entries into {}", signals.len(), target.name);
    let source = format!(
        "import:{}",
        args.file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    );
    let added = banks::import_signals(
        &store,
        &Actor::cli("bank import"),
        &cli_principal(target.organisation_id),
        &target.name,
        &source,
        &signals,
        |done| progress.set_position(done as u64),
    )
    .await?;
    progress.finish_and_clear();
    eprintln!(
        "imported {added} new signals into {} ({} already there)",
        target.name,
        signals.len() - added
    );
    Ok(ExitCode::SUCCESS)
}
