//! Admin pages: users and their tokens, and the audit log.

use askama::Template;
use axum::Form;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;

use super::AccountsContext;
use crate::access::entities::{api_token, audit_entry, organisation, user};
use crate::access::{self, Administrator, Role, audit};
use crate::http::{
    Access, ApiError, Caller, Chrome, Endpoint, OrPage, PageError, PageResult, render,
};

pub(super) const ADMIN: &[Role] = &[Role::Admin];

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    AccountsContext: FromRef<S>,
{
    let admin = Access::Page(ADMIN);
    vec![
        Endpoint::get("/admin/users", admin, users),
        Endpoint::post("/admin/users", admin, add_user),
        Endpoint::post("/admin/tokens", admin, create_token),
        Endpoint::post("/admin/tokens/{id}/revoke", admin, revoke_token),
        Endpoint::get("/admin/audit", admin, audit_log),
    ]
}

struct TokenRow {
    id: i32,
    name: String,
    revoked: bool,
}

struct UserRow {
    id: i32,
    email: String,
    role: Role,
    organisation: String,
    disabled: bool,
    tokens: Vec<TokenRow>,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
    roles: Vec<&'static str>,
    new_token: Option<String>,
    reset_link: Option<String>,
}

/// What the users page shows above the list after a change.
pub(super) enum Shown {
    Nothing,
    Notice(String),
    /// A new API token's secret, shown once.
    Token(String),
    /// A new password-reset link, shown once, for the admin to hand over.
    ResetLink(String),
}

/// The users page: a deployment administrator sees every organisation's users, an
/// organisation administrator their own organisation's.
pub(super) async fn users_page(
    state: &AccountsContext,
    headers: &HeaderMap,
    caller: &Caller,
    shown: Shown,
) -> PageResult {
    let db = state.store.db();
    let by = Administrator::of(&state.store, &caller.principal)
        .await
        .or_page(headers)?;
    let mut query = user::Entity::find().order_by_asc(user::Column::Email);
    if let Some(own) = by.confined_to() {
        query = query.filter(user::Column::OrganisationId.eq(own));
    }
    let all_users = query.all(db).await.or_page(headers)?;
    let organisations = organisation::Entity::find()
        .all(db)
        .await
        .or_page(headers)?;
    let tokens = api_token::Entity::find()
        .order_by_asc(api_token::Column::Id)
        .all(db)
        .await
        .or_page(headers)?;
    let users = all_users
        .into_iter()
        .map(|u| UserRow {
            tokens: tokens
                .iter()
                .filter(|t| t.user_id == u.id)
                .map(|t| TokenRow {
                    id: t.id,
                    name: t.name.clone(),
                    revoked: t.revoked_at.is_some(),
                })
                .collect(),
            organisation: organisations
                .iter()
                .find(|o| o.id == u.organisation_id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            id: u.id,
            email: u.email,
            role: u.role,
            disabled: u.disabled,
        })
        .collect();
    let mut chrome = Chrome::for_caller(caller, headers, "users-title");
    let (mut new_token, mut reset_link) = (None, None);
    match shown {
        Shown::Nothing => {}
        Shown::Notice(n) => chrome = chrome.with_notice(n),
        Shown::Token(secret) => new_token = Some(secret),
        Shown::ResetLink(link) => reset_link = Some(link),
    }
    let page = UsersPage {
        chrome,
        users,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        new_token,
        reset_link,
    };
    Ok(render(StatusCode::OK, &page))
}

async fn users(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
) -> PageResult {
    users_page(&state, &headers, &caller, Shown::Nothing).await
}

#[derive(Deserialize)]
struct AddUserForm {
    csrf: Option<String>,
    email: String,
    role: String,
    org: Option<String>,
    password: String,
}

async fn add_user(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
    Form(form): Form<AddUserForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let role: Role = form
        .role
        .parse()
        .map_err(ApiError::bad_request)
        .or_page(&headers)?;
    let org = form.org.as_deref().map(str::trim).filter(|o| !o.is_empty());
    let by = Administrator::of(&state.store, &caller.principal)
        .await
        .or_page(&headers)?;
    let created = access::add_user_as(
        &state.store,
        &caller.actor(),
        &by,
        &form.email,
        role,
        org,
        &form.password,
    )
    .await
    .or_page(&headers)?;
    let notice = crate::http::translator(&headers).t1("user-added", "email", &created.email);
    users_page(&state, &headers, &caller, Shown::Notice(notice)).await
}

#[derive(Deserialize)]
struct TokenForm {
    csrf: Option<String>,
    email: String,
    name: String,
}

async fn create_token(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
    Form(form): Form<TokenForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let by = Administrator::of(&state.store, &caller.principal)
        .await
        .or_page(&headers)?;
    let secret =
        access::create_token_as(&state.store, &caller.actor(), &by, &form.email, &form.name)
            .await
            .or_page(&headers)?;
    users_page(&state, &headers, &caller, Shown::Token(secret)).await
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    pub(super) csrf: Option<String>,
}

async fn revoke_token(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i32>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let by = Administrator::of(&state.store, &caller.principal)
        .await
        .or_page(&headers)?;
    if !access::revoke_token_as(&state.store, &caller.actor(), &by, id)
        .await
        .or_page(&headers)?
    {
        return Err(PageError::new(
            &headers,
            ApiError::not_found("no such live token"),
        ));
    }
    state.auth.forget_tokens();
    let notice = crate::http::translator(&headers).t("token-revoked");
    users_page(&state, &headers, &caller, Shown::Notice(notice)).await
}

struct AuditRow {
    id: i64,
    at: String,
    actor: String,
    action: String,
    record: String,
    source: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    verdict: String,
    entries: Vec<AuditRow>,
}

/// The newest entries shown on the audit page.
const AUDIT_PAGE_SIZE: u64 = 200;

async fn audit_log(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
) -> PageResult {
    let tr = crate::http::translator(&headers);
    let report = audit::verify(&state.store).await.or_page(&headers)?;
    let verdict = match report.first_broken {
        None => tr.t1("audit-intact", "count", report.entries),
        Some((id, reason)) => format!("{} {id}: {reason}", tr.t("audit-broken")),
    };
    let rows = audit_entry::Entity::find()
        .order_by_desc(audit_entry::Column::Id)
        .limit(AUDIT_PAGE_SIZE)
        .all(state.store.db())
        .await
        .or_page(&headers)?;
    let entries = rows
        .into_iter()
        .map(|e| AuditRow {
            id: e.id,
            at: crate::helpers::rfc3339(e.at),
            actor: e.actor,
            action: e.action,
            record: format!("{} {}", e.record_type, e.record_id.unwrap_or_default()),
            source: e.source.unwrap_or_default(),
        })
        .collect();
    let page = AuditPage {
        chrome: Chrome::for_caller(&caller, &headers, "audit-title"),
        verdict,
        entries,
    };
    Ok(render(StatusCode::OK, &page))
}
