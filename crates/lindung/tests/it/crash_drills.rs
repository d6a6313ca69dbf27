//! Crash drills, on SQLite and PostgreSQL: `lindung bank import`, and a `lindung serve` taking
//! reports from several clients, are killed with SIGKILL at least [`KILLS`] times each, every
//! time while a write is proven to be in flight (see `support::drills::WriteProbe`: the SQLite
//! WAL has grown, or PostgreSQL shows a session in a transaction or inserting), and at delays
//! after that proof spread over the write, so that kills land early, midway and late. After each
//! kill: SQLite's `PRAGMA integrity_check` says `ok`, the data is all or nothing, the audit chain
//! verifies, and a rerun (an import, a restarted server) completes.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use lindung::access::{self, Principal, Role, audit::Actor};
use lindung::banks::store as banks;
use sea_orm::DbBackend;

use crate::support::drills::{self, WriteProbe, count, pairs};
use crate::support::server::Server;
use crate::support::{self, TestStore, lindung_command, note, user};

/// Kills that must land while a write is proven in flight, per drill and backend.
const KILLS: usize = 50;
/// Attempts allowed in all: an attempt whose write finished before the kill does not count.
const MAX_ATTEMPTS: usize = 90;
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
    /// Killed while running, after the proof.
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
            child.kill().expect("SIGKILL");
            killed_in_flight = true;
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
        let step = window.mul_f64(0.95) / KILLS as u32;
        let (mut counted, mut attempts, mut none, mut all, mut reruns) = (0, 0, 0, 0, 0);
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
            let delay = step * (attempts % KILLS) as u32;
            let run = import(&t, &name, &list, Some(delay)).await;
            attempts += 1;
            let context = format!("{}: attempt {attempts}, kill {delay:?} after proof", t.name);
            drills::assert_integrity(&t, &context).await;
            let held = holdings(&t, id).await;
            assert!(
                held == NOTHING || held == ALL,
                "{context}: half-written: {held:?}"
            );
            drills::assert_audit_verifies(&t, &context).await;
            if run.killed_in_flight {
                counted += 1;
                proofs.extend(run.proof);
                if held == NOTHING { none += 1 } else { all += 1 }
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
            "crash drill, bank import, {}: {counted} kills mid-write of {attempts} attempts \
             ({none} left nothing, {all} everything: killed after commit), kills 0 to {:?} \
             after the proof (write lasts {window:?}; proof {first_proof:?} after start at the \
             earliest), {reruns} reruns complete, {:.1} s",
            t.name,
            step * (KILLS as u32 - 1),
            began.elapsed().as_secs_f64()
        ));
        assert!(counted >= KILLS);
    }
}

/// A report the server acknowledged with 201.
#[derive(Clone, Debug)]
struct Ack {
    id: String,
    reference: String,
    urls: [String; 2],
}

/// What the client threads share with the drill.
#[derive(Default)]
struct Intake {
    /// The server to send to; `None` while it is down.
    base: RwLock<Option<String>>,
    acks: Mutex<Vec<Ack>>,
    /// Answers other than 201 (a running server must take every report).
    odd: Mutex<Vec<String>>,
    next: AtomicU64,
    stop: AtomicBool,
}

