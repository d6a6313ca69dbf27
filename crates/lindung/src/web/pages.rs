//! Server-rendered pages shared by every domain: the layout, error pages, login, logout and
//! first-admin setup. Pages work without JavaScript.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::auth::{SESSION_COOKIE, constant_time_eq, cookie};
use super::i18n::Tr;
use super::{Access, ApiError, AppState, Caller, Endpoint};
use crate::access::sessions::{self, LoginOutcome};
use crate::access::{self, Role};

/// What every page's layout needs.
#[derive(Clone, Debug)]
pub struct Chrome {
    pub tr: Tr,
    /// Languages offered in the language menu: (code, name, selected).
    pub languages: Vec<(&'static str, &'static str, bool)>,
    pub title: String,
    pub user: Option<String>,
    pub csrf: String,
    pub is_admin: bool,
    /// Case workers and supervisors: the navigation leads to cases rather than banks.
    pub is_care: bool,
    /// Analysts and admins: the navigation includes the hotline's reports.
    pub is_hotline: bool,
    pub notice: Option<String>,
}

impl Chrome {
    /// For a signed-in caller.
    pub fn for_caller(caller: &Caller, headers: &HeaderMap, title_key: &str) -> Chrome {
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let tr = Tr::negotiate(caller.principal.language.as_deref(), accept);
        Chrome {
            languages: language_menu(&tr),
            title: tr.t(title_key),
            user: Some(caller.principal.email.clone()),
            csrf: caller.csrf.clone().unwrap_or_default(),
            is_admin: caller.principal.role == Role::Admin,
            is_care: matches!(caller.principal.role, Role::CaseWorker | Role::Supervisor),
            is_hotline: matches!(caller.principal.role, Role::Analyst | Role::Admin),
            notice: None,
            tr,
        }
    }

    /// For a visitor who is not signed in.
    pub fn anonymous(headers: &HeaderMap, title_key: &str) -> Chrome {
        Self::anonymous_in(translator(headers), title_key)
    }

    pub fn anonymous_in(tr: Tr, title_key: &str) -> Chrome {
        Chrome {
            languages: language_menu(&tr),
            title: tr.t(title_key),
            user: None,
            csrf: String::new(),
            is_admin: false,
            is_care: false,
            is_hotline: false,
            notice: None,
            tr,
        }
    }

    pub fn with_notice(mut self, notice: impl Into<String>) -> Chrome {
        self.notice = Some(notice.into());
        self
    }
}

fn language_menu(tr: &Tr) -> Vec<(&'static str, &'static str, bool)> {
    super::i18n::LANGUAGES
        .iter()
        .map(|&(code, name)| (code, name, code == tr.lang))
        .collect()
}

pub fn translator(headers: &HeaderMap) -> Tr {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Tr::negotiate(None, accept)
}

/// Renders a template, or a plain 500 if rendering fails.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: Chrome,
    message: String,
    show_login: bool,
}

/// An error as an HTML page; a 401 links to the login form.
pub fn error_page(parts: &Parts, error: ApiError) -> Response {
    page_error(&parts.headers, error)
}

pub fn page_error(headers: &HeaderMap, error: ApiError) -> Response {
    page_error_in(translator(headers), error)
}

fn page_error_in(tr: Tr, error: ApiError) -> Response {
    // The kind of error in the visitor's language; the detail (which names the field or value
    // at fault) follows as the domain wrote it.
    let summary = tr.t(&format!("error-{}", error.code));
    let page = MessagePage {
        show_login: error.status == StatusCode::UNAUTHORIZED,
        message: format!("{summary} ({})", error.message),
        chrome: Chrome::anonymous_in(tr, "error-title"),
    };
    render(error.status, &page)
}

/// Page handlers return this: an error renders as an HTML page in the visitor's language.
#[derive(Debug)]
pub struct PageError {
    lang: String,
    error: ApiError,
}

