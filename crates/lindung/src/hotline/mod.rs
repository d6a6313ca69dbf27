//! Hotline: reports of child sexual abuse material from the public and from IT companies,
//! through assessment, notice and takedown, to referral. A report is one case of work: every
//! submission about the same URL or file joins the open report that already has it, keeping
//! each reporter. Files are matched against the banks on intake, so known material is shown to
//! analysts only as "previously assessed". Reporters' words and contact details are
//! field-encrypted; every read and write is audited.

pub mod addresses;
pub mod api;
mod assessment;
pub mod config;
pub mod contacts;
mod dedupe;
pub mod entities;
pub mod exports;
mod input;
mod intake;
pub mod network;
pub mod pages;
mod public;
mod queue;
pub mod stats;
mod status;
pub mod takedown;
mod views;
pub mod vocabulary;

use std::sync::Arc;

use axum::extract::FromRef;
use sea_orm::DbErr;

use self::config::HotlineConfig;
use crate::access::Role;
use crate::banks::BanksContext;
use crate::http::{Endpoint, RateLimiter};
use crate::mail::Mailer;
use crate::store::Store;
use crate::store::fields::FieldCipher;

pub use assessment::{
    Assessed, AssessmentInput, assess, attribute, close, is_actionable, refer_to_care,
};
pub(crate) use input::check_report;
pub use input::{
    FileInput, IpCapture, ReportInput, ReportedUser, SubmissionDetails, Victim, check_country,
    parse_time,
};
pub use intake::{Receipt, Source, add_event, hotline_organisation, priority, submit};
pub use queue::{QueueEntry, QueueFilter, claim, queue, release};
pub use status::{PublicStatus, public_status_of};
pub use views::{
    AssessmentView, EventView, FileView, LinkedReportView, ReportView, SubmissionView, UrlView,
    file_of, hours_between, load_view, url_of, view, visible_report,
};
pub(crate) use views::{finish, open_report, refuse};
pub use vocabulary::{AgeGroup, IncidentType, LinkRelation, ReportSource, ReportStatus};

/// The columns the hotline seals, for re-encryption after a key rotation: a submission's
/// details (by its reference) and evidence files (by file).
pub const SEALED_COLUMNS: &[crate::store::reseal::SealedColumn] = &[
    crate::store::reseal::SealedColumn {
        table: "hotline_submissions",
        column: "details",
        context: "hotline_submissions.details",
        context_from: "reference",
    },
    crate::store::reseal::SealedColumn {
        table: "hotline_evidence",
        column: "content",
        context: "hotline_evidence.content",
        context_from: "file_id",
    },
];

/// What the hotline's routes, services and scheduled work need.
#[derive(Clone, Debug)]
pub struct HotlineContext {
    pub store: Store,
    /// Encrypts reporters' words and contacts, and evidence files.
    pub fields: Arc<FieldCipher>,
    /// Emergency numbers, law table, notice and check schedules.
    pub config: Arc<HotlineConfig>,
    /// Files are matched against the banks on intake; assessed files are banked.
    pub banks: BanksContext,
    /// Sends notices to hosting providers when SMTP is configured.
    pub mailer: Option<Mailer>,
    /// Public reports per client address.
    pub report_limit: Arc<RateLimiter>,
    /// Status checks per client address (PIN guesses), shared with self-report's.
    pub status_limit: Arc<RateLimiter>,
    /// One notice-and-check run at a time, across processes, so a notice is never sent twice
    /// at once.
    pub runs: Arc<takedown::Runs>,
    /// The hotline organisation's id, once found.
    pub organisation: Arc<std::sync::OnceLock<i32>>,
}

/// Every hotline route: the API and the pages, closed with a 503 `hotline_not_configured`
/// while the hotline organisation does not exist.
pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    HotlineContext: FromRef<S>,
    crate::http::AuthContext: FromRef<S>,
{
    let mut all = api::endpoints();
    all.extend(public::endpoints());
    all.extend(pages::endpoints());
    all.into_iter()
        .map(|endpoint| {
            endpoint.with_state_layer(|router, state| {
                router.route_layer(axum::middleware::from_fn_with_state(
                    HotlineContext::from_ref(state),
                    require_configured,
                ))
            })
        })
        .collect()
}

