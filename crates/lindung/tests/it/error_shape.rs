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

/// The people the checks call as, and the server.
struct Callers {
    name: &'static str,
    server: Server,
    analyst: String,
    worker: String,
    platform: String,
}

impl Callers {
    fn send(&self, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, String) {
        self.server.request(method, path, token, &[JSON], body)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_domain_answers_bad_input_in_one_shape() {
    for t in support::stores("error_shape").await {
        let c = Callers {
            name: t.name,
            analyst: user(
                &t.store,
                "analyst@hotline.example",
                Role::Analyst,
                Some("Hotline"),
            )
            .await,
            worker: user(
                &t.store,
                "worker@care.example",
                Role::CaseWorker,
                Some("Care"),
            )
            .await,
            platform: user(
                &t.store,
                "api@platform.example",
                Role::Platform,
                Some("Platform"),
            )
            .await,
            // The analyst's organisation is the hotline's, so its routes are open.
            server: Server::start_with_env(&t.location, &[("LINDUNG_HOTLINE_ORG", "Hotline")]),
        };
        bodies_that_are_not_json(&c);
        path_ids_that_do_not_parse(&c);
        query_parameters_that_do_not_parse(&c);
        unknown_fields_and_wrong_types(&c, &t).await;
        content_types_hma_and_unknown_routes(&c);
    }
}

/// A body that is not JSON: 400, on a route of each domain.
fn bodies_that_are_not_json(c: &Callers) {
    for (path, token) in [
        ("/api/v1/banks", Some(c.analyst.as_str())),
        ("/api/v1/cases", Some(c.worker.as_str())),
        ("/api/v1/selfreport", None),
        ("/api/v1/reports", Some(c.platform.as_str())),
    ] {
        assert_shape(
            &format!("{}: {path} with a broken body", c.name),
            c.send("POST", path, token, b"{not json"),
            400,
            "bad_json",
            None,
        );
    }
}

/// A path id that is not a number: 422 naming it; an unknown bank (named, not numbered) is a
/// JSON 404.
fn path_ids_that_do_not_parse(c: &Callers) {
    for (path, token) in [
        ("/api/v1/cases/abc", c.worker.as_str()),
        ("/api/v1/reports/abc", c.analyst.as_str()),
    ] {
        assert_shape(
            &format!("{}: {path}", c.name),
            c.server.request("GET", path, Some(token), &[], b""),
            422,
            "invalid",
            Some("id"),
        );
    }
    assert_shape(
        &format!("{}: an unknown bank", c.name),
        c.server
            .request("GET", "/api/v1/banks/NO_SUCH", Some(&c.analyst), &[], b""),
        404,
        "not_found",
        None,
    );
}

/// A query parameter that does not parse, or that the route does not know: 422 naming it.
fn query_parameters_that_do_not_parse(c: &Callers) {
    for (path, token, field) in [
        ("/api/v1/banks?per_page=many", &c.analyst, "per_page"),
        ("/api/v1/banks?colour=red", &c.analyst, "colour"),
        // Past the last page a database offset can hold: refused, not a dropped connection
        // (schemathesis found the overflow).
        ("/api/v1/banks?page=9223372036854775808", &c.analyst, "page"),
        ("/api/v1/banks?page=10000001", &c.analyst, "page"),
        (
            "/api/v1/hotline/queue?status=archived",
            &c.analyst,
            "status",
        ),
        (
            "/api/v1/hashes/selfreport?since=yesterday",
            &c.platform,
            "since",
        ),
    ] {
        assert_shape(
            &format!("{}: {path}", c.name),
            c.server.request("GET", path, Some(token), &[], b""),
            422,
            "invalid",
            Some(field),
        );
    }
}

/// A field the route does not know is refused, naming it, and nothing is created: the example
/// the issue gives, which used to make a case with no name and no risk level. A value of the
/// wrong kind names its path.
async fn unknown_fields_and_wrong_types(c: &Callers, t: &support::TestStore) {
    assert_shape(
        &format!("{}: a case with unknown fields", c.name),
        c.send(
            "POST",
            "/api/v1/cases",
            Some(&c.worker),
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
    assert_eq!(cases, 0, "{}: nothing was created", c.name);
    for (path, token, body, field) in [
        (
            "/api/v1/banks",
            Some(c.analyst.as_str()),
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
            Some(c.platform.as_str()),
            json!({"incident_type": "csam", "urls": ["https://example.org/a"], "colour": "red"}),
            "colour",
        ),
    ] {
        assert_shape(
            &format!("{}: {path} with an unknown field", c.name),
            c.send("POST", path, token, body.to_string().as_bytes()),
            422,
            "invalid",
            Some(field),
        );
    }
    assert_shape(
        &format!("{}: a wrong type", c.name),
        c.send(
            "POST",
            "/api/v1/cases",
            Some(&c.worker),
            json!({"name": "A Child", "age_estimate": "fourteen"})
                .to_string()
                .as_bytes(),
        ),
        422,
        "invalid",
        Some("age_estimate"),
    );
}

/// JSON sent as something else is a 415 (a form post from another site cannot reach the API);
/// HMA's routes answer a bad value with 400, as HMA does, in the same shape; and a route that
/// does not exist is a JSON 404.
fn content_types_hma_and_unknown_routes(c: &Callers) {
    assert_shape(
        &format!("{}: text/plain", c.name),
        c.server.request(
            "POST",
            "/api/v1/banks",
            Some(&c.analyst),
            &[("Content-Type", "text/plain")],
            br#"{"name": "PLAIN"}"#,
        ),
        415,
        "unsupported_media_type",
        None,
    );
    assert_shape(
        &format!("{}: HMA", c.name),
        c.server.request(
            "GET",
            "/m/lookup?signal_type=pdq&signal=zz",
            Some(&c.platform),
            &[],
            b"",
        ),
        400,
        "bad_request",
        Some("signal"),
    );
    assert_shape(
        &format!("{}: no such route", c.name),
        c.server
            .request("GET", "/api/v1/nothing-here", Some(&c.analyst), &[], b""),
        404,
        "not_found",
        None,
    );
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

/// An unknown address is a page in the visitor's language with a way back, for a browser;
/// the API's error shape for everyone else.
#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_page_says_so_in_the_visitors_language_with_a_way_back() {
    let t = &support::stores("unknown_page").await[0];
    let server = Server::start(&t.location);
    let (status, _, page) = server.raw(
        "GET",
        "/no-such-page",
        &[("Accept", "text/html"), ("Accept-Language", "th")],
        b"",
    );
    assert_eq!(status, 404);
    assert!(
        page.contains("ไม่พบสิ่งที่ต้องการ") && page.contains("href=\"/\" id=\"back-home\""),
        "{page}"
    );
    assert_shape(
        "an unknown API route",
        server.request(
            "GET",
            "/api/v1/no-such-route",
            None,
            &[("Accept", "text/html")],
            b"",
        ),
        404,
        "not_found",
        None,
    );
    server.terminate();
}
