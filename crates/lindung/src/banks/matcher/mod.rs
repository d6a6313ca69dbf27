//! The in-memory matching index of every bank, kept in step with the store by following the
//! change log: each server process applies new entries in order, so a signal added through any
//! process matches in all of them without a rebuild. The database stays the source of truth.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use lindung_index::{DigestIndex, Hash256, IndexConfig, Update, VideoIndex, parse_digest};
use lindung_media::vpdq::VpdqFrame;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::Mutex;

use super::entities::{bank, change, signal};
use crate::store::Store;

mod lookup;
mod pdq_banks;
mod snapshot;

pub use lookup::{MAX_LOOKUP_FRAMES, MAX_LOOKUP_HASHES, Scope};
use pdq_banks::PdqBanks;

/// Which kind of signal a catalogue record is (kept in snapshots).
const KIND_PDQ: u8 = 0;
const KIND_MD5: u8 = 1;
const KIND_SHA256: u8 = 2;
const KIND_VPDQ: u8 = 3;

pub use snapshot::MatcherSnapshotError;

/// What the index knows of a bank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankInfo {
    pub id: i32,
    pub organisation_id: i32,
    pub name: String,
    pub enabled: bool,
    pub pdq_threshold: u32,
    pub sharing: super::entities::BankSharing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SignalRef {
    bank_id: i32,
    content_id: i64,
    /// `KIND_PDQ`, `KIND_MD5`, `KIND_SHA256` or `KIND_VPDQ`.
    kind: u8,
    /// MD5 (first 16 bytes) or SHA-256; zero for PDQ and vPDQ (their codes are in the indexes).
    digest: [u8; 32],
}

/// One match: which bank and content, and how far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankMatch {
    pub bank: String,
    pub bank_id: i32,
    pub content_id: i64,
    pub signal_id: i64,
    pub distance: u32,
    /// For a vPDQ match, how much of each video matched.
    pub video: Option<VideoScore>,
}

/// How much of the query video and of the stored video matched, in percent, as
/// python-threatexchange reports it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoScore {
    pub query_match_pct: f64,
    pub target_match_pct: f64,
}

impl Eq for VideoScore {}

/// python-threatexchange's defaults for vPDQ: frames below quality 50 are ignored, frames match
/// within distance 31, and a video matches when at least 80% of the query's frames do.
pub const VPDQ_QUALITY_THRESHOLD: u8 = 50;
pub const VPDQ_FRAME_DISTANCE: u32 = 31;
pub const VPDQ_QUERY_MATCH_PCT: f64 = 80.0;
pub const VPDQ_TARGET_MATCH_PCT: f64 = 0.0;

/// The frame hashes of a vPDQ signal that take part in matching.
pub fn matchable_frames(frames: &[VpdqFrame]) -> Vec<Hash256> {
    frames
        .iter()
        .filter(|f| f.quality >= VPDQ_QUALITY_THRESHOLD)
        .map(|f| f.hash)
        .collect()
}

fn row_frames(row: &signal::Model) -> Option<Vec<Hash256>> {
    lindung_media::vpdq::parse_signal(row.signal())
        .ok()
        .map(|frames| matchable_frames(&frames))
}

#[derive(Debug, Default)]
struct Catalogue {
    banks: HashMap<i32, BankInfo>,
    signals: HashMap<i64, SignalRef>,
}

impl Catalogue {
    /// A match on the signal with index id `id` if that signal is still known and its bank is
    /// enabled and in `scope`. The distance was already checked against the bank's limit.
    fn matched(
        &self,
        id: u64,
        distance: u32,
        video: Option<VideoScore>,
        scope: &Scope,
    ) -> Option<BankMatch> {
        let signal_id = i64::try_from(id).ok()?;
        let r = self.signals.get(&signal_id)?;
        let b = self.banks.get(&r.bank_id)?;
        (b.enabled && scope.admits(b)).then(|| BankMatch {
            bank: b.name.clone(),
            bank_id: b.id,
            content_id: r.content_id,
            signal_id,
            distance,
            video,
        })
    }
}

/// The matching index of a server process.
#[derive(Debug)]
pub struct Matcher {
    pdq: PdqBanks,
    /// vPDQ signals: video ids are signal ids.
    vpdq: VideoIndex,
    md5: DigestIndex<16>,
    sha256: DigestIndex<32>,
    catalogue: RwLock<Catalogue>,
    last_seq: AtomicI64,
    /// When the last sync finished, as milliseconds since the Unix epoch.
    synced_at_ms: AtomicI64,
    loaded: AtomicBool,
    /// One sync at a time; queries never take it.
    syncing: Mutex<()>,
}

impl Default for Matcher {
    fn default() -> Self {
        Self::with_indexes(PdqBanks::default(), VideoIndex::new(IndexConfig::default()))
    }
}

