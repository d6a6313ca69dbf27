//! Lindung's side of `benches/hash_vs_peers.sh`. Prints `name value` lines:
//!   pdq_buffer_ms  PDQ of an already-decoded 1600x1004 RGB buffer (best kernel)
//!   file_ms        file to PDQ + MD5 + SHA-256, one thread, mean over the bridge JPEGs
//! Usage: file_to_hash <decoded-bridge.png> <jpeg>...

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
    let args: Vec<PathBuf> = std::env::args_os()
        .skip(1)
        .filter(|a| a != "--bench")
        .map(PathBuf::from)
        .collect();
    let Some((png, jpegs)) = args.split_first() else {
        eprintln!("usage: file_to_hash <decoded-bridge.png> <jpeg>...");
        std::process::exit(2);
    };
    let bytes = std::fs::read(png).expect("read png");
    let decoded = decode(&bytes, &Limits::default()).expect("decode");
    let image = decoded.as_image_ref().expect("image");
    let mut hasher = Hasher::new();
    let buffer = best_of(5, 40, || {
        std::hint::black_box(hasher.hash(image).expect("hash"));
    });
    println!("kernel {}", hasher.kernel().name());
    println!("pdq_buffer_ms {:.4}", buffer * 1e3);

    let mut fp = Fingerprinter::new(Options::default());
    let per_round = best_of(5, 3, || {
        for path in jpegs {
            std::hint::black_box(fp.fingerprint_file(path).expect("fingerprint"));
        }
    });
    println!("file_ms {:.4}", per_round * 1e3 / jpegs.len().max(1) as f64);
}
