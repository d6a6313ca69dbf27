//! Paths into the repository, and looking at bytes: test data, a SQLite store's raw file, and
//! the encodings tests search for.

use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, Statement};

use lindung::store::StoreLocation;

/// The repository's root directory, as an absolute path.
pub fn repo() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()))
}

/// A file or directory under the repository's `testdata/`, as an absolute path; it must exist.
pub fn testdata(path: &str) -> PathBuf {
    let full = repo().join("testdata").join(path);
    std::fs::canonicalize(&full).expect(path)
}

/// The raw bytes of a SQLite store's database file and its write-ahead log.
pub fn sqlite_bytes(location: &StoreLocation) -> Vec<u8> {
    let mut bytes = std::fs::read(location.sqlite_path()).expect("db file");
    let wal = location.sqlite_path().with_extension("db-wal");
    bytes.extend(std::fs::read(wal).unwrap_or_default());
    bytes
}

/// Whether `needle` occurs anywhere in `haystack`.
pub fn contains(haystack: &[u8], needle: impl AsRef<[u8]>) -> bool {
    let needle = needle.as_ref();
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64, with padding.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Percent-encoding for a query string or form field: everything but RFC 3986's unreserved
/// characters.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every row of every table, as text (PostgreSQL), or the raw database file and WAL (SQLite).
pub async fn everything_stored(t: &super::TestStore) -> Vec<u8> {
    if t.location.database_url.is_none() {
        return sqlite_bytes(&t.location);
    }
    let db = t.store.db();
    let backend = db.get_database_backend();
    let tables = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
        ))
        .await
        .expect("tables");
    let mut all = Vec::new();
    for row in tables {
        let table: String = row.try_get("", "tablename").expect("name");
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!("SELECT t::text AS row FROM \"{table}\" t"),
            ))
            .await
            .expect("rows");
        for row in rows {
            let text: String = row.try_get("", "row").expect("row");
            all.extend_from_slice(text.as_bytes());
            all.push(b'\n');
        }
    }
    all
}

/// The `.rs` files under `dir`, at any depth.
pub fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a source directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
