//! The `lindung` command.

use std::process::ExitCode;

fn main() -> ExitCode {
    lindung::cli::run()
}
