//! Video index benchmark: a library of videos hashed at one frame per second, queried with
//! re-encoded copies of stored videos and with unseen videos. Times the bulk build and query
//! videos per second, and checks results against brute-force vote counting.
//! `benches/video_index_vs_faiss.sh` runs it with `--out DIR` so that the FAISS peer (the flat
//! index python-threatexchange's vPDQ index uses) answers the same queries on the same frames.
//!
//! Without arguments (as `cargo test` and `cargo bench` run it) it does a quick pass on 20k
//! videos.
//!
//! Arguments: `--videos N --frames F --queries Q --threads T --out DIR`.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use common::{Rng, rss_bytes, write_codes};
use lindung_index::{DEFAULT_RADIUS, Hash256, IndexConfig, VideoIndex, VideoMatch};

struct Options {
    videos: usize,
    frames: usize,
    queries: usize,
    threads: usize,
    out: Option<PathBuf>,
}

fn parse_options() -> Options {
    let mut options = Options {
        videos: 20_000,
        frames: 30,
        queries: 200,
        threads: std::thread::available_parallelism().map_or(1, usize::from),
        out: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        match arg.as_str() {
            "--videos" => options.videos = value().parse().unwrap_or(options.videos),
            "--frames" => options.frames = value().parse().unwrap_or(options.frames),
            "--queries" => options.queries = value().parse().unwrap_or(options.queries),
            "--threads" => options.threads = value().parse().unwrap_or(options.threads),
            "--out" => options.out = Some(PathBuf::from(value())),
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    options
}

/// A video at one frame per second: one to three scenes, each frame drifting 8 to 31 bits
/// from its scene, as consecutive seconds of real footage do.
fn video(rng: &mut Rng, frames: usize) -> Vec<[u64; 4]> {
    let scenes: Vec<[u64; 4]> = (0..1 + rng.below(3)).map(|_| rng.uniform_code()).collect();
    (0..frames)
        .map(|f| {
            let scene = scenes[f * scenes.len() / frames];
            let d = 8 + rng.below(24) as u32;
            rng.flip(scene, d)
        })
        .collect()
}

/// Even queries are a stored video re-encoded (each kept frame 0 to 11 bits off, a tenth of
/// the frames dropped); odd ones are unseen videos.
fn queries(rng: &mut Rng, library: &[[u64; 4]], options: &Options) -> Vec<Vec<[u64; 4]>> {
    (0..options.queries)
        .map(|i| {
            if i % 2 == 0 {
                let v = rng.below(options.videos as u64) as usize;
                let mut copy = Vec::with_capacity(options.frames);
                for &code in &library[v * options.frames..(v + 1) * options.frames] {
                    if rng.below(10) != 0 {
                        let d = rng.below(12) as u32;
                        copy.push(rng.flip(code, d));
                    }
                }
                copy
            } else {
                video(rng, options.frames)
            }
        })
        .collect()
}

fn hashes(codes: &[[u64; 4]]) -> Vec<Hash256> {
    codes.iter().copied().map(Hash256::from_words).collect()
}

/// Stored frames near the query, per video, by brute force: `(video, target_matched)`.
fn brute_force_targets(library: &[[u64; 4]], frames: usize, query: &[Hash256]) -> Vec<(u64, u32)> {
    let entries: Vec<(u64, Hash256)> = library
        .iter()
        .enumerate()
        .map(|(i, &c)| (i as u64, Hash256::from_words(c)))
        .collect();
    let mut counts = std::collections::BTreeMap::new();
    for m in lindung_index::brute_force(&entries, query, DEFAULT_RADIUS) {
        *counts.entry(m.id / frames as u64).or_insert(0u32) += 1;
    }
    counts.into_iter().collect()
}

fn main() {
    let options = parse_options();
    let mut rng = Rng(21);
    let mut library = Vec::with_capacity(options.videos * options.frames);
    for _ in 0..options.videos {
        library.extend(video(&mut rng, options.frames));
    }
    let queries = queries(&mut rng, &library, &options);
    eprintln!(
        "{} videos x {} frames, {} query videos",
        options.videos, options.frames, options.queries
    );

    let rss_before = rss_bytes();
    let config = IndexConfig {
        build_threads: options.threads,
        ..IndexConfig::default()
    };
    let index = VideoIndex::new(config);
    let start = Instant::now();
    index
        .replace_all(
            library
                .chunks(options.frames)
                .enumerate()
                .map(|(v, frames)| (v as u64, hashes(frames))),
        )
        .expect("ids and frame counts fit");
    let build_s = start.elapsed().as_secs_f64();
    let rss_index = rss_bytes().saturating_sub(rss_before);

    let query_hashes: Vec<Vec<Hash256>> = queries.iter().map(|q| hashes(q)).collect();
    let start = Instant::now();
    let chunk = query_hashes.len().div_ceil(options.threads.max(1)).max(1);
    let results: Vec<Vec<VideoMatch>> = std::thread::scope(|scope| {
        let handles: Vec<_> = query_hashes
            .chunks(chunk)
            .map(|part| {
                let index = &index;
                scope.spawn(move || {
                    part.iter()
                        .map(|q| index.search(q, DEFAULT_RADIUS))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("query thread"))
            .collect()
    });
    let seconds = start.elapsed().as_secs_f64();

    // Every re-encoded copy finds its source at 80% or more of its frames.
    let mut found_sources = 0;
    let mut matched_videos = 0;
    for r in &results {
        matched_videos += r.iter().filter(|m| m.query_pct() >= 80.0).count();
        found_sources += usize::from(r.iter().any(|m| m.query_pct() >= 80.0));
    }
    // A few queries against brute force over every frame.
    for (q, r) in query_hashes.iter().zip(&results).take(4) {
        let mut ours: Vec<(u64, u32)> = r.iter().map(|m| (m.video, m.target_matched)).collect();
        ours.sort_unstable();
        assert_eq!(
            ours,
            brute_force_targets(&library, options.frames, q),
            "the index and brute force disagree"
        );
    }

    println!("videos {}", options.videos);
    println!("frames {}", index.frame_count());
    println!("query_videos {}", queries.len());
    println!(
        "query_frames {}",
        queries.iter().map(Vec::len).sum::<usize>()
    );
    println!("threads {}", options.threads);
    println!("build_s {build_s:.3}");
    println!("query_videos_per_s {:.1}", queries.len() as f64 / seconds);
    println!("matches_at_80pct {matched_videos}");
    println!("queries_with_source_found {found_sources}");
    println!("rss_index_mb {:.0}", rss_index as f64 / 1e6);

    if let Some(dir) = options.out {
        std::fs::create_dir_all(&dir).expect("out dir");
        write_codes(&dir.join("frames.db"), &library).expect("write frames");
        let flat: Vec<[u64; 4]> = queries.iter().flatten().copied().collect();
        write_codes(&dir.join("queries.db"), &flat).expect("write queries");
        let mut lens = std::io::BufWriter::new(
            std::fs::File::create(dir.join("queries.lens")).expect("create"),
        );
        for q in &queries {
            writeln!(lens, "{}", q.len()).expect("write");
        }
        // One line per (query, video): the vote counts FAISS must reproduce.
        let mut ours =
            std::io::BufWriter::new(std::fs::File::create(dir.join("ours.txt")).expect("create"));
        for (i, r) in results.iter().enumerate() {
            let mut sorted: Vec<&VideoMatch> = r.iter().collect();
            sorted.sort_unstable_by_key(|m| m.video);
            for m in sorted {
                writeln!(
                    ours,
                    "{i} {} {} {}",
                    m.video, m.query_matched, m.target_matched
                )
                .expect("write");
            }
        }
        ours.flush().expect("flush");
        lens.flush().expect("flush");
    }
}
