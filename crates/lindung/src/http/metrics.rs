//! Requests and latency per route, for `/metrics` in the Prometheus text format. Labels are
//! route templates (`/c/bank/{name}`), never concrete paths or query strings, so no hash or
//! name ends up in a metric.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Installs the process-wide recorder (once, in `serve`) and returns its handle.
pub fn install() -> Option<PrometheusHandle> {
    let recorder = PrometheusBuilder::new()
        .set_buckets(LATENCY_BUCKETS)
        .ok()?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).ok()?;
    Some(handle)
}

pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let start = Instant::now();
    let response = next.run(request).await;
    let elapsed = start.elapsed();
    // The route template only: never the concrete path or query, which may hold a hash.
    let code = response.status().as_u16();
    let ms = elapsed.as_secs_f64() * 1000.0;
    if code >= 500 && code != 503 {
        tracing::warn!(target: "lindung::http", %method, %route, status = code, ms, "request failed");
    } else {
        tracing::debug!(target: "lindung::http", %method, %route, status = code, ms, "request");
    }
    let status = response.status().as_u16().to_string();
    metrics::counter!("lindung_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("lindung_http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed.as_secs_f64());
    response
}
