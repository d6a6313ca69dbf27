//! Password and PIN hashing with argon2id. A hash takes tens of milliseconds of a core and
//! 19 MiB of memory, so it never runs on the threads that serve requests: it runs on tokio's
//! blocking pool, and at most one per core at once, so a flood of logins or PIN guesses waits
//! its turn instead of stalling every other request or exhausting memory.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, PasswordHash};
use tokio::sync::Semaphore;

use super::AccessError;

/// How many hashes run at once: one per core.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
});

/// Runs `work` on the blocking pool behind the hashing semaphore.
async fn off_the_request_threads<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    // The semaphore is never closed, so acquiring only waits.
    let _permit = HASHING.acquire().await.map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| e.to_string())
}

fn hash_now(password: &str) -> Result<String, AccessError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccessError::Hashing(e.to_string()))
}

fn verify_now(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// An argon2 hash of a random password, checked against when the email (or a case number) is
/// unknown, so that the answer takes as long as for a known one.
fn dummy_hash() -> &'static str {
    static DUMMY: LazyLock<String> = LazyLock::new(|| {
        let password = super::new_secret("").unwrap_or_default();
        hash_now(&password).unwrap_or_default()
    });
    &DUMMY
}

/// Hashes a password with argon2id and a random salt.
pub async fn hash_password(password: &str) -> Result<String, AccessError> {
    let password = password.to_owned();
    off_the_request_threads(move || hash_now(&password))
        .await
        .map_err(AccessError::Hashing)?
}

/// Whether `password` matches a stored argon2 hash.
pub async fn verify_password(password: &str, stored: &str) -> bool {
    let (password, stored) = (password.to_owned(), stored.to_owned());
    off_the_request_threads(move || verify_now(&password, &stored))
        .await
        .unwrap_or(false)
}

/// Spends the work of a real check, so that timing does not tell which emails or references
/// exist, or which accounts are locked.
pub async fn verify_nothing(password: &str) {
    let password = password.to_owned();
    let _ = off_the_request_threads(move || verify_now(&password, dummy_hash())).await;
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// On a runtime with one thread, other tasks still run while a password is checked: the
    /// check is not on that thread. (Hashed on the thread, the ticker would not move until
    /// the check returned.)
    #[test]
    fn other_requests_are_served_while_a_password_is_checked() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let stored = hash_password("a long enough passphrase")
                .await
                .expect("hash");
            let ticks = Arc::new(AtomicU64::new(0));
            let ticker = tokio::spawn({
                let ticks = Arc::clone(&ticks);
                async move {
                    loop {
                        ticks.fetch_add(1, Ordering::Relaxed);
                        tokio::task::yield_now().await;
                    }
                }
            });
            // Let the ticker start, then count only what happens during the checks.
            tokio::task::yield_now().await;
            let before = ticks.load(Ordering::Relaxed);
            assert!(verify_password("a long enough passphrase", &stored).await);
            assert!(!verify_password("the wrong passphrase", &stored).await);
            verify_nothing("anything").await;
            let during = ticks.load(Ordering::Relaxed) - before;
            ticker.abort();
            // Hashing off the thread, the ticker runs all through three argon2 checks (tens of
            // milliseconds): far more than the few turns a yield before hashing would give it.
            assert!(
                during > 100,
                "the ticker ran {during} times during the checks"
            );
        });
    }
}
