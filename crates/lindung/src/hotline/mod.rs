//! Hotline: reports of child sexual abuse material from the public and from IT companies,
//! through assessment, notice and takedown, to referral. A report is one case of work: every
//! submission about the same URL or file joins the open report that already has it, keeping
//! each reporter. Files are matched against the banks on intake, so known material is shown to
//! analysts only as "previously assessed". Reporters' words and contact details are
//! field-encrypted; every read and write is audited.

pub mod api;
pub mod config;
pub mod contacts;
pub mod entities;
pub mod exports;
pub mod network;
pub mod pages;
pub mod stats;
pub mod takedown;

use std::collections::BTreeSet;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use self::config::{CATEGORIES, CONTENT_KINDS, HotlineConfig};
use self::entities::{assessment, event, file, report, submission, url as url_row};
use crate::access::audit::{self, Actor, AuditEvent};
use crate::access::entities::organisation;
use crate::access::{Principal, Role, now, pins};
use crate::banks::matcher::Matcher;
use crate::store::Store;
use crate::store::fields::FieldCipher;

/// The eight CyberTipline incident types: our names and NCMEC's.
pub const INCIDENT_TYPES: &[(&str, &str)] = &[
    (
        "csam",
        "Child Pornography (possession, manufacture, and distribution)",
    ),
    ("child_sex_trafficking", "Child Sex Trafficking"),
    ("child_sex_tourism", "Child Sex Tourism"),
    ("child_sexual_molestation", "Child Sexual Molestation"),
    ("misleading_domain_name", "Misleading Domain Name"),
    (
        "misleading_words_or_images",
        "Misleading Words or Digital Images on the Internet",
    ),
    (
        "online_enticement",
        "Online Enticement of Children for Sexual Acts",
    ),
    (
        "unsolicited_obscene_material_to_child",
        "Unsolicited Obscene Material Sent to a Child",
    ),
];
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
pub const STATUSES: &[&str] = &[
    "new",
    "in_review",
    "assessed",
    "notice_sent",
    "removed",
    "closed",
];
pub const AGE_GROUPS: &[&str] = &["infant_toddler", "prepubescent", "pubescent", "unknown"];
pub const SOURCES: &[&str] = &["public", "platform", "partner"];

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

fn invalid(field: &'static str, message: impl Into<String>) -> HotlineError {
    HotlineError::Invalid(field, message.into())
}

fn internal(e: impl std::fmt::Display) -> HotlineError {
    HotlineError::Internal(e.to_string())
}

/// A user seen in the incident, as a platform knows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportedUser {
    #[serde(default)]
    pub identifiers: Vec<String>,
    pub screen_name: Option<String>,
    pub profile_url: Option<String>,
    #[serde(default)]
    pub ip_capture_events: Vec<IpCapture>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IpCapture {
    pub ip: String,
    /// `Login`, `Registration`, `Purchase`, `Upload`, `Other` or `Unknown`.
    pub event: Option<String>,
    /// RFC 3339.
    pub at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Victim {
    pub estimated_age: Option<u8>,
}

/// A file given by its hashes, with the file itself where policy allows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    pub pdq: Option<String>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
    /// The file, base64; accepted only when the hotline's evidence policy allows uploads.
    pub content_base64: Option<String>,
}

/// A report as the API, the public form and a partner hotline's export give it.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    pub incident_type: String,
    /// RFC 3339.
    pub incident_time: Option<String>,
    #[serde(default)]
    pub annotations: Vec<String>,
    pub platform: Option<String>,
    pub service: Option<String>,
    /// Where it was seen: website, social_media, messaging_app, game or other.
    pub seen_on: Option<String>,
    pub reported_user: Option<ReportedUser>,
    #[serde(default)]
    pub victims: Vec<Victim>,
    #[serde(default)]
    pub files: Vec<FileInput>,
    #[serde(default)]
    pub urls: Vec<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub immediate_danger: bool,
    /// ISO 3166 alpha-2.
    pub reporter_country: Option<String>,
    pub contact: Option<String>,
}

/// What a submission keeps, encrypted, beyond the shared report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubmissionDetails {
    pub description: Option<String>,
    pub contact: Option<String>,
    pub platform: Option<String>,
    pub service: Option<String>,
    pub seen_on: Option<String>,
    pub reported_user: Option<ReportedUser>,
    #[serde(default)]
    pub victims: Vec<Victim>,
}

/// A file's hashes, checked and lower-cased.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct FileHashes {
    pdq: Option<String>,
    md5: Option<String>,
    sha256: Option<String>,
    content: Option<Vec<u8>>,
}

struct Checked {
    incident_type: String,
    incident_time: Option<OffsetDateTime>,
    annotations: BTreeSet<String>,
    urls: Vec<url::Url>,
    files: Vec<FileHashes>,
    victim_age: Option<i32>,
    reporter_country: Option<String>,
    details: SubmissionDetails,
}

fn check_text(field: &'static str, value: &Option<String>, max: usize) -> Result<(), HotlineError> {
    match value {
        Some(v) if v.chars().count() > max => Err(invalid(
            field,
            format!("{field} has at most {max} characters"),
        )),
        _ => Ok(()),
    }
}

fn check_hex(
    field: &'static str,
    value: &Option<String>,
    digits: usize,
) -> Result<Option<String>, HotlineError> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim().to_ascii_lowercase();
    if value.len() != digits || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(
            field,
            format!("{field} is {digits} hexadecimal digits"),
        ));
    }
    Ok(Some(value))
}

pub fn check_country(field: &'static str, value: &str) -> Result<String, HotlineError> {
    let value = value.trim().to_ascii_uppercase();
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(value)
    } else {
        Err(invalid(
            field,
            format!("{field} is a two-letter country code"),
        ))
    }
}

pub fn parse_time(field: &'static str, value: &str) -> Result<OffsetDateTime, HotlineError> {
    OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339).map_err(
        |_| {
            invalid(
                field,
                format!("{field} is an RFC 3339 time, such as 2026-11-01T10:00:00Z"),
            )
        },
    )
}

