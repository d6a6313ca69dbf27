//! Admin pages: users and their tokens, and the audit log.

use crate::http::Form;
use askama::Template;
use std::collections::HashMap;

use axum::extract::{FromRef, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;

use super::AccountsContext;
use crate::access::entities::{api_token, organisation, user};
use crate::access::{self, Administrator, Role, audit};
use crate::http::i18n::Tr;
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
    /// The role in words.
    role: String,
    organisation: String,
    disabled: bool,
    tokens: Vec<TokenRow>,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
    /// The roles a new user may have: (value, label).
    roles: Vec<(&'static str, String)>,
    new_token: Option<String>,
    reset_link: Option<String>,
    status: StatusCode,
    /// The add-user form as typed, when it was refused.
    typed: TypedUser,
}

/// What the admin typed into the add-user form, kept when it is refused so nothing is typed
/// twice, with the field at fault and why (never the password: it is typed again).
#[derive(Clone, Debug, Default)]
pub(super) struct TypedUser {
    email: String,
    role: String,
    org: String,
    /// The field at fault (`email`, `role`, `org`, `password`) and the message.
    error: Option<(String, String)>,
    /// The refusal's status, as the API would answer (409 for an email taken, 422 for a value
    /// that is not valid).
    status: StatusCode,
}

impl TypedUser {
    fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|(f, _)| f == field)
    }
}

/// A role in words.
pub(super) fn role_label(tr: &Tr, role: Role) -> String {
    tr.t(&format!("role-{}", role.as_str()))
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
    users_page_with(state, headers, caller, shown, TypedUser::default()).await
}

async fn users_page_with(
    state: &AccountsContext,
    headers: &HeaderMap,
    caller: &Caller,
    shown: Shown,
    typed: TypedUser,
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
    let tr = Chrome::for_caller(caller, headers, "users-title").tr;
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
            role: role_label(&tr, u.role),
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
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), role_label(&tr, *r)))
            .collect(),
        new_token,
        reset_link,
        status: typed.status,
        typed,
    };
    Ok(render(page.status, &page))
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
    let tr = Chrome::for_caller(&caller, &headers, "users-title").tr;
    let refused = |field: &str, message: String, status: StatusCode| TypedUser {
        email: form.email.clone(),
        role: form.role.clone(),
        org: form.org.clone().unwrap_or_default(),
        error: Some((field.to_owned(), message)),
        status,
    };
    let Ok(role) = form.role.parse::<Role>() else {
        let typed = refused("role", tr.t("error-invalid"), StatusCode::BAD_REQUEST);
        return users_page_with(&state, &headers, &caller, Shown::Nothing, typed).await;
    };
    let org = form.org.as_deref().map(str::trim).filter(|o| !o.is_empty());
    let by = Administrator::of(&state.store, &caller.principal)
        .await
        .or_page(&headers)?;
    let created = match access::add_user_as(
        &state.store,
        &caller.actor(),
        &by,
        &form.email,
        role,
        org,
        &form.password,
    )
    .await
    {
        Ok(created) => created,
        Err(e @ access::AccessError::EmailTaken(_)) => {
            let status = ApiError::from(e).status;
            let typed = refused("email", tr.t("error-email_taken"), status);
            return users_page_with(&state, &headers, &caller, Shown::Nothing, typed).await;
        }
        Err(access::AccessError::Invalid(field, message)) => {
            // The kind of fault in the admin's language, then the detail as the domain wrote it.
            let status = ApiError::invalid(field, message.clone()).status;
            let text = format!("{} ({message})", tr.t("error-invalid"));
            let typed = refused(field, text, status);
            return users_page_with(&state, &headers, &caller, Shown::Nothing, typed).await;
        }
        Err(e) => return Err(PageError::new(&headers, e.into())),
    };
    let notice = tr.t1("user-added", "email", &created.email);
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
    let notice = Chrome::for_caller(&caller, &headers, "users-title")
        .tr
        .t("token-revoked");
    users_page(&state, &headers, &caller, Shown::Notice(notice)).await
}

