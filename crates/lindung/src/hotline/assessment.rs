//! Assessing a report's files and URLs, attributing hosts, referring to care, closing.

use std::collections::BTreeSet;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter,
};
use serde::{Deserialize, Serialize};

use super::config::{CATEGORIES, CONTENT_KINDS, HotlineConfig};
use super::entities::{assessment, file, report, submission, url as url_row};
use super::input::check_text;
use super::*;
use crate::access::audit::{Actor, AuditEvent};
use crate::access::entities::organisation;
use crate::access::{Principal, Role};
use crate::helpers::now;
use crate::store::Store;

/// An analyst's assessment of one file or URL of a report.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    /// `file` or `url`.
    pub item_kind: String,
    pub item_id: i64,
    /// A1, A2, B1 or B2 (NCMEC industry categories); absent when none applies.
    pub category: Option<String>,
    pub age_group: AgeGroup,
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
    pub report_status: ReportStatus,
    /// The bank content item the hashes went to.
    pub bank_content_id: Option<i64>,
}

pub(super) fn is_illegal(status: &str) -> bool {
    matches!(status, "baseline" | "nationally_illegal")
}

/// Records an assessment. The caller must hold the report. The legal status comes from the
/// law table. When every file and URL is assessed (or known), the report is `assessed`.
pub async fn assess(
    ctx: &HotlineContext,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    input: &AssessmentInput,
) -> Result<Assessed, HotlineError> {
    let (country, legal) = legal_status_of(&ctx.config, input)?;
    let (txn, found) = open_report(&ctx.store, actor, principal, id).await?;
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
        age_group: Set(input.age_group),
        gender: Set(input.gender.clone()),
        content_kind: Set(input.content_kind.clone()),
        country: Set(country.clone()),
        assessed_by: Set(principal.user_id),
        assessed_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let bank_content_id = match &input.add_to_bank {
        Some(bank) => {
            if input.item_kind != "file" || !is_illegal(legal) {
                return Err(invalid(
                    "add_to_bank",
                    "only a file assessed as illegal can be added to a bank",
                ));
            }
            let Some(f) = files.iter().find(|f| f.id == input.item_id) else {
                return Err(invalid("item_id", "the report has no such item"));
            };
            Some(bank_file(&txn, principal, id, f, bank, input.category.as_deref()).await?)
        }
        None => None,
    };
    let status = status_after_assessment(&txn, &found, &files, &urls).await?;
    let mut update: report::ActiveModel = found.into();
    update.status = Set(status);
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

/// Checks an assessment's values, and finds what the law table makes of it: the country whose
/// law applies and the legal status. A legal status the analyst gave must agree.
fn legal_status_of(
    config: &HotlineConfig,
    input: &AssessmentInput,
) -> Result<(String, &'static str), HotlineError> {
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
    Ok((country, legal))
}

/// Adds a file assessed as illegal to `bank`, in the assessment's transaction; returns the
/// bank content's id.
async fn bank_file(
    txn: &DatabaseTransaction,
    principal: &Principal,
    report_id: i64,
    f: &file::Model,
    bank: &str,
    category: Option<&str>,
) -> Result<i64, HotlineError> {
    use crate::banks::store::{ContentMeta, NewSignal, SignalType};
    let mut signals = Vec::new();
    for (kind, value) in [
        (SignalType::Pdq, &f.pdq),
        (SignalType::Md5, &f.md5),
        (SignalType::Sha256, &f.sha256),
    ] {
        if let Some(v) = value {
            signals.push(
                NewSignal::new(kind, v, None).map_err(|e| invalid("add_to_bank", e.to_string()))?,
            );
        }
    }
    let meta = ContentMeta {
        note: format!("hotline report {report_id}"),
        category: category.unwrap_or_default().to_owned(),
        tags: vec!["hotline".into()],
        source: "hotline".into(),
    };
    let added = crate::banks::store::add_content_in(txn, principal, bank, &meta, &signals)
        .await
        .map_err(|e| match e {
            crate::banks::store::BankError::Db(e) => HotlineError::Db(e),
            other => invalid("add_to_bank", other.to_string()),
        })?;
    add_event(
        txn,
        report_id,
        "file.banked",
        format!("file {} to bank {bank}", f.id),
        Some(principal.user_id),
    )
    .await?;
    Ok(added.content_id)
}

/// The report's status once an item is assessed: `assessed` when every file and URL is known
/// or assessed.
async fn status_after_assessment(
    txn: &DatabaseTransaction,
    found: &report::Model,
    files: &[file::Model],
    urls: &[url_row::Model],
) -> Result<ReportStatus, DbErr> {
    let assessed: BTreeSet<(String, i64)> = assessment::Entity::find()
        .filter(assessment::Column::ReportId.eq(found.id))
        .all(txn)
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
    Ok(
        if complete && matches!(found.status, ReportStatus::New | ReportStatus::InReview) {
            ReportStatus::Assessed
        } else {
            found.status
        },
    )
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
    ctx: &HotlineContext,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    care_organisation: &str,
    risk_level: &str,
) -> Result<i64, HotlineError> {
    let HotlineContext {
        store,
        fields: cipher,
        ..
    } = ctx;
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
    update.status = Set(ReportStatus::Closed);
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
