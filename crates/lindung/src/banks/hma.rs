//! HMA-compatible routes (HMA 1.1.x shapes), so that existing HMA clients can point at Lindung
//! unchanged. Unlike HMA, every route needs a `platform` or `admin` token. Errors have the one
//! JSON shape, but a value that fails validation is a 400 `bad_request` (naming the field), as
//! HMA answers it, rather than the native API's 422.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{FromRef, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pdq::Hash256;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::BanksContext;
use super::api::add_content_synced;
use super::entities::bank;
use super::matcher::BankMatch;
use super::store::{self as banks, ContentMeta, NewSignal, SignalType};
use crate::http::MAX_BODY_BYTES;
use crate::http::limits::{self};
use crate::http::{
    Access, ApiError, ApiResult, Caller, Endpoint, Json, Multipart, PLATFORM_OR_ADMIN, Path, Query,
    fingerprint_upload, fingerprint_video_upload, read_upload_of,
};

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    BanksContext: FromRef<S>,
{
    let hma = Access::Roles(PLATFORM_OR_ADMIN);
    vec![
        Endpoint::post("/h/hash", hma, hash_upload)
            .with_body_limit(MAX_BODY_BYTES)
            .from_memory(),
        Endpoint::get("/m/lookup", hma, lookup_get).from_memory(),
        Endpoint::post("/m/lookup", hma, lookup_upload)
            .with_body_limit(MAX_BODY_BYTES)
            .from_memory(),
        Endpoint::get("/m/raw_lookup", hma, raw_lookup).from_memory(),
        Endpoint::get("/c/banks", hma, list_banks),
        Endpoint::post("/c/banks", hma, create_bank),
        Endpoint::get("/c/bank/{name}", hma, get_bank),
        Endpoint::put("/c/bank/{name}", hma, update_bank),
        Endpoint::delete("/c/bank/{name}", hma, delete_bank),
        Endpoint::post("/c/bank/{name}/signal", hma, add_signal)
            .with_body_limit(limits::SIGNALS_BODY),
        Endpoint::post("/c/bank/{name}/content", hma, add_content_upload)
            .with_body_limit(MAX_BODY_BYTES),
    ]
    .into_iter()
    .map(|endpoint| endpoint.map(|router| router.layer(axum::middleware::from_fn(as_hma_answers))))
    .collect()
}

/// HMA answers a value that fails validation with 400: the native API's 422 `invalid` becomes
/// a 400 `bad_request`, with the same message and field. Other errors pass unchanged.
async fn as_hma_answers(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::UNPROCESSABLE_ENTITY {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Our own error bodies are a few hundred bytes.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return ApiError::bad_request("the request is not valid").into_response();
    };
    let mut answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if answer["error"]["code"] != "invalid" {
        return Response::from_parts(parts, Body::from(bytes));
    }
    answer["error"]["code"] = "bad_request".into();
    parts.status = StatusCode::BAD_REQUEST;
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(answer.to_string()))
}

/// An uploaded file, by HMA's multipart field: `photo` or `video`.
enum Media {
    Photo(Vec<u8>),
    Video(Vec<u8>),
}

async fn media(multipart: Multipart) -> ApiResult<Media> {
    let upload = read_upload_of(multipart, &["photo", "video"]).await?;
    match (upload.file, upload.file_field) {
        (Some(bytes), "video") => Ok(Media::Video(bytes)),
        (Some(bytes), _) => Ok(Media::Photo(bytes)),
        (None, _) => Err(ApiError::invalid(
            "photo",
            "send the file as a multipart field named `photo` or `video`",
        )),
    }
}

