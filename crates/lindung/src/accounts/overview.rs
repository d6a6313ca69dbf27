//! The admin's overview (`/admin`) and the platform's page (`/platform`): where those roles
//! land after logging in.

use askama::Template;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, StatusCode, header};
use sea_orm::sea_query::{Alias, Asterisk, Expr, Func, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
};

use super::AccountsContext;
use super::admin::{ADMIN, chain_verdict};
use crate::access::entities::{api_token, user};
use crate::access::{Administrator, Role};
use crate::http::{Access, Caller, Chrome, Endpoint, OrPage, PageResult, render};

const PLATFORM: &[Role] = &[Role::Platform];

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    AccountsContext: FromRef<S>,
{
    vec![
        Endpoint::get("/admin", Access::Page(ADMIN), admin_overview),
        Endpoint::get("/platform", Access::Page(PLATFORM), platform_page),
    ]
}

#[derive(Template)]
#[template(path = "admin_overview.html")]
struct OverviewPage {
    chrome: Chrome,
    users: i64,
    banks: i64,
    open_reports: i64,
    open_cases: i64,
    verdict: String,
    intact: bool,
    offer_check: bool,
}

/// Counts the rows of `table`, within one organisation when `own` is given. The accounts
/// domain names no other domain's code (the layering rule), so the other domains' tables are
/// read here by name, for their counts only.
async fn count(
    db: &impl ConnectionTrait,
    table: &'static str,
    own: Option<i32>,
    open_only: impl FnOnce(&mut SelectStatement),
) -> Result<i64, DbErr> {
    let mut query = Query::select();
    query
        .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"))
        .from(Alias::new(table));
    if let Some(own) = own {
        query.and_where(Expr::col(Alias::new("organisation_id")).eq(own));
    }
    open_only(&mut query);
    let row = db.query_one(&query).await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

async fn admin_overview(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
) -> PageResult {
    let db = state.store.db();
    let by = Administrator::of(&state.store, &caller.principal)
        .await
        .or_page(&headers)?;
    // An organisation's admin sees its own organisation's numbers, as on the users page.
    let own = by.confined_to();
    let users = count(db, "users", own, |_| {}).await.or_page(&headers)?;
    let banks = count(db, "banks", own, |_| {}).await.or_page(&headers)?;
    // Removed and closed reports are done; the rest are still being worked.
    let open_reports = count(db, "hotline_reports", own, |q| {
        q.and_where(Expr::col(Alias::new("status")).is_not_in(["removed", "closed"]));
    })
    .await
    .or_page(&headers)?;
    let open_cases = count(db, "care_cases", own, |q| {
        q.and_where(Expr::col(Alias::new("closed_at")).is_null());
    })
    .await
    .or_page(&headers)?;
    let chrome = Chrome::for_caller(&caller, &headers, "overview-title");
    let chain = chain_verdict(&state, &chrome.tr, &by, false)
        .await
        .or_page(&headers)?;
    let page = OverviewPage {
        chrome,
        users,
        banks,
        open_reports,
        open_cases,
        verdict: chain.text,
        intact: chain.intact,
        offer_check: chain.offer_check,
    };
    Ok(render(StatusCode::OK, &page))
}

struct PlatformToken {
    name: String,
    created: String,
    last_used: Option<String>,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "platform.html")]
struct PlatformPage {
    chrome: Chrome,
    tokens: Vec<PlatformToken>,
    /// The site's address as the browser reached it, for the example command.
    site: String,
}

/// The platform's own API tokens (names and times, never a secret: only its digest is kept),
/// where the API is described, and how to call it.
async fn platform_page(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
) -> PageResult {
    let chrome = Chrome::for_caller(&caller, &headers, "platform-title");
    let own = user::Entity::find()
        .filter(user::Column::OrganisationId.eq(caller.principal.organisation_id))
        .filter(user::Column::Role.eq(Role::Platform))
        .all(state.store.db())
        .await
        .or_page(&headers)?;
    let tokens = api_token::Entity::find()
        .filter(api_token::Column::UserId.is_in(own.iter().map(|u| u.id)))
        .order_by_desc(api_token::Column::CreatedAt)
        .all(state.store.db())
        .await
        .or_page(&headers)?
        .into_iter()
        .map(|t| PlatformToken {
            name: t.name,
            created: chrome.tr.when(t.created_at),
            last_used: t.last_used_at.map(|at| chrome.tr.when(at)),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    // Only a plain host name goes into the example; anything else gets a placeholder.
    let site = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .map(|h| format!("https://{h}"))
        .unwrap_or_else(|| "https://lindung.example".to_owned());
    let page = PlatformPage {
        chrome,
        tokens,
        site,
    };
    Ok(render(StatusCode::OK, &page))
}
