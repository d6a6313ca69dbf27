//! Limits on what one client may ask: requests per window for the routes open to the public
//! and the login form, and body sizes for every route.
//!
//! A rate limit counts a keyed hash of the client's address (its /64 for IPv6), never the
//! address itself. The key is random and replaced at every window, with all the counts, so no
//! address can be recovered from memory, and a window costs one hash and one map entry per
//! request. The map is bounded: past `MAX_CLIENTS` distinct clients in a window, new ones are
//! counted by their network (IPv4 /24, IPv6 /48) in a second bounded map, and only past that
//! share one count; so a flood of addresses can neither grow the server's memory nor, from one
//! network, use up the count of everyone else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::{ApiError, ClientAddr, TrustedProxies, client_of};

/// Distinct clients counted per window before new ones are counted by network.
pub const MAX_CLIENTS: usize = 100_000;
/// Distinct networks counted per window before the rest share one count.
pub const MAX_NETWORKS: usize = 20_000;

/// Bodies of public routes (the self-report and report forms, status checks).
pub const SMALL_BODY: usize = 64 * 1024;
/// Bodies of other routes, unless they say otherwise.
pub const JSON_BODY: usize = 1024 * 1024;
/// Routes that take lists of signals or hashes (matching, adding content, video signals), and
/// reports with their evidence files.
pub const SIGNALS_BODY: usize = 16 * 1024 * 1024;
/// Routes that take whole lists: IP ranges, imported hash lists.
pub const LIST_BODY: usize = 64 * 1024 * 1024;

/// Counts requests per client in fixed windows.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    counts: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    key: [u8; 32],
    counts: HashMap<[u8; 16], u32>,
    /// Counts by network, for clients past `MAX_CLIENTS`.
    networks: HashMap<[u8; 16], u32>,
    /// The count shared by clients past both bounds.
    overflow: u32,
}

impl Window {
    fn new(started: Instant) -> Self {
        let mut key = [0u8; 32];
        // Without randomness the key is zero: counts still work, only the hashing is unkeyed.
        let _ = getrandom::fill(&mut key);
        Window {
            started,
            key,
            counts: HashMap::new(),
            networks: HashMap::new(),
            overflow: 0,
        }
    }
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            counts: Mutex::new(Window::new(Instant::now())),
        }
    }

    /// Counts one request from `client`; true when it is over the limit.
    pub fn exceeded(&self, client: ClientAddr) -> bool {
        let mut window = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if now.duration_since(window.started) >= self.window {
            *window = Window::new(now);
        }
        let id = keyed_id(&window.key, &client.limit_key());
        let count = if window.counts.contains_key(&id) || window.counts.len() < MAX_CLIENTS {
            window.counts.entry(id).or_insert(0)
        } else {
            let network = keyed_id(&window.key, &client.network_key());
            if window.networks.contains_key(&network) || window.networks.len() < MAX_NETWORKS {
                window.networks.entry(network).or_insert(0)
            } else {
                &mut window.overflow
            }
        };
        *count = count.saturating_add(1);
        *count > self.limit
    }

    /// How many clients the current window holds (for tests and metrics).
    pub fn clients(&self) -> usize {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .counts
            .len()
    }
}

/// A client's (or network's) id in a window: a hash keyed with the window's key.
fn keyed_id(key: &[u8; 32], address: &[u8; 16]) -> [u8; 16] {
    let digest = Sha256::new()
        .chain_update(key)
        .chain_update(address)
        .finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    id
}

/// The answer to a client over its limit.
pub fn too_many() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many requests from this address; try again later",
    )
}

/// Counts a request before anything of its body is read: over the limit, a 429 at once.
pub async fn rate_limited(
    State((proxies, limiter)): State<(TrustedProxies, Arc<RateLimiter>)>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    if let Some(client) = client_of(&parts, &proxies)
        && limiter.exceeded(client)
    {
        return too_many().into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Refuses a body over `limit` by its declared length, before reading any of it; a body
/// without a declared length is cut at the limit as it is read (`DefaultBodyLimit`).
pub async fn declared_length(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let error = ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("this is over the limit of {}", size_in_words(limit)),
        );
        // A browser gets a page in its language (an upload form's answer); clients the shape.
        let browser = request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
        let mut response = if browser {
            super::chrome::too_large_page(request.headers(), &size_in_words(limit))
        } else {
            error.into_response()
        };
        // The rest of the body is not read: the connection closes after this answer.
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        return response;
    }
    next.run(request).await
}

