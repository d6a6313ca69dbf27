//! Signing in and out: the login form, the one-time first-admin setup, logout and the
//! interface language. Forms shown before login carry their own CSRF token.

use crate::http::Form;
use askama::Template;
use axum::extract::{FromRef, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::AccountsContext;
use crate::access::sessions::{self, LoginOutcome};
use crate::access::{self, Role};
use crate::http::{
    Access, ApiError, Caller, Chrome, ClientAddr, Endpoint, OrPage, PageError, PageResult,
    SESSION_COOKIE, constant_time_eq, cookie, render, set_cookie, translator,
};

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    AccountsContext: FromRef<S>,
    crate::http::AuthContext: FromRef<S>,
{
    vec![
        Endpoint::get("/login", Access::Public, login_form),
        Endpoint::post("/login", Access::Public, login),
        Endpoint::get("/setup", Access::Public, setup_form),
        Endpoint::post("/setup", Access::Public, setup),
        Endpoint::post("/logout", Access::Page(Role::ALL), logout),
        Endpoint::post("/account/language", Access::Page(Role::ALL), set_language),
        Endpoint::get("/account", Access::Page(Role::ALL), account),
    ]
}

pub(super) const FORM_COOKIE: &str = "lindung_form";

/// Forms shown before login carry a random token that must match a cookie set with them
/// (double submit), so another site cannot post them on a visitor's behalf.
pub(super) fn fresh_form_token() -> Result<String, ApiError> {
    access::new_secret("").map_err(ApiError::internal)
}

pub(super) fn form_token_matches(headers: &HeaderMap, submitted: &str) -> bool {
    cookie(headers, FORM_COOKIE).is_some_and(|expected| {
        !submitted.is_empty() && constant_time_eq(expected.as_bytes(), submitted.as_bytes())
    })
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    form_csrf: String,
    error: Option<String>,
    /// The page to go back to after logging in.
    next: String,
}

fn login_page(
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<String>,
    next: &str,
) -> PageResult {
    anonymous_form(headers, status, |form_csrf| LoginPage {
        chrome: Chrome::anonymous(headers, "login-title"),
        form_csrf,
        error,
        next: local_path(next).unwrap_or_default().to_owned(),
    })
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(headers: HeaderMap, Query(q): Query<NextQuery>) -> PageResult {
    login_page(
        &headers,
        StatusCode::OK,
        None,
        q.next.as_deref().unwrap_or(""),
    )
}

/// `next` if it is a path on this site (never another site: `//host`, a scheme, a backslash).
fn local_path(next: &str) -> Option<&str> {
    let safe = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && !next.starts_with("/login")
        && !next.starts_with("/logout");
    safe.then_some(next)
}

/// Where each role's work is, after logging in (the page chrome's table, which the header's
/// navigation follows too). The site's address `/` is the hotline's public home, which sends
/// signed-in staff here as well.
pub(super) fn landing(role: Role) -> &'static str {
    crate::http::chrome::landing(role)
}

#[derive(Deserialize)]
struct LoginForm {
    /// Missing, it is empty, and so refused as a wrong token (403).
    #[serde(default)]
    csrf: String,
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(state): State<AccountsContext>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let tr = translator(&headers);
    if !form_token_matches(&headers, &form.csrf) {
        return login_page(
            &headers,
            StatusCode::FORBIDDEN,
            Some(tr.t("form-expired")),
            &form.next,
        );
    }
    if state.login_limit.exceeded(client) {
        return login_page(
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            Some(tr.t("login-rate-limited")),
            &form.next,
        );
    }
    // Staff are identified: their address goes to the audit log with their login.
    match sessions::login(
        &state.store,
        &form.email,
        &form.password,
        Some(client.0.to_string()),
    )
    .await
    .or_page(&headers)?
    {
        LoginOutcome::Success {
            secret, principal, ..
        } => {
            let home = local_path(&form.next).unwrap_or(landing(principal.role));
            let mut response = Redirect::to(home).into_response();
            let lifetime = sessions::SESSION_LIFETIME.whole_seconds();
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &secret, lifetime),
            );
            response
                .headers_mut()
                .append(header::SET_COOKIE, set_cookie(FORM_COOKIE, "", 0));
            Ok(response)
        }
        LoginOutcome::Invalid => login_page(
            &headers,
            StatusCode::UNAUTHORIZED,
            Some(tr.t("login-invalid")),
            &form.next,
        ),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

async fn logout(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    if let Some(secret) = &caller.session_secret {
        sessions::logout(&state.store, secret, &caller.actor())
            .await
            .or_page(&headers)?;
    }
    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
    Ok(response)
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    chrome: Chrome,
    form_csrf: String,
    token: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct SetupQuery {
    token: Option<String>,
}

fn setup_token_valid(state: &AccountsContext, token: &str) -> bool {
    let guard = state
        .setup
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    guard.as_deref().is_some_and(|expected| {
        constant_time_eq(expected.as_bytes(), access::token_digest(token).as_bytes())
    })
}

/// Takes the setup secret's digest if `token` is the secret: once taken, no other request
/// finds it.
fn take_setup_token(state: &AccountsContext, token: &str) -> Option<String> {
    let mut guard = state
        .setup
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let matches = guard.as_deref().is_some_and(|expected| {
        constant_time_eq(expected.as_bytes(), access::token_digest(token).as_bytes())
    });
    if matches { guard.take() } else { None }
}

/// A page with a form for someone not signed in (setup, a password reset): the page made
/// from a fresh form token, and that token in its cookie.
pub(super) fn anonymous_form<T: Template>(
    headers: &HeaderMap,
    status: StatusCode,
    page: impl FnOnce(String) -> T,
) -> PageResult {
    let form_csrf = fresh_form_token().or_page(headers)?;
    let mut response = render(status, &page(form_csrf.clone()));
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FORM_COOKIE, &form_csrf, 3600),
    );
    Ok(response)
}