impl HotlineContext {
    /// The id of the organisation that runs the hotline, once it exists. Found once, then kept:
    /// an organisation is never renamed or deleted while the server runs.
    pub async fn organisation_id(&self) -> Result<i32, HotlineError> {
        if let Some(id) = self.organisation.get() {
            return Ok(*id);
        }
        let id = hotline_organisation(self.store.db(), &self.config).await?;
        Ok(*self.organisation.get_or_init(|| id))
    }
}

/// Closes the hotline's routes while its organisation does not exist: a 503 in the JSON shape
/// for the API, an error page for pages.
async fn require_configured(
    axum::extract::State(ctx): axum::extract::State<HotlineContext>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match ctx.organisation_id().await {
        // The hotline's work is its own organisation's: an analyst or admin of another gets
        // 403 on every hotline route, even one that would show them nothing (docs/hotline.md).
        Ok(hotline)
            if request
                .extensions()
                .get::<crate::http::Caller>()
                .is_some_and(|caller| {
                    ANALYSTS.contains(&caller.principal.role)
                        && caller.principal.organisation_id != hotline
                }) =>
        {
            if let Some(caller) = request.extensions().get::<crate::http::Caller>() {
                // Every refusal is audited (by the route's pattern, never the path as sent, which
                // is the caller's to fill); a failure to write it still refuses.
                let pattern = request
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map_or("", axum::extract::MatchedPath::as_str);
                let route = format!("{} {pattern}", request.method());
                let _ = crate::access::audit::record(
                    &ctx.store,
                    &caller.actor(),
                    crate::access::audit::AuditEvent::new("hotline.denied", "hotline_route", route),
                )
                .await;
            }
            let error = crate::http::ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "forbidden",
                "only the hotline's own analysts and admins do the hotline's work",
            );
            if request.uri().path().starts_with("/api/") {
                error.into_response()
            } else {
                crate::http::chrome::page_error(request.headers(), error)
            }
        }
        Ok(_) => next.run(request).await,
        Err(e) => {
            // The operator was told how to fix it at start; callers learn only that the
            // hotline is not open, not how it is set up.
            if !matches!(e, HotlineError::NotConfigured(_)) {
                return crate::http::ApiError::from(e).into_response();
            }
            let error = crate::http::ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "hotline_not_configured",
                "this hotline is not open yet; please try again later",
            );
            if request.uri().path().starts_with("/api/") {
                error.into_response()
            } else {
                crate::http::chrome::page_error(request.headers(), error)
            }
        }
    }
}

/// CyberTipline report annotations, plus `generativeAi` (a file annotation there).
pub const ANNOTATIONS: &[&str] = &[
    "sextortion",
    "csamSolicitation",
    "minorToMinorInteraction",
    "spam",
    "sadisticOnlineExploitation",
    "informational",
    "generativeAi",
];
pub const SEEN_ON: &[&str] = &["website", "social_media", "messaging_app", "game", "other"];
pub const MAX_URLS: usize = 50;
pub const MAX_FILES: usize = 100;
pub const MAX_TEXT: usize = 10_000;
const MAX_SHORT: usize = 512;

/// The roles that work reports.
pub const ANALYSTS: &[Role] = &[Role::Analyst, Role::Admin];

#[derive(Debug, thiserror::Error)]
pub enum HotlineError {
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error("no such report")]
    NotFound,
    #[error("this report is not yours to see or change")]
    Forbidden,
    #[error("{0}")]
    Conflict(&'static str, String),
    /// Unknown reference, wrong PIN, or a locked reference: deliberately indistinguishable.
    #[error("the reference or PIN is not right, or too many tries were made; try again later")]
    WrongPin,
    /// The organisation `hotline.json` (or `--hotline-org`) names does not exist.
    #[error("{}", not_configured(.0))]
    NotConfigured(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Internal(String),
}

/// What to do when the hotline organisation does not exist, naming commands that exist.
pub fn not_configured(organisation: &str) -> String {
    format!(
        "the hotline organisation {organisation:?} does not exist, so the hotline's routes are \
         closed: create it with its first analyst (`lindung user add --org {organisation:?} \
         --email … --role analyst --password-stdin`), or name an existing one with \
         `lindung serve --hotline-org NAME`"
    )
}

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> HotlineError {
    HotlineError::Invalid(field, message.into())
}

pub(crate) fn internal(e: impl std::fmt::Display) -> HotlineError {
    HotlineError::Internal(e.to_string())
}
