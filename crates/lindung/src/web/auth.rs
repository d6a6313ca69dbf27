//! Authentication (bearer tokens) and the per-route role check.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::{ApiError, AppState};
use crate::access::audit::Actor;
use crate::access::{self, Principal, Role};

/// The authenticated caller of a guarded route, with the address it came from.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    pub source: Option<String>,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor::user(&self.principal, self.source.clone())
    }
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

/// Admits the request only if its bearer token belongs to a user with one of `roles`: 401
/// without valid credentials, 403 with the wrong role.
pub async fn require_roles(
    State((state, roles)): State<(AppState, &'static [Role])>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    let unauthorised =
        |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message.to_owned());
    let token = match bearer(&parts) {
        Ok(token) => token.to_owned(),
        Err(AuthError::Missing) => {
            return Err(unauthorised(
                "send an API token as `Authorization: Bearer <token>`",
            ));
        }
        Err(AuthError::Invalid) => return Err(unauthorised("malformed Authorization header")),
    };
    let principal = access::authenticate_token(&state.store, &token)
        .await?
        .ok_or_else(|| unauthorised("unknown or revoked token"))?;
    if !roles.contains(&principal.role) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("the {} role may not do this", principal.role),
        ));
    }
    let source = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    parts.extensions.insert(Caller { principal, source });
    Ok(next.run(Request::from_parts(parts, body)).await)
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
