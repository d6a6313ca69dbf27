//! The soak's mixed load against a real server: hash lookups (half hits, half misses), image
//! lookups, report intake through the API, and page views (public and staff), for a set time.
//! Every `report_every` it prints a line with the requests and errors so far and the server's
//! RSS; at the end a summary per route with p50/p99 and the RSS slope after warm-up.
//!
//! An error is a response other than the route's expected status (or, for a hash lookup, the
//! wrong answer: a seeded hash not found or a random one found), a connection that fails, or
//! the server exiting. Only authenticated API routes and unlimited pages are used, so the
//! public forms' rate limits never apply and a 429 is an error like any other.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lindung::access::{self, Role, audit::Actor};
use lindung::store::Store;

use super::harness::{Connection, ServerProcess, percentile_ms, random_hashes, seed_bank};

/// The organisation whose analysts handle reports; the server is started with
/// `LINDUNG_HOTLINE_ORG` set to it.
pub const HOTLINE_ORG: &str = "SoakHotline";

/// How errors are shown: the first few, in full.
const SHOWN_ERRORS: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    HashLookup,
    ImageLookup,
    ReportIntake,
    Home,
    ReportForm,
    HotlineQueue,
}

pub const ROUTES: [Route; 6] = [
    Route::HashLookup,
    Route::ImageLookup,
    Route::ReportIntake,
    Route::Home,
    Route::ReportForm,
    Route::HotlineQueue,
];

impl Route {
    pub fn name(self) -> &'static str {
        match self {
            Route::HashLookup => "GET /m/lookup (hash)",
            Route::ImageLookup => "POST /m/lookup (image)",
            Route::ReportIntake => "POST /api/v1/reports",
            Route::Home => "GET /",
            Route::ReportForm => "GET /report",
            Route::HotlineQueue => "GET /hotline",
        }
    }

    /// The status the API documents for success: 201 for a new report, else 200.
    fn expected(self) -> u16 {
        match self {
            Route::ReportIntake => 201,
            _ => 200,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Clone, Debug)]
pub struct SoakOptions {
    pub duration: Duration,
    /// Client threads for lookups and page views (report intake has its own thread).
    pub clients: usize,
    /// Lookups and page views per second over all clients; 0 means as fast as they can.
    pub rate: f64,
    /// Reports submitted per second.
    pub reports_per_second: f64,
    pub report_every: Duration,
    /// RSS samples before this are left out of the slope (caches and pools filling up).
    pub warmup: Duration,
}

/// What the load needs from the seeded store.
#[derive(Debug)]
pub struct Seeded {
    pub platform_token: String,
    pub analyst_token: String,
    pub hashes: Vec<String>,
}

/// Seeds a bank of `size` random hashes for a platform user, and an analyst of
/// [`HOTLINE_ORG`].
pub async fn seed(store: &Store, size: usize) -> Seeded {
    let hashes = random_hashes(size, 7);
    let platform_token = seed_bank(store, "soak-platform@example.org", &hashes).await;
    let actor = Actor::cli("soak");
    let email = "soak-analyst@example.org";
    access::add_user(
        store,
        &actor,
        email,
        Role::Analyst,
        Some(HOTLINE_ORG),
        "a long enough passphrase",
    )
    .await
    .expect("analyst");
    let analyst_token = access::create_token(store, &actor, email, "soak")
        .await
        .expect("analyst token");
    Seeded {
        platform_token,
        analyst_token,
        hashes,
    }
}

/// The server's environment for the soak.
pub fn server_env() -> Vec<(&'static str, &'static str)> {
    vec![("LINDUNG_HOTLINE_ORG", HOTLINE_ORG)]
}

/// Counters shared by the client threads while the soak runs.
#[derive(Debug, Default)]
struct Live {
    counts: [AtomicU64; 6],
    errors: [AtomicU64; 6],
    /// The first errors, described.
    shown: Mutex<Vec<String>>,
    stop: AtomicBool,
}

impl Live {
    fn error(&self, route: Route, what: String) {
        self.errors[route.index()].fetch_add(1, Ordering::Relaxed);
        let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
        if shown.len() < SHOWN_ERRORS {
            shown.push(format!("{}: {what}", route.name()));
        }
    }

