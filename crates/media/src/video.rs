//! Video frames through Debian's `ffmpeg` and `ffprobe` programs, hashed with PDQ as vPDQ.
//!
//! Piping raw RGB frames from the `ffmpeg` program keeps FFmpeg in its own process: a decoder
//! crash or hang on hostile input cannot take the caller down, a time limit is a `kill`, and the
//! build needs no libclang or FFmpeg headers. The cost is one frame copy through a pipe, small
//! next to decoding.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pdq::{Hasher, ImageRef, PixelFormat};

use crate::vpdq::VpdqFrame;

/// Limits for one video.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoLimits {
    /// Files larger than this are refused before decoding.
    pub max_file_bytes: u64,
    /// Videos longer than this (seconds, from the container) are refused.
    pub max_duration_seconds: f64,
    /// Frames with more pixels than this are refused.
    pub max_pixels: u64,
    /// Decoding that takes longer is stopped.
    pub time_limit: Duration,
}

impl Default for VideoLimits {
    fn default() -> Self {
        VideoLimits {
            max_file_bytes: 2 << 30,
            max_duration_seconds: 4.0 * 3600.0,
            max_pixels: 8192 * 8192,
            time_limit: Duration::from_secs(600),
        }
    }
}

/// Why a video could not be hashed.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // Each message says what the variant means.
pub enum VideoError {
    #[error("cannot read {0}")]
    Io(#[from] std::io::Error),
    #[error("ffmpeg/ffprobe is not installed (Debian package `ffmpeg`): {0}")]
    NoFfmpeg(std::io::Error),
    #[error("file is {size} bytes, over the {limit}-byte limit")]
    FileTooLarge { size: u64, limit: u64 },
    #[error("not a readable video: {0}")]
    Corrupt(String),
    #[error("video is {seconds:.0} s long, over the {limit:.0}-second limit")]
    TooLong { seconds: f64, limit: f64 },
    #[error("frames are {width}x{height}, over the {limit}-pixel limit")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    #[error("decoding took longer than {0:?} and was stopped")]
    TimedOut(Duration),
}

/// What `ffprobe` says about the first video stream.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoInfo {
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Average frame rate.
    pub fps: f64,
    /// Container duration (0 when unknown).
    pub duration_seconds: f64,
}

fn rate(text: &str) -> Option<f64> {
    let (n, d) = text.split_once('/').unwrap_or((text, "1"));
    let (n, d): (f64, f64) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
    (d > 0.0 && n > 0.0).then(|| n / d)
}

/// A video's fingerprints: its vPDQ frames, what the container says about it, and the file's
/// digests. The command line and the server's uploads both produce it.
#[derive(Clone, Debug)]
pub struct VideoFingerprint {
    /// The first video stream's size, frame rate and duration.
    pub info: VideoInfo,
    /// The hashed frames, in order.
    pub frames: Vec<VpdqFrame>,
    /// MD5 and SHA-256 of the whole file.
    pub digests: crate::Digests,
}

/// Probes the first video stream.
pub fn probe(path: &Path) -> Result<VideoInfo, VideoError> {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .arg("stream=width,height,avg_frame_rate,r_frame_rate:format=duration")
        .args(["-of", "json"])
        .arg(path)
        .output()
        .map_err(VideoError::NoFfmpeg)?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        return Err(VideoError::Corrupt(if message.is_empty() {
            "ffprobe failed".into()
        } else {
            message
        }));
    }
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| VideoError::Corrupt(format!("unexpected ffprobe output: {e}")))?;
    let stream = &json["streams"][0];
    let width = stream["width"]
        .as_u64()
        .ok_or_else(|| VideoError::Corrupt("no video stream".into()))?;
    let height = stream["height"]
        .as_u64()
        .ok_or_else(|| VideoError::Corrupt("no video stream".into()))?;
    let fps = stream["avg_frame_rate"]
        .as_str()
        .and_then(rate)
        .or_else(|| stream["r_frame_rate"].as_str().and_then(rate))
        .ok_or_else(|| VideoError::Corrupt("no frame rate".into()))?;
    let duration = json["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse::<f64>().ok())
        .unwrap_or(0.0);
    Ok(VideoInfo {
        width: u32::try_from(width).map_err(|_| VideoError::Corrupt("width".into()))?,
        height: u32::try_from(height).map_err(|_| VideoError::Corrupt("height".into()))?,
        fps,
        duration_seconds: duration,
    })
}

