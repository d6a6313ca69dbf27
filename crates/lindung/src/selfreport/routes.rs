//! The self-report page, its public JSON API, and the platforms' sync feed and feedback.

use askama::Template;
use axum::Json;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{FeedEntry, Receipt, SelfReportError, Status, Submission};
use crate::access::Role;
use crate::access::audit::Actor;
use crate::web::i18n::Tr;
use crate::web::{Access, ApiError, ApiResult, AppState, Caller, Endpoint, PLATFORM_OR_ADMIN};

/// Languages of the self-report page. The first six are complete; Khmer, Lao and Burmese await
/// review by native speakers (see `locales/*/selfreport.ftl`).
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("th", "ไทย"),
    ("vi", "Tiếng Việt"),
    ("id", "Bahasa Indonesia"),
    ("fil", "Filipino"),
    ("ms", "Bahasa Melayu"),
    ("km", "ខ្មែរ"),
    ("lo", "ລາວ"),
    ("my", "မြန်မာ"),
];

/// Who picks up help requests.
const STAFF: &[Role] = &[
    Role::Admin,
    Role::Analyst,
    Role::CaseWorker,
    Role::Supervisor,
];

pub fn endpoints() -> Vec<Endpoint> {
    let platforms = Access::Roles(PLATFORM_OR_ADMIN);
    vec![
        Endpoint::new("GET", "/self-report", Access::Public, || get(page)),
        Endpoint::new("GET", "/static/selfreport.js", Access::Public, || {
            get(script)
        }),
        Endpoint::new("GET", "/static/pdq.wasm", Access::Public, || get(module)),
        Endpoint::new("POST", "/api/v1/selfreport", Access::Public, || {
            post(submit)
        }),
        Endpoint::new("POST", "/api/v1/selfreport/status", Access::Public, || {
            post(status)
        }),
        Endpoint::new(
            "POST",
            "/api/v1/selfreport/withdraw",
            Access::Public,
            || post(withdraw),
        ),
        Endpoint::new("GET", "/api/v1/hashes/selfreport", platforms, || get(feed)),
        Endpoint::new(
            "GET",
            "/api/v1/selfreport/help-requests",
            Access::Roles(STAFF),
            || get(help_requests),
        ),
        Endpoint::new(
            "POST",
            "/api/v1/hashes/selfreport/feedback",
            platforms,
            || post(feedback),
        ),
    ]
}

impl From<SelfReportError> for ApiError {
    fn from(error: SelfReportError) -> Self {
        match error {
            SelfReportError::Invalid(field, message) => ApiError::invalid(field, message),
            SelfReportError::NotFound => ApiError::not_found(error.to_string()),
            SelfReportError::AlreadyWithdrawn => {
                ApiError::new(StatusCode::CONFLICT, "withdrawn", error.to_string())
            }
            SelfReportError::Bank(e) => e.into(),
            SelfReportError::Db(e) => ApiError::internal(e),
            SelfReportError::Internal(e) => ApiError::internal(e),
        }
    }
}

fn too_many() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many requests from this address; try again later",
    )
}

#[derive(Template)]
#[template(path = "selfreport.html")]
struct SelfReportPage {
    tr: Tr,
    languages: Vec<(&'static str, &'static str, bool)>,
    /// The page's messages for its script, as JSON safe inside a `<script>` element.
    messages: String,
    available: bool,
}

const SCRIPT_MESSAGES: &[&str] = &[
    "sr-hash-ready",
    "sr-hashing",
    "sr-low-quality",
    "sr-unreadable",
    "sr-video-ready",
    "sr-sending",
    "sr-send-failed",
    "sr-status-received",
    "sr-status-active",
    "sr-status-withdrawn",
    "sr-status-line",
    "sr-withdraw-confirm",
    "sr-withdrawn-now",
    "sr-not-found",
    "sr-rate-limited",
    "sr-consent-needed",
];

