//! The index against brute force: random and planted codes, duplicates, every radius, every
//! scan kernel, updates interleaved with queries, compaction, and snapshot round trips.

use std::collections::BTreeMap;
use std::io::Write;

use lindung_index::{
    HammingIndex, Hash256, IndexConfig, Match, ScanKernel, SearchPath, Update, brute_force,
    scan_with_kernel,
};
use proptest::prelude::*;

/// Tables for every segment size, so that small generated sets exercise multi-index hashing.
fn tables_always(kernel: ScanKernel) -> IndexConfig {
    IndexConfig {
        min_codes_for_tables: 1,
        auto_compact: false,
        kernel,
        ..IndexConfig::default()
    }
}

fn available_kernels() -> Vec<ScanKernel> {
    let kernels: Vec<ScanKernel> = ScanKernel::ALL
        .into_iter()
        .filter(|k| k.is_available())
        .collect();
    for k in ScanKernel::ALL {
        if !k.is_available() {
            let _ = writeln!(
                std::io::stderr(),
                "note: scan kernel {} is not available on this CPU; not tested",
                k.name()
            );
        }
    }
    kernels
}

fn code() -> impl Strategy<Value = Hash256> {
    any::<[u64; 4]>().prop_map(Hash256::from_words)
}

/// `base` with `d` distinct bits flipped, chosen by `picks`.
fn flip(base: Hash256, d: usize, picks: &[usize]) -> Hash256 {
    let mut bits: Vec<usize> = (0..256).collect();
    let mut words = base.words();
    for (i, p) in picks.iter().take(d).enumerate() {
        let j = i + p % (256 - i);
        bits.swap(i, j);
        words[bits[i] / 64] ^= 1 << (bits[i] % 64);
    }
    Hash256::from_words(words)
}

