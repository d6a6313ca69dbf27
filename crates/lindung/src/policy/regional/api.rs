//! The JSON API of the indicators, snapshots and the regional node (tag `policy`).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::node::{self, Imported, NewPartner, PartnerView, Regional};
use super::signing::{self, Envelope};
use super::snapshot::{self, Snapshot};
use super::{RegionalError, ended, ended_quarter_or_default, quarter_or_default};
use crate::http::{ApiResult, Caller, Json, Path, Query};
use crate::policy::PolicyContext;

/// The quarter asked for.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuarterQuery {
    /// `2026-Q3`; without it, the last complete quarter.
    quarter: Option<String>,
}

/// The organisation's public key, for partners to register.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyKey {
    /// Base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
    /// The deployment's country, as its snapshots name it.
    pub country: String,
}

/// The organisation's snapshot-signing public key (made on first use) and the deployment's
/// country.
#[utoipa::path(get, path = "/api/v1/policy/key", tag = "policy",
    responses((status = 200, body = PolicyKey)),
    security(("bearer" = [])))]
pub(super) async fn key(
    State(ctx): State<PolicyContext>,
    caller: Caller,
) -> ApiResult<Json<PolicyKey>> {
    let (_, public_key) =
        signing::key_pair(&ctx, &caller.actor(), caller.principal.organisation_id).await?;
    Ok(Json(PolicyKey {
        public_key,
        country: snapshot::own_country(&ctx),
    }))
}

/// The deployment's Regional Plan of Action figures for a quarter, unsigned; counts from 1 to
/// 4, and figures from fewer than 5 rows, are suppressed.
#[utoipa::path(get, path = "/api/v1/policy/indicators", tag = "policy",
    params(QuarterQuery),
    responses((status = 200, body = Snapshot)),
    security(("bearer" = [])))]
pub(super) async fn indicators(
    State(ctx): State<PolicyContext>,
    caller: Caller,
    Query(q): Query<QuarterQuery>,
) -> ApiResult<Json<Snapshot>> {
    let quarter = ended_quarter_or_default(q.quarter.as_deref())?;
    Ok(Json(
        snapshot::read_indicators(&ctx, &caller.actor(), &caller.principal, quarter).await?,
    ))
}

/// The quarter's figures as a signed, dated snapshot (a file to send to the regional node).
#[utoipa::path(get, path = "/api/v1/policy/snapshots/{quarter}", tag = "policy",
    params(("quarter" = String, Path, description = "`2026-Q3`")),
    responses((status = 200, body = Envelope, description = "the snapshot, signed: `body` holds its exact bytes")),
    security(("bearer" = [])))]
pub(super) async fn publish_snapshot(
    State(ctx): State<PolicyContext>,
    caller: Caller,
    Path(quarter): Path<String>,
) -> ApiResult<Response> {
    let quarter =
        ended(super::figures::Quarter::parse(&quarter).ok_or_else(|| {
            RegionalError::invalid("quarter", "a quarter is written like 2026-Q3")
        })?)?;
    let envelope = snapshot::publish(&ctx, &caller.actor(), &caller.principal, quarter).await?;
    let name = format!(
        "attachment; filename=\"rpa-snapshot-{}-{quarter}.json\"",
        snapshot::own_country(&ctx)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        Json(envelope),
    )
        .into_response())
}

/// The organisation's partners, whose snapshots it accepts.
#[utoipa::path(get, path = "/api/v1/policy/partners", tag = "policy",
    responses((status = 200, body = Vec<PartnerView>)),
    security(("bearer" = [])))]
pub(super) async fn partners(
    State(ctx): State<PolicyContext>,
    caller: Caller,
) -> ApiResult<Json<Vec<PartnerView>>> {
    Ok(Json(
        node::list_partners(&ctx, &caller.actor(), &caller.principal).await?,
    ))
}

/// Registers a partner deployment by country and public key.
#[utoipa::path(post, path = "/api/v1/policy/partners", tag = "policy", request_body = NewPartner,
    responses((status = 201, body = PartnerView, description = "the partner was registered"),
        (status = 409, description = "the country (or the key) is already registered")),
    security(("bearer" = [])))]
pub(super) async fn add_partner(
    State(ctx): State<PolicyContext>,
    caller: Caller,
    Json(body): Json<NewPartner>,
) -> ApiResult<(StatusCode, Json<PartnerView>)> {
    let added = node::add_partner(&ctx, &caller.actor(), &caller.principal, &body).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// Imports a partner's signed snapshot: the signature must verify against a registered
/// partner's key, and the snapshot be of that partner's country.
#[utoipa::path(post, path = "/api/v1/policy/regional/snapshots", tag = "policy", request_body = Envelope,
    responses((status = 201, body = Imported, description = "the snapshot was verified and stored"),
        (status = 409, description = "a snapshot of the same country and quarter, as new or newer, is held")),
    security(("bearer" = [])))]
pub(super) async fn import(
    State(ctx): State<PolicyContext>,
    caller: Caller,
    Json(body): Json<Envelope>,
) -> ApiResult<(StatusCode, Json<Imported>)> {
    let imported = node::import(&ctx, &caller.actor(), &caller.principal, &body).await?;
    Ok((StatusCode::CREATED, Json(imported)))
}

/// The regional dashboard of a quarter: each indicator by partner country; a country that sent
/// nothing is `missing`.
#[utoipa::path(get, path = "/api/v1/policy/regional", tag = "policy",
    params(QuarterQuery),
    responses((status = 200, body = Regional)),
    security(("bearer" = [])))]
pub(super) async fn regional(
    State(ctx): State<PolicyContext>,
    caller: Caller,
    Query(q): Query<QuarterQuery>,
) -> ApiResult<Json<Regional>> {
    Ok(Json(dashboard(&ctx, &caller, &q).await?))
}

async fn dashboard(
    ctx: &PolicyContext,
    caller: &Caller,
    q: &QuarterQuery,
) -> Result<Regional, RegionalError> {
    let quarter = quarter_or_default(q.quarter.as_deref())?;
    node::dashboard(ctx, &caller.actor(), &caller.principal, quarter).await
}

/// The regional dashboard as CSV: `country,indicator,value,state`.
#[utoipa::path(get, path = "/api/v1/policy/regional.csv", tag = "policy",
    params(QuarterQuery),
    responses((status = 200, description = "`country,indicator,value,state`, one figure a row", body = String, content_type = "text/csv")),
    security(("bearer" = [])))]
pub(super) async fn regional_csv(
    State(ctx): State<PolicyContext>,
    caller: Caller,
    Query(q): Query<QuarterQuery>,
) -> ApiResult<Response> {
    let regional = dashboard(&ctx, &caller, &q).await?;
    let body = node::to_csv(&regional)?;
    let name = format!(
        "attachment; filename=\"rpa-regional-{}.csv\"",
        regional.quarter
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    )
        .into_response())
}
