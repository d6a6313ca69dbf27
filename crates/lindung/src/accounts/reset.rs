//! The page a one-time password-reset link opens: the user sets a new password. The form
//! carries its own CSRF token (double submit, as `/setup` and `/login` do); the link works
//! once and until it expires, and using it ends the user's sessions.

use crate::http::Form;
use askama::Template;
use axum::extract::{FromRef, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::AccountsContext;
use super::lifecycle::RESET_PATH;
use super::sessions::{FORM_COOKIE, anonymous_form, form_token_matches};
use crate::access::{AccessError, lifecycle};
use crate::http::{
    Access, ApiError, Chrome, ClientAddr, Endpoint, OrPage, PageError, PageResult, set_cookie,
    translator,
};

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    AccountsContext: FromRef<S>,
    crate::http::AuthContext: FromRef<S>,
{
    vec![
        Endpoint::get(RESET_PATH, Access::Public, reset_form),
        Endpoint::post(RESET_PATH, Access::Public, reset),
    ]
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    chrome: Chrome,
    form_csrf: String,
    token: String,
    error: Option<String>,
}

fn reset_page(
    headers: &HeaderMap,
    token: &str,
    status: StatusCode,
    error: Option<String>,
) -> PageResult {
    anonymous_form(headers, status, |form_csrf| ResetPage {
        chrome: Chrome::anonymous(headers, "password-reset-title"),
        form_csrf,
        token: token.to_owned(),
        error,
    })
}

fn link_not_valid(headers: &HeaderMap) -> PageError {
    PageError::new(
        headers,
        ApiError::not_found(
            "this password-reset link is not valid: it works once, for 24 hours; ask an \
             administrator for a new one",
        ),
    )
}

#[derive(Deserialize)]
struct ResetQuery {
    token: Option<String>,
}

async fn reset_form(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    Query(q): Query<ResetQuery>,
) -> PageResult {
    let token = q.token.unwrap_or_default();
    if lifecycle::live_reset(&state.store, &token)
        .await
        .or_page(&headers)?
        .is_none()
    {
        return Err(link_not_valid(&headers));
    }
    reset_page(&headers, &token, StatusCode::OK, None)
}

#[derive(Deserialize)]
struct ResetForm {
    /// Missing, it is empty, and so refused as a wrong token (403).
    #[serde(default)]
    csrf: String,
    token: String,
    password: String,
}

async fn reset(
    State(state): State<AccountsContext>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> PageResult {
    if !form_token_matches(&headers, &form.csrf) {
        let message = translator(&headers).t("form-expired");
        return reset_page(&headers, &form.token, StatusCode::FORBIDDEN, Some(message));
    }
    let source = Some(client.0.to_string());
    match lifecycle::reset_password(&state.store, &form.token, &form.password, source).await {
        Ok(true) => {
            let mut response = Redirect::to("/login").into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, set_cookie(FORM_COOKIE, "", 0));
            Ok(response)
        }
        Ok(false) => Err(link_not_valid(&headers)),
        Err(AccessError::Invalid(_, message)) => reset_page(
            &headers,
            &form.token,
            StatusCode::BAD_REQUEST,
            Some(message),
        ),
        Err(e) => Err(PageError::new(&headers, e.into())),
    }
}
