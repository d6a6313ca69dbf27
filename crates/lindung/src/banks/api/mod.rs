//! The native JSON API for banks and matching, under `/api/v1`. Errors are
//! `{"error": {"code": "...", "message": "...", "field": "..."}}`; lists are paginated.

use std::collections::BTreeMap;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::BanksContext;
use super::entities::{bank, content, signal};
use super::store::{self as banks, BankSharing, ContentMeta, NewSignal, SignalType};
use crate::access::Role;
use crate::access::audit::{self, AuditEvent};
use crate::helpers::rfc3339;
use crate::http::MAX_BODY_BYTES;
use crate::http::limits::{self};
use crate::http::{Access, ApiError, ApiResult, Caller, Endpoint, Json, Multipart, Path, Query};

mod matching;

const API_USERS: &[Role] = &[Role::Admin, Role::Analyst, Role::Platform];

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    BanksContext: FromRef<S>,
{
    use utoipa_axum::routes;
    let api = Access::Roles(API_USERS);
    vec![
        Endpoint::api(api, routes!(list_banks)),
        Endpoint::api(api, routes!(create_bank)),
        Endpoint::api(api, routes!(get_bank)),
        Endpoint::api(api, routes!(update_bank)),
        Endpoint::api(api, routes!(delete_bank)),
        Endpoint::api(api, routes!(list_content)),
        Endpoint::api(api, routes!(add_content)).with_body_limit(limits::SIGNALS_BODY),
        Endpoint::api(api, routes!(matching::match_signals))
            .with_body_limit(limits::SIGNALS_BODY)
            .from_memory(),
        Endpoint::api(api, routes!(matching::hash_image))
            .with_body_limit(MAX_BODY_BYTES)
            .from_memory(),
        Endpoint::api(api, routes!(matching::match_image))
            .with_body_limit(MAX_BODY_BYTES)
            .from_memory(),
        Endpoint::api(api, routes!(matching::hash_video))
            .with_body_limit(MAX_BODY_BYTES)
            .from_memory(),
        Endpoint::api(api, routes!(matching::match_video))
            .with_body_limit(MAX_BODY_BYTES)
            .from_memory(),
    ]
}

/// A bank.
#[derive(Debug, Serialize, ToSchema)]
pub struct Bank {
    pub name: String,
    pub enabled: bool,
    /// Largest PDQ distance that counts as a match in this bank.
    pub pdq_threshold: i32,
    /// Who besides the bank's organisation sees it.
    pub sharing: BankSharing,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

fn bank_out(b: &bank::Model) -> Bank {
    Bank {
        name: b.name.clone(),
        enabled: b.enabled,
        pdq_threshold: b.pdq_threshold,
        sharing: b.sharing,
        created_at: rfc3339(b.created_at),
    }
}

/// The furthest page a list goes to: 10^7 pages of 1,000 is past any bank's size.
const MAX_PAGE: u64 = 10_000_000;

/// Page selection for lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page number (at most 10,000,000).
    page: Option<u64>,
    /// Items per page (1 to 1000, default 100).
    per_page: Option<u64>,
}

