//! What leaves the hotline: the law-enforcement package, the partner-hotline exchange file
//! (and its import), CyberTipline XML, evidence files, and the statistics.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::access::Role;
use crate::access::audit::{self, AuditEvent};
use crate::hotline::exports::{self, Package, PartnerReport};
use crate::hotline::stats::{self, Statistics};
use crate::hotline::{self, HotlineContext, HotlineError, Receipt, Source, takedown};
use crate::http::{
    ApiError, ApiResult, Caller, Json, Path, Query, parse_json, require_content_type,
};

/// The law-enforcement package of a report, with the SHA-256 of its canonical JSON.
///
/// For the hotline's analysts, and for a law-enforcement organisation the report was referred
/// to.
#[utoipa::path(get, path = "/api/v1/reports/{id}/package", tag = "hotline",
    params(("id" = i64, Path, description = "the report")),
    responses((status = 200, body = Package)),
    security(("bearer" = [])))]
pub(super) async fn package(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Package>> {
    Ok(Json(
        exports::law_enforcement_package(&ctx, &caller.actor(), &caller.principal, id).await?,
    ))
}

/// A report as the partner-hotline exchange file (`lindung.partner-report/1`).
///
/// For the hotline of the hosting country. Nothing about the reporters leaves.
#[utoipa::path(get, path = "/api/v1/reports/{id}/partner-export", tag = "hotline",
    params(("id" = i64, Path, description = "the report")),
    responses((status = 200, body = PartnerReport)),
    security(("bearer" = [])))]
pub(super) async fn partner_export(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<PartnerReport>> {
    Ok(Json(
        exports::partner_export(&ctx, &caller.actor(), &caller.principal, id).await?,
    ))
}

/// Imports a partner hotline's exchange file as a report.
#[utoipa::path(post, path = "/api/v1/hotline/partner-import", tag = "hotline",
    request_body = PartnerReport,
    responses((status = 201, description = "the report was received", body = Receipt)),
    security(("bearer" = [])))]
pub(super) async fn partner_import(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    // Read as bytes: the submission keeps the digest of the file as sent. It parses as a
    // value too once it parsed as a file.
    require_content_type(&headers, &["application/json"])?;
    let file: PartnerReport = parse_json(&body)?;
    let raw: serde_json::Value = parse_json(&body)?;
    let input = exports::partner_input(&file)?;
    let receipt = hotline::submit(
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

/// A report as a CyberTipline report (NCMEC's XML).
#[utoipa::path(get, path = "/api/v1/reports/{id}/cybertip.xml", tag = "hotline",
    params(("id" = i64, Path, description = "the report")),
    responses((status = 200, description = "the CyberTipline `report` document", body = String, content_type = "application/xml")),
    security(("bearer" = [])))]
pub(super) async fn cybertip(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    Ok(xml(exports::cybertip_report(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
    )
    .await?))
}

/// The CyberTipline report a file's details belong to.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NcmecQuery {
    /// The positive id NCMEC gave the report.
    ncmec_report_id: i64,
}

/// A file's details for the CyberTipline (NCMEC's `fileDetails` XML).
#[utoipa::path(get, path = "/api/v1/reports/{id}/cybertip/files/{file}", tag = "hotline",
    params(("id" = i64, Path, description = "the report"), ("file" = i64, Path, description = "the report's file"), NcmecQuery),
    responses((status = 200, description = "the CyberTipline `fileDetails` document", body = String, content_type = "application/xml")),
    security(("bearer" = [])))]
pub(super) async fn cybertip_file(
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
    Ok(xml(exports::cybertip_file(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        file_id,
        q.ncmec_report_id,
    )
    .await?))
}

/// An evidence file, decrypted, for analysts; every reveal is audited. Not cached.
#[utoipa::path(get, path = "/api/v1/reports/{id}/files/{file}/evidence", tag = "hotline",
    params(("id" = i64, Path, description = "the report"), ("file" = i64, Path, description = "the report's file")),
    responses((status = 200, description = "the file as uploaded, typed by its content (an image type, `video/mp4`, `video/webm`, else `application/octet-stream`)", body = [u8], content_type = "application/octet-stream")),
    security(("bearer" = [])))]
pub(super) async fn evidence(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path((id, file_id)): Path<(i64, i64)>,
) -> ApiResult<Response> {
    let bytes =
        takedown::reveal_evidence(&ctx, &caller.actor(), &caller.principal, id, file_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, evidence_media_type(&bytes)),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        bytes,
    )
        .into_response())
}

/// The type of an evidence file, read from its bytes (never from what the uploader said): one
/// of the image formats decoded here, MP4 or WebM; anything else is served as bytes, which
/// `nosniff` stops a browser from reading as a page or a script.
fn evidence_media_type(bytes: &[u8]) -> &'static str {
    if let Some(format) = lindung_media::sniff(bytes) {
        format.media_type()
    } else if bytes.get(4..8) == Some(b"ftyp") {
        "video/mp4"
    } else if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        "video/webm"
    } else {
        "application/octet-stream"
    }
}

/// The statistics the caller may see: the hotline's, suppressed for researchers; analysts and
/// admins must belong to the hotline.
pub async fn stats_for(ctx: &HotlineContext, caller: &Caller) -> ApiResult<Statistics> {
    let hotline = hotline::hotline_organisation(ctx.store.db(), &ctx.config).await?;
    let researcher = caller.principal.role == Role::Researcher;
    if !researcher && caller.principal.organisation_id != hotline {
        return Err(HotlineError::Forbidden.into());
    }
    audit::record(
        &ctx.store,
        &caller.actor(),
        AuditEvent::new("hotline.stats.read", "hotline_stats", None),
    )
    .await?;
    Ok(stats::statistics(&ctx.store, hotline, researcher).await?)
}

/// The hotline's statistics; small counts are suppressed for researchers.
#[utoipa::path(get, path = "/api/v1/hotline/stats", tag = "hotline",
    responses((status = 200, body = Statistics)),
    security(("bearer" = [])))]
pub(super) async fn stats(
    State(ctx): State<HotlineContext>,
    caller: Caller,
) -> ApiResult<Json<Statistics>> {
    Ok(Json(stats_for(&ctx, &caller).await?))
}

/// The hotline's statistics as CSV, for a spreadsheet.
#[utoipa::path(get, path = "/api/v1/hotline/stats.csv", tag = "hotline",
    responses((status = 200, description = "`section,key,value`, one figure a row", body = String, content_type = "text/csv")),
    security(("bearer" = [])))]
pub(super) async fn stats_csv(
    State(ctx): State<HotlineContext>,
    caller: Caller,
) -> ApiResult<Response> {
    let stats = stats_for(&ctx, &caller).await?;
    let body = stats::to_csv(&stats).map_err(ApiError::internal)?;
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
