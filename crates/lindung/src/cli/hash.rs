//! `lindung hash`: fingerprint files and folders in parallel, streaming results in a stable order.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use lindung_media::{Compat, Fingerprint, Limits, Options};

use lindung_media::video::VideoLimits;

use super::fingerprints::{Sink, VideoOptions, collect_all, fingerprint_in_order, jobs_or_cores};
use super::write_json_line;
use lindung_media::video::VideoFingerprint;
use pdq::Dihedral;
use serde::Serialize;

#[derive(Debug, Args)]
pub struct HashArgs {
    /// Files and folders (folders are read recursively, in path order).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// One JSON object per line.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// CSV with a header line.
    #[arg(long)]
    csv: bool,
    /// Add the eight dihedral PDQ hashes (orig, rot90, rot180, rot270, flipx, flipy,
    /// flipplus1, flipminus1).
    #[arg(long)]
    dihedral: bool,
    /// Worker threads [default: one per core].
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Whose behaviour to reproduce: `hma` (full resolution, as HMA and python-threatexchange)
    /// or `meta-cli` (Meta's pdq-photo-hasher: images over 512 px resized to 512x512 first).
    #[arg(long, value_enum, default_value_t = CompatArg::Hma)]
    compat: CompatArg,
    /// Refuse files larger than this many bytes.
    #[arg(long, default_value_t = Limits::DEFAULT_MAX_FILE_BYTES, value_name = "BYTES")]
    max_file_bytes: u64,
    /// Refuse images with more pixels than this (checked from the header, before decoding).
    #[arg(long, default_value_t = Limits::DEFAULT_MAX_PIXELS, value_name = "PIXELS")]
    max_pixels: u64,
    /// Videos: hash one frame per this many seconds (0: every frame).
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    seconds_per_hash: f64,
    /// Videos: refuse files longer than this many seconds.
    #[arg(long, default_value_t = VideoLimits::default().max_duration_seconds, value_name = "SECONDS")]
    max_video_seconds: f64,
    /// Videos: stop decoding a file after this many seconds.
    #[arg(long, default_value_t = VideoLimits::default().time_limit.as_secs(), value_name = "SECONDS")]
    video_time_limit: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CompatArg {
    Hma,
    MetaCli,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutputFormat {
    Text,
    Json,
    Csv,
}

pub fn run(args: HashArgs) -> Result<ExitCode> {
    let options = Options {
        limits: Limits {
            max_file_bytes: args.max_file_bytes,
            max_pixels: args.max_pixels,
        },
        compat: match args.compat {
            CompatArg::Hma => Compat::Hma,
            CompatArg::MetaCli => Compat::MetaCli,
        },
        dihedral: args.dihedral,
    };
    let format = if args.json {
        OutputFormat::Json
    } else if args.csv {
        OutputFormat::Csv
    } else {
        OutputFormat::Text
    };
    let inputs = collect_all(&args.paths);
    let jobs = jobs_or_cores(args.jobs);
    let stdout = io::stdout();
    let mut out = Writer::new(BufWriter::new(stdout.lock()), format, args.dihedral);
    if !(args.seconds_per_hash >= 0.0 && args.seconds_per_hash.is_finite()) {
        anyhow::bail!("--seconds-per-hash must be 0 or more");
    }
    let video = VideoOptions {
        seconds_per_hash: args.seconds_per_hash,
        limits: VideoLimits {
            max_file_bytes: args
                .max_file_bytes
                .max(VideoLimits::default().max_file_bytes),
            max_duration_seconds: args.max_video_seconds,
            time_limit: std::time::Duration::from_secs(args.video_time_limit.max(1)),
            ..VideoLimits::default()
        },
    };
    let outcome = fingerprint_in_order(&inputs, options, video, jobs, &mut out);
    match outcome {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("writing results"),
        Ok(()) => Ok(if out.any_failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }),
    }
}

#[derive(Serialize)]
struct Record<'a> {
    path: &'a str,
    width: usize,
    height: usize,
    pdq: String,
    quality: u8,
    md5: String,
    sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pdq_dihedral: Option<Vec<String>>,
}

/// A video: digests of the file and vPDQ (one PDQ per second) as the HMA signal string.
#[derive(Serialize)]
struct VideoRecord<'a> {
    path: &'a str,
    width: u32,
    height: u32,
    fps: f64,
    duration: f64,
    md5: String,
    sha256: String,
    frames: usize,
    vpdq: String,
}

#[derive(Serialize)]
struct Failure<'a> {
    path: &'a str,
    error: &'a str,
}

struct Writer<W: Write> {
    inner: W,
    format: OutputFormat,
    dihedral: bool,
    header_written: bool,
    unflushed: usize,
    any_failed: bool,
}

impl<W: Write> Writer<W> {
    fn new(inner: W, format: OutputFormat, dihedral: bool) -> Self {
        Writer {
            inner,
            format,
            dihedral,
            header_written: false,
            unflushed: 0,
            any_failed: false,
        }
    }

