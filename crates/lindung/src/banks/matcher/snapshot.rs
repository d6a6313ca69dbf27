//! The matcher's snapshot on disk, so that a restart does not read every signal again.

use sea_orm::{DbErr, EntityTrait};

use lindung_index::HammingIndex;

use super::*;
use crate::banks::entities::change;
use crate::store::Store;

/// A snapshot of the matcher in a directory: `pdq-<position>-<stamp>-b<bank>.snap` (each bank's
/// PDQ index as the index crate's memory-mapped snapshot, ids are signal ids; named after the
/// change-log position so that a catalogue always pairs with the indexes written with it) and `catalogue.bin` (which bank and content each signal
/// belongs to, the exact digests, and the change-log position it reflects). At start-up the
/// matcher loads it and then applies only the changes made since, instead of reading every
/// signal from the database.
mod snapshot_files {
    pub fn pdq(seq: i64, stamp: i64, bank: i32) -> String {
        format!("{}{bank}.snap", pdq_prefix(seq, stamp))
    }
    pub fn pdq_prefix(seq: i64, stamp: i64) -> String {
        format!("pdq-{seq}-{stamp}-b")
    }
    pub fn vpdq(seq: i64, stamp: i64) -> String {
        format!("vpdq-{seq}-{stamp}.snap")
    }
    pub const CATALOGUE: &str = "catalogue.bin";
    /// Version 2: one PDQ index per bank (a version 1 snapshot is not used).
    pub const MAGIC: &[u8; 8] = b"LNDGCAT2";
    /// signal id i64, bank id i32, content id i64, kind u8, digest 32 bytes.
    pub const RECORD: usize = 8 + 4 + 8 + 1 + 32;
    /// magic, change-log position i64, its timestamp in µs i64, record count u64.
    pub const HEADER: usize = 8 + 8 + 8 + 8;
}

