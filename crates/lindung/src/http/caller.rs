//! Who is calling: bearer tokens (cached briefly) or browser sessions, and the per-route role
//! guard that puts the [`Caller`] into the request.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::ApiError;
use crate::access::audit::Actor;
use crate::access::{self, Principal, Role};
use crate::store::Store;

/// How long a verified token is trusted without asking the database again. A token revoked
/// through another process stops working within this time.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(2);

/// What the role guard needs: the store, and recently verified API tokens (by SHA-256), so that
/// a hot client does not cost two database reads per request.
#[derive(Clone, Debug)]
pub struct AuthContext {
    pub store: Store,
    tokens: Arc<RwLock<HashMap<String, (Principal, Instant)>>>,
    /// The proxies allowed to say who the client is.
    pub proxies: super::TrustedProxies,
}

impl AuthContext {
    pub fn new(store: Store, proxies: super::TrustedProxies) -> Self {
        AuthContext {
            store,
            tokens: Arc::default(),
            proxies,
        }
    }

    /// Forgets every cached token, so a revocation in this process takes effect at once.
    pub fn forget_tokens(&self) {
        self.tokens
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// A route's role guard: who may call it, and whether it is answered from memory alone (a hash
/// lookup), so that a token the database vouched for shortly before an outage still passes
/// while the database cannot be reached.
#[derive(Clone, Debug)]
pub struct Guard {
    pub auth: AuthContext,
    pub roles: &'static [Role],
    pub from_memory: bool,
}

/// The authenticated caller of a guarded route, with the address it came from.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    pub source: Option<String>,
    /// For browser sessions: the session's CSRF token, which every form must carry back.
    pub csrf: Option<String>,
    /// For browser sessions: the cookie secret (to log out).
    pub session_secret: Option<String>,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor::user(&self.principal, self.source.clone())
    }

    /// Refuses a form submitted in a session unless it carries the session's CSRF token.
    /// Token-authenticated API calls carry no ambient credentials and need none.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), ApiError> {
        match &self.csrf {
            None => Ok(()),
            Some(expected)
                if submitted
                    .is_some_and(|s| constant_time_eq(s.as_bytes(), expected.as_bytes())) =>
            {
                Ok(())
            }
            Some(_) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "the form has expired or did not come from this site; reload the page and try again",
            )),
        }
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub const SESSION_COOKIE: &str = "lindung_session";

/// The value of a cookie in the request.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

#[derive(Debug)]
pub enum AuthError {
    Missing,
    Invalid,
}

fn bearer(parts: &Parts) -> Result<&str, AuthError> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?
        .to_str()
        .map_err(|_| AuthError::Invalid)?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or(AuthError::Invalid)?;
    Ok(token.trim())
}

async fn cached_token(
    state: &AuthContext,
    token: &str,
    from_memory: bool,
) -> Result<Option<Principal>, sea_orm::DbErr> {
    let digest = access::token_digest(token);
    if let Some((principal, at)) = state
        .tokens
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&digest)
        && at.elapsed() < TOKEN_CACHE_TTL
    {
        return Ok(Some(principal.clone()));
    }
    let found = if from_memory {
        access::authenticate_token_from_memory(&state.store, token).await?
    } else {
        access::authenticate_token(&state.store, token).await?
    };
    let mut cache = state.tokens.write().unwrap_or_else(PoisonError::into_inner);
    if cache.len() > 10_000 {
        cache.clear();
    }
    match &found {
        Some(principal) => {
            cache.insert(digest, (principal.clone(), Instant::now()));
        }
        None => {
            cache.remove(&digest);
        }
    }
    Ok(found)
}

/// Finds the caller (bearer token, else session cookie) and checks its role: 401 without valid
/// credentials, 403 with the wrong role.
async fn authenticate(guard: &Guard, parts: &Parts) -> Result<Caller, ApiError> {
    let (state, roles) = (&guard.auth, guard.roles);
    let unauthorised =
        |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message.to_owned());
    let (principal, csrf, session_secret) = match bearer(parts) {
        Ok(token) => (
            cached_token(state, token, guard.from_memory)
                .await?
                .ok_or_else(|| unauthorised("unknown or revoked token"))?,
            None,
            None,
        ),
        Err(AuthError::Invalid) => return Err(unauthorised("malformed Authorization header")),
        Err(AuthError::Missing) => {
            let Some(secret) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_owned) else {
                return Err(unauthorised(
                    "log in, or send an API token as `Authorization: Bearer <token>`",
                ));
            };
            let (principal, csrf) = access::sessions::lookup(&state.store, &secret)
                .await?
                .ok_or_else(|| unauthorised("your session has ended; log in again"))?;
            (principal, Some(csrf), Some(secret))
        }
    };
    if !roles.contains(&principal.role) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("the {} role may not do this", principal.role),
        ));
    }
    let source = super::client_of(parts, &state.proxies).map(|c| c.0.to_string());
    Ok(Caller {
        principal,
        source,
        csrf,
        session_secret,
    })
}

/// Guard for API routes: errors are JSON.
pub async fn require_roles(
    State(guard): State<Guard>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    let caller = authenticate(&guard, &parts).await?;
    require_csrf_header(&parts, &caller)?;
    parts.extensions.insert(caller);
    Ok(next.run(Request::from_parts(parts, body)).await)
}

/// The header a session-authenticated API call that changes something carries its session's
/// CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A browser sends the session cookie with any request another site makes it send; only a page
/// of ours knows the session's CSRF token. Bearer tokens are never sent by a browser on its own,
/// so they need no header.
fn require_csrf_header(parts: &Parts, caller: &Caller) -> Result<(), ApiError> {
    let Some(expected) = caller.csrf.as_deref() else {
        return Ok(());
    };
    if parts.method.is_safe() {
        return Ok(());
    }
    let sent = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "a change made with a session must carry the session's CSRF token in the X-CSRF-Token header",
        ))
    }
}

/// Guard for pages: errors are HTML pages (a 401 offers the login form).
pub async fn require_roles_page(
    State(guard): State<Guard>,
    request: Request,
    next: Next,
) -> Response {
    use axum::response::IntoResponse;
    let (mut parts, body) = request.into_parts();
    match authenticate(&guard, &parts).await {
        Ok(caller) => {
            parts.extensions.insert(caller);
            next.run(Request::from_parts(parts, body)).await
        }
        // Someone not signed in who asked for a page is sent to log in, and brought back.
        Err(error) if error.status == StatusCode::UNAUTHORIZED && parts.method.is_safe() => {
            let wanted = parts
                .uri
                .path_and_query()
                .map_or("/", axum::http::uri::PathAndQuery::as_str);
            let next: String = form_urlencoded::byte_serialize(wanted.as_bytes()).collect();
            axum::response::Redirect::to(&format!("/login?next={next}")).into_response()
        }
        Err(error) => super::chrome::page_error(&parts.headers, error).into_response(),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            // Only reachable if a route forgot its guard: fail closed.
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "authentication required",
            )
        })
    }
}
