//! A bank's sharing scope, over the real server on SQLite and PostgreSQL: another
//! organisation's platform sees nothing of a private bank (matches, HMA, content, lists), sees
//! it once it is shared with platforms, never changes it; the bank's page sets the scope.

use lindung::access::Role;
use serde_json::json;

use crate::bank_trust::{BRIDGE, at_distance, banks_matched, create, field};
use crate::support::server::Server;
use crate::support::{self, urlencode};

/// A session of `email` (password "a long enough passphrase") through the login form: its
/// cookie header.
fn login(server: &Server, email: &str) -> String {
    let cookie_of = |head: &str, name: &str| -> String {
        head.lines()
            .filter_map(|l| {
                l.strip_prefix("set-cookie: ")
                    .or_else(|| l.strip_prefix("Set-Cookie: "))
            })
            .filter_map(|c| c.split(';').next()?.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(k, v)| format!("{k}={v}"))
            .expect("cookie")
    };
    let (_, head, body) = server.raw("GET", "/login", &[], b"");
    let form_cookie = cookie_of(&head, "lindung_form");
    let csrf = hidden(&body, "csrf");
    let (status, head, _) = server.raw(
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", form_cookie.as_str()),
        ],
        format!(
            "csrf={csrf}&email={}&password=a+long+enough+passphrase",
            urlencode(email)
        )
        .as_bytes(),
    );
    assert_eq!(status, 303, "login of {email}");
    cookie_of(&head, "lindung_session")
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..].split('"').next().expect("value").to_owned()
}

/// What `token` learns of `bank` through every route that matches or reads: whether it sees
/// a match (native API, HMA lookup, HMA raw lookup), the content, and the bank in lists.
fn sees(server: &Server, token: &str, bank: &str) -> [bool; 5] {
    let token = Some(token);
    let (_, native) = server.json("POST", "/api/v1/match", token, &json!({"pdq": [BRIDGE]}));
    let native = banks_matched(&native).iter().any(|b| b == bank);
    if !native {
        assert!(!native_leaks(server, token), "nothing of the match leaves");
    }
    // HMA's routes are for platforms and admins only.
    let (status, hma) = server.get(&format!("/m/lookup?signal_type=pdq&signal={BRIDGE}"), token);
    let hma = status == 200 && hma.get(bank).is_some();
    let (status, raw) = server.get(
        &format!("/m/raw_lookup?signal_type=pdq&signal={BRIDGE}"),
        token,
    );
    let raw = status == 200 && !raw["matches"].as_array().expect("matches").is_empty();
    let (content, _) = server.get(&format!("/api/v1/banks/{bank}/content"), token);
    let (_, listed) = server.get("/api/v1/banks", token);
    let listed = listed.to_string().contains(bank);
    let (status, hma_listed) = server.get("/c/banks", token);
    if status == 200 {
        assert_eq!(
            listed,
            hma_listed.to_string().contains(bank),
            "both lists agree"
        );
    }
    [native, hma, raw, content == 200, listed]
}

/// Whether the native match answer carries the private note anywhere.
fn native_leaks(server: &Server, token: Option<&str>) -> bool {
    let (_, answer) = server.json("POST", "/api/v1/match", token, &json!({"pdq": [BRIDGE]}));
    answer.to_string().contains("private note")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bank_is_seen_by_other_platforms_only_once_shared_with_them() {
    for t in support::stores("bank_sharing").await {
        let owner = support::user(&t.store, "own@example.org", Role::Platform, Some("A")).await;
        let other = support::user(&t.store, "other@example.org", Role::Platform, Some("B")).await;
        let analyst = support::user(&t.store, "an@example.org", Role::Analyst, Some("B")).await;
        let server = Server::start(&t.location);
        let (status, created) = create(&server, &owner, "A_BANK", 31);
        assert_eq!(
            (status, created["sharing"].clone()),
            (201, json!("private"))
        );
        let (status, _) = server.json(
            "POST",
            "/api/v1/banks/A_BANK/content",
            Some(&owner),
            &json!({"pdq": BRIDGE, "note": "private note"}),
        );
        assert_eq!(status, 201);
        assert_eq!(sees(&server, &owner, "A_BANK"), [true; 5], "{}", t.name);
        assert_eq!(sees(&server, &other, "A_BANK"), [false; 5], "{}", t.name);
        assert_eq!(sees(&server, &analyst, "A_BANK"), [false; 5], "{}", t.name);

        let share = |sharing: &str| {
            server.json(
                "PATCH",
                "/api/v1/banks/A_BANK",
                Some(&owner),
                &json!({"sharing": sharing}),
            )
        };
        let (status, shared) = share("platforms");
        assert_eq!(
            (status, shared["sharing"].clone()),
            (200, json!("platforms"))
        );
        assert_eq!(sees(&server, &other, "A_BANK"), [true; 5], "{}", t.name);
        assert!(
            native_leaks(&server, Some(&other)),
            "shared: the note is seen"
        );
        // Only platforms; and seeing is not changing.
        assert_eq!(sees(&server, &analyst, "A_BANK"), [false; 5], "{}", t.name);
        let (status, _) = server.json(
            "PATCH",
            "/api/v1/banks/A_BANK",
            Some(&other),
            &json!({"sharing": "private"}),
        );
        assert_eq!(status, 403, "{}", t.name);
        let (status, _) = server.json(
            "POST",
            "/api/v1/banks/A_BANK/content",
            Some(&other),
            &json!({"pdq": at_distance(BRIDGE, 40)}),
        );
        assert_eq!(status, 403, "{}", t.name);
        let (status, answer) = share("everyone");
        assert_eq!(
            (status, field(&answer).clone()),
            (422, json!("sharing")),
            "{answer}"
        );

        let (status, _) = share("private");
        assert_eq!(status, 200);
        assert_eq!(sees(&server, &other, "A_BANK"), [false; 5], "{}", t.name);

        // The bank's page sets the scope.
        let session = login(&server, "own@example.org");
        let (status, _, page) = server.raw("GET", "/banks/A_BANK", &[("Cookie", &session)], b"");
        assert_eq!(status, 200, "{}", t.name);
        assert!(
            page.contains("name=\"sharing\""),
            "{}: the page offers the scope",
            t.name
        );
        let csrf = hidden(&page, "csrf");
        let form = [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", session.as_str()),
        ];
        let (status, _, _) = server.raw(
            "POST",
            "/banks/A_BANK/settings",
            &form,
            format!("csrf={csrf}&name=A_BANK&pdq_threshold=31&enabled=on&sharing=platforms")
                .as_bytes(),
        );
        assert_eq!(status, 303, "{}", t.name);
        let (_, bank) = server.get("/api/v1/banks/A_BANK", Some(&owner));
        assert_eq!(bank["sharing"], "platforms", "{}", t.name);
        assert_eq!(sees(&server, &other, "A_BANK"), [true; 5], "{}", t.name);
        let (_, _, page) = server.raw("GET", "/banks/A_BANK", &[("Cookie", &session)], b"");
        assert!(
            page.contains("<option value=\"platforms\" selected>"),
            "{}: the page shows the scope",
            t.name
        );
        let (status, _, _) = server.raw(
            "POST",
            "/banks/A_BANK/settings",
            &form,
            format!("csrf={csrf}&name=A_BANK&pdq_threshold=31&enabled=on&sharing=everyone")
                .as_bytes(),
        );
        assert_eq!(status, 422, "{}", t.name);
    }
}
