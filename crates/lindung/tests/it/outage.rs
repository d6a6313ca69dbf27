//! PostgreSQL goes away under load. A real server on a private cluster (the shared server must
//! stay up) answers hash lookups and takes reports from client threads; the cluster is stopped
//! in immediate mode (a crash), kept down 10 s, and started again. Lookups keep being answered
//! from the in-memory index, with the right matches; writes get 503 `store_unavailable` with
//! `Retry-After`, never a 500, and neither hangs past its bound; the server, never restarted,
//! takes writes again by itself; every report acknowledged with 201 is there exactly once, and
//! so is every refused one once retried with its idempotency key, each with one audit entry.
//! While it is down, a token never used before gets 503 on a lookup, and a token used before
//! is accepted by the lookup routes only: listing banks with it gets 503.
//!
//! The bounds: a request waits at most the pool's acquire timeout (`ACQUIRE_TIMEOUT`, 3 s) for
//! each database call it makes while the database is unreachable. A lookup makes at most two
//! (its token's check, the re-upload alerts' linked-signal refresh), both of which fall back to
//! what they last knew; a write makes the token check and its own transaction. So a lookup
//! answers within [`LOOKUP_BOUND`] and a write within [`WRITE_BOUND`], leaving room for a
//! loaded debug build; recovery is the pool connecting again, within [`RECOVERY_BOUND`].

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lindung::access::{self, Principal, Role, audit::Actor};
use lindung::banks::store::{self as banks, NewSignal, SignalType};
use lindung::store::{ACQUIRE_TIMEOUT, Store, StoreLocation};

use crate::support::drills::{self, Reply, pairs};
use crate::support::pg_cluster::PgCluster;
use crate::support::server::Server;
use crate::support::{note, user};

/// Two acquire timeouts (6 s), and 4 s for a debug build sharing its cores with other tests.
const LOOKUP_BOUND: Duration = Duration::from_secs(10);
/// Two acquire timeouts, and 6 s more: a write also parses and checks its report first.
const WRITE_BOUND: Duration = Duration::from_secs(12);
/// From `pg_ctl start` returning to the first acknowledged write.
const RECOVERY_BOUND: Duration = Duration::from_secs(20);
const DOWN: Duration = Duration::from_secs(10);
const HASHES: usize = 2_000;
/// `Retry-After` on a 503 while the database is unreachable, as docs/operations.md ("When the
/// database is unreachable") documents it.
const RETRY_AFTER: &str = "5";

/// A synthetic PDQ hash (64 hex digits) from a counter.
fn pdq(i: u64) -> String {
    let mut state = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5555_aaaa_0f0f_f0f0;
    (0..4)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            format!("{state:016x}")
        })
        .collect()
}

/// One request a client made, timed from the start of the load.
#[derive(Clone, Debug)]
struct Event {
    at: Duration,
    took: Duration,
    /// `None`: no answer at all.
    status: Option<u16>,
    /// For lookups: the matches were the right ones. For writes: a 503 had `Retry-After` and
    /// the `store_unavailable` error.
    right: bool,
    /// For writes: which submission.
    n: u64,
}

struct Load {
    base: String,
    token: String,
    t0: Instant,
    stop: AtomicBool,
    next: AtomicU64,
    lookups: Mutex<Vec<Event>>,
    writes: Mutex<Vec<Event>>,
}

fn lookup_client(load: &Load, seed: u64) {
    let auth = format!("Bearer {}", load.token);
    let mut i = seed;
    while !load.stop.load(Ordering::SeqCst) {
        i += 1;
        // Three in four are banked; the rest match nothing.
        let banked = !i.is_multiple_of(4);
        let hash = if banked {
            pdq(i % HASHES as u64)
        } else {
            pdq(1_000_000 + i)
        };
        let path = format!("/m/lookup?signal_type=pdq&signal={hash}");
        let start = Instant::now();
        let reply = drills::send(
            &load.base,
            "GET",
            &path,
            &[("Authorization", &auth)],
            b"",
            Duration::from_secs(60),
        );
        let right = reply.as_ref().is_some_and(|r| {
            let found = &r.json()["OUTAGE"];
            match banked {
                true => found
                    .as_array()
                    .is_some_and(|m| m.iter().any(|x| x["distance"] == "0")),
                false => found.is_null(),
            }
        });
        load.lookups.lock().expect("lock").push(Event {
            at: start - load.t0,
            took: start.elapsed(),
            status: reply.map(|r| r.status),
            right,
            n: i,
        });
    }
}

fn report_body(n: u64) -> String {
    serde_json::json!({"incident_type": "csam", "urls": [format!("https://example.org/outage/{n}")]})
        .to_string()
}

