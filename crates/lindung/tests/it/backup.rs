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

/// The drill an operator runs before they need it: cases whose children's names are encrypted
/// are backed up while the server runs, restored into a new data directory with the key, and
/// every case reads back; restored without the key, the store refuses to open and says which
/// key is missing and where it was looked for; with another deployment's key, the server
/// refuses to start.
#[tokio::test(flavor = "multi_thread")]
async fn a_backup_with_its_key_restores_every_case_and_without_it_says_what_is_missing() {
    let t = &support::stores("backup_drill").await[0];
    let supervisor =
        support::user(&t.store, "sup@care.example", Role::Supervisor, Some("Care")).await;
    let server = Server::start(&t.location);
    let names = ["Drill Child One", "Drill Child Two", "Drill Child Three"];
    let mut ids = Vec::new();
    for name in names {
        let (status, created) = server.json(
            "POST",
            "/api/v1/cases",
            Some(&supervisor),
            &serde_json::json!({"name": name, "age_estimate": 12, "location": "Udon Thani"}),
        );
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
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
    server.terminate();
    // The names are not in the backup in the clear.
    let bytes = std::fs::read(&out).expect("backup bytes");
    for name in names {
        assert!(!support::contains(&bytes, name), "{name} is in the clear");
    }

    // Restored with its key: every case reads back, by the same people.
    let restored = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&out, restored.path().join("lindung.db")).expect("restore");
    std::fs::copy(
        t.location.data_dir.join("field.key"),
        restored.path().join("field.key"),
    )
    .expect("restore the key");
    let location = StoreLocation::new(restored.path(), None);
    let server = Server::start(&location);
    for (id, name) in ids.iter().zip(names) {
        let (status, case) = server.get(&format!("/api/v1/cases/{id}"), Some(&supervisor));
        assert_eq!(status, 200, "{case}");
        assert_eq!(case["identity"]["name"], name);
    }
    server.terminate();
    let store = Store::open(&location).await.expect("open");
    assert_eq!(
        audit::verify(&store).await.expect("verify").first_broken,
        None
    );

    // Restored without its key: refused, naming the key file it looked for, and no new key made.
    let keyless = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&out, keyless.path().join("lindung.db")).expect("restore");
    let key_path = keyless.path().join("field.key");
    let (ok, _, stderr) = support::lindung_on(
        &StoreLocation::new(keyless.path(), None),
        &["audit", "verify"],
    );
    assert!(!ok, "opened without its key");
    assert!(stderr.contains("the field key is missing"), "{stderr}");
    assert!(
        stderr.contains(&key_path.display().to_string()),
        "names where it looked: {stderr}"
    );
    assert!(!key_path.exists(), "no new key was made beside the data");

    // Restored with another deployment's key: the server refuses to start.
    let other_key = tempfile::tempdir().expect("tempdir");
    Store::open(&StoreLocation::new(other_key.path(), None))
        .await
        .expect("a fresh store makes its own key");
    std::fs::copy(other_key.path().join("field.key"), &key_path).expect("wrong key");
    let output = support::lindung_command(
        &StoreLocation::new(keyless.path(), None),
        &["serve", "--listen", "127.0.0.1:0"],
    )
    .output()
    .expect("serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not this store's"), "{stderr}");
}
