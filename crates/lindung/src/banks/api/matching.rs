//! Matching and hashing through the native API: signals, uploaded images and videos (hashed
//! in memory, never stored), each match with its content's metadata, and a match event for the
//! listeners.

use std::collections::BTreeMap;

use pdq::Hash256;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;
use crate::banks::entities::content;
use crate::banks::matcher::BankMatch;
use crate::banks::store::{NewSignal, SignalType};
use crate::http::{fingerprint_upload, fingerprint_video_upload, read_upload};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    /// PDQ hashes: of one image, the hash or its 8 dihedral variants (each signal is reported
    /// once, at its closest distance); at most 1000.
    pub pdq: Option<Vec<String>>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
    /// The MD5 of a video file (matched against `md5` and `video_md5` signals alike).
    pub video_md5: Option<String>,
    /// A video's `vpdq` signal string, matched with python-threatexchange's semantics; at most
    /// 10800 frames.
    pub vpdq: Option<String>,
    /// Searches every bank at this PDQ distance instead of its own threshold (0 to 64). Only an
    /// admin may ask for more than the threshold of a bank searched.
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
pub(super) async fn match_signals(
    State(ctx): State<BanksContext>,
    caller: Caller,
    Json(body): Json<MatchRequest>,
) -> ApiResult<Json<MatchResponse>> {
    let matcher = ctx.ready()?;
    let scope = ctx.scope(&caller.principal);
    ctx.check_radius(&caller.principal, &scope, "radius", body.radius)?;
    let mut matches = Vec::new();
    if let Some(hashes) = &body.pdq {
        crate::banks::check_hash_count("pdq", hashes.len())?;
        let queries = hashes
            .iter()
            .enumerate()
            .map(|(i, h)| {
                Hash256::parse(h.trim())
                    .map_err(|e| ApiError::invalid(format!("pdq[{i}]"), format!("pdq {h:?}: {e}")))
            })
            .collect::<ApiResult<Vec<Hash256>>>()?;
        matches.extend(found_by(
            matcher.lookup_pdq(&queries, body.radius, &scope),
            "pdq",
        ));
    }
    if let Some(signal) = &body.vpdq {
        let frames = crate::banks::lookup_frames("vpdq", signal)?;
        matches.extend(found_by(matcher.lookup_vpdq(&frames, &scope), "vpdq"));
    }
    for (kind, value) in [
        (SignalType::Md5, &body.md5),
        (SignalType::Sha256, &body.sha256),
        (SignalType::VideoMd5, &body.video_md5),
    ] {
        if let Some(v) = value {
            let normalised = NewSignal::new(kind, v, None)?;
            matches.extend(found_by(
                matcher.lookup_digest(kind.as_str(), &normalised.value, &scope),
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
pub(super) async fn hash_image(multipart: Multipart) -> ApiResult<Json<ImageHashes>> {
    Ok(Json(image_hashes(multipart).await?.0))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImageMatchResponse {
    pub hashes: ImageHashes,
    pub matches: Vec<MatchResult>,
}

#[utoipa::path(post, path = "/api/v1/match/image", tag = "banks", request_body(content_type = "multipart/form-data", description = "`photo`: the image; `dihedral`: `true` to match rotations and mirror images too"), responses((status = 200, body = ImageMatchResponse), (status = 503, description = "index still loading")), security(("bearer" = [])))]
pub(super) async fn match_image(
    State(ctx): State<BanksContext>,
    caller: Caller,
    multipart: Multipart,
) -> ApiResult<Json<ImageMatchResponse>> {
    let matcher = ctx.ready()?;
    let (hashes, queries) = image_hashes(multipart).await?;
    let scope = ctx.scope(&caller.principal);
    let mut matches: Vec<(BankMatch, &str)> =
        found_by(matcher.lookup_pdq(&queries, None, &scope), "pdq").collect();
    matches.extend(found_by(
        matcher.lookup_digest("md5", &hashes.md5, &scope),
        "md5",
    ));
    matches.extend(found_by(
        matcher.lookup_digest("sha256", &hashes.sha256, &scope),
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
pub(super) async fn hash_video(multipart: Multipart) -> ApiResult<Json<VideoHashes>> {
    Ok(Json(video_upload(multipart).await?.0))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VideoMatchResponse {
    pub hashes: VideoHashes,
    pub matches: Vec<MatchResult>,
}

#[utoipa::path(post, path = "/api/v1/match/video", tag = "banks", request_body(content_type = "multipart/form-data", description = "`video`: the video file; it is hashed and deleted, never stored"), responses((status = 200, body = VideoMatchResponse), (status = 422, description = "not a readable video, or over the limits"), (status = 503, description = "index still loading")), security(("bearer" = [])))]
pub(super) async fn match_video(
    State(ctx): State<BanksContext>,
    caller: Caller,
    multipart: Multipart,
) -> ApiResult<Json<VideoMatchResponse>> {
    let matcher = ctx.ready()?;
    let (hashes, fp) = video_upload(multipart).await?;
    let scope = ctx.scope(&caller.principal);
    let mut matches: Vec<(BankMatch, &str)> =
        found_by(matcher.lookup_vpdq(&fp.frames, &scope), "vpdq").collect();
    matches.extend(found_by(
        matcher.lookup_digest("md5", &hashes.md5, &scope),
        "md5",
    ));
    let matches = published(&ctx, &caller, "/api/v1/match/video", matches).await;
    Ok(Json(VideoMatchResponse {
        matches: with_metadata(&ctx, matches).await?,
        hashes,
    }))
}
