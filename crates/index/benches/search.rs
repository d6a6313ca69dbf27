//! Index benchmark: builds a dataset, times build, queries, snapshot save and load, and
//! memory. `benches/index_vs_faiss.sh` runs it with `--out DIR` so the FAISS peer can load the
//! very same codes and queries and compare result sets.
//!
//! Without arguments (as `cargo test` and `cargo bench` run it) it does a quick pass on 200k
//! codes of both datasets and checks a sample of queries against brute force.
//!
//! Arguments: `--size N --queries Q --dataset uniform|realistic --threads T --out DIR`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

mod common;

use common::{Rng, rss_bytes, write_codes};
use lindung_index::{
    HammingIndex, Hash256, IndexConfig, ScanKernel, brute_force, scan_with_kernel,
};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dataset {
    Uniform,
    /// Families of 1 to 50 near-duplicates (0 to 40 bits from a seed), bit frequencies between
    /// 25% and 75%, and 5% exact duplicates of earlier codes.
    Realistic,
}

fn generate(dataset: Dataset, n: usize, queries: usize) -> (Vec<[u64; 4]>, Vec<[u64; 4]>) {
    let mut rng = Rng(match dataset {
        Dataset::Uniform => 11,
        Dataset::Realistic => 12,
    });
    let mut thresholds = [0u16; 256];
    for t in thresholds.iter_mut() {
        *t = (16384 + rng.below(32768)) as u16;
    }
    let mut codes = Vec::with_capacity(n);
    match dataset {
        Dataset::Uniform => codes.extend((0..n).map(|_| rng.uniform_code())),
        Dataset::Realistic => {
            while codes.len() < n {
                if !codes.is_empty() && rng.below(20) == 0 {
                    let earlier = codes[rng.below(codes.len() as u64) as usize];
                    codes.push(earlier);
                    continue;
                }
                let seed = rng.biased_code(&thresholds);
                let family = 1 + rng.below(50);
                for _ in 0..family.min((n - codes.len()) as u64) {
                    let d = rng.below(41) as u32;
                    codes.push(rng.flip(seed, d));
                }
            }
        }
    }
    let mut qs = Vec::with_capacity(queries);
    for i in 0..queries {
        if i % 2 == 0 {
            let target = codes[rng.below(n as u64) as usize];
            let d = rng.below(32) as u32;
            qs.push(rng.flip(target, d));
        } else {
            qs.push(match dataset {
                Dataset::Uniform => rng.uniform_code(),
                Dataset::Realistic => rng.biased_code(&thresholds),
            });
        }
    }
    (codes, qs)
}

/// Runs every query on `threads` threads; returns results in query order and queries/s.
fn run_queries(index: &HammingIndex, queries: &[Hash256], threads: usize) -> (Vec<Vec<u64>>, f64) {
    let start = Instant::now();
    let chunk = queries.len().div_ceil(threads.max(1)).max(1);
    let results: Vec<Vec<Vec<u64>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = queries
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|q| index.search(q, 31).into_iter().map(|m| m.id).collect())
                        .collect::<Vec<Vec<u64>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("query thread"))
            .collect()
    });
    let seconds = start.elapsed().as_secs_f64();
    let results: Vec<Vec<u64>> = results.into_iter().flatten().collect();
    (results, queries.len() as f64 / seconds)
}

struct Options {
    size: usize,
    queries: usize,
    dataset: Option<Dataset>,
    threads: usize,
    out: Option<PathBuf>,
}

fn parse_options() -> Options {
    let mut options = Options {
        size: 200_000,
        queries: 2_000,
        dataset: None,
        threads: std::thread::available_parallelism().map_or(1, usize::from),
        out: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        match arg.as_str() {
            "--size" => options.size = value().parse().expect("--size N"),
            "--queries" => options.queries = value().parse().expect("--queries N"),
            "--threads" => options.threads = value().parse().expect("--threads N"),
            "--out" => options.out = Some(PathBuf::from(value())),
            "--dataset" => {
                options.dataset = Some(match value().as_str() {
                    "uniform" => Dataset::Uniform,
                    "realistic" => Dataset::Realistic,
                    other => panic!("unknown dataset {other}"),
                })
            }
            _ => {} // `cargo bench` passes --bench
        }
    }
    options
}