    fn total(counters: &[AtomicU64; 6]) -> u64 {
        counters.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }
}

/// The result of a soak.
#[derive(Debug)]
pub struct Outcome {
    pub counts: [u64; 6],
    pub errors: [u64; 6],
    pub shown_errors: Vec<String>,
    /// Set when the server exited during the soak (itself an error).
    pub server_exit: Option<String>,
    /// Sorted latencies in microseconds, per route, of the successful requests.
    pub latencies: Vec<Vec<u64>>,
    /// (seconds since start, RSS in KiB) at each report line.
    pub rss: Vec<(f64, u64)>,
    pub warmup: Duration,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn total_errors(&self) -> u64 {
        self.errors.iter().sum::<u64>() + u64::from(self.server_exit.is_some())
    }

    /// The least-squares slope of RSS in MiB per hour over the samples after warm-up; `None`
    /// with fewer than two of them.
    pub fn rss_slope_mib_per_hour(&self) -> Option<f64> {
        let points: Vec<(f64, f64)> = self
            .rss
            .iter()
            .filter(|(t, _)| *t >= self.warmup.as_secs_f64())
            .map(|&(t, kib)| (t / 3600.0, kib as f64 / 1024.0))
            .collect();
        least_squares_slope(&points)
    }

    pub fn print_summary(&self) {
        println!(
            "soak: {:.0} s, {} requests, {} errors",
            self.elapsed.as_secs_f64(),
            self.counts.iter().sum::<u64>(),
            self.total_errors()
        );
        println!(
            "{:<24} {:>9} {:>7} {:>9} {:>9} {:>8}",
            "route", "requests", "errors", "p50 ms", "p99 ms", "req/s"
        );
        for route in ROUTES {
            let i = route.index();
            println!(
                "{:<24} {:>9} {:>7} {:>9.2} {:>9.2} {:>8.1}",
                route.name(),
                self.counts[i],
                self.errors[i],
                percentile_ms(&self.latencies[i], 0.50),
                percentile_ms(&self.latencies[i], 0.99),
                self.counts[i] as f64 / self.elapsed.as_secs_f64().max(1e-9),
            );
        }
        if let Some(exit) = &self.server_exit {
            println!("server exited: {exit}");
        }
        for e in &self.shown_errors {
            println!("error: {e}");
        }
        let mib = |kib: u64| kib as f64 / 1024.0;
        if let (Some(first), Some(last)) = (self.rss.first(), self.rss.last()) {
            let max = self.rss.iter().map(|s| s.1).max().unwrap_or(0);
            println!(
                "rss_mib first {:.1} last {:.1} max {:.1}; slope after {:.0} s warm-up: {}",
                mib(first.1),
                mib(last.1),
                mib(max),
                self.warmup.as_secs_f64(),
                match self.rss_slope_mib_per_hour() {
                    Some(s) => format!("{s:+.2} MiB/hour"),
                    None => "too few samples".to_owned(),
                }
            );
        }
    }
}

/// The slope of the least-squares line through `points`; `None` unless at least two have
/// different x.
pub fn least_squares_slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// A request to send and how to judge its answer.
struct Request {
    route: Route,
    head: String,
    body: Vec<u8>,
    /// For hash lookups: whether the hash is in the bank.
    hit: Option<bool>,
}

/// The fixed parts of every request.
struct Requests<'a> {
    seeded: &'a Seeded,
    misses: Vec<String>,
    image_body: Vec<u8>,
    run: u128,
}

const BOUNDARY: &str = "lindungsoakboundary";