async fn hash_upload(multipart: Multipart) -> ApiResult<Json<Value>> {
    Ok(Json(match media(multipart).await? {
        Media::Photo(bytes) => {
            let fp = fingerprint_upload(bytes, false).await?;
            json!({"pdq": fp.pdq.hash.to_string()})
        }
        Media::Video(bytes) => {
            let fp = fingerprint_video_upload(bytes).await?;
            json!({
                "video_md5": fp.digests.md5_hex(),
                "vpdq": lindung_media::vpdq::to_signal(&fp.frames),
            })
        }
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalQuery {
    signal_type: Option<String>,
    signal: Option<String>,
    include_distance: Option<String>,
    /// A PDQ distance to search every bank at instead of its own threshold (not in HMA; only
    /// an admin may ask for more than a bank's threshold).
    radius: Option<u32>,
}

/// What `signal` of `signal_type` matches in the banks `caller` may search, with the signal
/// type it matched by.
fn matches_for(
    ctx: &BanksContext,
    caller: &Caller,
    signal_type: &str,
    signal: &str,
    radius: Option<u32>,
) -> ApiResult<Vec<(BankMatch, &'static str)>> {
    let matcher = ctx.ready()?;
    let scope = ctx.scope(&caller.principal);
    ctx.check_radius(&caller.principal, &scope, "radius", radius)?;
    let kind = SignalType::parse(signal_type).map_err(|_| {
        ApiError::invalid(
            "signal_type",
            format!(
                "No such SignalType '{}'",
                signal_type.chars().take(40).collect::<String>()
            ),
        )
    })?;
    let found = match kind {
        SignalType::Pdq => {
            let hash = Hash256::parse(signal.trim())
                .map_err(|e| ApiError::invalid("signal", format!("invalid pdq signal: {e}")))?;
            matcher.lookup_pdq(&[hash], radius, &scope)
        }
        SignalType::Vpdq => matcher.lookup_vpdq(&super::lookup_frames("signal", signal)?, &scope),
        SignalType::Md5 | SignalType::VideoMd5 | SignalType::Sha256 => {
            let normalised = NewSignal::new(kind, signal, None)
                .map_err(|e| ApiError::invalid("signal", e.to_string()))?;
            matcher.lookup_digest(kind.as_str(), &normalised.value, &scope)
        }
    };
    Ok(found.into_iter().map(|m| (m, kind.as_str())).collect())
}

/// Tells the match listeners what a lookup through `route` found.
async fn publish(
    ctx: &BanksContext,
    caller: &Caller,
    route: &'static str,
    matches: &[(BankMatch, &'static str)],
) {
    ctx.publish(
        &caller.principal,
        route,
        matches.iter().map(|(m, kind)| (m, *kind)),
    )
    .await;
}

fn only_matches(found: Vec<(BankMatch, &'static str)>) -> Vec<BankMatch> {
    found.into_iter().map(|(m, _)| m).collect()
}

fn by_bank(matches: &[BankMatch]) -> Value {
    let mut grouped: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for m in matches {
        grouped
            .entry(m.bank.as_str())
            .or_default()
            .push(match m.video {
                // pytx's VPDQSimilarityInfo fields.
                Some(score) => json!({
                    "bank_content_id": m.content_id,
                    "query_match_percent": score.query_match_pct,
                    "compared_match_percent": score.target_match_pct,
                }),
                None => {
                    json!({"bank_content_id": m.content_id, "distance": m.distance.to_string()})
                }
            });
    }
    json!(grouped)
}

fn required<'a>(value: &'a Option<String>, name: &'static str) -> ApiResult<&'a str> {
    value
        .as_deref()
        .ok_or_else(|| ApiError::invalid(name, format!("missing required parameter `{name}`")))
}

async fn lookup_get(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Query(q): Query<SignalQuery>,
) -> ApiResult<Json<Value>> {
    let found = matches_for(
        &ctx,
        &caller,
        required(&q.signal_type, "signal_type")?,
        required(&q.signal, "signal")?,
        q.radius,
    )?;
    publish(&ctx, &caller, "/m/lookup", &found).await;
    Ok(Json(by_bank(&only_matches(found))))
}

async fn lookup_upload(
    State(ctx): State<BanksContext>,
    caller: Caller,
    multipart: Multipart,
) -> ApiResult<Json<Value>> {
    Ok(Json(match media(multipart).await? {
        Media::Photo(bytes) => {
            let fp = fingerprint_upload(bytes, false).await?;
            let found = matches_for(&ctx, &caller, "pdq", &fp.pdq.hash.to_string(), None)?;
            publish(&ctx, &caller, "/m/lookup", &found).await;
            json!({"pdq": by_bank(&only_matches(found))})
        }
        Media::Video(bytes) => {
            let fp = fingerprint_video_upload(bytes).await?;
            let mut found = matches_for(&ctx, &caller, "video_md5", &fp.digests.md5_hex(), None)?;
            let by_file = found.len();
            found.extend(
                ctx.ready()?
                    .lookup_vpdq(&fp.frames, &ctx.scope(&caller.principal))
                    .into_iter()
                    .map(|m| (m, SignalType::Vpdq.as_str())),
            );
            publish(&ctx, &caller, "/m/lookup", &found).await;
            let by_frames = only_matches(found.split_off(by_file));
            json!({"vpdq": by_bank(&by_frames), "video_md5": by_bank(&only_matches(found))})
        }
    }))
}

async fn raw_lookup(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Query(q): Query<SignalQuery>,
) -> ApiResult<Json<Value>> {
    let found = matches_for(
        &ctx,
        &caller,
        required(&q.signal_type, "signal_type")?,
        required(&q.signal, "signal")?,
        q.radius,
    )?;
    publish(&ctx, &caller, "/m/raw_lookup", &found).await;
    let matches = only_matches(found);
    let with_distance = matches!(q.include_distance.as_deref(), Some("true" | "1" | "yes"));
    let list: Vec<Value> = matches
        .iter()
        .map(|m| {
            if with_distance {
                json!({"content_id": m.content_id, "distance": m.distance.to_string()})
            } else {
                json!(m.content_id)
            }
        })
        .collect();
    Ok(Json(json!({"matches": list})))
}

#[derive(Serialize)]
struct HmaBank {
    name: String,
    matching_enabled_ratio: f64,
    pdq_threshold: i32,
}

fn hma_bank(b: &bank::Model) -> HmaBank {
    HmaBank {
        name: b.name.clone(),
        matching_enabled_ratio: if b.enabled { 1.0 } else { 0.0 },
        pdq_threshold: b.pdq_threshold,
    }
}

async fn list_banks(
    State(ctx): State<BanksContext>,
    caller: Caller,
) -> ApiResult<Json<Vec<HmaBank>>> {
    let listed = banks::listed_banks(&ctx.store, &caller.principal)
        .await?
        .all(ctx.store.db())
        .await?;
    Ok(Json(listed.iter().map(hma_bank).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BankBody {
    name: Option<String>,
    enabled_ratio: Option<f64>,
    enabled: Option<bool>,
    pdq_threshold: Option<i32>,
}

impl BankBody {
    fn enabled(&self) -> Option<bool> {
        self.enabled.or(self.enabled_ratio.map(|r| r > 0.0))
    }
}

async fn create_bank(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Json(body): Json<BankBody>,
) -> ApiResult<(StatusCode, Json<HmaBank>)> {
    let name = required(&body.name, "name")?;
    let created = banks::create_bank(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        name,
        body.pdq_threshold,
        body.enabled() != Some(false),
        banks::BankSharing::Private,
    )
    .await?;
    ctx.sync().await?;
    Ok((StatusCode::CREATED, Json(hma_bank(&created))))
}

async fn visible_bank(ctx: &BanksContext, caller: &Caller, name: &str) -> ApiResult<bank::Model> {
    Ok(banks::visible_bank(&ctx.store, &caller.principal, name).await?)
}

async fn get_bank(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<HmaBank>> {
    Ok(Json(hma_bank(&visible_bank(&ctx, &caller, &name).await?)))
}

async fn update_bank(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<BankBody>,
) -> ApiResult<Json<HmaBank>> {
    visible_bank(&ctx, &caller, &name).await?;
    let updated = banks::update_bank(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        &name,
        banks::BankUpdate {
            name: body.name.as_deref(),
            enabled: body.enabled(),
            pdq_threshold: body.pdq_threshold,
            sharing: None,
        },
    )
    .await?;
    ctx.sync().await?;
    Ok(Json(hma_bank(&updated)))
}

async fn delete_bank(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    visible_bank(&ctx, &caller, &name).await?;
    banks::delete_bank(&ctx.store, &caller.actor(), &caller.principal, &name).await?;
    ctx.sync().await?;
    Ok(Json(json!({"message": "Done"})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalBody {
    pdq: Option<String>,
    md5: Option<String>,
    video_md5: Option<String>,
    sha256: Option<String>,
    vpdq: Option<String>,
    note: Option<String>,
    category: Option<String>,
    tags: Option<Vec<String>>,
}

fn content_response(content_id: i64, signals: &[NewSignal]) -> Json<Value> {
    let map: BTreeMap<&str, &str> = signals
        .iter()
        .map(|s| (s.kind.as_str(), s.value.as_str()))
        .collect();
    Json(json!({"id": content_id, "signals": map}))
}

async fn add_signal(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<SignalBody>,
) -> ApiResult<Json<Value>> {
    visible_bank(&ctx, &caller, &name).await?;
    let signals = NewSignal::from_fields(
        [
            (SignalType::Pdq, body.pdq.as_deref()),
            (SignalType::Md5, body.md5.as_deref()),
            (SignalType::VideoMd5, body.video_md5.as_deref()),
            (SignalType::Sha256, body.sha256.as_deref()),
            (SignalType::Vpdq, body.vpdq.as_deref()),
        ],
        None,
    )?;
    let meta = ContentMeta::from_api(body.note, body.category, body.tags);
    let added = add_content_synced(&ctx, &caller, &name, &meta, &signals).await?;
    Ok(content_response(added.content_id, &signals))
}

async fn add_content_upload(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Path(name): Path<String>,
    multipart: Multipart,
) -> ApiResult<Json<Value>> {
    visible_bank(&ctx, &caller, &name).await?;
    let signals = match media(multipart).await? {
        Media::Photo(bytes) => banks::image_signals(&fingerprint_upload(bytes, false).await?)?,
        Media::Video(bytes) => banks::video_signals(&fingerprint_video_upload(bytes).await?)?,
    };
    let meta = ContentMeta {
        source: "upload".into(),
        ..ContentMeta::default()
    };
    let added = add_content_synced(&ctx, &caller, &name, &meta, &signals).await?;
    Ok(content_response(added.content_id, &signals))
}
