//! Intake: one submission checked, matched against the banks, merged into a report open for
//! intake with the same URL or file (or opening one, linked to the decided reports it
//! repeats), and recorded with its own reference.

use std::collections::BTreeSet;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::config::HotlineConfig;
use super::dedupe::{MatchedFiles, find_duplicate, link_earlier};
use super::entities::{event, file, report, submission, url as url_row};
use super::input::{Checked, FileHashes, check_input};
use super::*;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::access::entities::organisation;
use crate::access::{Principal, pins};
use crate::helpers::now;

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
    /// The kind of source, as stored.
    pub fn kind(&self) -> ReportSource {
        match self {
            Source::Public { .. } => ReportSource::Public,
            Source::Platform { .. } => ReportSource::Platform,
            Source::Partner { .. } => ReportSource::Partner,
        }
    }

    fn name(&self) -> &'static str {
        self.kind().as_str()
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

pub(super) fn details_context(reference: &str) -> String {
    format!("hotline_submissions.details:{reference}")
}

pub(super) fn request_digest(input: &serde_json::Value) -> String {
    crate::helpers::sha256_hex(input.to_string().as_bytes())
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
        .ok_or_else(|| HotlineError::NotConfigured(config.organisation.clone()))
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

/// Takes one submission: checks it, matches its files against the banks, merges it into a
/// report still open for intake with the same URL or file (or opens one, linked to the decided
/// reports it repeats), and records it with its own reference, all in one transaction. A
/// platform's idempotency key makes a retry answer the first result, not a second report.
pub async fn submit(
    ctx: &HotlineContext,
    actor: &Actor,
    source: Source<'_>,
    input: &ReportInput,
    raw: &serde_json::Value,
) -> Result<Receipt, HotlineError> {
    let checked = check_input(input, &ctx.config)?;
    let idempotency = idempotency_key(&source)?;
    let digest = request_digest(raw);
    let txn = ctx.store.write().await?;
    if let Some(key) = &idempotency
        && let Some(earlier) = replay(&txn, key, &digest).await?
    {
        return Ok(earlier);
    }
    let organisation_id = hotline_organisation(&txn, &ctx.config).await?;
    let at = now();
    let matched =
        MatchedFiles::find(&txn, &ctx.banks.matcher, organisation_id, &checked.files).await?;
    let repeats = find_duplicate(&txn, organisation_id, &checked).await?;
    let merged = repeats.open.is_some();
    let target = match repeats.open {
        Some(found) => found,
        None => new_report(&txn, organisation_id, &checked, at).await?,
    };
    if !merged {
        link_earlier(&txn, target.id, &repeats.earlier, at).await?;
    }
    add_new_urls(&txn, target.id, &checked.urls).await?;
    add_new_files(&txn, ctx, target.id, &checked.files, &matched).await?;
    let merged_report = merge_into(&txn, &target, &checked, input.immediate_danger, at).await?;
    let recorded = record_submission(
        &txn,
        ctx,
        &source,
        &checked,
        Recording {
            report_id: target.id,
            idempotency,
            digest,
            at,
        },
    )
    .await?;
    let known_files = matched.known();
    record_timeline(
        &txn,
        &target,
        &merged_report,
        merged,
        &source,
        &recorded,
        known_files,
    )
    .await?;
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
        .detail("linked", if merged { 0 } else { repeats.earlier.len() })
        .detail("known_files", known_files),
    )
    .await?;
    Ok(Receipt {
        id: target.id.to_string(),
        reference: recorded.reference,
        pin: recorded.pin,
        known_content: merged_report.known_content,
        priority: merged_report.priority,
        merged,
        replayed: false,
    })
}

/// A platform's idempotency key, scoped to its organisation.
fn idempotency_key(source: &Source<'_>) -> Result<Option<String>, HotlineError> {
    let Source::Platform {
        principal,
        idempotency_key: Some(key),
    } = source
    else {
        return Ok(None);
    };
    if key.is_empty() || key.len() > 200 {
        return Err(invalid(
            "Idempotency-Key",
            "the idempotency key has 1 to 200 characters",
        ));
    }
    Ok(Some(format!("{}:{key}", principal.organisation_id)))
}