#[derive(Debug, thiserror::Error)]
pub enum MatcherSnapshotError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Index(#[from] lindung_index::SnapshotError),
    #[error("the catalogue is damaged: {0}")]
    Damaged(&'static str),
    #[error("the snapshot belongs to a different database or a later state of it")]
    Foreign,
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

async fn change_stamp(store: &Store, seq: i64) -> Result<Option<i64>, DbErr> {
    Ok(change::Entity::find_by_id(seq)
        .one(store.db())
        .await?
        .map(|c| (c.at.unix_timestamp_nanos() / 1000) as i64))
}

impl Matcher {
    /// Writes the snapshot to `dir`, atomically per file, reflecting one change-log position.
    pub async fn save_snapshot(
        &self,
        store: &Store,
        dir: &std::path::Path,
    ) -> Result<(), MatcherSnapshotError> {
        use snapshot_files::*;
        use std::io::Write;
        let _one = self.syncing.lock().await;
        std::fs::create_dir_all(dir)?;
        let seq = self.last_seq();
        let stamp = if seq > 0 {
            change_stamp(store, seq).await?.unwrap_or(0)
        } else {
            0
        };
        let mut written = Vec::new();
        for (bank, index) in self.pdq.all() {
            let name = pdq(seq, stamp, bank);
            index.save(&dir.join(&name))?;
            written.push(name);
        }
        let vpdq_name = vpdq(seq, stamp);
        self.vpdq.save(&dir.join(&vpdq_name))?;
        written.push(vpdq_name);
        let catalogue = self.catalogue();
        let mut bytes = Vec::with_capacity(HEADER + catalogue.signals.len() * RECORD + 8);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&seq.to_le_bytes());
        bytes.extend_from_slice(&stamp.to_le_bytes());
        bytes.extend_from_slice(&(catalogue.signals.len() as u64).to_le_bytes());
        for (&id, r) in &catalogue.signals {
            bytes.extend_from_slice(&id.to_le_bytes());
            bytes.extend_from_slice(&r.bank_id.to_le_bytes());
            bytes.extend_from_slice(&r.content_id.to_le_bytes());
            bytes.push(r.kind);
            bytes.extend_from_slice(&r.digest);
        }
        drop(catalogue);
        let checksum = xxhash_rust::xxh3::xxh3_64(&bytes);
        bytes.extend_from_slice(&checksum.to_le_bytes());
        let partial = dir.join(format!("{CATALOGUE}.partial"));
        let mut file = std::fs::File::create(&partial)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&partial, dir.join(CATALOGUE))?;
        // Older index files no catalogue refers to any more.
        for entry in std::fs::read_dir(dir)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let index_file =
                (name.starts_with("pdq-") || name.starts_with("vpdq-")) && name.ends_with(".snap");
            if index_file && !written.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    /// Loads a snapshot written by [`Matcher::save_snapshot`] for this database. The caller
    /// falls back to a full load on any error.
    pub async fn open_snapshot(
        store: &Store,
        dir: &std::path::Path,
    ) -> Result<Matcher, MatcherSnapshotError> {
        use snapshot_files::*;
        let bytes = std::fs::read(dir.join(CATALOGUE))?;
        if bytes.len() < HEADER + 8 || &bytes[..8] != MAGIC {
            return Err(MatcherSnapshotError::Damaged("bad header"));
        }
        let (body, tail) = bytes.split_at(bytes.len() - 8);
        let stored = u64::from_le_bytes(
            tail.try_into()
                .map_err(|_| MatcherSnapshotError::Damaged("length"))?,
        );
        if xxhash_rust::xxh3::xxh3_64(body) != stored {
            return Err(MatcherSnapshotError::Damaged("checksum mismatch"));
        }
        let word = |at: usize| -> [u8; 8] { body[at..at + 8].try_into().unwrap_or_default() };
        let seq = i64::from_le_bytes(word(8));
        let stamp = i64::from_le_bytes(word(16));
        let count = u64::from_le_bytes(word(24)) as usize;
        if body.len() != HEADER + count * RECORD {
            return Err(MatcherSnapshotError::Damaged("record count"));
        }
        if seq > 0 && change_stamp(store, seq).await? != Some(stamp) {
            return Err(MatcherSnapshotError::Foreign);
        }
        let mut indexes = HashMap::new();
        let prefix = pdq_prefix(seq, stamp);
        for entry in std::fs::read_dir(dir)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let bank = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".snap"))
                .and_then(|id| id.parse::<i32>().ok());
            if let Some(bank) = bank {
                let index = HammingIndex::load(&entry.path(), IndexConfig::default())?;
                indexes.insert(bank, index);
            }
        }
        let pdq = PdqBanks::from_indexes(indexes);
        let vpdq = VideoIndex::load(&dir.join(vpdq(seq, stamp)), IndexConfig::default())?;
        let matcher = Matcher::with_indexes(pdq, vpdq);
        {
            let mut catalogue = matcher
                .catalogue
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for record in body[HEADER..].chunks_exact(RECORD) {
                let id = i64::from_le_bytes(record[0..8].try_into().unwrap_or_default());
                let bank_id = i32::from_le_bytes(record[8..12].try_into().unwrap_or_default());
                let content_id = i64::from_le_bytes(record[12..20].try_into().unwrap_or_default());
                let kind = record[20];
                let mut digest = [0u8; 32];
                digest.copy_from_slice(&record[21..53]);
                if let Ok(u) = u64::try_from(id) {
                    match kind {
                        KIND_MD5 => {
                            let mut d = [0u8; 16];
                            d.copy_from_slice(&digest[..16]);
                            matcher.md5.insert(d, u);
                        }
                        KIND_SHA256 => matcher.sha256.insert(digest, u),
                        _ => {}
                    }
                }
                catalogue.signals.insert(
                    id,
                    SignalRef {
                        bank_id,
                        content_id,
                        kind,
                        digest,
                    },
                );
            }
        }
        matcher.load_banks(store).await?;
        matcher.last_seq.store(seq, Ordering::Release);
        matcher.loaded.store(true, Ordering::Release);
        matcher.synced_at_ms.store(unix_ms(), Ordering::Release);
        Ok(matcher)
    }
}
