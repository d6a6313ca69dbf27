//! Each public limiter refuses the address over its limit, and it is that limiter which refuses:
//! the answer is its own (429 with its words), the same request from another address behind the
//! same trusted proxy goes through, and nothing else (an account's lockout, a PIN's lockout) was
//! touched on the way. Limits are the documented ones (docs/operations.md): logins 10 a minute,
//! public reports 20 an hour, self-reports 10 an hour, PIN lookups 30 in ten minutes shared by
//! the hotline's status page and self-report.

use lindung::access::Role;
use lindung::access::entities::user;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::accounts::{PASSWORD, cookie, hidden};
use crate::support::server::Server;
use crate::support::{self, urlencode};

const PROXY: (&str, &str) = ("LINDUNG_TRUSTED_PROXY", "127.0.0.1/32");

/// Logs in from `client` (behind the trusted proxy): the status and the page.
fn login_from(server: &Server, client: &str, email: &str, password: &str) -> (u16, String) {
    let (status, head, form) = server.raw("GET", "/login", &[("X-Forwarded-For", client)], b"");
    assert_eq!(status, 200, "{form}");
    let form_cookie = format!(
        "lindung_form={}",
        cookie(&head, "lindung_form").expect("cookie")
    );
    let body = format!(
        "csrf={}&email={}&password={}",
        hidden(&form, "csrf"),
        urlencode(email),
        urlencode(password)
    );
    let (status, _, page) = server.raw(
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &form_cookie),
            ("X-Forwarded-For", client),
        ],
        body.as_bytes(),
    );
    (status, page)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_login_limiter_refuses_the_address_not_the_account() {
    let t = &support::stores("rate_login").await[0];
    support::user(
        &t.store,
        "analyst@limits.example",
        Role::Analyst,
        Some("org-a"),
    )
    .await;
    let server = Server::start_with_env(&t.location, &[PROXY]);
    // Ten tries with ten unknown emails: no account is involved, so no lockout can be.
    for i in 0..10 {
        let (status, page) = login_from(
            &server,
            "203.0.113.10",
            &format!("nobody{i}@limits.example"),
            "wrong passphrase here",
        );
        assert_eq!(status, 401, "try {i} is answered as a wrong login: {page}");
    }
    // The eleventh, with the right password of a real account, is refused by the limiter.
    let (status, page) = login_from(&server, "203.0.113.10", "analyst@limits.example", PASSWORD);
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("Too many login attempts"), "{page}");
    // The same login from another address succeeds: it was the address that was refused.
    let (status, page) = login_from(&server, "203.0.113.11", "analyst@limits.example", PASSWORD);
    assert_eq!(status, 303, "{page}");
    let account = user::Entity::find()
        .filter(user::Column::Email.eq("analyst@limits.example"))
        .one(t.store.db())
        .await
        .expect("query")
        .expect("user");
    assert_eq!(
        account.failed_logins, 0,
        "the account never counted a failure"
    );
    assert!(account.locked_until.is_none());
    server.terminate();
}

fn report_from(server: &Server, client: &str, i: usize) -> (u16, String) {
    let (status, _, page) = server.raw(
        "POST",
        "/report",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Forwarded-For", client),
        ],
        format!("urls=https%3A%2F%2Fexample.org%2Fseen{i}&kind=csam&lang=en").as_bytes(),
    );
    (status, page)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_report_limiter_refuses_the_twenty_first_report_of_an_hour() {
    let t = &support::stores("rate_report").await[0];
    support::user(
        &t.store,
        "analyst@limits.example",
        Role::Analyst,
        Some("Hotline"),
    )
    .await;
    let server = Server::start_with_env(&t.location, &[PROXY, ("LINDUNG_HOTLINE_ORG", "Hotline")]);
    for i in 0..20 {
        let (status, page) = report_from(&server, "198.51.100.20", i);
        assert_eq!(status, 201, "report {i}: {page}");
    }
    let (status, page) = report_from(&server, "198.51.100.20", 20);
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("Too many reports"), "{page}");
    // What the refused reporter typed is still on the form.
    assert!(page.contains("https://example.org/seen20"), "{page}");
    let (status, page) = report_from(&server, "198.51.100.21", 21);
    assert_eq!(status, 201, "another address reports: {page}");
    server.terminate();
}

fn self_report_from(server: &Server, client: &str, i: usize) -> (u16, String) {
    // A synthetic PDQ hash per submission, so no two are the same report.
    let pdq = format!("{i:064x}");
    let body = json!({"files": [{"pdq": pdq, "quality": 90}], "consent": true});
    let (status, _, answer) = server.raw(
        "POST",
        "/api/v1/selfreport",
        &[
            ("Content-Type", "application/json"),
            ("X-Forwarded-For", client),
        ],
        body.to_string().as_bytes(),
    );
    (status, answer)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_self_report_limiter_refuses_the_eleventh_submission_of_an_hour() {
    let t = &support::stores("rate_selfreport").await[0];
    let server = Server::start_with_env(&t.location, &[PROXY]);
    for i in 1..=10 {
        let (status, answer) = self_report_from(&server, "192.0.2.30", i);
        assert_eq!(status, 201, "submission {i}: {answer}");
    }
    let (status, answer) = self_report_from(&server, "192.0.2.30", 11);
    assert_eq!(status, 429, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("json");
    assert_eq!(answer["error"]["code"], "rate_limited", "{answer}");
    let (status, answer) = self_report_from(&server, "192.0.2.31", 12);
    assert_eq!(status, 201, "another address submits: {answer}");
    server.terminate();
}

fn hotline_status_from(server: &Server, client: &str, i: usize) -> (u16, String) {
    let (status, _, page) = server.raw(
        "POST",
        "/report/status",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Forwarded-For", client),
        ],
        // A different unknown reference each time: no reference's own lockout can refuse.
        format!("reference=HL-NOPE{i:04}&pin=00000000&lang=en").as_bytes(),
    );
    (status, page)
}

fn self_report_status_from(server: &Server, client: &str, i: usize) -> u16 {
    server
        .request(
            "POST",
            "/api/v1/selfreport/status",
            None,
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", client),
            ],
            json!({"case_number": format!("SR-NOPE{i:04}"), "pin": "00000000"})
                .to_string()
                .as_bytes(),
        )
        .0
}

#[tokio::test(flavor = "multi_thread")]
async fn pin_lookups_share_one_limit_across_the_hotline_and_self_report() {
    let t = &support::stores("rate_pins").await[0];
    support::user(
        &t.store,
        "analyst@limits.example",
        Role::Analyst,
        Some("Hotline"),
    )
    .await;
    let server = Server::start_with_env(&t.location, &[PROXY, ("LINDUNG_HOTLINE_ORG", "Hotline")]);
    let client = "203.0.113.40";
    // Thirty lookups on the hotline's status page, each answered as an unknown reference.
    for i in 0..30 {
        let (status, page) = hotline_status_from(&server, client, i);
        assert_eq!(status, 404, "hotline lookup {i}: {page}");
    }
    // The first lookup on self-report is refused: the count is one for both pages.
    assert_eq!(self_report_status_from(&server, client, 99), 429);
    let (status, page) = hotline_status_from(&server, client, 99);
    assert_eq!(status, 429, "{page}");
    assert!(
        page.contains("HL-NOPE0099"),
        "the reference typed is kept: {page}"
    );
    let (status, page) = hotline_status_from(&server, "203.0.113.41", 100);
    assert_eq!(status, 404, "another address looks up: {page}");
    server.terminate();
}
