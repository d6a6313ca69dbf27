//! A large import killed with SIGKILL midway leaves the bank either wholly imported or
//! untouched, and the store consistent, on SQLite and PostgreSQL.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use lindung::access::audit;
use lindung::banks::store as banks;

use crate::support::{self, lindung_command};

const ENTRIES: usize = 60_000;

fn hash_list(path: &std::path::Path) {
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

#[tokio::test(flavor = "multi_thread")]
async fn an_import_killed_midway_is_all_or_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("list.txt");
    hash_list(&list);
    for t in support::stores("crash_import").await {
        let status = lindung_command(&t.location, &["bank", "create", "--name", "CRASH"])
            .status()
            .expect("create");
        assert!(status.success());
        let mut child = lindung_command(&t.location, &["bank", "import", "--bank", "CRASH"])
            .arg(&list)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start import");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        stderr.read_line(&mut line).expect("read");
        assert!(line.starts_with("importing"), "{line}");
        // Writing has begun; kill it in the middle of the transaction.
        std::thread::sleep(Duration::from_millis(400));
        let still_running = child.try_wait().expect("try_wait").is_none();
        let _ = Command::new("kill")
            .args(["-KILL", &child.id().to_string()])
            .status();
        let _ = child.wait();
        assert!(
            still_running,
            "{}: the import finished before it could be killed; make the list larger",
            t.name
        );

        let bank = banks::find_bank(&t.store, "CRASH").await.expect("bank");
        let count = banks::bank_signals(&t.store, bank.id)
            .await
            .expect("signals")
            .len();
        assert!(
            count == 0 || count == ENTRIES,
            "{}: half-written import: {count} of {ENTRIES}",
            t.name
        );
        assert_eq!(count, 0, "{}: killed before commit", t.name);
        assert_eq!(
            audit::verify(&t.store).await.expect("verify").first_broken,
            None,
            "{}",
            t.name
        );

        // Running it again completes, and a third run adds nothing.
        let out = lindung_command(&t.location, &["bank", "import", "--bank", "CRASH"])
            .arg(&list)
            .output()
            .expect("import");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = lindung_command(&t.location, &["bank", "import", "--bank", "CRASH"])
            .arg(&list)
            .output()
            .expect("import");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("imported 0 new signals"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            banks::bank_signals(&t.store, bank.id)
                .await
                .expect("signals")
                .len(),
            ENTRIES
        );
    }
}
