//! Browser sessions over loopback: first-admin setup, login with CSRF, lockout, and forms
//! refused without their CSRF token.

use crate::support::server::Server;
use crate::support::{self, TestStore, urlencode};

fn set_cookies(raw: &str) -> Vec<(String, String)> {
    raw.lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .filter_map(|c| {
            let (pair, _) = c.split_once(';')?;
            let (k, v) = pair.split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .map(|i| i + marker.len())
        .expect("hidden field");
    html[start..].split('"').next().expect("value").to_owned()
}

/// What the session steps share: the store and the server, and once logged in the session's
/// cookie and CSRF token.
struct Pages<'a> {
    t: &'a TestStore,
    server: Server,
    session_cookie: String,
    csrf: String,
}

impl Pages<'_> {
    /// The headers of a form posted in the session.
    fn session_form(&self) -> [(&'static str, &str); 2] {
        [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", self.session_cookie.as_str()),
        ]
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_login_csrf_and_lockout() {
    for t in support::stores("pages_session").await {
        let server = Server::start_capturing(&t.location);
        let mut p = Pages {
            t: &t,
            server,
            session_cookie: String::new(),
            csrf: String::new(),
        };
        step_the_first_admin_is_set_up_through_the_one_time_link(&p);
        step_login_needs_the_form_token_and_the_right_password(&mut p);
        step_forms_in_the_session_need_its_csrf_token(&mut p);
        step_api_changes_in_a_session_need_the_csrf_header(&p);
        step_the_users_language_setting_wins_over_the_browsers(&p);
        step_a_bank_is_renamed_disabled_and_deleted(&p);
        step_logging_out_ends_the_session(&p);
        step_five_wrong_passwords_lock_the_account_silently(&p);
    }
}

/// First admin through the one-time link, which works once.
fn step_the_first_admin_is_set_up_through_the_one_time_link(p: &Pages<'_>) {
    let (t, server) = (p.t, &p.server);
    let setup = server
        .first_lines
        .iter()
        .find_map(|l| l.split_once("/setup?token=").map(|(_, s)| s.to_owned()))
        .expect("setup link printed");
    // First admin through the one-time link.
    let (status, head, body) = server.raw("GET", &format!("/setup?token={setup}"), &[], b"");
    assert_eq!(status, 200, "{}", t.name);
    let form_cookie = set_cookies(&head)
        .into_iter()
        .find(|(k, _)| k == "lindung_form")
        .expect("form cookie")
        .1;
    assert!(
        head.contains("HttpOnly") && head.contains("Secure") && head.contains("SameSite=Strict"),
        "{head}"
    );
    let csrf = hidden(&body, "csrf");
    let form = format!(
        "csrf={csrf}&token={setup}&email=admin%40example.org&password=a+long+enough+passphrase"
    );
    let cookie = format!("lindung_form={form_cookie}");
    let (status, _, _) = server.raw(
        "POST",
        "/setup",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &cookie),
        ],
        form.as_bytes(),
    );
    assert_eq!(status, 303, "{}", t.name);
    // The link works once.
    let (status, _, _) = server.raw("GET", &format!("/setup?token={setup}"), &[], b"");
    assert_eq!(status, 404);
}

/// Login needs the form token; a wrong password is refused; the right one opens a session.
fn step_login_needs_the_form_token_and_the_right_password(p: &mut Pages<'_>) {
    let (t, server) = (p.t, &p.server);
    let (_, head, body) = server.raw("GET", "/login", &[], b"");
    let form_cookie = set_cookies(&head)
        .into_iter()
        .find(|(k, _)| k == "lindung_form")
        .expect("form cookie")
        .1;
    let csrf = hidden(&body, "csrf");
    let cookie = format!("lindung_form={form_cookie}");
    let form_headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Cookie", cookie.as_str()),
    ];
    let (status, _, _) = server.raw(
        "POST",
        "/login",
        &form_headers,
        b"csrf=forged&email=admin%40example.org&password=a+long+enough+passphrase",
    );
    assert_eq!(status, 403, "login without the form token");
    let (status, _, _) = server.raw(
        "POST",
        "/login",
        &form_headers,
        format!("csrf={csrf}&email=admin%40example.org&password=wrong+wrong+wrong").as_bytes(),
    );
    assert_eq!(status, 401);
    let (status, head, _) = server.raw(
        "POST",
        "/login",
        &form_headers,
        format!("csrf={csrf}&email=admin%40example.org&password=a+long+enough+passphrase")
            .as_bytes(),
    );
    assert_eq!(status, 303, "{}", t.name);
    let session = set_cookies(&head)
        .into_iter()
        .find(|(k, _)| k == "lindung_session")
        .expect("session cookie")
        .1;
    let session_cookie = format!("lindung_session={session}");
    p.session_cookie = session_cookie;
}

