//! `lindung backup` copies a SQLite store while a server is using it, and the copy opens as a
//! complete store.

use std::process::Command;

use lindung::access::audit::{self, Actor};
use lindung::access::{self, Role};
use lindung::store::{Store, StoreLocation};

use crate::support;
use crate::support::server::Server;

#[tokio::test(flavor = "multi_thread")]
async fn an_online_backup_is_a_complete_store() {
    let stores = support::stores("backup").await;
    let t = &stores[0];
    let actor = Actor::cli("test");
    for i in 0..3 {
        access::add_user(
            &t.store,
            &actor,
            &format!("u{i}@x.example"),
            Role::Analyst,
            None,
            "a long enough passphrase",
        )
        .await
        .expect("add user");
    }
    let _server = Server::start(&t.location);
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out = out_dir.path().join("backup.db");
    let status = Command::new(env!("CARGO_BIN_EXE_lindung"))
        .args(["backup", "--data-dir"])
        .arg(&t.location.data_dir)
        .arg("--out")
        .arg(&out)
        .env_remove("LINDUNG_DATABASE_URL")
        .status()
        .expect("backup");
    assert!(status.success());
    // A second backup to the same file is refused rather than overwriting it.
    let again = Command::new(env!("CARGO_BIN_EXE_lindung"))
        .args(["backup", "--data-dir"])
        .arg(&t.location.data_dir)
        .arg("--out")
        .arg(&out)
        .env_remove("LINDUNG_DATABASE_URL")
        .output()
        .expect("backup");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let restored_dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&out, restored_dir.path().join("lindung.db")).expect("restore");
    // A restore brings the field key back too (kept apart from the backup): without it the
    // encrypted fields cannot be read and the audit chain cannot be checked.
    std::fs::copy(
        t.location.data_dir.join("field.key"),
        restored_dir.path().join("field.key"),
    )
    .expect("restore the key");
    let restored = Store::open(&StoreLocation::new(restored_dir.path(), None))
        .await
        .expect("open backup");
    assert_eq!(access::user_count(&restored).await.expect("count"), 3);
    let report = audit::verify(&restored).await.expect("verify");
    assert_eq!(report.first_broken, None);
    assert_eq!(report.entries, 4);

    if let Some(pg) = stores.iter().find(|s| s.name == "postgres") {
        let err = pg
            .store
            .backup_sqlite(&out_dir.path().join("pg.db"))
            .await
            .expect_err("not SQLite");
        assert!(err.to_string().contains("pg_dump"));
    }
}
