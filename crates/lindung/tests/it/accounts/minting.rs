//! Admins cannot become someone else: a signed-in admin mints API tokens only for themself or
//! for a platform service account of their own organisation, and adds users to their own
//! organisation only, unless they are the deployment's administrator (an admin of the default
//! organisation, where `/setup` puts the first admin). The audit log names the admin.

use lindung::access;
use serde_json::Value;

use super::{
    Credentials, admin_session, assert_audited, assert_refused, audit_entries, id_of, people, post,
    user_named,
};
use crate::support::server::Server;
use crate::support::{self, TestStore};

/// The token shown once on the users page.
fn shown_token(body: &str) -> String {
    let marker = "id=\"new-token\">";
    let start = body
        .find(marker)
        .map(|i| i + marker.len())
        .expect("new token shown");
    body[start..].split('<').next().expect("token").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_mint_tokens_only_for_themselves_and_their_platform_accounts() {
    for t in support::stores("accounts_minting").await {
        let p = people(&t.store).await;
        let server = Server::start(&t.location);
        let session = admin_session(&server, "admin@a.example");
        for who in [Credentials::Token(p.admin_a_token.clone()), session] {
            an_org_admin_cannot_mint_for_a_person_or_another_org(&t, &server, &who).await;
            an_org_admin_mints_for_their_platform_account_and_themself(&t, &server, &who).await;
            an_org_admin_cannot_add_users_elsewhere(&t, &server, &who).await;
        }
        let root = Credentials::Token(p.root_token.clone());
        the_deployment_admin_adds_users_anywhere_but_mints_for_no_person(&t, &server, &root).await;
    }
}

async fn an_org_admin_cannot_mint_for_a_person_or_another_org(
    t: &TestStore,
    server: &Server,
    who: &Credentials,
) {
    let what = format!("{} {}", t.name, who.mode());
    let before = audit_entries(&t.store, "token.create").await.len();
    for email in ["analyst@a.example", "admin@b.example", "platform@b.example"] {
        let (status, body) = post(
            server,
            who,
            "/admin/tokens",
            &[("email", email), ("name", "x")],
        );
        assert_refused(status, &body, &format!("{what}: a token for {email}"));
        assert!(!body.contains("new-token"), "{what}: {body}");
    }
    assert_eq!(
        audit_entries(&t.store, "token.create").await.len(),
        before,
        "{what}: no token was made"
    );
}

async fn an_org_admin_mints_for_their_platform_account_and_themself(
    t: &TestStore,
    server: &Server,
    who: &Credentials,
) {
    let what = format!("{} {}", t.name, who.mode());
    let admin = id_of(&t.store, "admin@a.example").await;
    for email in ["platform@a.example", "admin@a.example"] {
        let (status, body) = post(
            server,
            who,
            "/admin/tokens",
            &[("email", email), ("name", "client")],
        );
        assert_eq!(status, 200, "{what}: a token for {email}: {body}");
        let secret = shown_token(&body);
        let owner = access::authenticate_token(&t.store, &secret)
            .await
            .expect("db")
            .expect("the new token works");
        assert_eq!(owner.email, email, "{what}");
        // Who acted is the admin; whose token it is, the details say.
        let entries = audit_entries(&t.store, "token.create").await;
        let entry = entries.last().expect("token.create");
        assert_eq!(entry.actor_user_id, Some(admin), "{what}: {entry:?}");
        assert_eq!(entry.actor, format!("user:{admin}"), "{what}");
        let details: Value = serde_json::from_str(&entry.details).expect("details");
        assert_eq!(details["owner_user_id"], owner.user_id, "{what}: {details}");
    }
}

async fn an_org_admin_cannot_add_users_elsewhere(
    t: &TestStore,
    server: &Server,
    who: &Credentials,
) {
    let what = format!("{} {}", t.name, who.mode());
    let mode = who.mode();
    for org in ["org-b", "default", "org-new"] {
        let email = format!("{mode}-{org}@new.example");
        let (status, body) = post(
            server,
            who,
            "/admin/users",
            &[
                ("email", &email),
                ("role", "analyst"),
                ("org", org),
                ("password", super::PASSWORD),
            ],
        );
        assert_refused(status, &body, &format!("{what}: a user in {org}"));
        assert!(
            user_named(&t.store, &email).await.is_none(),
            "{what}: {org}"
        );
    }
    // In their own organisation (also when the form names none) they may.
    let admin = id_of(&t.store, "admin@a.example").await;
    for org in ["org-a", ""] {
        let email = format!("{mode}-own{org}@new.example");
        let (status, body) = post(
            server,
            who,
            "/admin/users",
            &[
                ("email", &email),
                ("role", "analyst"),
                ("org", org),
                ("password", super::PASSWORD),
            ],
        );
        assert_eq!(status, 200, "{what}: {body}");
        let created = user_named(&t.store, &email).await.expect("created");
        let admin_org = user_named(&t.store, "admin@a.example")
            .await
            .expect("admin");
        assert_eq!(created.organisation_id, admin_org.organisation_id, "{what}");
        assert_audited(&t.store, "user.create", admin, created.id).await;
    }
}

async fn the_deployment_admin_adds_users_anywhere_but_mints_for_no_person(
    t: &TestStore,
    server: &Server,
    root: &Credentials,
) {
    let root_id = id_of(&t.store, "root@deploy.example").await;
    let org_b = user_named(&t.store, "admin@b.example")
        .await
        .expect("b")
        .organisation_id;
    let (status, body) = post(
        server,
        root,
        "/admin/users",
        &[
            ("email", "new@b.example"),
            ("role", "analyst"),
            ("org", "org-b"),
            ("password", super::PASSWORD),
        ],
    );
    assert_eq!(status, 200, "{}: {body}", t.name);
    let created = user_named(&t.store, "new@b.example")
        .await
        .expect("created");
    assert_eq!(created.organisation_id, org_b, "{}", t.name);
    // The same email again: refused with words about the email, not a taken name.
    let (status, body) = post(
        server,
        root,
        "/admin/users",
        &[
            ("email", "new@b.example"),
            ("role", "analyst"),
            ("org", "org-b"),
            ("password", super::PASSWORD),
        ],
    );
    assert_eq!(status, 409, "{}: {body}", t.name);
    assert!(
        body.contains("That email address already has an account.")
            && !body.contains("name is already taken"),
        "{}: {body}",
        t.name
    );
    assert_audited(&t.store, "user.create", root_id, created.id).await;
    // Another organisation's platform account, yes; a person, never.
    let (status, body) = post(
        server,
        root,
        "/admin/tokens",
        &[("email", "platform@b.example"), ("name", "client")],
    );
    assert_eq!(status, 200, "{}: {body}", t.name);
    let (status, body) = post(
        server,
        root,
        "/admin/tokens",
        &[("email", "analyst@b.example"), ("name", "x")],
    );
    assert_refused(status, &body, &format!("{}: root for an analyst", t.name));
}
