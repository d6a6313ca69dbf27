//! Request rates per client, for the routes open to the public and the login form.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Counts requests per key (a client address) in fixed windows.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    seen: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            seen: Mutex::default(),
        }
    }

    /// Counts one request for `key`; true when it is over the limit.
    pub fn exceeded(&self, key: &str) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        seen.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        let entry = seen.entry(key.to_owned()).or_insert((now, 0));
        entry.1 += 1;
        entry.1 > self.limit
    }
}
