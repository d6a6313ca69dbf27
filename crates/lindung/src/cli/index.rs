//! `lindung index build`: turn a bank file into a snapshot that loads in a fraction of a second.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::banks::FileBank;

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Build a matching-index snapshot from a bank file.
    Build(BuildArgs),
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The bank: a hash list in any format `lindung match` reads, or an existing snapshot.
    #[arg(long, value_name = "FILE")]
    bank: PathBuf,
    /// Where to write the snapshot (replaced atomically). Ids from the list go to `<OUT>.ids`.
    #[arg(long, value_name = "SNAPSHOT")]
    out: PathBuf,
}

pub fn run(command: IndexCommand) -> Result<ExitCode> {
    match command {
        IndexCommand::Build(args) => build(&args),
    }
}

fn build(args: &BuildArgs) -> Result<ExitCode> {
    let start = Instant::now();
    let bank = match FileBank::open(&args.bank) {
        Ok(bank) => bank,
        Err(e) => {
            eprintln!("lindung: bank {e}");
            return Ok(ExitCode::from(2));
        }
    };
    for (kind, count) in &bank.other_signals {
        eprintln!("lindung: note: {count} {kind} entries are not PDQ hashes and are not indexed");
    }
    if let Err(e) = bank.save_snapshot(&args.out) {
        eprintln!("lindung: {e}");
        return Ok(ExitCode::from(2));
    }
    let stats = bank.index.stats();
    eprintln!(
        "indexed {} hashes from {} into {} ({} substring tables) in {:.2} s",
        stats.len,
        args.bank.display(),
        args.out.display(),
        stats.substrings,
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
