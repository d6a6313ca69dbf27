//! The integration tests of `lindung`, in one binary so that the crate links once: a module per
//! area, and the helpers they share in `support`. The storage and API tests run on SQLite always
//! and on PostgreSQL too when `LINDUNG_TEST_DATABASE_URL` is set (`scripts/test` sets it).

mod support;

mod access_store;
mod api_banks;
mod backup;
mod bank_cli;
mod browser;
mod care_api;
mod care_browser;
mod crash_import;
mod hash_cli;
mod hotline;
mod hotline_browser;
mod index_snapshot;
mod locales;
mod match_cli;
mod pages_session;
mod selfreport;
