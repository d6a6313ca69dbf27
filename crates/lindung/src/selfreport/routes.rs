//! The self-report page, its public JSON API, and the platforms' sync feed and feedback. The
//! `/api/v1` routes are documented in the OpenAPI document (tag `self-report`); the page and its
//! static files are not.

use askama::Template;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{FeedEntry, Receipt, SelfReportContext, SelfReportError, Status, Submission};
use crate::access::Role;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::http::i18n::{PUBLIC_LANGUAGES, Tr};
use crate::http::{
    Access, ApiError, ApiResult, AuthContext, Caller, Endpoint, Json, PLATFORM_OR_ADMIN, Query,
    StateLayer, rate_limited,
};

/// Who picks up help requests.
const STAFF: &[Role] = &[
    Role::Admin,
    Role::Analyst,
    Role::CaseWorker,
    Role::Supervisor,
];

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    SelfReportContext: FromRef<S>,
    AuthContext: FromRef<S>,
{
    use utoipa_axum::routes;
    let platforms = Access::Roles(PLATFORM_OR_ADMIN);
    // The public routes count each client before anything of its body is read.
    let submissions: StateLayer<S> = |router, state| {
        let limit = SelfReportContext::from_ref(state).submit_limit;
        router.route_layer(from_fn_with_state(
            (AuthContext::from_ref(state).proxies, limit),
            rate_limited,
        ))
    };
    let lookups: StateLayer<S> = |router, state| {
        let limit = SelfReportContext::from_ref(state).lookup_limit;
        router.route_layer(from_fn_with_state(
            (AuthContext::from_ref(state).proxies, limit),
            rate_limited,
        ))
    };
    vec![
        Endpoint::get("/self-report", Access::Public, page),
        Endpoint::get("/static/selfreport.js", Access::Public, script),
        Endpoint::get("/static/pdq.wasm", Access::Public, module),
        Endpoint::api(Access::Public, routes!(submit)).with_state_layer(submissions),
        Endpoint::api(Access::Public, routes!(status)).with_state_layer(lookups),
        Endpoint::api(Access::Public, routes!(withdraw)).with_state_layer(lookups),
        Endpoint::api(platforms, routes!(feed)),
        Endpoint::api(Access::Roles(STAFF), routes!(help_requests)),
        Endpoint::api(platforms, routes!(feedback)),
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
            SelfReportError::Db(e) => e.into(),
            SelfReportError::Internal(e) => ApiError::internal(e),
        }
    }
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

/// The page's query: links may carry other parameters (campaign tags), which are ignored.
#[derive(Deserialize)]
struct PageQuery {
    lang: Option<String>,
}

async fn page(
    State(ctx): State<SelfReportContext>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
) -> Response {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let tr = Tr::negotiate_among(q.lang.as_deref(), accept, PUBLIC_LANGUAGES);
    let messages: serde_json::Map<String, serde_json::Value> = SCRIPT_MESSAGES
        .iter()
        .map(|key| ((*key).to_owned(), tr.t(key).into()))
        .collect();
    // `</` would end the script element early.
    let messages = serde_json::Value::Object(messages)
        .to_string()
        .replace("</", "<\\/");
    let page = SelfReportPage {
        languages: PUBLIC_LANGUAGES
            .iter()
            .map(|&(code, name)| (code, name, code == tr.lang))
            .collect(),
        tr,
        messages,
        available: ctx.pdq_wasm.is_some(),
    };
    let mut response = crate::http::render(StatusCode::OK, &page);
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

async fn module(State(ctx): State<SelfReportContext>) -> Response {
    match ctx.pdq_wasm {
        Some(bytes) => ([(header::CONTENT_TYPE, "application/wasm")], bytes).into_response(),
        None => ApiError::not_found(
            "the PDQ module is not installed on this server (scripts/build-wasm)",
        )
        .into_response(),
    }
}

/// Submits the hashes of a person's own pictures.
///
/// The hashes are computed on the person's device and go to the self-report bank at once. The
/// answer holds the case number and the PIN, given only here.
#[utoipa::path(post, path = "/api/v1/selfreport", tag = "self-report", request_body = Submission,
    responses((status = 201, description = "received; keep the case number and PIN", body = Receipt),
        (status = 400, description = "the body cannot be read, or the form was not filled in by a person"),
        (status = 429, description = "`rate_limited`: too many submissions from this address")))]
async fn submit(
    State(ctx): State<SelfReportContext>,
    Json(body): Json<Submission>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    if !body.website.is_empty() {
        return Err(ApiError::bad_request(
            "the form was not filled in by a person",
        ));
    }
    let receipt = super::submit(&ctx, &Actor::public("self-report"), &body).await?;
    ctx.banks.sync().await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

/// A self-report's case number and PIN, as given on submission.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseBody {
    case_number: String,
    pin: String,
}

