//! Crash drills, on SQLite and PostgreSQL: `lindung bank import`, and a `lindung serve` taking
//! reports from several clients, are killed with SIGKILL many times each, at delays after a
//! proof that the write is in flight spread over the write, so that kills land early, midway
//! and late. After every kill, counted or not: SQLite's `PRAGMA integrity_check` says `ok`, the
//! data is all or nothing, the audit chain verifies, and a rerun (an import, a restarted server)
//! completes. At least [`KILLS`] kills per drill and backend must be proven to have interrupted
//! a write; the others are checked the same way but not counted.
//!
//! What proves that a kill interrupted the import's write:
//! - the process was still running when it was killed, and afterwards the bank holds nothing of
//!   the import (so its transaction had not committed: an import that committed leaves every
//!   entry, and the drill checks it is one or the other);
//! - PostgreSQL: `pg_stat_activity` showed a session of the store's database inside a
//!   transaction or inserting, once as the proof and again immediately before the kill (only
//!   the import is connected to that database besides the drill itself);
//! - SQLite: another process can observe only the files. The WAL grew after the import said it
//!   had begun (the store opened and the list read, so the only write left is the import's one
//!   transaction), before the kill. SQLite appends a transaction's pages to the WAL when its page
//!   cache spills and at commit, so growth alone shows a write begun *or* committed; growth
//!   together with an empty bank afterwards shows the transaction had written and had not
//!   committed at the kill (a commit frame cut short leaves it uncommitted too).
//!
//! What proves that a kill interrupted report intake: at least one client's request, sent to
//! that server, was cut off by the kill (connected, and the connection ended with no response);
//! on PostgreSQL, `pg_stat_activity` also showed a session writing immediately before the kill.
//! All or nothing there covers every table intake writes: the report, its URLs, its submission,
//! its timeline event and its audit entry.
//!
//! On PostgreSQL every check waits until the killed process's sessions have stopped: a backend
//! carries on with the statement it was given, the COMMIT included, until it next talks to its
//! client, so a check made at once could count rows of a transaction that commits a moment
//! later (an earlier version of this drill did, and saw an import's audit entry without its
//! signals).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use lindung::access::{self, Principal, Role, audit::Actor};
use lindung::banks::store as banks;
use sea_orm::DbBackend;

use crate::support::drills::{self, Ack, Outcome, WriteProbe, count};
use crate::support::server::Server;
use crate::support::{self, TestStore, lindung_command, note, user};

/// Kills that must be proven to have interrupted a write, per drill and backend.
const KILLS: usize = 50;
/// Import attempts allowed in all: a kill that lands after the commit (the bank then holds
/// everything) or before a proof does not count.
const MAX_ATTEMPTS: usize = 160;
/// Distinct kill delays, spread evenly over the write and visited in a scattered order.
const DELAYS: usize = 100;
/// Entries in the imported list: a few statements' worth (the import writes 3000 rows a
/// statement), small enough that an attempt takes well under a second in a debug build.
const ENTRIES: usize = 9_000;
/// How long a drill waits for anything (a proof, a server's answers) before it fails.
const PATIENCE: Duration = Duration::from_secs(60);

fn hash_list(path: &Path) {
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut text = String::with_capacity(ENTRIES * 80);
    for i in 0..ENTRIES {
        let mut words = [0u64; 4];
        for w in &mut words {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *w = state;
        }
        text.push_str(&format!(
            "{:016x}{:016x}{:016x}{:016x} item-{i}\n",
            words[0], words[1], words[2], words[3]
        ));
    }
    std::fs::write(path, text).expect("write list");
}

/// One run of `lindung bank import`, killed or left to finish.
struct ImportRun {
    /// From start to the first proof that the import's transaction is writing.
    proof: Option<Duration>,
    /// From the proof to the process's end (when left to finish).
    write: Option<Duration>,
    /// Killed while running, after the proof (and, on PostgreSQL, with the session still seen
    /// writing immediately before the kill).
    killed_in_flight: bool,
}

