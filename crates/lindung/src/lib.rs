//! The Lindung application. Layers point down only:
//!
//! - `cli` and `app` (the composition: every domain's context, routes and listeners);
//! - the domains: `accounts` (the account pages), `banks`, `care`, `selfreport`, `hotline`;
//! - `http` (errors, the caller, extractors, routes, pages' chrome, i18n, uploads, limits);
//! - `access` (users, roles, sessions, tokens, the audit log);
//! - `store` and `mail`, and `helpers`.
//!
//! `tests/it/layering.rs` checks it. The `lindung` binary is a thin wrapper around
//! [`cli::run`].

pub mod access;
pub mod accounts;
pub mod app;
pub mod banks;
pub mod care;
pub mod cli;
#[doc(hidden)]
pub mod fuzzing;
pub mod helpers;
pub mod hotline;
pub mod http;
pub mod mail;
pub mod policy;
pub mod selfreport;
pub mod store;