/// Pages work in the session; forms without the session's CSRF token are refused.
fn step_forms_in_the_session_need_its_csrf_token(p: &mut Pages<'_>) {
    let (server, session_cookie) = (&p.server, p.session_cookie.clone());
    let (status, _, body) = server.raw("GET", "/banks", &[("Cookie", &session_cookie)], b"");
    assert_eq!(status, 200);
    let csrf = hidden(&body, "csrf");
    let session_form = p.session_form();
    let (status, _, _) = server.raw("POST", "/banks", &session_form, b"name=NO_CSRF");
    assert_eq!(status, 403);
    let (status, _, _) = server.raw(
        "POST",
        "/banks",
        &session_form,
        format!("csrf={csrf}&name=WITH_CSRF").as_bytes(),
    );
    assert_eq!(status, 303);
    let (_, _, body) = server.raw(
        "GET",
        "/banks",
        &[
            ("Cookie", &session_cookie),
            ("Accept-Language", "th-TH,th;q=0.9,en;q=0.5"),
        ],
        b"",
    );
    assert!(body.contains("WITH_CSRF") && !body.contains("NO_CSRF"));
    assert!(body.contains("คลังแฮช"), "Thai from Accept-Language");
    p.csrf = csrf;
}

/// The API answers a session too, but a change needs the session's CSRF token in a header
/// (another site can make a browser send the cookie, never the header); reads do not.
fn step_api_changes_in_a_session_need_the_csrf_header(p: &Pages<'_>) {
    let server = &p.server;
    let json = ("Content-Type", "application/json");
    let cookie = ("Cookie", p.session_cookie.as_str());
    let (status, _, body) = server.raw(
        "POST",
        "/api/v1/banks",
        &[json, cookie],
        br#"{"name":"API_TOKENLESS"}"#,
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("\"csrf\""), "{body}");
    let (status, _, body) = server.raw(
        "POST",
        "/api/v1/banks",
        &[json, cookie, ("X-CSRF-Token", "forged")],
        br#"{"name":"API_FORGED"}"#,
    );
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = server.raw(
        "POST",
        "/api/v1/banks",
        &[json, cookie, ("X-CSRF-Token", p.csrf.as_str())],
        br#"{"name":"API_HEADER"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let (status, _, body) = server.raw("GET", "/api/v1/banks", &[cookie], b"");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("API_HEADER")
            && !body.contains("API_TOKENLESS")
            && !body.contains("API_FORGED"),
        "{body}"
    );
}

/// The user's own language setting wins over the browser's.
fn step_the_users_language_setting_wins_over_the_browsers(p: &Pages<'_>) {
    let (server, session_cookie, csrf) = (&p.server, p.session_cookie.clone(), p.csrf.clone());
    let session_form = p.session_form();
    let (status, _, _) = server.raw(
        "POST",
        "/account/language",
        &session_form,
        format!("csrf={csrf}&language=th").as_bytes(),
    );
    assert_eq!(status, 303);
    let (_, _, body) = server.raw(
        "GET",
        "/banks",
        &[("Cookie", &session_cookie), ("Accept-Language", "en")],
        b"",
    );
    assert!(body.contains("<html lang=\"th\">"), "user setting");
    let (status, _, _) = server.raw(
        "POST",
        "/account/language",
        &session_form,
        format!("csrf={csrf}&language=xx").as_bytes(),
    );
    assert_eq!(status, 400);
    server.raw(
        "POST",
        "/account/language",
        &session_form,
        format!("csrf={csrf}&language=en").as_bytes(),
    );
}