    fn write(&mut self, path: &Path, result: &Result<Fingerprint, String>) -> io::Result<()> {
        let path = path.to_string_lossy();
        self.unflushed += 1;
        match self.format {
            OutputFormat::Json => match result {
                Ok(fp) => write_json_line(&mut self.inner, &record(&path, fp, self.dihedral)),
                Err(error) => write_json_line(&mut self.inner, &Failure { path: &path, error }),
            },
            OutputFormat::Csv => {
                self.write_csv_header()?;
                let mut row: Vec<String> = vec![path.to_string()];
                match result {
                    Ok(fp) => {
                        let r = record(&path, fp, self.dihedral);
                        row.extend([
                            r.width.to_string(),
                            r.height.to_string(),
                            r.pdq,
                            r.quality.to_string(),
                            r.md5,
                            r.sha256,
                        ]);
                        row.extend(r.pdq_dihedral.unwrap_or_default());
                        row.push(String::new());
                        row.push(String::new());
                    }
                    Err(error) => {
                        let blanks = if self.dihedral { 15 } else { 7 };
                        row.extend(std::iter::repeat_n(String::new(), blanks));
                        row.push(error.clone());
                    }
                }
                self.write_csv_row(&row)
            }
            OutputFormat::Text => match result {
                Ok(fp) => writeln!(
                    self.inner,
                    "{}  {:>3}  {}",
                    fp.pdq.hash, fp.pdq.quality, path
                ),
                Err(error) => writeln!(self.inner, "error  {path}: {error}"),
            },
        }
    }

    fn write_csv_header(&mut self) -> io::Result<()> {
        if self.header_written {
            return Ok(());
        }
        self.header_written = true;
        let mut header = vec!["path", "width", "height", "pdq", "quality", "md5", "sha256"];
        if self.dihedral {
            header.extend(Dihedral::ALL.iter().map(|d| dihedral_column(*d)));
        }
        header.extend(["vpdq", "error"]);
        self.write_csv_row(&header)
    }

    fn write_csv_row<S: AsRef<[u8]>>(&mut self, row: &[S]) -> io::Result<()> {
        let mut line = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::with_capacity(256));
        line.write_record(row).map_err(io::Error::other)?;
        let bytes = line
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))?;
        self.inner.write_all(&bytes)
    }
}

impl<W: Write> Sink for Writer<W> {
    fn record(&mut self, path: &Path, result: Result<Fingerprint, String>) -> io::Result<()> {
        self.any_failed |= result.is_err();
        self.write(path, &result)
    }

    fn video(&mut self, path: &Path, result: Result<VideoFingerprint, String>) -> io::Result<()> {
        let video = match result {
            Ok(video) => video,
            Err(e) => return self.record(path, Err(e)),
        };
        let path = path.to_string_lossy();
        self.unflushed += 1;
        let signal = lindung_media::vpdq::to_signal(&video.frames);
        match self.format {
            OutputFormat::Json => write_json_line(
                &mut self.inner,
                &VideoRecord {
                    path: &path,
                    width: video.info.width,
                    height: video.info.height,
                    fps: video.info.fps,
                    duration: video.info.duration_seconds,
                    md5: video.digests.md5_hex(),
                    sha256: video.digests.sha256_hex(),
                    frames: video.frames.len(),
                    vpdq: signal,
                },
            ),
            OutputFormat::Csv => {
                self.write_csv_header()?;
                let mut row = vec![
                    path.to_string(),
                    video.info.width.to_string(),
                    video.info.height.to_string(),
                    String::new(),
                    String::new(),
                    video.digests.md5_hex(),
                    video.digests.sha256_hex(),
                ];
                if self.dihedral {
                    row.extend(std::iter::repeat_n(String::new(), 8));
                }
                row.extend([signal, String::new()]);
                self.write_csv_row(&row)
            }
            OutputFormat::Text => writeln!(
                self.inner,
                "{}  vpdq {} frames  {path}",
                video.digests.md5_hex(),
                video.frames.len()
            ),
        }
    }

    fn idle(&mut self) -> io::Result<()> {
        if self.unflushed > 0 {
            self.unflushed = 0;
            self.inner.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.format == OutputFormat::Csv {
            // With no rows at all, the header still says what the columns are.
            self.write_csv_header()?;
        }
        self.inner.flush()
    }
}

fn dihedral_column(d: Dihedral) -> &'static str {
    match d {
        Dihedral::Original => "pdq_orig",
        Dihedral::Rotate90 => "pdq_rot90",
        Dihedral::Rotate180 => "pdq_rot180",
        Dihedral::Rotate270 => "pdq_rot270",
        Dihedral::FlipX => "pdq_flipx",
        Dihedral::FlipY => "pdq_flipy",
        Dihedral::FlipPlus1 => "pdq_flipplus1",
        Dihedral::FlipMinus1 => "pdq_flipminus1",
    }
}

fn record<'a>(path: &'a str, fp: &Fingerprint, dihedral: bool) -> Record<'a> {
    Record {
        path,
        width: fp.width,
        height: fp.height,
        pdq: fp.pdq.hash.to_string(),
        quality: fp.pdq.quality,
        md5: fp.digests.md5_hex(),
        sha256: fp.digests.sha256_hex(),
        pdq_dihedral: dihedral
            .then(|| {
                fp.dihedral
                    .map(|d| d.hashes.iter().map(ToString::to_string).collect())
            })
            .flatten(),
    }
}
