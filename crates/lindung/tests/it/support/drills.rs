//! What the crash drills share: proof that a write is in flight (SQLite's WAL has grown past its
//! size before; a PostgreSQL session of the store's database is inside a transaction or running
//! an INSERT), SQLite's own integrity check, row counts, the check that report intake is all or
//! nothing, and a small HTTP client that tells a request that reached no server from one cut
//! off without an answer, instead of panicking (the drills kill servers on purpose).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use lindung::store::Store;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::TestStore;

/// How a drill tells that a write is in flight on one store.
pub enum WriteProbe {
    /// The `-wal` file and its size when the probe was armed. SQLite appends a transaction's
    /// pages to it when its page cache spills and at commit (the commit is the last frame), so
    /// growth means a write has begun, or has just committed: growth alone cannot tell them
    /// apart (the drills add what can, see `crash_drills`).
    Sqlite { wal: PathBuf, baseline: u64 },
    /// `pg_stat_activity` shows whether another session is in a transaction or inserting.
    Postgres,
}

impl WriteProbe {
    /// Arms the probe. On SQLite the WAL is first checkpointed and truncated (from this
    /// process's connection), so that growth can be seen: a WAL reused after a checkpoint is
    /// overwritten from its start and may never grow past its old size.
    pub async fn arm(t: &TestStore) -> WriteProbe {
        match t.store.backend() {
            DbBackend::Postgres => WriteProbe::Postgres,
            _ => {
                // A busy checkpoint (another connection reading) leaves the file as it is; the
                // baseline is whatever size it has after the attempt.
                let _ = t
                    .store
                    .db()
                    .query_all_raw(Statement::from_string(
                        DbBackend::Sqlite,
                        "PRAGMA wal_checkpoint(TRUNCATE)",
                    ))
                    .await;
                let wal = wal_path(t);
                let baseline = file_size(&wal);
                WriteProbe::Sqlite { wal, baseline }
            }
        }
    }

    /// Counts growth from now on (SQLite), not from when the probe was armed.
    pub fn rebase(&mut self) {
        if let WriteProbe::Sqlite { wal, baseline } = self {
            *baseline = file_size(wal);
        }
    }

    /// Whether a write is in flight now (or, on SQLite, has been since the probe was armed).
    pub async fn in_flight(&self, store: &Store) -> bool {
        match self {
            WriteProbe::Sqlite { wal, baseline } => file_size(wal) > *baseline,
            WriteProbe::Postgres => pg_sessions_writing(store).await > 0,
        }
    }
}

/// The WAL file of a SQLite test store.
pub fn wal_path(t: &TestStore) -> PathBuf {
    let mut path = t.location.sqlite_path().into_os_string();
    path.push("-wal");
    PathBuf::from(path)
}

fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// The sessions on the store's database, other than the asker's, that are inside a transaction
/// between statements or running an INSERT.
pub async fn pg_sessions_writing(store: &Store) -> i64 {
    count(
        store,
        "SELECT COUNT(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() \
         AND (state = 'idle in transaction' \
              OR (state = 'active' AND ltrim(query) ILIKE 'insert%'))",
    )
    .await
}

