//! The updatable index: an immutable base segment, a small delta of recent inserts, and
//! tombstones for removed base entries, published together as one immutable state.
//!
//! Readers clone an `Arc` of the current state and search it without further locking, so a
//! query never waits for a write or a compaction; the lock they take is held only for that
//! clone. Writers copy the parts they change (a delta chunk, the tombstone list) and publish a
//! new state. Compaction merges base, delta and tombstones into a new base without holding any
//! lock, then replays the writes that arrived meanwhile on top of it and swaps it in.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use pdq::Hash256;

use crate::Code;
use crate::scan::{self, ScanKernel};
use crate::segment::{SearchPath, Segment};
use crate::snapshot::{self, SnapshotError};

/// Entries per delta chunk: a write copies at most one chunk.
const CHUNK_CAPACITY: usize = 1024;

/// A stored code within the search radius.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Match {
    /// Hamming distance to the closest query of the batch.
    pub distance: u32,
    /// The id given at insertion.
    pub id: u64,
}

/// One change to the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// Adds `id` with `code`, replacing any code `id` had.
    Insert(u64, Hash256),
    /// Removes `id` if present.
    Remove(u64),
}

/// Tuning knobs. The defaults suit banks from thousands to hundreds of millions of hashes.
#[derive(Clone, Debug)]
pub struct IndexConfig {
    /// Compact once the delta holds this many entries or this many base entries are removed.
    pub compact_after: usize,
    /// Whether writes start a background compaction thread when `compact_after` is reached.
    pub auto_compact: bool,
    /// Threads used to build the multi-index tables.
    pub build_threads: usize,
    /// The linear-scan kernel; `ScanKernel::detect()` by default.
    pub kernel: ScanKernel,
    /// Smallest base segment that gets multi-index tables; smaller ones are only scanned.
    pub min_codes_for_tables: usize,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            compact_after: 64 * 1024,
            auto_compact: true,
            build_threads: std::thread::available_parallelism().map_or(1, usize::from),
            kernel: ScanKernel::detect(),
            min_codes_for_tables: crate::segment::MIN_CODES_FOR_TABLES,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Chunk {
    ids: Vec<u64>,
    codes: Vec<Code>,
}

#[derive(Clone, Debug)]
struct State {
    base: Arc<Segment>,
    /// Sorted base positions that no longer count.
    tombstones: Arc<Vec<u32>>,
    delta: Vec<Arc<Chunk>>,
}

impl State {
    fn delta_len(&self) -> usize {
        self.delta.iter().map(|c| c.ids.len()).sum()
    }

    fn is_dead(&self, position: u32) -> bool {
        self.tombstones.binary_search(&position).is_ok()
    }

    /// Live entries sorted by id.
    fn live_entries(&self) -> Vec<(u64, Code)> {
        let ids = self.base.ids.as_slice();
        let codes = self.base.codes.as_slice();
        let mut entries = Vec::with_capacity(ids.len() + self.delta_len());
        let mut dead = self.tombstones.iter().peekable();
        for (position, (&id, &code)) in ids.iter().zip(codes).enumerate() {
            if dead.next_if_eq(&&(position as u32)).is_some() {
                continue;
            }
            entries.push((id, code));
        }
        for chunk in &self.delta {
            entries.extend(chunk.ids.iter().copied().zip(chunk.codes.iter().copied()));
        }
        entries.sort_unstable_by_key(|&(id, _)| id);
        entries
    }
}

/// Writer-side bookkeeping, never read by queries.
#[derive(Debug, Default)]
struct Writer {
    /// Which delta chunk holds each delta id.
    delta_chunk: HashMap<u64, usize>,
    /// Writes made since a running compaction took its snapshot, to replay on its result.
    replay: Option<Vec<Update>>,
}

#[derive(Debug)]
struct Shared {
    state: RwLock<Arc<State>>,
    writer: Mutex<Writer>,
    compaction: Mutex<()>,
    config: IndexConfig,
}

/// Exact Hamming-radius index over 256-bit codes with in-place updates. Cloning gives another
/// handle to the same index; handles may be used from any number of threads.
#[derive(Clone, Debug)]
pub struct HammingIndex {
    shared: Arc<Shared>,
}

/// Figures about an index, for logs and benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexStats {
    /// Live entries.
    pub len: usize,
    /// Entries in the base segment, including removed ones.
    pub base_len: usize,
    /// Entries in the delta.
    pub delta_len: usize,
    /// Removed base entries awaiting compaction.
    pub tombstones: usize,
    /// Multi-index substrings of the base (0: scan only).
    pub substrings: usize,
    /// Heap bytes held by the base segment (a mapped snapshot holds almost none).
    pub base_heap_bytes: usize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere cannot leave these structures half-updated: every update builds a new
    // value first and swaps it in last.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for HammingIndex {
    fn default() -> Self {
        Self::new(IndexConfig::default())
    }
}

