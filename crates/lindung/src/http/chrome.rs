//! What every server-rendered page shares: the layout's data ([`Chrome`]), rendering, error
//! pages in the visitor's language, and cookies. Pages work without JavaScript.

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::i18n::Tr;
use super::{ApiError, Caller};
use crate::access::Role;

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
    /// The pages the caller's role may open, as (path, label), from [`NAVIGATION`].
    pub nav: Vec<(&'static str, String)>,
    /// Where the caller's work starts ([`landing`]); `/` for a visitor.
    pub home: &'static str,
    pub notice: Option<String>,
}

/// Where each role's work is: where login leads, and where `/` sends a signed-in user.
pub fn landing(role: Role) -> &'static str {
    match role {
        Role::Analyst => "/hotline",
        Role::CaseWorker => "/care",
        Role::Supervisor => "/care/approvals",
        Role::Researcher => "/hotline/stats",
        Role::Admin => "/admin",
        Role::Platform => "/platform",
        Role::LawEnforcement => "/hotline/referred",
        Role::PolicyOfficer => "/policy",
    }
}

/// The header's links for each role, as (path, message key): only pages the role may open, its
/// landing first. One table, so the navigation and the routes' roles are read side by side.
pub const NAVIGATION: &[(Role, &[(&str, &str)])] = &[
    (
        Role::Admin,
        &[
            ("/admin", "nav-overview"),
            ("/admin/users", "nav-users"),
            ("/admin/audit", "nav-audit"),
            ("/banks", "nav-banks"),
            ("/match", "nav-match"),
            ("/hotline", "nav-hotline"),
            ("/hotline/contacts", "nav-contacts"),
            ("/hotline/settings", "nav-settings"),
            ("/hotline/stats", "nav-stats"),
            ("/policy", "nav-policy"),
        ],
    ),
    (
        Role::Analyst,
        &[
            ("/hotline", "nav-hotline"),
            ("/hotline/contacts", "nav-contacts"),
            ("/hotline/settings", "nav-settings"),
            ("/hotline/stats", "nav-stats"),
            ("/banks", "nav-banks"),
            ("/match", "nav-match"),
            ("/policy/law", "nav-policy-law"),
        ],
    ),
    (
        Role::CaseWorker,
        &[("/care", "nav-cases"), ("/care/referrals", "nav-referrals")],
    ),
    (
        Role::Supervisor,
        &[
            ("/care/approvals", "nav-approvals"),
            ("/care", "nav-cases"),
            ("/care/referrals", "nav-referrals"),
        ],
    ),
    (Role::Researcher, &[("/hotline/stats", "nav-stats")]),
    (
        Role::Platform,
        &[
            ("/platform", "nav-platform"),
            ("/banks", "nav-banks"),
            ("/match", "nav-match"),
        ],
    ),
    (
        Role::LawEnforcement,
        &[("/hotline/referred", "nav-referred")],
    ),
    (
        Role::PolicyOfficer,
        &[
            ("/policy", "nav-policy"),
            ("/policy/assessment", "nav-policy-assessment"),
            ("/policy/indicators", "nav-policy-indicators"),
            ("/policy/regional", "nav-policy-regional"),
        ],
    ),
];

/// The links of `role`'s navigation, as (path, message key).
pub fn navigation(role: Role) -> &'static [(&'static str, &'static str)] {
    NAVIGATION
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, links)| *links)
        .unwrap_or(&[])
}

impl Chrome {
    /// For a signed-in caller, on a page in the staff pages' languages.
    pub fn for_caller(caller: &Caller, headers: &HeaderMap, title_key: &str) -> Chrome {
        Self::for_caller_among(caller, headers, title_key, super::i18n::LANGUAGES)
    }

