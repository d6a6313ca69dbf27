//! Reports in and the analysts' queue: `POST /api/v1/reports` for IT companies, a report, the
//! queue, and claiming and releasing a report.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::hotline::{
    self, HotlineContext, QueueEntry, QueueFilter, Receipt, ReportInput, ReportView, Source,
};
use crate::http::{
    ApiError, ApiResult, Caller, Json, Path, Query, parse_json, require_content_type,
};

/// Submits a report (IT companies, `platform` role).
#[utoipa::path(post, path = "/api/v1/reports", tag = "hotline", request_body = ReportInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key and body answers the first result")),
    responses((status = 201, body = Receipt), (status = 200, description = "a retry: the first answer", body = Receipt),
        (status = 409, description = "`idempotency_conflict`: the idempotency key was used for another body")),
    security(("bearer" = [])))]
pub(super) async fn create(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    // Read as bytes: a retry with the same `Idempotency-Key` must send the same report, which
    // is compared by the digest of the report as sent. It parses as a value too once it parsed
    // as a report.
    require_content_type(&headers, &["application/json"])?;
    let input: ReportInput = parse_json(&body)?;
    let raw: serde_json::Value = parse_json(&body)?;
    let key = headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str().map_err(|_| {
                ApiError::invalid("Idempotency-Key", "the Idempotency-Key header is not text")
            })
        })
        .transpose()?;
    let receipt = hotline::submit(
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
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "hotline",
    params(("id" = i64, Path, description = "the report")),
    responses((status = 200, body = ReportView)), security(("bearer" = [])))]
pub(super) async fn read(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<ReportView>> {
    Ok(Json(
        hotline::view(&ctx, &caller.actor(), &caller.principal, id).await?,
    ))
}

/// The analysts' queue: highest priority first, then oldest.
#[utoipa::path(get, path = "/api/v1/hotline/queue", tag = "hotline", params(QueueFilter),
    responses((status = 200, body = Vec<QueueEntry>)), security(("bearer" = [])))]
pub(super) async fn queue(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Query(filter): Query<QueueFilter>,
) -> ApiResult<Json<Vec<QueueEntry>>> {
    Ok(Json(
        hotline::queue(&ctx.store, &caller.actor(), &caller.principal, &filter).await?,
    ))
}

/// Claims a report: the caller holds it until they release it.
#[utoipa::path(post, path = "/api/v1/reports/{id}/claim", tag = "hotline",
    params(("id" = i64, Path, description = "the report")),
    responses((status = 204, description = "the caller holds the report"),
        (status = 409, description = "`claimed`: another analyst holds the report")),
    security(("bearer" = [])))]
pub(super) async fn claim(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    hotline::claim(&ctx.store, &caller.actor(), &caller.principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Releases a report the caller holds (admins: any held report).
#[utoipa::path(post, path = "/api/v1/reports/{id}/release", tag = "hotline",
    params(("id" = i64, Path, description = "the report")),
    responses((status = 204, description = "released"),
        (status = 409, description = "`not_claimed`: nobody holds the report; `claimed`: another analyst does")),
    security(("bearer" = [])))]
pub(super) async fn release(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    hotline::release(&ctx.store, &caller.actor(), &caller.principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
