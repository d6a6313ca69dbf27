//! The Lindung application: domains (banks, and later hotline, care, access, stats) and the
//! command line. The `lindung` binary is a thin wrapper around [`cli::run`].

pub mod banks;
pub mod cli;
