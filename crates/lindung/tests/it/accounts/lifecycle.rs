//! An account's lifecycle, by an admin of the user's organisation (or the deployment's
//! administrator): disabling stops the user's sessions and tokens at once, a one-time reset
//! link sets a new password once and ends the old sessions, sessions can be ended; an admin of
//! another organisation is refused; every action is audited with the admin.

use lindung::access::entities::{api_token, password_reset};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sha2::Digest;

use super::{
    Credentials, PASSWORD, admin_session, assert_audited, assert_refused, id_of, login, people,
    post, post_public_form,
};
use crate::support::server::Server;
use crate::support::{self, TestStore};

/// The error a login page shows.
fn login_error(body: &str) -> String {
    let marker = "role=\"alert\">";
    let start = body
        .find(marker)
        .map(|i| i + marker.len())
        .expect("an error");
    body[start..].split('<').next().expect("text").to_owned()
}

fn token_works(server: &Server, token: &str) -> u16 {
    server.get("/api/v1/banks", Some(token)).0
}

/// What a read with the session gets: 200 while it lives, 401 once it has ended (through the
/// API, which answers rather than sending the browser to log in).
fn session_works(server: &Server, cookie: &str) -> u16 {
    server
        .raw("GET", "/api/v1/banks", &[("Cookie", cookie)], b"")
        .0
}

#[tokio::test(flavor = "multi_thread")]
async fn disabling_a_user_stops_their_sessions_and_tokens_at_once() {
    for t in support::stores("accounts_disable").await {
        let p = people(&t.store).await;
        let server = Server::start(&t.location);
        let admin = id_of(&t.store, "admin@a.example").await;
        let analyst = id_of(&t.store, "analyst@a.example").await;
        // What a wrong password gets, to compare a disabled account's answer with.
        let (wrong_status, wrong_body, _) =
            login(&server, "analyst@a.example", "wrong wrong wrong");
        assert_eq!(wrong_status, 401, "{}", t.name);
        let session = admin_session(&server, "admin@a.example");
        for who in [Credentials::Token(p.admin_a_token.clone()), session] {
            let what = format!("{} {}", t.name, who.mode());
            let (status, _, analyst_session) = login(&server, "analyst@a.example", PASSWORD);
            assert_eq!(status, 303, "{what}");
            let analyst_session = analyst_session.expect("session");
            // Both work, and the token is now in the server's cache.
            assert_eq!(token_works(&server, &p.analyst_a_token), 200, "{what}");
            assert_eq!(session_works(&server, &analyst_session), 200, "{what}");

            let path = format!("/admin/users/{analyst}/disable");
            let (status, body) = post(&server, &who, &path, &[]);
            assert_eq!(status, 200, "{what}: {body}");
            assert_audited(&t.store, "user.disable", admin, analyst).await;
            assert_eq!(
                token_works(&server, &p.analyst_a_token),
                401,
                "{what}: token"
            );
            assert_eq!(
                session_works(&server, &analyst_session),
                401,
                "{what}: session"
            );
            // The right password gets the same answer as a wrong one.
            let (status, body, cookie) = login(&server, "analyst@a.example", PASSWORD);
            assert_eq!((status, cookie), (wrong_status, None), "{what}");
            assert_eq!(login_error(&body), login_error(&wrong_body), "{what}");

            let path = format!("/admin/users/{analyst}/enable");
            let (status, body) = post(&server, &who, &path, &[]);
            assert_eq!(status, 200, "{what}: {body}");
            assert_audited(&t.store, "user.enable", admin, analyst).await;
            assert_eq!(token_works(&server, &p.analyst_a_token), 200, "{what}");
            // The sessions disabling ended stay ended.
            assert_eq!(session_works(&server, &analyst_session), 401, "{what}");
        }
    }
}

/// The reset link's secret, from the link shown on the users page.
fn shown_reset_link(body: &str) -> String {
    let marker = "id=\"reset-link\" href=\"";
    let start = body
        .find(marker)
        .map(|i| i + marker.len())
        .expect("reset link shown");
    body[start..].split('"').next().expect("link").to_owned()
}