/// Runs the import of `list` into `bank`. With `kill_after`, kills it that long after the first
/// proof that its write is in flight (if it is still running then).
async fn import(t: &TestStore, bank: &str, list: &Path, kill_after: Option<Duration>) -> ImportRun {
    let mut probe = WriteProbe::arm(t).await;
    let mut child = lindung_command(&t.location, &["bank", "import", "--bank", bank])
        .arg(list)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start import");
    // The import prints `importing` once the store is open and the list read; only after it is
    // its transaction the one writing.
    let begun = Arc::new(AtomicBool::new(false));
    let said = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr");
    let (b, s) = (Arc::clone(&begun), Arc::clone(&said));
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("importing") {
                b.store(true, Ordering::SeqCst);
            }
            s.lock().expect("lock").push_str(&format!("{line}\n"));
        }
    });
    let start = Instant::now();
    let mut rebased = false;
    let proof = loop {
        if child.try_wait().expect("try_wait").is_some() {
            break None;
        }
        if begun.load(Ordering::SeqCst) {
            if !rebased {
                // What opening the store wrote is not the import's: growth counts from here.
                probe.rebase();
                rebased = true;
            } else if probe.in_flight(&t.store).await {
                break Some(Instant::now());
            }
        }
        assert!(start.elapsed() < PATIENCE, "{}: no write seen", t.name);
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    let mut killed_in_flight = false;
    if let (Some(at), Some(delay)) = (proof, kill_after) {
        tokio::time::sleep_until((at + delay).into()).await;
        if child.try_wait().expect("try_wait").is_none() {
            // PostgreSQL can tell whether the session is still writing now; a grown WAL stays
            // grown, so on SQLite the proof stands, and the bank's contents settle it.
            let writing =
                t.store.backend() != DbBackend::Postgres || probe.in_flight(&t.store).await;
            child.kill().expect("SIGKILL");
            killed_in_flight = writing;
        }
    }
    let status = child.wait().expect("wait");
    if kill_after.is_none() {
        assert!(
            status.success(),
            "{}: import: {}",
            t.name,
            said.lock().expect("lock")
        );
    }
    ImportRun {
        proof: proof.map(|p| p - start),
        write: proof.map(|p| p.elapsed()),
        killed_in_flight,
    }
}

/// What one bank holds: signals, content items, `signal_added` changes, `bank.import` audit
/// entries. An import writes all of them in one transaction.
async fn holdings(t: &TestStore, bank_id: i32) -> [i64; 4] {
    [
        count(
            &t.store,
            &format!("SELECT COUNT(*) AS n FROM signals WHERE bank_id = {bank_id}"),
        )
        .await,
        count(
            &t.store,
            &format!("SELECT COUNT(*) AS n FROM bank_content WHERE bank_id = {bank_id}"),
        )
        .await,
        count(
            &t.store,
            &format!(
                "SELECT COUNT(*) AS n FROM change_log WHERE bank_id = {bank_id} AND kind = 'signal_added'"
            ),
        )
        .await,
        count(
            &t.store,
            &format!(
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'bank.import' AND record_id = '{bank_id}'"
            ),
        )
        .await,
    ]
}

const NOTHING: [i64; 4] = [0, 0, 0, 0];
const ALL: [i64; 4] = [ENTRIES as i64, ENTRIES as i64, ENTRIES as i64, 1];

async fn new_bank(t: &TestStore, name: &str) -> i32 {
    let actor = Actor::cli("crash drill");
    let org = access::organisation_id(&t.store, &actor, access::DEFAULT_ORGANISATION)
        .await
        .expect("organisation");
    let admin = Principal {
        user_id: 0,
        organisation_id: org,
        email: "cli".into(),
        role: Role::Admin,
        language: None,
    };
    banks::create_bank(
        &t.store,
        &actor,
        &admin,
        name,
        None,
        true,
        banks::BankSharing::Private,
    )
    .await
    .expect("create bank")
    .id
}

/// Runs the import to its end on `bank`, which must then hold every entry, and one more
/// `bank.import` audit entry (a rerun over a complete bank adds no signal, but is audited).
async fn rerun(t: &TestStore, name: &str, id: i32, list: &Path, context: &str) {
    let before = holdings(t, id).await;
    import(t, name, list, None).await;
    let mut expected = ALL;
    expected[3] = before[3] + 1;
    assert_eq!(holdings(t, id).await, expected, "{context}: after a rerun");
}

