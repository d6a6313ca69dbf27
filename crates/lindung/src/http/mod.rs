//! The HTTP plumbing every domain uses: the error type and its one JSON shape, the caller and
//! the role guard, extractors that answer in that shape, routes with the roles they admit, the
//! page chrome and i18n, uploads, rate limits, request metrics and security headers.
//!
//! It names no domain. A domain lists its routes as [`Endpoint`]s over any application state
//! from which its own context can be taken (axum's `FromRef`); `app` merges the lists and
//! builds the router with [`router`].

mod caller;
pub mod chrome;
mod client;
mod error;
mod extract;
mod form;
mod headers;
pub mod i18n;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod time_zone;
mod upload;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::FromRef;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;

pub use caller::{AuthContext, Caller, SESSION_COOKIE, TOKEN_CACHE_TTL, constant_time_eq, cookie};
pub use chrome::{Chrome, OrPage, PageError, PageResult, render, set_cookie, translator};
pub use client::{ClientAddr, TrustedProxies, client_of};
pub use error::{ApiError, ApiResult};
pub use extract::{Json, Multipart, Path, Query, parse_json, require_content_type};
pub use form::Form;
pub use limits::{RateLimiter, rate_limited, too_many};
pub use upload::{
    MAX_BODY_BYTES, UPLOAD_VIDEO_LIMITS, Upload, fingerprint_upload, fingerprint_video_upload,
    read_upload, read_upload_of,
};

use crate::access::Role;

/// Who may call a route. `Public` routes need no credentials; `Roles` are API routes (JSON
/// errors), `Page` are HTML pages (HTML errors); both admit a bearer token or a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Public,
    Roles(&'static [Role]),
    Page(&'static [Role]),
}

impl Access {
    /// The roles admitted, or `None` for public routes.
    pub fn roles(self) -> Option<&'static [Role]> {
        match self {
            Access::Public => None,
            Access::Roles(r) | Access::Page(r) => Some(r),
        }
    }
}

/// The roles of an IT company's API client, and the admins who may act for one.
pub const PLATFORM_OR_ADMIN: &[Role] = &[Role::Platform, Role::Admin];

/// One route: method, path (axum syntax), who may call it, its handler and, for the
/// documented API, its OpenAPI operation.
pub struct Endpoint<S> {
    pub method: Method,
    pub path: String,
    pub access: Access,
    handler: MethodRouter<S>,
    doc: Option<openapi::Operation>,
    /// A layer that needs the application state (a domain's check), applied inside the role
    /// guard: a caller without the right role learns nothing from it.
    state_layer: Option<StateLayer<S>>,
    /// The largest body the route takes; by default `SMALL_BODY` for public routes and
    /// `JSON_BODY` for others.
    body_limit: Option<usize>,
    /// Whether the route is answered from memory alone (see [`Endpoint::from_memory`]).
    from_memory: bool,
}

/// A layer made from the application state: the route's handler in, the wrapped handler out.
pub type StateLayer<S> = fn(MethodRouter<S>, &S) -> MethodRouter<S>;

impl<S> std::fmt::Debug for Endpoint<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {:?}", self.method, self.path, self.access)
    }
}