fn client(shared: &Intake, token: &str) {
    let auth = format!("Bearer {token}");
    while !shared.stop.load(Ordering::SeqCst) {
        let Some(base) = shared.base.read().expect("lock").clone() else {
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
        let reply = drills::send(
            &base,
            "POST",
            "/api/v1/reports",
            &headers,
            body.as_bytes(),
            PATIENCE,
        );
        match reply {
            // Killed midway: no answer, so nothing was promised.
            None => {}
            Some(r) if r.status == 201 => {
                let receipt = r.json();
                shared.acks.lock().expect("lock").push(Ack {
                    id: receipt["id"].as_str().expect("id").to_owned(),
                    reference: receipt["reference"].as_str().expect("reference").to_owned(),
                    urls,
                });
            }
            Some(r) => shared
                .odd
                .lock()
                .expect("lock")
                .push(format!("{} {}", r.status, r.body)),
        }
    }
}

/// Every acknowledged report is there with both its URLs and its submission, and no report is
/// there without its URLs, its one submission and its one audit entry.
async fn check_reports(t: &TestStore, acks: &[Ack], context: &str) {
    drills::assert_integrity(t, context).await;
    let reports: BTreeSet<String> = pairs(
        &t.store,
        "SELECT CAST(id AS TEXT) AS a, CAST(id AS TEXT) AS b FROM hotline_reports",
    )
    .await
    .into_iter()
    .map(|(a, _)| a)
    .collect();
    let mut urls: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (report, url) in pairs(
        &t.store,
        "SELECT CAST(report_id AS TEXT) AS a, url AS b FROM hotline_urls",
    )
    .await
    {
        urls.entry(report).or_default().push(url);
    }
    let mut submissions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut references = BTreeMap::new();
    for (reference, report) in pairs(
        &t.store,
        "SELECT reference AS a, CAST(report_id AS TEXT) AS b FROM hotline_submissions",
    )
    .await
    {
        submissions
            .entry(report.clone())
            .or_default()
            .push(reference.clone());
        references.insert(reference, report);
    }
    let mut audited: BTreeMap<String, usize> = BTreeMap::new();
    for (report, _) in pairs(
        &t.store,
        "SELECT COALESCE(record_id, '') AS a, action AS b FROM audit_log \
         WHERE action = 'hotline.report.submit'",
    )
    .await
    {
        *audited.entry(report).or_default() += 1;
    }
    for report in &reports {
        let n_urls = urls.get(report).map_or(0, Vec::len);
        let n_subs = submissions.get(report).map_or(0, Vec::len);
        let n_audit = audited.get(report).copied().unwrap_or(0);
        assert_eq!(
            (n_urls, n_subs, n_audit),
            (2, 1, 1),
            "{context}: report {report}: its URLs, submissions and audit entries"
        );
    }
    for report in urls.keys().chain(submissions.keys()).chain(audited.keys()) {
        assert!(
            reports.contains(report),
            "{context}: rows of report {report}, which is not there"
        );
    }
    for ack in acks {
        assert!(
            reports.contains(&ack.id),
            "{context}: acknowledged report {} is missing",
            ack.id
        );
        assert_eq!(
            references.get(&ack.reference),
            Some(&ack.id),
            "{context}: the submission {}",
            ack.reference
        );
        let mut held = urls.get(&ack.id).cloned().unwrap_or_default();
        held.sort();
        let mut sent = ack.urls.to_vec();
        sent.sort();
        assert_eq!(held, sent, "{context}: the URLs of report {}", ack.id);
    }
    drills::assert_audit_verifies(t, context).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn report_intake_killed_mid_write_keeps_every_acknowledged_report() {
    const CLIENTS: usize = 3;
    // Kill k waits k × STEP after the proof: 0 to about 150 ms.
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
        let (mut counted, mut at_kill) = (0, 0);
        while counted < KILLS {
            let server = Server::start_with_env(&t.location, &env);
            *shared.base.write().expect("lock") = Some(server.base.clone());
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
            tokio::time::sleep(STEP * (counted % KILLS) as u32).await;
            // Still writing at the kill itself: PostgreSQL can tell; a WAL, once grown, stays so.
            if t.store.backend() == DbBackend::Postgres && probe.in_flight(&t.store).await {
                at_kill += 1;
            }
            drop(server); // SIGKILL, and waits for it
            *shared.base.write().expect("lock") = None;
            counted += 1;
            let acks = shared.acks.lock().expect("lock").clone();
            check_reports(&t, &acks, &format!("{}: kill {counted}", t.name)).await;
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
            "crash drill, report intake, {}: {counted} kills with a write proven in flight \
             ({}), kills 0 to {:?} after the proof, \
             {acks} acknowledged reports all present and whole, {:.1} s",
            t.name,
            match t.store.backend() {
                DbBackend::Postgres => format!("{at_kill} still writing at the kill itself"),
                _ => "SQLite cannot show whether still writing at the kill itself".into(),
            },
            STEP * (KILLS as u32 - 1),
            began.elapsed().as_secs_f64()
        ));
    }
}
