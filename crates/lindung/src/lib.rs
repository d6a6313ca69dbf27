//! The Lindung application: domains (access, banks, and later hotline, care, stats), shared
//! plumbing (store) and the command line. The `lindung` binary is a thin wrapper around
//! [`cli::run`].

pub mod access;
pub mod banks;
pub mod care;
pub mod cli;
pub mod selfreport;
pub mod store;
pub mod web;
