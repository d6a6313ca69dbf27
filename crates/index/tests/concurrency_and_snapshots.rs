//! Many readers during writes and background compaction; damaged snapshot files.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use lindung_index::{
    DigestIndex, HammingIndex, Hash256, IndexConfig, Match, SnapshotError, brute_force,
    parse_digest,
};

fn pseudo_random_codes(count: u64, seed: u64) -> Vec<(u64, Hash256)> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..count)
        .map(|id| (id, Hash256::from_words([next(), next(), next(), next()])))
        .collect()
}

#[test]
fn readers_always_see_stable_entries_while_writers_churn_and_compact() {
    let stable = pseudo_random_codes(50_000, 1);
    let config = IndexConfig {
        compact_after: 2_000,
        ..IndexConfig::default()
    };
    let index = HammingIndex::build(stable.clone(), config);
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|r| {
            let index = index.clone();
            let stable = stable.clone();
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let mut checked = 0usize;
                let mut i = r;
                while !done.load(Ordering::Relaxed) || checked < 1_000 {
                    let (id, code) = stable[i % stable.len()];
                    let found = index.search(&code, 0);
                    assert!(
                        found.contains(&Match { distance: 0, id }),
                        "stable id {id} missing during churn"
                    );
                    i += 7919;
                    checked += 1;
                }
                checked
            })
        })
        .collect();

    // Churn ids above the stable range: insert, then remove every other one, so the delta and
    // the tombstones both pass the compaction threshold several times.
    let churn = pseudo_random_codes(12_000, 2);
    for chunk in churn.chunks(500) {
        for &(id, code) in chunk {
            index.insert(id + 1_000_000, code);
        }
        for &(id, _) in chunk.iter().step_by(2) {
            assert!(index.remove(id + 1_000_000));
        }
    }
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().expect("reader thread") >= 1_000);
    }
    index.compact();

    let mut expected: Vec<(u64, Hash256)> = stable.clone();
    expected.extend(
        churn
            .iter()
            .enumerate()
            .filter(|(i, _)| (i % 500) % 2 == 1)
            .map(|(_, &(id, code))| (id + 1_000_000, code)),
    );
    assert_eq!(index.len(), expected.len());
    let stats = index.stats();
    assert_eq!(stats.delta_len + stats.tombstones, 0, "{stats:?}");
    for &(_, q) in expected.iter().step_by(997) {
        assert_eq!(index.search(&q, 40), brute_force(&expected, &[q], 40));
    }
}

fn saved_index(dir: &tempfile::TempDir) -> (std::path::PathBuf, Vec<(u64, Hash256)>) {
    let entries = pseudo_random_codes(40_000, 3);
    let index = HammingIndex::build(entries.clone(), IndexConfig::default());
    let path = dir.path().join("bank.snap");
    index.save(&path).expect("save");
    (path, entries)
}

#[test]
fn a_snapshot_round_trip_gives_identical_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, entries) = saved_index(&dir);
    let loaded = HammingIndex::load(&path, IndexConfig::default()).expect("load");
    assert_eq!(loaded.len(), entries.len());
    assert!(loaded.stats().substrings > 0);
    assert!(
        loaded.stats().base_heap_bytes < 4096,
        "a loaded snapshot is mapped, not copied"
    );
    for &(_, q) in entries.iter().step_by(1009) {
        assert_eq!(loaded.search(&q, 31), brute_force(&entries, &[q], 31));
    }
    // A loaded index takes updates like any other.
    let extra = Hash256::from_words([7, 7, 7, 7]);
    loaded.insert(u64::MAX, extra);
    assert_eq!(
        loaded.search(&extra, 0),
        vec![Match {
            distance: 0,
            id: u64::MAX
        }]
    );
}

#[test]
fn damaged_snapshots_are_refused_with_a_precise_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, _) = saved_index(&dir);
    let original = std::fs::read(&path).expect("read");
    let damaged = dir.path().join("damaged.snap");
    let load = |bytes: &[u8]| {
        std::fs::write(&damaged, bytes).expect("write");
        HammingIndex::load(&damaged, IndexConfig::default())
    };

    assert!(matches!(
        load(&original[..original.len() / 2]),
        Err(SnapshotError::WrongLength { .. })
    ));
    assert!(matches!(load(&[]), Err(SnapshotError::NotASnapshot(_))));
    assert!(matches!(
        load(b"PK\x03\x04 this is a zip file, not an index"),
        Err(SnapshotError::NotASnapshot(_))
    ));
    for position in [200, original.len() / 3, original.len() - 20] {
        let mut flipped = original.clone();
        flipped[position] ^= 0x10;
        assert!(
            matches!(load(&flipped), Err(SnapshotError::ChecksumMismatch(_))),
            "flip at {position}"
        );
    }
    let mut future = original.clone();
    future[8] = 99;
    let err = load(&future).expect_err("a future version is refused");
    assert!(matches!(
        err,
        SnapshotError::UnsupportedVersion { found: 99, .. }
    ));
    assert!(err.to_string().contains("format version 99"), "{err}");
    let missing = HammingIndex::load(&dir.path().join("absent.snap"), IndexConfig::default());
    assert!(matches!(missing, Err(SnapshotError::Io { .. })));
}

#[test]
fn digest_index_finds_exact_digests_only() {
    let md5 = parse_digest::<16>("D41D8CD98F00B204E9800998ECF8427E").expect("md5");
    let other = parse_digest::<16>("0cc175b9c0f1b6a831c399e269772661").expect("md5");
    let index = DigestIndex::<16>::build([(md5, 2), (md5, 1), (other, 3)]);
    assert_eq!(index.get(&md5), vec![1, 2]);
    index.remove(md5, 1);
    index.insert(md5, 9);
    assert_eq!(index.get(&md5), vec![2, 9]);
    let mut near = md5;
    near[15] ^= 1;
    assert!(index.get(&near).is_empty());
    assert_eq!(index.len(), 2);
    assert!(parse_digest::<32>("abc").is_err());
    assert!(parse_digest::<16>("g41d8cd98f00b204e9800998ecf8427e").is_err());
}
