//! The native JSON API for banks and matching, under `/api/v1`. Errors are
//! `{"error": {"code": "...", "message": "...", "field": "..."}}`; lists are paginated.

use std::collections::BTreeMap;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use pdq::Hash256;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::BanksContext;
use super::entities::{bank, content, signal};
use super::matcher::BankMatch;
use super::store::{self as banks, ContentMeta, NewSignal, SignalType};
use crate::access::Role;
use crate::helpers::rfc3339;
use crate::http::{
    Access, ApiError, ApiResult, Caller, Endpoint, Json, Multipart, Path, Query,
    fingerprint_upload, fingerprint_video_upload, read_upload,
};

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
        Endpoint::api(api, routes!(add_content)),
        Endpoint::api(api, routes!(match_signals)),
        Endpoint::api(api, routes!(hash_image)),
        Endpoint::api(api, routes!(match_image)),
        Endpoint::api(api, routes!(hash_video)),
        Endpoint::api(api, routes!(match_video)),
    ]
}

/// A bank.
#[derive(Debug, Serialize, ToSchema)]
pub struct Bank {
    pub name: String,
    pub enabled: bool,
    /// Largest PDQ distance that counts as a match in this bank.
    pub pdq_threshold: i32,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

fn bank_out(b: &bank::Model) -> Bank {
    Bank {
        name: b.name.clone(),
        enabled: b.enabled,
        pdq_threshold: b.pdq_threshold,
        created_at: rfc3339(b.created_at),
    }
}

/// Page selection for lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page number.
    page: Option<u64>,
    /// Items per page (1 to 1000, default 100).
    per_page: Option<u64>,
}

