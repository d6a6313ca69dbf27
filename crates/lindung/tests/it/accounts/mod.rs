//! Accounts administered over a real server on loopback, with API tokens and with browser
//! sessions: who may mint tokens and add users (`minting`), and an account's lifecycle
//! (`lifecycle`): disabling, one-time password-reset links, ending sessions.

mod audit_scope;
mod lifecycle;
mod minting;

use lindung::access::Role;
use lindung::access::entities::{audit_entry, user};
use lindung::store::Store;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::support::server::Server;
use crate::support::{self, urlencode};

pub const PASSWORD: &str = "a long enough passphrase";

/// How an admin calls the admin pages.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// `Authorization: Bearer`: no CSRF token needed.
    Token(String),
    /// The session cookie, and the session's CSRF token that every form carries.
    Session { cookie: String, csrf: String },
}

impl Credentials {
    pub fn mode(&self) -> &'static str {
        match self {
            Credentials::Token(_) => "token",
            Credentials::Session { .. } => "session",
        }
    }
}

/// The users every scenario starts with: a deployment admin (of the default organisation, as
/// `/setup` makes it), and admins, analysts and platform accounts in organisations A and B.
pub struct People {
    pub root_token: String,
    pub admin_a_token: String,
    pub analyst_a_token: String,
    pub analyst_b_token: String,
}

pub async fn people(store: &Store) -> People {
    let root_token = support::user(store, "root@deploy.example", Role::Admin, None).await;
    let admin_a_token = support::user(store, "admin@a.example", Role::Admin, Some("org-a")).await;
    let analyst_a_token =
        support::user(store, "analyst@a.example", Role::Analyst, Some("org-a")).await;
    support::user(store, "platform@a.example", Role::Platform, Some("org-a")).await;
    support::user(store, "admin@b.example", Role::Admin, Some("org-b")).await;
    let analyst_b_token =
        support::user(store, "analyst@b.example", Role::Analyst, Some("org-b")).await;
    support::user(store, "platform@b.example", Role::Platform, Some("org-b")).await;
    People {
        root_token,
        admin_a_token,
        analyst_a_token,
        analyst_b_token,
    }
}

pub fn cookies(head: &str) -> Vec<(String, String)> {
    head.lines()
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

pub fn cookie(head: &str, name: &str) -> Option<String> {
    cookies(head)
        .into_iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v)
}

pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .map(|i| i + marker.len())
        .unwrap_or_else(|| panic!("no hidden field {name} in {html}"));
    html[start..].split('"').next().expect("value").to_owned()
}

fn encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Posts a public form that carries its own CSRF token (`/login`, `/password-reset`): fetches
/// `form_page` for the form cookie and token first. Returns the status, head and body.
pub fn post_public_form(
    server: &Server,
    form_page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let (status, head, body) = server.raw("GET", form_page, &[], b"");
    assert_eq!(status, 200, "{form_page}: {body}");
    let form_cookie = cookie(&head, "lindung_form").expect("form cookie");
    let csrf = hidden(&body, "csrf");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let cookie_header = format!("lindung_form={form_cookie}");
    server.raw(
        "POST",
        action,
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &cookie_header),
        ],
        encode(&all).as_bytes(),
    )
}

/// Logs in; returns the status, and the session cookie header on success.
pub fn login(server: &Server, email: &str, password: &str) -> (u16, String, Option<String>) {
    let (status, head, body) = post_public_form(
        server,
        "/login",
        "/login",
        &[("email", email), ("password", password)],
    );
    let session = cookie(&head, "lindung_session").map(|s| format!("lindung_session={s}"));
    (status, body, session)
}

/// A signed-in admin's session, with the CSRF token of its pages.
pub fn admin_session(server: &Server, email: &str) -> Credentials {
    let (status, body, session) = login(server, email, PASSWORD);
    assert_eq!(status, 303, "login {email}: {body}");
    let cookie = session.expect("session cookie");
    let (status, _, page) = server.raw("GET", "/admin/users", &[("Cookie", &cookie)], b"");
    assert_eq!(status, 200, "{page}");
    let csrf = hidden(&page, "csrf");
    Credentials::Session { cookie, csrf }
}

/// Posts an admin form as `who`; returns the status and the (HTML) body.
pub fn post(
    server: &Server,
    who: &Credentials,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    match who {
        Credentials::Token(token) => {
            let auth = format!("Bearer {token}");
            let (status, _, body) = server.raw(
                "POST",
                path,
                &[form, ("Authorization", &auth)],
                encode(fields).as_bytes(),
            );
            (status, body)
        }
        Credentials::Session { cookie, csrf } => {
            let mut all = vec![("csrf", csrf.as_str())];
            all.extend_from_slice(fields);
            let (status, _, body) = server.raw(
                "POST",
                path,
                &[form, ("Cookie", cookie)],
                encode(&all).as_bytes(),
            );
            (status, body)
        }
    }
}

/// A refusal as the policy wants it: 403, as an HTML error page.
pub fn assert_refused(status: u16, body: &str, what: &str) {
    assert_eq!(status, 403, "{what}: {body}");
    assert!(
        body.contains("<html") && body.contains("class=\"error\""),
        "{what}: an HTML error page: {body}"
    );
}

pub async fn user_named(store: &Store, email: &str) -> Option<user::Model> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(store.db())
        .await
        .expect("db")
}

pub async fn id_of(store: &Store, email: &str) -> i32 {
    user_named(store, email).await.expect("user").id
}

/// The audit entries with this action, oldest first.
pub async fn audit_entries(store: &Store, action: &str) -> Vec<audit_entry::Model> {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq(action))
        .order_by_asc(audit_entry::Column::Id)
        .all(store.db())
        .await
        .expect("db")
}

/// The newest audit entry with this action names `admin` as who acted, and `record` as what.
pub async fn assert_audited(store: &Store, action: &str, admin: i32, record: i32) {
    let entries = audit_entries(store, action).await;
    let entry = entries
        .last()
        .unwrap_or_else(|| panic!("no {action} entry"));
    assert_eq!(entry.actor_user_id, Some(admin), "{action}: {entry:?}");
    assert_eq!(entry.actor, format!("user:{admin}"), "{action}");
    assert_eq!(
        entry.record_id.as_deref(),
        Some(record.to_string().as_str()),
        "{action}"
    );
}
