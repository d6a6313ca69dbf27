//! Video frames decoded in this process with FFmpeg's libraries (`ffmpeg-next`), hashed as
//! vPDQ the way the reference does: frames counted as the decoder gives them, every
//! `frame_mod`-th converted to RGB24 at full size with `SWS_AREA`, and hashed.
//!
//! This saves the two process starts of [`crate::video::hash_video`] (about 100 ms per file
//! with Debian's FFmpeg), which dominate on short clips. It gives up that path's isolation:
//! a decoder crash on hostile input takes the process down. The command line, which hashes
//! files its user chose, uses it; the server keeps the `ffmpeg` program.

use std::path::Path;
use std::time::Instant;

use ffmpeg_next as ffmpeg;
use pdq::Hasher;

use crate::video::{VideoError, VideoInfo, VideoLimits, check_file_size, check_info, hash_frame};
use crate::vpdq::VpdqFrame;

fn corrupt(e: impl std::fmt::Display) -> VideoError {
    VideoError::Corrupt(e.to_string())
}

fn rate(r: ffmpeg::Rational) -> Option<f64> {
    (r.numerator() > 0 && r.denominator() > 0)
        .then(|| f64::from(r.numerator()) / f64::from(r.denominator()))
}

/// As [`crate::video::hash_video`], decoding in this process. With more than one core
/// available, frames are hashed on a second thread while the next ones decode, and the decoder
/// uses frame threads.
pub fn hash_video(
    path: &Path,
    seconds_per_hash: f64,
    limits: &VideoLimits,
) -> Result<(VideoInfo, Vec<VpdqFrame>), VideoError> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    hash_video_with(path, seconds_per_hash, limits, cores > 1)
}

/// As [`hash_video`], choosing whether hashing (and decoding) use more than one thread.
pub fn hash_video_with(
    path: &Path,
    seconds_per_hash: f64,
    limits: &VideoLimits,
    hash_on_second_thread: bool,
) -> Result<(VideoInfo, Vec<VpdqFrame>), VideoError> {
    check_file_size(path, limits)?;
    ffmpeg::init().map_err(corrupt)?;
    ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Quiet);
    // Local files only: a playlist inside a hostile file must not reach the network.
    let mut options = ffmpeg::Dictionary::new();
    options.set("protocol_whitelist", "file,pipe");
    let mut input = ffmpeg::format::input_with_dictionary(path, options).map_err(corrupt)?;
    let stream = input
        .streams()
        .best(ffmpeg::media::Type::Video)
        .ok_or_else(|| corrupt("no video stream"))?;
    let index = stream.index();
    let fps = rate(stream.avg_frame_rate())
        .or_else(|| rate(stream.rate()))
        .ok_or_else(|| corrupt("no frame rate"))?;
    let duration_seconds = match input.duration() {
        d if d > 0 => d as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE),
        _ => 0.0,
    };
    let mut context =
        ffmpeg::codec::context::Context::from_parameters(stream.parameters()).map_err(corrupt)?;
    if hash_on_second_thread {
        // Decoding may use the other cores too (frame threads: same pixels, more throughput).
        context.set_threading(ffmpeg::codec::threading::Config {
            kind: ffmpeg::codec::threading::Type::Frame,
            count: 0,
            ..Default::default()
        });
    }
    let mut decoder = context.decoder().video().map_err(corrupt)?;
    let info = VideoInfo {
        width: decoder.width(),
        height: decoder.height(),
        fps,
        duration_seconds,
    };
    // Opening the decoder reads only the headers: a long or huge video is refused here.
    check_info(&info, limits)?;
    let frame_mod = ((seconds_per_hash * fps) as u64).max(1);
    let started = Instant::now();
    std::thread::scope(|scope| {
        // Sampled frames go to the hasher as packed RGB; their buffers come back for reuse.
        let (jobs, queued) = std::sync::mpsc::sync_channel::<Job>(2);
        let (spares, returned) = std::sync::mpsc::channel::<Vec<u8>>();
        let worker = hash_on_second_thread.then(|| {
            scope.spawn(move || {
                let mut hasher = Hasher::new();
                let mut frames = Vec::new();
                for job in queued {
                    frames.push(job.hash(&mut hasher, fps)?);
                    let _ = spares.send(job.pixels);
                }
                Ok::<_, VideoError>(frames)
            })
        });
        let mut sampler = Sampler {
            fps,
            frame_mod,
            number: 0,
            scaler: None,
            rgb: ffmpeg::util::frame::video::Video::empty(),
            hashing: match worker {
                Some(_) => Hashing::Thread {
                    jobs,
                    spares: returned,
                },
                None => Hashing::Inline {
                    hasher: Hasher::new(),
                    frames: Vec::new(),
                    pixels: Vec::new(),
                },
            },
        };
        let decoded = decode(
            &mut input,
            &mut decoder,
            index,
            limits,
            started,
            &mut sampler,
        );
        let frames = match (sampler.hashing, worker) {
            (Hashing::Inline { frames, .. }, _) => Ok(frames),
            (Hashing::Thread { jobs, .. }, Some(worker)) => {
                drop(jobs);
                worker
                    .join()
                    .unwrap_or_else(|_| Err(corrupt("the hashing thread failed")))
            }
            (Hashing::Thread { .. }, None) => Err(corrupt("no hashing thread")),
        };
        // The hasher's error, if any, explains a decode that stopped early.
        let frames = frames?;
        decoded?;
        if frames.is_empty() {
            return Err(corrupt("no frames decoded"));
        }
        Ok((info, frames))
    })
}