fn set_password(server: &Server, link: &str, password: &str) -> (u16, String) {
    let secret = link.split_once("token=").expect("token").1;
    let (status, _, body) = post_public_form(
        server,
        "/login",
        "/password-reset",
        &[("token", secret), ("password", password)],
    );
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_link_sets_a_new_password_once_and_ends_the_sessions() {
    for t in support::stores("accounts_reset").await {
        let p = people(&t.store).await;
        let server = Server::start(&t.location);
        let admin = id_of(&t.store, "admin@a.example").await;
        let analyst = id_of(&t.store, "analyst@a.example").await;
        let who = admin_session(&server, "admin@a.example");
        let (_, _, old_session) = login(&server, "analyst@a.example", PASSWORD);
        let old_session = old_session.expect("session");

        let (status, body) = post(&server, &who, &format!("/admin/users/{analyst}/reset"), &[]);
        assert_eq!(status, 200, "{}: {body}", t.name);
        assert_audited(&t.store, "user.reset_link", admin, analyst).await;
        let link = shown_reset_link(&body);
        let secret = link.split_once("token=").expect("token").1.to_owned();
        // Only a SHA-256 of the secret is stored.
        let digest = support::hex(&sha2::Sha256::digest(secret.as_bytes()));
        let stored = password_reset::Entity::find()
            .filter(password_reset::Column::UserId.eq(analyst))
            .all(t.store.db())
            .await
            .expect("db");
        assert_eq!(stored.len(), 1, "{}", t.name);
        assert_eq!(stored[0].secret_hash, digest, "{}", t.name);
        let lifetime = stored[0].expires_at - stored[0].created_at;
        assert_eq!(lifetime, time::Duration::hours(24), "{}", t.name);
        // The form opens, and is refused without its form token.
        let (status, _, page) = server.raw("GET", &link, &[], b"");
        assert_eq!(status, 200, "{}: {page}", t.name);
        let (status, _, _) = server.raw(
            "POST",
            "/password-reset",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            format!("csrf=forged&token={secret}&password=another+long+passphrase").as_bytes(),
        );
        assert_eq!(status, 403, "{}", t.name);

        let (status, body) = set_password(&server, &link, "a brand new passphrase");
        assert_eq!(status, 303, "{}: {body}", t.name);
        assert_eq!(
            session_works(&server, &old_session),
            401,
            "{}: old session",
            t.name
        );
        assert_eq!(
            login(&server, "analyst@a.example", PASSWORD).0,
            401,
            "{}",
            t.name
        );
        // Once only.
        let (status, _, _) = server.raw("GET", &link, &[], b"");
        assert_eq!(status, 404, "{}", t.name);
        let (status, _) = set_password(&server, &link, "yet another passphrase");
        assert_eq!(status, 404, "{}", t.name);
        assert_eq!(
            login(&server, "analyst@a.example", "yet another passphrase").0,
            401
        );
        assert_eq!(
            login(&server, "analyst@a.example", "a brand new passphrase").0,
            303
        );
        let entries = super::audit_entries(&t.store, "user.password_reset").await;
        assert_eq!(entries.len(), 1, "{}", t.name);
        // The API token is the user's own business: it still works.
        assert_eq!(token_works(&server, &p.analyst_a_token), 200, "{}", t.name);
        a_reset_link_expires(&t, &server, &who, analyst).await;
    }
}

async fn a_reset_link_expires(t: &TestStore, server: &Server, who: &Credentials, user: i32) {
    let (status, body) = post(server, who, &format!("/admin/users/{user}/reset"), &[]);
    assert_eq!(status, 200, "{}: {body}", t.name);
    let link = shown_reset_link(&body);
    // As if a day had passed: the link's time is up.
    let past = lindung::helpers::now() - time::Duration::minutes(1);
    password_reset::Entity::update_many()
        .col_expr(
            password_reset::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(past),
        )
        .filter(password_reset::Column::UserId.eq(user))
        .exec(t.store.db())
        .await
        .expect("db");
    let (status, _, _) = server.raw("GET", &link, &[], b"");
    assert_eq!(status, 404, "{}: an expired link", t.name);
    let (status, _) = set_password(server, &link, "an expired passphrase");
    assert_eq!(status, 404, "{}: an expired link", t.name);
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_act_only_on_their_own_organisations_users() {
    for t in support::stores("accounts_org_scope").await {
        let p = people(&t.store).await;
        let server = Server::start(&t.location);
        let analyst_b = id_of(&t.store, "analyst@b.example").await;
        let (_, _, b_session) = login(&server, "analyst@b.example", PASSWORD);
        let b_session = b_session.expect("session");
        let session = admin_session(&server, "admin@a.example");
        let actions = ["disable", "enable", "reset", "sessions/end"];
        for who in [Credentials::Token(p.admin_a_token.clone()), session] {
            let what = format!("{} {}", t.name, who.mode());
            for action in actions {
                let (status, body) = post(
                    &server,
                    &who,
                    &format!("/admin/users/{analyst_b}/{action}"),
                    &[],
                );
                assert_refused(status, &body, &format!("{what}: {action}"));
                assert!(!body.contains("reset-link"), "{what}");
            }
            // Nor may they revoke the user's API token.
            let token_b = api_token::Entity::find()
                .filter(api_token::Column::UserId.eq(analyst_b))
                .one(t.store.db())
                .await
                .expect("db")
                .expect("token");
            let path = format!("/admin/tokens/{}/revoke", token_b.id);
            let (status, body) = post(&server, &who, &path, &[]);
            assert_refused(status, &body, &format!("{what}: revoke"));
            // Nothing happened to the user.
            assert_eq!(token_works(&server, &p.analyst_b_token), 200, "{what}");
            assert_eq!(session_works(&server, &b_session), 200, "{what}");
            // Nor are they listed.
            let page = match &who {
                Credentials::Token(token) => {
                    server
                        .request("GET", "/admin/users", Some(token), &[], b"")
                        .1
                }
                Credentials::Session { cookie, .. } => {
                    server
                        .raw("GET", "/admin/users", &[("Cookie", cookie)], b"")
                        .2
                }
            };
            assert!(page.contains("analyst@a.example"), "{what}");
            assert!(!page.contains("analyst@b.example"), "{what}");
        }
        for action in [
            "user.disable",
            "user.enable",
            "user.reset_link",
            "user.sessions_end",
        ] {
            assert!(
                super::audit_entries(&t.store, action).await.is_empty(),
                "{action}"
            );
        }
        the_deployment_admin_acts_on_every_organisation(&t, &server, &p, analyst_b, &b_session)
            .await;
    }
}

async fn the_deployment_admin_acts_on_every_organisation(
    t: &TestStore,
    server: &Server,
    p: &super::People,
    analyst_b: i32,
    b_session: &str,
) {
    let root = id_of(&t.store, "root@deploy.example").await;
    let who = Credentials::Token(p.root_token.clone());
    let (status, body) = post(
        server,
        &who,
        &format!("/admin/users/{analyst_b}/sessions/end"),
        &[],
    );
    assert_eq!(status, 200, "{}: {body}", t.name);
    assert_audited(&t.store, "user.sessions_end", root, analyst_b).await;
    assert_eq!(session_works(server, b_session), 401, "{}: ended", t.name);
    assert_eq!(token_works(server, &p.analyst_b_token), 200, "{}", t.name);
    for (action, audited) in [("reset", "user.reset_link"), ("disable", "user.disable")] {
        let (status, body) = post(
            server,
            &who,
            &format!("/admin/users/{analyst_b}/{action}"),
            &[],
        );
        assert_eq!(status, 200, "{}: {action}: {body}", t.name);
        assert_audited(&t.store, audited, root, analyst_b).await;
    }
    assert_eq!(token_works(server, &p.analyst_b_token), 401, "{}", t.name);
    // An admin of B acts on B's users too.
    let admin_b = support::user(
        &t.store,
        "admin2@b.example",
        lindung::access::Role::Admin,
        Some("org-b"),
    )
    .await;
    let admin_b_id = id_of(&t.store, "admin2@b.example").await;
    let (status, body) = post(
        server,
        &Credentials::Token(admin_b),
        &format!("/admin/users/{analyst_b}/enable"),
        &[],
    );
    assert_eq!(status, 200, "{}: {body}", t.name);
    assert_audited(&t.store, "user.enable", admin_b_id, analyst_b).await;
    assert_eq!(token_works(server, &p.analyst_b_token), 200, "{}", t.name);
}