/// Entries: random codes, plus for each seed a neighbour at every distance 0..=64, plus exact
/// duplicates under other ids.
fn planted_set() -> impl Strategy<Value = (Vec<(u64, Hash256)>, Vec<Hash256>)> {
    (
        prop::collection::vec(code(), 0..400),
        prop::collection::vec(code(), 1..4),
        prop::collection::vec(any::<usize>(), 64),
    )
        .prop_map(|(random, seeds, picks)| {
            let mut entries: Vec<(u64, Hash256)> = Vec::new();
            let mut id = 0u64;
            for c in random {
                entries.push((id * 7 + 3, c));
                id += 1;
            }
            for seed in &seeds {
                for d in 0..=64 {
                    entries.push((id * 7 + 3, flip(*seed, d, &picks)));
                    id += 1;
                }
                // An exact duplicate of the seed under another id.
                entries.push((id * 7 + 3, *seed));
                id += 1;
            }
            (entries, seeds)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn search_equals_brute_force((entries, seeds) in planted_set(), radius in 0u32..=64, random_query in code()) {
        let mut queries = seeds.clone();
        queries.push(random_query);
        for kernel in available_kernels() {
            for config in [tables_always(kernel), IndexConfig { kernel, auto_compact: false, ..IndexConfig::default() }] {
                let index = HammingIndex::build(entries.clone(), config);
                for q in &queries {
                    prop_assert_eq!(index.search(q, radius), brute_force(&entries, &[*q], radius));
                }
                // All queries as one batch: each id once, at its best distance.
                prop_assert_eq!(index.search_batch(&queries, radius), brute_force(&entries, &queries, radius));
            }
        }
    }

    #[test]
    fn scan_kernels_agree(codes in prop::collection::vec(code(), 0..70), queries in prop::collection::vec(code(), 1..9), radius in 96u32..=160) {
        // Radii near 128 make about half the random codes hit, so every lane of every block and
        // the tails are exercised.
        let expected = scan_with_kernel(ScanKernel::Scalar, &codes, &queries, radius);
        for kernel in available_kernels() {
            prop_assert_eq!(&scan_with_kernel(kernel, &codes, &queries, radius), &expected, "{}", kernel.name());
        }
    }

    #[test]
    fn updates_interleaved_with_queries(
        initial in prop::collection::vec((0u64..300, code()), 0..300),
        ops in prop::collection::vec((0u8..10, 0u64..300, code(), 0usize..64, any::<[usize; 64]>()), 1..120),
        radius in 0u32..=64,
    ) {
        let index = HammingIndex::build(initial.clone(), tables_always(ScanKernel::detect()));
        let mut model: BTreeMap<u64, Hash256> = initial.iter().copied().collect();
        let model_entries = |m: &BTreeMap<u64, Hash256>| m.iter().map(|(&id, &c)| (id, c)).collect::<Vec<_>>();
        for (kind, id, c, d, picks) in ops {
            match kind {
                0..=3 => {
                    // Insert near an existing code half of the time, so queries find it.
                    let near = model.values().next().map_or(c, |&base| flip(base, d, &picks));
                    let inserted = if kind % 2 == 0 { near } else { c };
                    index.insert(id, inserted);
                    model.insert(id, inserted);
                }
                4..=5 => {
                    prop_assert_eq!(index.remove(id), model.remove(&id).is_some());
                }
                6 => index.compact(),
                _ => {
                    let query = model.values().nth(id as usize % model.len().max(1)).copied().unwrap_or(c);
                    let query = flip(query, d, &picks);
                    prop_assert_eq!(index.search(&query, radius), brute_force(&model_entries(&model), &[query], radius));
                }
            }
            prop_assert_eq!(index.len(), model.len());
        }
        for (&id, &c) in &model {
            prop_assert_eq!(index.get(id), Some(c));
        }
        // The snapshot holds exactly the live entries, whether or not a compaction ran.
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("index.snap");
        index.save(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let loaded = HammingIndex::load(&path, tables_always(ScanKernel::detect()))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(loaded.len(), model.len());
        let queries: Vec<Hash256> = model.values().take(5).copied().collect();
        for q in &queries {
            prop_assert_eq!(loaded.search(q, radius), brute_force(&model_entries(&model), &[*q], radius));
        }
    }
}

fn parse_list(text: &str) -> Vec<Hash256> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Hash256::parse(l.trim()).expect("test data hash"))
        .collect()
}

/// The 250 brute-force pairs of real PDQ hashes from the reference test data.
#[test]
fn needles_in_haystack_are_found_exactly() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/pdq");
    let haystack = parse_list(
        &std::fs::read_to_string(format!("{root}/data/reg-test-input/haystack.txt"))
            .expect("haystack"),
    );
    let needles = parse_list(
        &std::fs::read_to_string(format!("{root}/data/reg-test-input/needles.txt"))
            .expect("needles"),
    );
    let mut expected: Vec<(u64, u64, u32)> = Vec::new();
    let csv = std::fs::read_to_string(format!(
        "{root}/expected/needles_vs_haystack_bruteforce_d31.csv"
    ))
    .expect("expected pairs");
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        expected.push((
            f[0].parse().expect("needle index"),
            f[2].parse().expect("haystack index"),
            f[4].parse().expect("distance"),
        ));
    }
    assert_eq!(expected.len(), 250);
    expected.sort_unstable();

    let entries: Vec<(u64, Hash256)> = haystack
        .iter()
        .enumerate()
        .map(|(i, &h)| (i as u64, h))
        .collect();
    for config in [tables_always(ScanKernel::detect()), IndexConfig::default()] {
        let index = HammingIndex::build(entries.clone(), config);
        let mut found: Vec<(u64, u64, u32)> = Vec::new();
        for (ni, needle) in needles.iter().enumerate() {
            for m in index.search(needle, 31) {
                found.push((ni as u64, m.id, m.distance));
            }
        }
        found.sort_unstable();
        assert_eq!(found, expected);
    }
}