/// Rename and disable, then delete (which needs the confirmation box).
fn step_a_bank_is_renamed_disabled_and_deleted(p: &Pages<'_>) {
    let (server, session_cookie, csrf) = (&p.server, p.session_cookie.clone(), p.csrf.clone());
    let session_form = p.session_form();
    let (status, _, _) = server.raw(
        "POST",
        "/banks/WITH_CSRF/settings",
        &session_form,
        format!("csrf={csrf}&name=RENAMED&pdq_threshold=20").as_bytes(),
    );
    assert_eq!(status, 303);
    let (_, _, body) = server.raw("GET", "/banks/RENAMED", &[("Cookie", &session_cookie)], b"");
    assert!(
        body.contains("disabled") && body.contains("value=\"20\""),
        "{body}"
    );
    let (status, _, _) = server.raw(
        "POST",
        "/banks/RENAMED/delete",
        &session_form,
        format!("csrf={csrf}").as_bytes(),
    );
    assert_eq!(status, 400, "deletion needs confirmation");
    let (status, _, _) = server.raw(
        "POST",
        "/banks/RENAMED/delete",
        &session_form,
        format!("csrf={csrf}&confirm=yes").as_bytes(),
    );
    assert_eq!(status, 303);
    let (status, _, _) = server.raw("GET", "/banks/RENAMED", &[("Cookie", &session_cookie)], b"");
    assert_eq!(status, 404);
}

/// Logging out ends the session.
fn step_logging_out_ends_the_session(p: &Pages<'_>) {
    let (server, session_cookie, csrf) = (&p.server, p.session_cookie.clone(), p.csrf.clone());
    let session_form = p.session_form();
    let (status, _, _) = server.raw(
        "POST",
        "/logout",
        &session_form,
        format!("csrf={csrf}").as_bytes(),
    );
    assert_eq!(status, 303);
    let (status, _, _) = server.raw("GET", "/api/v1/banks", &[("Cookie", &session_cookie)], b"");
    assert_eq!(status, 401);
    // A page asked for without a session sends the browser to log in, and back afterwards.
    let (status, head, _) = server.raw("GET", "/banks?page=2", &[("Cookie", &session_cookie)], b"");
    assert_eq!(status, 303);
    assert!(
        head.lines()
            .any(|l| l.eq_ignore_ascii_case("location: /login?next=%2Fbanks%3Fpage%3D2")),
        "{head}"
    );
}

/// Five wrong passwords lock the account, even against the right password.
fn step_five_wrong_passwords_lock_the_account_silently(p: &Pages<'_>) {
    let (t, server) = (p.t, &p.server);
    let attempt = |password: &str| {
        let (_, head, body) = server.raw("GET", "/login", &[], b"");
        let form_cookie = set_cookies(&head)
            .into_iter()
            .find(|(k, _)| k == "lindung_form")
            .expect("form cookie")
            .1;
        let cookie = format!("lindung_form={form_cookie}");
        let form = format!(
            "csrf={}&email=admin%40example.org&password={password}",
            hidden(&body, "csrf")
        );
        server.raw(
            "POST",
            "/login",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &cookie),
            ],
            form.as_bytes(),
        )
    };
    let wrong_answer = |body: &str| body.contains("The email or password is not right.");
    for _ in 0..5 {
        let (status, _, body) = attempt("wrong+wrong+wrong");
        assert_eq!(status, 401);
        assert!(wrong_answer(&body), "{body}");
    }
    // Locked now: the right password gets the very answer a wrong one gets, so no one learns
    // that the account exists or is locked.
    let (status, _, body) = attempt("a+long+enough+passphrase");
    assert_eq!(status, 401, "{}: {body}", t.name);
    assert!(wrong_answer(&body), "{body}");
}

/// The `Location` a response sends the browser to.
fn location(head: &str) -> String {
    head.lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .unwrap_or_default()
        .to_owned()
}

/// Logs in through the form, asking to go back to `next` (URL-encoded as the login page got
/// it); returns the status and where the browser is sent.
fn log_in(server: &Server, email: &str, next: &str) -> (u16, String, String) {
    let (_, head, body) = server.raw("GET", &format!("/login?next={next}"), &[], b"");
    let form_cookie = set_cookies(&head)
        .into_iter()
        .find(|(k, _)| k == "lindung_form")
        .expect("form cookie")
        .1;
    let (status, head, _) = server.raw(
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &format!("lindung_form={form_cookie}")),
        ],
        format!(
            "csrf={}&next={}&email={}&password=a+long+enough+passphrase",
            hidden(&body, "csrf"),
            urlencode(&hidden(&body, "next")),
            urlencode(email)
        )
        .as_bytes(),
    );
    let session = set_cookies(&head)
        .into_iter()
        .find(|(k, _)| k == "lindung_session")
        .map(|(k, v)| format!("{k}={v}"))
        .unwrap_or_default();
    (status, location(&head), session)
}