struct AuditRow {
    /// When (the newest entry's time, for a run of reads).
    at: String,
    /// For a run of reads: how many, and when the first was.
    reads: Option<(usize, String)>,
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
    intact: bool,
    offer_check: bool,
    entries: Vec<AuditRow>,
    filter: AuditQuery,
    /// The filter menus: (value, label).
    actors: Vec<(String, String)>,
    actions: Vec<(String, String)>,
    record_types: Vec<(String, String)>,
    /// Links to the newer and the older page, keeping the filter.
    newer: Option<String>,
    older: Option<String>,
    page_number: u64,
}

/// Entries per page of the audit log.
const AUDIT_PAGE_SIZE: u64 = 50;

/// The audit page's filter and page, from its GET form.
#[derive(Clone, Debug, Default, Deserialize)]
struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    record_type: String,
    #[serde(default)]
    record_id: String,
    /// 0 is the newest page.
    #[serde(default)]
    page: u64,
    /// Non-empty: check the whole chain now.
    #[serde(default)]
    verify: String,
}

impl AuditQuery {
    fn filter(&self) -> audit::AuditFilter {
        let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        audit::AuditFilter {
            actor: given(&self.actor),
            action: given(&self.action),
            record_type: given(&self.record_type),
            record_id: given(&self.record_id),
            organisation: None,
        }
    }

    /// This filter's address at another page.
    fn link(&self, page: u64) -> String {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("actor", self.actor.trim())
            .append_pair("action", self.action.trim())
            .append_pair("record_type", self.record_type.trim())
            .append_pair("record_id", self.record_id.trim())
            .append_pair("page", &page.to_string())
            .finish();
        format!("/admin/audit?{query}")
    }
}

/// The audit chain's verdict in words, and whether it is intact.
/// What the page says of the audit chain. Checking reads and hashes every entry, so it runs
/// when the deployment's admin asks (`?verify=1`), never on every page load; an organisation's
/// admin sees only their organisation's entries and cannot judge the whole chain.
pub(super) struct ChainVerdict {
    pub text: String,
    pub intact: bool,
    /// Offer the link that checks the chain now.
    pub offer_check: bool,
}

pub(super) async fn chain_verdict(
    state: &AccountsContext,
    tr: &Tr,
    by: &Administrator,
    check_now: bool,
) -> Result<ChainVerdict, sea_orm::DbErr> {
    if by.confined_to().is_some() {
        return Ok(ChainVerdict {
            text: tr.t("audit-chain-deployment"),
            intact: true,
            offer_check: false,
        });
    }
    if !check_now {
        return Ok(ChainVerdict {
            text: tr.t("audit-chain-unchecked"),
            intact: true,
            offer_check: true,
        });
    }
    let report = audit::verify(&state.store).await?;
    Ok(match report.first_broken {
        None => ChainVerdict {
            text: tr.t1("audit-intact", "count", report.entries),
            intact: true,
            offer_check: false,
        },
        Some((id, reason)) => ChainVerdict {
            text: format!("{} {id}: {reason}", tr.t("audit-broken")),
            intact: false,
            offer_check: false,
        },
    })
}

/// A readable, lowercase version of a machine name (`hotline.report.claim` → `hotline report
/// claim`), for an action or record kind that has no words yet.
fn humanize(name: &str) -> String {
    name.replace(['.', '_'], " ")
}

/// An action in words: its label, a refusal of a labelled action, or the name made readable.
pub(super) fn action_label(tr: &Tr, action: &str) -> String {
    if let Some(label) = tr.try_t(&action_key(action)) {
        return label;
    }
    if let Some(refused) = action.strip_suffix(".denied") {
        return tr.t1("audit-action-denied", "action", action_label(tr, refused));
    }
    humanize(action)
}

/// The message key of an action's label (Fluent keys have no dots).
pub fn action_key(action: &str) -> String {
    format!("audit-action-{}", action.replace('.', "-"))
}

/// A record in words: "report 12", "case 4".
fn record_label(tr: &Tr, kind: &str, id: Option<&str>) -> String {
    let id = id.unwrap_or_default();
    // Whether the kind has words is asked of its name alone: the record's message needs the
    // number, which a lookup without arguments does not have.
    tr.try_t(&format!("audit-kind-{kind}"))
        .map(|_| tr.t1(&format!("audit-record-{kind}"), "id", id))
        .unwrap_or_else(|| format!("{} {id}", humanize(kind)))
        .trim()
        .to_owned()
}