impl PageError {
    pub fn new(headers: &HeaderMap, error: ApiError) -> Self {
        PageError {
            lang: translator(headers).lang,
            error,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        page_error_in(Tr::new(&self.lang), self.error)
    }
}

pub type PageResult = Result<Response, PageError>;

/// Attaches the request headers to an error, for the language of the error page.
pub trait OrPage<T> {
    fn or_page(self, headers: &HeaderMap) -> Result<T, PageError>;
}

impl<T, E: Into<ApiError>> OrPage<T> for Result<T, E> {
    fn or_page(self, headers: &HeaderMap) -> Result<T, PageError> {
        self.map_err(|e| PageError::new(headers, e.into()))
    }
}

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new("GET", "/", Access::Public, || {
            get(|| async { Redirect::to("/banks") })
        }),
        Endpoint::new("GET", "/login", Access::Public, || get(login_form)),
        Endpoint::new("POST", "/login", Access::Public, || post(login)),
        Endpoint::new("GET", "/setup", Access::Public, || get(setup_form)),
        Endpoint::new("POST", "/setup", Access::Public, || post(setup)),
        Endpoint::new("POST", "/logout", Access::Page(&Role::ALL), || post(logout)),
        Endpoint::new(
            "POST",
            "/account/language",
            Access::Page(&Role::ALL),
            || post(set_language),
        ),
    ]
}

const FORM_COOKIE: &str = "lindung_form";

/// A cookie with the attributes every Lindung cookie has.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64) -> HeaderValue {
    let cookie = format!(
        "{name}={value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age_seconds}"
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Forms shown before login carry a random token that must match a cookie set with them
/// (double submit), so another site cannot post them on a visitor's behalf.
fn fresh_form_token() -> Result<String, ApiError> {
    access::new_secret("").map_err(ApiError::internal)
}

fn form_token_matches(headers: &HeaderMap, submitted: &str) -> bool {
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
}

fn login_page(headers: &HeaderMap, status: StatusCode, error: Option<String>) -> PageResult {
    let token = fresh_form_token().or_page(headers)?;
    let page = LoginPage {
        chrome: Chrome::anonymous(headers, "login-title"),
        form_csrf: token.clone(),
        error,
    };
    let mut response = render(status, &page);
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(FORM_COOKIE, &token, 3600));
    Ok(response)
}

async fn login_form(headers: HeaderMap) -> PageResult {
    login_page(&headers, StatusCode::OK, None)
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    email: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let tr = translator(&headers);
    if !form_token_matches(&headers, &form.csrf) {
        return login_page(&headers, StatusCode::FORBIDDEN, Some(tr.t("form-expired")));
    }
    let client = addr.ip().to_string();
    if state.login_limit.exceeded(&client) {
        return login_page(
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            Some(tr.t("login-rate-limited")),
        );
    }
    match sessions::login(&state.store, &form.email, &form.password, Some(client))
        .await
        .or_page(&headers)?
    {
        LoginOutcome::Success {
            secret, principal, ..
        } => {
            let home = if matches!(principal.role, Role::CaseWorker | Role::Supervisor) {
                "/care"
            } else {
                "/banks"
            };
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
        ),
        LoginOutcome::Locked { .. } => login_page(
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            Some(tr.t("login-locked")),
        ),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

async fn logout(
    State(state): State<AppState>,
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

fn setup_token_valid(state: &AppState, token: &str) -> bool {
    let guard = state
        .setup
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    guard.as_deref().is_some_and(|expected| {
        constant_time_eq(expected.as_bytes(), access::token_digest(token).as_bytes())
    })
}

fn setup_page(
    headers: &HeaderMap,
    token: &str,
    status: StatusCode,
    error: Option<String>,
) -> PageResult {
    let form_csrf = fresh_form_token().or_page(headers)?;
    let page = SetupPage {
        chrome: Chrome::anonymous(headers, "setup-title"),
        form_csrf: form_csrf.clone(),
        token: token.to_owned(),
        error,
    };
    let mut response = render(status, &page);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FORM_COOKIE, &form_csrf, 3600),
    );
    Ok(response)
}

async fn setup_form(
    State(state): State<AppState>,
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
    csrf: String,
    token: String,
    email: String,
    password: String,
}

async fn setup(
    State(state): State<AppState>,
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
    if access::user_count(&state.store).await.or_page(&headers)? > 0 {
        return Err(PageError::new(
            &headers,
            ApiError::not_found("an admin already exists"),
        ));
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
        Ok(_) => {
            *state
                .setup
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
            Ok(Redirect::to("/login").into_response())
        }
        Err(access::AccessError::Invalid(message)) => setup_page(
            &headers,
            &form.token,
            StatusCode::BAD_REQUEST,
            Some(message),
        ),
        Err(e) => Err(PageError::new(&headers, ApiError::internal(e))),
    }
}

#[derive(Deserialize)]
struct LanguageForm {
    csrf: Option<String>,
    language: String,
}

async fn set_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    Form(form): Form<LanguageForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    if !super::i18n::LANGUAGES
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
        .unwrap_or_else(|| "/banks".to_owned());
    Ok(Redirect::to(&back).into_response())
}