impl Requests<'_> {
    fn get(&self, route: Route, path: &str, token: &str, hit: Option<bool>) -> Request {
        Request {
            route,
            head: format!(
                "GET {path} HTTP/1.1\r\nHost: {{host}}\r\nAuthorization: Bearer {token}\r\n\r\n"
            ),
            body: Vec::new(),
            hit,
        }
    }

    /// The `n`th request of a lookup and page client: of every 100, 80 hash lookups (hits and
    /// misses alternating), 10 image lookups, 5 views of `/`, 4 of `/report` and one of the
    /// analysts' queue (rarer, as in use: it lists every open report, so it grows with intake).
    fn mixed(&self, n: u64) -> Request {
        let platform = &self.seeded.platform_token;
        match n % 100 {
            80..=89 => Request {
                route: Route::ImageLookup,
                head: format!(
                    "POST /m/lookup HTTP/1.1\r\nHost: {{host}}\r\nAuthorization: Bearer {platform}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
                    self.image_body.len()
                ),
                body: self.image_body.clone(),
                hit: None,
            },
            90..=94 => self.get(Route::Home, "/", platform, None),
            95..=98 => self.get(Route::ReportForm, "/report", platform, None),
            99 => self.get(
                Route::HotlineQueue,
                "/hotline",
                &self.seeded.analyst_token,
                None,
            ),
            _ => {
                let k = (n / 2) as usize;
                let hit = n.is_multiple_of(2);
                let hash = if hit {
                    &self.seeded.hashes[k % self.seeded.hashes.len()]
                } else {
                    &self.misses[k % self.misses.len()]
                };
                self.get(
                    Route::HashLookup,
                    &format!("/m/lookup?signal_type=pdq&signal={hash}"),
                    platform,
                    Some(hit),
                )
            }
        }
    }

    /// The `n`th report: a benign synthetic report of a URL unique to this run.
    fn report(&self, n: u64) -> Request {
        let body = serde_json::json!({
            "incident_type": "csam",
            "urls": [format!("https://soak.example.org/{}/{n}", self.run)],
            "description": "synthetic report from the soak test",
        })
        .to_string()
        .into_bytes();
        Request {
            route: Route::ReportIntake,
            head: format!(
                "POST /api/v1/reports HTTP/1.1\r\nHost: {{host}}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                self.seeded.platform_token,
                body.len()
            ),
            body,
            hit: None,
        }
    }
}

/// Whether a lookup's body is the expected answer: a hit names the bank, a miss is `{}`.
fn lookup_answer_ok(body: &[u8], hit: bool) -> bool {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    match value.as_object() {
        Some(banks) if hit => banks
            .get("BENCH")
            .and_then(|m| m.as_array())
            .is_some_and(|m| !m.is_empty()),
        Some(banks) => banks.is_empty(),
        None => false,
    }
}

