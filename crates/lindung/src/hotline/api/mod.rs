//! The hotline JSON API, every route documented in the OpenAPI document (tag `hotline`):
//!
//! - [`reports`]: `POST /api/v1/reports` for IT companies, a report, the analysts' queue, and
//!   claiming and releasing a report;
//! - [`casework`]: what an analyst does with a claimed report: assessment, attribution of its
//!   URLs, notices, closing, and referral to care and to the police;
//! - [`exports`]: the law-enforcement package, the partner-hotline exchange file, CyberTipline
//!   XML, evidence files and the statistics;
//! - [`admin`]: reviewer settings, hosting providers and partner hotlines, the IP-to-country
//!   table, and running due notices and checks at once.

mod admin;
mod casework;
mod exports;
mod reports;

use axum::extract::FromRef;
use axum::http::StatusCode;

pub use admin::{ReviewerSettings, reviewer_settings_of, save_reviewer_settings};
pub use exports::stats_for;

use super::{ANALYSTS, HotlineContext, HotlineError};
use crate::access::Role;
use crate::http::limits;
use crate::http::{Access, ApiError, Endpoint};

const ADMIN: &[Role] = &[Role::Admin];
const PLATFORMS: &[Role] = &[Role::Platform];
const PACKAGE_READERS: &[Role] = &[Role::Analyst, Role::Admin, Role::LawEnforcement];
const STATS_READERS: &[Role] = &[Role::Analyst, Role::Admin, Role::Researcher];

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    HotlineContext: FromRef<S>,
{
    use utoipa_axum::routes;
    let analysts = Access::Roles(ANALYSTS);
    let admin = Access::Roles(ADMIN);
    let stats_readers = Access::Roles(STATS_READERS);
    vec![
        Endpoint::api(Access::Roles(PLATFORMS), routes!(reports::create))
            .with_body_limit(limits::SIGNALS_BODY),
        Endpoint::api(analysts, routes!(reports::read)),
        Endpoint::api(analysts, routes!(reports::queue)),
        Endpoint::api(analysts, routes!(reports::claim)),
        Endpoint::api(analysts, routes!(reports::release)),
        Endpoint::api(analysts, routes!(casework::assess)),
        Endpoint::api(analysts, routes!(casework::suggest)),
        Endpoint::api(analysts, routes!(casework::attribute)),
        Endpoint::api(analysts, routes!(casework::confirm_removal)),
        Endpoint::api(analysts, routes!(casework::send_notices)),
        Endpoint::api(analysts, routes!(casework::close)),
        Endpoint::api(analysts, routes!(casework::care_case)),
        Endpoint::api(analysts, routes!(casework::refer_police)),
        Endpoint::api(Access::Roles(PACKAGE_READERS), routes!(exports::package)),
        Endpoint::api(analysts, routes!(exports::partner_export)),
        Endpoint::api(analysts, routes!(exports::partner_import))
            .with_body_limit(limits::SIGNALS_BODY),
        Endpoint::api(analysts, routes!(exports::cybertip)),
        Endpoint::api(analysts, routes!(exports::cybertip_file)),
        Endpoint::api(analysts, routes!(exports::evidence)),
        Endpoint::api(analysts, routes!(admin::reviewer_settings)),
        Endpoint::api(analysts, routes!(admin::set_reviewer_settings)),
        Endpoint::api(analysts, routes!(admin::list_providers)),
        Endpoint::api(admin, routes!(admin::add_provider)),
        Endpoint::api(admin, routes!(admin::edit_provider)),
        Endpoint::api(analysts, routes!(admin::list_partners)),
        Endpoint::api(admin, routes!(admin::add_partner)),
        Endpoint::api(admin, routes!(admin::edit_partner)),
        Endpoint::api(admin, routes!(admin::load_ip_ranges)).with_body_limit(limits::LIST_BODY),
        Endpoint::api(admin, routes!(admin::run_due)),
        Endpoint::api(stats_readers, routes!(exports::stats)),
        Endpoint::api(stats_readers, routes!(exports::stats_csv)),
    ]
}

impl From<HotlineError> for ApiError {
    fn from(error: HotlineError) -> Self {
        match error {
            HotlineError::Invalid(field, message) => ApiError::invalid(field, message),
            HotlineError::NotFound => ApiError::not_found(error.to_string()),
            HotlineError::Forbidden => ApiError::forbidden(error.to_string()),
            HotlineError::Conflict(code, message) => {
                ApiError::new(StatusCode::CONFLICT, code, message)
            }
            HotlineError::WrongPin => ApiError::not_found(error.to_string()),
            HotlineError::NotConfigured(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "hotline_not_configured",
                error.to_string(),
            ),
            HotlineError::Db(e) => e.into(),
            HotlineError::Internal(e) => ApiError::internal(e),
        }
    }
}