impl Matcher {
    fn with_indexes(pdq: PdqBanks, vpdq: VideoIndex) -> Self {
        Matcher {
            pdq,
            vpdq,
            md5: DigestIndex::new(),
            sha256: DigestIndex::new(),
            catalogue: RwLock::new(Catalogue::default()),
            last_seq: AtomicI64::new(0),
            synced_at_ms: AtomicI64::new(0),
            loaded: AtomicBool::new(false),
            syncing: Mutex::new(()),
        }
    }
}

const PAGE: u64 = 10_000;

fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Matcher {
    /// Whether the initial load has finished (`/status` answers 503 before).
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    pub fn pdq_len(&self) -> usize {
        self.pdq.len()
    }

    /// Number of videos (vPDQ signals) in the index.
    pub fn video_len(&self) -> usize {
        self.vpdq.len()
    }

    /// Seconds since the index last caught up with the change log (infinite before the first
    /// load).
    pub fn seconds_since_sync(&self) -> f64 {
        let at = self.synced_at_ms.load(Ordering::Acquire);
        if at == 0 {
            return f64::INFINITY;
        }
        (unix_ms() - at).max(0) as f64 / 1000.0
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq.load(Ordering::Acquire)
    }

    fn catalogue(&self) -> std::sync::RwLockReadGuard<'_, Catalogue> {
        self.catalogue
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Loads everything on first call, then applies the change log entries after the last one
    /// seen. Returns how many entries were applied.
    pub async fn sync(&self, store: &Store) -> Result<usize, DbErr> {
        let _one = self.syncing.lock().await;
        if !self.is_loaded() {
            self.load_all(store).await?;
            self.loaded.store(true, Ordering::Release);
            self.synced_at_ms.store(unix_ms(), Ordering::Release);
            return Ok(0);
        }
        let mut applied = 0;
        loop {
            let after = self.last_seq();
            let changes = change::Entity::find()
                .filter(change::Column::Seq.gt(after))
                .order_by_asc(change::Column::Seq)
                .limit(PAGE)
                .all(store.db())
                .await?;
            if changes.is_empty() {
                self.synced_at_ms.store(unix_ms(), Ordering::Release);
                return Ok(applied);
            }
            let mut reload_banks = false;
            // Fetch the added signals of this page in a few queries rather than one each.
            let added: Vec<i64> = changes
                .iter()
                .filter(|c| c.kind == "signal_added")
                .filter_map(|c| c.signal_id)
                .collect();
            let mut rows: HashMap<i64, signal::Model> = HashMap::with_capacity(added.len());
            for ids in added.chunks(1000) {
                for row in signal::Entity::find()
                    .filter(signal::Column::Id.is_in(ids.iter().copied()))
                    .all(store.db())
                    .await?
                {
                    rows.insert(row.id, row);
                }
            }
            let mut pending: Vec<(i32, Update)> = Vec::new();
            for c in &changes {
                match c.kind.as_str() {
                    "signal_added" => {
                        if let Some(row) = c.signal_id.and_then(|id| rows.get(&id)) {
                            if row.signal_type == "pdq" {
                                if let (Ok(hash), Ok(id)) =
                                    (Hash256::parse(&row.value), u64::try_from(row.id))
                                {
                                    pending.push((row.bank_id, Update::Insert(id, hash)));
                                }
                                self.remember(row);
                            } else {
                                self.insert_signal(row);
                            }
                        }
                    }
                    "signal_removed" => {
                        if let Some(id) = c.signal_id {
                            self.pdq.apply(std::mem::take(&mut pending));
                            self.remove_signal(id);
                        }
                    }
                    "bank_deleted" => {
                        self.pdq.apply(std::mem::take(&mut pending));
                        self.remove_bank(c.bank_id);
                        reload_banks = true;
                    }
                    _ => reload_banks = true,
                }
            }
            self.pdq.apply(pending);
            if reload_banks {
                self.load_banks(store).await?;
            }
            applied += changes.len();
            if let Some(last) = changes.last() {
                self.last_seq.store(last.seq, Ordering::Release);
            }
        }
    }

    async fn load_banks(&self, store: &Store) -> Result<(), DbErr> {
        let banks = bank::Entity::find().all(store.db()).await?;
        let mut catalogue = self
            .catalogue
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        catalogue.banks = banks
            .into_iter()
            .map(|b| {
                (
                    b.id,
                    BankInfo {
                        id: b.id,
                        organisation_id: b.organisation_id,
                        name: b.name,
                        enabled: b.enabled,
                        pdq_threshold: u32::try_from(b.pdq_threshold).unwrap_or(0),
                        sharing: b.sharing,
                    },
                )
            })
            .collect();
        Ok(())
    }

    async fn load_all(&self, store: &Store) -> Result<(), DbErr> {
        // The change-log position is read first: changes committed while loading are applied
        // again afterwards, which is harmless because applying a change is idempotent.
        let last = change::Entity::find()
            .order_by_desc(change::Column::Seq)
            .one(store.db())
            .await?
            .map_or(0, |c| c.seq);
        self.load_banks(store).await?;
        // Keyset pages (id > last seen), not OFFSET, so each page is an index range scan; the
        // PDQ codes are collected and built into one base per bank rather than inserted one by
        // one.
        let mut codes: HashMap<i32, Vec<(u64, Hash256)>> = HashMap::new();
        let mut videos: Vec<(u64, Vec<Hash256>)> = Vec::new();
        let mut after = i64::MIN;
        loop {
            let rows = signal::Entity::find()
                .filter(signal::Column::Id.gt(after))
                .order_by_asc(signal::Column::Id)
                .limit(PAGE)
                .all(store.db())
                .await?;
            let Some(last_row) = rows.last() else { break };
            after = last_row.id;
            for row in &rows {
                if row.signal_type == "pdq" {
                    if let (Ok(hash), Ok(id)) = (Hash256::parse(&row.value), u64::try_from(row.id))
                    {
                        codes.entry(row.bank_id).or_default().push((id, hash));
                    }
                } else if row.signal_type == "vpdq" {
                    if let (Some(frames), Ok(id)) = (row_frames(row), u64::try_from(row.id)) {
                        videos.push((id, frames));
                    }
                } else {
                    self.insert_digest(row);
                }
                self.remember(row);
            }
        }
        self.pdq.replace_all(codes);
        if let Err(e) = self.vpdq.replace_all(videos) {
            tracing::warn!("some vpdq signals cannot be indexed: {e}");
        }
        self.last_seq.store(last, Ordering::Release);
        Ok(())
    }

    fn remember(&self, row: &signal::Model) {
        let mut digest = [0u8; 32];
        let kind = match row.signal_type.as_str() {
            "md5" | "video_md5" => {
                if let Ok(d) = parse_digest::<16>(&row.value) {
                    digest[..16].copy_from_slice(&d);
                }
                KIND_MD5
            }
            "vpdq" => KIND_VPDQ,
            "sha256" => {
                if let Ok(d) = parse_digest::<32>(&row.value) {
                    digest = d;
                }
                KIND_SHA256
            }
            _ => KIND_PDQ,
        };
        self.catalogue
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .signals
            .insert(
                row.id,
                SignalRef {
                    bank_id: row.bank_id,
                    content_id: row.content_id,
                    kind,
                    digest,
                },
            );
    }

    fn insert_digest(&self, row: &signal::Model) {
        let Ok(id) = u64::try_from(row.id) else {
            return;
        };
        match row.signal_type.as_str() {
            "md5" | "video_md5" => {
                if let Ok(d) = parse_digest::<16>(&row.value) {
                    self.md5.insert(d, id);
                }
            }
            "sha256" => {
                if let Ok(d) = parse_digest::<32>(&row.value) {
                    self.sha256.insert(d, id);
                }
            }
            _ => {}
        }
    }

    fn insert_signal(&self, row: &signal::Model) {
        if row.signal_type == "pdq" {
            if let (Ok(hash), Ok(id)) = (Hash256::parse(&row.value), u64::try_from(row.id)) {
                self.pdq.insert(row.bank_id, id, hash);
            }
        } else if row.signal_type == "vpdq" {
            if let (Some(frames), Ok(id)) = (row_frames(row), u64::try_from(row.id))
                && let Err(e) = self.vpdq.insert(id, &frames)
            {
                tracing::warn!("vpdq signal {id} cannot be indexed: {e}");
            }
        } else {
            self.insert_digest(row);
        }
        self.remember(row);
    }

    fn remove_signal(&self, signal_id: i64) {
        let bank_id = self.catalogue().signals.get(&signal_id).map(|r| r.bank_id);
        if let Ok(id) = u64::try_from(signal_id) {
            if let Some(bank_id) = bank_id {
                self.pdq.remove(bank_id, id);
            }
            self.vpdq.remove(id);
        }
        // Digest entries of removed signals are filtered out at lookup by the catalogue.
        self.catalogue
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .signals
            .remove(&signal_id);
    }

    fn remove_bank(&self, bank_id: i32) {
        let ids: Vec<i64> = self
            .catalogue()
            .signals
            .iter()
            .filter(|(_, r)| r.bank_id == bank_id)
            .map(|(&id, _)| id)
            .collect();
        self.pdq.drop_bank(bank_id);
        for id in ids.iter().filter_map(|&id| u64::try_from(id).ok()) {
            self.vpdq.remove(id);
        }
        let mut catalogue = self
            .catalogue
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for id in ids {
            catalogue.signals.remove(&id);
        }
    }
}