fn check_input(input: &ReportInput, config: &HotlineConfig) -> Result<Checked, HotlineError> {
    if !INCIDENT_TYPES
        .iter()
        .any(|(ours, _)| *ours == input.incident_type)
    {
        let names: Vec<&str> = INCIDENT_TYPES.iter().map(|(ours, _)| *ours).collect();
        return Err(invalid(
            "incident_type",
            format!("incident_type is one of {}", names.join(", ")),
        ));
    }
    let incident_time = input
        .incident_time
        .as_deref()
        .map(|t| parse_time("incident_time", t))
        .transpose()?;
    if incident_time.is_some_and(|t| t > now() + time::Duration::hours(1)) {
        return Err(invalid("incident_time", "incident_time is in the future"));
    }
    let mut annotations = BTreeSet::new();
    for a in &input.annotations {
        if !ANNOTATIONS.contains(&a.as_str()) {
            return Err(invalid(
                "annotations",
                format!("annotations are among {}", ANNOTATIONS.join(", ")),
            ));
        }
        annotations.insert(a.clone());
    }
    if let Some(seen) = &input.seen_on
        && !SEEN_ON.contains(&seen.as_str())
    {
        return Err(invalid(
            "seen_on",
            format!("seen_on is one of {}", SEEN_ON.join(", ")),
        ));
    }
    if input.urls.len() > MAX_URLS {
        return Err(invalid(
            "urls",
            format!("at most {MAX_URLS} URLs per report"),
        ));
    }
    if input.files.len() > MAX_FILES {
        return Err(invalid(
            "files",
            format!("at most {MAX_FILES} files per report"),
        ));
    }
    if input.urls.is_empty() && input.files.is_empty() {
        return Err(invalid(
            "urls",
            "give at least one URL or one file's hashes",
        ));
    }
    let mut urls: Vec<url::Url> = Vec::new();
    for u in &input.urls {
        let normal = network::normalise_url(u).map_err(|m| invalid("urls", m))?;
        if !urls.contains(&normal) {
            urls.push(normal);
        }
    }
    let mut files = Vec::new();
    for f in &input.files {
        let hashes = FileHashes {
            pdq: check_hex("files.pdq", &f.pdq, 64)?,
            md5: check_hex("files.md5", &f.md5, 32)?,
            sha256: check_hex("files.sha256", &f.sha256, 64)?,
            content: match &f.content_base64 {
                None => None,
                Some(_) if !config.evidence.accept_uploads => {
                    return Err(invalid(
                        "files.content_base64",
                        "this hotline does not accept uploads of files; send their hashes",
                    ));
                }
                Some(b64) => {
                    use base64::Engine;
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(b64.trim())
                        .map_err(|_| {
                            invalid("files.content_base64", "content_base64 is not base64")
                        })?;
                    if bytes.len() > config.evidence.max_bytes {
                        return Err(invalid(
                            "files.content_base64",
                            format!("a file has at most {} bytes", config.evidence.max_bytes),
                        ));
                    }
                    Some(bytes)
                }
            },
        };
        if hashes.pdq.is_none() && hashes.md5.is_none() && hashes.sha256.is_none() {
            return Err(invalid(
                "files",
                "each file needs a pdq, md5 or sha256 hash",
            ));
        }
        files.push(hashes);
    }
    for field in [("platform", &input.platform), ("service", &input.service)] {
        check_text(field.0, field.1, MAX_SHORT)?;
    }
    check_text("description", &input.description, MAX_TEXT)?;
    check_text("contact", &input.contact, MAX_SHORT)?;
    if input.victims.len() > 20 {
        return Err(invalid("victims", "at most 20 victims per report"));
    }
    let mut victim_age = None;
    for v in &input.victims {
        if let Some(age) = v.estimated_age {
            if age > 17 {
                return Err(invalid(
                    "victims.estimated_age",
                    "a child's estimated age is 0 to 17",
                ));
            }
            victim_age = Some(victim_age.map_or(i32::from(age), |a: i32| a.min(i32::from(age))));
        }
    }
    if let Some(user) = &input.reported_user {
        if user.identifiers.len() > 20 || user.ip_capture_events.len() > 50 {
            return Err(invalid(
                "reported_user",
                "at most 20 identifiers and 50 IP capture events",
            ));
        }
        for capture in &user.ip_capture_events {
            capture.ip.parse::<std::net::IpAddr>().map_err(|_| {
                invalid(
                    "reported_user.ip_capture_events.ip",
                    format!("{:?} is not an IP address", capture.ip),
                )
            })?;
            if let Some(at) = &capture.at {
                parse_time("reported_user.ip_capture_events.at", at)?;
            }
        }
    }
    let reporter_country = input
        .reporter_country
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| check_country("reporter_country", c))
        .transpose()?;
    Ok(Checked {
        incident_type: input.incident_type.clone(),
        incident_time,
        annotations,
        urls,
        files,
        victim_age,
        reporter_country,
        details: SubmissionDetails {
            description: input.description.clone().filter(|d| !d.trim().is_empty()),
            contact: input.contact.clone().filter(|c| !c.trim().is_empty()),
            platform: input.platform.clone(),
            service: input.service.clone(),
            seen_on: input.seen_on.clone(),
            reported_user: input.reported_user.clone(),
            victims: input.victims.clone(),
        },
    })
}

/// Priority: a child in immediate danger first, then sextortion, then new (unmatched)
/// material, young victims, and reports of older incidents (up to a month's worth).
pub fn priority(
    immediate_danger: bool,
    annotations: &BTreeSet<String>,
    known_content: bool,
    victim_age: Option<i32>,
    incident_time: Option<OffsetDateTime>,
    at: OffsetDateTime,
) -> i32 {
    let mut p = 0;
    if immediate_danger {
        p += 1000;
    }
    if annotations.contains("sextortion") {
        p += 500;
    }
    if !known_content {
        p += 200;
    }
    p += match victim_age {
        Some(age) if age < 12 => 100,
        Some(age) if age < 16 => 50,
        _ => 0,
    };
    if let Some(t) = incident_time {
        p += i32::try_from((at - t).whole_days().clamp(0, 30)).unwrap_or(0);
    }
    p
}

/// Who sent a submission.
#[derive(Clone, Debug)]
pub enum Source<'a> {
    Public {
        language: &'a str,
    },
    Platform {
        principal: &'a Principal,
        idempotency_key: Option<&'a str>,
    },
    Partner {
        principal: &'a Principal,
    },
}

impl Source<'_> {
    fn name(&self) -> &'static str {
        match self {
            Source::Public { .. } => "public",
            Source::Platform { .. } => "platform",
            Source::Partner { .. } => "partner",
        }
    }
}

/// The answer to a submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Receipt {
    /// The report (case of work) the submission joined or opened.
    pub id: String,
    /// The submission's own reference, for the reporter.
    pub reference: String,
    /// Shown once, to public reporters only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    pub known_content: bool,
    pub priority: i32,
    /// Whether the submission joined an existing report.
    pub merged: bool,
    /// Whether this answer repeats an earlier one for the same idempotency key.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
}

fn details_context(reference: &str) -> String {
    format!("hotline_submissions.details:{reference}")
}

fn request_digest(input: &serde_json::Value) -> String {
    use sha2::Digest;
    crate::access::hex(&sha2::Sha256::digest(input.to_string().as_bytes()))
}