impl PageQuery {
    fn resolve(&self) -> ApiResult<(u64, u64)> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(100);
        if page == 0 {
            return Err(ApiError::invalid("page", "page starts at 1"));
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
    let mut query = bank::Entity::find().order_by_asc(bank::Column::Name);
    if caller.principal.role != Role::Admin {
        query = query.filter(bank::Column::OrganisationId.eq(caller.principal.organisation_id));
    }
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
    pub pdq_threshold: Option<i32>,
    pub enabled: Option<bool>,
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
    pub pdq_threshold: Option<i32>,
}

#[utoipa::path(patch, path = "/api/v1/banks/{name}", tag = "banks", params(("name" = String, Path)), request_body = BankChanges, responses((status = 200, body = Bank)), security(("bearer" = [])))]
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
        body.name.as_deref(),
        body.enabled,
        body.pdq_threshold,
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
    let mut signals = Vec::new();
    if let Some(v) = &body.pdq {
        signals.push(NewSignal::new(SignalType::Pdq, v, body.pdq_quality)?);
    }
    if let Some(v) = &body.md5 {
        signals.push(NewSignal::new(SignalType::Md5, v, None)?);
    }
    for (kind, value) in [
        (SignalType::Sha256, &body.sha256),
        (SignalType::VideoMd5, &body.video_md5),
        (SignalType::Vpdq, &body.vpdq),
    ] {
        if let Some(v) = value {
            signals.push(NewSignal::new(kind, v, None)?);
        }
    }
    let meta = ContentMeta {
        note: body.note.unwrap_or_default(),
        category: body.category.unwrap_or_default(),
        tags: body.tags.unwrap_or_default(),
        source: "api".into(),
    };
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    /// PDQ hashes of one image: the hash, or its 8 dihedral variants (each bank content is
    /// reported once, at its closest distance).
    pub pdq: Option<Vec<String>>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
    /// The MD5 of a video file (matched against `md5` and `video_md5` signals alike).
    pub video_md5: Option<String>,
    /// A video's `vpdq` signal string, matched with python-threatexchange's semantics.
    pub vpdq: Option<String>,
    /// Overrides every bank's PDQ threshold (0 to 64).
    pub radius: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchResult {
    pub bank: String,
    pub content_id: i64,
    pub signal_type: String,
    /// PDQ distance (0 for exact digests and videos).
    pub distance: u32,
    /// For `vpdq`: the share of the query video's frames found in the matched video.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_match_pct: Option<f64>,
    /// For `vpdq`: the share of the matched video's frames found in the query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_match_pct: Option<f64>,
    /// The matched content's metadata.
    pub note: String,
    pub category: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchResponse {
    pub matches: Vec<MatchResult>,
}

#[utoipa::path(post, path = "/api/v1/match", tag = "banks", request_body = MatchRequest, responses((status = 200, body = MatchResponse), (status = 503, description = "index still loading")), security(("bearer" = [])))]
async fn match_signals(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Json(body): Json<MatchRequest>,
) -> ApiResult<Json<MatchResponse>> {
    let matcher = ctx.ready()?;
    if body.radius.is_some_and(|r| r > 64) {
        return Err(ApiError::invalid("radius", "radius is 0 to 64"));
    }
    let mut matches = Vec::new();
    if let Some(hashes) = &body.pdq {
        let queries = hashes
            .iter()
            .enumerate()
            .map(|(i, h)| {
                Hash256::parse(h.trim())
                    .map_err(|e| ApiError::invalid(format!("pdq[{i}]"), format!("pdq {h:?}: {e}")))
            })
            .collect::<ApiResult<Vec<Hash256>>>()?;
        matches.extend(found_by(matcher.lookup_pdq(&queries, body.radius), "pdq"));
    }
    if let Some(signal) = &body.vpdq {
        let frames = lindung_media::vpdq::parse_signal(signal.trim())
            .map_err(|e| ApiError::invalid("vpdq", format!("vpdq: {e}")))?;
        matches.extend(found_by(matcher.lookup_vpdq(&frames), "vpdq"));
    }
    for (kind, value) in [
        (SignalType::Md5, &body.md5),
        (SignalType::Sha256, &body.sha256),
        (SignalType::VideoMd5, &body.video_md5),
    ] {
        if let Some(v) = value {
            let normalised = NewSignal::new(kind, v, None)?;
            matches.extend(found_by(
                matcher.lookup_digest(kind.as_str(), &normalised.value),
                kind.as_str(),
            ));
        }
    }
    let matches = published(&ctx, &caller, "/api/v1/match", matches).await;
    Ok(Json(MatchResponse {
        matches: with_metadata(&ctx, matches).await?,
    }))
}

/// Matches with the signal type they were found by.
fn found_by(
    matches: Vec<BankMatch>,
    kind: &'static str,
) -> impl Iterator<Item = (BankMatch, &'static str)> {
    matches.into_iter().map(move |m| (m, kind))
}

/// Tells the match listeners what `caller`'s lookup through `route` found, and hands the
/// matches back.
async fn published(
    ctx: &BanksContext,
    caller: &Caller,
    route: &'static str,
    matches: Vec<(BankMatch, &'static str)>,
) -> Vec<(BankMatch, &'static str)> {
    ctx.publish(
        &caller.principal,
        route,
        matches.iter().map(|(m, kind)| (m, *kind)),
    )
    .await;
    matches
}

/// Adds each matched content item's metadata, read in one query.
async fn with_metadata(
    ctx: &BanksContext,
    matches: Vec<(BankMatch, &str)>,
) -> ApiResult<Vec<MatchResult>> {
    let ids: Vec<i64> = matches.iter().map(|(m, _)| m.content_id).collect();
    let mut meta: BTreeMap<i64, content::Model> = BTreeMap::new();
    for chunk in ids.chunks(1000) {
        for c in content::Entity::find()
            .filter(content::Column::Id.is_in(chunk.iter().copied()))
            .all(ctx.store.db())
            .await?
        {
            meta.insert(c.id, c);
        }
    }
    Ok(matches
        .into_iter()
        .map(|(m, kind)| {
            let c = meta.get(&m.content_id);
            MatchResult {
                bank: m.bank,
                content_id: m.content_id,
                signal_type: kind.to_owned(),
                distance: m.distance,
                query_match_pct: m.video.map(|v| v.query_match_pct),
                target_match_pct: m.video.map(|v| v.target_match_pct),
                note: c.map(|c| c.note.clone()).unwrap_or_default(),
                category: c.map(|c| c.category.clone()).unwrap_or_default(),
                tags: c
                    .map(|c| c.tags.split_whitespace().map(str::to_owned).collect())
                    .unwrap_or_default(),
            }
        })
        .collect())
}

/// The fingerprints of an uploaded image.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImageHashes {
    pub pdq: String,
    /// PDQ quality 0 to 100; below 50 the hash is unreliable.
    pub quality: u8,
    pub md5: String,
    pub sha256: String,
    pub width: usize,
    pub height: usize,
    /// The 8 dihedral PDQ hashes, when asked for with a `dihedral` field.
    pub pdq_dihedral: Option<Vec<String>>,
}

/// Reads a multipart `photo` and optional `dihedral` field; the image is hashed in memory and
/// never stored.
async fn image_hashes(multipart: Multipart) -> ApiResult<(ImageHashes, Vec<Hash256>)> {
    let upload = read_upload(multipart, "photo").await?;
    let dihedral = upload
        .fields
        .get("dihedral")
        .is_some_and(|v| matches!(v.as_str(), "true" | "1" | "on" | "yes"));
    let bytes = upload.file.ok_or_else(|| {
        ApiError::invalid("photo", "send the image as a multipart field named `photo`")
    })?;
    let fp = fingerprint_upload(bytes, dihedral).await?;
    let queries = match (&fp.dihedral, dihedral) {
        (Some(d), true) => d.hashes.to_vec(),
        _ => vec![fp.pdq.hash],
    };
    Ok((
        ImageHashes {
            pdq: fp.pdq.hash.to_string(),
            quality: fp.pdq.quality,
            md5: fp.digests.md5_hex(),
            sha256: fp.digests.sha256_hex(),
            width: fp.width,
            height: fp.height,
            pdq_dihedral: fp
                .dihedral
                .filter(|_| dihedral)
                .map(|d| d.hashes.iter().map(ToString::to_string).collect()),
        },
        queries,
    ))
}

#[utoipa::path(post, path = "/api/v1/hash", tag = "banks", request_body(content_type = "multipart/form-data", description = "`photo`: the image; `dihedral`: `true` for the 8 dihedral hashes"), responses((status = 200, body = ImageHashes), (status = 422, description = "not a readable image")), security(("bearer" = [])))]
async fn hash_image(multipart: Multipart) -> ApiResult<Json<ImageHashes>> {
    Ok(Json(image_hashes(multipart).await?.0))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImageMatchResponse {
    pub hashes: ImageHashes,
    pub matches: Vec<MatchResult>,
}

#[utoipa::path(post, path = "/api/v1/match/image", tag = "banks", request_body(content_type = "multipart/form-data", description = "`photo`: the image; `dihedral`: `true` to match rotations and mirror images too"), responses((status = 200, body = ImageMatchResponse), (status = 503, description = "index still loading")), security(("bearer" = [])))]
async fn match_image(
    State(ctx): State<BanksContext>,
    caller: Caller,
    multipart: Multipart,
) -> ApiResult<Json<ImageMatchResponse>> {
    let matcher = ctx.ready()?;
    let (hashes, queries) = image_hashes(multipart).await?;
    let mut matches: Vec<(BankMatch, &str)> =
        found_by(matcher.lookup_pdq(&queries, None), "pdq").collect();
    matches.extend(found_by(matcher.lookup_digest("md5", &hashes.md5), "md5"));
    matches.extend(found_by(
        matcher.lookup_digest("sha256", &hashes.sha256),
        "sha256",
    ));
    let matches = published(&ctx, &caller, "/api/v1/match/image", matches).await;
    Ok(Json(ImageMatchResponse {
        matches: with_metadata(&ctx, matches).await?,
        hashes,
    }))
}

/// The fingerprints of an uploaded video.
#[derive(Debug, Serialize, ToSchema)]
pub struct VideoHashes {
    /// python-threatexchange's `vpdq` signal string: one PDQ hash per second of video.
    pub vpdq: String,
    /// Number of hashed frames.
    pub frames: usize,
    /// Seconds, from the container.
    pub duration: f64,
    pub md5: String,
    pub sha256: String,
}

async fn video_upload(
    multipart: Multipart,
) -> ApiResult<(VideoHashes, lindung_media::video::VideoFingerprint)> {
    let upload = read_upload(multipart, "video").await?;
    let bytes = upload.file.ok_or_else(|| {
        ApiError::invalid("video", "send the video as a multipart field named `video`")
    })?;
    let fp = fingerprint_video_upload(bytes).await?;
    Ok((
        VideoHashes {
            vpdq: lindung_media::vpdq::to_signal(&fp.frames),
            frames: fp.frames.len(),
            duration: fp.info.duration_seconds,
            md5: fp.digests.md5_hex(),
            sha256: fp.digests.sha256_hex(),
        },
        fp,
    ))
}

#[utoipa::path(post, path = "/api/v1/hash/video", tag = "banks", request_body(content_type = "multipart/form-data", description = "`video`: the video file"), responses((status = 200, body = VideoHashes), (status = 422, description = "not a readable video, or over the limits")), security(("bearer" = [])))]
async fn hash_video(multipart: Multipart) -> ApiResult<Json<VideoHashes>> {
    Ok(Json(video_upload(multipart).await?.0))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VideoMatchResponse {
    pub hashes: VideoHashes,
    pub matches: Vec<MatchResult>,
}

#[utoipa::path(post, path = "/api/v1/match/video", tag = "banks", request_body(content_type = "multipart/form-data", description = "`video`: the video file; it is hashed and deleted, never stored"), responses((status = 200, body = VideoMatchResponse), (status = 422, description = "not a readable video, or over the limits"), (status = 503, description = "index still loading")), security(("bearer" = [])))]
async fn match_video(
    State(ctx): State<BanksContext>,
    caller: Caller,
    multipart: Multipart,
) -> ApiResult<Json<VideoMatchResponse>> {
    let matcher = ctx.ready()?;
    let (hashes, fp) = video_upload(multipart).await?;
    let mut matches: Vec<(BankMatch, &str)> =
        found_by(matcher.lookup_vpdq(&fp.frames), "vpdq").collect();
    matches.extend(found_by(matcher.lookup_digest("md5", &hashes.md5), "md5"));
    let matches = published(&ctx, &caller, "/api/v1/match/video", matches).await;
    Ok(Json(VideoMatchResponse {
        matches: with_metadata(&ctx, matches).await?,
        hashes,
    }))
}
