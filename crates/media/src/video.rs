//! Video frames through Debian's `ffmpeg` and `ffprobe` programs, hashed with PDQ as vPDQ.
//!
//! Piping raw RGB frames from the `ffmpeg` program keeps FFmpeg in its own process: a decoder
//! crash or hang on hostile input cannot take the caller down, a time limit is a `kill`, and the
//! build needs no libclang or FFmpeg headers. The cost is one frame copy through a pipe, small
//! next to decoding.
//!
//! Both programs run under a time limit, read only local files (`-protocol_whitelist
//! file,pipe`, and the input named as a `file:` URL, so that a playlist inside a hostile file
//! cannot make FFmpeg fetch from the network), and their messages never carry the input's path
//! (often a temporary file's) back to the caller.

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

/// How long `ffprobe` may take at most.
pub const PROBE_TIME_LIMIT: Duration = Duration::from_secs(30);

/// The protocols FFmpeg may open: local files and pipes, never the network.
const PROTOCOLS: [&str; 2] = ["-protocol_whitelist", "file,pipe"];

/// The input as a `file:` URL, so that no part of the name is read as another protocol.
fn input_url(path: &Path) -> std::ffi::OsString {
    let mut url = std::ffi::OsString::from("file:");
    url.push(path.as_os_str());
    url
}

/// A message from FFmpeg without the input's path (which is often a temporary file's).
pub fn scrub_path(message: &str, path: &Path) -> String {
    let shown = path.display().to_string();
    if shown.is_empty() {
        return message.to_owned();
    }
    message
        .replace(&format!("file:{shown}"), "the input")
        .replace(&shown, "the input")
}

/// Kills process `pid` unless `done` hears from the caller within `limit`; true if it killed.
fn watchdog(
    pid: u32,
    limit: Duration,
) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<bool>) {
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let handle = std::thread::spawn(move || {
        if done_rx.recv_timeout(limit).is_err() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            return true;
        }
        false
    });
    (done_tx, handle)
}

/// Probes the first video stream, within [`PROBE_TIME_LIMIT`].
pub fn probe(path: &Path) -> Result<VideoInfo, VideoError> {
    probe_within(path, PROBE_TIME_LIMIT)
}

/// Probes the first video stream; `ffprobe` is stopped after `limit`.
pub fn probe_within(path: &Path, limit: Duration) -> Result<VideoInfo, VideoError> {
    let child = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(PROTOCOLS)
        .args(["-select_streams", "v:0", "-show_entries"])
        .arg("stream=width,height,avg_frame_rate,r_frame_rate:format=duration")
        .args(["-of", "json"])
        .arg(input_url(path))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(VideoError::NoFfmpeg)?;
    let (done, guard) = watchdog(child.id(), limit);
    let output = child.wait_with_output();
    let _ = done.send(());
    if guard.join().unwrap_or(false) {
        return Err(VideoError::TimedOut(limit));
    }
    let output = output?;
    if !output.status.success() {
        let message = scrub_path(String::from_utf8_lossy(&output.stderr).trim(), path);
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
    let info = probe_within(path, limits.time_limit.min(PROBE_TIME_LIMIT))?;
    check_info(&info, limits)?;
    let pixels = u64::from(info.width) * u64::from(info.height);
    let frame_mod = ((seconds_per_hash * info.fps) as u64).max(1);
    let mut command = Command::new("ffmpeg");
    command
        .args(["-v", "error", "-nostdin"])
        .args(PROTOCOLS)
        .arg("-i")
        .arg(input_url(path))
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
    // A watchdog kills ffmpeg at the time limit, which ends the read loop below.
    let (done_tx, watchdog) = watchdog(child.id(), limits.time_limit);
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
        let message = message.lines().next().unwrap_or("no frames decoded");
        return Err(VideoError::Corrupt(scrub_path(message, path)));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffmpeg_messages_lose_the_inputs_path() {
        let path = Path::new("/tmp/.tmpA1b2C3");
        let message = "file:/tmp/.tmpA1b2C3: Invalid data found when processing input";
        let scrubbed = scrub_path(message, path);
        assert!(!scrubbed.contains("/tmp"), "{scrubbed}");
        assert!(scrubbed.contains("Invalid data"), "{scrubbed}");
        let bare = scrub_path("/tmp/.tmpA1b2C3: moov atom not found", path);
        assert!(!bare.contains(".tmpA1b2C3"), "{bare}");
    }

    #[test]
    fn ffmpeg_is_told_to_read_local_files_only() {
        assert_eq!(PROTOCOLS, ["-protocol_whitelist", "file,pipe"]);
        assert_eq!(
            input_url(Path::new("http://example.org/x.m3u8")),
            std::ffi::OsString::from("file:http://example.org/x.m3u8"),
            "a name that looks like a URL is still a local file"
        );
    }

    #[test]
    fn a_missing_ffprobe_or_a_bad_file_is_an_error_within_the_limit() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("not-a-video.mp4");
        std::fs::write(&path, b"\0\0\0\x18ftypisomgarbage").expect("write");
        let started = Instant::now();
        let error = probe_within(&path, Duration::from_secs(20)).expect_err("refused");
        assert!(started.elapsed() < Duration::from_secs(25));
        if let VideoError::Corrupt(message) = &error {
            assert!(
                !message.contains(dir.path().to_str().expect("utf-8")),
                "{message}"
            );
        }
    }
}