/// A self-report's status, by case number and PIN.
///
/// Wrong PINs are counted: too many lock the case for a while.
#[utoipa::path(post, path = "/api/v1/selfreport/status", tag = "self-report", request_body = CaseBody,
    responses((status = 200, body = Status),
        (status = 404, description = "the case number or PIN is not right, or too many tries were made"),
        (status = 429, description = "`rate_limited`: too many lookups from this address")))]
async fn status(
    State(ctx): State<SelfReportContext>,
    Json(body): Json<CaseBody>,
) -> ApiResult<Json<Status>> {
    let actor = Actor::public("self-report status");
    Ok(Json(
        super::status(&ctx.store, &actor, &body.case_number, &body.pin).await?,
    ))
}

/// Withdraws a self-report: its hashes leave the bank at once.
#[utoipa::path(post, path = "/api/v1/selfreport/withdraw", tag = "self-report", request_body = CaseBody,
    responses((status = 200, description = "withdrawn", body = Status),
        (status = 404, description = "the case number or PIN is not right, or too many tries were made"),
        (status = 409, description = "`withdrawn`: the report was already withdrawn"),
        (status = 429, description = "`rate_limited`: too many lookups from this address")))]
async fn withdraw(
    State(ctx): State<SelfReportContext>,
    Json(body): Json<CaseBody>,
) -> ApiResult<Json<Status>> {
    let actor = Actor::public("self-report status");
    let status = super::withdraw(&ctx, &actor, &body.case_number, &body.pin).await?;
    ctx.banks.sync().await?;
    Ok(Json(status))
}

/// Where the feed resumes, and how much it answers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `checkpoint` of the previous page; 0 (the default) from the start.
    since: Option<i64>,
    /// Entries per page, 1 to 10000 (default 1000).
    limit: Option<u64>,
}

/// A page of the sync feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedPage {
    entries: Vec<FeedEntry>,
    /// Pass as `since` for the next page; unchanged when there is nothing new.
    checkpoint: i64,
}

/// The platforms' sync feed of the self-report bank.
///
/// Hashes added and removed after a checkpoint, oldest first.
#[utoipa::path(get, path = "/api/v1/hashes/selfreport", tag = "self-report", params(FeedQuery),
    responses((status = 200, body = FeedPage)),
    security(("bearer" = [])))]
async fn feed(
    State(ctx): State<SelfReportContext>,
    caller: Caller,
    Query(q): Query<FeedQuery>,
) -> ApiResult<Json<FeedPage>> {
    let since = q.since.unwrap_or(0);
    let limit = q.limit.unwrap_or(1000);
    if since < 0 || !(1..=10_000).contains(&limit) {
        let field = if since < 0 { "since" } else { "limit" };
        return Err(ApiError::invalid(
            field,
            "since is a checkpoint (0 or more); limit is 1 to 10000",
        ));
    }
    let entries = super::feed(&ctx.store, since, limit).await?;
    let checkpoint = entries.last().map_or(since, |e| e.checkpoint);
    // Who read which hashes of children's own pictures, and when.
    audit::record(
        &ctx.store,
        &caller.actor(),
        AuditEvent::new("selfreport.feed.read", "selfreport_feed", None)
            .detail("since", since)
            .detail("entries", entries.len()),
    )
    .await?;
    Ok(Json(FeedPage {
        entries,
        checkpoint,
    }))
}

/// What a platform did with a hash of the feed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    /// `pdq` or `md5`.
    signal_type: String,
    hash: String,
    /// `matched`, `blocked` or `not_blocked`.
    kind: String,
}

/// A platform tells what it did with a hash of the feed.
///
/// The person sees how often their pictures were found.
#[utoipa::path(post, path = "/api/v1/hashes/selfreport/feedback", tag = "self-report",
    request_body = FeedbackBody,
    responses((status = 204, description = "recorded")),
    security(("bearer" = [])))]
async fn feedback(
    State(ctx): State<SelfReportContext>,
    caller: Caller,
    Json(body): Json<FeedbackBody>,
) -> ApiResult<StatusCode> {
    super::record_feedback(
        &ctx.store,
        &caller.actor(),
        caller.principal.organisation_id,
        &body.signal_type,
        &body.hash,
        &body.kind,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Open help requests, oldest first, with their contacts.
///
/// For the staff of the organisation that runs the deployment; others get an empty list.
#[utoipa::path(get, path = "/api/v1/selfreport/help-requests", tag = "self-report",
    responses((status = 200, body = Vec<super::HelpRequest>)),
    security(("bearer" = [])))]
async fn help_requests(
    State(ctx): State<SelfReportContext>,
    caller: Caller,
) -> ApiResult<Json<Vec<super::HelpRequest>>> {
    Ok(Json(
        super::help_requests(&ctx, &caller.actor(), &caller.principal).await?,
    ))
}
