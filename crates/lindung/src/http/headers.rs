//! Security headers on every response. A handler that needs a different policy (the
//! self-report page runs its own script and WebAssembly) sets the header itself, and that
//! header is kept.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The defaults: no scripts, nothing loaded from or sent to another origin, never framed, never
/// cached (every page and answer may hold sensitive data), never sniffed, no referrer.
const DEFAULTS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    (
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ),
];

pub async fn secure(request: Request, next: Next) -> Response {
    // Only the page's own static files (a script, the WebAssembly module) may be cached.
    let cacheable = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in DEFAULTS {
        let name = HeaderName::from_static(name);
        let weaker = match name.as_str() {
            // A page may loosen its script and style sources, never let itself be framed.
            "content-security-policy" => headers
                .get(&name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|csp| !csp.contains("frame-ancestors 'none'")),
            "cache-control" => !cacheable,
            _ => false,
        };
        if weaker || !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_a_valid_header_value() {
        for (name, value) in DEFAULTS {
            assert!(
                HeaderName::from_bytes(name.as_bytes()).is_ok(),
                "{name} is not a header name"
            );
            assert!(
                HeaderValue::from_str(value).is_ok(),
                "{name}: {value:?} is not a header value"
            );
        }
    }
}
