//! The video index against brute-force vote counting: videos made of near-duplicate frames,
//! repeated frames, replacement, removal, bulk load and a snapshot round trip.

use std::collections::{BTreeMap, HashSet};

use lindung_index::{
    DEFAULT_RADIUS, FRAME_BITS, Hash256, IndexConfig, MAX_VIDEO_ID, VideoIndex, VideoIndexError,
    VideoMatch,
};
use proptest::prelude::*;

fn tables_always() -> IndexConfig {
    IndexConfig {
        min_codes_for_tables: 1,
        auto_compact: false,
        ..IndexConfig::default()
    }
}

fn distinct(frames: &[Hash256]) -> Vec<Hash256> {
    let mut seen = HashSet::new();
    frames
        .iter()
        .copied()
        .filter(|f| seen.insert(f.words()))
        .collect()
}

/// The counts python-threatexchange's brute-force matcher computes, for every video with a
/// frame in range.
fn brute_force(
    videos: &BTreeMap<u64, Vec<Hash256>>,
    query: &[Hash256],
    radius: u32,
) -> Vec<VideoMatch> {
    let query = distinct(query);
    let mut out: Vec<VideoMatch> = videos
        .iter()
        .filter_map(|(&video, frames)| {
            let frames = distinct(frames);
            let near = |a: &Hash256, b: &Hash256| a.distance(b) <= radius;
            let target_matched = frames
                .iter()
                .filter(|f| query.iter().any(|q| near(f, q)))
                .count() as u32;
            let query_matched = query
                .iter()
                .filter(|q| frames.iter().any(|f| near(f, q)))
                .count() as u32;
            (target_matched > 0).then_some(VideoMatch {
                video,
                query_frames: query.len() as u32,
                query_matched,
                target_frames: frames.len() as u32,
                target_matched,
            })
        })
        .collect();
    out.sort_unstable_by_key(|m| (std::cmp::Reverse(m.query_matched), m.video));
    out
}

/// `base` with `d` bits flipped at positions chosen by `seed`.
fn near(base: Hash256, d: u32, seed: u64) -> Hash256 {
    let mut words = base.words();
    let mut x = seed | 1;
    for _ in 0..d {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let bit = (x % 256) as usize;
        words[bit / 64] ^= 1 << (bit % 64);
    }
    Hash256::from_words(words)
}

/// A few "scenes"; each video is frames drifting around one or two scenes, as real videos do,
/// with some frames repeated exactly.
fn library() -> impl Strategy<Value = (BTreeMap<u64, Vec<Hash256>>, Vec<Hash256>)> {
    (
        prop::collection::vec(any::<[u64; 4]>(), 3..6),
        prop::collection::vec((0u64..40, 0usize..6, 1usize..12, any::<u64>()), 1..30),
        (0usize..6, 1usize..15, any::<u64>()),
    )
        .prop_map(|(scenes, specs, (qscene, qlen, qseed))| {
            let scenes: Vec<Hash256> = scenes.into_iter().map(Hash256::from_words).collect();
            let clip = |scene: usize, len: usize, seed: u64| -> Vec<Hash256> {
                let base = scenes[scene % scenes.len()];
                (0..len)
                    .map(|i| {
                        near(
                            base,
                            (seed.wrapping_add(i as u64) % 45) as u32,
                            seed ^ (i as u64 / 2),
                        )
                    })
                    .collect()
            };
            let mut videos = BTreeMap::new();
            for (video, scene, len, seed) in specs {
                videos.insert(video, clip(scene, len, seed));
            }
            (videos, clip(qscene, qlen, qseed))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn votes_equal_brute_force((videos, query) in library(), radius in prop_oneof![Just(DEFAULT_RADIUS), 0u32..64]) {
        for config in [tables_always(), IndexConfig::default()] {
            let index = VideoIndex::new(config);
            for (&video, frames) in &videos {
                index.insert(video, frames).expect("test setup");
            }
            prop_assert_eq!(index.search(&query, radius), brute_force(&videos, &query, radius));
            prop_assert_eq!(index.len(), videos.values().filter(|f| !f.is_empty()).count());

            let bulk = VideoIndex::new(tables_always());
            bulk.replace_all(videos.iter().map(|(&v, f)| (v, f.clone()))).expect("test setup");
            prop_assert_eq!(bulk.search(&query, radius), brute_force(&videos, &query, radius));
        }
    }

    #[test]
    fn replacing_and_removing_videos((mut videos, query) in library(), drop_every in 2usize..4) {
        let index = VideoIndex::new(tables_always());
        for (&video, frames) in &videos {
            index.insert(video, frames).expect("test setup");
        }
        // Replace some videos with their own first half (fewer frames than before), remove
        // others.
        let ids: Vec<u64> = videos.keys().copied().collect();
        for (i, video) in ids.into_iter().enumerate() {
            if i % drop_every == 0 {
                prop_assert!(index.remove(video));
                prop_assert!(!index.remove(video));
                videos.remove(&video);
            } else if let Some(frames) = videos.get_mut(&video) {
                frames.truncate(frames.len().div_ceil(2));
                index.insert(video, frames).expect("test setup");
            }
        }
        prop_assert_eq!(index.search(&query, DEFAULT_RADIUS), brute_force(&videos, &query, DEFAULT_RADIUS));
        let distinct_frames: usize = videos.values().map(|f| distinct(f).len()).sum();
        prop_assert_eq!(index.frame_count(), distinct_frames);
    }
}

#[test]
fn snapshot_keeps_videos_and_their_frame_counts() {
    let a = Hash256::from_words([1, 2, 3, 4]);
    let b = Hash256::from_words([5, 6, 7, 8]);
    let c = Hash256::from_words([9, 10, 11, 12]);
    let index = VideoIndex::default();
    index.insert(7, &[a, b, a, c]).expect("test setup");
    index.insert(9, &[c]).expect("test setup");
    let dir = tempfile::tempdir().expect("test setup");
    let path = dir.path().join("videos.snap");
    index.save(&path).expect("test setup");
    let loaded = VideoIndex::load(&path, IndexConfig::default()).expect("test setup");
    assert_eq!(loaded.len(), 2);
    assert_eq!(loaded.frame_count(), 4);
    let found = loaded.search(&[a, a, b], 0);
    assert_eq!(
        found,
        [VideoMatch {
            video: 7,
            query_frames: 2,
            query_matched: 2,
            target_frames: 3,
            target_matched: 2
        }]
    );
    assert!((found[0].query_pct() - 100.0).abs() < 1e-9);
    assert!((found[0].target_pct() - 200.0 / 3.0).abs() < 1e-9);
}

#[test]
fn ids_and_frame_counts_beyond_the_packing_are_refused() {
    let index = VideoIndex::default();
    let frame = Hash256::from_words([1, 1, 1, 1]);
    assert_eq!(
        index.insert(MAX_VIDEO_ID + 1, &[frame]),
        Err(VideoIndexError::IdTooLarge(MAX_VIDEO_ID + 1))
    );
    let too_many: Vec<Hash256> = (0..(1u64 << FRAME_BITS) + 1)
        .map(|i| Hash256::from_words([i, 0, 0, 0]))
        .collect();
    assert!(matches!(
        index.insert(3, &too_many),
        Err(VideoIndexError::TooManyFrames { video: 3, .. })
    ));
    assert!(index.is_empty());
    assert_eq!(index.frame_count(), 0);
}
