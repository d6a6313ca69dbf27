//! Exact search over perceptual hashes for Lindung, with no web or database code.
//!
//! [`HammingIndex`] finds every stored 256-bit code within a Hamming radius of a query (or of
//! any of a batch of queries, such as the 8 dihedral hashes of one image), with results
//! identical to brute force. It uses multi-index hashing for large sets and a SIMD linear scan
//! for small ones or when a query's candidates would explode. Inserts and removals are visible
//! to the next query without a rebuild, and the index can be saved to and memory-mapped from a
//! checksummed snapshot file. [`VideoIndex`] stores videos as sets of frame hashes in one such
//! index and counts each query frame's votes per video (vPDQ matching). [`DigestIndex`] is the
//! exact index for MD5 and SHA-256.
//!
//! ```
//! use lindung_index::{DEFAULT_RADIUS, HammingIndex, Hash256, IndexConfig};
//! let bank = HammingIndex::build([(1, Hash256::from_words([1, 2, 3, 4]))], IndexConfig::default());
//! bank.insert(2, Hash256::from_words([1, 2, 3, 5]));
//! let found = bank.search(&Hash256::from_words([1, 2, 3, 4]), DEFAULT_RADIUS);
//! let pairs: Vec<(u64, u32)> = found.iter().map(|m| (m.id, m.distance)).collect();
//! assert_eq!(pairs, [(1, 0), (2, 1)]);
//! ```

mod exact;
mod index;
mod mih;
mod scan;
mod segment;
mod snapshot;
mod store;
mod video;

pub use exact::{DigestIndex, DigestParseError, Md5Index, Sha256Index, parse_digest};
pub use index::{HammingIndex, IndexConfig, IndexStats, Match, Update};
pub use pdq::Hash256;
pub use scan::ScanKernel;
pub use segment::SearchPath;
pub use snapshot::{FORMAT_VERSION, SnapshotError, is_snapshot};
pub use video::{
    FRAME_BITS, MAX_FRAMES_PER_VIDEO, MAX_VIDEO_ID, VideoIndex, VideoIndexError, VideoMatch,
};

/// A 256-bit code as four words, in `pdq::Hash256::words` order.
pub(crate) type Code = [u64; 4];

/// The radius PDQ matching uses by default (ThreatExchange and HMA use the same).
pub const DEFAULT_RADIUS: u32 = 31;

/// Every `(distance, id)` within `radius` of any query, by brute force over `entries`. The
/// oracle the index is tested against, public so that callers' tests can use it too.
pub fn brute_force(entries: &[(u64, Hash256)], queries: &[Hash256], radius: u32) -> Vec<Match> {
    let mut best: std::collections::BTreeMap<u64, u32> = std::collections::BTreeMap::new();
    for &(id, code) in entries {
        if let Some(d) = queries.iter().map(|q| q.distance(&code)).min()
            && d <= radius
        {
            let slot = best.entry(id).or_insert(d);
            *slot = (*slot).min(d);
        }
    }
    let mut matches: Vec<Match> = best
        .into_iter()
        .map(|(id, distance)| Match { distance, id })
        .collect();
    matches.sort_unstable();
    matches
}

/// Runs the linear scan with a chosen kernel, for tests that compare kernels.
pub fn scan_with_kernel(
    kernel: ScanKernel,
    codes: &[Hash256],
    queries: &[Hash256],
    radius: u32,
) -> Vec<(u32, u32)> {
    let codes: Vec<Code> = codes.iter().map(Hash256::words).collect();
    let queries: Vec<Code> = queries.iter().map(Hash256::words).collect();
    let mut out = Vec::new();
    scan::scan(kernel, &codes, &queries, radius, 0, &mut out);
    out
}
