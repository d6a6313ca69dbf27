//! The PDQ signals of every bank, one index per bank: each bank is searched at its own
//! threshold, so a bank set to a wide threshold costs a scan of its own signals only, never of
//! every other bank's.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use lindung_index::{HammingIndex, Hash256, IndexConfig, Match, Update};

#[derive(Debug, Default)]
pub(super) struct PdqBanks {
    banks: RwLock<HashMap<i32, HammingIndex>>,
}

impl PdqBanks {
    pub(super) fn from_indexes(indexes: HashMap<i32, HammingIndex>) -> Self {
        PdqBanks {
            banks: RwLock::new(indexes),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<i32, HammingIndex>> {
        self.banks.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// PDQ signals across all banks.
    pub(super) fn len(&self) -> usize {
        self.read().values().map(HammingIndex::len).sum()
    }

    /// Every bank's index (handles to the same indexes).
    pub(super) fn all(&self) -> Vec<(i32, HammingIndex)> {
        self.read().iter().map(|(&b, i)| (b, i.clone())).collect()
    }

    fn index_or_new(&self, bank_id: i32) -> HammingIndex {
        if let Some(found) = self.read().get(&bank_id) {
            return found.clone();
        }
        self.banks
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(bank_id)
            .or_insert_with(|| HammingIndex::new(IndexConfig::default()))
            .clone()
    }

    /// Applies updates, each to its bank's index, in order within a bank.
    pub(super) fn apply(&self, updates: Vec<(i32, Update)>) {
        let mut by_bank: HashMap<i32, Vec<Update>> = HashMap::new();
        for (bank_id, update) in updates {
            by_bank.entry(bank_id).or_default().push(update);
        }
        for (bank_id, updates) in by_bank {
            self.index_or_new(bank_id).apply(updates);
        }
    }

    pub(super) fn insert(&self, bank_id: i32, id: u64, hash: Hash256) {
        self.index_or_new(bank_id).insert(id, hash);
    }

    pub(super) fn remove(&self, bank_id: i32, id: u64) {
        if let Some(index) = self.read().get(&bank_id) {
            index.remove(id);
        }
    }

    pub(super) fn drop_bank(&self, bank_id: i32) {
        self.banks
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&bank_id);
    }

    /// Replaces every index with one built from `codes`, per bank.
    pub(super) fn replace_all(&self, codes: HashMap<i32, Vec<(u64, Hash256)>>) {
        let built = codes
            .into_iter()
            .map(|(bank_id, entries)| {
                let index = HammingIndex::new(IndexConfig::default());
                index.replace_all(entries);
                (bank_id, index)
            })
            .collect();
        *self.banks.write().unwrap_or_else(PoisonError::into_inner) = built;
    }

    /// The bank's signals within `radius` of any of `queries`.
    pub(super) fn search(&self, bank_id: i32, queries: &[Hash256], radius: u32) -> Vec<Match> {
        let Some(index) = self.read().get(&bank_id).cloned() else {
            return Vec::new();
        };
        index.search_batch(queries, radius)
    }
}