#[tokio::test(flavor = "multi_thread")]
async fn bank_import_killed_mid_write_is_all_or_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("list.txt");
    hash_list(&list);
    for t in support::stores("crash_drill_import").await {
        let began = Instant::now();
        // A full run first: how long the write lasts after its proof sets the kills' spread.
        let id = new_bank(&t, "DRILL-CAL").await;
        let full = import(&t, "DRILL-CAL", &list, None).await;
        assert_eq!(holdings(&t, id).await, ALL, "{}: a full import", t.name);
        let window = full.write.expect("the full import's write was seen");
        let step = window.mul_f64(0.95) / DELAYS as u32;
        let (mut counted, mut attempts, mut none, mut all, mut reruns) = (0, 0, 0, 0, 0);
        let mut late = 0;
        let mut proofs = Vec::new();
        let mut last = ("DRILL-CAL".to_owned(), id);
        while counted < KILLS {
            assert!(
                attempts < MAX_ATTEMPTS,
                "{}: only {counted} of {attempts} kills landed mid-write",
                t.name
            );
            let name = format!("DRILL-{attempts}");
            let id = new_bank(&t, &name).await;
            // 37 is prime to DELAYS: successive attempts jump across the write, and every
            // DELAYS attempts visit each delay once.
            let delay = step * ((attempts * 37) % DELAYS) as u32;
            let run = import(&t, &name, &list, Some(delay)).await;
            attempts += 1;
            let context = format!("{}: attempt {attempts}, kill {delay:?} after proof", t.name);
            drills::await_sessions_idle(&t, &context).await;
            drills::assert_integrity(&t, &context).await;
            let held = holdings(&t, id).await;
            assert!(
                held == NOTHING || held == ALL,
                "{context}: half-written: {held:?}"
            );
            drills::assert_audit_verifies(&t, &context).await;
            match (run.killed_in_flight, held == NOTHING) {
                // Running, seen writing, and nothing committed: the kill interrupted the write.
                (true, true) => {
                    counted += 1;
                    proofs.extend(run.proof);
                }
                (true, false) => late += 1,
                _ => {}
            }
            if held == NOTHING {
                none += 1
            } else {
                all += 1
            }
            if attempts % 10 == 0 {
                rerun(&t, &name, id, &list, &context).await;
                reruns += 1;
            }
            last = (name, id);
        }
        rerun(&t, &last.0, last.1, &list, t.name).await;
        reruns += 1;
        let first_proof = proofs.iter().min().copied().unwrap_or_default();
        note(&format!(
            "crash drill, bank import, {}: {counted} kills counted (running, seen writing, \
             nothing committed) of {attempts} attempts; every attempt all or nothing \
             ({none} left nothing, {all} everything, {late} of them killed running after \
             their commit); kills 0 to {:?} after the proof (write lasts {window:?}; proof \
             {first_proof:?} after start at the earliest), {reruns} reruns complete, {:.1} s",
            t.name,
            step * (DELAYS as u32 - 1),
            began.elapsed().as_secs_f64()
        ));
        assert!(counted >= KILLS);
    }
}

/// What the client threads share with the drill.
#[derive(Default)]
struct Intake {
    /// The server to send to and its life (which start it is); `None` while it is down.
    base: RwLock<Option<(String, usize)>>,
    acks: Mutex<Vec<Ack>>,
    /// Answers other than 201 (a running server must take every report).
    odd: Mutex<Vec<String>>,
    /// Requests cut off (connected, no answer), by server life: when each had been sent.
    cut_off: Mutex<BTreeMap<usize, Vec<Instant>>>,
    /// Requests sent and not yet settled.
    sending: AtomicU64,
    next: AtomicU64,
    stop: AtomicBool,
}

