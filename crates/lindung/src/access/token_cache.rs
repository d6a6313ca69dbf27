//! Stale-if-error for API tokens: the last answer the database gave for each token, used only
//! by the hash lookups (answered from the in-memory index) and only while the database cannot
//! be reached, so that lookups keep working through a database outage. Every other route asks
//! the database every time, and answers 503 while it cannot; so do lookups while it answers. A
//! revocation or a disabled account forgets every remembered answer at once.
//!
//! Bounded in age ([`MAX_AGE`]: a token last verified longer ago is refused during an outage)
//! and in size ([`MAX_ENTRIES`]: past it, the oldest entry makes room). A token revoked through
//! another process and not presented since may still pass for lookups during an outage that
//! begins within [`MAX_AGE`] of its last use; writes fail in an outage whatever the token.

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::Principal;
use crate::store::Store;

/// How long after its last verification a token's answer may stand in for the database.
pub const MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// How long the background question to a database thought unreachable may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// The most tokens remembered (in all stores of the process).
pub const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
struct Cache {
    /// By store and token digest: the principal and when the database last vouched for it.
    entries: HashMap<(String, String), (Principal, Instant)>,
    /// The stores whose database could not be reached when last asked.
    unreachable: HashSet<String>,
    /// The stores whose database is being asked again, in the background.
    probing: HashSet<String>,
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Mutex::default);

fn cache() -> std::sync::MutexGuard<'static, Cache> {
    CACHE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Which store an entry belongs to: a digest of its audit key, which differs between
/// deployments (a process may open several stores, as the tests do).
fn store_id(store: &Store) -> String {
    let mut input = b"lindung token cache:".to_vec();
    input.extend_from_slice(store.audit_key());
    crate::helpers::sha256_hex(&input)
}

/// The database's answer for `digest`: remembered if a principal, forgotten if none.
pub fn record(store: &Store, digest: &str, found: Option<&Principal>) {
    let key = (store_id(store), digest.to_owned());
    let mut cache = cache();
    cache.unreachable.remove(&key.0);
    match found {
        None => {
            cache.entries.remove(&key);
        }
        Some(principal) => {
            if cache.entries.len() >= MAX_ENTRIES && !cache.entries.contains_key(&key) {
                make_room(&mut cache.entries);
            }
            cache
                .entries
                .insert(key, (principal.clone(), Instant::now()));
        }
    }
}

/// Drops entries too old to use; if none is, the oldest.
fn make_room(entries: &mut HashMap<(String, String), (Principal, Instant)>) {
    entries.retain(|_, (_, at)| at.elapsed() < MAX_AGE);
    if entries.len() >= MAX_ENTRIES
        && let Some(oldest) = entries
            .iter()
            .min_by_key(|(_, (_, at))| *at)
            .map(|(k, _)| k.clone())
    {
        entries.remove(&oldest);
    }
}

/// Notes that `store`'s database could not be reached just now.
pub fn mark_unreachable(store: &Store) {
    cache().unreachable.insert(store_id(store));
}

/// Whether `store`'s database could not be reached when last asked.
pub fn unreachable(store: &Store) -> bool {
    cache().unreachable.contains(&store_id(store))
}

/// Claims the one background question to `store`'s database; `false` if one is out already.
/// The claim ends when the returned guard is dropped.
pub fn begin_probe(store: &Store) -> Option<ProbeGuard> {
    claim(store_id(store))
}

fn claim(id: String) -> Option<ProbeGuard> {
    // The lock is released before a guard exists: dropping one takes the lock again.
    let claimed = cache().probing.insert(id.clone());
    claimed.then(|| ProbeGuard(id))
}

/// Ends a background question when dropped, however its task ends.
#[derive(Debug)]
pub struct ProbeGuard(String);

impl Drop for ProbeGuard {
    fn drop(&mut self) {
        cache().probing.remove(&self.0);
    }
}

/// The last answer for `digest`, if the database gave it less than [`MAX_AGE`] ago.
pub fn fallback(store: &Store, digest: &str) -> Option<Principal> {
    cache()
        .entries
        .get(&(store_id(store), digest.to_owned()))
        .filter(|(_, at)| at.elapsed() < MAX_AGE)
        .map(|(principal, _)| principal.clone())
}

/// Forgets every token of every store (after a revocation in this process).
pub fn forget_all() {
    cache().entries.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(id: i32) -> Principal {
        Principal {
            user_id: id,
            organisation_id: 1,
            email: format!("u{id}@example.org"),
            role: super::super::Role::Platform,
            language: None,
        }
    }

    #[test]
    fn one_background_question_at_a_time_per_store() {
        let first = claim("store-a".into());
        assert!(first.is_some());
        // A second claim is refused, and refusing it leaves the first one standing.
        assert!(claim("store-a".into()).is_none());
        assert!(claim("store-a".into()).is_none());
        let other = claim("store-b".into());
        assert!(other.is_some(), "another store's question is its own");
        drop(first);
        assert!(
            claim("store-a".into()).is_some(),
            "free again once answered"
        );
    }

    #[test]
    fn room_is_made_by_dropping_the_oldest_entry() {
        let mut entries = HashMap::new();
        let start = Instant::now();
        for i in 0..MAX_ENTRIES {
            let at = start + Duration::from_millis(i as u64);
            entries.insert(("s".to_owned(), format!("d{i}")), (principal(1), at));
        }
        make_room(&mut entries);
        assert_eq!(entries.len(), MAX_ENTRIES - 1);
        assert!(!entries.contains_key(&("s".to_owned(), "d0".to_owned())));
        assert!(entries.contains_key(&("s".to_owned(), "d1".to_owned())));
    }
}
