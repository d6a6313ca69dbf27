//! The hotline's settings and records: a reviewer's evidence settings, hosting providers and
//! partner hotlines, the IP-to-country table, and running due notices and checks at once.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::audit::{self, AuditEvent};
use crate::hotline::contacts::{self, ContactInput};
use crate::hotline::entities::{partner, provider, reviewer};
use crate::hotline::takedown::DueRun;
use crate::hotline::{HotlineContext, network};
use crate::http::{ApiError, ApiResult, Caller, Json, Path, require_content_type};

/// How evidence is shown to a reviewer.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
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

/// The caller's evidence settings; blurred and greyscale until they choose otherwise.
#[utoipa::path(get, path = "/api/v1/hotline/reviewer-settings", tag = "hotline",
    responses((status = 200, body = ReviewerSettings)),
    security(("bearer" = [])))]
pub(super) async fn reviewer_settings(
    State(ctx): State<HotlineContext>,
    caller: Caller,
) -> ApiResult<Json<ReviewerSettings>> {
    Ok(Json(
        reviewer_settings_of(&ctx, caller.principal.user_id).await?,
    ))
}

/// Sets the caller's evidence settings.
#[utoipa::path(put, path = "/api/v1/hotline/reviewer-settings", tag = "hotline",
    request_body = ReviewerSettings,
    responses((status = 200, description = "the settings now in force", body = ReviewerSettings)),
    security(("bearer" = [])))]
pub(super) async fn set_reviewer_settings(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Json(settings): Json<ReviewerSettings>,
) -> ApiResult<Json<ReviewerSettings>> {
    save_reviewer_settings(&ctx, &caller.actor(), caller.principal.user_id, &settings).await?;
    Ok(Json(settings))
}

/// Keeps a reviewer's own settings (the API and the settings page).
pub async fn save_reviewer_settings(
    ctx: &HotlineContext,
    actor: &crate::access::audit::Actor,
    user_id: i32,
    settings: &ReviewerSettings,
) -> Result<(), sea_orm::DbErr> {
    let row = reviewer::ActiveModel {
        user_id: Set(user_id),
        blur: Set(settings.blur),
        greyscale: Set(settings.greyscale),
    };
    let txn = ctx.store.write().await?;
    match reviewer::Entity::find_by_id(user_id).one(&txn).await? {
        Some(_) => row.update(&txn).await?,
        None => row.insert(&txn).await?,
    };
    // Whether a reviewer sees abuse material unblurred or in colour is worth a record.
    crate::access::audit::commit_with(
        txn,
        actor,
        crate::access::audit::AuditEvent::new(
            "hotline.reviewer_settings.set",
            "user",
            user_id.to_string(),
        )
        .detail("blur", settings.blur)
        .detail("greyscale", settings.greyscale),
    )
    .await
}

/// The hosting providers on record, by name.
#[utoipa::path(get, path = "/api/v1/hotline/providers", tag = "hotline",
    responses((status = 200, body = Vec<provider::Model>)),
    security(("bearer" = [])))]
pub(super) async fn list_providers(
    State(ctx): State<HotlineContext>,
) -> ApiResult<Json<Vec<provider::Model>>> {
    Ok(Json(
        provider::Entity::find()
            .order_by_asc(provider::Column::Name)
            .all(ctx.store.db())
            .await?,
    ))
}

/// Adds a hosting provider (admins).
#[utoipa::path(post, path = "/api/v1/hotline/providers", tag = "hotline",
    request_body = ContactInput,
    responses((status = 201, description = "the provider was added", body = provider::Model)),
    security(("bearer" = [])))]
pub(super) async fn add_provider(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Json(body): Json<ContactInput>,
) -> ApiResult<(StatusCode, Json<provider::Model>)> {
    let created =
        contacts::save_provider(&ctx, &caller.actor(), &caller.principal, None, &body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Changes a hosting provider (admins).
#[utoipa::path(put, path = "/api/v1/hotline/providers/{id}", tag = "hotline",
    params(("id" = i64, Path, description = "the provider")), request_body = ContactInput,
    responses((status = 200, body = provider::Model)),
    security(("bearer" = [])))]