fn setup_page(
    headers: &HeaderMap,
    token: &str,
    status: StatusCode,
    error: Option<String>,
) -> PageResult {
    anonymous_form(headers, status, |form_csrf| SetupPage {
        chrome: Chrome::anonymous(headers, "setup-title"),
        form_csrf,
        token: token.to_owned(),
        error,
    })
}

async fn setup_form(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    Query(q): Query<SetupQuery>,
) -> PageResult {
    let token = q.token.unwrap_or_default();
    if !setup_token_valid(&state, &token) {
        return Err(PageError::new(
            &headers,
            ApiError::not_found(
                "this setup link is not valid; it works once, until the first admin exists",
            ),
        ));
    }
    setup_page(&headers, &token, StatusCode::OK, None)
}

#[derive(Deserialize)]
struct SetupForm {
    /// Missing, it is empty, and so refused as a wrong token (403).
    #[serde(default)]
    csrf: String,
    token: String,
    email: String,
    password: String,
}

async fn setup(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> PageResult {
    if !setup_token_valid(&state, &form.token) {
        return Err(PageError::new(
            &headers,
            ApiError::not_found("this setup link is not valid"),
        ));
    }
    if !form_token_matches(&headers, &form.csrf) {
        let message = translator(&headers).t("form-expired");
        return setup_page(&headers, &form.token, StatusCode::FORBIDDEN, Some(message));
    }
    // Taken, not just read: of two setups sent at once, only one gets past here. It is put back
    // if this one fails, so a mistyped password does not spend the link.
    let Some(taken) = take_setup_token(&state, &form.token) else {
        return Err(PageError::new(
            &headers,
            ApiError::not_found("this setup link is not valid"),
        ));
    };
    let restore = || {
        *state
            .setup
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(taken.clone());
    };
    match access::user_count(&state.store).await {
        Ok(0) => {}
        Ok(_) => {
            return Err(PageError::new(
                &headers,
                ApiError::not_found("an admin already exists"),
            ));
        }
        Err(e) => {
            restore();
            return Err(PageError::new(&headers, ApiError::internal(e)));
        }
    }
    let actor = access::audit::Actor {
        user_id: None,
        label: "setup".into(),
        source: None,
    };
    match access::add_user(
        &state.store,
        &actor,
        &form.email,
        Role::Admin,
        None,
        &form.password,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/login").into_response()),
        Err(access::AccessError::Invalid(_, message)) => {
            restore();
            setup_page(
                &headers,
                &form.token,
                StatusCode::BAD_REQUEST,
                Some(message),
            )
        }
        Err(e) => {
            restore();
            Err(PageError::new(&headers, ApiError::internal(e)))
        }
    }
}

#[derive(Deserialize)]
struct LanguageForm {
    csrf: Option<String>,
    language: String,
}

async fn set_language(
    State(state): State<AccountsContext>,
    headers: HeaderMap,
    caller: Caller,
    Form(form): Form<LanguageForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    // Any language of the region: pages translated into it show it, the others fall back to
    // the staff pages' languages.
    if !crate::http::i18n::PUBLIC_LANGUAGES
        .iter()
        .any(|(code, _)| *code == form.language)
    {
        return Err(PageError::new(
            &headers,
            ApiError::bad_request("unknown language"),
        ));
    }
    access::set_language(
        &state.store,
        &caller.actor(),
        caller.principal.user_id,
        Some(&form.language),
    )
    .await
    .or_page(&headers)?;
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.find("://")
                .and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_owned()))
        })
        .filter(|path| path.starts_with('/') && !path.starts_with("//"))
        .unwrap_or_else(|| landing(caller.principal.role).to_owned());
    Ok(Redirect::to(&back).into_response())
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    role: String,
    home: &'static str,
}

/// The signed-in user's own account: who they are, their role in words, and where their work
/// starts. Every role may open it, so every role has a page with its navigation.
async fn account(headers: HeaderMap, caller: Caller) -> PageResult {
    let chrome = Chrome::for_caller(&caller, &headers, "account-title");
    let page = AccountPage {
        role: chrome
            .tr
            .t(&format!("role-{}", caller.principal.role.as_str())),
        home: landing(caller.principal.role),
        chrome,
    };
    Ok(render(StatusCode::OK, &page))
}
