//! What the crash drills share: proof that a write is in flight (SQLite's WAL has grown past its
//! size before; a PostgreSQL session of the store's database is inside a transaction or running
//! an INSERT), SQLite's own integrity check, row counts, and a small HTTP client that reports a
//! dead server as `None` instead of panicking (the drills kill servers on purpose).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use lindung::store::Store;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::TestStore;

/// How a drill tells that a write is in flight on one store.
pub enum WriteProbe {
    /// The `-wal` file and its size when the probe was armed: SQLite appends a transaction's
    /// pages to it (when its cache spills, and at commit), so growth means a write has begun.
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
    let host = base.trim_start_matches("http://");
    let address = host.parse().ok()?;
    let mut stream = TcpStream::connect_timeout(&address, timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some(Reply {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    })
}