pub async fn hotline_organisation(
    db: &impl sea_orm::ConnectionTrait,
    config: &HotlineConfig,
) -> Result<i32, HotlineError> {
    organisation::Entity::find()
        .filter(organisation::Column::Name.eq(config.organisation.as_str()))
        .one(db)
        .await?
        .map(|o| o.id)
        .ok_or_else(|| {
            HotlineError::Internal(format!(
                "the hotline organisation {:?} (hotline.json) does not exist; create it with `lindung user add --organisation`",
                config.organisation
            ))
        })
}

/// The first bank match of a file, with the bank and the content's category.
fn match_file(matcher: &Matcher, hashes: &FileHashes) -> Option<crate::banks::matcher::BankMatch> {
    let by_pdq = hashes.pdq.as_deref().and_then(|h| {
        let hash = pdq::Hash256::parse(h).ok()?;
        matcher
            .lookup_pdq(&[hash], None)
            .into_iter()
            .min_by_key(|m| m.distance)
    });
    by_pdq
        .or_else(|| {
            hashes
                .md5
                .as_deref()
                .and_then(|h| matcher.lookup_digest("md5", h).into_iter().next())
        })
        .or_else(|| {
            hashes
                .sha256
                .as_deref()
                .and_then(|h| matcher.lookup_digest("sha256", h).into_iter().next())
        })
}

/// An open report of `organisation` that already has one of these URLs or files.
async fn find_duplicate(
    txn: &DatabaseTransaction,
    organisation_id: i32,
    checked: &Checked,
) -> Result<Option<report::Model>, DbErr> {
    let keys: Vec<String> = checked.urls.iter().map(network::url_key).collect();
    let mut report_ids: Vec<i64> = url_row::Entity::find()
        .filter(url_row::Column::UrlKey.is_in(keys))
        .all(txn)
        .await?
        .into_iter()
        .map(|u| u.report_id)
        .collect();
    let mut any_file = Condition::any();
    for f in &checked.files {
        if let Some(h) = &f.pdq {
            any_file = any_file.add(file::Column::Pdq.eq(h.clone()));
        }
        if let Some(h) = &f.md5 {
            any_file = any_file.add(file::Column::Md5.eq(h.clone()));
        }
        if let Some(h) = &f.sha256 {
            any_file = any_file.add(file::Column::Sha256.eq(h.clone()));
        }
    }
    if !checked.files.is_empty() {
        report_ids.extend(
            file::Entity::find()
                .filter(any_file)
                .all(txn)
                .await?
                .into_iter()
                .map(|f| f.report_id),
        );
    }
    if report_ids.is_empty() {
        return Ok(None);
    }
    report::Entity::find()
        .filter(report::Column::Id.is_in(report_ids))
        .filter(report::Column::OrganisationId.eq(organisation_id))
        .filter(report::Column::Status.is_not_in(["removed", "closed"]))
        .order_by_asc(report::Column::Id)
        .lock_exclusive()
        .one(txn)
        .await
}

