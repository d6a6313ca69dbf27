//! Lindung's side of `benches/hash_vs_peers.sh`. Prints `name value` lines:
//!   pdq_buffer_ms  PDQ of an already-decoded 1600x1004 RGB buffer (best kernel)
//!   file_ms        file to PDQ + MD5 + SHA-256, one thread, mean over the bridge JPEGs
//! Usage: file_to_hash [<decoded-bridge.png> <jpeg>...] (defaults to the repo's test data).
//! Without `--bench` (as `cargo test --all-targets` runs it) it does one quick iteration.

use std::path::PathBuf;
use std::time::Instant;

use lindung_media::{Fingerprinter, Limits, Options, decode};
use pdq::Hasher;

fn best_of<F: FnMut()>(rounds: usize, iters: usize, mut f: F) -> f64 {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed().as_secs_f64() / iters as f64
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let timing = std::env::args().any(|a| a == "--bench");
    let (rounds, scale) = if timing { (5, 1) } else { (1, 0) };
    let mut args: Vec<PathBuf> = std::env::args_os()
        .skip(1)
        .filter(|a| !a.to_string_lossy().starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if args.is_empty() {
        let td = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/pdq");
        args.push(td.join("decoded/bridge-1-original.png"));
        args.push(td.join("data/reg-test-input/dih/bridge-1-original.jpg"));
    }
    let Some((png, jpegs)) = args.split_first() else {
        unreachable!("args has at least one element")
    };
    let bytes = std::fs::read(png).expect("read png");
    let decoded = decode(&bytes, &Limits::default()).expect("decode");
    let image = decoded.as_image_ref().expect("image");
    let mut hasher = Hasher::new();
    let buffer = best_of(rounds, 1 + 39 * scale, || {
        std::hint::black_box(hasher.hash(image).expect("hash"));
    });
    println!("kernel {}", hasher.kernel().name());
    println!("pdq_buffer_ms {:.4}", buffer * 1e3);

    let mut fp = Fingerprinter::new(Options::default());
    let per_round = best_of(rounds, 1 + 2 * scale, || {
        for path in jpegs {
            std::hint::black_box(fp.fingerprint_file(path).expect("fingerprint"));
        }
    });
    println!("file_ms {:.4}", per_round * 1e3 / jpegs.len().max(1) as f64);
}
