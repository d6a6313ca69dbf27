//! Uploaded files: multipart forms, and images and videos hashed off the async threads. Nothing
//! uploaded is ever stored here.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::StatusCode;
use lindung_media::video::{VideoError, VideoFingerprint, VideoLimits};

use super::{ApiError, ApiResult, Multipart};

/// Uploads are single images or videos; hash lists are imported through the CLI or in pages.
pub const MAX_BODY_BYTES: usize = 70 * 1024 * 1024;

/// Limits for uploaded videos: the body limit bounds the size; decoding one video may take at
/// most two minutes of a worker thread.
pub const UPLOAD_VIDEO_LIMITS: VideoLimits = VideoLimits {
    max_file_bytes: MAX_BODY_BYTES as u64,
    max_duration_seconds: 4.0 * 3600.0,
    max_pixels: 8192 * 8192,
    time_limit: Duration::from_secs(120),
};

/// Hashes an uploaded image off the async threads. The image is never stored.
pub async fn fingerprint_upload(
    bytes: Vec<u8>,
    dihedral: bool,
) -> ApiResult<lindung_media::Fingerprint> {
    let options = lindung_media::Options {
        dihedral,
        ..lindung_media::Options::default()
    };
    tokio::task::spawn_blocking(move || {
        lindung_media::Fingerprinter::new(options).fingerprint_bytes(&bytes)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable_image",
            e.to_string(),
        )
    })
}

/// A multipart form: the CSRF field, one file field (absent if empty), and text fields.
#[derive(Debug)]
pub struct Upload {
    pub csrf: Option<String>,
    pub file: Option<Vec<u8>>,
    /// Which of the accepted file fields held the file.
    pub file_field: &'static str,
    pub fields: HashMap<String, String>,
}

pub async fn read_upload(multipart: Multipart, file_field: &'static str) -> ApiResult<Upload> {
    read_upload_of(multipart, &[file_field]).await
}

/// Reads a form whose file may come in any one of `file_fields` (HMA sends `photo` or `video`).
pub async fn read_upload_of(
    Multipart(mut multipart): Multipart,
    file_fields: &[&'static str],
) -> ApiResult<Upload> {
    let mut upload = Upload {
        csrf: None,
        file: None,
        file_field: "",
        fields: HashMap::new(),
    };
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("malformed form: {e}")))?
    {
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request(format!("reading the form: {e}")))?;
        if let Some(&file_field) = file_fields.iter().find(|f| **f == name) {
            if !bytes.is_empty() {
                if upload.file.is_some() {
                    return Err(ApiError::invalid(
                        file_field,
                        format!(
                            "send one file, in one of the fields {}",
                            file_fields.join(" or ")
                        ),
                    ));
                }
                upload.file = Some(bytes.to_vec());
                upload.file_field = file_field;
            }
        } else if name == "csrf" {
            upload.csrf = Some(String::from_utf8_lossy(&bytes).into_owned());
        } else {
            upload
                .fields
                .insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    Ok(upload)
}

/// Hashes an uploaded video: vPDQ at one hash per second (the reference's default) and the
/// file's digests. FFmpeg needs a seekable file (an MP4's index is often at its end), so the
/// bytes go to a private temporary file that is deleted as soon as hashing ends, on every path;
/// nothing else of the video is kept.
pub async fn fingerprint_video_upload(bytes: Vec<u8>) -> ApiResult<VideoFingerprint> {
    tokio::task::spawn_blocking(move || {
        let digests = lindung_media::Digests::of(&bytes);
        let mut file = tempfile::NamedTempFile::new().map_err(ApiError::internal)?;
        std::io::Write::write_all(&mut file, &bytes).map_err(ApiError::internal)?;
        drop(bytes);
        let (info, frames) =
            lindung_media::video::hash_video(file.path(), 1.0, &UPLOAD_VIDEO_LIMITS)
                .map_err(|e| video_refusal(e, file.path()))?;
        Ok(VideoFingerprint {
            info,
            frames,
            digests,
        })
    })
    .await
    .map_err(ApiError::internal)?
}

/// A video that could not be hashed, as the client is told: what was wrong with it, never
/// where the server kept it (the temporary file's path stays in the log).
fn video_refusal(error: VideoError, path: &std::path::Path) -> ApiError {
    match error {
        VideoError::NoFfmpeg(_) | VideoError::Io(_) => ApiError::internal(error),
        _ => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable_video",
            lindung_media::video::scrub_path(&error.to_string(), path),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_video_names_no_temporary_file() {
        let file = tempfile::NamedTempFile::new().expect("temp");
        let path = file.path().to_owned();
        let shown = path.display().to_string();
        for error in [
            VideoError::Corrupt(format!("{shown}: Invalid data found when processing input")),
            VideoError::Corrupt(format!("file:{shown}: moov atom not found")),
            VideoError::Io(std::io::Error::other(format!("cannot open {shown}"))),
            VideoError::NoFfmpeg(std::io::Error::other(shown.clone())),
        ] {
            let answer = video_refusal(error, &path);
            assert!(
                !answer.message.contains(&shown) && !answer.message.contains(".tmp"),
                "{}",
                answer.message
            );
        }
    }
}