/// Hashes a video as vPDQ: PDQ of every frame whose number is a multiple of
/// `frame_mod = max(1, int(seconds_per_hash * fps))` (0 seconds: every frame), at full frame
/// size, with the frame number, quality and timestamp `frame / fps`.
pub fn hash_video(
    path: &Path,
    seconds_per_hash: f64,
    limits: &VideoLimits,
) -> Result<(VideoInfo, Vec<VpdqFrame>), VideoError> {
    check_file_size(path, limits)?;
    let info = probe(path)?;
    check_info(&info, limits)?;
    let pixels = u64::from(info.width) * u64::from(info.height);
    let frame_mod = ((seconds_per_hash * info.fps) as u64).max(1);
    let mut command = Command::new("ffmpeg");
    command
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-map", "0:v:0"]);
    if frame_mod > 1 {
        // Every frame is decoded, but only sampled ones are converted to RGB and piped: the
        // k-th output frame is decoded frame k * frame_mod (passthrough: no frame is dropped or
        // duplicated to fit a rate).
        command
            .arg("-vf")
            .arg(format!("select=not(mod(n\\,{frame_mod}))"))
            .args(["-fps_mode", "passthrough"]);
    }
    let mut child = command
        // Area scaling, as the reference vPDQ hasher converts frames to RGB.
        .args([
            "-sws_flags",
            "area",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(VideoError::NoFfmpeg)?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| VideoError::Corrupt("no output pipe".into()))?;
    let started = Instant::now();
    let deadline_child = child.id();
    let time_limit = limits.time_limit;
    // A watchdog kills ffmpeg at the time limit, which ends the read loop below.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(time_limit).is_err() {
            let _ = Command::new("kill")
                .args(["-KILL", &deadline_child.to_string()])
                .status();
            return true;
        }
        false
    });
    let frame_bytes = pixels as usize * 3;
    let mut buffer = vec![0u8; frame_bytes];
    let mut hasher = Hasher::new();
    let mut frames = Vec::new();
    // Output frames come already sampled when frame_mod > 1.
    let step = frame_mod;
    let mut number = 0u64;
    let mut failure = None;
    loop {
        match read_full(&mut stdout, &mut buffer) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                failure = Some(VideoError::Io(e));
                break;
            }
        }
        frames.push(hash_frame(
            &mut hasher,
            &buffer,
            (info.width as usize, info.height as usize),
            number,
            info.fps,
        )?);
        number += step;
    }
    let status = child.wait()?;
    let _ = done_tx.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    if timed_out || started.elapsed() > limits.time_limit {
        return Err(VideoError::TimedOut(limits.time_limit));
    }
    if let Some(e) = failure {
        return Err(e);
    }
    if !status.success() || frames.is_empty() {
        let mut message = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = stderr.read_to_string(&mut message);
        }
        let message = message
            .lines()
            .next()
            .unwrap_or("no frames decoded")
            .to_owned();
        return Err(VideoError::Corrupt(message));
    }
    Ok((info, frames))
}

/// Refuses a file over the size limit before anything reads it.
pub(crate) fn check_file_size(path: &Path, limits: &VideoLimits) -> Result<(), VideoError> {
    let size = std::fs::metadata(path)?.len();
    if size > limits.max_file_bytes {
        return Err(VideoError::FileTooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    Ok(())
}

/// Refuses a video whose container claims too long a duration or too large a frame.
pub(crate) fn check_info(info: &VideoInfo, limits: &VideoLimits) -> Result<(), VideoError> {
    if info.duration_seconds > limits.max_duration_seconds {
        return Err(VideoError::TooLong {
            seconds: info.duration_seconds,
            limit: limits.max_duration_seconds,
        });
    }
    let pixels = u64::from(info.width) * u64::from(info.height);
    if pixels == 0 || pixels > limits.max_pixels {
        return Err(VideoError::TooManyPixels {
            width: info.width,
            height: info.height,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

/// Hashes frame `number` (packed RGB of `size`) as one vPDQ frame.
pub(crate) fn hash_frame(
    hasher: &mut Hasher,
    rgb: &[u8],
    (width, height): (usize, usize),
    number: u64,
    fps: f64,
) -> Result<VpdqFrame, VideoError> {
    let corrupt = |e: pdq::Error| VideoError::Corrupt(e.to_string());
    let image = ImageRef::new(rgb, width, height, PixelFormat::Rgb).map_err(corrupt)?;
    let pdq = hasher.hash(image).map_err(corrupt)?;
    Ok(VpdqFrame {
        frame: number,
        quality: pdq.quality,
        hash: pdq.hash,
        timestamp: number as f64 / fps,
    })
}

/// Fills `buffer` completely; `Ok(false)` at a clean end of stream.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            // A partial last frame (truncated file) is dropped, as decoders do.
            Ok(0) => return Ok(false),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Whether bytes look like a video container this module handles (MP4/MOV, Matroska/WebM,
/// AVI, MPEG-TS, FLV).
pub fn looks_like_video(bytes: &[u8]) -> bool {
    (bytes.len() >= 8 && &bytes[4..8] == b"ftyp")
        || bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3])
        || (bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"AVI ")
        || bytes.starts_with(b"FLV")
        || (bytes.len() >= 189 && bytes[0] == 0x47 && bytes[188] == 0x47)
}
