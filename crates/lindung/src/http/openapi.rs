//! The OpenAPI document, built from the documented endpoints themselves: each API route carries
//! the operation its handler's `#[utoipa::path]` describes, and the error responses every route
//! can give are added here from the route's access and inputs, in the one error shape. A route
//! annotates only its success responses and its own errors (a 409 and what it means); those
//! errors get the error shape here too.

use axum::http::{Method, StatusCode};
use utoipa::ToSchema;
use utoipa::openapi::path::{HttpMethod, PathItem, Paths};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, Content, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr,
    ResponseBuilder,
};

use super::Access;

/// One documented route: its method, path, OpenAPI operation and the schemas it names.
#[derive(Clone)]
pub struct Operation {
    pub method: Method,
    pub path: String,
    item: PathItem,
    schemas: Vec<(String, RefOr<Schema>)>,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

const METHODS: [(HttpMethod, Method); 5] = [
    (HttpMethod::Get, Method::GET),
    (HttpMethod::Post, Method::POST),
    (HttpMethod::Put, Method::PUT),
    (HttpMethod::Patch, Method::PATCH),
    (HttpMethod::Delete, Method::DELETE),
];

fn operation_of<'a>(
    item: &'a PathItem,
    method: &HttpMethod,
) -> Option<&'a utoipa::openapi::path::Operation> {
    match method {
        HttpMethod::Get => item.get.as_ref(),
        HttpMethod::Post => item.post.as_ref(),
        HttpMethod::Put => item.put.as_ref(),
        HttpMethod::Patch => item.patch.as_ref(),
        HttpMethod::Delete => item.delete.as_ref(),
        _ => None,
    }
}

fn operation_mut<'a>(
    item: &'a mut PathItem,
    method: &Method,
) -> Option<&'a mut utoipa::openapi::path::Operation> {
    match *method {
        Method::GET => item.get.as_mut(),
        Method::POST => item.post.as_mut(),
        Method::PUT => item.put.as_mut(),
        Method::PATCH => item.patch.as_mut(),
        Method::DELETE => item.delete.as_mut(),
        _ => None,
    }
}

impl Operation {
    /// The one operation `utoipa_axum::routes!` collected for one handler.
    pub(super) fn single(
        paths: Paths,
        schemas: Vec<(String, RefOr<Schema>)>,
    ) -> Result<Self, String> {
        let mut items = paths.paths.into_iter();
        let (path, item) = items.next().ok_or("no path")?;
        if items.next().is_some() {
            return Err(format!("more than one path besides {path}"));
        }
        let mut methods = METHODS
            .iter()
            .filter(|(documented, _)| operation_of(&item, documented).is_some());
        let (_, method) = methods.next().ok_or_else(|| format!("{path}: no method"))?;
        if methods.next().is_some() {
            return Err(format!("{path}: more than one method"));
        }
        Ok(Operation {
            method: method.clone(),
            path,
            item,
            schemas,
        })
    }
}

/// The body of every error response.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a stable code to branch on, a message for people, and the request field at
/// fault when there is one (`child.name`, `files[2].md5`, a path or query parameter's name).
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The error responses a route can give, by status, judged from its access and its inputs.
fn error_statuses(
    access: Access,
    operation: &utoipa::openapi::path::Operation,
    path: &str,
) -> Vec<(&'static str, &'static str)> {
    let mut statuses = Vec::new();
    let has_input = operation.request_body.is_some()
        || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    if has_input {
        statuses.push((
            "400",
            "the request cannot be read (malformed JSON, form or query)",
        ));
    }
    if access != Access::Public {
        statuses.push((
            "401",
            "no valid credentials: send `Authorization: Bearer <token>`",
        ));
        statuses.push(("403", "the caller's role or organisation may not do this"));
    }
    if path.contains('{') {
        statuses.push(("404", "no such record, or it is not the caller's to see"));
    }
    if operation.request_body.is_some() {
        statuses.push(("413", "the body is over the size limit"));
        statuses.push(("415", "the body is not of the documented content type"));
    }
    if has_input {
        statuses.push(("422", "a value is not valid; `error.field` names it"));
    }
    statuses.push(("500", "an internal error; the detail is in the server log"));
    statuses
}

/// The one error shape, as a JSON response's content.
fn error_content() -> Content {
    ContentBuilder::new()
        .schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))))
        .build()
}

/// Adds the error responses every route can give to `op`, puts the route-specific ones (a 409
/// with its meaning, a 503) in the one error shape too, and describes every response (OpenAPI
/// requires a description; a success response annotated without one gets its status's name).
fn add_error_responses(op: &mut utoipa::openapi::path::Operation, access: Access, path: &str) {
    let generic = error_statuses(access, op, path);
    for (status, description) in &generic {
        op.responses
            .responses
            .entry((*status).to_owned())
            .or_insert_with(|| {
                ResponseBuilder::new()
                    .description(*description)
                    .content("application/json", error_content())
                    .build()
                    .into()
            });
    }
    for (status, response) in &mut op.responses.responses {
        let RefOr::T(response) = response else {
            continue;
        };
        let is_error = status.starts_with('4') || status.starts_with('5');
        if is_error && response.content.is_empty() {
            response
                .content
                .insert("application/json".to_owned(), error_content().into());
        }
        if response.description.is_empty() {
            let named = generic.iter().find(|(s, _)| s == status).map(|(_, d)| *d);
            let reason = status
                .parse::<u16>()
                .ok()
                .and_then(|code| StatusCode::from_u16(code).ok())
                .and_then(|code| code.canonical_reason());
            response.description = named.or(reason).unwrap_or("a response").to_owned();
        }
    }
}

/// The document for `operations` (with the access each route admits).
pub fn document<'a>(
    title: &str,
    description: &str,
    operations: impl IntoIterator<Item = (&'a Operation, Access)>,
) -> OpenApi {
    let mut paths = Paths::new();
    let mut components = ComponentsBuilder::new()
        .schema_from::<ErrorBody>()
        .schema_from::<ErrorDetail>()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .build();
    for (operation, access) in operations {
        let mut item = operation.item.clone();
        if let Some(op) = operation_mut(&mut item, &operation.method) {
            add_error_responses(op, access, &operation.path);
        }
        for (name, schema) in &operation.schemas {
            components.schemas.insert(name.clone(), schema.clone());
        }
        let mut one = Paths::new();
        one.paths.insert(operation.path.clone(), item);
        paths.merge(one);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title(title)
                .version("1")
                .description(Some(description))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .build()
}
