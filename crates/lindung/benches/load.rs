//! Load benchmark: a real `lindung serve` on loopback with a bank of N random PDQ hashes, and
//! keep-alive HTTP clients measuring `GET /m/lookup` by hash (requests/s, p50, p99) and
//! `POST /m/lookup` with a 1600x1004 JPEG (images/s). The figures print beside the goals and
//! HMA's reported throughput (about 50 hash-and-match requests/s per instance).
//!
//! `cargo bench -p lindung --bench load -- --size 1000000 --seconds 10`; without arguments
//! (as `cargo test` runs it) it does a short pass on 20k hashes. Build with `--release`-like
//! settings (`cargo bench` does) for meaningful figures.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lindung::access::audit::Actor;
use lindung::access::{self, Principal, Role};
use lindung::banks::store::{self as banks, NewSignal, SignalType};
use lindung::store::{Store, StoreLocation};

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

fn random_hashes(n: usize, seed: u64) -> Vec<String> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            let mut s = String::with_capacity(64);
            for _ in 0..4 {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push_str(&format!("{:016x}", state ^ (state >> 29)));
            }
            s
        })
        .collect()
}

/// One keep-alive HTTP/1.1 connection.
struct Connection {
    reader: BufReader<TcpStream>,
    host: String,
}

impl Connection {
    fn open(host: &str) -> Connection {
        let stream = TcpStream::connect(host).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Connection {
            reader: BufReader::new(stream),
            host: host.to_owned(),
        }
    }

    fn send(&mut self, head: &str, body: &[u8]) -> u16 {
        let stream = self.reader.get_mut();
        let mut request = head.replace("{host}", &self.host).into_bytes();
        request.extend_from_slice(body);
        stream.write_all(&request).expect("write");
        let mut status_line = String::new();
        self.reader.read_line(&mut status_line).expect("status");
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("header");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        self.reader.read_exact(&mut body).expect("body");
        status
    }
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
                    let mut conn = Connection::open(host);
                    let mut local = Vec::new();
                    let mut i = c;
                    while Instant::now() < deadline {
                        let (head, body) = make_request(i);
                        let t = Instant::now();
                        let status = conn.send(&head, &body);
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

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

struct ServerProcess(Child);

impl ServerProcess {
    /// SIGTERM, then wait: a graceful stop writes the matcher's snapshot.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `lindung serve` and waits until its index is ready; returns the process, its address
/// and the seconds from spawn to ready.
fn start_server(data_dir: &std::path::Path) -> (ServerProcess, String, f64) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lindung"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("LINDUNG_DATABASE_URL")
        .env("LINDUNG_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("address");
    let server = ServerProcess(child);
    let host = line
        .trim()
        .trim_start_matches("lindung listening on http://")
        .to_owned();
    let mut probe = Connection::open(&host);
    while probe.send("GET /status HTTP/1.1\r\nHost: {host}\r\n\r\n", b"") != 200 {
        std::thread::sleep(Duration::from_millis(20));
    }
    (server, host, start.elapsed().as_secs_f64())
}

fn main() {
    let o = options();
    let dir = tempfile::tempdir().expect("tempdir");
    let location = StoreLocation::new(dir.path(), None);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let hashes = random_hashes(o.size, 7);
    let token = runtime.block_on(async {
        let store = Store::open(&location).await.expect("store");
        let actor = Actor::cli("bench");
        let user = access::add_user(
            &store,
            &actor,
            "bench@example.org",
            Role::Platform,
            None,
            "a long enough passphrase",
        )
        .await
        .expect("user");
        let principal = Principal {
            user_id: user.id,
            organisation_id: user.organisation_id,
            email: user.email.clone(),
            role: Role::Platform,
            language: None,
        };
        banks::create_bank(
            &store,
            &actor,
            &principal,
            "BENCH",
            None,
            true,
            banks::BankSharing::Private,
        )
        .await
        .expect("bank");
        let signals: Vec<(NewSignal, String)> = hashes
            .iter()
            .map(|h| {
                (
                    NewSignal::new(SignalType::Pdq, h, None).expect("hash"),
                    String::new(),
                )
            })
            .collect();
        let t = Instant::now();
        banks::import_signals(
            &store,
            &actor,
            &principal,
            "BENCH",
            "bench",
            &signals,
            |_| {},
        )
        .await
        .expect("import");
        eprintln!(
            "imported {} hashes in {:.1} s",
            o.size,
            t.elapsed().as_secs_f64()
        );
        access::create_token(&store, &actor, "bench@example.org", "bench")
            .await
            .expect("token")
    });

    let (server, host, ready) = start_server(dir.path());
    println!("index_ready_from_database_s {ready:.2}");

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
    println!("lookup_p50_ms {:.2}", percentile(&lat, 0.50));
    println!("lookup_p99_ms {:.2}", percentile(&lat, 0.99));

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
    println!("image_p50_ms {:.2}", percentile(&lat, 0.50));
    println!("image_p99_ms {:.2}", percentile(&lat, 0.99));
    // Stopping writes the matcher snapshot; the next start reads it instead of the database.
    server.stop();
    let (_server, _, ready) = start_server(dir.path());
    println!("index_ready_from_snapshot_s {ready:.2}");
    println!(
        "vs goals: lookups {:.1}x of 20000/s (p99 goal 5 ms), images {:.1}x of 150/s; vs HMA's reported ~50 requests/s: {:.0}x lookups, {:.1}x images",
        rps / 20000.0,
        ips / 150.0,
        rps / 50.0,
        ips / 50.0
    );
}
