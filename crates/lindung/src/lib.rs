//! The Lindung application: domains (access, banks, hotline, care, self-report), shared
//! plumbing (store, web, mail) and the command line. The `lindung` binary is a thin wrapper
//! around [`cli::run`].

pub mod access;
pub mod banks;
pub mod care;
pub mod cli;
pub mod hotline;
pub mod mail;
pub mod selfreport;
pub mod store;
pub mod web;
