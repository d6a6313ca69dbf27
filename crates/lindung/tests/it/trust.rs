//! Trust (issue "Trust"), over loopback on SQLite and PostgreSQL: rate limits count real clients
//! behind a trusted proxy and IPv6 clients per /64; a huge body to a public route is refused
//! before it is read; anonymous people leave no address behind; the first-admin link makes one
//! admin however many setups race it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use lindung::access::Role;
use lindung::access::entities::audit_entry;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::support::server::Server;
use crate::support::{self, TestStore, contains, everything_stored, user};

/// The self-report status lookups a client may make in ten minutes (the documented limit).
const LOOKUPS: usize = 30;

fn lookup(server: &Server, forwarded_for: &str) -> u16 {
    server
        .request(
            "POST",
            "/api/v1/selfreport/status",
            None,
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", forwarded_for),
            ],
            json!({"case_number": "SR-NOPE", "pin": "00000000"})
                .to_string()
                .as_bytes(),
        )
        .0
}

/// Uses up a client's lookups: every one answered (404, no such case), none refused.
fn use_up(server: &Server, forwarded_for: &str) {
    for i in 0..LOOKUPS {
        assert_eq!(
            lookup(server, forwarded_for),
            404,
            "lookup {i} from {forwarded_for}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_count_real_clients_behind_a_trusted_proxy() {
    let t = &support::stores("trust_proxy").await[0];
    // The test's connections come from 127.0.0.1: here, the trusted proxy.
    let server = Server::start_with_env(&t.location, &[("LINDUNG_TRUSTED_PROXY", "127.0.0.1/32")]);
    use_up(&server, "203.0.113.5");
    assert_eq!(lookup(&server, "203.0.113.5"), 429, "over its limit");
    assert_eq!(
        lookup(&server, "203.0.113.6"),
        404,
        "another client behind the same proxy is not refused"
    );
    // A client cannot pose as another by writing the header itself: the proxy appends the
    // address it saw, and that is the one counted.
    assert_eq!(lookup(&server, "198.51.100.1, 203.0.113.5"), 429);
    // IPv6 clients are counted per /64.
    use_up(&server, "2001:db8:1:2::1");
    assert_eq!(lookup(&server, "2001:db8:1:2:ffff::9"), 429, "same /64");
    assert_eq!(lookup(&server, "2001:db8:1:3::1"), 404, "another /64");
    server.terminate();

    // Without a trusted proxy the header is anyone's to write, and is ignored: every lookup
    // here is the loopback client's.
    let server = Server::start(&t.location);
    for i in 0..LOOKUPS {
        assert_eq!(lookup(&server, &format!("203.0.113.{i}")), 404);
    }
    assert_eq!(lookup(&server, "203.0.113.200"), 429);
    server.terminate();
}

/// The resident memory of a process, in bytes.
fn resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib * 1024
}

/// Sends a head declaring a body of `length` bytes, then as much of the body as the server
/// takes; returns the status line and how many body bytes were written.
fn send_declared(server: &Server, path: &str, length: usize) -> (String, usize) {
    let (status, sent, _) =
        send_declared_with(server, path, length, "Content-Type: application/json\r\n");
    (status, sent)
}

/// As [`send_declared`], with `headers` (whole lines); also returns the whole answer.
fn send_declared_with(
    server: &Server,
    path: &str,
    length: usize,
    headers: &str,
) -> (String, usize, String) {
    let host = server.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Content-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("head");
    let mut writer = stream.try_clone().expect("clone");
    let sender = std::thread::spawn(move || {
        let chunk = vec![b' '; 1 << 20];
        let mut sent = 0;
        while sent < length {
            match writer.write(&chunk[..chunk.len().min(length - sent)]) {
                Ok(0) | Err(_) => break,
                Ok(n) => sent += n,
            }
        }
        sent
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let sent = sender.join().expect("sender");
    let text = String::from_utf8_lossy(&answer).into_owned();
    (text.lines().next().unwrap_or("").to_owned(), sent, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_body_to_a_public_route_is_refused_before_it_is_read() {
    let t = &support::stores("trust_body").await[0];
    let server = Server::start(&t.location);
    // Warm the server up so its memory is at rest.
    for _ in 0..3 {
        lookup(&server, "");
    }
    let before = resident_bytes(server.pid());
    let started = Instant::now();
    let length = 70_000_000;
    for path in ["/api/v1/selfreport", "/api/v1/selfreport/status"] {
        let (status, sent) = send_declared(&server, path, length);
        assert!(status.contains(" 413 "), "{path}: {status}");
        assert!(sent < length, "{path}: the server read all {sent} bytes");
        // Public routes take a few tens of kilobytes, not megabytes.
        let (status, _) = send_declared(&server, path, 100_000);
        assert!(status.contains(" 413 "), "{path}: 100 kB: {status}");
    }
    let after = resident_bytes(server.pid());
    assert!(
        after < before + 16 * 1024 * 1024,
        "memory stays flat: {before} -> {after} bytes"
    );
    // An upload too big for a page's form: a page in the browser's language that names the
    // limit, not a parser's message.
    let (status, _, answer) = send_declared_with(
        &server,
        "/banks/ANY/upload",
        80 * 1024 * 1024,
        "Content-Type: multipart/form-data; boundary=x\r\nAccept: text/html\r\nAccept-Language: th\r\n",
    );
    assert!(status.contains(" 413 "), "{status}");
    assert!(
        answer.contains("ไฟล์หรือคำขอมีขนาดใหญ่เกินไป") && answer.contains("70 MB"),
        "{answer}"
    );
    // Refused at once: this only guards against a server that waits for the whole body.
    assert!(started.elapsed() < Duration::from_secs(30));
    server.terminate();
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_people_leave_no_address_behind() {
    for t in support::stores("trust_no_address").await {
        user(
            &t.store,
            "analyst@hotline.example",
            Role::Analyst,
            Some("Hotline"),
        )
        .await;
        let server = Server::start_with_env(
            &t.location,
            &[
                ("LINDUNG_TRUSTED_PROXY", "127.0.0.1/32"),
                ("LINDUNG_HOTLINE_ORG", "Hotline"),
            ],
        );
        let client = "198.51.100.77";
        let forwarded = [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Forwarded-For", client),
        ];
        let (status, page) = server.request(
            "POST",
            "/report",
            None,
            &forwarded,
            b"urls=https%3A%2F%2Fexample.org%2Fseen&kind=csam&description=seen+in+a+group",
        );
        assert_eq!(status, 201, "{}: {page}", t.name);
        let (status, receipt) = server.request(
            "POST",
            "/api/v1/selfreport",
            None,
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", client),
            ],
            json!({"files": [{"pdq": "f".repeat(64), "quality": 90}], "age_range": "13_15",
                   "consent": true})
            .to_string()
            .as_bytes(),
        );
        assert_eq!(status, 201, "{}: {receipt}", t.name);
        server.terminate();
        let stored = everything_stored(&t).await;
        assert!(!stored.is_empty());
        let binary: std::net::Ipv4Addr = client.parse().expect("address");
        // Neither the forwarded client's address nor the connection's (the proxy's, 127.0.0.1),
        // as text, as bytes, or as hex (how PostgreSQL prints bytes).
        for needle in [
            client.as_bytes().to_vec(),
            binary.octets().to_vec(),
            binary.to_ipv6_mapped().octets().to_vec(),
            support::hex(&binary.octets()).into_bytes(),
            b"127.0.0.1".to_vec(),
        ] {
            assert!(
                !contains(&stored, &needle),
                "{}: the client's address is stored ({needle:?})",
                t.name
            );
        }
        // The audit log says a member of the public acted, and nothing of where from.
        let audit = audit_entry::Entity::find()
            .filter(audit_entry::Column::Actor.eq("anonymous"))
            .all(t.store.db())
            .await
            .expect("audit");
        assert!(
            audit.len() >= 2,
            "{}: the submissions are audited: {audit:?}",
            t.name
        );
        for entry in &audit {
            let source = entry.source.as_deref().unwrap_or("");
            assert!(
                source.parse::<std::net::IpAddr>().is_err()
                    && !source.contains(client)
                    && !source.contains("127.0.0.1")
                    && !entry.details.contains(client),
                "{}: an address in {entry:?}",
                t.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_admin_link_makes_one_admin_however_many_setups_race_it() {
    for t in support::stores("trust_setup_race").await {
        let server = Server::start_capturing(&t.location);
        let links: Vec<&String> = server
            .first_lines
            .iter()
            .filter(|l| l.contains("/setup?token="))
            .collect();
        assert_eq!(links.len(), 1, "printed once: {:?}", server.first_lines);
        let token = links[0]
            .split_once("/setup?token=")
            .map(|(_, s)| s.trim().to_owned())
            .expect("token");
        let (status, head, body) = server.raw("GET", &format!("/setup?token={token}"), &[], b"");
        assert_eq!(status, 200);
        let form_cookie = head
            .lines()
            .filter_map(|l| l.split_once(": ").map(|(_, v)| v))
            .find_map(|c| c.strip_prefix("lindung_form="))
            .and_then(|c| c.split(';').next())
            .expect("form cookie")
            .to_owned();
        let marker = "name=\"csrf\" value=\"";
        let csrf = body
            .split_once(marker)
            .and_then(|(_, rest)| rest.split('"').next())
            .expect("csrf")
            .to_owned();
        let server = std::sync::Arc::new(server);
        let setups: Vec<_> = (0..6)
            .map(|i| {
                let (server, token, csrf, cookie) = (
                    server.clone(),
                    token.clone(),
                    csrf.clone(),
                    format!("lindung_form={form_cookie}"),
                );
                std::thread::spawn(move || {
                    let form = format!(
                        "csrf={csrf}&token={token}&email=admin{i}%40example.org&password=a+long+enough+passphrase"
                    );
                    server
                        .raw(
                            "POST",
                            "/setup",
                            &[
                                ("Content-Type", "application/x-www-form-urlencoded"),
                                ("Cookie", &cookie),
                            ],
                            form.as_bytes(),
                        )
                        .0
                })
            })
            .collect();
        let answers: Vec<u16> = setups
            .into_iter()
            .map(|h| h.join().expect("setup"))
            .collect();
        assert_eq!(
            answers.iter().filter(|s| **s == 303).count(),
            1,
            "{}: one setup succeeds: {answers:?}",
            t.name
        );
        assert_eq!(
            lindung::access::user_count(&t.store).await.expect("count"),
            1,
            "{}: one admin",
            t.name
        );
        if let Ok(server) = std::sync::Arc::try_unwrap(server) {
            server.terminate();
        }
    }
}

/// The audit entries of `action`.
async fn audited(t: &TestStore, action: &str) -> Vec<audit_entry::Model> {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq(action))
        .all(t.store.db())
        .await
        .expect("audit")
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_of_sensitive_data_are_audited() {
    for t in support::stores("trust_reads").await {
        let analyst = user(
            &t.store,
            "analyst@hotline.example",
            Role::Analyst,
            Some("Hotline"),
        )
        .await;
        let platform = user(
            &t.store,
            "api@platform.example",
            Role::Platform,
            Some("Platform"),
        )
        .await;
        let server = Server::start_with_env(&t.location, &[("LINDUNG_HOTLINE_ORG", "Hotline")]);
        let reads = [
            (
                "/api/v1/hotline/queue",
                analyst.as_str(),
                "hotline.queue.read",
            ),
            (
                "/api/v1/hashes/selfreport",
                platform.as_str(),
                "selfreport.feed.read",
            ),
        ];
        for (path, token, action) in reads {
            assert!(audited(&t, action).await.is_empty(), "{}: {action}", t.name);
            let (status, body) = server.get(path, Some(token));
            assert_eq!(status, 200, "{}: {path}: {body}", t.name);
            let entries = audited(&t, action).await;
            assert_eq!(entries.len(), 1, "{}: {action}", t.name);
            assert!(
                entries[0].actor.starts_with("user:"),
                "{}: who read: {:?}",
                t.name,
                entries[0]
            );
        }
        let (status, _) = server.json(
            "POST",
            "/api/v1/banks",
            Some(&analyst),
            &json!({"name": "READS"}),
        );
        assert_eq!(status, 201);
        let (status, _) = server.get("/api/v1/banks/READS/content", Some(&analyst));
        assert_eq!(status, 200);
        assert_eq!(
            audited(&t, "bank.content.read").await.len(),
            1,
            "{}",
            t.name
        );
        server.terminate();
    }
}

/// Starts `lindung serve` on `data_dir` with `env`, waits for its address (or its exit), stops
/// it, and returns whether it started and what it wrote to standard error.
fn serve_briefly(data_dir: &std::path::Path, env: &[(&str, &str)]) -> (bool, String) {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_lindung"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("LINDUNG_DATABASE_URL")
        .env_remove("LINDUNG_FIELD_KEY")
        .env_remove("LINDUNG_FIELD_KEY_FILE")
        .env("LINDUNG_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lindung serve");
    let mut first = String::new();
    let stdout = child.stdout.take().expect("stdout");
    std::io::BufReader::new(stdout)
        .read_line(&mut first)
        .expect("read");
    let started = first.starts_with("lindung listening on ");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut errors = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut errors);
    }
    let _ = child.wait();
    (started, errors)
}

#[test]
fn the_field_key_is_kept_apart_from_the_data_and_from_other_users() {
    let data = tempfile::tempdir().expect("dir");
    // The default place, inside the data directory, works but is warned about.
    let (started, errors) = serve_briefly(data.path(), &[]);
    assert!(started, "{errors}");
    assert!(
        errors.contains("is inside the data directory")
            && errors.contains("LINDUNG_FIELD_KEY_FILE"),
        "{errors}"
    );
    // Elsewhere: no warning.
    let keys = tempfile::tempdir().expect("dir");
    let key_file = keys.path().join("lindung-field.key");
    let elsewhere = [("LINDUNG_FIELD_KEY_FILE", key_file.to_str().expect("path"))];
    let other_data = tempfile::tempdir().expect("dir");
    let (started, errors) = serve_briefly(other_data.path(), &elsewhere);
    assert!(started, "{errors}");
    assert!(!errors.contains("inside the data directory"), "{errors}");
    assert!(key_file.exists(), "the key was made where it was told");
    // A key file others can read is refused, naming the fix.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let (started, errors) = serve_briefly(other_data.path(), &elsewhere);
        assert!(!started, "a readable key must stop the server: {errors}");
        assert!(errors.contains("chmod 600"), "{errors}");
    }
}

/// The values of `column` in `table`, as stored.
async fn stored_values(t: &TestStore, table: &str, column: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = t.store.db();
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        format!("SELECT {column} AS v FROM {table} WHERE {column} IS NOT NULL"),
    ))
    .await
    .expect("query")
    .into_iter()
    .map(|row| row.try_get::<String>("", "v").expect("value"))
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_key_seals_new_values_and_re_encrypts_the_old_in_the_background() {
    for t in support::stores("trust_rotate").await {
        let worker = user(
            &t.store,
            "worker@care.example",
            Role::CaseWorker,
            Some("Care"),
        )
        .await;
        let server = Server::start(&t.location);
        let (status, created) = server.json(
            "POST",
            "/api/v1/cases",
            Some(&worker),
            &json!({"name": "Before Rotation", "location": "Vientiane"}),
        );
        assert_eq!(status, 201, "{created}");
        let before = format!("/api/v1/cases/{}", created["id"].as_str().expect("id"));
        let (status, _) = server.json(
            "POST",
            "/api/v1/selfreport",
            None,
            &json!({"files": [{"pdq": "f".repeat(64), "quality": 90}], "help": true,
                    "consent": true, "contact": "line: @rotate-me"}),
        );
        assert_eq!(status, 201);
        server.terminate();
        let sealed_by = |values: &[String], id: &str| {
            !values.is_empty() && values.iter().all(|v| v.starts_with(&format!("{id}:")))
        };
        assert!(sealed_by(
            &stored_values(&t, "care_cases", "identity").await,
            "k1"
        ));

        // `keys rotate` takes no database: it only edits the key file.
        let (code, out, err) = support::lindung(&[
            "keys",
            "rotate",
            "--data-dir",
            t.location.data_dir.to_str().expect("path"),
        ]);
        let ok = code == 0;
        assert!(ok && out.contains("k2"), "{}: {out} {err}", t.name);
        let key_file = t.location.data_dir.join("field.key");
        let ring = std::fs::read_to_string(&key_file).expect("key file");
        assert!(
            ring.contains("k1:") && ring.contains("k2:"),
            "both keys are kept"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_file)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{}", t.name);
        }

        // Started again: new values use k2, the old ones are sealed again in the background,
        // and everything reads throughout.
        let server = Server::start(&t.location);
        let (status, seen) = server.get(&before, Some(&worker));
        assert_eq!(status, 200, "{seen}");
        assert_eq!(seen["identity"]["name"], "Before Rotation");
        let (_, created) = server.json(
            "POST",
            "/api/v1/cases",
            Some(&worker),
            &json!({"name": "After"}),
        );
        assert!(created["id"].is_string(), "{created}");
        let mut waited = 0;
        loop {
            let identities = stored_values(&t, "care_cases", "identity").await;
            let contacts = stored_values(&t, "selfreport_cases", "contact").await;
            if sealed_by(&identities, "k2") && sealed_by(&contacts, "k2") && !contacts.is_empty() {
                break;
            }
            waited += 1;
            assert!(waited < 200, "{}: not re-encrypted: {identities:?}", t.name);
            std::thread::sleep(Duration::from_millis(50));
        }
        let (status, seen) = server.get(&before, Some(&worker));
        assert_eq!(status, 200, "{seen}");
        assert_eq!(seen["identity"]["location"], "Vientiane", "{}", t.name);
        server.terminate();
        // Re-encrypted, not relabelled: the new key alone opens every stored identity.
        let ring = lindung::store::keys::load_field_keys(&key_file).expect("keys");
        let newest = lindung::store::fields::FieldCipher::from_keys(&[(
            "k2".to_owned(),
            ring.iter()
                .find(|(id, _)| id == "k2")
                .expect("k2")
                .1
                .to_vec(),
        )])
        .expect("cipher");
        let rows = {
            use sea_orm::{ConnectionTrait, Statement};
            let db = t.store.db();
            db.query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT reference, identity FROM care_cases",
            ))
            .await
            .expect("query")
        };
        assert!(!rows.is_empty());
        for row in rows {
            let reference: String = row.try_get("", "reference").expect("reference");
            let identity: String = row.try_get("", "identity").expect("identity");
            assert!(
                newest
                    .open(&format!("care_cases.identity:{reference}"), &identity)
                    .is_ok(),
                "{}: {reference} opens with the new key alone",
                t.name
            );
        }
    }
}
