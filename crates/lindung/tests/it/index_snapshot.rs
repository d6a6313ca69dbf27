//! The server keeps its matching index in a snapshot, starts from it, and applies only the
//! changes made since; a damaged snapshot is ignored in favour of the database.

use std::process::Command;

use lindung::access::audit::Actor;
use lindung::access::{self, Role};
use serde_json::json;

use crate::support;
use crate::support::server::Server;

const A: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const B: &str = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";
const MD5: &str = "0cc175b9c0f1b6a831c399e269772661";

#[tokio::test(flavor = "multi_thread")]
async fn restart_from_snapshot_plus_changes() {
    for t in support::stores("index_snapshot").await {
        let actor = Actor::cli("test");
        access::add_user(
            &t.store,
            &actor,
            "p@x.example",
            Role::Platform,
            None,
            "a long enough passphrase",
        )
        .await
        .expect("user");
        let token = access::create_token(&t.store, &actor, "p@x.example", "t")
            .await
            .expect("token");
        let token = Some(token.as_str());

        let server = Server::start_capturing(&t.location);
        assert_eq!(
            server
                .json("POST", "/c/banks", token, &json!({"name": "SNAP"}))
                .0,
            201
        );
        assert_eq!(
            server
                .json(
                    "POST",
                    "/c/bank/SNAP/signal",
                    token,
                    &json!({"pdq": A, "md5": MD5})
                )
                .0,
            200
        );
        server.terminate();
        assert!(
            t.location.data_dir.join("index/catalogue.bin").exists(),
            "{}: snapshot written at shutdown",
            t.name
        );

        // A change while no server runs: it must be applied on top of the snapshot.
        let list = t.location.data_dir.join("more.txt");
        std::fs::write(&list, format!("{B}\n")).expect("write");
        let mut import = Command::new(env!("CARGO_BIN_EXE_lindung"));
        import
            .args(["bank", "import", "--bank", "SNAP", "--data-dir"])
            .arg(&t.location.data_dir)
            .arg(&list)
            .env_remove("LINDUNG_DATABASE_URL");
        if let Some(url) = &t.location.database_url {
            import.args(["--database-url", url]);
        }
        assert!(import.status().expect("import").success());

        let server = Server::start_capturing(&t.location);
        assert!(
            server
                .first_lines
                .iter()
                .any(|l| l.starts_with("index loaded from snapshot: 1 PDQ hashes")),
            "{}: {:?}",
            t.name,
            server.first_lines
        );
        let (_, found) = server.get(&format!("/m/lookup?signal_type=pdq&signal={A}"), token);
        assert!(
            found.get("SNAP").is_some(),
            "{}: from the snapshot: {found}",
            t.name
        );
        let (_, found) = server.get(&format!("/m/lookup?signal_type=pdq&signal={B}"), token);
        assert!(
            found.get("SNAP").is_some(),
            "{}: from the change log: {found}",
            t.name
        );
        let (_, found) = server.get(&format!("/m/lookup?signal_type=md5&signal={MD5}"), token);
        assert!(
            found.get("SNAP").is_some(),
            "{}: digests too: {found}",
            t.name
        );
        server.terminate();

        // A damaged snapshot is not used, and nothing is lost.
        let catalogue = t.location.data_dir.join("index/catalogue.bin");
        let mut bytes = std::fs::read(&catalogue).expect("read");
        let last = bytes.len() - 20;
        bytes[last] ^= 0xff;
        std::fs::write(&catalogue, bytes).expect("write");
        let server = Server::start_capturing(&t.location);
        assert!(
            !server
                .first_lines
                .iter()
                .any(|l| l.starts_with("index loaded from snapshot")),
            "{:?}",
            server.first_lines
        );
        let (_, found) = server.get(&format!("/m/lookup?signal_type=pdq&signal={B}"), token);
        assert!(found.get("SNAP").is_some(), "{}: {found}", t.name);
    }
}