impl Intake {
    /// Stops sending to the server, and waits until every request sent to it is settled, so
    /// that what was cut off is all known.
    fn settle(&self) {
        *self.base.write().expect("lock") = None;
        let wait = Instant::now();
        while self.sending.load(Ordering::SeqCst) > 0 {
            assert!(wait.elapsed() < PATIENCE, "a client never settled");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn client(shared: &Intake, token: &str) {
    let auth = format!("Bearer {token}");
    while !shared.stop.load(Ordering::SeqCst) {
        let target = {
            // Counted as sending while the read lock is held: once `settle` has taken the write
            // lock, every request to the old server is counted.
            let base = shared.base.read().expect("lock");
            if base.is_some() {
                shared.sending.fetch_add(1, Ordering::SeqCst);
            }
            base.clone()
        };
        let Some((base, life)) = target else {
            std::thread::sleep(Duration::from_millis(2));
            continue;
        };
        let n = shared.next.fetch_add(1, Ordering::SeqCst);
        let urls = [
            format!("https://example.org/drill/{n}/a"),
            format!("https://example.net/drill/{n}/b"),
        ];
        let body = serde_json::json!({"incident_type": "csam", "urls": urls}).to_string();
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        let reply = drills::exchange(
            &base,
            "POST",
            "/api/v1/reports",
            &headers,
            body.as_bytes(),
            PATIENCE,
        );
        match reply {
            // The server was already gone: the request reached nothing.
            Outcome::NotConnected => {}
            // Killed while it had the request: no answer, so nothing was promised.
            Outcome::CutOff { sent } => {
                shared
                    .cut_off
                    .lock()
                    .expect("lock")
                    .entry(life)
                    .or_default()
                    .push(sent);
            }
            Outcome::Answered(r) if r.status == 201 => {
                let receipt = r.json();
                shared.acks.lock().expect("lock").push(Ack {
                    id: receipt["id"].as_str().expect("id").to_owned(),
                    reference: receipt["reference"].as_str().expect("reference").to_owned(),
                    urls,
                });
            }
            Outcome::Answered(r) => shared
                .odd
                .lock()
                .expect("lock")
                .push(format!("{} {}", r.status, r.body)),
        }
        shared.sending.fetch_sub(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn report_intake_killed_mid_write_keeps_every_acknowledged_report() {
    const CLIENTS: usize = 3;
    /// Server lives allowed in all: a kill that cuts off no request (or, on PostgreSQL, finds
    /// no session writing) does not count.
    const MAX_ROUNDS: usize = 120;
    // Round k kills (k × 37 mod 50) × STEP after the proof: 0 to about 150 ms, scattered.
    const STEP: Duration = Duration::from_millis(3);
    for t in support::stores("crash_drill_intake").await {
        let began = Instant::now();
        user(
            &t.store,
            "analyst@hotline.example",
            Role::Analyst,
            Some("Hotline"),
        )
        .await;
        let token = user(
            &t.store,
            "api@platform.example",
            Role::Platform,
            Some("Platform"),
        )
        .await;
        let env = [("LINDUNG_HOTLINE_ORG", "Hotline")];
        let shared = Arc::new(Intake::default());
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (shared, token) = (Arc::clone(&shared), token.clone());
                std::thread::spawn(move || client(&shared, &token))
            })
            .collect();
        let postgres = t.store.backend() == DbBackend::Postgres;
        let (mut counted, mut rounds, mut cut_rounds, mut writing_rounds) = (0, 0, 0, 0);
        let (mut cut_total, mut cut_after) = (0, 0);
        while counted < KILLS {
            assert!(
                rounds < MAX_ROUNDS,
                "{}: only {counted} of {rounds} kills cut off a request{}",
                t.name,
                if postgres {
                    " with a session writing"
                } else {
                    ""
                }
            );
            let life = rounds;
            rounds += 1;
            let server = Server::start_with_env(&t.location, &env);
            *shared.base.write().expect("lock") = Some((server.base.clone(), life));
            // A restart serves again: new reports are taken before the next kill.
            let before = shared.acks.lock().expect("lock").len();
            let wait = Instant::now();
            while shared.acks.lock().expect("lock").len() < before + CLIENTS {
                assert!(wait.elapsed() < PATIENCE, "{}: no reports taken", t.name);
                std::thread::sleep(Duration::from_millis(2));
            }
            let probe = WriteProbe::arm(&t).await;
            while !probe.in_flight(&t.store).await {
                assert!(wait.elapsed() < PATIENCE, "{}: no write seen", t.name);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            tokio::time::sleep(STEP * ((life * 37) % KILLS) as u32).await;
            // Still writing at the kill itself: PostgreSQL can tell (a WAL, once grown, stays
            // so; on SQLite the cut-off request is the proof).
            let writing = !postgres || probe.in_flight(&t.store).await;
            let killed = Instant::now();
            drop(server); // SIGKILL, and waits for it
            shared.settle();
            let context = format!("{}: kill {rounds}", t.name);
            drills::await_sessions_idle(&t, &context).await;
            // Only requests sent before the kill: until the dying process's socket closes, the
            // kernel still accepts connections the server never sees, and resets them.
            let (cut, after) =
                shared
                    .cut_off
                    .lock()
                    .expect("lock")
                    .get(&life)
                    .map_or((0, 0), |sent| {
                        let before = sent.iter().filter(|s| **s < killed).count();
                        (before, sent.len() - before)
                    });
            cut_total += cut;
            cut_after += after;
            cut_rounds += usize::from(cut > 0);
            writing_rounds += usize::from(postgres && writing);
            if cut > 0 && writing {
                counted += 1;
            }
            let acks = shared.acks.lock().expect("lock").clone();
            drills::check_reports(&t, &acks, &context).await;
        }
        shared.stop.store(true, Ordering::SeqCst);
        for c in clients {
            c.join().expect("client");
        }
        let odd = shared.odd.lock().expect("lock").clone();
        assert!(
            odd.is_empty(),
            "{}: answers other than 201: {odd:?}",
            t.name
        );
        // A last restart takes a report.
        let server = Server::start_with_env(&t.location, &env);
        let (status, answer) = server.json(
            "POST",
            "/api/v1/reports",
            Some(&token),
            &serde_json::json!({"incident_type": "csam", "urls": ["https://example.org/after"]}),
        );
        assert_eq!(status, 201, "{}: {answer}", t.name);
        server.terminate();
        let acks = shared.acks.lock().expect("lock").len();
        note(&format!(
            "crash drill, report intake, {}: {counted} kills counted of {rounds} \
             ({cut_rounds} cut off a request sent before the kill; {cut_total} such requests \
             in all, {cut_after} more sent after the kill began, not counted{}), kills 0 to \
             {:?} after the proof, {acks} acknowledged reports all present and whole, every \
             report all or nothing, {:.1} s",
            t.name,
            match postgres {
                true => format!("; {writing_rounds} with a session writing at the kill itself"),
                false => String::new(),
            },
            STEP * (KILLS as u32 - 1),
            began.elapsed().as_secs_f64()
        ));
        assert!(counted >= KILLS);
    }
}