fn run(dataset: Dataset, options: &Options) {
    let name = format!("{dataset:?}").to_lowercase();
    let (codes, queries) = generate(dataset, options.size, options.queries);
    let queries: Vec<Hash256> = queries.into_iter().map(Hash256::from_words).collect();
    let entries: Vec<(u64, Hash256)> = codes
        .iter()
        .enumerate()
        .map(|(i, &c)| (i as u64, Hash256::from_words(c)))
        .collect();
    if let Some(dir) = &options.out {
        write_codes(&dir.join(format!("{name}.db")), &codes).expect("write db");
        let raw: Vec<[u64; 4]> = queries.iter().map(Hash256::words).collect();
        write_codes(&dir.join(format!("{name}.queries")), &raw).expect("write queries");
    }
    drop(codes);

    let rss_before = rss_bytes();
    let start = Instant::now();
    let index = HammingIndex::build(entries.iter().copied(), IndexConfig::default());
    let build_s = start.elapsed().as_secs_f64();
    let rss_index = rss_bytes().saturating_sub(rss_before);
    let stats = index.stats();
    let (results, qps) = run_queries(&index, &queries, options.threads);

    let dir = options.out.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("lindung-bench-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).expect("bench dir");
    let snapshot = dir.join(format!("{name}.snap"));
    let start = Instant::now();
    index.save(&snapshot).expect("save");
    let save_s = start.elapsed().as_secs_f64();
    drop(index);
    let start = Instant::now();
    let loaded = HammingIndex::load(&snapshot, IndexConfig::default()).expect("load");
    let load_s = start.elapsed().as_secs_f64();
    let (loaded_results, loaded_qps) = run_queries(&loaded, &queries, options.threads);
    assert_eq!(
        loaded_results, results,
        "a loaded snapshot answers as the built index"
    );

    // Brute-force check of a sample, so the quick pass can fail on a wrong answer.
    for (q, expected_ids) in queries.iter().zip(&results).step_by(queries.len() / 50 + 1) {
        let expected: Vec<u64> = brute_force(&entries, &[*q], 31)
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(&expected, expected_ids, "index differs from brute force");
    }
    let found: usize = results.iter().map(Vec::len).sum();
    let with_match = results.iter().filter(|r| !r.is_empty()).count();

    if options.out.is_some() {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(dir.join(format!("{name}.ours"))).expect("results"),
        );
        for r in &results {
            let mut ids = r.clone();
            ids.sort_unstable();
            out.write_all(&(ids.len() as u32).to_le_bytes())
                .expect("write");
        }
        for r in &results {
            let mut ids = r.clone();
            ids.sort_unstable();
            for id in ids {
                out.write_all(&id.to_le_bytes()).expect("write");
            }
        }
        out.flush().expect("flush");
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }

    println!("dataset {name}");
    println!("n {}", options.size);
    println!("queries {}", queries.len());
    println!("threads {}", options.threads);
    println!("substrings {}", stats.substrings);
    println!("results {found}");
    println!("queries_with_match {with_match}");
    println!("build_s {build_s:.3}");
    println!("qps {qps:.0}");
    println!("qps_after_load {loaded_qps:.0}");
    println!("save_s {save_s:.3}");
    println!("load_s {load_s:.3}");
    println!("index_heap_mb {:.0}", stats.base_heap_bytes as f64 / 1e6);
    println!("rss_index_mb {:.0}", rss_index as f64 / 1e6);
}

/// Linear-scan speed per kernel over 1M codes with the 8 dihedral queries of one image, the
/// path small banks and the delta take.
fn scan_kernels() {
    let (codes, queries) = generate(Dataset::Uniform, 1_000_000, 8);
    let codes: Vec<Hash256> = codes.into_iter().map(Hash256::from_words).collect();
    let queries: Vec<Hash256> = queries.into_iter().map(Hash256::from_words).collect();
    let mut expected = None;
    for kernel in ScanKernel::ALL.into_iter().filter(|k| k.is_available()) {
        let start = Instant::now();
        let found = scan_with_kernel(kernel, &codes, &queries, 31);
        let seconds = start.elapsed().as_secs_f64();
        assert_eq!(expected.get_or_insert_with(|| found.clone()), &found);
        println!(
            "scan_{}_mcodes_per_s {:.0}",
            kernel.name(),
            codes.len() as f64 / seconds / 1e6
        );
    }
}

fn main() {
    let options = parse_options();
    if options.dataset.is_none() {
        scan_kernels();
    }
    match options.dataset {
        Some(dataset) => run(dataset, &options),
        None => {
            run(Dataset::Uniform, &options);
            run(Dataset::Realistic, &options);
        }
    }
}
