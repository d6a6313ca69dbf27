//! Hotline: reports of child sexual abuse material from the public and from IT companies,
//! through assessment, notice and takedown, to referral. A report is one case of work: every
//! submission about the same URL or file joins the open report that already has it, keeping
//! each reporter. Files are matched against the banks on intake, so known material is shown to
//! analysts only as "previously assessed". Reporters' words and contact details are
//! field-encrypted; every read and write is audited.

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
pub use input::{
    FileInput, IpCapture, ReportInput, ReportedUser, SubmissionDetails, Victim, check_country,
    parse_time,
};
pub use intake::{Receipt, Source, add_event, hotline_organisation, priority, submit};
pub use queue::{QueueEntry, QueueFilter, claim, queue, release};
pub use status::{PublicStatus, public_status_of};
pub use views::{
    AssessmentView, EventView, FileView, ReportView, SubmissionView, UrlView, file_of,
    hours_between, load_view, url_of, view, visible_report,
};
pub(crate) use views::{finish, open_report, refuse};
pub use vocabulary::{AgeGroup, IncidentType, ReportSource, ReportStatus};

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
}

/// Every hotline route: the API and the pages.
pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    HotlineContext: FromRef<S>,
{
    let mut all = api::endpoints();
    all.extend(public::endpoints());
    all.extend(pages::endpoints());
    all
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
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Internal(String),
}

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> HotlineError {
    HotlineError::Invalid(field, message.into())
}

pub(crate) fn internal(e: impl std::fmt::Display) -> HotlineError {
    HotlineError::Internal(e.to_string())
}
