//! The catalogue of services and forms, assessments, planned services, the child's picture
//! hashes and the caseload indicators.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Created, created_answer};
use crate::care::indicators::{self, Indicators};
use crate::care::plan::{self, Answers, Form, ServiceView};
use crate::care::{CareContext, ServiceStatus, workflow};
use crate::http::{ApiResult, Caller, Json, Path};

/// The deployment's services and assessment forms.
#[derive(Debug, Serialize, ToSchema)]
pub struct Catalogue {
    pub forms: Vec<Form>,
    /// The core services, then the deployment's own.
    pub services: Vec<String>,
}

/// The services a case plan may hold and the assessment forms.
#[utoipa::path(get, path = "/api/v1/care/catalogue", tag = "care",
    responses((status = 200, body = Catalogue)),
    security(("bearer" = [])))]
pub(super) async fn catalogue(State(ctx): State<CareContext>) -> Json<Catalogue> {
    Json(Catalogue {
        forms: ctx.config.forms.clone(),
        services: ctx.config.services(),
    })
}

/// Records an assessment's answers; they are checked against the form.
#[utoipa::path(post, path = "/api/v1/cases/{id}/assessments", tag = "care", operation_id = "add_assessment",
    params(("id" = i64, Path, description = "the case")), request_body = Answers,
    responses((status = 201, description = "the assessment was recorded", body = Created)),
    security(("bearer" = [])))]
pub(super) async fn assess(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<Answers>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let added =
        plan::record_assessment(&ctx, &caller.actor(), &caller.principal, id, &body).await?;
    Ok(created_answer(added.id))
}

/// A service to plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewService {
    /// A service of the catalogue.
    service: String,
    /// Who provides it.
    provider: String,
}

/// Plans a service for the child.
#[utoipa::path(post, path = "/api/v1/cases/{id}/services", tag = "care",
    params(("id" = i64, Path, description = "the case")), request_body = NewService,
    responses((status = 201, description = "the service was planned", body = Created)),
    security(("bearer" = [])))]
pub(super) async fn plan_service(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<NewService>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let planned = plan::plan_service(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        &body.service,
        &body.provider,
    )
    .await?;
    Ok(created_answer(planned.id))
}

/// A planned service's progress.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceUpdate {
    status: ServiceStatus,
    outcome: Option<String>,
}

/// Records a planned service's progress.
#[utoipa::path(patch, path = "/api/v1/cases/{id}/services/{service}", tag = "care",
    params(("id" = i64, Path, description = "the case"),
        ("service" = i64, Path, description = "the planned service")),
    request_body = ServiceUpdate,
    responses((status = 200, body = ServiceView)),
    security(("bearer" = [])))]
pub(super) async fn update_service(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path((id, service)): Path<(i64, i64)>,
    Json(body): Json<ServiceUpdate>,
) -> ApiResult<Json<ServiceView>> {
    let updated = plan::update_service(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        service,
        body.status,
        body.outcome.as_deref(),
    )
    .await?;
    Ok(Json(ServiceView::open(&ctx.fields, updated)?))
}

/// The caseload indicators.
///
/// The caller's organisation's for supervisors, everyone's for admins and researchers, with
/// counts from 1 to 4 suppressed for researchers.
#[utoipa::path(get, path = "/api/v1/care/indicators", tag = "care",
    responses((status = 200, body = Indicators)),
    security(("bearer" = [])))]
pub(super) async fn indicators(
    State(ctx): State<CareContext>,
    caller: Caller,
) -> ApiResult<Json<Indicators>> {
    Ok(Json(
        indicators::indicators(&ctx.store, &caller.actor(), &caller.principal).await?,
    ))
}

/// The hashes of a picture of the child, to be told when it reappears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseHashes {
    pdq: Option<String>,
    /// PDQ quality; below 50 is refused as for any bank.
    quality: Option<i32>,
    md5: Option<String>,
}

/// How many hashes were linked to the case.
#[derive(Debug, Serialize, ToSchema)]
pub struct Linked {
    pub linked: usize,
}

/// Links a picture of the child to the case by its hashes.
///
/// The hashes are banked, so a lookup that matches them raises an alert; this needs the
/// hash-sharing consent.
#[utoipa::path(post, path = "/api/v1/cases/{id}/hashes", tag = "care",
    params(("id" = i64, Path, description = "the case")), request_body = CaseHashes,
    responses((status = 201, description = "the hashes were linked", body = Linked),
        (status = 409, description = "`consent_required`: the case has no hash-sharing consent")),
    security(("bearer" = [])))]
pub(super) async fn add_hashes(
    State(ctx): State<CareContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<CaseHashes>,
) -> ApiResult<(StatusCode, Json<Linked>)> {
    let signals =
        workflow::picture_signals(body.pdq.as_deref(), body.quality, body.md5.as_deref())?;
    let linked =
        workflow::add_case_hashes(&ctx.store, &caller.actor(), &caller.principal, id, &signals)
            .await?;
    ctx.banks.sync().await?;
    Ok((StatusCode::CREATED, Json(Linked { linked })))
}