/// The first answer to a retried submission with the same key, or a conflict if the key was
/// used for a different body.
async fn replay(
    txn: &DatabaseTransaction,
    key: &str,
    digest: &str,
) -> Result<Option<Receipt>, HotlineError> {
    let Some(earlier) = submission::Entity::find()
        .filter(submission::Column::IdempotencyKey.eq(key))
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    if earlier.request_digest.as_deref() != Some(digest) {
        return Err(HotlineError::Conflict(
            "idempotency_conflict",
            "this idempotency key was used for a different report".into(),
        ));
    }
    let found = report::Entity::find_by_id(earlier.report_id)
        .one(txn)
        .await?
        .ok_or(HotlineError::NotFound)?;
    Ok(Some(Receipt {
        id: found.id.to_string(),
        reference: earlier.reference,
        pin: None,
        known_content: found.known_content,
        priority: found.priority,
        merged: false,
        replayed: true,
    }))
}

async fn new_report(
    txn: &DatabaseTransaction,
    organisation_id: i32,
    checked: &Checked,
    at: OffsetDateTime,
) -> Result<report::Model, DbErr> {
    report::ActiveModel {
        organisation_id: Set(organisation_id),
        incident_type: Set(checked.incident_type),
        annotations: Set("[]".into()),
        incident_time: Set(checked.incident_time),
        immediate_danger: Set(false),
        victim_age: Set(None),
        status: Set(ReportStatus::New),
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
    .insert(txn)
    .await
}

/// Adds the URLs the report does not have yet.
async fn add_new_urls(
    txn: &DatabaseTransaction,
    report_id: i64,
    urls: &[url::Url],
) -> Result<(), DbErr> {
    let have: BTreeSet<String> = url_row::Entity::find()
        .filter(url_row::Column::ReportId.eq(report_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|u| u.url_key)
        .collect();
    for u in urls {
        let key = network::url_key(u);
        if have.contains(&key) {
            continue;
        }
        url_row::ActiveModel {
            report_id: Set(report_id),
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
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Adds the files the report does not have yet (by any of their hashes), with the bank that
/// knows each and its evidence where policy keeps it.
async fn add_new_files(
    txn: &DatabaseTransaction,
    ctx: &HotlineContext,
    report_id: i64,
    files: &[FileHashes],
    matched: &MatchedFiles,
) -> Result<(), HotlineError> {
    let have = file::Entity::find()
        .filter(file::Column::ReportId.eq(report_id))
        .all(txn)
        .await?;
    for ((hashes, found), category) in files.iter().zip(&matched.matches).zip(&matched.categories) {
        let same = |f: &file::Model| {
            (hashes.pdq.is_some() && f.pdq == hashes.pdq)
                || (hashes.md5.is_some() && f.md5 == hashes.md5)
                || (hashes.sha256.is_some() && f.sha256 == hashes.sha256)
        };
        if have.iter().any(same) {
            continue;
        }
        let row = file::ActiveModel {
            report_id: Set(report_id),
            pdq: Set(hashes.pdq.clone()),
            md5: Set(hashes.md5.clone()),
            sha256: Set(hashes.sha256.clone()),
            known_bank: Set(found.as_ref().map(|m| m.bank.clone())),
            known_category: Set(category.clone()),
            has_evidence: Set(hashes.content.is_some()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        if let Some(content) = &hashes.content {
            takedown::store_evidence(txn, &ctx.fields, &ctx.config, row.id, content).await?;
        }
    }
    Ok(())
}

/// The report after a submission joined it.
struct Merged {
    known_content: bool,
    priority: i32,
    status: ReportStatus,
}

/// Merges what a submission says into its report: annotations, danger, the youngest victim,
/// the incident time; then whether every file is known, the priority, and the status (a
/// report of known files only is assessed at once, unless a child is in danger).
async fn merge_into(
    txn: &DatabaseTransaction,
    target: &report::Model,
    checked: &Checked,
    danger: bool,
    at: OffsetDateTime,
) -> Result<Merged, HotlineError> {
    let files = file::Entity::find()
        .filter(file::Column::ReportId.eq(target.id))
        .all(txn)
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
    let priority = priority(
        immediate_danger,
        &annotations,
        known_content,
        victim_age,
        incident_time,
        at,
    );
    let status = if known_content && target.status == ReportStatus::New && !immediate_danger {
        ReportStatus::Assessed
    } else {
        target.status
    };
    let mut update: report::ActiveModel = target.clone().into();
    update.annotations = Set(serde_json::to_string(&annotations).map_err(internal)?);
    update.immediate_danger = Set(immediate_danger);
    update.victim_age = Set(victim_age);
    update.incident_time = Set(incident_time);
    update.known_content = Set(known_content);
    update.priority = Set(priority);
    update.status = Set(status);
    update.updated_at = Set(at);
    update.update(txn).await?;
    Ok(Merged {
        known_content,
        priority,
        status,
    })
}

/// What a submission's own row records besides what the source says.
struct Recording {
    report_id: i64,
    idempotency: Option<String>,
    digest: String,
    at: OffsetDateTime,
}

/// The submission as recorded: its reference, and the PIN a public reporter is shown once.
struct Recorded {
    reference: String,
    pin: Option<String>,
}

/// Records the submission with a new reference, a PIN for public reporters (platforms check
/// status through the API, so theirs is a random, unusable secret), and the reporter's words
/// encrypted.
async fn record_submission(
    txn: &DatabaseTransaction,
    ctx: &HotlineContext,
    source: &Source<'_>,
    checked: &Checked,
    recording: Recording,
) -> Result<Recorded, HotlineError> {
    let reference = pins::new_reference("HR").map_err(HotlineError::Internal)?;
    let pin = match source {
        Source::Public { .. } => Some(pins::random_digits(8).map_err(HotlineError::Internal)?),
        _ => None,
    };
    let pin_secret = match &pin {
        Some(pin) => pin.clone(),
        None => crate::access::new_secret("").map_err(internal)?,
    };
    let (organisation_id, user_id) = match source {
        Source::Public { .. } => (None, None),
        Source::Platform { principal, .. } | Source::Partner { principal } => {
            (Some(principal.organisation_id), Some(principal.user_id))
        }
    };
    let details = serde_json::to_string(&checked.details).map_err(internal)?;
    submission::ActiveModel {
        report_id: Set(recording.report_id),
        reference: Set(reference.clone()),
        pin_hash: Set(crate::access::hash_password(&pin_secret)
            .await
            .map_err(internal)?),
        failed_pins: Set(0),
        locked_until: Set(None),
        source: Set(source.kind()),
        organisation_id: Set(organisation_id),
        user_id: Set(user_id.filter(|id| *id > 0)),
        reporter_country: Set(checked.reporter_country.clone()),
        language: Set(match source {
            Source::Public { language } => Some((*language).to_owned()),
            _ => None,
        }),
        details: Set(ctx
            .fields
            .seal(&details_context(&reference), &details)
            .map_err(internal)?),
        idempotency_key: Set(recording.idempotency),
        request_digest: Set(Some(recording.digest)),
        created_at: Set(recording.at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(Recorded { reference, pin })
}

/// The report's timeline: opened or merged, files already known, classified at once.
async fn record_timeline(
    txn: &DatabaseTransaction,
    target: &report::Model,
    now_merged: &Merged,
    merged: bool,
    source: &Source<'_>,
    recorded: &Recorded,
    known_files: usize,
) -> Result<(), DbErr> {
    let user_id = match source {
        Source::Public { .. } => None,
        Source::Platform { principal, .. } | Source::Partner { principal } => {
            Some(principal.user_id)
        }
    };
    let kind = if merged {
        "submission.merged"
    } else {
        "report.opened"
    };
    add_event(
        txn,
        target.id,
        kind,
        format!("{} submission {}", source.name(), recorded.reference),
        user_id,
    )
    .await?;
    if known_files > 0 {
        add_event(
            txn,
            target.id,
            "files.matched",
            format!("{known_files} file(s) previously assessed in banks"),
            None,
        )
        .await?;
    }
    if now_merged.status == ReportStatus::Assessed && target.status == ReportStatus::New {
        add_event(
            txn,
            target.id,
            "report.auto_classified",
            "every file is known content",
            None,
        )
        .await?;
    }
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
}
