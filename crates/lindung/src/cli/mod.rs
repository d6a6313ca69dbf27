//! Command-line parsing and dispatch. Each subcommand lives in its own module and returns the
//! process exit code.

mod hash;

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
}

/// Parses the command line and runs the chosen command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hash(args) => hash::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("lindung: {err:#}");
            ExitCode::from(2)
        }
    }
}
