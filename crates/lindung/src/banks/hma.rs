//! HMA-compatible routes (HMA 1.1.x shapes), so that existing HMA clients can point at Lindung
//! unchanged. Unlike HMA, every route needs a `platform` or `admin` token.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use pdq::Hash256;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::api::{add_content_synced, alert_care};
use super::entities::bank;
use super::matcher::BankMatch;
use super::store::{self as banks, ContentMeta, NewSignal, SignalType};
use crate::web::{Access, ApiError, ApiResult, AppState, Caller, Endpoint, PLATFORM_OR_ADMIN};

pub fn endpoints() -> Vec<Endpoint> {
    let hma = Access::Roles(PLATFORM_OR_ADMIN);
    vec![
        Endpoint::new("POST", "/h/hash", hma, || post(hash_upload)),
        Endpoint::new("GET", "/m/lookup", hma, || get(lookup_get)),
        Endpoint::new("POST", "/m/lookup", hma, || post(lookup_upload)),
        Endpoint::new("GET", "/m/raw_lookup", hma, || get(raw_lookup)),
        Endpoint::new("GET", "/c/banks", hma, || get(list_banks)),
        Endpoint::new("POST", "/c/banks", hma, || post(create_bank)),
        Endpoint::new("GET", "/c/bank/{name}", hma, || get(get_bank)),
        Endpoint::new("PUT", "/c/bank/{name}", hma, || put(update_bank)),
        Endpoint::new("DELETE", "/c/bank/{name}", hma, || delete(delete_bank)),
        Endpoint::new("POST", "/c/bank/{name}/signal", hma, || post(add_signal)),
        Endpoint::new("POST", "/c/bank/{name}/content", hma, || {
            post(add_content_upload)
        }),
    ]
}

/// An uploaded file, by HMA's multipart field: `photo` or `video`.
enum Media {
    Photo(Vec<u8>),
    Video(Vec<u8>),
}

async fn media(multipart: Multipart) -> ApiResult<Media> {
    let upload = crate::web::read_upload_of(multipart, &["photo", "video"]).await?;
    match (upload.file, upload.file_field) {
        (Some(bytes), "video") => Ok(Media::Video(bytes)),
        (Some(bytes), _) => Ok(Media::Photo(bytes)),
        (None, _) => Err(ApiError::bad_request(
            "send the file as a multipart field named `photo` or `video`",
        )),
    }
}

async fn hash_upload(multipart: Multipart) -> ApiResult<Json<Value>> {
    Ok(Json(match media(multipart).await? {
        Media::Photo(bytes) => {
            let fp = crate::web::fingerprint_upload(bytes, false).await?;
            json!({"pdq": fp.pdq.hash.to_string()})
        }
        Media::Video(bytes) => {
            let fp = crate::web::fingerprint_video_upload(bytes).await?;
            json!({
                "video_md5": fp.digests.md5_hex(),
                "vpdq": lindung_media::vpdq::to_signal(&fp.frames),
            })
        }
    }))
}

#[derive(Deserialize)]
struct SignalQuery {
    signal_type: Option<String>,
    signal: Option<String>,
    include_distance: Option<String>,
}

fn matches_for(state: &AppState, signal_type: &str, signal: &str) -> ApiResult<Vec<BankMatch>> {
    if !state.matcher.is_loaded() {
        return Err(ApiError::unavailable("index not yet ready"));
    }
    match signal_type {
        "pdq" => {
            let hash = Hash256::parse(signal.trim())
                .map_err(|e| ApiError::bad_request(format!("invalid pdq signal: {e}")))?;
            Ok(state.matcher.lookup_pdq(&[hash], None))
        }
        "vpdq" => {
            let frames = lindung_media::vpdq::parse_signal(signal.trim())
                .map_err(|e| ApiError::bad_request(format!("invalid vpdq signal: {e}")))?;
            Ok(state.matcher.lookup_vpdq(&frames))
        }
        "md5" | "video_md5" | "sha256" => {
            let kind = SignalType::parse(signal_type)?;
            let normalised = NewSignal::new(kind, signal, None)?;
            Ok(state.matcher.lookup_digest(signal_type, &normalised.value))
        }
        other => Err(ApiError::bad_request(format!(
            "No such SignalType '{other}'"
        ))),
    }
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

fn required<'a>(value: &'a Option<String>, name: &str) -> ApiResult<&'a str> {
    value
        .as_deref()
        .ok_or_else(|| ApiError::bad_request(format!("missing required parameter `{name}`")))
}

