//! Load benchmark: a real `lindung serve` on loopback with a bank of N random PDQ hashes, and
//! keep-alive HTTP clients measuring `GET /m/lookup` by hash (requests/s, p50, p99) and
//! `POST /m/lookup` with a 1600x1004 JPEG (images/s). The figures print beside the goals and
//! HMA's reported throughput (about 50 hash-and-match requests/s per instance).
//!
//! `cargo bench -p lindung --bench load -- --size 1000000 --seconds 10`; without arguments
//! (as `cargo test` runs it) it does a short pass on 20k hashes. Build with `--release`-like
//! settings (`cargo bench` does) for meaningful figures.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use lindung::store::{Store, StoreLocation};
use support::harness::{Connection, ServerProcess, percentile_ms, random_hashes, seed_bank};

struct Options {
    size: usize,
    seconds: f64,
    clients: usize,
}

fn options() -> Options {
    let mut o = Options {
        size: 20_000,
        seconds: 1.0,
        clients: 8,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        match arg.as_str() {
            "--size" => o.size = value().parse().expect("--size N"),
            "--seconds" => o.seconds = value().parse().expect("--seconds S"),
            "--clients" => o.clients = value().parse().expect("--clients N"),
            _ => {}
        }
    }
    o
}

/// Runs `make_request` on `clients` connections for `seconds`; returns requests/s and
/// latencies in microseconds, sorted.
fn hammer(
    host: &str,
    clients: usize,
    seconds: f64,
    make_request: impl Fn(usize) -> (String, Vec<u8>) + Sync,
) -> (f64, Vec<u64>) {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut latencies: Vec<u64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..clients)
            .map(|c| {
                let make_request = &make_request;
                scope.spawn(move || {
                    let mut conn = Connection::open(host).expect("connect");
                    let mut local = Vec::new();
                    let mut i = c;
                    while Instant::now() < deadline {
                        let (head, body) = make_request(i);
                        let t = Instant::now();
                        let status = conn.send(&head, &body).expect("response").status;
                        assert_eq!(status, 200, "request failed");
                        local.push(t.elapsed().as_micros() as u64);
                        i += clients;
                    }
                    local
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    (latencies.len() as f64 / elapsed, latencies)
}

fn main() {
    let o = options();
    let dir = tempfile::tempdir().expect("tempdir");
    let location = StoreLocation::new(dir.path(), None);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let hashes = random_hashes(o.size, 7);
    let token = runtime.block_on(async {
        let store = Store::open(&location).await.expect("store");
        seed_bank(&store, "bench@example.org", &hashes).await
    });

    let server = ServerProcess::start(&location, &[], None);
    let host = server.host.clone();
    println!("index_ready_from_database_s {:.2}", server.ready_s);

    // Half the lookups hit a stored hash, half are random misses.
    let misses = random_hashes(4096, 99);
    let (rps, lat) = hammer(&host, o.clients, o.seconds, |i| {
        let hash = if i % 2 == 0 {
            &hashes[i % hashes.len()]
        } else {
            &misses[i % misses.len()]
        };
        (
            format!(
                "GET /m/lookup?signal_type=pdq&signal={hash} HTTP/1.1\r\nHost: {{host}}\r\nAuthorization: Bearer {token}\r\n\r\n"
            ),
            Vec::new(),
        )
    });
    println!("bank_size {}", o.size);
    println!("lookup_requests_per_s {rps:.0}");
    println!("lookup_p50_ms {:.2}", percentile_ms(&lat, 0.50));
    println!("lookup_p99_ms {:.2}", percentile_ms(&lat, 0.99));

    let jpeg = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/pdq/data/bridge-mods/aaa-orig.jpg"
    ))
    .expect("jpeg");
    let boundary = "lindungbenchboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&jpeg);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (ips, lat) = hammer(&host, o.clients.min(4), o.seconds, |_| {
        (
            format!(
                "POST /m/lookup HTTP/1.1\r\nHost: {{host}}\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ),
            body.clone(),
        )
    });
    println!("image_lookups_per_s {ips:.0}");
    println!("image_p50_ms {:.2}", percentile_ms(&lat, 0.50));
    println!("image_p99_ms {:.2}", percentile_ms(&lat, 0.99));
    // Stopping writes the matcher snapshot; the next start reads it instead of the database.
    server.stop();
    let again = ServerProcess::start(&location, &[], None);
    println!("index_ready_from_snapshot_s {:.2}", again.ready_s);
    println!(
        "vs goals: lookups {:.1}x of 20000/s (p99 goal 5 ms), images {:.1}x of 150/s; vs HMA's reported ~50 requests/s: {:.0}x lookups, {:.1}x images",
        rps / 20000.0,
        ips / 150.0,
        rps / 50.0,
        ips / 50.0
    );
}