fn submit(base: &str, token: &str, n: u64) -> Option<Reply> {
    let auth = format!("Bearer {token}");
    let key = format!("outage-{n}");
    drills::send(
        base,
        "POST",
        "/api/v1/reports",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("Idempotency-Key", &key),
        ],
        report_body(n).as_bytes(),
        Duration::from_secs(60),
    )
}

/// A 503 as documented for an unreachable database: `Retry-After` and `store_unavailable`.
fn unavailable(r: &Reply) -> bool {
    r.status == 503
        && r.header("retry-after") == Some(RETRY_AFTER)
        && r.json()["error"]["code"] == "store_unavailable"
        && r.json()["error"]["message"].is_string()
}

fn report_client(load: &Load) {
    while !load.stop.load(Ordering::SeqCst) {
        let n = load.next.fetch_add(1, Ordering::SeqCst);
        let start = Instant::now();
        let reply = submit(&load.base, &load.token, n);
        let right = reply
            .as_ref()
            .is_some_and(|r| r.status == 201 || (r.status == 503 && unavailable(r)));
        load.writes.lock().expect("lock").push(Event {
            at: start - load.t0,
            took: start.elapsed(),
            status: reply.map(|r| r.status),
            right,
            n,
        });
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A bank of synthetic PDQ hashes that platforms see, and two platform tokens: one the load
/// uses, and one never used before the outage.
async fn deployment(store: &Store) -> (String, String, String) {
    user(
        store,
        "analyst@hotline.example",
        Role::Analyst,
        Some("Hotline"),
    )
    .await;
    let token = user(
        store,
        "api@platform.example",
        Role::Platform,
        Some("Platform"),
    )
    .await;
    let actor = Actor::cli("outage test");
    let org = access::organisation_id(store, &actor, "Platform")
        .await
        .expect("organisation");
    let admin = Principal {
        user_id: 0,
        organisation_id: org,
        email: "cli".into(),
        role: Role::Admin,
        language: None,
    };
    let sharing = banks::BankSharing::Platforms;
    banks::create_bank(store, &actor, &admin, "OUTAGE", None, true, sharing)
        .await
        .expect("bank");
    let signals: Vec<(NewSignal, String)> = (0..HASHES as u64)
        .map(|i| {
            let signal = NewSignal::new(SignalType::Pdq, &pdq(i), None).expect("pdq");
            (signal, format!("synthetic {i}"))
        })
        .collect();
    banks::import_signals(store, &actor, &admin, "OUTAGE", "test", &signals, |_| {})
        .await
        .expect("import");
    let fresh = user(
        store,
        "fresh@platform.example",
        Role::Platform,
        Some("Platform"),
    )
    .await;
    // A case worker's token, used once before the outage: the care catalogue needs nothing of
    // the database but the token's check, so only the rule that tokens pass from memory on
    // lookups alone refuses it during the outage.
    let worker = user(store, "worker@care.example", Role::CaseWorker, Some("Care")).await;
    (token, fresh, worker)
}

/// Requests made while the database is down, each on its own thread: a lookup with the token
/// never used, and the list of banks with the token the load has been using.
fn outage_probes(
    base: &str,
    used: &str,
    fresh: &str,
    worker: &str,
) -> [(String, Option<Reply>); 3] {
    let probes = [
        (
            "a lookup with a token never used before",
            format!("/m/lookup?signal_type=pdq&signal={}", pdq(1)),
            fresh,
        ),
        (
            "GET /api/v1/banks with a token used before",
            "/api/v1/banks".to_owned(),
            used,
        ),
        (
            "the care catalogue (no database but the token's check) with a token used before",
            "/api/v1/care/catalogue".to_owned(),
            worker,
        ),
    ];
    let threads: Vec<_> = probes
        .into_iter()
        .map(|(what, path, token)| {
            let (base, auth) = (base.to_owned(), format!("Bearer {token}"));
            std::thread::spawn(move || {
                let reply = drills::send(
                    &base,
                    "GET",
                    &path,
                    &[("Authorization", &auth)],
                    b"",
                    Duration::from_secs(60),
                );
                (what.to_owned(), reply)
            })
        })
        .collect();
    let mut answers = threads.into_iter().map(|t| t.join().expect("probe"));
    [
        answers.next().expect("first"),
        answers.next().expect("second"),
        answers.next().expect("third"),
    ]
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_going_away_under_load_costs_no_lookup_and_no_acknowledged_write() {
    let Some(cluster) = PgCluster::start("outage") else {
        return;
    };
    let began = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let location = StoreLocation::new(dir.path(), Some(cluster.url("postgres")));
    let store = Store::open(&location).await.expect("open store");
    let (token, fresh, worker) = deployment(&store).await;
    let server = Server::start_with_env(&location, &[("LINDUNG_HOTLINE_ORG", "Hotline")]);
    let (status, catalogue) = server.get("/api/v1/care/catalogue", Some(&worker));
    assert_eq!(status, 200, "the catalogue before the outage: {catalogue}");
    let load = Arc::new(Load {
        base: server.base.clone(),
        token: token.clone(),
        t0: Instant::now(),
        stop: AtomicBool::new(false),
        next: AtomicU64::new(0),
        lookups: Mutex::default(),
        writes: Mutex::default(),
    });
    let mut clients = Vec::new();
    for seed in [0, 7_777] {
        let load = Arc::clone(&load);
        clients.push(std::thread::spawn(move || lookup_client(&load, seed)));
    }
    for _ in 0..2 {
        let load = Arc::clone(&load);
        clients.push(std::thread::spawn(move || report_client(&load)));
    }
    let since = |at: Instant| at - load.t0;
    std::thread::sleep(Duration::from_secs(3));
    let stop_begun = Instant::now();
    cluster.stop_immediately();
    let stopped = Instant::now();
    std::thread::sleep(Duration::from_secs(1));
    let probes = outage_probes(&server.base, &token, &fresh, &worker);
    // Down for DOWN, or until the probes were answered if they took longer.
    std::thread::sleep(DOWN.saturating_sub(stopped.elapsed()));
    let start_begun = Instant::now();
    cluster.start_server();
    let started = Instant::now();
    // The server recovers by itself: a write succeeds again.
    let recovered = loop {
        let first = load
            .writes
            .lock()
            .expect("lock")
            .iter()
            .filter(|e| e.status == Some(201) && e.at > since(started))
            .map(|e| e.at + e.took)
            .min();
        if let Some(at) = first {
            break at;
        }
        assert!(
            started.elapsed() < RECOVERY_BOUND,
            "no write succeeded within {RECOVERY_BOUND:?} of PostgreSQL's restart (at {:?}): {:?}",
            since(started),
            load.writes
                .lock()
                .expect("lock")
                .iter()
                .rev()
                .take(8)
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_secs(2));
    load.stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().expect("client");
    }
    let lookups = load.lookups.lock().expect("lock").clone();
    let writes = load.writes.lock().expect("lock").clone();
    let (down_from, down_to) = (since(stopped), since(start_begun));
    let during = |e: &&Event| e.at >= down_from && e.at + e.took <= down_to;

    // Lookups: every one answered, rightly, all along; within the bound while it was down.
    for e in &lookups {
        assert!(e.status == Some(200) && e.right, "lookup {e:?}");
    }
    let down_lookups: Vec<&Event> = lookups.iter().filter(during).collect();
    assert!(
        down_lookups.len() >= 20,
        "lookups while down: {}",
        down_lookups.len()
    );
    let slowest_lookup = down_lookups
        .iter()
        .map(|e| e.took)
        .max()
        .unwrap_or_default();
    assert!(
        slowest_lookup <= LOOKUP_BOUND,
        "a lookup took {slowest_lookup:?}"
    );
    // Writes: 201 or 503 with Retry-After, never anything else; 503 only around the outage.
    for e in &writes {
        assert!(
            matches!(e.status, Some(201 | 503)) && e.right,
            "write {e:?} (201, or 503 with Retry-After and store_unavailable)"
        );
        assert!(e.took <= WRITE_BOUND, "a write took {:?}", e.took);
        if e.status == Some(503) {
            assert!(
                e.at + e.took >= since(stop_begun) && e.at <= recovered,
                "refused outside the outage: {e:?}"
            );
        }
    }
    // Only the lookup routes take a token while the database is away, and only one verified
    // before; anything else is refused as any write is.
    for (what, reply) in &probes {
        let reply = reply
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: no answer"));
        assert!(
            unavailable(reply),
            "{what} while PostgreSQL is down: {} {} {} (503 store_unavailable with \
             Retry-After: {RETRY_AFTER})",
            reply.status,
            reply.head,
            reply.body
        );
    }
    let down_writes: Vec<&Event> = writes.iter().filter(during).collect();
    assert!(!down_writes.is_empty(), "writes while down");
    assert!(
        down_writes.iter().all(|e| e.status == Some(503)),
        "every write while down is refused: {down_writes:?}"
    );

    // Each refused write, retried with its key, is taken once; then each submission is there
    // exactly once.
    let refused: Vec<u64> = writes
        .iter()
        .filter(|e| e.status != Some(201))
        .map(|e| e.n)
        .collect();
    let mut replayed = 0;
    for n in &refused {
        let reply = submit(&server.base, &token, *n).expect("answer");
        // 201, or 200 `replayed` for one the database had committed when it went away (its
        // answer was lost): the key finds it, and nothing is taken twice.
        match reply.status {
            201 => {}
            200 if reply.json()["replayed"] == true => replayed += 1,
            _ => panic!("retry of {n}: {} {}", reply.status, reply.body),
        }
    }
    let mut urls: BTreeMap<String, usize> = BTreeMap::new();
    let mut report_of: BTreeMap<String, String> = BTreeMap::new();
    for (url, report) in pairs(
        &store,
        "SELECT url AS a, CAST(report_id AS TEXT) AS b FROM hotline_urls",
    )
    .await
    {
        *urls.entry(url.clone()).or_default() += 1;
        report_of.insert(url, report);
    }
    let mut audited: BTreeMap<String, usize> = BTreeMap::new();
    for (report, _) in pairs(
        &store,
        "SELECT COALESCE(record_id, '') AS a, action AS b FROM audit_log \
         WHERE action = 'hotline.report.submit'",
    )
    .await
    {
        *audited.entry(report).or_default() += 1;
    }
    let mut keys: BTreeMap<String, usize> = BTreeMap::new();
    for (key, _) in pairs(
        &store,
        "SELECT COALESCE(idempotency_key, '') AS a, reference AS b FROM hotline_submissions",
    )
    .await
    {
        *keys.entry(key).or_default() += 1;
    }
    for e in &writes {
        let url = format!("https://example.org/outage/{}", e.n);
        assert_eq!(
            urls.get(&url),
            Some(&1),
            "submission {} ({:?})",
            e.n,
            e.status
        );
        let key_suffix = format!(":outage-{}", e.n);
        let held: usize = keys
            .iter()
            .filter(|(k, _)| k.ends_with(&key_suffix))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(held, 1, "submission {} recorded once", e.n);
        let report = &report_of[&url];
        assert_eq!(
            audited.get(report),
            Some(&1),
            "submission {} ({:?}): report {report}'s hotline.report.submit audit entries",
            e.n,
            e.status
        );
    }
    assert_eq!(
        audited.values().sum::<usize>(),
        writes.len(),
        "no audited submission but the ones made"
    );
    assert_eq!(urls.len(), writes.len(), "no report but the ones submitted");
    let chain = lindung::access::audit::verify(&store)
        .await
        .expect("verify");
    assert_eq!(chain.first_broken, None);
    assert_eq!(server.get("/status", None).0, 200, "the same server serves");

    let acked = writes.iter().filter(|e| e.status == Some(201)).count();
    let p50 = {
        let mut took: Vec<Duration> = down_lookups.iter().map(|e| e.took).collect();
        took.sort();
        took[took.len() / 2]
    };
    let writes_after = |at: Duration| writes.iter().filter(|e| e.at >= at).count();
    let slow = down_lookups
        .iter()
        .filter(|e| e.took > Duration::from_secs(1))
        .count();
    note(&format!(
        "outage timeline (s from the start of the load; acquire timeout {ACQUIRE_TIMEOUT:?}):\n\
         \x20 0.0 load begins: 2 lookup clients, 2 report clients\n\
         \x20 {:.1} pg_ctl stop -m immediate begins; {:.1} stopped\n\
         \x20 {:.1} pg_ctl start begins; {:.1} accepting connections\n\
         \x20 {:.1} first write acknowledged again ({:.1} s after start)\n\
         \x20 while down: {} lookups, all 200 with the right matches (p50 {:?}, slowest {:?}, \
         {slow} over 1 s); \
         {} writes, all 503 store_unavailable with Retry-After\n\
         \x20 in all: {} lookups, {} writes ({acked} acknowledged, {} refused and retried, \
         {replayed} of them found already committed: each once in the store, with one audit \
         entry), {} after recovery\n\
         \x20 while down: {}; test {:.1} s",
        secs(since(stop_begun)),
        secs(since(stopped)),
        secs(since(start_begun)),
        secs(since(started)),
        secs(recovered),
        secs(recovered.saturating_sub(since(started))),
        down_lookups.len(),
        p50,
        slowest_lookup,
        down_writes.len(),
        lookups.len(),
        writes.len(),
        refused.len(),
        writes_after(recovered),
        probes
            .iter()
            .map(|(what, r)| format!("{what}: {:?}", r.as_ref().map(|r| r.status)))
            .collect::<Vec<_>>()
            .join(", "),
        secs(began.elapsed()),
    ));
    server.terminate();
}
