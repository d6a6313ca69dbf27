//! `lindung match`: look up images or hashes in a bank file.

use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use lindung_index::{DEFAULT_RADIUS, Match};
use lindung_media::{Fingerprint, Limits, Options};
use pdq::Hash256;
use serde::Serialize;

use lindung_media::vpdq::{MatchOptions, match_videos};

use super::fingerprints::{Input, Sink, collect, fingerprint_in_order, jobs_or_cores};
use super::write_json_line;
use crate::banks::file_bank::text_of;
use crate::banks::{FileBank, parse_hash_list};
use lindung_media::video::VideoFingerprint;

#[derive(Debug, Args)]
pub struct MatchArgs {
    /// The bank: a hash list (one hash per line with an optional id, python-threatexchange
    /// `local_file`, or `threatexchange dataset --csv`) or a snapshot from `lindung index build`.
    #[arg(long, value_name = "FILE")]
    bank: PathBuf,
    /// Largest Hamming distance that counts as a match.
    #[arg(long, default_value_t = DEFAULT_RADIUS, value_parser = clap::value_parser!(u32).range(0..=256))]
    radius: u32,
    /// For images, also match the 8 rotations and mirror images; each bank entry is reported
    /// once, at its closest distance. (Hashes from a list carry no image to rotate.)
    #[arg(long)]
    dihedral: bool,
    /// One JSON object per query, one per line.
    #[arg(long)]
    json: bool,
    /// Worker threads for hashing images [default: one per core].
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Images, folders of images (read recursively), or hash lists; `-` reads a hash list from
    /// standard input.
    #[arg(required = true, value_name = "QUERY")]
    queries: Vec<String>,
}

/// Queries grouped as given: runs of image and video files are hashed together, in parallel.
enum QueryGroup {
    Images(Vec<Input>),
    /// `name` is the path (or `-`); each entry is reported as `name:line`.
    Hashes {
        name: String,
        entries: Vec<(u64, Hash256)>,
    },
}

pub fn run(args: MatchArgs) -> Result<ExitCode> {
    // Every hash-list query is read and checked before any output, so a bad line stops the
    // command with nothing half-printed.
    let mut groups: Vec<QueryGroup> = Vec::new();
    for query in &args.queries {
        let group = match classify(query) {
            Ok(group) => group,
            Err(message) => return usage_error(&message),
        };
        match (groups.last_mut(), group) {
            (Some(QueryGroup::Images(run)), QueryGroup::Images(more)) => run.extend(more),
            (_, group) => groups.push(group),
        }
    }
    let bank = match FileBank::open(&args.bank) {
        Ok(bank) => bank,
        Err(e) => return usage_error(&format!("bank {e}")),
    };
    for (kind, count) in &bank.other_signals {
        eprintln!(
            "lindung: note: bank {}: {count} {kind} entries are not PDQ hashes and are not matched",
            args.bank.display()
        );
    }

    let stdout = io::stdout();
    let mut out = Output {
        out: BufWriter::new(stdout.lock()),
        bank: &bank,
        radius: args.radius,
        dihedral: args.dihedral,
        json: args.json,
        any_failed: false,
    };
    let options = Options {
        limits: Limits::default(),
        dihedral: args.dihedral,
        ..Options::default()
    };
    let jobs = jobs_or_cores(args.jobs);
    let written: io::Result<()> = (|| {
        for group in &groups {
            match group {
                QueryGroup::Images(inputs) => {
                    fingerprint_in_order(inputs, options, Default::default(), jobs, &mut out)?
                }
                QueryGroup::Hashes { name, entries } => {
                    for (line, hash) in entries {
                        out.write_hash_query(&format!("{name}:{line}"), hash)?;
                    }
                }
            }
        }
        out.out.flush()
    })();
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("writing results"),
        Ok(()) if out.any_failed => Ok(ExitCode::from(1)),
        Ok(()) => Ok(ExitCode::SUCCESS),
    }
}

fn usage_error(message: &str) -> Result<ExitCode> {
    eprintln!("lindung: {message}");
    Ok(ExitCode::from(2))
}

/// Decides whether a query argument is images or a hash list, reading hash lists whole.
fn classify(query: &str) -> Result<QueryGroup, String> {
    if query == "-" {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("standard input: {e}"))?;
        return hash_group("-", &text);
    }
    let path = Path::new(query);
    if path.is_dir() {
        let mut inputs = Vec::new();
        collect(path, &mut inputs);
        return Ok(QueryGroup::Images(inputs));
    }
    // Decide from the first bytes, so a large video is not read into memory here.
    let mut head = Vec::with_capacity(512);
    std::fs::File::open(path)
        .and_then(|f| f.take(512).read_to_end(&mut head))
        .map_err(|e| format!("cannot read {query}: {e}"))?;
    if lindung_media::sniff(&head).is_some() || lindung_media::video::looks_like_video(&head) {
        return Ok(QueryGroup::Images(vec![Input::File(path.to_owned())]));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {query}: {e}"))?;
    let text = text_of(path, bytes)
        .map_err(|e| format!("{e} (queries are images in a known format or hash lists)"))?;
    hash_group(query, &text)
}