impl HammingIndex {
    /// An empty index.
    pub fn new(config: IndexConfig) -> Self {
        Self::with_base(Segment::empty(), config)
    }

    fn with_base(base: Segment, config: IndexConfig) -> Self {
        let state = State {
            base: Arc::new(base),
            tombstones: Arc::new(Vec::new()),
            delta: Vec::new(),
        };
        HammingIndex {
            shared: Arc::new(Shared {
                state: RwLock::new(Arc::new(state)),
                writer: Mutex::new(Writer::default()),
                compaction: Mutex::new(()),
                config,
            }),
        }
    }

    /// Builds an index from `(id, code)` pairs in one go. A repeated id keeps its last code.
    pub fn build(entries: impl IntoIterator<Item = (u64, Hash256)>, config: IndexConfig) -> Self {
        let base = Segment::build(
            &unique_by_id(entries),
            config.build_threads,
            config.min_codes_for_tables,
        );
        Self::with_base(base, config)
    }

    /// Replaces every entry with `entries` (a repeated id keeps its last code), building one new
    /// base instead of inserting one by one: the way to bulk-load an index that already exists.
    /// Queries see the old contents until the new base is swapped in.
    pub fn replace_all(&self, entries: impl IntoIterator<Item = (u64, Hash256)>) {
        let _no_compaction = lock(&self.shared.compaction);
        let config = &self.shared.config;
        let base = Segment::build(
            &unique_by_id(entries),
            config.build_threads,
            config.min_codes_for_tables,
        );
        let mut writer = lock(&self.shared.writer);
        writer.delta_chunk.clear();
        self.publish(State {
            base: Arc::new(base),
            tombstones: Arc::new(Vec::new()),
            delta: Vec::new(),
        });
    }

    /// Opens a snapshot written by [`HammingIndex::save`], memory-mapping it. The whole file is
    /// checksummed and its structure validated first, so a damaged file is an error, never a
    /// source of wrong answers.
    pub fn load(path: &Path, config: IndexConfig) -> Result<Self, SnapshotError> {
        let base = snapshot::load(path)?;
        Ok(Self::with_base(base, config))
    }

    /// Writes every entry live when the call starts to a snapshot file, atomically (a temporary
    /// file renamed into place).
    pub fn save(&self, path: &Path) -> Result<(), SnapshotError> {
        let state = self.current();
        if state.delta.is_empty() && state.tombstones.is_empty() {
            snapshot::save(&state.base, path)
        } else {
            let merged = self.merge(&state);
            snapshot::save(&merged, path)
        }
    }

    fn merge(&self, state: &State) -> Segment {
        let config = &self.shared.config;
        Segment::build(
            &state.live_entries(),
            config.build_threads,
            config.min_codes_for_tables,
        )
    }

