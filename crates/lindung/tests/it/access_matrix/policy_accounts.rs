//! Accounts, the server's own routes, self-reports and the public pages (docs/operations.md
//! "Accounts and access", docs/self-report.md, docs/hotline.md). An organisation administrator
//! acts on the users and tokens of their own organisation; anything else is refused with 403.
//! The public forms carry their own CSRF token, so a post without it is refused (403).

use lindung::access::Role;
use serde_json::json;

use super::fixtures::{Fixtures, PDQ};
use super::requests::Req;
use super::{Rule, Who};

const ADMIN: Who = Who::Roles(&[Role::Admin]);
const EVERYONE: Who = Who::Roles(Role::ALL);
/// Who follows the self-reported hashes and tells how they were used (docs/self-report.md).
const PLATFORMS: Who = Who::Roles(&[Role::Admin, Role::Platform]);
/// Who sees who asked for help: admins, analysts, case workers and supervisors. Only the staff
/// of the organisation that runs the deployment see any; others get the empty list
/// (docs/self-report.md), and the table's A and B are neither.
const HELPERS: Who = Who::Roles(&[
    Role::Admin,
    Role::Analyst,
    Role::CaseWorker,
    Role::Supervisor,
]);

/// An admin's action on a user of A: A's admin does it (200: the users page, showing what was
/// done); B's admin is refused (403).
fn on_user(route: &'static str, call: fn(&mut Fixtures) -> Req) -> Rule {
    Rule::on_object(route, ADMIN, call, 200, 403)
}

fn public(route: &'static str, call: fn(&mut Fixtures) -> Req, answer: u16) -> Rule {
    Rule::open(route, Who::Public, call, answer)
}

