//! The hotline JSON API: `POST /api/v1/reports` for IT companies, and the analysts' routes
//! for the queue, assessment, attribution, notices, referrals and exports.

use axum::body::Bytes;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};
use serde::{Deserialize, Serialize};

use super::entities::{partner, provider, reviewer};
use super::{ANALYSTS, HotlineContext, HotlineError, ReportInput, Source};
use crate::access::Role;
use crate::http::{Access, ApiError, ApiResult, Caller, Endpoint, Json, Path, Query};

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
    vec![
        Endpoint::api(Access::Roles(PLATFORMS), routes!(create)),
        Endpoint::api(analysts, routes!(read)),
        Endpoint::api(analysts, routes!(queue)),
        Endpoint::post("/api/v1/reports/{id}/claim", analysts, claim),
        Endpoint::post("/api/v1/reports/{id}/release", analysts, release),
        Endpoint::post("/api/v1/reports/{id}/assessments", analysts, assess),
        Endpoint::get(
            "/api/v1/reports/{id}/urls/{url}/suggestion",
            analysts,
            suggest,
        ),
        Endpoint::post(
            "/api/v1/reports/{id}/urls/{url}/attribution",
            analysts,
            attribute,
        ),
        Endpoint::post("/api/v1/reports/{id}/notices", analysts, send_notices),
        Endpoint::post("/api/v1/reports/{id}/close", analysts, close),
        Endpoint::post("/api/v1/reports/{id}/care-case", analysts, care_case),
        Endpoint::post(
            "/api/v1/reports/{id}/referrals/law-enforcement",
            analysts,
            refer_police,
        ),
        Endpoint::get(
            "/api/v1/reports/{id}/package",
            Access::Roles(PACKAGE_READERS),
            package,
        ),
        Endpoint::get(
            "/api/v1/reports/{id}/partner-export",
            analysts,
            partner_export,
        ),
        Endpoint::post("/api/v1/hotline/partner-import", analysts, partner_import),
        Endpoint::get("/api/v1/reports/{id}/cybertip.xml", analysts, cybertip),
        Endpoint::get(
            "/api/v1/reports/{id}/cybertip/files/{file}",
            analysts,
            cybertip_file,
        ),
        Endpoint::get(
            "/api/v1/reports/{id}/files/{file}/evidence",
            analysts,
            evidence,
        ),
        Endpoint::get(
            "/api/v1/hotline/reviewer-settings",
            analysts,
            reviewer_settings,
        ),
        Endpoint::put(
            "/api/v1/hotline/reviewer-settings",
            analysts,
            set_reviewer_settings,
        ),
        Endpoint::get("/api/v1/hotline/providers", analysts, list_providers),
        Endpoint::post("/api/v1/hotline/providers", admin, add_provider),
        Endpoint::put("/api/v1/hotline/providers/{id}", admin, edit_provider),
        Endpoint::get("/api/v1/hotline/partners", analysts, list_partners),
        Endpoint::post("/api/v1/hotline/partners", admin, add_partner),
        Endpoint::put("/api/v1/hotline/partners/{id}", admin, edit_partner),
        Endpoint::put("/api/v1/hotline/ip-ranges", admin, load_ip_ranges),
        Endpoint::post("/api/v1/hotline/run-due", admin, run_due),
        Endpoint::get("/api/v1/hotline/stats", Access::Roles(STATS_READERS), stats),
        Endpoint::get(
            "/api/v1/hotline/stats.csv",
            Access::Roles(STATS_READERS),
            stats_csv,
        ),
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
            HotlineError::Db(e) => ApiError::internal(e),
            HotlineError::Internal(e) => ApiError::internal(e),
        }
    }
}

