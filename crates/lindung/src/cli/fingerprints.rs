//! Fingerprinting many files in parallel while handing results on in input order, shared by
//! `lindung hash` and `lindung match`.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lindung_media::video::{VideoFingerprint, VideoLimits, looks_like_video};
use lindung_media::{Digests, Fingerprint, Fingerprinter, MediaError, Options};

/// A file to hash, or a folder that could not be read (reported in its place).
#[derive(Debug)]
pub enum Input {
    File(PathBuf),
    Unreadable(PathBuf, io::Error),
}

impl Input {
    pub fn path(&self) -> &Path {
        match self {
            Input::File(p) | Input::Unreadable(p, _) => p,
        }
    }
}

/// How videos are hashed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoOptions {
    /// One frame hashed per this many seconds; 0 hashes every frame.
    pub seconds_per_hash: f64,
    pub limits: VideoLimits,
}

impl Default for VideoOptions {
    fn default() -> Self {
        VideoOptions {
            seconds_per_hash: 1.0,
            limits: VideoLimits::default(),
        }
    }
}

/// What one input turned out to be.
#[derive(Debug)]
pub enum Outcome {
    // Boxed: a fingerprint with its dihedral hashes is several times larger than the rest.
    Image(Result<Box<Fingerprint>, String>),
    Video(Result<VideoFingerprint, String>),
}

/// Receives fingerprints in input order.
pub trait Sink {
    fn record(&mut self, path: &Path, result: Result<Fingerprint, String>) -> io::Result<()>;

    /// A video. Commands that do not handle videos report it as an error in its place.
    fn video(&mut self, path: &Path, result: Result<VideoFingerprint, String>) -> io::Result<()> {
        let message = match result {
            Ok(_) => "videos are not supported by this command yet".to_owned(),
            Err(e) => e,
        };
        self.record(path, Err(message))
    }

    /// Called when no further result is ready yet: a good moment to flush output.
    fn idle(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Called once after the last record.
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Worker threads: `requested`, or one per core.
pub fn jobs_or_cores(requested: Option<usize>) -> usize {
    requested
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 256)
}

/// Every file under `paths` (folders read recursively, in path order).
pub fn collect_all(paths: &[PathBuf]) -> Vec<Input> {
    let mut inputs = Vec::new();
    for path in paths {
        collect(path, &mut inputs);
    }
    inputs
}

/// Adds `path` (a file, or a folder read recursively in path order) to `inputs`.
pub fn collect(path: &Path, inputs: &mut Vec<Input>) {
    if !path.is_dir() {
        inputs.push(Input::File(path.to_path_buf()));
        return;
    }
    let entries = match std::fs::read_dir(path).and_then(|dir| dir.collect::<io::Result<Vec<_>>>())
    {
        Ok(entries) => entries,
        Err(e) => {
            inputs.push(Input::Unreadable(path.to_path_buf(), e));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.into_iter().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        collect(&p, inputs);
    }
}

/// Fingerprints `inputs` on `jobs` threads and hands each result to `sink` in input order, as
/// soon as it is next. A progress bar goes to stderr when that is a terminal.
pub fn fingerprint_in_order(
    inputs: &[Input],
    options: Options,
    video: VideoOptions,
    jobs: usize,
    sink: &mut impl Sink,
) -> io::Result<()> {
    let progress = ProgressBar::with_draw_target(
        Some(inputs.len() as u64),
        ProgressDrawTarget::stderr_with_hz(4),
    );
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} files  {per_sec}  ETA {eta}")
    {
        progress.set_style(style);
    }
    let next = AtomicUsize::new(0);
    let outcome = thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<(usize, Outcome)>(jobs * 16);
        for _ in 0..jobs {
            let (tx, next) = (tx.clone(), &next);
            scope.spawn(move || {
                let mut fingerprinter = Fingerprinter::new(options);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = inputs.get(i) else { break };
                    let result = match input {
                        Input::File(path) => match fingerprinter.fingerprint_file(path) {
                            Err(MediaError::UnknownFormat) if is_video(path) => {
                                Outcome::Video(video_hashes(path, &video))
                            }
                            other => Outcome::Image(other.map(Box::new).map_err(|e| e.to_string())),
                        },
                        Input::Unreadable(_, e) => {
                            Outcome::Image(Err(format!("cannot read folder: {e}")))
                        }
                    };
                    if tx.send((i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Results arrive in any order; pass them on in input order as soon as each is next.
        let mut waiting = BTreeMap::new();
        let mut done = 0usize;
        for (i, result) in rx {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&done) {
                let path = inputs[done].path();
                let written = match result {
                    Outcome::Image(r) => sink.record(path, r.map(|b| *b)),
                    Outcome::Video(r) => sink.video(path, r),
                };
                if let Err(e) = written {
                    // Stop the workers, then report.
                    next.store(inputs.len(), Ordering::Relaxed);
                    return Err(e);
                }
                done += 1;
                progress.inc(1);
            }
            sink.idle()?;
        }
        sink.finish()
    });
    progress.finish_and_clear();
    outcome
}

fn is_video(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::with_capacity(200);
    std::fs::File::open(path)
        .and_then(|f| f.take(200).read_to_end(&mut head))
        .is_ok()
        && looks_like_video(&head)
}

/// vPDQ at the chosen sampling rate and the file's digests. The command line decodes in
/// process: it saves two process starts per file, and the files are the user's own choice
/// (the server keeps the isolated `ffmpeg` program for uploads).
fn video_hashes(path: &Path, options: &VideoOptions) -> Result<VideoFingerprint, String> {
    let (info, frames) =
        lindung_media::video_libav::hash_video(path, options.seconds_per_hash, &options.limits)
            .map_err(|e| e.to_string())?;
    let digests = std::fs::File::open(path)
        .and_then(Digests::of_reader)
        .map_err(|e| format!("cannot read: {e}"))?;
    Ok(VideoFingerprint {
        info,
        frames,
        digests,
    })
}