#[test]
fn large_sets_use_tables_and_fall_back_to_a_scan_at_large_radii() {
    // Deterministic pseudo-random codes (splitmix64), enough for a base with tables.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let entries: Vec<(u64, Hash256)> = (0..100_000u64)
        .map(|id| (id, Hash256::from_words([next(), next(), next(), next()])))
        .collect();
    let index = HammingIndex::build(entries.clone(), IndexConfig::default());
    assert!(
        index.stats().substrings > 0,
        "a 100k set should have tables"
    );
    let query = entries[77].1;
    let (matches, path) = index.search_batch_traced(&[query], 31);
    assert_eq!(path, SearchPath::Tables);
    assert_eq!(matches, brute_force(&entries, &[query], 31));
    assert_eq!(
        matches[0],
        Match {
            distance: 0,
            id: 77
        }
    );
    let (matches, path) = index.search_batch_traced(&[query], 90);
    assert_eq!(path, SearchPath::Scan);
    assert_eq!(matches, brute_force(&entries, &[query], 90));
}

#[test]
fn skewed_buckets_fall_back_to_a_scan() {
    // Forty thousand codes sharing their low 200 bits: every substring table but a few has one
    // huge bucket, so the candidate count explodes and the scan must take over, exactly.
    let entries: Vec<(u64, Hash256)> = (0..40_000u64)
        .map(|id| {
            (
                id,
                Hash256::from_words([0, 0, 0, id.wrapping_mul(0x9e37_79b9) << 8]),
            )
        })
        .collect();
    let index = HammingIndex::build(entries.clone(), IndexConfig::default());
    let query = entries[5].1;
    let (matches, path) = index.search_batch_traced(&[query], 31);
    assert_eq!(path, SearchPath::Scan);
    assert_eq!(matches, brute_force(&entries, &[query], 31));
}

#[test]
fn batch_updates_are_published_together() {
    let index = HammingIndex::new(IndexConfig::default());
    let a = Hash256::from_words([1, 2, 3, 4]);
    let removed = index.apply([
        Update::Insert(1, a),
        Update::Insert(2, a),
        Update::Remove(1),
        Update::Remove(99),
    ]);
    assert_eq!(removed, 1);
    assert_eq!(index.search(&a, 0), vec![Match { distance: 0, id: 2 }]);
    // Re-inserting an id replaces its code.
    let b = Hash256::from_words([!1, !2, !3, !4]);
    index.insert(2, b);
    assert!(index.search(&a, 31).is_empty());
    assert_eq!(index.get(2), Some(b));
}

#[test]
fn replace_all_swaps_every_entry_for_the_new_set() {
    let old: Vec<(u64, Hash256)> = (0..50_000u64)
        .map(|id| (id, Hash256::from_words([id, id ^ 0xffff, !id, id << 7])))
        .collect();
    let index = HammingIndex::build(old.clone(), IndexConfig::default());
    index.insert(999_999, old[3].1);
    index.remove(7);
    let new: Vec<(u64, Hash256)> = (0..40_000u64)
        .map(|id| {
            (
                id + 100_000,
                Hash256::from_words([!id, id, id.rotate_left(17), id ^ 0x5555]),
            )
        })
        .collect();
    index.replace_all(new.clone());
    assert_eq!(index.len(), new.len());
    let stats = index.stats();
    assert_eq!((stats.delta_len, stats.tombstones), (0, 0));
    assert!(stats.substrings > 0, "a bulk load gets tables");
    for &(_, q) in new.iter().step_by(4001).chain(old.iter().step_by(9001)) {
        assert_eq!(index.search(&q, 31), brute_force(&new, &[q], 31));
    }
    // Writes after the swap work as usual.
    index.insert(1, old[1].1);
    assert_eq!(
        index.search(&old[1].1, 0),
        vec![Match { distance: 0, id: 1 }]
    );
}