#[derive(Deserialize)]
struct PageQuery {
    lang: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let tr = Tr::negotiate_among(q.lang.as_deref(), accept, LANGUAGES);
    let messages: serde_json::Map<String, serde_json::Value> = SCRIPT_MESSAGES
        .iter()
        .map(|key| ((*key).to_owned(), tr.t(key).into()))
        .collect();
    // `</` would end the script element early.
    let messages = serde_json::Value::Object(messages)
        .to_string()
        .replace("</", "<\\/");
    let page = SelfReportPage {
        languages: LANGUAGES
            .iter()
            .map(|&(code, name)| (code, name, code == tr.lang))
            .collect(),
        tr,
        messages,
        available: state.pdq_wasm.is_some(),
    };
    let mut response = crate::web::pages::render(StatusCode::OK, &page);
    // Nothing on this page may load from or send to another origin.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/selfreport.js"),
    )
        .into_response()
}

async fn module(State(state): State<AppState>) -> Response {
    match state.pdq_wasm {
        Some(bytes) => ([(header::CONTENT_TYPE, "application/wasm")], bytes).into_response(),
        None => ApiError::not_found(
            "the PDQ module is not installed on this server (scripts/build-wasm)",
        )
        .into_response(),
    }
}

/// The submission as the page sends it, with the honeypot field bots fill in.
#[derive(Deserialize)]
struct SubmitBody {
    #[serde(flatten)]
    submission: Submission,
    #[serde(default)]
    website: String,
}

async fn submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<std::net::SocketAddr>,
    Json(body): Json<SubmitBody>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let client = addr.ip().to_string();
    if state.selfreport_submit_limit.exceeded(&client) {
        return Err(too_many());
    }
    if !body.website.is_empty() {
        return Err(ApiError::bad_request(
            "the form was not filled in by a person",
        ));
    }
    let actor = Actor::anonymous(Some(client));
    let receipt = super::submit(&state.store, &state.fields, &actor, &body.submission).await?;
    state.matcher.sync(&state.store).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

#[derive(Deserialize)]
struct CaseBody {
    case_number: String,
    pin: String,
}

fn lookup_guard(state: &AppState, addr: std::net::SocketAddr) -> ApiResult<Actor> {
    let client = addr.ip().to_string();
    if state.selfreport_lookup_limit.exceeded(&client) {
        return Err(too_many());
    }
    Ok(Actor::anonymous(Some(client)))
}

async fn status(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<std::net::SocketAddr>,
    Json(body): Json<CaseBody>,
) -> ApiResult<Json<Status>> {
    let actor = lookup_guard(&state, addr)?;
    Ok(Json(
        super::status(&state.store, &actor, &body.case_number, &body.pin).await?,
    ))
}

async fn withdraw(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<std::net::SocketAddr>,
    Json(body): Json<CaseBody>,
) -> ApiResult<Json<Status>> {
    let actor = lookup_guard(&state, addr)?;
    let status = super::withdraw(&state.store, &actor, &body.case_number, &body.pin).await?;
    state.matcher.sync(&state.store).await?;
    Ok(Json(status))
}

#[derive(Deserialize)]
struct FeedQuery {
    since: Option<i64>,
    limit: Option<u64>,
}

#[derive(serde::Serialize)]
struct FeedPage {
    entries: Vec<FeedEntry>,
    /// Pass as `since` for the next page; unchanged when there is nothing new.
    checkpoint: i64,
}

async fn feed(
    State(state): State<AppState>,
    Query(q): Query<FeedQuery>,
) -> ApiResult<Json<FeedPage>> {
    let since = q.since.unwrap_or(0);
    let limit = q.limit.unwrap_or(1000);
    if since < 0 || !(1..=10_000).contains(&limit) {
        return Err(ApiError::bad_request(
            "since is a checkpoint (0 or more); limit is 1 to 10000",
        ));
    }
    let entries = super::feed(&state.store, since, limit).await?;
    let checkpoint = entries.last().map_or(since, |e| e.checkpoint);
    Ok(Json(FeedPage {
        entries,
        checkpoint,
    }))
}

#[derive(Deserialize)]
struct FeedbackBody {
    signal_type: String,
    hash: String,
    kind: String,
}

async fn feedback(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<FeedbackBody>,
) -> ApiResult<StatusCode> {
    super::record_feedback(
        &state.store,
        &caller.actor(),
        caller.principal.organisation_id,
        &body.signal_type,
        &body.hash,
        &body.kind,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn help_requests(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<super::HelpRequest>>> {
    Ok(Json(
        super::help_requests(
            &state.store,
            &state.fields,
            &caller.actor(),
            &caller.principal,
        )
        .await?,
    ))
}