    /// For a signed-in caller, on a page translated into the `offered` languages (the policy
    /// pages offer more than the other staff pages).
    pub fn for_caller_among(
        caller: &Caller,
        headers: &HeaderMap,
        title_key: &str,
        offered: &'static [(&'static str, &'static str)],
    ) -> Chrome {
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let tr = Tr::negotiate_among(caller.principal.language.as_deref(), accept, offered);
        Chrome {
            languages: language_menu(&tr, offered),
            title: tr.t(title_key),
            user: Some(caller.principal.email.clone()),
            csrf: caller.csrf.clone().unwrap_or_default(),
            is_admin: caller.principal.role == Role::Admin,
            nav: navigation(caller.principal.role)
                .iter()
                .map(|&(path, key)| (path, tr.t(key)))
                .collect(),
            home: landing(caller.principal.role),
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
            languages: language_menu(&tr, super::i18n::LANGUAGES),
            title: tr.t(title_key),
            user: None,
            csrf: String::new(),
            is_admin: false,
            nav: Vec::new(),
            home: "/",
            notice: None,
            tr,
        }
    }

    pub fn with_notice(mut self, notice: impl Into<String>) -> Chrome {
        self.notice = Some(notice.into());
        self
    }
}

fn language_menu(
    tr: &Tr,
    offered: &'static [(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str, bool)> {
    offered
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
    /// The request carried a session: the way back leads to the user's work (`/` sends a
    /// signed-in user to their landing page).
    signed_in: bool,
}

/// Whether a request carries a session cookie (not whether the session is live: an error page
/// only words its way back by it).
fn has_session(headers: &HeaderMap) -> bool {
    super::cookie(headers, super::SESSION_COOKIE).is_some_and(|s| !s.is_empty())
}

/// An error as an HTML page; a 401 links to the login form.
pub fn page_error(headers: &HeaderMap, error: ApiError) -> Response {
    page_error_in(translator(headers), error, has_session(headers))
}

/// A body over a route's limit, to a browser: the limit named in the visitor's language.
pub fn too_large_page(headers: &HeaderMap, limit: &str) -> Response {
    let tr = translator(headers);
    let page = MessagePage {
        show_login: false,
        signed_in: has_session(headers),
        message: tr.t1("error-too_large-limit", "limit", limit),
        chrome: Chrome::anonymous_in(tr, "error-title"),
    };
    render(StatusCode::PAYLOAD_TOO_LARGE, &page)
}

fn page_error_in(tr: Tr, error: ApiError, signed_in: bool) -> Response {
    // The kind of error in the visitor's language; the detail (which names the field or value
    // at fault) follows as the domain wrote it.
    // Never a message key: a code without words of its own gets the general words.
    let summary = tr
        .try_t(&format!("error-{}", error.code))
        .unwrap_or_else(|| tr.t("error-generic"));
    let page = MessagePage {
        show_login: error.status == StatusCode::UNAUTHORIZED,
        signed_in: signed_in && error.status != StatusCode::UNAUTHORIZED,
        // The detail is the domain's English: it helps an English reader and would be a
        // foreign, developer's sentence on a page in another language.
        message: if tr.lang == "en" {
            format!("{summary} ({})", error.message)
        } else {
            summary
        },
        chrome: Chrome::anonymous_in(tr, "error-title"),
    };
    render(error.status, &page)
}

/// Page handlers return this: an error renders as an HTML page in the visitor's language.
#[derive(Debug)]
pub struct PageError {
    lang: String,
    error: ApiError,
    signed_in: bool,
}

impl PageError {
    pub fn new(headers: &HeaderMap, error: ApiError) -> Self {
        PageError {
            lang: translator(headers).lang,
            error,
            signed_in: has_session(headers),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        page_error_in(Tr::new(&self.lang), self.error, self.signed_in)
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

/// A cookie with the attributes every Lindung cookie has.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64) -> HeaderValue {
    let cookie = format!(
        "{name}={value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age_seconds}"
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_navigation_that_starts_at_its_landing() {
        for role in Role::ALL {
            let links = navigation(*role);
            assert_eq!(
                links.first().map(|(path, _)| *path),
                Some(landing(*role)),
                "{role:?}"
            );
        }
    }
}
