//! Test stores on every backend: a fresh SQLite file always, and a fresh PostgreSQL database
//! when `LINDUNG_TEST_DATABASE_URL` points at a server (`.ci/run` sets it). Without it the
//! PostgreSQL half of each test is skipped, and says so on stderr.

use lindung::store::{Store, StoreLocation};
use sea_orm::{ConnectionTrait, Database};

pub struct TestStore {
    pub name: &'static str,
    pub location: StoreLocation,
    pub store: Store,
    _dir: tempfile::TempDir,
    /// For PostgreSQL: the server URL and the database to drop afterwards.
    drop_database: Option<(String, String)>,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let Some((url, name)) = self.drop_database.take() else {
            return;
        };
        // Drop runs outside any runtime the test may still be inside of, on its own thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = Database::connect(url.as_str()).await.ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// A unique database name per test and process.
fn unique_name(test: &str) -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("random");
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let test: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(30)
        .collect();
    format!("lindung_test_{test}_{suffix}")
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[after_scheme..].find('/').map(|i| i + after_scheme);
    let host_part = path_start.map_or(base, |i| &base[..i]);
    match query {
        Some(q) => format!("{host_part}/{database}?{q}"),
        None => format!("{host_part}/{database}"),
    }
}

/// Every backend available to this run, each with an empty, migrated store.
pub async fn stores(test: &str) -> Vec<TestStore> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let location = StoreLocation::new(dir.path(), None);
    let store = Store::open(&location).await.expect("open SQLite store");
    out.push(TestStore {
        name: "sqlite",
        location,
        store,
        _dir: dir,
        drop_database: None,
    });
    match std::env::var("LINDUNG_TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let name = unique_name(test);
            let admin = Database::connect(url.as_str())
                .await
                .expect("connect to LINDUNG_TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            let dir = tempfile::tempdir().expect("tempdir");
            let location = StoreLocation::new(dir.path(), Some(with_database(&url, &name)));
            let store = Store::open(&location).await.expect("open PostgreSQL store");
            out.push(TestStore {
                name: "postgres",
                location,
                store,
                _dir: dir,
                drop_database: Some((url.clone(), name)),
            });
        }
        _ => super::skip(&format!(
            "SKIPPED on PostgreSQL: {test}: LINDUNG_TEST_DATABASE_URL is not set (scripts/test and .ci/run set it)"
        )),
    }
    out
}

/// Adds a user (and its organisation, if new) and returns an API token for it.
pub async fn user(
    store: &Store,
    email: &str,
    role: lindung::access::Role,
    organisation: Option<&str>,
) -> String {
    let actor = lindung::access::audit::Actor::cli("test");
    lindung::access::add_user(
        store,
        &actor,
        email,
        role,
        organisation,
        "a long enough passphrase",
    )
    .await
    .expect("user");
    lindung::access::create_token(store, &actor, email, "test")
        .await
        .expect("token")
}
