//! A hotline set up as a new operator would: users created in their own organisation, none
//! named as hotline.json says. The server says so at start in one line naming a flag that
//! exists, `/status` answers, the hotline's routes answer 503 `hotline_not_configured` (never a
//! 500), and both ways out work: creating the organisation, or naming another with
//! `--hotline-org` / `LINDUNG_HOTLINE_ORG`.

use std::io::Write;
use std::process::Stdio;

use lindung::access::Role;
use serde_json::json;

use crate::support::server::Server;
use crate::support::{self, lindung, lindung_command, user};

fn report() -> serde_json::Value {
    json!({"incident_type": "csam", "urls": ["https://example.org/reported"]})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hotline_without_its_organisation_says_how_to_fix_it_and_answers_503() {
    for t in support::stores("hotline_setup").await {
        let platform = user(
            &t.store,
            "api@platform.example",
            Role::Platform,
            Some("OrgA"),
        )
        .await;
        user(
            &t.store,
            "analyst@orga.example",
            Role::Analyst,
            Some("OrgA"),
        )
        .await;
        let server = Server::start(&t.location);
        let told: Vec<&String> = server
            .first_lines
            .iter()
            .filter(|l| l.contains("hotline organisation"))
            .collect();
        assert_eq!(
            told.len(),
            1,
            "{}: one line: {:?}",
            t.name,
            server.first_lines
        );
        assert!(
            told[0].contains("--hotline-org") && told[0].contains("lindung user add --org"),
            "{}",
            told[0]
        );
        assert_eq!(server.get("/status", None).0, 200, "{}", t.name);
        let (status, answer) = server.json("POST", "/api/v1/reports", Some(&platform), &report());
        assert_eq!(status, 503, "{}: {answer}", t.name);
        assert_eq!(
            answer["error"]["code"], "hotline_not_configured",
            "{answer}"
        );
        // Callers learn that the hotline is closed, not how it is set up: that was told to
        // the operator at start.
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.contains("default") && !m.contains("lindung ")),
            "{answer}"
        );
        let (status, page) = server.request("GET", "/report", None, &[], b"");
        assert_eq!(status, 503, "{}: the public form too: {page}", t.name);
        assert!(page.contains("<html"), "an HTML page: {page}");
        assert!(!page.contains("lindung user add"), "{page}");

        // The commands the message names exist, with those flags.
        let (code, help, _) = lindung(&["serve", "--help"]);
        assert_eq!(code, 0);
        assert!(help.contains("--hotline-org"), "{help}");
        assert!(help.contains("LINDUNG_HOTLINE_ORG"), "{help}");
        let (code, help, _) = lindung(&["user", "add", "--help"]);
        assert_eq!(code, 0);
        assert!(
            help.contains("--org") && help.contains("--password-stdin"),
            "{help}"
        );

        // Way out one: create the organisation, as the message says; no restart needed.
        let mut add = lindung_command(
            &t.location,
            &[
                "user",
                "add",
                "--org",
                "default",
                "--email",
                "analyst@hotline.example",
                "--role",
                "analyst",
                "--password-stdin",
            ],
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("user add");
        add.stdin
            .take()
            .expect("stdin")
            .write_all(b"a long enough passphrase\n")
            .expect("write");
        let out = add.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (status, answer) = server.json("POST", "/api/v1/reports", Some(&platform), &report());
        assert_eq!(status, 201, "{}: {answer}", t.name);
        server.terminate();

        // Way out two: name an existing organisation at start.
        let server = Server::start_with_env(&t.location, &[("LINDUNG_HOTLINE_ORG", "OrgA")]);
        assert!(
            !server
                .first_lines
                .iter()
                .any(|l| l.contains("hotline organisation")),
            "{:?}",
            server.first_lines
        );
        let (status, answer) = server.json("POST", "/api/v1/reports", Some(&platform), &report());
        assert_eq!(status, 201, "{}: {answer}", t.name);
        let analyst = user(&t.store, "second@orga.example", Role::Analyst, Some("OrgA")).await;
        let (status, queue) = server.get("/api/v1/hotline/queue", Some(&analyst));
        assert_eq!(status, 200, "{queue}");
        assert_eq!(
            queue.as_array().map(Vec::len),
            Some(1),
            "{}: OrgA's analysts handle the report: {queue}",
            t.name
        );
    }
}

/// Every message in the code that tells someone to run a `lindung` command names a command that
/// exists, with flags it takes: each is checked against the program's own `--help`.
#[test]
fn every_command_a_message_names_exists_with_its_flags() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![src];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut checked = 0;
    for file in files {
        let source = std::fs::read_to_string(&file).expect("read");
        for line in source.lines() {
            let code = line.trim_start();
            if code.starts_with("//") || !code.contains('"') {
                continue;
            }
            for (at, _) in line.match_indices("lindung ") {
                let words: Vec<&str> = line[at + "lindung ".len()..]
                    .split_whitespace()
                    .map(|w| w.trim_end_matches(['`', '"', ',', ')', '.', ';']))
                    .collect();
                let command: Vec<&str> = words
                    .iter()
                    .take_while(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()))
                    .copied()
                    .collect();
                if command.is_empty() || command == ["listening", "on"] {
                    continue;
                }
                let flags: Vec<&str> = words
                    .iter()
                    .filter(|w| w.starts_with("--"))
                    .map(|w| w.split('=').next().unwrap_or(w))
                    .collect();
                let mut args = command.clone();
                args.push("--help");
                let (code, help, err) = lindung(&args);
                assert_eq!(
                    code,
                    0,
                    "{}: `lindung {}` is not a command: {err}",
                    file.display(),
                    command.join(" ")
                );
                for flag in &flags {
                    assert!(
                        help.contains(flag),
                        "{}: `lindung {}` has no {flag}",
                        file.display(),
                        command.join(" ")
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 2, "the scan found the messages: {checked}");
}