pub fn rules() -> Vec<Rule> {
    vec![
        public("GET /status", |_| Req::get("/status"), 200),
        public(
            "GET /api/v1/openapi.json",
            |_| Req::get("/api/v1/openapi.json"),
            200,
        ),
        Rule::open("GET /metrics", ADMIN, |_| Req::get("/metrics"), 200),
        // Signing in, and the first admin (the deployment has users: setup is over).
        public("GET /login", |_| Req::get("/login"), 200),
        public(
            "POST /login",
            |_| {
                Req::form(
                    "/login",
                    &[("email", "x@y.example"), ("password", "wrong password")],
                )
            },
            403,
        ),
        public("GET /setup", |_| Req::get("/setup"), 404),
        public(
            "POST /setup",
            |_| {
                Req::form(
                    "/setup",
                    &[
                        ("token", "lndg_setup_unknown"),
                        ("email", "x@y.example"),
                        ("password", "a long enough passphrase"),
                    ],
                )
            },
            404,
        ),
        public(
            "GET /password-reset",
            |_| Req::get("/password-reset?token=lndg_reset_unknown"),
            404,
        ),
        public(
            "POST /password-reset",
            |_| {
                Req::form(
                    "/password-reset",
                    &[
                        ("token", "lndg_reset_unknown"),
                        ("password", "a new long passphrase"),
                    ],
                )
            },
            403,
        ),
        // One's own account.
        Rule::open("GET /account", EVERYONE, |_| Req::get("/account"), 200),
        Rule::open(
            "POST /account/language",
            EVERYONE,
            |_| Req::form("/account/language", &[("language", "th")]),
            303,
        ),
        // Administration.
        Rule::open("GET /admin", ADMIN, |_| Req::get("/admin"), 200),
        Rule::open(
            "GET /platform",
            Who::Roles(&[Role::Platform]),
            |_| Req::get("/platform"),
            200,
        ),
        Rule::open("GET /admin/users", ADMIN, |_| Req::get("/admin/users"), 200),
        Rule::open(
            "POST /admin/users",
            ADMIN,
            |f| {
                let email = format!("added{}@example.org", f.next());
                Req::form(
                    "/admin/users",
                    &[
                        ("email", &email),
                        ("role", "analyst"),
                        ("password", "a long enough passphrase"),
                    ],
                )
            },
            200,
        ),
        Rule {
            route: "POST /admin/tokens",
            who: ADMIN,
            call: |f| {
                let email = f.platform_a();
                Req::form("/admin/tokens", &[("email", &email), ("name", "minted")])
            },
            fresh: true,
            own: 200,
            other: Some(403),
            unassigned: None,
            anywhere: &[],
        },
        on_user("POST /admin/tokens/{id}/revoke", |f| {
            Req::form(format!("/admin/tokens/{}/revoke", f.token_a()), &[])
        }),
        on_user("POST /admin/users/{id}/disable", |f| {
            Req::form(format!("/admin/users/{}/disable", f.user_a()), &[])
        }),
        on_user("POST /admin/users/{id}/enable", |f| {
            Req::form(format!("/admin/users/{}/enable", f.user_a()), &[])
        }),
        on_user("POST /admin/users/{id}/sessions/end", |f| {
            Req::form(format!("/admin/users/{}/sessions/end", f.user_a()), &[])
        }),
        // The link is shown once, on the page that answers.
        on_user("POST /admin/users/{id}/reset", |f| {
            Req::form(format!("/admin/users/{}/reset", f.user_a()), &[])
        }),
        Rule::open("GET /admin/audit", ADMIN, |_| Req::get("/admin/audit"), 200),
        // Self-reports: public, with the case number and PIN as the key.
        public("GET /self-report", |_| Req::get("/self-report"), 200),
        public(
            "GET /static/selfreport.js",
            |_| Req::get("/static/selfreport.js"),
            200,
        ),
        public(
            "GET /static/pdq.wasm",
            |_| Req::get("/static/pdq.wasm"),
            200,
        ),
        public(
            "POST /api/v1/selfreport",
            |_| {
                Req::json(
                    "POST",
                    "/api/v1/selfreport",
                    json!({"files": [{"pdq": PDQ, "quality": 90}], "consent": true}),
                )
            },
            201,
        ),
        public(
            "POST /api/v1/selfreport/status",
            |f| {
                let (case_number, pin) = f.self_report();
                Req::json(
                    "POST",
                    "/api/v1/selfreport/status",
                    json!({"case_number": case_number, "pin": pin}),
                )
            },
            200,
        ),
        public(
            "POST /api/v1/selfreport/withdraw",
            |f| {
                f.fresh = true;
                let (case_number, pin) = f.self_report();
                Req::json(
                    "POST",
                    "/api/v1/selfreport/withdraw",
                    json!({"case_number": case_number, "pin": pin}),
                )
            },
            200,
        ),
        Rule::open(
            "GET /api/v1/hashes/selfreport",
            PLATFORMS,
            |_| Req::get("/api/v1/hashes/selfreport"),
            200,
        ),
        Rule::open(
            "POST /api/v1/hashes/selfreport/feedback",
            PLATFORMS,
            |_| {
                Req::json(
                    "POST",
                    "/api/v1/hashes/selfreport/feedback",
                    json!({"signal_type": "pdq", "hash": PDQ, "kind": "blocked"}),
                )
            },
            204,
        ),
        Rule::open(
            "GET /api/v1/selfreport/help-requests",
            HELPERS,
            |_| Req::get("/api/v1/selfreport/help-requests"),
            200,
        ),
        // The hotline's public pages.
        public("GET /", |_| Req::get("/"), 200),
        public("GET /privacy", |_| Req::get("/privacy"), 200),
        public("GET /report", |_| Req::get("/report"), 200),
        // The public report form acts for no one (no session, no account), so it carries no CSRF
        // token: a report sent from anywhere is taken.
        public(
            "POST /report",
            |_| {
                Req::form(
                    "/report",
                    &[
                        ("urls", "https://host.example/public"),
                        ("seen_on", "website"),
                        ("kind", "csam"),
                    ],
                )
            },
            201,
        ),
        public("GET /report/status", |_| Req::get("/report/status"), 200),
        // An unknown reference and PIN are answered alike, whoever asks.
        public(
            "POST /report/status",
            |_| {
                Req::form(
                    "/report/status",
                    &[("reference", "R-UNKNOWN"), ("pin", "000000")],
                )
            },
            404,
        ),
    ]
}

/// The rules to check last: signing out ends the caller's session.
pub fn last() -> Vec<Rule> {
    vec![Rule::open(
        "POST /logout",
        EVERYONE,
        |_| Req::form("/logout", &[]),
        303,
    )]
}