/// One client: sends `next(n)` for n = start, start + step, … paced at `interval` (none when
/// zero) until told to stop; returns the latencies of successes per route.
fn client(
    host: &str,
    live: &Live,
    interval: Duration,
    next: impl Fn(u64) -> Request,
    start: u64,
    step: u64,
) -> Vec<Vec<u64>> {
    let mut latencies = vec![Vec::new(); ROUTES.len()];
    let mut conn: Option<Connection> = None;
    let mut due = Instant::now();
    let mut n = start;
    while !live.stop.load(Ordering::Relaxed) {
        if !interval.is_zero() {
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            } else if now - due > Duration::from_secs(1) {
                // Far behind (a slow answer): carry on from now rather than burst.
                due = now;
            }
            due += interval;
        }
        let request = next(n);
        n += step;
        let route = request.route;
        live.counts[route.index()].fetch_add(1, Ordering::Relaxed);
        let connection = match conn.take() {
            Some(c) => Ok(c),
            None => Connection::open(host),
        };
        let mut c = match connection {
            Ok(c) => c,
            Err(e) => {
                live.error(route, format!("connect: {e}"));
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let t = Instant::now();
        match c.send(&request.head, &request.body) {
            Err(e) => live.error(route, format!("connection: {e}")),
            Ok(r) if r.status != route.expected() => {
                let body = String::from_utf8_lossy(&r.body);
                live.error(
                    route,
                    format!(
                        "status {}: {}",
                        r.status,
                        body.chars().take(300).collect::<String>()
                    ),
                );
                conn = Some(c);
            }
            Ok(r)
                if request
                    .hit
                    .is_some_and(|hit| !lookup_answer_ok(&r.body, hit)) =>
            {
                let what = if request.hit == Some(true) {
                    "a seeded hash"
                } else {
                    "a random hash"
                };
                live.error(
                    route,
                    format!(
                        "wrong answer for {what}: {}",
                        String::from_utf8_lossy(&r.body)
                    ),
                );
                conn = Some(c);
            }
            Ok(_) => {
                latencies[route.index()].push(t.elapsed().as_micros() as u64);
                conn = Some(c);
            }
        }
    }
    latencies
}

/// Runs the soak against `server` (started with [`server_env`] on a store seeded by [`seed`]).
pub fn run(
    server: &mut ServerProcess,
    seeded: &Seeded,
    image: Vec<u8>,
    o: &SoakOptions,
) -> Outcome {
    let mut image_body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    image_body.extend_from_slice(&image);
    image_body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let requests = Requests {
        seeded,
        misses: random_hashes(4096, 99),
        image_body,
        run: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    };
    let live = Live::default();
    let clients = o.clients.max(1);
    let per_client = |rate: f64, threads: usize| {
        if rate > 0.0 {
            Duration::from_secs_f64(threads as f64 / rate)
        } else {
            Duration::ZERO
        }
    };
    let host = server.host.clone();
    let start = Instant::now();
    let mut rss = Vec::new();
    let mut server_exit = None;
    let mut latencies: Vec<Vec<u64>> = vec![Vec::new(); ROUTES.len()];
    std::thread::scope(|scope| {
        let mut workers = Vec::new();
        for c in 0..clients {
            let (live, requests, host) = (&live, &requests, host.as_str());
            let interval = per_client(o.rate, clients);
            workers.push(scope.spawn(move || {
                client(
                    host,
                    live,
                    interval,
                    |n| requests.mixed(n),
                    c as u64,
                    clients as u64,
                )
            }));
        }
        if o.reports_per_second > 0.0 {
            let (live, requests, host) = (&live, &requests, host.as_str());
            let interval = per_client(o.reports_per_second, 1);
            workers.push(
                scope.spawn(move || client(host, live, interval, |n| requests.report(n), 0, 1)),
            );
        }
        // Report lines until the time is up or the server has gone.
        let mut next_line = start + o.report_every;
        loop {
            let end = start + o.duration;
            std::thread::sleep(
                Duration::from_millis(100).min(end.saturating_duration_since(Instant::now())),
            );
            if let Some(status) = server.exited() {
                server_exit = Some(status.to_string());
                break;
            }
            let now = Instant::now();
            if now >= next_line || now >= end {
                let kib = server.rss_kib().unwrap_or(0);
                let t = start.elapsed().as_secs_f64();
                rss.push((t, kib));
                let counts: Vec<String> = ROUTES
                    .iter()
                    .map(|r| live.counts[r.index()].load(Ordering::Relaxed).to_string())
                    .collect();
                println!(
                    "t={:>6.0}s requests {} [{}] errors {} rss_mib {:.1}",
                    t,
                    Live::total(&live.counts),
                    counts.join(" "),
                    Live::total(&live.errors),
                    kib as f64 / 1024.0
                );
                next_line += o.report_every;
            }
            if now >= end {
                break;
            }
        }
        live.stop.store(true, Ordering::Relaxed);
        for w in workers {
            let mine = w.join().expect("client thread");
            for (all, some) in latencies.iter_mut().zip(mine) {
                all.extend(some);
            }
        }
    });
    for l in &mut latencies {
        l.sort_unstable();
    }
    let load =
        |c: &[AtomicU64; 6]| -> [u64; 6] { std::array::from_fn(|i| c[i].load(Ordering::Relaxed)) };
    Outcome {
        counts: load(&live.counts),
        errors: load(&live.errors),
        shown_errors: live.shown.into_inner().unwrap_or_else(|e| e.into_inner()),
        server_exit,
        latencies,
        rss,
        warmup: o.warmup,
        elapsed: start.elapsed(),
    }
}

/// The header line naming the columns of the per-route counts in report lines.
pub fn legend() -> String {
    let names: Vec<&str> = ROUTES.iter().map(|r| r.name()).collect();
    format!("requests per route in [...]: {}", names.join(" | "))
}