/// Feeds every packet of the video stream to the decoder and every decoded frame to `sampler`.
fn decode(
    input: &mut ffmpeg::format::context::Input,
    decoder: &mut ffmpeg::decoder::Video,
    index: usize,
    limits: &VideoLimits,
    started: Instant,
    sampler: &mut Sampler,
) -> Result<(), VideoError> {
    let mut decoded = ffmpeg::util::frame::video::Video::empty();
    for (packet_stream, packet) in input.packets() {
        if started.elapsed() > limits.time_limit {
            return Err(VideoError::TimedOut(limits.time_limit));
        }
        if packet_stream.index() != index {
            continue;
        }
        // A damaged packet is skipped, as the ffmpeg program does; the frames around it count.
        if decoder.send_packet(&packet).is_err() {
            continue;
        }
        while decoder.receive_frame(&mut decoded).is_ok() {
            sampler.take(&decoded, limits)?;
        }
    }
    let _ = decoder.send_eof();
    while decoder.receive_frame(&mut decoded).is_ok() {
        sampler.take(&decoded, limits)?;
    }
    Ok(())
}

/// A sampled frame, packed RGB, waiting to be hashed.
struct Job {
    number: u64,
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Job {
    fn hash(&self, hasher: &mut Hasher, fps: f64) -> Result<VpdqFrame, VideoError> {
        hash_frame(
            hasher,
            &self.pixels,
            (self.width, self.height),
            self.number,
            fps,
        )
    }
}

enum Hashing {
    Inline {
        hasher: Hasher,
        frames: Vec<VpdqFrame>,
        pixels: Vec<u8>,
    },
    Thread {
        jobs: std::sync::mpsc::SyncSender<Job>,
        spares: std::sync::mpsc::Receiver<Vec<u8>>,
    },
}

struct Sampler {
    fps: f64,
    frame_mod: u64,
    number: u64,
    scaler: Option<(
        ffmpeg::software::scaling::Context,
        ffmpeg::format::Pixel,
        u32,
        u32,
    )>,
    rgb: ffmpeg::util::frame::video::Video,
    hashing: Hashing,
}

impl Sampler {
    /// Counts a decoded frame and hashes it when its number is a multiple of `frame_mod`.
    fn take(
        &mut self,
        frame: &ffmpeg::util::frame::video::Video,
        limits: &VideoLimits,
    ) -> Result<(), VideoError> {
        let number = self.number;
        self.number += 1;
        if !number.is_multiple_of(self.frame_mod) {
            return Ok(());
        }
        let (format, width, height) = (frame.format(), frame.width(), frame.height());
        if u64::from(width) * u64::from(height) > limits.max_pixels || width == 0 || height == 0 {
            return Err(VideoError::TooManyPixels {
                width,
                height,
                limit: limits.max_pixels,
            });
        }
        // A stream may change size or format midway: the converter follows it.
        let stale = !matches!(&self.scaler, Some((_, f, w, h)) if *f == format && *w == width && *h == height);
        if stale {
            let scaler = ffmpeg::software::scaling::Context::get(
                format,
                width,
                height,
                ffmpeg::format::Pixel::RGB24,
                width,
                height,
                ffmpeg::software::scaling::Flags::AREA,
            )
            .map_err(corrupt)?;
            self.scaler = Some((scaler, format, width, height));
        }
        let Some((scaler, ..)) = self.scaler.as_mut() else {
            return Err(corrupt("no converter"));
        };
        scaler.run(frame, &mut self.rgb).map_err(corrupt)?;
        let (w, h) = (width as usize, height as usize);
        let mut pixels = match &mut self.hashing {
            Hashing::Inline { pixels, .. } => std::mem::take(pixels),
            Hashing::Thread { spares, .. } => spares.try_recv().unwrap_or_default(),
        };
        pixels.clear();
        let stride = self.rgb.stride(0);
        let data = self.rgb.data(0);
        for row in 0..h {
            let start = row * stride;
            let line = data
                .get(start..start + w * 3)
                .ok_or_else(|| corrupt("short frame"))?;
            pixels.extend_from_slice(line);
        }
        let job = Job {
            number,
            width: w,
            height: h,
            pixels,
        };
        match &mut self.hashing {
            Hashing::Inline {
                hasher,
                frames,
                pixels,
            } => {
                frames.push(job.hash(hasher, self.fps)?);
                *pixels = job.pixels;
            }
            Hashing::Thread { jobs, .. } => {
                // A closed channel means the hasher stopped on an error, which join reports.
                if jobs.send(job).is_err() {
                    return Err(corrupt("the hashing thread stopped"));
                }
            }
        }
        Ok(())
    }
}