pub(super) async fn edit_provider(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<ContactInput>,
) -> ApiResult<Json<provider::Model>> {
    Ok(Json(
        contacts::save_provider(&ctx, &caller.actor(), &caller.principal, Some(id), &body).await?,
    ))
}

/// The partner hotlines on record, by country.
#[utoipa::path(get, path = "/api/v1/hotline/partners", tag = "hotline",
    responses((status = 200, body = Vec<partner::Model>)),
    security(("bearer" = [])))]
pub(super) async fn list_partners(
    State(ctx): State<HotlineContext>,
) -> ApiResult<Json<Vec<partner::Model>>> {
    Ok(Json(
        partner::Entity::find()
            .order_by_asc(partner::Column::Country)
            .all(ctx.store.db())
            .await?,
    ))
}

/// Adds a partner hotline (admins); one a country.
#[utoipa::path(post, path = "/api/v1/hotline/partners", tag = "hotline",
    request_body = ContactInput,
    responses((status = 201, description = "the partner hotline was added", body = partner::Model),
        (status = 409, description = "`conflict`: there is already a partner hotline for the country")),
    security(("bearer" = [])))]
pub(super) async fn add_partner(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Json(body): Json<ContactInput>,
) -> ApiResult<(StatusCode, Json<partner::Model>)> {
    let created =
        contacts::save_partner(&ctx, &caller.actor(), &caller.principal, None, &body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Changes a partner hotline (admins).
#[utoipa::path(put, path = "/api/v1/hotline/partners/{id}", tag = "hotline",
    params(("id" = i64, Path, description = "the partner hotline")), request_body = ContactInput,
    responses((status = 200, body = partner::Model),
        (status = 409, description = "`conflict`: there is already a partner hotline for the country")),
    security(("bearer" = [])))]
pub(super) async fn edit_partner(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(body): Json<ContactInput>,
) -> ApiResult<Json<partner::Model>> {
    Ok(Json(
        contacts::save_partner(&ctx, &caller.actor(), &caller.principal, Some(id), &body).await?,
    ))
}

/// How many ranges the IP-to-country table now holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct Loaded {
    ranges: usize,
}

/// Replaces the IP-to-country table (admins).
///
/// A line that is not a range is refused, naming the line, and the table is left as it was.
#[utoipa::path(put, path = "/api/v1/hotline/ip-ranges", tag = "hotline",
    request_body(content = String, content_type = "text/csv",
        description = "`start_ip,end_ip,country` a line (IPv4 or IPv6, ISO 3166 alpha-2); a first line that is not a range is a header"),
    responses((status = 200, description = "the table was replaced", body = Loaded)),
    security(("bearer" = [])))]
pub(super) async fn load_ip_ranges(
    State(ctx): State<HotlineContext>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Loaded>> {
    require_content_type(&headers, &["text/csv"])?;
    let ranges = network::parse_ip_ranges(&body).map_err(|m| ApiError::invalid("body", m))?;
    let count = network::replace_ip_ranges(&ctx.store, &ranges).await?;
    audit::record(
        &ctx.store,
        &caller.actor(),
        AuditEvent::new("hotline.ip_ranges.load", "hotline_ip_ranges", None)
            .detail("ranges", count),
    )
    .await?;
    Ok(Json(Loaded { ranges: count }))
}

/// Runs due notices and checks now (admins).
///
/// Resends due notices, escalates, checks due URLs and purges expired evidence, as the server
/// does every half minute.
#[utoipa::path(post, path = "/api/v1/hotline/run-due", tag = "hotline",
    responses((status = 200, description = "what the run did", body = DueRun),
        (status = 409, description = "`running`: another server process is running them; try again shortly")),
    security(("bearer" = [])))]
pub(super) async fn run_due(State(ctx): State<HotlineContext>) -> ApiResult<Json<DueRun>> {
    ctx.runs.run_due(&ctx).await?.map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "running",
            "another server process is running due notices and checks; try again shortly",
        )
    })
}
