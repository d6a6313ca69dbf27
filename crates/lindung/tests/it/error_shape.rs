//! One error shape on every domain's API (docs/api.md): `{"error": {"code", "message",
//! "field"?}}`, 400 for a body that cannot be read, 422 naming the field for a value that is not
//! valid (a bad path id, a bad query parameter, an unknown field), 415 for the wrong content
//! type; and a value stored outside its closed vocabulary is an error, never a default.

use lindung::access::Role;
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::{Value, json};

use crate::support::server::Server;
use crate::support::{self, user};

/// The body is the one error shape, with this status, code and (if any) field.
fn assert_shape(what: &str, got: (u16, String), status: u16, code: &str, field: Option<&str>) {
    let (got_status, text) = got;
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {got_status} {text:?}"));
    assert_eq!(got_status, status, "{what}: {body}");
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: {body}"));
    assert_eq!(error["code"], code, "{what}: {body}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: a message: {body}"
    );
    assert_eq!(
        error.get("field").and_then(Value::as_str),
        field,
        "{what}: {body}"
    );
    let extra: Vec<&String> = error
        .keys()
        .filter(|k| !["code", "message", "field"].contains(&k.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "{what}: only code, message, field: {body}"
    );
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

#[tokio::test(flavor = "multi_thread")]
async fn every_domain_answers_bad_input_in_one_shape() {
    for t in support::stores("error_shape").await {
        let analyst = user(
            &t.store,
            "analyst@hotline.example",
            Role::Analyst,
            Some("Hotline"),
        )
        .await;
        let worker = user(
            &t.store,
            "worker@care.example",
            Role::CaseWorker,
            Some("Care"),
        )
        .await;
        let platform = user(
            &t.store,
            "api@platform.example",
            Role::Platform,
            Some("Platform"),
        )
        .await;
        let server = Server::start(&t.location);
        let send = |method: &str, path: &str, token: Option<&str>, body: &[u8]| {
            server.request(method, path, token, &[JSON], body)
        };
        let name = &t.name;

        // A body that is not JSON: 400, on a route of each domain.
        for (path, token) in [
            ("/api/v1/banks", Some(analyst.as_str())),
            ("/api/v1/cases", Some(worker.as_str())),
            ("/api/v1/selfreport", None),
            ("/api/v1/reports", Some(platform.as_str())),
        ] {
            assert_shape(
                &format!("{name}: {path} with a broken body"),
                send("POST", path, token, b"{not json"),
                400,
                "bad_json",
                None,
            );
        }

        // A path id that is not a number: 422 naming it.
        for (path, token) in [
            ("/api/v1/cases/abc", worker.as_str()),
            ("/api/v1/reports/abc", analyst.as_str()),
        ] {
            assert_shape(
                &format!("{name}: {path}"),
                server.request("GET", path, Some(token), &[], b""),
                422,
                "invalid",
                Some("id"),
            );
        }
        // A bank is named, not numbered: an unknown one is a JSON 404.
        assert_shape(
            &format!("{name}: an unknown bank"),
            server.request("GET", "/api/v1/banks/NO_SUCH", Some(&analyst), &[], b""),
            404,
            "not_found",
            None,
        );

        // A query parameter that does not parse, or that the route does not know: 422 naming it.
        for (path, token, field) in [
            (
                "/api/v1/banks?per_page=many",
                Some(analyst.as_str()),
                "per_page",
            ),
            ("/api/v1/banks?colour=red", Some(analyst.as_str()), "colour"),
            (
                "/api/v1/hotline/queue?status=archived",
                Some(analyst.as_str()),
                "status",
            ),
            (
                "/api/v1/hashes/selfreport?since=yesterday",
                Some(platform.as_str()),
                "since",
            ),
        ] {
            assert_shape(
                &format!("{name}: {path}"),
                server.request("GET", path, token, &[], b""),
                422,
                "invalid",
                Some(field),
            );
        }

        // A field the route does not know is refused, naming it, and nothing is created: the
        // example the issue gives, which used to make a case with no name and no risk level.
        assert_shape(
            &format!("{name}: a case with unknown fields"),
            send(
                "POST",
                "/api/v1/cases",
                Some(&worker),
                json!({"child": {"name": "A Child"}, "risk": "high"})
                    .to_string()
                    .as_bytes(),
            ),
            422,
            "invalid",
            Some("child"),
        );
        let cases = t
            .store
            .db()
            .query_one_raw(Statement::from_string(
                t.store.backend(),
                "SELECT COUNT(*) AS n FROM care_cases",
            ))
            .await
            .expect("count")
            .expect("row")
            .try_get::<i64>("", "n")
            .expect("n");
        assert_eq!(cases, 0, "{name}: nothing was created");
        for (path, token, body, field) in [
            (
                "/api/v1/banks",
                Some(analyst.as_str()),
                json!({"name": "B", "colour": 1}),
                "colour",
            ),
            (
                "/api/v1/selfreport",
                None,
                json!({"files": [{"md5": "00112233445566778899aabbccddeeff", "size": 3}]}),
                "files[0].size",
            ),
            (
                "/api/v1/reports",
                Some(platform.as_str()),
                json!({"incident_type": "csam", "urls": ["https://example.org/a"], "colour": "red"}),
                "colour",
            ),
        ] {
            assert_shape(
                &format!("{name}: {path} with an unknown field"),
                send("POST", path, token, body.to_string().as_bytes()),
                422,
                "invalid",
                Some(field),
            );
        }
        // A value of the wrong kind names its path.
        assert_shape(
            &format!("{name}: a wrong type"),
            send(
                "POST",
                "/api/v1/cases",
                Some(&worker),
                json!({"name": "A Child", "age_estimate": "fourteen"})
                    .to_string()
                    .as_bytes(),
            ),
            422,
            "invalid",
            Some("age_estimate"),
        );

        // JSON sent as something else: 415 (a form post from another site cannot reach the API).
        assert_shape(
            &format!("{name}: text/plain"),
            server.request(
                "POST",
                "/api/v1/banks",
                Some(&analyst),
                &[("Content-Type", "text/plain")],
                br#"{"name": "PLAIN"}"#,
            ),
            415,
            "unsupported_media_type",
            None,
        );
        // HMA's routes answer a bad value with 400, as HMA does, in the same shape.
        assert_shape(
            &format!("{name}: HMA"),
            server.request(
                "GET",
                "/m/lookup?signal_type=pdq&signal=zz",
                Some(&platform),
                &[],
                b"",
            ),
            400,
            "bad_request",
            Some("signal"),
        );
        // And a route that does not exist.
        assert_shape(
            &format!("{name}: no such route"),
            server.request("GET", "/api/v1/nothing-here", Some(&analyst), &[], b""),
            404,
            "not_found",
            None,
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_value_outside_its_vocabulary_is_an_error_naming_it() {
    use lindung::care::entities::case;
    for t in support::stores("vocabulary_read").await {
        let db = t.store.db();
        let backend = t.store.backend();
        for sql in [
            "INSERT INTO organisations (name, created_at) VALUES ('Care', '2026-01-01T00:00:00Z')",
            "INSERT INTO care_cases (organisation_id, reference, identity, risk_level, stage, \
             source, created_at) VALUES (1, 'C-0000000001', 'x', 'low', 'limbo', 'direct', \
             '2026-01-01T00:00:00Z')",
        ] {
            db.execute_raw(Statement::from_string(backend, sql))
                .await
                .unwrap_or_else(|e| panic!("{}: {sql}: {e}", t.name));
        }
        let read = case::Entity::find().all(db).await;
        let error = read
            .expect_err("a stage outside the vocabulary does not read")
            .to_string();
        assert!(
            error.contains("limbo") && error.contains("CareStage"),
            "{}: the error names the value and its vocabulary: {error}",
            t.name
        );
    }
}

/// The value of header `name` in a response head, if present.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_the_security_headers() {
    let Some(t) = support::stores("security_headers").await.into_iter().next() else {
        return;
    };
    let server = Server::start(&t.location);
    for path in [
        "/status",
        "/login",
        "/report",
        "/banks",
        "/api/v1/banks",
        "/api/v1/openapi.json",
        "/nothing-here",
    ] {
        let (status, head, _) = server.raw("GET", path, &[], b"");
        for (name, expected) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
            ("cache-control", "no-store"),
            ("cross-origin-opener-policy", "same-origin"),
        ] {
            assert_eq!(
                header(&head, name),
                Some(expected),
                "{path} ({status}): {head}"
            );
        }
        let csp = header(&head, "content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
            "{path}: {csp}"
        );
    }
    // A page that sets its own policy keeps it: self-report runs its script and WebAssembly.
    let (_, head, _) = server.raw("GET", "/self-report", &[], b"");
    let csp = header(&head, "content-security-policy").unwrap_or_default();
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
}
