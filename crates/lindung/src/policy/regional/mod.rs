//! The Regional Plan of Action indicators, signed snapshots and the regional dashboard:
//!
//! - [`catalogue`]: the seven priority areas and their indicators (a data file);
//! - [`compute`]: each indicator's figure for a quarter from the deployment's own data, small
//!   cells suppressed ([`figures`]);
//! - [`snapshot`] and [`signing`]: the quarter's figures as a dated document of aggregates,
//!   signed with the organisation's Ed25519 key;
//! - [`node`]: a regional node's partners, the verified import of their snapshots, and the
//!   dashboard of a quarter across countries;
//! - `api` and `pages`: the routes.

mod api;
pub mod catalogue;
pub mod compute;
pub mod figures;
pub mod node;
mod pages;
pub mod signing;
pub mod snapshot;

use axum::extract::FromRef;
use axum::http::StatusCode;
use sea_orm::DbErr;

use super::{POLICY_ROLES, PolicyContext};
use crate::http::{Access, ApiError, AuthContext, Endpoint};

/// The largest signed snapshot an import takes (a snapshot of the shipped catalogue is a few
/// kilobytes).
pub const ENVELOPE_BODY: usize = 256 * 1024;

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    PolicyContext: FromRef<S>,
    AuthContext: FromRef<S>,
{
    use utoipa_axum::routes;
    let officers = Access::Roles(POLICY_ROLES);
    let page = Access::Page(POLICY_ROLES);
    vec![
        Endpoint::api(officers, routes!(api::key)),
        Endpoint::api(officers, routes!(api::indicators)),
        Endpoint::api(officers, routes!(api::publish_snapshot)),
        Endpoint::api(officers, routes!(api::partners)),
        Endpoint::api(officers, routes!(api::add_partner)),
        Endpoint::api(officers, routes!(api::import)).with_body_limit(ENVELOPE_BODY),
        Endpoint::api(officers, routes!(api::regional)),
        Endpoint::api(officers, routes!(api::regional_csv)),
        Endpoint::get("/policy/indicators", page, pages::indicators),
        Endpoint::get("/policy/regional", page, pages::regional),
        Endpoint::post("/policy/regional/partners", page, pages::add_partner),
        Endpoint::post("/policy/regional/snapshots", page, pages::import)
            // The pasted text and the file may both come, each up to an envelope's size.
            .with_body_limit(2 * ENVELOPE_BODY + 16 * 1024),
    ]
}

/// What the regional work can refuse.
#[derive(Debug, thiserror::Error)]
pub enum RegionalError {
    /// A field is invalid; the first value names it.
    #[error("{1}")]
    Invalid(String, String),
    #[error("{0}")]
    PartnerExists(String),
    #[error("{0}")]
    NotNewer(String),
    #[error("the signature does not verify against the partner's key")]
    BadSignature,
    #[error("no partner of this organisation has this public key")]
    UnknownPartner,
    #[error("{0}")]
    CountryMismatch(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Internal(String),
}

impl RegionalError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        RegionalError::Invalid(field.into(), message.into())
    }

    /// The field at fault, for a page to mark.
    pub fn field(&self) -> Option<&str> {
        match self {
            RegionalError::Invalid(field, _) => Some(field),
            RegionalError::BadSignature => Some("signature"),
            RegionalError::UnknownPartner => Some("public_key"),
            RegionalError::CountryMismatch(_) => Some("body.country"),
            RegionalError::PartnerExists(_) => Some("country"),
            _ => None,
        }
    }
}

impl From<RegionalError> for ApiError {
    fn from(error: RegionalError) -> Self {
        let field = error.field().unwrap_or_default().to_owned();
        let message = error.to_string();
        match error {
            RegionalError::Invalid(field, message) => ApiError::invalid(field, message),
            RegionalError::PartnerExists(_) => {
                ApiError::new(StatusCode::CONFLICT, "partner_exists", message)
            }
            RegionalError::NotNewer(_) => {
                ApiError::new(StatusCode::CONFLICT, "snapshot_not_newer", message)
            }
            RegionalError::BadSignature => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_signature", message)
                    .with_field(field)
            }
            RegionalError::UnknownPartner => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_partner", message)
                    .with_field(field)
            }
            RegionalError::CountryMismatch(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "country_mismatch",
                message,
            )
            .with_field(field),
            RegionalError::Db(e) => e.into(),
            RegionalError::Internal(e) => ApiError::internal(e),
        }
    }
}

/// The quarter a request for this deployment's figures names, or the last complete one; a
/// quarter that has not ended (the current one, a future one) is refused.
pub fn ended_quarter_or_default(text: Option<&str>) -> Result<figures::Quarter, RegionalError> {
    ended(quarter_or_default(text)?)
}

/// `quarter` if it has ended, else refused (field `quarter`).
pub fn ended(quarter: figures::Quarter) -> Result<figures::Quarter, RegionalError> {
    if quarter.has_ended(crate::helpers::now()) {
        Ok(quarter)
    } else {
        Err(RegionalError::invalid("quarter", compute::NOT_ENDED))
    }
}

/// The quarter a request names, or the last complete one.
pub fn quarter_or_default(text: Option<&str>) -> Result<figures::Quarter, RegionalError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(figures::Quarter::of(crate::helpers::now()).previous()),
        Some(text) => figures::Quarter::parse(text)
            .ok_or_else(|| RegionalError::invalid("quarter", "a quarter is written like 2026-Q3")),
    }
}