async fn lookup_get(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<SignalQuery>,
) -> ApiResult<Json<Value>> {
    let matches = matches_for(
        &state,
        required(&q.signal_type, "signal_type")?,
        required(&q.signal, "signal")?,
    )?;
    alert_care(&state, &caller, &matches).await;
    Ok(Json(by_bank(&matches)))
}

async fn lookup_upload(
    State(state): State<AppState>,
    caller: Caller,
    multipart: Multipart,
) -> ApiResult<Json<Value>> {
    Ok(Json(match media(multipart).await? {
        Media::Photo(bytes) => {
            let fp = crate::web::fingerprint_upload(bytes, false).await?;
            let matches = matches_for(&state, "pdq", &fp.pdq.hash.to_string())?;
            alert_care(&state, &caller, &matches).await;
            json!({"pdq": by_bank(&matches)})
        }
        Media::Video(bytes) => {
            let fp = crate::web::fingerprint_video_upload(bytes).await?;
            let by_file = matches_for(&state, "video_md5", &fp.digests.md5_hex())?;
            // `matches_for` has checked that the index is loaded.
            let by_frames = state.matcher.lookup_vpdq(&fp.frames);
            alert_care(&state, &caller, by_frames.iter().chain(&by_file)).await;
            json!({"vpdq": by_bank(&by_frames), "video_md5": by_bank(&by_file)})
        }
    }))
}

async fn raw_lookup(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<SignalQuery>,
) -> ApiResult<Json<Value>> {
    let matches = matches_for(
        &state,
        required(&q.signal_type, "signal_type")?,
        required(&q.signal, "signal")?,
    )?;
    alert_care(&state, &caller, &matches).await;
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
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<HmaBank>>> {
    let all = banks::list_banks(&state.store).await?;
    Ok(Json(
        all.iter()
            .filter(|b| banks::may_manage(&caller.principal, b))
            .map(hma_bank)
            .collect(),
    ))
}

#[derive(Deserialize)]
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
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<BankBody>,
) -> ApiResult<(StatusCode, Json<HmaBank>)> {
    let name = required(&body.name, "name")?;
    let created = banks::create_bank(
        &state.store,
        &caller.actor(),
        &caller.principal,
        name,
        body.pdq_threshold,
        body.enabled() != Some(false),
    )
    .await?;
    state.matcher.sync(&state.store).await?;
    Ok((StatusCode::CREATED, Json(hma_bank(&created))))
}

async fn visible_bank(state: &AppState, caller: &Caller, name: &str) -> ApiResult<bank::Model> {
    Ok(banks::visible_bank(&state.store, &caller.principal, name).await?)
}

async fn get_bank(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<HmaBank>> {
    Ok(Json(hma_bank(&visible_bank(&state, &caller, &name).await?)))
}

async fn update_bank(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<BankBody>,
) -> ApiResult<Json<HmaBank>> {
    visible_bank(&state, &caller, &name).await?;
    let updated = banks::update_bank(
        &state.store,
        &caller.actor(),
        &caller.principal,
        &name,
        body.name.as_deref(),
        body.enabled(),
        body.pdq_threshold,
    )
    .await?;
    state.matcher.sync(&state.store).await?;
    Ok(Json(hma_bank(&updated)))
}

async fn delete_bank(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    visible_bank(&state, &caller, &name).await?;
    banks::delete_bank(&state.store, &caller.actor(), &caller.principal, &name).await?;
    state.matcher.sync(&state.store).await?;
    Ok(Json(json!({"message": "Done"})))
}

#[derive(Deserialize)]
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
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(body): Json<SignalBody>,
) -> ApiResult<Json<Value>> {
    visible_bank(&state, &caller, &name).await?;
    let mut signals = Vec::new();
    for (kind, value) in [
        (SignalType::Pdq, &body.pdq),
        (SignalType::Md5, &body.md5),
        (SignalType::VideoMd5, &body.video_md5),
        (SignalType::Sha256, &body.sha256),
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
    let added = add_content_synced(&state, &caller, &name, &meta, &signals).await?;
    Ok(content_response(added.content_id, &signals))
}

async fn add_content_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    multipart: Multipart,
) -> ApiResult<Json<Value>> {
    visible_bank(&state, &caller, &name).await?;
    let signals = match media(multipart).await? {
        Media::Photo(bytes) => {
            banks::image_signals(&crate::web::fingerprint_upload(bytes, false).await?)?
        }
        Media::Video(bytes) => {
            banks::video_signals(&crate::web::fingerprint_video_upload(bytes).await?)?
        }
    };
    let meta = ContentMeta {
        source: "upload".into(),
        ..ContentMeta::default()
    };
    let added = add_content_synced(&state, &caller, &name, &meta, &signals).await?;
    Ok(content_response(added.content_id, &signals))
}
