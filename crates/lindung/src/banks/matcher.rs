//! The in-memory matching index of every bank, kept in step with the store by following the
//! change log: each server process applies new entries in order, so a signal added through any
//! process matches in all of them without a rebuild. The database stays the source of truth.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use lindung_index::{DigestIndex, HammingIndex, Hash256, IndexConfig, Update, parse_digest};
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::Mutex;

use super::entities::{bank, change, signal};
use crate::store::Store;

/// What the index knows of a bank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankInfo {
    pub id: i32,
    pub name: String,
    pub enabled: bool,
    pub pdq_threshold: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SignalRef {
    bank_id: i32,
    content_id: i64,
}

/// One match: which bank and content, and how far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankMatch {
    pub bank: String,
    pub bank_id: i32,
    pub content_id: i64,
    pub signal_id: i64,
    pub distance: u32,
}

#[derive(Debug, Default)]
struct Catalogue {
    banks: HashMap<i32, BankInfo>,
    signals: HashMap<i64, SignalRef>,
}

/// The matching index of a server process.
#[derive(Debug)]
pub struct Matcher {
    pdq: HammingIndex,
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
        Matcher {
            pdq: HammingIndex::new(IndexConfig::default()),
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
            for c in &changes {
                match c.kind.as_str() {
                    "signal_added" => {
                        if let Some(id) = c.signal_id
                            && let Some(row) =
                                signal::Entity::find_by_id(id).one(store.db()).await?
                        {
                            self.insert_signal(&row);
                        }
                    }
                    "signal_removed" => {
                        if let Some(id) = c.signal_id {
                            self.remove_signal(id);
                        }
                    }
                    "bank_deleted" => {
                        self.remove_bank(c.bank_id);
                        reload_banks = true;
                    }
                    _ => reload_banks = true,
                }
            }
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
                        name: b.name,
                        enabled: b.enabled,
                        pdq_threshold: u32::try_from(b.pdq_threshold).unwrap_or(0),
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
        let mut pages = signal::Entity::find()
            .order_by_asc(signal::Column::Id)
            .paginate(store.db(), PAGE);
        while let Some(rows) = pages.fetch_and_next().await? {
            let mut updates = Vec::with_capacity(rows.len());
            for row in &rows {
                if row.signal_type == "pdq" {
                    if let (Ok(hash), Ok(id)) = (Hash256::parse(&row.value), u64::try_from(row.id))
                    {
                        updates.push(Update::Insert(id, hash));
                    }
                } else {
                    self.insert_digest(row);
                }
                self.remember(row);
            }
            self.pdq.apply(updates);
        }
        self.pdq.compact();
        self.last_seq.store(last, Ordering::Release);
        Ok(())
    }

    fn remember(&self, row: &signal::Model) {
        self.catalogue
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .signals
            .insert(
                row.id,
                SignalRef {
                    bank_id: row.bank_id,
                    content_id: row.content_id,
                },
            );
    }

    fn insert_digest(&self, row: &signal::Model) {
        let Ok(id) = u64::try_from(row.id) else {
            return;
        };
        match row.signal_type.as_str() {
            "md5" => {
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
                self.pdq.insert(id, hash);
            }
        } else {
            self.insert_digest(row);
        }
        self.remember(row);
    }

    fn remove_signal(&self, signal_id: i64) {
        if let Ok(id) = u64::try_from(signal_id) {
            self.pdq.remove(id);
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
        let updates = ids
            .iter()
            .filter_map(|&id| u64::try_from(id).ok())
            .map(Update::Remove);
        self.pdq.apply(updates);
        let mut catalogue = self
            .catalogue
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for id in ids {
            catalogue.signals.remove(&id);
        }
    }

    /// PDQ matches in enabled banks, each bank with its own threshold unless `radius` overrides
    /// it. With several queries (dihedral variants), each content item is reported once.
    pub fn lookup_pdq(&self, queries: &[Hash256], radius: Option<u32>) -> Vec<BankMatch> {
        let catalogue = self.catalogue();
        let widest = radius.unwrap_or_else(|| {
            catalogue
                .banks
                .values()
                .filter(|b| b.enabled)
                .map(|b| b.pdq_threshold)
                .max()
                .unwrap_or(0)
        });
        let found = self.pdq.search_batch(queries, widest);
        found
            .into_iter()
            .filter_map(|m| {
                let signal_id = i64::try_from(m.id).ok()?;
                let r = catalogue.signals.get(&signal_id)?;
                let b = catalogue.banks.get(&r.bank_id)?;
                let limit = radius.unwrap_or(b.pdq_threshold);
                (b.enabled && m.distance <= limit).then(|| BankMatch {
                    bank: b.name.clone(),
                    bank_id: b.id,
                    content_id: r.content_id,
                    signal_id,
                    distance: m.distance,
                })
            })
            .collect()
    }

    /// Exact digest matches (`md5` or `sha256`) in enabled banks.
    pub fn lookup_digest(&self, kind: &str, hex: &str) -> Vec<BankMatch> {
        let ids = match kind {
            "md5" | "video_md5" => parse_digest::<16>(hex).map(|d| self.md5.get(&d)),
            "sha256" => parse_digest::<32>(hex).map(|d| self.sha256.get(&d)),
            _ => return Vec::new(),
        }
        .unwrap_or_default();
        let catalogue = self.catalogue();
        ids.into_iter()
            .filter_map(|id| {
                let signal_id = i64::try_from(id).ok()?;
                let r = catalogue.signals.get(&signal_id)?;
                let b = catalogue.banks.get(&r.bank_id)?;
                b.enabled.then(|| BankMatch {
                    bank: b.name.clone(),
                    bank_id: b.id,
                    content_id: r.content_id,
                    signal_id,
                    distance: 0,
                })
            })
            .collect()
    }
}
