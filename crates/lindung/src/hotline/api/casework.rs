//! What an analyst does with a claimed report: assessing its items, attributing its URLs to
//! a hosting provider, sending notices, closing it, and referring it to care and the police.

use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::hotline::entities::provider;
use crate::hotline::takedown::{self, NoticeOutcome};
use crate::hotline::{self, Assessed, AssessmentInput, HotlineContext, exports, network};
use crate::http::{ApiError, ApiResult, Caller, Json, Path};

/// Assesses one file or URL of a report the caller holds.
///
/// The legal status comes from the law table. An assessed file can go to a bank in the same
/// step.
#[utoipa::path(post, path = "/api/v1/reports/{id}/assessments", tag = "hotline",
    params(("id" = i64, Path, description = "the report")), request_body = AssessmentInput,
    responses((status = 201, description = "the assessment was recorded", body = Assessed),
        (status = 409, description = "`not_claimed`: claim the report before assessing it")),
    security(("bearer" = [])))]
pub(super) async fn assess(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(input): Json<AssessmentInput>,
) -> ApiResult<(StatusCode, Json<Assessed>)> {
    let assessed = hotline::assess(&ctx, &caller.actor(), &caller.principal, id, &input).await?;
    if assessed.bank_content_id.is_some() {
        ctx.banks.sync().await?;
    }
    Ok((StatusCode::CREATED, Json(assessed)))
}

/// Where a reported URL seems to be hosted.
#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestion {
    /// The address the URL's host resolved to.
    resolved_ip: Option<String>,
    /// The address's country by the IP-to-country table (ISO 3166 alpha-2).
    hosting_country: Option<String>,
    /// Providers on record for that country.
    providers: Vec<provider::Model>,
}

/// Suggests the hosting country and providers of a reported URL, from its address.
#[utoipa::path(get, path = "/api/v1/reports/{id}/urls/{url}/suggestion", tag = "hotline",
    params(("id" = i64, Path, description = "the report"), ("url" = i64, Path, description = "the report's URL")),
    responses((status = 200, body = Suggestion)),
    security(("bearer" = [])))]
pub(super) async fn suggest(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path((id, url_id)): Path<(i64, i64)>,
) -> ApiResult<Json<Suggestion>> {
    let target =
        hotline::url_of(&ctx.store, &caller.actor(), &caller.principal, id, url_id).await?;
    let parsed = url::Url::parse(&target.url).map_err(ApiError::internal)?;
    let (ip, country) = network::attribute(&ctx.store, &ctx.config, &parsed).await?;
    let providers = match &country {
        Some(c) => {
            provider::Entity::find()
                .filter(provider::Column::Country.eq(c.as_str()))
                .all(ctx.store.db())
                .await?
        }
        None => Vec::new(),
    };
    Ok(Json(Suggestion {
        resolved_ip: ip.map(|ip| ip.to_string()),
        hosting_country: country,
        providers,
    }))
}

/// Where a URL is hosted, as the analyst records it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributionBody {
    /// ISO 3166 alpha-2.
    hosting_country: Option<String>,
    /// A hosting provider on record (`GET /api/v1/hotline/providers`).
    provider_id: Option<i64>,
}

/// Records where a reported URL is hosted, and by whom.
#[utoipa::path(post, path = "/api/v1/reports/{id}/urls/{url}/attribution", tag = "hotline",
    params(("id" = i64, Path, description = "the report"), ("url" = i64, Path, description = "the report's URL")),
    request_body = AttributionBody,
    responses((status = 204, description = "recorded")),
    security(("bearer" = [])))]
pub(super) async fn attribute(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path((id, url_id)): Path<(i64, i64)>,
    Json(body): Json<AttributionBody>,
) -> ApiResult<StatusCode> {
    hotline::attribute(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        url_id,
        body.hosting_country.as_deref(),
        body.provider_id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Confirms that a reported URL is gone, as an analyst saw it.
///
/// Removal checks count a URL as removed only after `checks.confirmations` checks in a row find
/// it gone; an analyst who knows it is gone (the provider confirmed, the page was seen empty)
/// records it here. The confirmation is audited.
#[utoipa::path(post, path = "/api/v1/reports/{id}/urls/{url}/removal", tag = "hotline",
    params(("id" = i64, Path, description = "the report"), ("url" = i64, Path, description = "the report's URL")),
    responses((status = 204, description = "the URL counts as removed (evidence `analyst_confirmed`)"),
        (status = 409, description = "`already_removed`: the URL already counts as removed")),
    security(("bearer" = [])))]
pub(super) async fn confirm_removal(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path((id, url_id)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    takedown::confirm_removal(&ctx.store, &caller.actor(), &caller.principal, id, url_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends notices to the hosting providers of a report's online URLs.
#[utoipa::path(post, path = "/api/v1/reports/{id}/notices", tag = "hotline",
    params(("id" = i64, Path, description = "the report")),
    responses((status = 200, description = "what happened to each notice", body = Vec<NoticeOutcome>),
        (status = 409, description = "`not_assessed`: nothing of the report is known or assessed as illegal; `no_mail`: email is not configured; `not_attributed`: no URL has a hosting provider yet")),
    security(("bearer" = [])))]
pub(super) async fn send_notices(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<NoticeOutcome>>> {
    let _one_run = ctx.runs.lock().await;
    Ok(Json(
        takedown::send_notices(&ctx, &caller.actor(), &caller.principal, id).await?,
    ))
}

/// Why a report is closed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    reason: String,
}

/// Closes a report.
#[utoipa::path(post, path = "/api/v1/reports/{id}/close", tag = "hotline",
    params(("id" = i64, Path, description = "the report")), request_body = CloseBody,
    responses((status = 204, description = "closed")),
    security(("bearer" = [])))]
pub(super) async fn close(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<CloseBody>,
) -> ApiResult<StatusCode> {
    hotline::close(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        &body.reason,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The care organisation a child is referred to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CareBody {
    /// The care organisation's name.
    organisation: String,
    /// `low`, `medium`, `high` (the default) or `immediate`.
    risk_level: Option<String>,
}

/// The care case opened for the child.
#[derive(Debug, Serialize, ToSchema)]
pub struct CareCreated {
    /// `GET /api/v1/cases/{id}`, for the care organisation.
    care_case_id: String,
}

/// Opens a care case for the child of a report, at a care organisation.
#[utoipa::path(post, path = "/api/v1/reports/{id}/care-case", tag = "hotline",
    params(("id" = i64, Path, description = "the report")), request_body = CareBody,
    responses((status = 201, description = "the care case was opened", body = CareCreated),
        (status = 409, description = "`already_referred`: the report already has a care case")),
    security(("bearer" = [])))]
pub(super) async fn care_case(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<CareBody>,
) -> ApiResult<(StatusCode, Json<CareCreated>)> {
    let case = hotline::refer_to_care(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        &body.organisation,
        body.risk_level.as_deref().unwrap_or("high"),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CareCreated {
            care_case_id: case.to_string(),
        }),
    ))
}

/// The law-enforcement organisation a report is referred to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoliceBody {
    /// The organisation's name.
    organisation: String,
}

/// Refers a report to a law-enforcement organisation, which may then read its package.
#[utoipa::path(post, path = "/api/v1/reports/{id}/referrals/law-enforcement", tag = "hotline",
    params(("id" = i64, Path, description = "the report")), request_body = PoliceBody,
    responses((status = 204, description = "referred")),
    security(("bearer" = [])))]
pub(super) async fn refer_police(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<PoliceBody>,
) -> ApiResult<StatusCode> {
    exports::refer_to_law_enforcement(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        &body.organisation,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
