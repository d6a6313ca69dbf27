//! The care JSON API under `/api/v1/cases`, `/api/v1/referrals` and `/api/v1/care`, every
//! route documented in the OpenAPI document (tag `care`):
//!
//! - [`cases`]: a case, who works on it, its consents and its referrals;
//! - [`workflow`]: its stage and the supervisor's approval, notes, re-upload alerts;
//! - [`plan`]: the catalogue, assessments, planned services, the child's picture hashes and
//!   the caseload indicators.

mod cases;
mod plan;
mod workflow;

use axum::extract::FromRef;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::{CareContext, CareError};
use crate::access::Role;
use crate::http::{Access, ApiError, Endpoint, Json};

pub(crate) const CARE_STAFF: &[Role] = &[Role::CaseWorker, Role::Supervisor];

/// Who may read the caseload indicators.
const INDICATOR_READERS: &[Role] = &[Role::Supervisor, Role::Admin, Role::Researcher];

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    CareContext: FromRef<S>,
{
    use utoipa_axum::routes;
    let staff = Access::Roles(CARE_STAFF);
    vec![
        Endpoint::api(staff, routes!(cases::create)),
        Endpoint::api(staff, routes!(cases::read)),
        Endpoint::api(staff, routes!(cases::assign)),
        Endpoint::api(staff, routes!(cases::transfer)),
        Endpoint::api(staff, routes!(cases::consent)),
        Endpoint::api(staff, routes!(cases::withdraw_consent)),
        Endpoint::api(staff, routes!(cases::refer)),
        Endpoint::api(staff, routes!(workflow::move_stage)),
        Endpoint::api(staff, routes!(workflow::approval)),
        Endpoint::api(staff, routes!(workflow::add_note)),
        Endpoint::api(staff, routes!(workflow::edit_note)),
        Endpoint::api(staff, routes!(workflow::alerts)),
        Endpoint::api(staff, routes!(plan::catalogue)),
        Endpoint::api(Access::Roles(INDICATOR_READERS), routes!(plan::indicators)),
        Endpoint::api(staff, routes!(plan::add_hashes)),
        Endpoint::api(staff, routes!(plan::assess)),
        Endpoint::api(staff, routes!(plan::plan_service)),
        Endpoint::api(staff, routes!(plan::update_service)),
        Endpoint::api(staff, routes!(cases::accept)),
        Endpoint::api(staff, routes!(cases::reject)),
    ]
}

impl From<CareError> for ApiError {
    fn from(error: CareError) -> Self {
        match error {
            CareError::Invalid(field, message) => ApiError::invalid(field, message),
            CareError::NotFound => ApiError::not_found(error.to_string()),
            CareError::Forbidden => ApiError::forbidden(error.to_string()),
            CareError::NoteLocked => {
                ApiError::new(StatusCode::CONFLICT, "note_locked", error.to_string())
            }
            CareError::ConsentRequired(_) => {
                ApiError::new(StatusCode::CONFLICT, "consent_required", error.to_string())
            }
            CareError::Db(e) => e.into(),
            CareError::Internal(e) => ApiError::internal(e),
        }
    }
}

/// What a route that creates something answers: the new record's id.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// The id, as a string (ids are 64-bit).
    pub id: String,
}

/// `201 {"id": "…"}`, the answer of every route that creates something.
fn created_answer(id: i64) -> (StatusCode, Json<Created>) {
    (StatusCode::CREATED, Json(Created { id: id.to_string() }))
}