/// The links of the header's navigation on a page, in order.
fn navigation_of(page: &str) -> Vec<String> {
    let nav = page
        .split_once("id=\"site-nav\"")
        .and_then(|(_, rest)| rest.split_once("</nav>"))
        .map(|(links, _)| links)
        .unwrap_or_else(|| panic!("no navigation: {page}"));
    nav.split("<a href=\"")
        .skip(1)
        .filter_map(|link| link.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// After logging in, each role lands where its work is (issue 16: analyst the queue, case
/// worker the cases, supervisor the approvals, researcher the statistics, admin the overview,
/// platform its API page, law enforcement the reports referred to it), and its navigation
/// shows exactly the pages that role may open; a page asked for first is where the browser
/// goes back to, but only a page of this site.
#[tokio::test(flavor = "multi_thread")]
async fn each_role_lands_where_its_work_is_or_back_on_the_page_it_asked_for() {
    use lindung::access::Role;
    for t in support::stores("pages_landing").await {
        for (email, role, org) in [
            ("admin@example.org", Role::Admin, None),
            ("analyst@example.org", Role::Analyst, None),
            ("worker@example.org", Role::CaseWorker, Some("Care")),
            ("supervisor@example.org", Role::Supervisor, Some("Care")),
            (
                "researcher@example.org",
                Role::Researcher,
                Some("University"),
            ),
            ("platform@example.org", Role::Platform, Some("Platform")),
            ("police@example.org", Role::LawEnforcement, Some("Police")),
            ("policy@example.org", Role::PolicyOfficer, Some("Ministry")),
        ] {
            support::user(&t.store, email, role, org).await;
        }
        let server = Server::start(&t.location);
        // The site's address is the public home for a visitor, never a login page.
        let (status, _, home) = server.raw("GET", "/", &[], b"");
        assert_eq!(status, 200, "{home}");
        assert!(
            home.contains("href=\"/report?lang=en\"") && home.contains("id=\"quick-exit\""),
            "{home}"
        );
        // Written from the issue, not from the navigation table.
        let expected: [(&str, &str, &[&str]); 8] = [
            (
                "admin@example.org",
                "/admin",
                &[
                    "/admin",
                    "/admin/users",
                    "/admin/audit",
                    "/banks",
                    "/match",
                    "/hotline",
                    "/hotline/contacts",
                    "/hotline/settings",
                    "/hotline/stats",
                    "/policy",
                ],
            ),
            (
                "analyst@example.org",
                "/hotline",
                &[
                    "/hotline",
                    "/hotline/contacts",
                    "/hotline/settings",
                    "/hotline/stats",
                    "/banks",
                    "/match",
                    // Issue 22: the national law table beside the tier-1 items it rests on.
                    "/policy/law",
                ],
            ),
            ("worker@example.org", "/care", &["/care", "/care/referrals"]),
            (
                "supervisor@example.org",
                "/care/approvals",
                &["/care/approvals", "/care", "/care/referrals"],
            ),
            (
                "researcher@example.org",
                "/hotline/stats",
                &["/hotline/stats"],
            ),
            (
                "platform@example.org",
                "/platform",
                &["/platform", "/banks", "/match"],
            ),
            (
                "police@example.org",
                "/hotline/referred",
                &["/hotline/referred"],
            ),
            // Issue 22: the legal self-assessment, the plan's indicators, the regional node.
            (
                "policy@example.org",
                "/policy",
                &[
                    "/policy",
                    "/policy/assessment",
                    "/policy/indicators",
                    "/policy/regional",
                ],
            ),
        ];
        for (email, lands, links) in expected {
            let (status, went, session) = log_in(&server, email, "");
            assert_eq!((status, went.as_str()), (303, lands), "{email}");
            // Back at the site's address later, the same.
            let (_, head, _) = server.raw("GET", "/", &[("Cookie", &session)], b"");
            assert_eq!(location(&head), lands, "{email}");
            // Every role may open its own account page, which carries the navigation.
            let (status, _, page) = server.raw("GET", "/account", &[("Cookie", &session)], b"");
            assert_eq!(status, 200, "{email}: {page}");
            assert_eq!(navigation_of(&page), links, "{email}");
            // The navigation shows only pages the role may open: each link opens, and shows
            // the same navigation.
            for link in links {
                let (status, _, page) = server.raw("GET", link, &[("Cookie", &session)], b"");
                assert_eq!(status, 200, "{email} follows {link}: {page}");
                assert_eq!(navigation_of(&page), links, "{email} on {link}");
            }
        }
        // Eight roles logged in from one address; a fresh server forgets them, so the next
        // logins are not refused by the per-address limit (10 a minute).
        server.terminate();
        let server = Server::start(&t.location);
        for (next, lands) in [
            ("%2Fadmin%2Fusers", "/admin/users"),
            ("%2F%2Fevil.example%2F", "/admin"),
            ("https%3A%2F%2Fevil.example%2F", "/admin"),
        ] {
            let (status, went, _) = log_in(&server, "admin@example.org", next);
            assert_eq!((status, went.as_str()), (303, lands), "{}: {next}", t.name);
        }
        server.terminate();
    }
}

/// The platform's own page lists its API tokens by name and time, never a secret, and says
/// where the API is described and how to call it; an admin's overview counts what there is.
#[tokio::test(flavor = "multi_thread")]
async fn the_platform_sees_its_tokens_and_the_api_and_the_admin_an_overview() {
    for t in support::stores("pages_platform").await {
        platform_and_overview(&t).await;
    }
}

async fn platform_and_overview(t: &TestStore) {
    use lindung::access::Role;
    let secret = support::user(&t.store, "platform@example.org", Role::Platform, Some("P")).await;
    support::user(&t.store, "other@example.org", Role::Platform, Some("Q")).await;
    support::user(&t.store, "admin@example.org", Role::Admin, None).await;
    let server = Server::start(&t.location);
    let (status, went, session) = log_in(&server, "platform@example.org", "");
    assert_eq!((status, went.as_str()), (303, "/platform"));
    let (status, _, page) = server.raw("GET", "/platform", &[("Cookie", &session)], b"");
    assert_eq!(status, 200, "{page}");
    let tokens = page
        .split_once("id=\"platform-tokens\"")
        .map(|(_, rest)| rest.split("</table>").next().unwrap_or_default())
        .unwrap_or_else(|| panic!("no token list: {page}"));
    assert_eq!(
        tokens.matches("<tr>").count(),
        2,
        "a heading and its one token, not another organisation's: {tokens}"
    );
    assert!(tokens.contains("<td>test</td>"), "{tokens}");
    assert!(!page.contains(&secret), "never the secret");
    assert!(page.contains("href=\"/api/v1/openapi.json\""), "{page}");
    assert!(page.contains("Authorization: Bearer"), "{page}");
    let (status, _, _) = server.raw("GET", "/api/v1/openapi.json", &[], b"");
    assert_eq!(status, 200, "the documented address serves the document");
    // Not the admin's pages.
    let (status, _, page) = server.raw("GET", "/admin", &[("Cookie", &session)], b"");
    assert_eq!(status, 403);
    assert!(
        page.contains("href=\"/\" id=\"back-home\">Back to your work<"),
        "a refusal leads back to the user's work: {page}"
    );

    let (_, _, session) = log_in(&server, "admin@example.org", "");
    let (status, _, page) = server.raw("GET", "/admin", &[("Cookie", &session)], b"");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"count-users\">3<"), "{page}");
    assert!(page.contains("id=\"count-banks\">0<"), "{page}");
    assert!(page.contains("id=\"count-reports\">0<"), "{page}");
    assert!(page.contains("id=\"count-cases\">0<"), "{page}");
    assert!(page.contains("id=\"chain-check\""), "{page}");
    let (status, _, page) =
        server.raw("GET", "/admin/audit?verify=1", &[("Cookie", &session)], b"");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("The audit chain is intact"), "{page}");
    server.terminate();
}
