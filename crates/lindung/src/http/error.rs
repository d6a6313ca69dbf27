//! The one error type handlers return, mapped once to an HTTP status and the one JSON body
//! every route answers with: `{"error": {"code": "...", "message": "...", "field": "..."}}`.
//!
//! The rule (see `docs/api.md`): 400 when the request cannot be read at all (malformed JSON, a
//! form or query string that does not parse); 422 with `field` when a value fails validation
//! (a wrong type, a missing or unknown field, a value out of range); 404 for a record that does
//! not exist or is not the caller's to see; 401 and 403 for credentials and roles; 409 for a
//! conflict; 413 and 415 for a body over the limit or of the wrong type; 503 for a service that
//! is not ready or not configured, and (`store_unavailable`, with `Retry-After`) while the
//! database cannot be reached. A 500 is only ever an internal fault.

use std::borrow::Cow;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::access::AccessError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The request field at fault, when one is (`child.name`, `files[2].md5`, `id`).
    pub field: Option<Cow<'static, str>>,
    /// Seconds after which trying again may succeed, sent as `Retry-After`.
    pub retry_after: Option<u32>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The longest message and field an error carries: they may quote what was sent (an unknown
/// field's name, a value), and an error must never echo a large body back.
const MAX_MESSAGE: usize = 300;
const MAX_FIELD: usize = 80;

/// What `Retry-After` says while the database cannot be reached: about the pool's acquire
/// timeout, so a client that waits this long retries against a fresh attempt to connect.
pub const STORE_RETRY_AFTER_SECS: u32 = 5;

/// `text` cut to at most `max` characters, marked with `…` when cut.
fn bounded(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text,
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: bounded(message.into(), MAX_MESSAGE),
            field: None,
            retry_after: None,
        }
    }

    /// Names the request field at fault.
    pub fn with_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        let field = field.into();
        self.field = Some(if field.chars().count() > MAX_FIELD {
            Cow::Owned(bounded(field.into_owned(), MAX_FIELD))
        } else {
            field
        });
        self
    }

    /// 400: the request cannot be read.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 422 naming the request field at fault.
    pub fn invalid(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).with_field(field)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 503 while the database cannot be reached: nothing was done, and the same request may
    /// succeed once it is back.
    pub fn store_unavailable(error: impl std::fmt::Display) -> Self {
        tracing::warn!(%error, "database unreachable");
        let mut answer = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "the database cannot be reached just now; try again shortly",
        );
        answer.retry_after = Some(STORE_RETRY_AFTER_SECS);
        answer
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        // The detail goes to the log, not to the client.
        tracing::error!(%error, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = serde_json::json!({"code": self.code, "message": self.message});
        if let Some(field) = self.field {
            error["field"] = field.into_owned().into();
        }
        let body = serde_json::json!({ "error": error });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// A database that cannot be reached is a 503 the client may retry; any other database error
/// is an internal fault.
impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        if crate::store::unreachable(&error) {
            ApiError::store_unavailable(error)
        } else {
            ApiError::internal(error)
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::Invalid(field, m) => ApiError::invalid(field, m),
            AccessError::EmailTaken(_) => {
                ApiError::new(StatusCode::CONFLICT, "email_taken", error.to_string())
            }
            AccessError::NoSuchUser(_) => ApiError::not_found(error.to_string()),
            AccessError::Forbidden(m) => ApiError::forbidden(m),
            AccessError::Db(e) => e.into(),
            AccessError::Hashing(e) => ApiError::internal(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_never_echoes_more_than_a_few_hundred_characters() {
        let huge = "x".repeat(1_000_000);
        let error = ApiError::invalid(huge.clone(), format!("unknown field `{huge}`"));
        assert!(error.message.chars().count() <= MAX_MESSAGE + 1);
        assert!(
            error
                .field
                .as_deref()
                .is_some_and(|f| f.chars().count() <= MAX_FIELD + 1)
        );
        // Cut on a character boundary, whatever the script.
        let thai = ApiError::bad_request("ก".repeat(1000));
        assert!(thai.message.ends_with('…'));
        assert_eq!(ApiError::bad_request("short").message, "short");
    }

    #[test]
    fn an_unreachable_database_is_a_503_to_retry_and_other_database_errors_a_500() {
        use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, sqlx};
        let timed_out: ApiError = DbErr::ConnectionAcquire(ConnAcquireErr::Timeout).into();
        assert_eq!(timed_out.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(timed_out.code, "store_unavailable");
        let response = timed_out.into_response();
        assert_eq!(
            response.headers().get("retry-after").map(|v| v.as_bytes()),
            Some(STORE_RETRY_AFTER_SECS.to_string().as_bytes())
        );
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let refused: ApiError = DbErr::Conn(RuntimeErr::SqlxError(refused.into())).into();
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
        let broken = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
        let broken: ApiError = DbErr::Query(RuntimeErr::SqlxError(broken.into())).into();
        assert_eq!(broken.status, StatusCode::SERVICE_UNAVAILABLE);
        // A statement the database refused is not an outage.
        let wrong: ApiError = DbErr::Custom("no such column".into()).into();
        assert_eq!(wrong.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(wrong.into_response().headers().get("retry-after").is_none());
        let missing: ApiError = DbErr::RecordNotFound("x".into()).into();
        assert_eq!(missing.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