impl PageQuery {
    fn resolve(&self) -> ApiResult<(u64, u64)> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(100);
        // The offset (page × per_page) must fit the database's 64-bit integers.
        if !(1..=MAX_PAGE).contains(&page) {
            return Err(ApiError::invalid("page", "page is 1 to 10000000"));
        }
        if !(1..=1000).contains(&per_page) {
            return Err(ApiError::invalid("per_page", "per_page is 1 to 1000"));
        }
        Ok((page, per_page))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankList {
    pub items: Vec<Bank>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

#[utoipa::path(get, path = "/api/v1/banks", tag = "banks", params(PageQuery), responses((status = 200, body = BankList)), security(("bearer" = [])))]
async fn list_banks(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<BankList>> {
    let (page, per_page) = q.resolve()?;
    let query = banks::listed_banks(&ctx.store, &caller.principal).await?;
    let pages = query.paginate(ctx.store.db(), per_page);
    let total = pages.num_items().await?;
    let items = pages.fetch_page(page - 1).await?;
    Ok(Json(BankList {
        items: items.iter().map(bank_out).collect(),
        page,
        per_page,
        total,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBank {
    pub name: String,
    /// 0 to 64; at most 40 for a platform. 31 if not given.
    pub pdq_threshold: Option<i32>,
    pub enabled: Option<bool>,
    /// `private` if not given.
    pub sharing: Option<BankSharing>,
}

#[utoipa::path(post, path = "/api/v1/banks", tag = "banks", request_body = NewBank, responses((status = 201, body = Bank), (status = 409, description = "name taken")), security(("bearer" = [])))]
async fn create_bank(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Json(body): Json<NewBank>,
) -> ApiResult<(StatusCode, Json<Bank>)> {
    let created = banks::create_bank(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        &body.name,
        body.pdq_threshold,
        body.enabled != Some(false),
        body.sharing.unwrap_or(BankSharing::Private),
    )
    .await?;
    ctx.sync().await?;
    Ok((StatusCode::CREATED, Json(bank_out(&created))))
}

/// Adds content to a bank as the caller and brings this process's matcher up to date, so the
/// very next request matches it. Shared by the HMA routes, this API and the pages.
pub(crate) async fn add_content_synced(
    ctx: &BanksContext,
    caller: &Caller,
    bank: &str,
    meta: &ContentMeta,
    signals: &[NewSignal],
) -> ApiResult<banks::Added> {
    let added = banks::add_content(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        bank,
        meta,
        signals,
    )
    .await?;
    ctx.sync().await?;
    Ok(added)
}

async fn visible(ctx: &BanksContext, caller: &Caller, name: &str) -> ApiResult<bank::Model> {
    Ok(banks::visible_bank(&ctx.store, &caller.principal, name).await?)
}

#[utoipa::path(get, path = "/api/v1/banks/{name}", tag = "banks", params(("name" = String, Path)), responses((status = 200, body = Bank), (status = 404)), security(("bearer" = [])))]
async fn get_bank(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Bank>> {
    Ok(Json(bank_out(&visible(&ctx, &caller, &name).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankChanges {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    /// 0 to 64; at most 40 for a platform.
    pub pdq_threshold: Option<i32>,
    /// `private`: the bank's organisation only; `platforms`: also every platform account.
    pub sharing: Option<BankSharing>,
}

#[utoipa::path(patch, path = "/api/v1/banks/{name}", tag = "banks", params(("name" = String, Path)), request_body = BankChanges, responses((status = 200, body = Bank), (status = 409, description = "name taken")), security(("bearer" = [])))]
async fn update_bank(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<BankChanges>,
) -> ApiResult<Json<Bank>> {
    visible(&ctx, &caller, &name).await?;
    let updated = banks::update_bank(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        &name,
        banks::BankUpdate {
            name: body.name.as_deref(),
            enabled: body.enabled,
            pdq_threshold: body.pdq_threshold,
            sharing: body.sharing,
        },
    )
    .await?;
    ctx.sync().await?;
    Ok(Json(bank_out(&updated)))
}

#[utoipa::path(delete, path = "/api/v1/banks/{name}", tag = "banks", params(("name" = String, Path)), responses((status = 204)), security(("bearer" = [])))]
async fn delete_bank(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    visible(&ctx, &caller, &name).await?;
    banks::delete_bank(&ctx.store, &caller.actor(), &caller.principal, &name).await?;
    ctx.sync().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One signal of a content item.
#[derive(Debug, Serialize, ToSchema)]
pub struct Signal {
    /// `pdq`, `md5`, `sha256`, `video_md5` or `vpdq`.
    pub signal_type: String,
    pub value: String,
    /// PDQ quality, when known.
    pub quality: Option<i32>,
}

/// A content item and its signals.
#[derive(Debug, Serialize, ToSchema)]
pub struct Content {
    pub id: i64,
    pub note: String,
    pub category: String,
    pub tags: Vec<String>,
    pub source: String,
    pub enabled: bool,
    #[schema(value_type = String, format = DateTime)]
    pub added_at: String,
    pub signals: Vec<Signal>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContentList {
    pub items: Vec<Content>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

#[utoipa::path(get, path = "/api/v1/banks/{name}/content", tag = "banks", params(("name" = String, Path), PageQuery), responses((status = 200, body = ContentList)), security(("bearer" = [])))]
async fn list_content(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<ContentList>> {
    let (page, per_page) = q.resolve()?;
    let target = visible(&ctx, &caller, &name).await?;
    let pages = content::Entity::find()
        .filter(content::Column::BankId.eq(target.id))
        .order_by_asc(content::Column::Id)
        .paginate(ctx.store.db(), per_page);
    let total = pages.num_items().await?;
    let items = pages.fetch_page(page - 1).await?;
    audit::record(
        &ctx.store,
        &caller.actor(),
        AuditEvent::new("bank.content.read", "bank", target.id.to_string())
            .detail("page", page)
            .detail("items", items.len()),
    )
    .await?;
    let ids: Vec<i64> = items.iter().map(|c| c.id).collect();
    let signals = signal::Entity::find()
        .filter(signal::Column::ContentId.is_in(ids))
        .order_by_asc(signal::Column::Id)
        .all(ctx.store.db())
        .await?;
    let mut by_content: BTreeMap<i64, Vec<Signal>> = BTreeMap::new();
    for s in signals {
        by_content.entry(s.content_id).or_default().push(Signal {
            value: s.signal().to_owned(),
            signal_type: s.signal_type,
            quality: s.quality,
        });
    }
    Ok(Json(ContentList {
        items: items
            .into_iter()
            .map(|c| Content {
                signals: by_content.remove(&c.id).unwrap_or_default(),
                id: c.id,
                note: c.note,
                category: c.category,
                tags: c.tags.split_whitespace().map(str::to_owned).collect(),
                source: c.source,
                enabled: c.enabled,
                added_at: rfc3339(c.added_at),
            })
            .collect(),
        page,
        per_page,
        total,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContent {
    pub pdq: Option<String>,
    /// PDQ quality 0 to 100, if known; below 50 is refused.
    pub pdq_quality: Option<i32>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
    /// The MD5 of a video file.
    pub video_md5: Option<String>,
    /// A video's frame hashes as python-threatexchange's `vpdq` signal string.
    pub vpdq: Option<String>,
    pub note: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddedContent {
    /// The content item holding the signals (an existing one if all were already there).
    pub id: i64,
    /// How many of the signals were new to the bank.
    pub new_signals: usize,
}

#[utoipa::path(post, path = "/api/v1/banks/{name}/content", tag = "banks", params(("name" = String, Path)), request_body = NewContent, responses((status = 201, body = AddedContent), (status = 200, body = AddedContent, description = "already in the bank")), security(("bearer" = [])))]
async fn add_content(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<NewContent>,
) -> ApiResult<(StatusCode, Json<AddedContent>)> {
    visible(&ctx, &caller, &name).await?;
    let signals = NewSignal::from_fields(
        [
            (SignalType::Pdq, body.pdq.as_deref()),
            (SignalType::Md5, body.md5.as_deref()),
            (SignalType::Sha256, body.sha256.as_deref()),
            (SignalType::VideoMd5, body.video_md5.as_deref()),
            (SignalType::Vpdq, body.vpdq.as_deref()),
        ],
        body.pdq_quality,
    )?;
    let meta = ContentMeta::from_api(body.note, body.category, body.tags);
    let added = add_content_synced(&ctx, &caller, &name, &meta, &signals).await?;
    let status = if added.new_signals > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(AddedContent {
            id: added.content_id,
            new_signals: added.new_signals,
        }),
    ))
}