fn hash_group(name: &str, text: &str) -> Result<QueryGroup, String> {
    let list = parse_hash_list(text).map_err(|e| format!("{name}: {e}"))?;
    for (kind, count) in &list.without_pdq_match() {
        eprintln!(
            "lindung: note: {name}: {count} {kind} entries are not PDQ hashes and are skipped"
        );
    }
    Ok(QueryGroup::Hashes {
        name: name.to_owned(),
        entries: list.entries.iter().map(|e| (e.line, e.hash)).collect(),
    })
}

#[derive(Serialize)]
struct JsonMatch<'a> {
    bank_line: u64,
    id: &'a str,
    hash: String,
    distance: u32,
}

#[derive(Serialize)]
struct JsonResult<'a> {
    query: &'a str,
    pdq: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    quality: Option<u8>,
    matches: Vec<JsonMatch<'a>>,
}

#[derive(Serialize)]
struct JsonFailure<'a> {
    query: &'a str,
    error: &'a str,
}

struct Output<'a, W: Write> {
    out: W,
    bank: &'a FileBank,
    radius: u32,
    dihedral: bool,
    json: bool,
    any_failed: bool,
}

impl<W: Write> Output<'_, W> {
    fn write_hash_query(&mut self, query: &str, hash: &Hash256) -> io::Result<()> {
        let matches = self.bank.index.search(hash, self.radius);
        self.write_result(query, hash, None, &matches)
    }

    fn write_result(
        &mut self,
        query: &str,
        hash: &Hash256,
        quality: Option<u8>,
        matches: &[Match],
    ) -> io::Result<()> {
        let bank = self.bank;
        let stored = |m: &Match| {
            bank.index
                .get(m.id)
                .map(|h| h.to_string())
                .unwrap_or_default()
        };
        if self.json {
            let record = JsonResult {
                query,
                pdq: hash.to_string(),
                quality,
                matches: matches
                    .iter()
                    .map(|m| JsonMatch {
                        bank_line: m.id,
                        id: bank.label(m.id),
                        hash: stored(m),
                        distance: m.distance,
                    })
                    .collect(),
            };
            return write_json_line(&mut self.out, &record);
        }
        if matches.is_empty() {
            return writeln!(self.out, "{query}\tno match");
        }
        for m in matches {
            writeln!(
                self.out,
                "{query}\t{}\t{}\tline {}\t{}",
                m.distance,
                stored(m),
                m.id,
                bank.label(m.id)
            )?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct JsonVideoMatch<'a> {
    bank_line: u64,
    id: &'a str,
    query_match_pct: f64,
    target_match_pct: f64,
}

#[derive(Serialize)]
struct JsonVideoResult<'a> {
    query: &'a str,
    frames: usize,
    md5: String,
    matches: Vec<JsonVideoMatch<'a>>,
}

impl<W: Write> Sink for Output<'_, W> {
    /// A video query is compared with every `vpdq` entry of the bank (python-threatexchange
    /// semantics: a match when at least 80% of the query's frames match).
    fn video(&mut self, path: &Path, result: Result<VideoFingerprint, String>) -> io::Result<()> {
        let video = match result {
            Ok(video) => video,
            Err(e) => return self.record(path, Err(e)),
        };
        let query = path.to_string_lossy();
        let options = MatchOptions::default();
        let bank = self.bank;
        let matches: Vec<JsonVideoMatch> = bank
            .videos
            .iter()
            .filter_map(|entry| {
                let m = match_videos(&video.frames, &entry.frames, &options);
                m.is_match(&options).then(|| JsonVideoMatch {
                    bank_line: entry.line,
                    id: bank.label(entry.line),
                    query_match_pct: (m.query_pct * 100.0).round() / 100.0,
                    target_match_pct: (m.target_pct * 100.0).round() / 100.0,
                })
            })
            .collect();
        if self.json {
            return write_json_line(
                &mut self.out,
                &JsonVideoResult {
                    query: &query,
                    frames: video.frames.len(),
                    md5: video.digests.md5_hex(),
                    matches,
                },
            );
        }
        if matches.is_empty() {
            return writeln!(self.out, "{query}\tno match");
        }
        for m in &matches {
            writeln!(
                self.out,
                "{query}\tvideo {:.2}% / {:.2}%\tline {}\t{}",
                m.query_match_pct, m.target_match_pct, m.bank_line, m.id
            )?;
        }
        Ok(())
    }

    fn record(&mut self, path: &Path, result: Result<Fingerprint, String>) -> io::Result<()> {
        let query = path.to_string_lossy();
        match result {
            Ok(fp) => {
                let queries: Vec<Hash256> = match (&fp.dihedral, self.dihedral) {
                    (Some(d), true) => d.hashes.to_vec(),
                    _ => vec![fp.pdq.hash],
                };
                let matches = self.bank.index.search_batch(&queries, self.radius);
                self.write_result(&query, &fp.pdq.hash, Some(fp.pdq.quality), &matches)
            }
            Err(error) => {
                self.any_failed = true;
                if self.json {
                    let failure = JsonFailure {
                        query: &query,
                        error: &error,
                    };
                    write_json_line(&mut self.out, &failure)
                } else {
                    writeln!(self.out, "{query}\terror: {error}")
                }
            }
        }
    }

    fn idle(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
