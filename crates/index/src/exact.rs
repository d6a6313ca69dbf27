//! Exact lookup of cryptographic digests (MD5, SHA-256) to the ids that carry them.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

/// Why a digest string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DigestParseError {
    /// Wrong number of hex digits.
    #[error("expected {expected} hex digits, found {found}")]
    Length {
        /// Digits required.
        expected: usize,
        /// Digits given.
        found: usize,
    },
    /// A character that is not a hex digit.
    #[error("not a hex digit at position {0}")]
    NotHex(usize),
}

/// Parses `2 * N` hex digits (either case) into `N` bytes.
pub fn parse_digest<const N: usize>(text: &str) -> Result<[u8; N], DigestParseError> {
    let bytes = text.as_bytes();
    if bytes.len() != 2 * N {
        return Err(DigestParseError::Length {
            expected: 2 * N,
            found: bytes.len(),
        });
    }
    let nibble = |i: usize| -> Result<u8, DigestParseError> {
        let c = bytes[i];
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(DigestParseError::NotHex(i)),
        }
    };
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = (nibble(2 * i)? << 4) | nibble(2 * i + 1)?;
    }
    Ok(out)
}

/// Digest to ids. Several ids may share a digest (the same file in two banks). A lookup is one
/// hash-table probe; writers hold the lock only for their own table updates.
#[derive(Debug, Default)]
pub struct DigestIndex<const N: usize> {
    map: RwLock<HashMap<[u8; N], Vec<u64>>>,
}

/// MD5 digests (16 bytes).
pub type Md5Index = DigestIndex<16>;
/// SHA-256 digests (32 bytes).
pub type Sha256Index = DigestIndex<32>;

impl<const N: usize> DigestIndex<N> {
    /// An empty index.
    pub fn new() -> Self {
        DigestIndex {
            map: RwLock::new(HashMap::new()),
        }
    }

    /// Builds an index from `(digest, id)` pairs.
    pub fn build(entries: impl IntoIterator<Item = ([u8; N], u64)>) -> Self {
        let mut map: HashMap<[u8; N], Vec<u64>> = HashMap::new();
        for (digest, id) in entries {
            let ids = map.entry(digest).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        for ids in map.values_mut() {
            ids.sort_unstable();
        }
        DigestIndex {
            map: RwLock::new(map),
        }
    }

    fn current(&self) -> RwLockReadGuard<'_, HashMap<[u8; N], Vec<u64>>> {
        // Updates are applied whole before the lock is released, so a poisoned lock still
        // guards a consistent map.
        self.map.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The ids stored under `digest`, ascending.
    pub fn get(&self, digest: &[u8; N]) -> Vec<u64> {
        self.current().get(digest).cloned().unwrap_or_default()
    }

    /// Number of distinct digests.
    pub fn len(&self) -> usize {
        self.current().len()
    }

    /// Whether no digest is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Applies insertions and removals of `(digest, id)` pairs together.
    pub fn update(&self, insert: &[([u8; N], u64)], remove: &[([u8; N], u64)]) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        for (digest, id) in remove {
            if let Some(ids) = map.get_mut(digest) {
                ids.retain(|x| x != id);
                if ids.is_empty() {
                    map.remove(digest);
                }
            }
        }
        for (digest, id) in insert {
            let ids = map.entry(*digest).or_default();
            if let Err(at) = ids.binary_search(id) {
                ids.insert(at, *id);
            }
        }
    }

    /// Adds `id` under `digest`.
    pub fn insert(&self, digest: [u8; N], id: u64) {
        self.update(&[(digest, id)], &[]);
    }

    /// Removes `id` from `digest`.
    pub fn remove(&self, digest: [u8; N], id: u64) {
        self.update(&[], &[(digest, id)]);
    }
}