    fn current(&self) -> Arc<State> {
        Arc::clone(
            &self
                .shared
                .state
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    fn publish(&self, state: State) {
        *self
            .shared
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(state);
    }

    /// Figures about the current state.
    pub fn stats(&self) -> IndexStats {
        let state = self.current();
        let delta_len = state.delta_len();
        IndexStats {
            len: state.base.len() - state.tombstones.len() + delta_len,
            base_len: state.base.len(),
            delta_len,
            tombstones: state.tombstones.len(),
            substrings: state.base.tables.as_ref().map_or(0, |t| t.substrings.len()),
            base_heap_bytes: state.base.heap_bytes(),
        }
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        self.stats().len
    }

    /// Whether the index holds no live entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The code stored for `id`, if any.
    pub fn get(&self, id: u64) -> Option<Hash256> {
        let state = self.current();
        for chunk in &state.delta {
            if let Some(i) = chunk.ids.iter().position(|&x| x == id) {
                return Some(Hash256::from_words(chunk.codes[i]));
            }
        }
        let position = state.base.position_of(id)?;
        if state.is_dead(position) {
            return None;
        }
        Some(Hash256::from_words(
            state.base.codes.as_slice()[position as usize],
        ))
    }

    /// Every stored code within `radius` of `query`, sorted by distance and then id.
    pub fn search(&self, query: &Hash256, radius: u32) -> Vec<Match> {
        self.search_batch(std::slice::from_ref(query), radius)
    }

    /// Every stored code within `radius` of any of `queries` (typically the 8 dihedral hashes of
    /// one image), each id once at its smallest distance, sorted by distance and then id.
    pub fn search_batch(&self, queries: &[Hash256], radius: u32) -> Vec<Match> {
        self.search_batch_traced(queries, radius).0
    }

    /// As [`HammingIndex::search_batch`], also saying whether the base answered with its tables
    /// or a scan.
    pub fn search_batch_traced(
        &self,
        queries: &[Hash256],
        radius: u32,
    ) -> (Vec<Match>, SearchPath) {
        let (found, path) = self.search_with_codes(queries, radius);
        (found.into_iter().map(|(m, _)| m).collect(), path)
    }

    /// As [`HammingIndex::search_batch`], with the stored code of each match, so that a caller
    /// can tell which of its queries each match is near without looking codes up again.
    pub fn search_batch_codes(&self, queries: &[Hash256], radius: u32) -> Vec<(Match, Hash256)> {
        self.search_with_codes(queries, radius)
            .0
            .into_iter()
            .map(|(m, code)| (m, Hash256::from_words(code)))
            .collect()
    }

    fn search_with_codes(
        &self,
        queries: &[Hash256],
        radius: u32,
    ) -> (Vec<(Match, Code)>, SearchPath) {
        let radius = radius.min(256);
        let state = self.current();
        let kernel = self.shared.config.kernel;
        let mut matches = Vec::new();
        let mut path = SearchPath::Scan;
        let mut hits = Vec::new();
        // Batches larger than 255 queries are split: candidates carry the query index in a byte.
        for batch in queries.chunks(255) {
            let codes: Vec<Code> = batch.iter().map(Hash256::words).collect();
            hits.clear();
            path = state.base.search(kernel, &codes, radius, &mut hits);
            let ids = state.base.ids.as_slice();
            let base_codes = state.base.codes.as_slice();
            for &(position, distance) in &hits {
                if !state.is_dead(position) {
                    let id = ids[position as usize];
                    matches.push((Match { distance, id }, base_codes[position as usize]));
                }
            }
            for chunk in &state.delta {
                hits.clear();
                scan::scan(kernel, &chunk.codes, &codes, radius, 0, &mut hits);
                matches.extend(hits.iter().map(|&(i, distance)| {
                    let id = chunk.ids[i as usize];
                    (Match { distance, id }, chunk.codes[i as usize])
                }));
            }
        }
        // Best distance per id, then (distance, id) order.
        matches.sort_unstable_by_key(|(m, _)| (m.id, m.distance));
        matches.dedup_by_key(|(m, _)| m.id);
        matches.sort_unstable_by_key(|(m, _)| *m);
        (matches, path)
    }

    /// Every live id, in increasing order.
    pub fn ids(&self) -> Vec<u64> {
        self.current()
            .live_entries()
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    /// Adds `id` with `code`, replacing any code it had. Visible to the next query.
    pub fn insert(&self, id: u64, code: Hash256) {
        self.apply([Update::Insert(id, code)]);
    }

    /// Removes `id`. Returns whether it was present.
    pub fn remove(&self, id: u64) -> bool {
        self.apply([Update::Remove(id)]) > 0
    }

    /// Applies many updates and publishes them together. Returns how many removals found their
    /// id.
    pub fn apply(&self, updates: impl IntoIterator<Item = Update>) -> usize {
        let mut writer = lock(&self.shared.writer);
        let mut state = (*self.current()).clone();
        let mut removed = 0;
        for update in updates {
            if let Some(replay) = writer.replay.as_mut() {
                replay.push(update);
            }
            removed += usize::from(apply_update(&mut state, &mut writer, update));
        }
        let due = state.delta_len() >= self.shared.config.compact_after
            || state.tombstones.len() >= self.shared.config.compact_after;
        let compacting = writer.replay.is_some();
        self.publish(state);
        drop(writer);
        if due && !compacting && self.shared.config.auto_compact {
            let index = self.clone();
            std::thread::spawn(move || index.compact());
        }
        removed
    }

    /// Merges the delta and tombstones into a new base segment and swaps it in. Queries and
    /// writes proceed meanwhile; writes made during the merge are replayed onto the new base.
    pub fn compact(&self) {
        let _one_at_a_time = lock(&self.shared.compaction);
        let snapshot = {
            let mut writer = lock(&self.shared.writer);
            let state = self.current();
            if state.delta.is_empty() && state.tombstones.is_empty() {
                return;
            }
            writer.replay = Some(Vec::new());
            state
        };
        let merged = self.merge(&snapshot);
        let mut writer = lock(&self.shared.writer);
        let replay = writer.replay.take().unwrap_or_default();
        writer.delta_chunk.clear();
        let mut state = State {
            base: Arc::new(merged),
            tombstones: Arc::new(Vec::new()),
            delta: Vec::new(),
        };
        for update in replay {
            apply_update(&mut state, &mut writer, update);
        }
        self.publish(state);
    }
}

/// Entries sorted by id, each id once with its last code.
fn unique_by_id(entries: impl IntoIterator<Item = (u64, Hash256)>) -> Vec<(u64, Code)> {
    let mut sorted: Vec<(u64, Code)> = entries.into_iter().map(|(id, h)| (id, h.words())).collect();
    // Stable sort keeps insertion order among equal ids, so the last one wins below.
    sorted.sort_by_key(|&(id, _)| id);
    let mut unique: Vec<(u64, Code)> = Vec::with_capacity(sorted.len());
    for entry in sorted {
        match unique.last_mut() {
            Some(last) if last.0 == entry.0 => *last = entry,
            _ => unique.push(entry),
        }
    }
    unique
}

/// Applies one update to a private copy of the state. Returns whether a removal found its id.
fn apply_update(state: &mut State, writer: &mut Writer, update: Update) -> bool {
    match update {
        Update::Insert(id, code) => {
            remove_id(state, writer, id);
            let full = state
                .delta
                .last()
                .is_none_or(|c| c.ids.len() >= CHUNK_CAPACITY);
            if full {
                state.delta.push(Arc::new(Chunk::default()));
            }
            let last = state.delta.len() - 1;
            let chunk = Arc::make_mut(&mut state.delta[last]);
            chunk.ids.push(id);
            chunk.codes.push(code.words());
            writer.delta_chunk.insert(id, last);
            false
        }
        Update::Remove(id) => remove_id(state, writer, id),
    }
}

fn remove_id(state: &mut State, writer: &mut Writer, id: u64) -> bool {
    let mut removed = false;
    if let Some(index) = writer.delta_chunk.remove(&id)
        && let Some(slot) = state.delta.get_mut(index)
    {
        let chunk = Arc::make_mut(slot);
        if let Some(i) = chunk.ids.iter().position(|&x| x == id) {
            chunk.ids.swap_remove(i);
            chunk.codes.swap_remove(i);
            // swap_remove moves this chunk's last entry into slot i: it stays in the same
            // chunk, so `delta_chunk` needs no change.
            removed = true;
        }
    }
    if let Some(position) = state.base.position_of(id)
        && let Err(at) = state.tombstones.binary_search(&position)
    {
        Arc::make_mut(&mut state.tombstones).insert(at, position);
        removed = true;
    }
    removed
}