impl<S: Clone + Send + Sync + 'static> Endpoint<S> {
    fn on(method: Method, path: &str, access: Access, handler: MethodRouter<S>) -> Self {
        Endpoint {
            method,
            path: path.to_owned(),
            access,
            handler,
            doc: None,
            state_layer: None,
            body_limit: None,
            from_memory: false,
        }
    }

    pub fn get<H: Handler<T, S>, T: 'static>(path: &str, access: Access, handler: H) -> Self {
        Self::on(Method::GET, path, access, axum::routing::get(handler))
    }

    pub fn post<H: Handler<T, S>, T: 'static>(path: &str, access: Access, handler: H) -> Self {
        Self::on(Method::POST, path, access, axum::routing::post(handler))
    }

    pub fn put<H: Handler<T, S>, T: 'static>(path: &str, access: Access, handler: H) -> Self {
        Self::on(Method::PUT, path, access, axum::routing::put(handler))
    }

    pub fn patch<H: Handler<T, S>, T: 'static>(path: &str, access: Access, handler: H) -> Self {
        Self::on(Method::PATCH, path, access, axum::routing::patch(handler))
    }

    pub fn delete<H: Handler<T, S>, T: 'static>(path: &str, access: Access, handler: H) -> Self {
        Self::on(Method::DELETE, path, access, axum::routing::delete(handler))
    }

    /// A documented API route, from `utoipa_axum::routes!(handler)`: its method and path come
    /// from the handler's `#[utoipa::path]`, so the router and the OpenAPI document cannot
    /// disagree about them.
    ///
    /// # Panics
    /// At start-up, if `routes` does not hold exactly one method of one path (a programming
    /// error that every test run would show).
    pub fn api(access: Access, routes: utoipa_axum::router::UtoipaMethodRouter<S>) -> Self {
        let (schemas, paths, handler) = routes;
        let operation = openapi::Operation::single(paths, schemas)
            .unwrap_or_else(|e| panic!("an API route must document one method of one path: {e}"));
        Endpoint {
            method: operation.method.clone(),
            path: operation.path.clone(),
            access,
            handler,
            doc: Some(operation),
            state_layer: None,
            body_limit: None,
            from_memory: false,
        }
    }

    /// The same route with its handler changed, say by a layer of its own.
    pub fn map(mut self, change: impl FnOnce(MethodRouter<S>) -> MethodRouter<S>) -> Self {
        self.handler = change(self.handler);
        self
    }

    /// The same route behind a layer made from the application state.
    pub fn with_state_layer(mut self, layer: StateLayer<S>) -> Self {
        self.state_layer = Some(layer);
        self
    }

    /// The same route, marked as answered from memory alone (a hash lookup in the in-memory
    /// index): while the database cannot be reached, a token it vouched for shortly before
    /// still passes here, and nowhere else.
    pub fn from_memory(mut self) -> Self {
        self.from_memory = true;
        self
    }

    /// The same route taking bodies up to `bytes`.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// The largest body the route takes.
    pub fn body_limit(&self) -> usize {
        self.body_limit.unwrap_or(match self.access {
            Access::Public => limits::SMALL_BODY,
            Access::Roles(_) | Access::Page(_) => limits::JSON_BODY,
        })
    }

    /// The OpenAPI operation, for documented routes.
    pub fn doc(&self) -> Option<&openapi::Operation> {
        self.doc.as_ref()
    }
}

/// The router over `state` for `endpoints`: each route behind its role guard, with request
/// metrics, the body limit and the security headers on every response.
pub fn router<S>(endpoints: Vec<Endpoint<S>>, state: S) -> Router
where
    S: Clone + Send + Sync + 'static,
    AuthContext: FromRef<S>,
{
    let auth = AuthContext::from_ref(&state);
    let mut by_path: BTreeMap<String, MethodRouter<S>> = BTreeMap::new();
    for endpoint in endpoints {
        let body_limit = endpoint.body_limit();
        let handler = match endpoint.state_layer {
            Some(layer) => layer(endpoint.handler, &state),
            None => endpoint.handler,
        };
        let guarded = match endpoint.access {
            Access::Public => handler,
            Access::Roles(roles) => handler.route_layer(axum::middleware::from_fn_with_state(
                caller::Guard {
                    auth: auth.clone(),
                    roles,
                    from_memory: endpoint.from_memory,
                },
                caller::require_roles,
            )),
            Access::Page(roles) => handler.route_layer(axum::middleware::from_fn_with_state(
                caller::Guard {
                    auth: auth.clone(),
                    roles,
                    from_memory: false,
                },
                caller::require_roles_page,
            )),
        };
        // Bodies are limited per route: by their declared length before anything is read,
        // and as they are read when no length is declared.
        let guarded = guarded
            .layer(axum::extract::DefaultBodyLimit::max(body_limit))
            .route_layer(axum::middleware::from_fn_with_state(
                body_limit,
                limits::declared_length,
            ));
        let merged = match by_path.remove(&endpoint.path) {
            Some(existing) => existing.merge(guarded),
            None => guarded,
        };
        by_path.insert(endpoint.path, merged);
    }
    let mut router = Router::new();
    for (path, methods) in by_path {
        router = router.route(&path, methods);
    }
    router
        .fallback(no_such_route)
        .route_layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::from_fn(headers::secure))
        .with_state(state)
}

/// An unknown address: a page in the visitor's language, with a way back, for a browser; the
/// error shape for the API and for clients that do not ask for HTML.
async fn no_such_route(request: axum::extract::Request) -> axum::response::Response {
    use axum::response::IntoResponse;
    let error = ApiError::not_found("there is no page at this address");
    let path = request.uri().path();
    let api = ["/api/", "/m/", "/c/", "/h/"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    let wants_html = request
        .headers()
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if api || !wants_html {
        error.into_response()
    } else {
        chrome::page_error(request.headers(), error)
    }
}