/// Waits until no session of the store's database but the asker's is doing anything (nothing
/// on SQLite). A killed client's PostgreSQL backend carries on with the statement it was given
/// (an INSERT, or the COMMIT itself) until it next talks to the client: a check made before it
/// stops could count rows of a transaction that then commits.
pub async fn await_sessions_idle(t: &TestStore, context: &str) {
    if t.store.backend() != DbBackend::Postgres {
        return;
    }
    let start = std::time::Instant::now();
    while count(
        &t.store,
        "SELECT COUNT(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() \
         AND COALESCE(state, 'idle') <> 'idle'",
    )
    .await
        > 0
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{context}: a session of the killed process is still busy"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The single number `sql` selects as `n`.
pub async fn count(store: &Store, sql: &str) -> i64 {
    let row = store
        .db()
        .query_one_raw(Statement::from_string(store.backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or_else(|| panic!("{sql}: no row"));
    row.try_get::<i64>("", "n")
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Rows of two columns, `a` and `b`, as text (`CAST` them in `sql` if need be).
pub async fn pairs(store: &Store, sql: &str) -> Vec<(String, String)> {
    store
        .db()
        .query_all_raw(Statement::from_string(store.backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|row| {
            (
                row.try_get::<String>("", "a").expect("column a"),
                row.try_get::<String>("", "b").expect("column b"),
            )
        })
        .collect()
}

/// SQLite's `PRAGMA integrity_check` says `ok` (PostgreSQL has nothing to check here: its own
/// recovery replays the WAL, and the drills check the data itself).
pub async fn assert_integrity(t: &TestStore, context: &str) {
    if t.store.backend() != DbBackend::Sqlite {
        return;
    }
    let rows = t
        .store
        .db()
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA integrity_check",
        ))
        .await
        .unwrap_or_else(|e| panic!("{context}: integrity_check: {e}"));
    let said: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "integrity_check").expect("text"))
        .collect();
    assert_eq!(said, ["ok"], "{context}: PRAGMA integrity_check");
}

/// The audit chain verifies from its first entry to the head.
pub async fn assert_audit_verifies(t: &TestStore, context: &str) -> u64 {
    let report = lindung::access::audit::verify(&t.store)
        .await
        .unwrap_or_else(|e| panic!("{context}: verify: {e}"));
    assert_eq!(report.first_broken, None, "{context}: audit chain");
    report.entries
}

/// A report the server acknowledged with 201.
#[derive(Clone, Debug)]
pub struct Ack {
    pub id: String,
    pub reference: String,
    pub urls: [String; 2],
}

/// Every acknowledged report is there with both its URLs and its submission, and no report is
/// there without its URLs, its one submission, its one timeline event (opened by that
/// submission: every URL is new, so nothing merges) and its one audit entry; no row of any of
/// them is there without its report.
pub async fn check_reports(t: &TestStore, acks: &[Ack], context: &str) {
    assert_integrity(t, context).await;
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
    let mut events: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (report, event) in pairs(
        &t.store,
        "SELECT CAST(report_id AS TEXT) AS a, kind || '|' || detail AS b FROM hotline_events",
    )
    .await
    {
        let (kind, detail) = event.split_once('|').expect("kind|detail");
        events
            .entry(report)
            .or_default()
            .push((kind.to_owned(), detail.to_owned()));
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
        let timeline = events.get(report).cloned().unwrap_or_default();
        assert_eq!(
            (n_urls, n_subs, timeline.len(), n_audit),
            (2, 1, 1, 1),
            "{context}: report {report}: its URLs, submissions, events ({timeline:?}) and \
             audit entries"
        );
        let reference = &submissions[report][0];
        let (kind, detail) = &timeline[0];
        assert!(
            kind == "report.opened" && detail.contains(reference.as_str()),
            "{context}: report {report}: its event {kind} {detail:?} is its opening by {reference}"
        );
    }
    for report in urls
        .keys()
        .chain(submissions.keys())
        .chain(events.keys())
        .chain(audited.keys())
    {
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
    assert_audit_verifies(t, context).await;
}

/// An HTTP response: the status, the head (with its headers) and the body.
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    /// A header's value (names compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::String(self.body.clone()))
    }
}

/// Sends one request to `base` (`http://host:port`); `None` when the server is gone or does not
/// answer within `timeout` (a killed server resets or refuses the connection).
pub fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Option<Reply> {
    match exchange(base, method, path, headers, body, timeout) {
        Outcome::Answered(reply) => Some(reply),
        Outcome::NotConnected | Outcome::CutOff { .. } => None,
    }
}

/// What became of one request.
pub enum Outcome {
    /// No connection was made (no server listening): the request never reached a server.
    NotConnected,
    /// Connected, and the connection ended (closed, reset, or silent past the timeout) before
    /// a whole response arrived: a server that had the request gave no answer. `sent` is when
    /// the request had been written (or had failed to be).
    CutOff {
        sent: Instant,
    },
    Answered(Reply),
}

/// Sends one request to `base` (`http://host:port`) and says what became of it.
pub fn exchange(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Outcome {
    let host = base.trim_start_matches("http://");
    let Ok(address) = host.parse() else {
        return Outcome::NotConnected;
    };
    let Ok(mut stream) = TcpStream::connect_timeout(&address, timeout) else {
        return Outcome::NotConnected;
    };
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let sent = stream.set_read_timeout(Some(timeout)).is_ok()
        && stream.set_write_timeout(Some(timeout)).is_ok()
        && stream.write_all(head.as_bytes()).is_ok()
        && stream.write_all(body).is_ok();
    let cut_off = Outcome::CutOff {
        sent: Instant::now(),
    };
    let mut response = Vec::new();
    if !sent || stream.read_to_end(&mut response).is_err() {
        return cut_off;
    }
    let text = String::from_utf8_lossy(&response).into_owned();
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return cut_off;
    };
    let Some(status) = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()) else {
        return cut_off;
    };
    let reply = Reply {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    };
    // A body shorter than announced was cut off too (a killed process's socket closes cleanly
    // when nothing is left unread).
    let announced = reply
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| reply.body.len() < n) {
        return cut_off;
    }
    Outcome::Answered(reply)
}