pub async fn add_event(
    txn: &impl sea_orm::ConnectionTrait,
    report_id: i64,
    kind: &str,
    detail: impl Into<String>,
    user_id: Option<i32>,
) -> Result<(), DbErr> {
    event::ActiveModel {
        report_id: Set(report_id),
        at: Set(now()),
        kind: Set(kind.to_owned()),
        detail: Set(detail.into()),
        user_id: Set(user_id.filter(|id| *id > 0)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Takes one submission: checks it, matches its files against the banks, merges it into an
/// open report with the same URL or file (or opens one), and records the submission with its
/// own reference, all in one transaction. A platform's idempotency key makes a retry answer
/// the first result instead of reporting twice.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    store: &Store,
    cipher: &FieldCipher,
    config: &HotlineConfig,
    matcher: &Matcher,
    actor: &Actor,
    source: Source<'_>,
    input: &ReportInput,
    raw: &serde_json::Value,
) -> Result<Receipt, HotlineError> {
    let checked = check_input(input, config)?;
    let (submitter_org, submitter_user) = match &source {
        Source::Public { .. } => (None, None),
        Source::Platform { principal, .. } | Source::Partner { principal } => {
            (Some(principal.organisation_id), Some(principal.user_id))
        }
    };
    let idempotency = match &source {
        Source::Platform {
            principal,
            idempotency_key: Some(key),
        } => {
            if key.is_empty() || key.len() > 200 {
                return Err(invalid(
                    "Idempotency-Key",
                    "the idempotency key has 1 to 200 characters",
                ));
            }
            Some(format!("{}:{key}", principal.organisation_id))
        }
        _ => None,
    };
    let digest = request_digest(raw);
    let txn = store.db().begin().await?;
    if let Some(key) = &idempotency
        && let Some(earlier) = submission::Entity::find()
            .filter(submission::Column::IdempotencyKey.eq(key.as_str()))
            .one(&txn)
            .await?
    {
        if earlier.request_digest.as_deref() != Some(digest.as_str()) {
            return Err(HotlineError::Conflict(
                "idempotency_conflict",
                "this idempotency key was used for a different report".into(),
            ));
        }
        let found = report::Entity::find_by_id(earlier.report_id)
            .one(&txn)
            .await?
            .ok_or(HotlineError::NotFound)?;
        return Ok(Receipt {
            id: found.id.to_string(),
            reference: earlier.reference,
            pin: None,
            known_content: found.known_content,
            priority: found.priority,
            merged: false,
            replayed: true,
        });
    }
    let organisation_id = hotline_organisation(&txn, config).await?;
    let at = now();
    let matches: Vec<_> = checked
        .files
        .iter()
        .map(|f| match_file(matcher, f))
        .collect();
    // The NCMEC category each matched file was banked with, in one query.
    let known: std::collections::HashMap<i64, String> =
        crate::banks::entities::content::Entity::find()
            .filter(
                crate::banks::entities::content::Column::Id
                    .is_in(matches.iter().flatten().map(|m| m.content_id)),
            )
            .all(&txn)
            .await?
            .into_iter()
            .filter(|c| CATEGORIES.contains(&c.category.as_str()))
            .map(|c| (c.id, c.category))
            .collect();
    let categories: Vec<Option<String>> = matches
        .iter()
        .map(|m| m.as_ref().and_then(|m| known.get(&m.content_id).cloned()))
        .collect();
    let danger = input.immediate_danger;
    let existing = find_duplicate(&txn, organisation_id, &checked).await?;
    let merged = existing.is_some();
    let target = match existing {
        Some(found) => found,
        None => {
            report::ActiveModel {
                organisation_id: Set(organisation_id),
                incident_type: Set(checked.incident_type.clone()),
                annotations: Set("[]".into()),
                incident_time: Set(checked.incident_time),
                immediate_danger: Set(false),
                victim_age: Set(None),
                status: Set("new".into()),
                priority: Set(0),
                known_content: Set(false),
                claimed_by: Set(None),
                claimed_at: Set(None),
                care_case_id: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
                removed_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    // URLs and files the report does not have yet.
    let have_urls: BTreeSet<String> = url_row::Entity::find()
        .filter(url_row::Column::ReportId.eq(target.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|u| u.url_key)
        .collect();
    for u in &checked.urls {
        let key = network::url_key(u);
        if have_urls.contains(&key) {
            continue;
        }
        url_row::ActiveModel {
            report_id: Set(target.id),
            url: Set(u.as_str().to_owned()),
            url_key: Set(key),
            host: Set(u.host_str().unwrap_or_default().to_owned()),
            status: Set("online".into()),
            resolved_ip: Set(None),
            hosting_country: Set(None),
            provider_id: Set(None),
            removal_evidence: Set(None),
            removed_at: Set(None),
            last_checked_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let have_files = file::Entity::find()
        .filter(file::Column::ReportId.eq(target.id))
        .all(&txn)
        .await?;
    for ((hashes, found), category) in checked.files.iter().zip(&matches).zip(categories) {
        let same = |f: &file::Model| {
            (hashes.pdq.is_some() && f.pdq == hashes.pdq)
                || (hashes.md5.is_some() && f.md5 == hashes.md5)
                || (hashes.sha256.is_some() && f.sha256 == hashes.sha256)
        };
        if have_files.iter().any(same) {
            continue;
        }
        let row = file::ActiveModel {
            report_id: Set(target.id),
            pdq: Set(hashes.pdq.clone()),
            md5: Set(hashes.md5.clone()),
            sha256: Set(hashes.sha256.clone()),
            known_bank: Set(found.as_ref().map(|m| m.bank.clone())),
            known_category: Set(category),
            has_evidence: Set(hashes.content.is_some()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if let Some(content) = &hashes.content {
            takedown::store_evidence(&txn, cipher, config, row.id, content).await?;
        }
    }
    let files = file::Entity::find()
        .filter(file::Column::ReportId.eq(target.id))
        .all(&txn)
        .await?;
    let known_content = !files.is_empty() && files.iter().all(|f| f.known_bank.is_some());
    let mut annotations: BTreeSet<String> =
        serde_json::from_str(&target.annotations).unwrap_or_default();
    annotations.extend(checked.annotations.iter().cloned());
    let immediate_danger = target.immediate_danger || danger;
    let victim_age = match (target.victim_age, checked.victim_age) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let incident_time = target.incident_time.or(checked.incident_time);
    let new_priority = priority(
        immediate_danger,
        &annotations,
        known_content,
        victim_age,
        incident_time,
        at,
    );
    let status = if known_content && target.status == "new" && !immediate_danger {
        "assessed".to_owned()
    } else {
        target.status.clone()
    };
    let mut update: report::ActiveModel = target.clone().into();
    update.annotations = Set(serde_json::to_string(&annotations).map_err(internal)?);
    update.immediate_danger = Set(immediate_danger);
    update.victim_age = Set(victim_age);
    update.incident_time = Set(incident_time);
    update.known_content = Set(known_content);
    update.priority = Set(new_priority);
    update.status = Set(status.clone());
    update.updated_at = Set(at);
    update.update(&txn).await?;

    let reference = pins::new_reference("HR").map_err(HotlineError::Internal)?;
    let pin = match source {
        Source::Public { .. } => Some(pins::random_digits(8).map_err(HotlineError::Internal)?),
        _ => None,
    };
    // Platforms check status through the API, not a PIN: theirs is a random, unusable hash.
    let pin_secret = match &pin {
        Some(pin) => pin.clone(),
        None => crate::access::new_secret("").map_err(internal)?,
    };
    let details = serde_json::to_string(&checked.details).map_err(internal)?;
    let created = submission::ActiveModel {
        report_id: Set(target.id),
        reference: Set(reference.clone()),
        pin_hash: Set(crate::access::hash_password(&pin_secret).map_err(internal)?),
        failed_pins: Set(0),
        locked_until: Set(None),
        source: Set(source.name().to_owned()),
        organisation_id: Set(submitter_org),
        user_id: Set(submitter_user.filter(|id| *id > 0)),
        reporter_country: Set(checked.reporter_country.clone()),
        language: Set(match &source {
            Source::Public { language } => Some((*language).to_owned()),
            _ => None,
        }),
        details: Set(cipher
            .seal(&details_context(&reference), &details)
            .map_err(internal)?),
        idempotency_key: Set(idempotency),
        request_digest: Set(Some(digest)),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let kind = if merged {
        "submission.merged"
    } else {
        "report.opened"
    };
    add_event(
        &txn,
        target.id,
        kind,
        format!("{} submission {}", source.name(), created.reference),
        submitter_user,
    )
    .await?;
    let known_files = matches.iter().flatten().count();
    if known_files > 0 {
        add_event(
            &txn,
            target.id,
            "files.matched",
            format!("{known_files} file(s) previously assessed in banks"),
            None,
        )
        .await?;
    }
    if status == "assessed" && target.status == "new" {
        add_event(
            &txn,
            target.id,
            "report.auto_classified",
            "every file is known content",
            None,
        )
        .await?;
    }
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "hotline.report.submit",
            "hotline_report",
            target.id.to_string(),
        )
        .detail("source", source.name())
        .detail("merged", merged)
        .detail("known_files", known_files),
    )
    .await?;
    Ok(Receipt {
        id: target.id.to_string(),
        reference,
        pin,
        known_content,
        priority: new_priority,
        merged,
        replayed: false,
    })
}

/// What a reporter may learn: the status of the report their submission joined, only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PublicStatus {
    /// `received`, `in_review`, `action_taken` (a notice was sent), `removed` or `closed`.
    pub status: &'static str,
}

fn public_status(status: &str) -> &'static str {
    match status {
        "new" => "received",
        "in_review" | "assessed" => "in_review",
        "notice_sent" => "action_taken",
        "removed" => "removed",
        _ => "closed",
    }
}

/// The status for a reference and PIN; wrong PINs count towards a lock.
pub async fn public_status_of(
    store: &Store,
    actor: &Actor,
    reference: &str,
    pin: &str,
) -> Result<PublicStatus, HotlineError> {
    let txn = store.db().begin().await?;
    let found = submission::Entity::find()
        .filter(submission::Column::Reference.eq(reference.trim()))
        .filter(submission::Column::Source.eq("public"))
        .lock_exclusive()
        .one(&txn)
        .await?;
    let Some(found) = found else {
        pins::check_nothing(pin);
        return Err(HotlineError::WrongPin);
    };
    let state = pins::PinState {
        pin_hash: &found.pin_hash,
        failed_pins: found.failed_pins,
        locked_until: found.locked_until,
    };
    let outcome = pins::check(state, pin, now());
    let (failed_pins, locked_until) = match outcome {
        pins::PinCheck::Right { .. } => (0, None),
        pins::PinCheck::Wrong {
            failed_pins,
            locked_until,
        } => (failed_pins, locked_until),
        pins::PinCheck::Locked => return audit::keep_refusal(txn, HotlineError::WrongPin).await,
    };
    if found.failed_pins != failed_pins || found.locked_until != locked_until {
        let mut counted: submission::ActiveModel = found.clone().into();
        counted.failed_pins = Set(failed_pins);
        counted.locked_until = Set(locked_until);
        counted.update(&txn).await?;
    }
    if !matches!(outcome, pins::PinCheck::Right { .. }) {
        return audit::keep_refusal(txn, HotlineError::WrongPin).await;
    }
    let report = report::Entity::find_by_id(found.report_id)
        .one(&txn)
        .await?
        .ok_or(HotlineError::NotFound)?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "hotline.report.status",
            "hotline_submission",
            found.id.to_string(),
        ),
    )
    .await?;
    Ok(PublicStatus {
        status: public_status(&report.status),
    })
}

/// Ends a transaction whose caller was refused; a refusal to someone without the right is
/// itself audited.
pub(crate) async fn refuse<T>(
    txn: DatabaseTransaction,
    actor: &Actor,
    id: i64,
    error: HotlineError,
) -> Result<T, HotlineError> {
    if matches!(error, HotlineError::Forbidden) {
        audit::append(
            &txn,
            actor,
            AuditEvent::new("hotline.report.denied", "hotline_report", id.to_string()),
        )
        .await?;
    }
    audit::keep_refusal(txn, error).await
}

/// Opens a transaction on a report `principal` may work on; a refusal is audited and ends it.
pub(crate) async fn open_report(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
) -> Result<(DatabaseTransaction, report::Model), HotlineError> {
    let txn = store.db().begin().await?;
    match visible_report(&txn, principal, id).await {
        Ok(found) => Ok((txn, found)),
        Err(e) => refuse(txn, actor, id, e).await,
    }
}

/// Ends a report's transaction: the timeline step and the audit entry commit with its work.
pub(crate) async fn finish(
    txn: DatabaseTransaction,
    actor: &Actor,
    id: i64,
    step: &str,
    detail: impl Into<String>,
    event: AuditEvent,
) -> Result<(), HotlineError> {
    add_event(&txn, id, step, detail, actor.user_id).await?;
    audit::commit_with(txn, actor, event).await?;
    Ok(())
}

/// The report if `principal` may work on it: analysts and admins of the handling organisation.
pub async fn visible_report(
    txn: &impl sea_orm::ConnectionTrait,
    principal: &Principal,
    id: i64,
) -> Result<report::Model, HotlineError> {
    let found = report::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(HotlineError::NotFound)?;
    if !ANALYSTS.contains(&principal.role) || found.organisation_id != principal.organisation_id {
        return Err(HotlineError::Forbidden);
    }
    Ok(found)
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubmissionView {
    pub reference: String,
    pub source: String,
    pub reporter_country: Option<String>,
    pub created_at: String,
    pub details: SubmissionDetails,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UrlView {
    pub id: i64,
    pub url: String,
    pub host: String,
    pub status: String,
    pub resolved_ip: Option<String>,
    pub hosting_country: Option<String>,
    pub provider_id: Option<i64>,
    pub removal_evidence: Option<String>,
    pub removed_at: Option<String>,
    pub notices_sent: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FileView {
    pub id: i64,
    pub pdq: Option<String>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
    /// Set when a bank already held the file: it is shown only as previously assessed.
    pub previously_assessed: Option<String>,
    pub known_category: Option<String>,
    pub has_evidence: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssessmentView {
    pub item_kind: String,
    pub item_id: i64,
    pub legal_status: String,
    pub category: Option<String>,
    pub age_group: String,
    pub gender: Option<String>,
    pub content_kind: String,
    pub country: String,
    pub assessed_by: i32,
    pub assessed_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventView {
    pub at: String,
    pub kind: String,
    pub detail: String,
}

/// A report as analysts see it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportView {
    pub id: String,
    pub incident_type: String,
    pub annotations: Vec<String>,
    pub incident_time: Option<String>,
    pub immediate_danger: bool,
    pub victim_age: Option<i32>,
    pub status: String,
    pub priority: i32,
    pub known_content: bool,
    pub claimed_by: Option<i32>,
    pub care_case_id: Option<i64>,
    pub created_at: String,
    pub removed_at: Option<String>,
    /// Hours from the first report to removal.
    pub hours_to_removal: Option<f64>,
    pub submissions: Vec<SubmissionView>,
    pub urls: Vec<UrlView>,
    pub files: Vec<FileView>,
    pub assessments: Vec<AssessmentView>,
    pub timeline: Vec<EventView>,
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn hours_between(from: OffsetDateTime, to: OffsetDateTime) -> f64 {
    (to - from).as_seconds_f64() / 3600.0
}

/// Everything about a report, decrypted, without auditing (callers audit).
pub async fn load_view(
    db: &impl sea_orm::ConnectionTrait,
    cipher: &FieldCipher,
    found: &report::Model,
) -> Result<ReportView, HotlineError> {
    let submissions = submission::Entity::find()
        .filter(submission::Column::ReportId.eq(found.id))
        .order_by_asc(submission::Column::Id)
        .all(db)
        .await?;
    let urls = url_row::Entity::find()
        .filter(url_row::Column::ReportId.eq(found.id))
        .order_by_asc(url_row::Column::Id)
        .all(db)
        .await?;
    let url_ids: Vec<i64> = urls.iter().map(|u| u.id).collect();
    let notices = entities::notice::Entity::find()
        .filter(entities::notice::Column::UrlId.is_in(url_ids))
        .filter(entities::notice::Column::Kind.eq("notice"))
        .filter(entities::notice::Column::Error.is_null())
        .all(db)
        .await?;
    let files = file::Entity::find()
        .filter(file::Column::ReportId.eq(found.id))
        .order_by_asc(file::Column::Id)
        .all(db)
        .await?;
    let assessments = assessment::Entity::find()
        .filter(assessment::Column::ReportId.eq(found.id))
        .order_by_asc(assessment::Column::Id)
        .all(db)
        .await?;
    let events = event::Entity::find()
        .filter(event::Column::ReportId.eq(found.id))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?;
    let mut submission_views = Vec::new();
    for s in submissions {
        let details = cipher
            .open(&details_context(&s.reference), &s.details)
            .map_err(internal)?;
        submission_views.push(SubmissionView {
            details: serde_json::from_str(&details).map_err(internal)?,
            reference: s.reference,
            source: s.source,
            reporter_country: s.reporter_country,
            created_at: rfc3339(s.created_at),
        });
    }
    Ok(ReportView {
        id: found.id.to_string(),
        incident_type: found.incident_type.clone(),
        annotations: serde_json::from_str(&found.annotations).unwrap_or_default(),
        incident_time: found.incident_time.map(rfc3339),
        immediate_danger: found.immediate_danger,
        victim_age: found.victim_age,
        status: found.status.clone(),
        priority: found.priority,
        known_content: found.known_content,
        claimed_by: found.claimed_by,
        care_case_id: found.care_case_id,
        created_at: rfc3339(found.created_at),
        removed_at: found.removed_at.map(rfc3339),
        hours_to_removal: found.removed_at.map(|r| hours_between(found.created_at, r)),
        submissions: submission_views,
        urls: urls
            .into_iter()
            .map(|u| UrlView {
                notices_sent: notices.iter().filter(|n| n.url_id == u.id).count(),
                id: u.id,
                url: u.url,
                host: u.host,
                status: u.status,
                resolved_ip: u.resolved_ip,
                hosting_country: u.hosting_country,
                provider_id: u.provider_id,
                removal_evidence: u.removal_evidence,
                removed_at: u.removed_at.map(rfc3339),
            })
            .collect(),
        files: files
            .into_iter()
            .map(|f| FileView {
                id: f.id,
                pdq: f.pdq,
                md5: f.md5,
                sha256: f.sha256,
                previously_assessed: f.known_bank,
                known_category: f.known_category,
                has_evidence: f.has_evidence,
            })
            .collect(),
        assessments: assessments
            .into_iter()
            .map(|a| AssessmentView {
                item_kind: a.item_kind,
                item_id: a.item_id,
                legal_status: a.legal_status,
                category: a.category,
                age_group: a.age_group,
                gender: a.gender,
                content_kind: a.content_kind,
                country: a.country,
                assessed_by: a.assessed_by,
                assessed_at: rfc3339(a.assessed_at),
            })
            .collect(),
        timeline: events
            .into_iter()
            .map(|e| EventView {
                at: rfc3339(e.at),
                kind: e.kind,
                detail: e.detail,
            })
            .collect(),
    })
}

/// A report for an analyst, audited.
pub async fn view(
    store: &Store,
    cipher: &FieldCipher,
    actor: &Actor,
    principal: &Principal,
    id: i64,
) -> Result<ReportView, HotlineError> {
    let (txn, found) = open_report(store, actor, principal, id).await?;
    let view = load_view(&txn, cipher, &found).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("hotline.report.read", "hotline_report", id.to_string()),
    )
    .await?;
    Ok(view)
}

/// Reads one item of a report for an analyst, audited as a read of the report.
async fn item_of<E>(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    item_id: i64,
    report_of: impl Fn(&E::Model) -> i64,
) -> Result<E::Model, HotlineError>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i64>,
{
    let (txn, _) = open_report(store, actor, principal, id).await?;
    let found = E::find_by_id(item_id)
        .one(&txn)
        .await?
        .filter(|item| report_of(item) == id)
        .ok_or(HotlineError::NotFound)?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("hotline.report.read", "hotline_report", id.to_string())
            .detail("item", item_id),
    )
    .await?;
    Ok(found)
}

/// One URL of a report, for an analyst.
pub async fn url_of(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    url_id: i64,
) -> Result<url_row::Model, HotlineError> {
    item_of::<url_row::Entity>(store, actor, principal, id, url_id, |u| u.report_id).await
}

/// One file of a report, for an analyst.
pub async fn file_of(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    file_id: i64,
) -> Result<file::Model, HotlineError> {
    item_of::<file::Entity>(store, actor, principal, id, file_id, |f| f.report_id).await
}

/// One row of the analyst queue.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QueueEntry {
    pub id: String,
    pub incident_type: String,
    pub status: String,
    pub priority: i32,
    pub immediate_danger: bool,
    pub known_content: bool,
    pub claimed_by: Option<i32>,
    pub reporter_country: Option<String>,
    pub created_at: String,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct QueueFilter {
    /// One status; without it, the open ones (`new`, `in_review`, `assessed`, `notice_sent`).
    pub status: Option<String>,
    pub incident_type: Option<String>,
    /// The reporter's country.
    pub country: Option<String>,
}

/// The queue of the caller's organisation, highest priority first, then oldest first.
pub async fn queue(
    store: &Store,
    principal: &Principal,
    filter: &QueueFilter,
) -> Result<Vec<QueueEntry>, HotlineError> {
    let country = filter
        .country
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| check_country("country", c))
        .transpose()?;
    let mut query =
        report::Entity::find().filter(report::Column::OrganisationId.eq(principal.organisation_id));
    query = match filter.status.as_deref().filter(|s| !s.is_empty()) {
        Some(status) if STATUSES.contains(&status) => {
            query.filter(report::Column::Status.eq(status))
        }
        Some(_) => {
            return Err(invalid(
                "status",
                format!("status is one of {}", STATUSES.join(", ")),
            ));
        }
        None => query.filter(report::Column::Status.is_in([
            "new",
            "in_review",
            "assessed",
            "notice_sent",
        ])),
    };
    if let Some(t) = filter.incident_type.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(report::Column::IncidentType.eq(t));
    }
    let reports = query
        .order_by_desc(report::Column::Priority)
        .order_by_asc(report::Column::CreatedAt)
        .order_by_asc(report::Column::Id)
        .all(store.db())
        .await?;
    let ids: Vec<i64> = reports.iter().map(|r| r.id).collect();
    let firsts = submission::Entity::find()
        .filter(submission::Column::ReportId.is_in(ids))
        .order_by_asc(submission::Column::Id)
        .all(store.db())
        .await?;
    let mut country_of = std::collections::HashMap::new();
    for s in firsts {
        country_of.entry(s.report_id).or_insert(s.reporter_country);
    }
    Ok(reports
        .into_iter()
        .map(|r| QueueEntry {
            reporter_country: country_of.get(&r.id).cloned().flatten(),
            id: r.id.to_string(),
            incident_type: r.incident_type,
            status: r.status,
            priority: r.priority,
            immediate_danger: r.immediate_danger,
            known_content: r.known_content,
            claimed_by: r.claimed_by,
            created_at: rfc3339(r.created_at),
        })
        .filter(|e| country.is_none() || e.reporter_country == country)
        .collect())
}

/// Claims a report for the caller: one conditional update, so two analysts never both win.
pub async fn claim(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
) -> Result<(), HotlineError> {
    let (txn, found) = open_report(store, actor, principal, id).await?;
    let at = now();
    let updated = report::Entity::update_many()
        .col_expr(report::Column::ClaimedBy, principal.user_id.into())
        .col_expr(report::Column::ClaimedAt, at.into())
        .col_expr(report::Column::UpdatedAt, at.into())
        .col_expr(
            report::Column::Status,
            if found.status == "new" {
                "in_review"
            } else {
                found.status.as_str()
            }
            .into(),
        )
        .filter(report::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(report::Column::ClaimedBy.is_null())
                .add(report::Column::ClaimedBy.eq(principal.user_id)),
        )
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(HotlineError::Conflict(
            "claimed",
            "another analyst holds this report".into(),
        ));
    }
    finish(
        txn,
        actor,
        id,
        "report.claimed",
        format!("user {}", principal.user_id),
        AuditEvent::new("hotline.report.claim", "hotline_report", id.to_string()),
    )
    .await?;
    Ok(())
}

/// Releases a report the caller holds (an admin may release anyone's).
pub async fn release(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
) -> Result<(), HotlineError> {
    let (txn, found) = open_report(store, actor, principal, id).await?;
    if found.claimed_by.is_none() {
        return Err(HotlineError::Conflict(
            "not_claimed",
            "nobody holds this report".into(),
        ));
    }
    if found.claimed_by != Some(principal.user_id) && principal.role != Role::Admin {
        return Err(HotlineError::Conflict(
            "claimed",
            "another analyst holds this report".into(),
        ));
    }
    let mut update: report::ActiveModel = found.into();
    update.claimed_by = Set(None);
    update.claimed_at = Set(None);
    update.updated_at = Set(now());
    update.update(&txn).await?;
    finish(
        txn,
        actor,
        id,
        "report.released",
        format!("user {}", principal.user_id),
        AuditEvent::new("hotline.report.release", "hotline_report", id.to_string()),
    )
    .await?;
    Ok(())
}

/// An analyst's assessment of one file or URL of a report.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    /// `file` or `url`.
    pub item_kind: String,
    pub item_id: i64,
    /// A1, A2, B1 or B2 (NCMEC industry categories); absent when none applies.
    pub category: Option<String>,
    pub age_group: String,
    pub gender: Option<String>,
    pub content_kind: String,
    /// Whose law applies; the hotline's country by default.
    pub country: Option<String>,
    /// Optional: if given, it must agree with the law table.
    pub legal_status: Option<String>,
    /// Adds the file's hashes to this bank in the same step.
    pub add_to_bank: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Assessed {
    pub legal_status: String,
    pub report_status: String,
    /// The bank content item the hashes went to.
    pub bank_content_id: Option<i64>,
}

fn is_illegal(status: &str) -> bool {
    matches!(status, "baseline" | "nationally_illegal")
}

/// Records an assessment. The caller must hold the report. The legal status comes from the
/// law table. When every file and URL is assessed (or known), the report is `assessed`.
pub async fn assess(
    store: &Store,
    config: &HotlineConfig,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    input: &AssessmentInput,
) -> Result<Assessed, HotlineError> {
    let check_one = |field: &'static str, value: &str, allowed: &[&str]| {
        if allowed.contains(&value) {
            Ok(())
        } else {
            Err(invalid(
                field,
                format!("{field} is one of {}", allowed.join(", ")),
            ))
        }
    };
    check_one("item_kind", &input.item_kind, &["file", "url"])?;
    if let Some(c) = &input.category {
        check_one("category", c, CATEGORIES)?;
    }
    check_one("age_group", &input.age_group, AGE_GROUPS)?;
    check_one("content_kind", &input.content_kind, CONTENT_KINDS)?;
    check_text("gender", &input.gender, 40)?;
    let country = match &input.country {
        Some(c) => check_country("country", c)?,
        None => config.country.clone(),
    };
    let legal = config
        .legal_status(&country, input.category.as_deref(), &input.content_kind)
        .map_err(|m| invalid("country", m))?;
    if let Some(given) = &input.legal_status
        && given != legal
    {
        return Err(invalid(
            "legal_status",
            format!("the law table for {country} makes this {legal}, not {given}"),
        ));
    }
    let (txn, found) = open_report(store, actor, principal, id).await?;
    if found.claimed_by != Some(principal.user_id) {
        return Err(HotlineError::Conflict(
            "not_claimed",
            "claim the report before assessing it".into(),
        ));
    }
    let files = file::Entity::find()
        .filter(file::Column::ReportId.eq(id))
        .all(&txn)
        .await?;
    let urls = url_row::Entity::find()
        .filter(url_row::Column::ReportId.eq(id))
        .all(&txn)
        .await?;
    let item_exists = match input.item_kind.as_str() {
        "file" => files.iter().any(|f| f.id == input.item_id),
        _ => urls.iter().any(|u| u.id == input.item_id),
    };
    if !item_exists {
        return Err(invalid("item_id", "the report has no such item"));
    }
    let at = now();
    assessment::ActiveModel {
        report_id: Set(id),
        item_kind: Set(input.item_kind.clone()),
        item_id: Set(input.item_id),
        legal_status: Set(legal.to_owned()),
        category: Set(input.category.clone()),
        age_group: Set(input.age_group.clone()),
        gender: Set(input.gender.clone()),
        content_kind: Set(input.content_kind.clone()),
        country: Set(country.clone()),
        assessed_by: Set(principal.user_id),
        assessed_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut bank_content_id = None;
    if let Some(bank) = &input.add_to_bank {
        if input.item_kind != "file" || !is_illegal(legal) {
            return Err(invalid(
                "add_to_bank",
                "only a file assessed as illegal can be added to a bank",
            ));
        }
        let Some(f) = files.iter().find(|f| f.id == input.item_id) else {
            return Err(invalid("item_id", "the report has no such item"));
        };
        use crate::banks::store::{ContentMeta, NewSignal, SignalType};
        let mut signals = Vec::new();
        for (kind, value) in [
            (SignalType::Pdq, &f.pdq),
            (SignalType::Md5, &f.md5),
            (SignalType::Sha256, &f.sha256),
        ] {
            if let Some(v) = value {
                signals.push(
                    NewSignal::new(kind, v, None)
                        .map_err(|e| invalid("add_to_bank", e.to_string()))?,
                );
            }
        }
        let meta = ContentMeta {
            note: format!("hotline report {id}"),
            category: input.category.clone().unwrap_or_default(),
            tags: vec!["hotline".into()],
            source: "hotline".into(),
        };
        let added = crate::banks::store::add_content_in(&txn, principal, bank, &meta, &signals)
            .await
            .map_err(|e| match e {
                crate::banks::store::BankError::Db(e) => HotlineError::Db(e),
                other => invalid("add_to_bank", other.to_string()),
            })?;
        bank_content_id = Some(added.content_id);
        add_event(
            &txn,
            id,
            "file.banked",
            format!("file {} to bank {bank}", f.id),
            Some(principal.user_id),
        )
        .await?;
    }
    // Done when every item is known or assessed.
    let assessed: BTreeSet<(String, i64)> = assessment::Entity::find()
        .filter(assessment::Column::ReportId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.item_kind, a.item_id))
        .collect();
    let complete = files
        .iter()
        .all(|f| f.known_bank.is_some() || assessed.contains(&("file".into(), f.id)))
        && urls
            .iter()
            .all(|u| assessed.contains(&("url".into(), u.id)));
    let mut status = found.status.clone();
    if complete && matches!(status.as_str(), "new" | "in_review") {
        status = "assessed".into();
    }
    let mut update: report::ActiveModel = found.into();
    update.status = Set(status.clone());
    update.updated_at = Set(at);
    update.update(&txn).await?;
    finish(
        txn,
        actor,
        id,
        "item.assessed",
        format!("{} {}: {legal} ({country})", input.item_kind, input.item_id),
        AuditEvent::new("hotline.report.assess", "hotline_report", id.to_string())
            .detail("item_kind", input.item_kind.as_str())
            .detail("item_id", input.item_id)
            .detail("legal_status", legal),
    )
    .await?;
    Ok(Assessed {
        legal_status: legal.to_owned(),
        report_status: status,
        bank_content_id,
    })
}

/// Whether a report may be the subject of notices: its material is known or assessed illegal.
pub async fn is_actionable(
    db: &impl sea_orm::ConnectionTrait,
    found: &report::Model,
) -> Result<bool, DbErr> {
    if found.known_content {
        return Ok(true);
    }
    Ok(assessment::Entity::find()
        .filter(assessment::Column::ReportId.eq(found.id))
        .filter(assessment::Column::LegalStatus.is_in(["baseline", "nationally_illegal"]))
        .one(db)
        .await?
        .is_some())
}

/// Records where a URL is hosted.
pub async fn attribute(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    url_id: i64,
    hosting_country: Option<&str>,
    provider_id: Option<i64>,
) -> Result<(), HotlineError> {
    let country = hosting_country
        .filter(|c| !c.is_empty())
        .map(|c| check_country("hosting_country", c))
        .transpose()?;
    let (txn, _) = open_report(store, actor, principal, id).await?;
    let found = url_row::Entity::find_by_id(url_id)
        .one(&txn)
        .await?
        .filter(|u| u.report_id == id)
        .ok_or_else(|| invalid("url_id", "the report has no such URL"))?;
    if let Some(provider) = provider_id
        && entities::provider::Entity::find_by_id(provider)
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(invalid("provider_id", "no such provider"));
    }
    let mut update: url_row::ActiveModel = found.into();
    update.hosting_country = Set(country.clone());
    update.provider_id = Set(provider_id);
    update.update(&txn).await?;
    finish(
        txn,
        actor,
        id,
        "url.attributed",
        format!(
            "url {url_id}: {} / provider {}",
            country.as_deref().unwrap_or("?"),
            provider_id.map_or("?".into(), |p| p.to_string())
        ),
        AuditEvent::new("hotline.url.attribute", "hotline_report", id.to_string())
            .detail("url_id", url_id),
    )
    .await?;
    Ok(())
}

/// Opens a care case for the child of a report, in a care organisation, linked both ways.
pub async fn refer_to_care(
    store: &Store,
    cipher: &FieldCipher,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    care_organisation: &str,
    risk_level: &str,
) -> Result<i64, HotlineError> {
    let (txn, found) = open_report(store, actor, principal, id).await?;
    if let Some(existing) = found.care_case_id {
        return Err(HotlineError::Conflict(
            "already_referred",
            format!("the report already has care case {existing}"),
        ));
    }
    let org = organisation::Entity::find()
        .filter(organisation::Column::Name.eq(care_organisation))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            invalid(
                "organisation",
                format!("no organisation named {care_organisation:?}"),
            )
        })?;
    let language = submission::Entity::find()
        .filter(submission::Column::ReportId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .find_map(|s| s.language);
    let identity = crate::care::Identity {
        age_estimate: found.victim_age.and_then(|a| u8::try_from(a).ok()),
        language,
        ..Default::default()
    };
    // The case belongs to the care organisation; its supervisors assign it.
    let receiver = Principal {
        user_id: 0,
        organisation_id: org.id,
        email: String::new(),
        role: Role::Supervisor,
        language: None,
    };
    let case =
        crate::care::create_case_in(&txn, cipher, &receiver, &identity, risk_level, "hotline")
            .await
            .map_err(|e| match e {
                crate::care::CareError::Invalid(field, message) => {
                    HotlineError::Invalid(field, message)
                }
                crate::care::CareError::Db(e) => HotlineError::Db(e),
                other => internal(other),
            })?;
    let mut update: report::ActiveModel = found.into();
    update.care_case_id = Set(Some(case.id));
    update.updated_at = Set(now());
    update.update(&txn).await?;
    finish(
        txn,
        actor,
        id,
        "referral.care",
        format!("care case {} at {care_organisation}", case.reference),
        AuditEvent::new(
            "hotline.report.refer_care",
            "hotline_report",
            id.to_string(),
        )
        .detail("care_case_id", case.id),
    )
    .await?;
    Ok(case.id)
}

/// Closes a report that needs nothing more (for example, not illegal).
pub async fn close(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    reason: &str,
) -> Result<(), HotlineError> {
    if reason.trim().is_empty() || reason.len() > MAX_SHORT {
        return Err(invalid("reason", "give a reason of at most 512 characters"));
    }
    let (txn, found) = open_report(store, actor, principal, id).await?;
    let mut update: report::ActiveModel = found.into();
    update.status = Set("closed".into());
    update.claimed_by = Set(None);
    update.updated_at = Set(now());
    update.update(&txn).await?;
    finish(
        txn,
        actor,
        id,
        "report.closed",
        reason.trim(),
        AuditEvent::new("hotline.report.close", "hotline_report", id.to_string()),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danger_outranks_sextortion_outranks_new_material_then_age_and_wait() {
        let at = now();
        let none = BTreeSet::new();
        let sextortion: BTreeSet<String> = ["sextortion".to_owned()].into();
        let danger = priority(true, &none, true, None, None, at);
        let extortion = priority(false, &sextortion, true, None, None, at);
        let new_material = priority(false, &none, false, None, None, at);
        let known = priority(false, &none, true, None, None, at);
        assert!(danger > extortion && extortion > new_material && new_material > known);
        assert!(
            priority(false, &none, false, Some(8), None, at)
                > priority(false, &none, false, Some(14), None, at)
        );
        assert!(priority(false, &none, false, Some(14), None, at) > new_material);
        let old = priority(
            false,
            &none,
            true,
            None,
            Some(at - time::Duration::days(90)),
            at,
        );
        assert_eq!(old, known + 30, "age counts up to a month");
        assert!(
            old < new_material,
            "age never lifts known material above new"
        );
    }

    #[test]
    fn reporters_see_only_a_coarse_status() {
        assert_eq!(public_status("new"), "received");
        assert_eq!(public_status("assessed"), "in_review");
        assert_eq!(public_status("notice_sent"), "action_taken");
        assert_eq!(public_status("removed"), "removed");
        assert_eq!(public_status("closed"), "closed");
    }
}
