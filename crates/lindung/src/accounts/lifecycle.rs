//! The users page's lifecycle actions: disable and enable a user, end their sessions, and
//! issue a one-time password-reset link. Each checks the user's organisation against the
//! admin's (see `access::admins`).

use crate::http::Form;
use axum::extract::{FromRef, Path, State};
use axum::http::HeaderMap;

use super::AccountsContext;
use super::admin::{ADMIN, CsrfForm, Shown, users_page};
use crate::access::{Administrator, lifecycle};
use crate::http::{Access, Caller, Chrome, Endpoint, OrPage, PageResult};

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    AccountsContext: FromRef<S>,
{
    let admin = Access::Page(ADMIN);
    vec![
        Endpoint::post("/admin/users/{id}/disable", admin, disable),
        Endpoint::post("/admin/users/{id}/enable", admin, enable),
        Endpoint::post("/admin/users/{id}/sessions/end", admin, end_sessions),
        Endpoint::post("/admin/users/{id}/reset", admin, reset_link),
    ]
}

/// The path of the page a reset link opens.
pub const RESET_PATH: &str = "/password-reset";

async fn administrator(
    state: &AccountsContext,
    headers: &HeaderMap,
    caller: &Caller,
    form: &CsrfForm,
) -> Result<Administrator, crate::http::PageError> {
    caller.check_csrf(form.csrf.as_deref()).or_page(headers)?;
    Administrator::of(&state.store, &caller.principal)
        .await
        .or_page(headers)
}

async fn set_disabled(
    state: AccountsContext,
    headers: HeaderMap,
    caller: Caller,
    id: i32,
    form: CsrfForm,
    disabled: bool,
) -> PageResult {
    let by = administrator(&state, &headers, &caller, &form).await?;
    let changed = lifecycle::set_disabled(&state.store, &caller.actor(), &by, id, disabled)
        .await
        .or_page(&headers)?;
    // Cached tokens are trusted for a moment: forget them so the user's stop at once.
    state.auth.forget_tokens();
    let key = if disabled {
        "user-disabled"
    } else {
        "user-enabled"
    };
    let notice =
        Chrome::for_caller(&caller, &headers, "users-title")
            .tr
            .t1(key, "email", &changed.email);
    users_page(&state, &headers, &caller, Shown::Notice(notice)).await
}

async fn disable(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i32>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    set_disabled(state, headers, caller, id, form, true).await
}

async fn enable(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i32>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    set_disabled(state, headers, caller, id, form, false).await
}

async fn end_sessions(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i32>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let by = administrator(&state, &headers, &caller, &form).await?;
    let ended = lifecycle::end_sessions(&state.store, &caller.actor(), &by, id)
        .await
        .or_page(&headers)?;
    let notice = Chrome::for_caller(&caller, &headers, "users-title").tr.t1(
        "sessions-ended",
        "count",
        ended,
    );
    users_page(&state, &headers, &caller, Shown::Notice(notice)).await
}

async fn reset_link(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i32>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let by = administrator(&state, &headers, &caller, &form).await?;
    let secret = lifecycle::issue_reset(&state.store, &caller.actor(), &by, id)
        .await
        .or_page(&headers)?;
    let link = format!("{RESET_PATH}?token={secret}");
    users_page(&state, &headers, &caller, Shown::ResetLink(link)).await
}
