//! The integration tests of `lindung`, in one binary so that the crate links once: a module per
//! area, and the helpers they share in `support`. The storage and API tests run on SQLite always
//! and on PostgreSQL too when `LINDUNG_TEST_DATABASE_URL` is set (`scripts/test` sets it).
//!
//! Every test runs on a thread of this one process, next to tests of other areas. So a test
//! changes nothing process-wide: no `std::env::set_var` or current directory (a server or the
//! `lindung` program gets its settings on its own command line or environment), no fixed ports
//! (bind port 0), and files only in its own temporary directories.

mod support;

mod access_matrix;
mod access_store;
mod accounts;
mod api_banks;
mod backup;
mod bank_cli;
mod bank_sharing;
mod bank_trust;
mod browser;
mod care_api;
mod care_browser;
mod care_journey;
mod concurrent_writes;
mod crash_drills;
mod error_shape;
mod fuzz_corpora;
mod hash_cli;
mod hotline;
mod hotline_browser;
mod hotline_journey;
mod hotline_setup;
mod index_snapshot;
mod layering;
mod locales;
mod match_cli;
mod openapi;
mod operator_journey;
mod outage;
mod pages_session;
mod policy_browser;
mod policy_catalogue;
mod policy_legal;
mod policy_regional;
mod public_journey;
mod rate_limits;
mod route_coverage;
mod selfreport;
mod soak;
mod trust;
