//! The audit log page shows an organisation's admin what their own organisation's people did,
//! and nothing of another organisation's (not its entries, not its people in the actor menu);
//! the deployment's admin sees everyone's. With a token and with a session.

use serde_json::json;

use super::{Credentials, admin_session, id_of, people};
use crate::support;
use crate::support::server::Server;

fn audit_page(server: &Server, who: &Credentials, query: &str) -> (u16, String) {
    let path = format!("/admin/audit{query}");
    let (status, _, page) = match who {
        Credentials::Token(token) => {
            let auth = format!("Bearer {token}");
            server.raw("GET", &path, &[("Authorization", &auth)], b"")
        }
        Credentials::Session { cookie, .. } => server.raw("GET", &path, &[("Cookie", cookie)], b""),
    };
    (status, page)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organisations_admin_reads_only_their_organisations_audit_entries() {
    for t in support::stores("audit_scope").await {
        let p = people(&t.store).await;
        let server = Server::start(&t.location);
        // Each organisation's analyst does something audited: a bank of their own.
        for (token, bank) in [
            (&p.analyst_a_token, "BANK_OF_A"),
            (&p.analyst_b_token, "BANK_OF_B"),
        ] {
            let (status, body) =
                server.json("POST", "/api/v1/banks", Some(token), &json!({"name": bank}));
            assert_eq!(status, 201, "{}: {body}", t.name);
        }
        let analyst_b = id_of(&t.store, "analyst@b.example").await;
        for who in [
            Credentials::Token(p.admin_a_token.clone()),
            admin_session(&server, "admin@a.example"),
        ] {
            let (status, page) = audit_page(&server, &who, "");
            assert_eq!(status, 200, "{}: {page}", t.name);
            assert!(page.contains("analyst@a.example"), "{}: {page}", t.name);
            for other in ["analyst@b.example", "admin@b.example", "platform@b.example"] {
                assert!(
                    !page.contains(other),
                    "{} ({}): {other} shown",
                    t.name,
                    who.mode()
                );
            }
            // Asking for the other organisation's analyst by id finds nothing either.
            let (status, page) = audit_page(&server, &who, &format!("?actor=user%3A{analyst_b}"));
            assert_eq!(status, 200);
            assert!(!page.contains("class=\"audit-row"), "{}: {page}", t.name);
            // Nor does the whole chain's verdict show: it is the deployment's to check.
            let (_, page) = audit_page(&server, &who, "?verify=1");
            assert!(!page.contains("entries)"), "{}: {page}", t.name);
        }
        let root = Credentials::Token(p.root_token.clone());
        let (status, page) = audit_page(&server, &root, "");
        assert_eq!(status, 200);
        assert!(page.contains("analyst@a.example") && page.contains("analyst@b.example"));
        server.terminate();
    }
}

/// Takedown notices go to the provider addresses the hotline keeps, so only the hotline's own
/// admins change them: another organisation's admin is refused, with a token and with a
/// session, and nothing changes.
#[tokio::test(flavor = "multi_thread")]
async fn only_the_hotlines_admins_change_its_takedown_contacts() {
    let t = &support::stores("contacts_scope").await[0];
    let p = people(&t.store).await;
    // The hotline is run by the deployment's own organisation (`default`), not org-a.
    let server = Server::start_with_env(&t.location, &[("LINDUNG_HOTLINE_ORG", "default")]);
    let provider = json!({"name": "Host Co", "country": "TH", "email": "abuse@host.example",
                          "language": "th"});
    let (status, body) = server.json(
        "POST",
        "/api/v1/hotline/providers",
        Some(&p.admin_a_token),
        &provider,
    );
    assert_eq!(
        status, 403,
        "another organisation's admin, by token: {body}"
    );
    let session = admin_session(&server, "admin@a.example");
    let (status, page) = super::post(
        &server,
        &session,
        "/hotline/contacts/providers",
        &[
            ("name", "Host Co"),
            ("country", "TH"),
            ("email", "attacker@evil.example"),
            ("language", "th"),
        ],
    );
    assert_eq!(
        status, 403,
        "another organisation's admin, by session: {page}"
    );
    let (status, listed) = server.get("/api/v1/hotline/providers", Some(&p.root_token));
    assert_eq!(status, 200);
    assert_eq!(listed, json!([]), "nothing was added");
    let (status, body) = server.json(
        "POST",
        "/api/v1/hotline/providers",
        Some(&p.root_token),
        &provider,
    );
    assert_eq!(status, 201, "the hotline's own admin: {body}");
    server.terminate();
}