/// A JSON body that failed to parse is a 422 naming the field serde stopped at.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
) -> ApiResult<(T, serde_json::Value)> {
    let raw: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("the body is not JSON: {e}"),
        )
    })?;
    let parsed = serde_path_to_error::deserialize(&raw).map_err(|e| {
        let path = e.path().to_string();
        let field = FIELDS
            .iter()
            .find(|f| path.starts_with(**f))
            .copied()
            .unwrap_or("body");
        ApiError::invalid(field, format!("{path}: {}", e.inner()))
    })?;
    Ok((parsed, raw))
}

/// Field names a parse error can point at (the error's path begins with one of them).
const FIELDS: &[&str] = &[
    "incident_type",
    "incident_time",
    "annotations",
    "platform",
    "service",
    "seen_on",
    "reported_user",
    "victims",
    "files",
    "urls",
    "description",
    "immediate_danger",
    "reporter_country",
    "contact",
    "format",
];

/// Submits a report (IT companies, `platform` role).
#[utoipa::path(post, path = "/api/v1/reports", request_body = ReportInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key and body answers the first result")),
    responses((status = 201, body = super::Receipt), (status = 200, description = "a retry: the first answer", body = super::Receipt),
        (status = 409, description = "the idempotency key was used for another body"), (status = 422, description = "invalid; `error.field` names the field")),
    security(("bearer" = [])))]
async fn create(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let (input, raw): (ReportInput, _) = parse_body(&body)?;
    let key = headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .map_err(|_| ApiError::bad_request("the Idempotency-Key header is not text"))
        })
        .transpose()?;
    let receipt = super::submit(
        &ctx,
        &caller.actor(),
        Source::Platform {
            principal: &caller.principal,
            idempotency_key: key,
        },
        &input,
        &raw,
    )
    .await?;
    let status = if receipt.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(receipt)).into_response())
}

/// A report, for analysts of the hotline.
#[utoipa::path(get, path = "/api/v1/reports/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = super::ReportView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn read(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<super::ReportView>> {
    Ok(Json(
        super::view(&ctx, &caller.actor(), &caller.principal, id).await?,
    ))
}

/// The analysts' queue: highest priority first, then oldest.
#[utoipa::path(get, path = "/api/v1/hotline/queue", params(super::QueueFilter),
    responses((status = 200, body = Vec<super::QueueEntry>)), security(("bearer" = [])))]
async fn queue(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Query(filter): Query<super::QueueFilter>,
) -> ApiResult<Json<Vec<super::QueueEntry>>> {
    Ok(Json(
        super::queue(&ctx.store, &caller.principal, &filter).await?,
    ))
}

