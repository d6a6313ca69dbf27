//! Extractors that answer in the one error shape, naming the field at fault: a JSON body, path
//! parameters, a query string and a multipart form. Axum's own extractors answer a bad request
//! in plain text; these wrap them.
//!
//! - A body that is not JSON at all (a syntax error, an empty body): 400 `bad_json`.
//! - A body with the wrong content type: 415 `unsupported_media_type` (a JSON API that
//!   accepted `text/plain` would let another site post to it from a form).
//! - A value of the wrong type, a missing field or a field the route does not know: 422
//!   `invalid` with `field` set to its path (`child.name`, `files[2].md5`, `risk`). Request
//!   types refuse unknown fields (`#[serde(deny_unknown_fields)]`), so nothing sent is dropped
//!   without a word.
//! - A path or query parameter that does not parse: 422 `invalid` naming the parameter.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ApiError;

/// A JSON request body (or response: it serialises like `axum::Json`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the body is over the size limit",
        )
    } else {
        ApiError::bad_request(format!("reading the body: {rejection}"))
    }
}

/// The body's media type, lower-cased, without parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
}

fn is_json(parts: &Parts) -> bool {
    media_type(&parts.headers).is_some_and(|mime| {
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    })
}

/// For routes that read their body as bytes: the body must be of one of `expected` types (a
/// route that took any type would let another site's form post to it).
pub fn require_content_type(headers: &HeaderMap, expected: &[&str]) -> Result<(), ApiError> {
    match media_type(headers) {
        Some(mime) if expected.contains(&mime.as_str()) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send the body as {}", expected.join(" or ")),
        )),
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        if !is_json(&parts) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON, with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(body_error)?;
        parse_json(&bytes).map(Json)
    }
}

/// An optional JSON body: absent when the request has no body and no content type.
impl<T: DeserializeOwned, S: Send + Sync> axum::extract::OptionalFromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        if request.headers().contains_key(header::CONTENT_TYPE) {
            return <Self as FromRequest<S>>::from_request(request, state)
                .await
                .map(Some);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_error)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            Ok(None)
        } else {
            Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON, with `Content-Type: application/json`",
            ))
        }
    }
}

/// Parses a JSON body by the rule above. Routes that also need the raw body (to fingerprint a
/// request for idempotency) read the bytes and call this.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_json",
                    format!("the body is not JSON: {inner}"),
                )
            }
            _ => {
                let message = inner.to_string();
                let field = field_at(&path, &message);
                ApiError::invalid(field.clone(), format!("{field}: {message}"))
            }
        }
    })?;
    // Anything after the value (`{...} trailing`) is not JSON either.
    deserializer.end().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("the body is not JSON: {e}"),
        )
    })?;
    Ok(parsed)
}

/// The field a deserialisation error is about: its path, plus the name of a missing field
/// (serde reports that at the enclosing object; an unknown field's path already ends with it).
fn field_at(path: &str, message: &str) -> String {
    let path = if path == "." { "" } else { path };
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match named {
        Some(name) if path == name || path.ends_with(&format!(".{name}")) => path.to_owned(),
        Some(name) if path.is_empty() => name.to_owned(),
        Some(name) => format!("{path}.{name}"),
        None if path.is_empty() => "body".to_owned(),
        None => path.to_owned(),
    }
}

/// Path parameters; one that does not parse is a 422 naming it.
#[derive(Clone, Copy, Debug)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let message = e.body_text();
                // A single value (`Path<i64>`) is reported without its name: find it among the
                // route's parameters by position or by value.
                let params: Vec<(String, String)> =
                    axum::extract::RawPathParams::from_request_parts(parts, state)
                        .await
                        .map(|raw| {
                            raw.iter()
                                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                                .collect()
                        })
                        .unwrap_or_default();
                let named = |pick: Option<&(String, String)>| -> Cow<'static, str> {
                    pick.map_or("path".into(), |(k, _)| k.clone().into())
                };
                let field: Cow<'static, str> = match e.into_kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key }
                    | ErrorKind::DeserializeError { key, .. } => key.into(),
                    ErrorKind::ParseErrorAtIndex { index, .. } => named(params.get(index)),
                    ErrorKind::ParseError { value, .. } => {
                        named(params.iter().find(|(_, v)| *v == value))
                    }
                    _ => named(params.first().filter(|_| params.len() == 1)),
                };
                Err(ApiError::invalid(field, message))
            }
            Err(other) => Err(ApiError::internal(other.body_text())),
        }
    }
}

/// A query string; a parameter that does not parse, or that the route does not know, is a 422
/// naming it. A query string that is not `application/x-www-form-urlencoded` at all is a 400.
#[derive(Clone, Copy, Debug, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Query)
            .map_err(|error| {
                let path = error.path().to_string();
                let message = error.into_inner().to_string();
                let field = field_at(&path, &message);
                ApiError::invalid(field.clone(), format!("{field}: {message}"))
            })
    }
}

/// A multipart form; a request that is not one is a 415, a malformed one a 400.
#[derive(Debug)]
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(request, state)
            .await
            .map(Multipart)
            .map_err(|rejection: MultipartRejection| {
                ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    format!("send a multipart/form-data body: {}", rejection.body_text()),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Child {
        name: String,
        age: Option<u8>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct NewCase {
        child: Child,
        files: Option<Vec<Child>>,
    }

    fn refusal(body: &str) -> (u16, String, Option<String>) {
        let e = parse_json::<NewCase>(body.as_bytes()).expect_err("refused");
        (
            e.status.as_u16(),
            e.code.to_owned(),
            e.field.map(Cow::into_owned),
        )
    }

    #[test]
    fn syntax_errors_are_400_and_value_errors_422_naming_the_field() {
        assert_eq!(refusal("{not json").0, 400);
        assert_eq!(refusal("").0, 400);
        assert_eq!(refusal(r#"{"child": {"name": "A"}} trailing"#).0, 400);
        assert_eq!(
            refusal(r#"{"child": {"name": "A"}, "risk": "high"}"#),
            (422, "invalid".into(), Some("risk".into()))
        );
        assert_eq!(
            refusal(r#"{"child": {"name": "A", "nickname": "B"}}"#),
            (422, "invalid".into(), Some("child.nickname".into()))
        );
        assert_eq!(
            refusal(r#"{"child": {}}"#),
            (422, "invalid".into(), Some("child.name".into()))
        );
        assert_eq!(
            refusal(r#"{"child": {"name": "A"}, "files": [{"name": "x"}, {"name": 3}]}"#),
            (422, "invalid".into(), Some("files[1].name".into()))
        );
        assert_eq!(
            refusal(r#"{"child": {"name": "A", "age": 300}}"#),
            (422, "invalid".into(), Some("child.age".into()))
        );
    }
}