/// Who an actor is in words: a user by email, else what the server or the public did.
fn actor_label(tr: &Tr, actor: &str, emails: &HashMap<i32, String>) -> String {
    if let Some(id) = actor
        .strip_prefix("user:")
        .and_then(|id| id.parse::<i32>().ok())
    {
        return emails
            .get(&id)
            .cloned()
            .unwrap_or_else(|| tr.t1("audit-actor-gone", "id", id));
    }
    tr.try_t(&format!("audit-actor-{actor}"))
        .unwrap_or_else(|| humanize(actor))
}

fn user_ids<'a>(actors: impl IntoIterator<Item = &'a String>) -> Vec<i32> {
    actors
        .into_iter()
        .filter_map(|a| a.strip_prefix("user:").and_then(|id| id.parse().ok()))
        .collect()
}

/// The furthest page the audit page goes back (50 entries a page): older entries are found with
/// the filters, not by paging through half a million rows.
const MAX_AUDIT_PAGE: u64 = 10_000;

async fn audit_log(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> PageResult {
    let chrome = Chrome::for_caller(&caller, &headers, "audit-title");
    let tr = chrome.tr.clone();
    let by = Administrator::of(&state.store, &caller.principal)
        .await
        .or_page(&headers)?;
    // An organisation's admin reads what their own organisation's people did, nothing more.
    let own = by.confined_to();
    let chain = chain_verdict(&state, &tr, &by, !query.verify.is_empty())
        .await
        .or_page(&headers)?;
    let filter = audit::AuditFilter {
        organisation: own,
        ..query.filter()
    };
    let page_number = query.page.min(MAX_AUDIT_PAGE);
    let (entries, more) = audit::list(&state.store, &filter, page_number, AUDIT_PAGE_SIZE)
        .await
        .or_page(&headers)?;
    let all_actors = audit::actors(&state.store, own).await.or_page(&headers)?;
    let emails = access::user_emails(
        &state.store,
        user_ids(all_actors.iter().chain(entries.iter().map(|e| &e.actor))),
    )
    .await
    .or_page(&headers)?;
    let rows = audit::group_reads(entries)
        .into_iter()
        .map(|g| AuditRow {
            at: tr.when(g.newest.at),
            reads: (g.count > 1).then(|| (g.count, tr.when(g.first_at))),
            actor: actor_label(&tr, &g.newest.actor, &emails),
            action: action_label(&tr, &g.newest.action),
            record: record_label(&tr, &g.newest.record_type, g.newest.record_id.as_deref()),
            source: g.newest.source.unwrap_or_default(),
        })
        .collect();
    let mut actors: Vec<(String, String)> = all_actors
        .iter()
        .map(|a| (a.clone(), actor_label(&tr, a, &emails)))
        .collect();
    actors.sort_by(|a, b| a.1.cmp(&b.1));
    let mut actions: Vec<(String, String)> = audit::actions(&state.store, own)
        .await
        .or_page(&headers)?
        .into_iter()
        .map(|a| {
            let label = action_label(&tr, &a);
            (a, label)
        })
        .collect();
    actions.sort_by(|a, b| a.1.cmp(&b.1));
    let record_types = audit::record_types(&state.store, own)
        .await
        .or_page(&headers)?
        .into_iter()
        .map(|kind| {
            let label = tr
                .try_t(&format!("audit-kind-{kind}"))
                .unwrap_or_else(|| humanize(&kind));
            (kind, label)
        })
        .collect();
    let page = AuditPage {
        newer: (page_number > 0).then(|| query.link(page_number - 1)),
        older: (more && page_number < MAX_AUDIT_PAGE).then(|| query.link(page_number + 1)),
        page_number: page_number + 1,
        chrome,
        verdict: chain.text,
        intact: chain.intact,
        offer_check: chain.offer_check,
        entries: rows,
        filter: query,
        actors,
        actions,
        record_types,
    };
    Ok(render(StatusCode::OK, &page))
}
