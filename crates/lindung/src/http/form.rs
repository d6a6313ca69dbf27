//! The page form extractor. A form posted in a signed-in session must carry the session's CSRF
//! token: it is checked here, before the form is deserialised, so that no page route taking a
//! form can forget it (a form without it is refused with 403 whatever else it holds). The
//! three multipart page forms (a picture or a list for a bank, a picture to match) check the
//! token in their handlers, before they change anything. A form that cannot be read
//! is answered with an error page in the visitor's language naming what was wrong, never with
//! axum's plain-text rejection.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::DeserializeOwned;

use super::caller::{Caller, constant_time_eq};
use super::{ApiError, chrome};

/// A `application/x-www-form-urlencoded` page form.
#[derive(Clone, Copy, Debug, Default)]
pub struct Form<T>(pub T);

/// The field every page form carries its session's CSRF token in.
const CSRF_FIELD: &str = "csrf";

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let refuse = |error: ApiError| chrome::page_error(&parts.headers, error);
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|rejection| {
                refuse(ApiError::new(
                    rejection.status(),
                    "bad_request",
                    "the form could not be read",
                ))
            })?;
        if let Some(expected) = parts
            .extensions
            .get::<Caller>()
            .and_then(|c| c.csrf.as_deref())
        {
            let sent = form_urlencoded::parse(&bytes)
                .find(|(name, _)| name == CSRF_FIELD)
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
            if !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
                return Err(refuse(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "the form has expired or did not come from this site; reload the page and try again",
                )));
            }
        }
        let request = Request::from_parts(parts.clone(), axum::body::Body::from(bytes));
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(rejection) => {
                let detail = rejection.body_text();
                // axum's text starts "Failed to deserialize form body: "; keep what follows.
                let detail = detail.rsplit_once(": ").map_or(detail.as_str(), |(_, d)| d);
                let (code, status) = match rejection.status() {
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                        ("unsupported_media_type", StatusCode::UNSUPPORTED_MEDIA_TYPE)
                    }
                    StatusCode::PAYLOAD_TOO_LARGE => ("too_large", StatusCode::PAYLOAD_TOO_LARGE),
                    _ => ("invalid", StatusCode::UNPROCESSABLE_ENTITY),
                };
                Err(refuse(ApiError::new(
                    status,
                    code,
                    format!("the form could not be read: {detail}"),
                )))
            }
        }
    }
}