/// A size as people say it: `64 KB`, `70 MB`.
fn size_in_words(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB {
        format!("{} MB", bytes / MB)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_named_as_people_say_them() {
        assert_eq!(size_in_words(SMALL_BODY), "64 KB");
        assert_eq!(size_in_words(70 * 1024 * 1024), "70 MB");
    }

    fn client(text: &str) -> ClientAddr {
        ClientAddr(text.parse().expect("address"))
    }

    #[test]
    fn each_client_has_its_own_count_and_the_window_resets_them() {
        let limiter = RateLimiter::new(2, Duration::from_millis(200));
        let a = client("192.0.2.1");
        let b = client("192.0.2.2");
        assert!(!limiter.exceeded(a) && !limiter.exceeded(a));
        assert!(limiter.exceeded(a), "the third request is over");
        assert!(!limiter.exceeded(b), "another client is not");
        // The same /64 is the same client.
        let v6 = client("2001:db8:1:2::1");
        let v6_other = client("2001:db8:1:2::ffff");
        assert!(!limiter.exceeded(v6) && !limiter.exceeded(v6_other));
        assert!(limiter.exceeded(v6));
        std::thread::sleep(Duration::from_millis(250));
        assert!(!limiter.exceeded(a), "a new window");
        assert_eq!(limiter.clients(), 1, "the old window's counts are gone");
    }

    #[test]
    fn memory_is_bounded_however_many_addresses_come() {
        let limiter = RateLimiter::new(1_000_000, Duration::from_secs(3600));
        for i in 0..(MAX_CLIENTS as u32 + 5_000) {
            limiter.exceeded(ClientAddr(std::net::IpAddr::V4(i.into())));
        }
        assert_eq!(limiter.clients(), MAX_CLIENTS);
    }

    #[test]
    fn a_flood_of_addresses_does_not_use_up_everyone_elses_count() {
        let limiter = RateLimiter::new(2, Duration::from_secs(3600));
        // One network's flood fills the per-client map and spills into networks of its own.
        for i in 0..(MAX_CLIENTS as u32 + 1_000) {
            limiter.exceeded(ClientAddr(std::net::IpAddr::V4((0x0A00_0000 + i).into())));
        }
        let visitor = client("192.0.2.1");
        assert!(!limiter.exceeded(visitor) && !limiter.exceeded(visitor));
        assert!(
            limiter.exceeded(visitor),
            "the visitor's own network's count"
        );
    }

    #[test]
    fn addresses_are_not_kept() {
        let limiter = RateLimiter::new(5, Duration::from_secs(3600));
        let address = client("203.0.113.77");
        limiter.exceeded(address);
        let raw = address.limit_key();
        // What a reader of memory could recompute from a guessed address without the key.
        let unkeyed = Sha256::digest(raw);
        let window = limiter.counts.lock().expect("lock");
        assert_eq!(window.counts.len(), 1);
        for id in window.counts.keys() {
            let contains = |needle: &[u8]| id.windows(4).any(|w| needle.windows(4).any(|n| n == w));
            assert!(!contains(&raw[12..]), "the IPv4 octets are not in the id");
            assert_ne!(&id[..], &raw[..], "not the address");
            assert_ne!(&id[..], &unkeyed[..16], "not an unkeyed hash of it");
        }
    }

    #[test]
    fn a_new_window_forgets_the_old_key() {
        let limiter = RateLimiter::new(5, Duration::from_millis(50));
        let ids = || -> Vec<[u8; 16]> {
            let window = limiter.counts.lock().expect("lock");
            window.counts.keys().copied().collect()
        };
        let address = client("203.0.113.77");
        limiter.exceeded(address);
        let first = ids();
        std::thread::sleep(Duration::from_millis(80));
        limiter.exceeded(address);
        let second = ids();
        assert_eq!((first.len(), second.len()), (1, 1));
        assert_ne!(
            first, second,
            "the same address, another id in the next window"
        );
    }
}