async fn claim(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    super::claim(&ctx.store, &caller.actor(), &caller.principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn release(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    super::release(&ctx.store, &caller.actor(), &caller.principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn assess(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<super::Assessed>)> {
    let (input, _): (super::AssessmentInput, _) = parse_body(&body)?;
    let assessed = super::assess(&ctx, &caller.actor(), &caller.principal, id, &input).await?;
    if assessed.bank_content_id.is_some() {
        ctx.banks.sync().await?;
    }
    Ok((StatusCode::CREATED, Json(assessed)))
}

#[derive(Serialize)]
struct Suggestion {
    resolved_ip: Option<String>,
    hosting_country: Option<String>,
    /// Providers on record for that country.
    providers: Vec<provider::Model>,
}

async fn suggest(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path((id, url_id)): Path<(i64, i64)>,
) -> ApiResult<Json<Suggestion>> {
    let target = super::url_of(&ctx.store, &caller.actor(), &caller.principal, id, url_id).await?;
    let parsed = url::Url::parse(&target.url).map_err(ApiError::internal)?;
    let (ip, country) = super::network::attribute(&ctx.store, &ctx.config, &parsed).await?;
    let providers = match &country {
        Some(c) => {
            use sea_orm::{ColumnTrait, QueryFilter};
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributionBody {
    hosting_country: Option<String>,
    provider_id: Option<i64>,
}

async fn attribute(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path((id, url_id)): Path<(i64, i64)>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let (body, _): (AttributionBody, _) = parse_body(&body)?;
    super::attribute(
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

async fn send_notices(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<super::takedown::NoticeOutcome>>> {
    let _one_run = ctx.runs.lock().await;
    Ok(Json(
        super::takedown::send_notices(&ctx, &caller.actor(), &caller.principal, id).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseBody {
    reason: String,
}

async fn close(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let (body, _): (CloseBody, _) = parse_body(&body)?;
    super::close(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        &body.reason,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CareBody {
    organisation: String,
    risk_level: Option<String>,
}

#[derive(Serialize)]
struct CareCreated {
    care_case_id: String,
}

async fn care_case(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<CareCreated>)> {
    let (body, _): (CareBody, _) = parse_body(&body)?;
    let case = super::refer_to_care(
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoliceBody {
    organisation: String,
}

async fn refer_police(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let (body, _): (PoliceBody, _) = parse_body(&body)?;
    super::exports::refer_to_law_enforcement(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        &body.organisation,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn package(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<super::exports::Package>> {
    Ok(Json(
        super::exports::law_enforcement_package(&ctx, &caller.actor(), &caller.principal, id)
            .await?,
    ))
}

async fn partner_export(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<super::exports::PartnerReport>> {
    Ok(Json(
        super::exports::partner_export(&ctx, &caller.actor(), &caller.principal, id).await?,
    ))
}

async fn partner_import(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<super::Receipt>)> {
    let (file, raw): (super::exports::PartnerReport, _) = parse_body(&body)?;
    let input = super::exports::partner_input(&file)?;
    let receipt = super::submit(
        &ctx,
        &caller.actor(),
        Source::Partner {
            principal: &caller.principal,
        },
        &input,
        &raw,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

fn xml(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn cybertip(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    Ok(xml(super::exports::cybertip_report(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
    )
    .await?))
}

#[derive(Deserialize)]
struct NcmecQuery {
    ncmec_report_id: i64,
}

async fn cybertip_file(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path((id, file_id)): Path<(i64, i64)>,
    Query(q): Query<NcmecQuery>,
) -> ApiResult<Response> {
    if q.ncmec_report_id <= 0 {
        return Err(ApiError::invalid(
            "ncmec_report_id",
            "ncmec_report_id is the positive id NCMEC gave the report",
        ));
    }
    Ok(xml(super::exports::cybertip_file(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        file_id,
        q.ncmec_report_id,
    )
    .await?))
}

async fn evidence(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path((id, file_id)): Path<(i64, i64)>,
) -> ApiResult<Response> {
    let bytes =
        super::takedown::reveal_evidence(&ctx, &caller.actor(), &caller.principal, id, file_id)
            .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewerSettings {
    pub blur: bool,
    pub greyscale: bool,
}

/// A reviewer's settings; evidence is blurred and greyscale unless they chose otherwise.
pub async fn reviewer_settings_of(
    ctx: &HotlineContext,
    user_id: i32,
) -> Result<ReviewerSettings, sea_orm::DbErr> {
    Ok(reviewer::Entity::find_by_id(user_id)
        .one(ctx.store.db())
        .await?
        .map_or(
            ReviewerSettings {
                blur: true,
                greyscale: true,
            },
            |r| ReviewerSettings {
                blur: r.blur,
                greyscale: r.greyscale,
            },
        ))
}

async fn reviewer_settings(
    State(ctx): State<HotlineContext>,
    caller: Caller,
) -> ApiResult<Json<ReviewerSettings>> {
    Ok(Json(
        reviewer_settings_of(&ctx, caller.principal.user_id).await?,
    ))
}

async fn set_reviewer_settings(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<Json<ReviewerSettings>> {
    let (settings, _): (ReviewerSettings, _) = parse_body(&body)?;
    let user_id = caller.principal.user_id;
    let row = reviewer::ActiveModel {
        user_id: Set(user_id),
        blur: Set(settings.blur),
        greyscale: Set(settings.greyscale),
    };
    match reviewer::Entity::find_by_id(user_id)
        .one(ctx.store.db())
        .await?
    {
        Some(_) => row.update(ctx.store.db()).await?,
        None => row.insert(ctx.store.db()).await?,
    };
    Ok(Json(settings))
}

async fn list_providers(
    State(ctx): State<HotlineContext>,
) -> ApiResult<Json<Vec<provider::Model>>> {
    Ok(Json(
        provider::Entity::find()
            .order_by_asc(provider::Column::Name)
            .all(ctx.store.db())
            .await?,
    ))
}

async fn add_provider(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<provider::Model>)> {
    let (body, _): (super::contacts::ContactInput, _) = parse_body(&body)?;
    let created = super::contacts::save_provider(&ctx.store, &caller.actor(), None, &body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn edit_provider(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<provider::Model>> {
    let (body, _): (super::contacts::ContactInput, _) = parse_body(&body)?;
    Ok(Json(
        super::contacts::save_provider(&ctx.store, &caller.actor(), Some(id), &body).await?,
    ))
}

async fn list_partners(State(ctx): State<HotlineContext>) -> ApiResult<Json<Vec<partner::Model>>> {
    Ok(Json(
        partner::Entity::find()
            .order_by_asc(partner::Column::Country)
            .all(ctx.store.db())
            .await?,
    ))
}

async fn add_partner(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<partner::Model>)> {
    let (body, _): (super::contacts::ContactInput, _) = parse_body(&body)?;
    let created = super::contacts::save_partner(&ctx.store, &caller.actor(), None, &body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn edit_partner(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<partner::Model>> {
    let (body, _): (super::contacts::ContactInput, _) = parse_body(&body)?;
    Ok(Json(
        super::contacts::save_partner(&ctx.store, &caller.actor(), Some(id), &body).await?,
    ))
}

#[derive(Serialize)]
struct Loaded {
    ranges: usize,
}

async fn load_ip_ranges(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<Json<Loaded>> {
    let ranges = super::network::parse_ip_ranges(&body)
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv", m))?;
    let count = super::network::replace_ip_ranges(&ctx.store, &ranges).await?;
    crate::access::audit::record(
        &ctx.store,
        &caller.actor(),
        crate::access::audit::AuditEvent::new("hotline.ip_ranges.load", "hotline_ip_ranges", None)
            .detail("ranges", count),
    )
    .await?;
    Ok(Json(Loaded { ranges: count }))
}

async fn run_due(State(ctx): State<HotlineContext>) -> ApiResult<Json<super::takedown::DueRun>> {
    ctx.runs.run_due(&ctx).await?.map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "running",
            "another server process is running due notices and checks; try again shortly",
        )
    })
}

/// The statistics the caller may see: the hotline's, suppressed for researchers; analysts and
/// admins must belong to the hotline.
pub async fn stats_for(
    ctx: &HotlineContext,
    caller: &Caller,
) -> ApiResult<super::stats::Statistics> {
    let hotline = super::hotline_organisation(ctx.store.db(), &ctx.config).await?;
    let researcher = caller.principal.role == Role::Researcher;
    if !researcher && caller.principal.organisation_id != hotline {
        return Err(HotlineError::Forbidden.into());
    }
    crate::access::audit::record(
        &ctx.store,
        &caller.actor(),
        crate::access::audit::AuditEvent::new("hotline.stats.read", "hotline_stats", None),
    )
    .await?;
    Ok(super::stats::statistics(&ctx.store, hotline, researcher).await?)
}

async fn stats(
    State(ctx): State<HotlineContext>,
    caller: Caller,
) -> ApiResult<Json<super::stats::Statistics>> {
    Ok(Json(stats_for(&ctx, &caller).await?))
}

async fn stats_csv(State(ctx): State<HotlineContext>, caller: Caller) -> ApiResult<Response> {
    let stats = stats_for(&ctx, &caller).await?;
    let body = super::stats::to_csv(&stats).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"hotline-statistics.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
