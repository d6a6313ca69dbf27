//! Audited reads beside writers, over loopback on SQLite and PostgreSQL: every answer is a
//! success. An audited read reads, then writes its audit entry; on SQLite a transaction begun
//! deferred cannot become a writer once another connection has committed since its first read,
//! and fails with "database is locked" whatever the busy timeout. This ran as a 500 under
//! schemathesis with two workers.

use lindung::access::Role;
use lindung::access::entities::audit_entry;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::support::server::Server;
use crate::support::{self};

/// Readers of the caseload indicators (each read is audited) per writer thread.
const READERS: usize = 4;
const WRITERS: usize = 2;
const ROUNDS: usize = 40;

#[tokio::test(flavor = "multi_thread")]
async fn audited_reads_beside_writers_all_succeed() {
    for t in support::stores("concurrent_writes").await {
        let token = support::user(&t.store, "admin@example.org", Role::Admin, None).await;
        let server = Server::start(&t.location);
        let failures: Vec<String> = std::thread::scope(|scope| {
            let mut threads = Vec::new();
            for reader in 0..READERS {
                let (server, token) = (&server, token.as_str());
                threads.push(scope.spawn(move || {
                    let mut failed = Vec::new();
                    for round in 0..ROUNDS {
                        let (status, body) = server.get("/api/v1/care/indicators", Some(token));
                        if status != 200 {
                            failed.push(format!("reader {reader} round {round}: {status} {body}"));
                        }
                    }
                    failed
                }));
            }
            for writer in 0..WRITERS {
                let (server, token) = (&server, token.as_str());
                threads.push(scope.spawn(move || {
                    let mut failed = Vec::new();
                    for round in 0..ROUNDS {
                        let name = format!("W{writer}R{round}");
                        let (status, body) = server.json(
                            "POST",
                            "/api/v1/banks",
                            Some(token),
                            &json!({"name": name}),
                        );
                        if status != 201 {
                            failed.push(format!("writer {writer} round {round}: {status} {body}"));
                        }
                    }
                    failed
                }));
            }
            threads
                .into_iter()
                .flat_map(|t| t.join().expect("thread"))
                .collect()
        });
        assert!(failures.is_empty(), "{}: {failures:#?}", t.name);
        // Each read was audited (else this would prove nothing about read-then-write).
        let reads = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("care.indicators.read"))
            .count(t.store.db())
            .await
            .expect("count");
        assert_eq!(reads, (READERS * ROUNDS) as u64, "{}", t.name);
        let (status, banks) = server.get("/api/v1/banks?per_page=500", Some(&token));
        assert_eq!(status, 200, "{}", t.name);
        assert_eq!(
            banks["items"].as_array().map(Vec::len),
            Some(WRITERS * ROUNDS),
            "{}: every bank written once: {banks}",
            t.name
        );
    }
}

/// A transaction begun straight on the connection would begin deferred on SQLite, and fail as
/// above the first time it read before writing beside another writer: every one begins through
/// `Store::write` (or, for one that only reads, `Store::read`), which alone name the
/// connection's `begin`.
#[test]
fn every_transaction_begins_through_the_store() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    crate::support::files::rust_sources(&src, &mut files);
    let store = src.join("store").join("mod.rs");
    let mut found = Vec::new();
    for file in files.iter().filter(|f| **f != store) {
        let text = std::fs::read_to_string(file).expect("read");
        for (n, line) in text.lines().enumerate() {
            if [
                ".begin()",
                "::begin(",
                "begin_with_options",
                "begin_with_config",
                ".transaction(",
                "transaction_with_config",
                "TransactionTrait",
                "use sea_orm::*",
                "\"BEGIN",
            ]
            .iter()
            .any(|call| line.contains(call))
            {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "transactions begun beside the store: {found:#?}"
    );
    // The rule would see one, written as the code it forbids.
    let store_text = std::fs::read_to_string(&store).expect("read");
    assert!(
        store_text.contains("begin_with_options"),
        "Store::write begins them"
    );
}
