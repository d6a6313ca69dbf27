//! A country's assessment: dated versions of answers to the template's items, each version a
//! new row (rows never change), read and compared only within the caller's organisation.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::template::Template;
use super::{LegalError, check_country, past_date};
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::helpers::{now, rfc3339};
use crate::policy::entities::assessment;
use crate::store::Store;

/// How far the law meets an item.
pub const STATUSES: &[&str] = &["met", "partly_met", "not_met", "not_applicable"];

const MAX_LAW: usize = 300;
const MAX_ARTICLE: usize = 100;
const MAX_NOTE: usize = 2000;

/// One item's answer, stored exactly so (absent fields are left out).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// `met`, `partly_met`, `not_met` or `not_applicable`.
    pub status: String,
    /// The law cited (at most 300 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub law: Option<String>,
    /// The article, section or paragraph (at most 100 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    /// A note (at most 2000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A new version of a country's assessment.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssessment {
    /// ISO 3166-1 alpha-2 of an ASEAN member or Timor-Leste (`TH`).
    pub country: String,
    /// The date the assessment speaks for, `YYYY-MM-DD`.
    pub assessed_on: String,
    /// Item id → answer; an item left out is "not answered".
    #[serde(default)]
    pub answers: BTreeMap<String, Answer>,
}

/// A version, without its answers.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VersionRow {
    pub id: i64,
    pub country: String,
    pub version: i32,
    pub assessed_on: String,
    /// The template answered, `id@version`.
    pub template: String,
    pub created_at: String,
    /// Items by status; `not_answered` counts the template's items without an answer.
    pub counts: BTreeMap<String, usize>,
}

/// A version with its answers.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssessmentView {
    #[serde(flatten)]
    pub row: VersionRow,
    pub answers: BTreeMap<String, Answer>,
}

/// An item whose answer changed between two versions (`null`: not answered).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Change {
    pub item: String,
    /// The item's tier, when the template has it.
    pub tier: Option<u8>,
    pub old: Option<Answer>,
    pub new: Option<Answer>,
}

/// What changed from one version to another of the same country.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Comparison {
    pub from: VersionRow,
    pub to: VersionRow,
    pub changes: Vec<Change>,
    /// Items whose answer (or its absence) is the same in both.
    pub unchanged: usize,
}

/// Text cut of surrounding blanks; blank text is absent.
fn filled(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

fn bounded(field: String, value: &Option<String>, max: usize) -> Result<(), LegalError> {
    match value {
        Some(text) if text.chars().count() > max => {
            let message = format!("{field}: at most {max} characters");
            Err(LegalError::Invalid(field.into(), message))
        }
        _ => Ok(()),
    }
}

/// The answers checked against the template: known items, a status of the list, bounded text.
pub fn check_answers(
    template: &Template,
    answers: BTreeMap<String, Answer>,
) -> Result<BTreeMap<String, Answer>, LegalError> {
    let mut out = BTreeMap::new();
    for (id, answer) in answers {
        if template.item(&id).is_none() {
            let shown: String = id.chars().take(64).collect();
            return Err(LegalError::Invalid(
                format!("answers.{shown}").into(),
                format!("answers.{shown}: the template has no such item"),
            ));
        }
        if !STATUSES.contains(&answer.status.as_str()) {
            return Err(LegalError::Invalid(
                format!("answers.{id}.status").into(),
                format!("answers.{id}.status is one of {}", STATUSES.join(", ")),
            ));
        }
        let answer = Answer {
            status: answer.status,
            law: filled(answer.law),
            article: filled(answer.article),
            note: filled(answer.note),
        };
        bounded(format!("answers.{id}.law"), &answer.law, MAX_LAW)?;
        bounded(
            format!("answers.{id}.article"),
            &answer.article,
            MAX_ARTICLE,
        )?;
        bounded(format!("answers.{id}.note"), &answer.note, MAX_NOTE)?;
        out.insert(id, answer);
    }
    Ok(out)
}

/// The stored answers of a version.
pub fn answers_of(found: &assessment::Model) -> Result<BTreeMap<String, Answer>, LegalError> {
    serde_json::from_str(&found.answers).map_err(|e| LegalError::Internal(e.to_string()))
}

fn row_of(
    template: &Template,
    found: &assessment::Model,
    answers: &BTreeMap<String, Answer>,
) -> VersionRow {
    let mut counts: BTreeMap<String, usize> = STATUSES
        .iter()
        .chain(["not_answered"].iter())
        .map(|s| ((*s).to_owned(), 0))
        .collect();
    for answer in answers.values() {
        *counts.entry(answer.status.clone()).or_default() += 1;
    }
    let unanswered = template
        .items()
        .filter(|(_, i)| !answers.contains_key(&i.id))
        .count();
    counts.insert("not_answered".into(), unanswered);
    VersionRow {
        id: found.id,
        country: found.country.clone(),
        version: found.version,
        assessed_on: found.assessed_on.to_string(),
        template: found.template_id.clone(),
        created_at: rfc3339(found.created_at),
        counts,
    }
}

fn view_of(template: &Template, found: &assessment::Model) -> Result<AssessmentView, LegalError> {
    let answers = answers_of(found)?;
    Ok(AssessmentView {
        row: row_of(template, found, &answers),
        answers,
    })
}

/// Saves a new version of the country's assessment for the caller's organisation.
pub async fn create(
    store: &Store,
    template: &Template,
    actor: &Actor,
    principal: &Principal,
    new: NewAssessment,
) -> Result<AssessmentView, LegalError> {
    let country = check_country("country", &new.country)?;
    let assessed_on = past_date("assessed_on", &new.assessed_on)?;
    let answers = check_answers(template, new.answers)?;
    let json = serde_json::to_string(&answers).map_err(|e| LegalError::Internal(e.to_string()))?;
    let txn = store.write().await?;
    let last: Option<i32> = assessment::Entity::find()
        .select_only()
        .column_as(assessment::Column::Version.max(), "last")
        .filter(assessment::Column::OrganisationId.eq(principal.organisation_id))
        .filter(assessment::Column::Country.eq(country))
        .into_tuple::<Option<i32>>()
        .one(&txn)
        .await?
        .flatten();
    let version = last.unwrap_or(0) + 1;
    let created = assessment::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        country: Set(country.to_owned()),
        template_id: Set(template.identity()),
        version: Set(version),
        assessed_on: Set(assessed_on),
        answers: Set(json),
        created_by: Set(principal.user_id),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => LegalError::VersionTaken,
        _ => e.into(),
    })?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "policy.assessment.create",
            "policy_assessment",
            created.id.to_string(),
        )
        .detail("country", country)
        .detail("version", version),
    )
    .await?;
    view_of(template, &created)
}

/// The versions of the caller's organisation, of one country or all, newest first.
pub async fn list(
    store: &Store,
    template: &Template,
    actor: &Actor,
    principal: &Principal,
    country: Option<&str>,
) -> Result<Vec<VersionRow>, LegalError> {
    let country = country.map(|c| check_country("country", c)).transpose()?;
    let txn = store.write().await?;
    let mut query = assessment::Entity::find()
        .filter(assessment::Column::OrganisationId.eq(principal.organisation_id));
    if let Some(country) = country {
        query = query.filter(assessment::Column::Country.eq(country));
    }
    let found = query
        .order_by_asc(assessment::Column::Country)
        .order_by_desc(assessment::Column::Version)
        .all(&txn)
        .await?;
    let mut rows = Vec::with_capacity(found.len());
    for f in &found {
        rows.push(row_of(template, f, &answers_of(f)?));
    }
    let mut event = AuditEvent::new("policy.assessment.list", "policy_assessment", None);
    if let Some(country) = country {
        event = event.detail("country", country);
    }
    audit::commit_with(txn, actor, event).await?;
    Ok(rows)
}

/// A version of the caller's organisation. Another organisation's is not found; the attempt
/// is recorded (`policy.assessment.denied`) and the transaction ends with the record kept.
async fn load(
    txn: DatabaseTransaction,
    actor: &Actor,
    principal: &Principal,
    id: i64,
) -> Result<(DatabaseTransaction, assessment::Model), LegalError> {
    match assessment::Entity::find_by_id(id).one(&txn).await? {
        Some(found) if found.organisation_id == principal.organisation_id => Ok((txn, found)),
        Some(_) => {
            audit::append(
                &txn,
                actor,
                AuditEvent::new(
                    "policy.assessment.denied",
                    "policy_assessment",
                    id.to_string(),
                ),
            )
            .await?;
            audit::keep_refusal(txn, LegalError::NotFound).await
        }
        None => Err(LegalError::NotFound),
    }
}

/// Reads a version with its answers; `purpose` says how (`api`, `report`, `csv`), for the log.
pub async fn read(
    store: &Store,
    template: &Template,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    purpose: &str,
) -> Result<AssessmentView, LegalError> {
    let (txn, found) = load(store.write().await?, actor, principal, id).await?;
    let view = view_of(template, &found)?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "policy.assessment.read",
            "policy_assessment",
            id.to_string(),
        )
        .detail("as", purpose),
    )
    .await?;
    Ok(view)
}

/// The latest version of the caller's organisation for a country, if any (to prefill the
/// form); audited as a read.
pub async fn latest(
    store: &Store,
    template: &Template,
    actor: &Actor,
    principal: &Principal,
    country: &str,
) -> Result<Option<AssessmentView>, LegalError> {
    let country = check_country("country", country)?;
    let txn = store.write().await?;
    let found = assessment::Entity::find()
        .filter(assessment::Column::OrganisationId.eq(principal.organisation_id))
        .filter(assessment::Column::Country.eq(country))
        .order_by_desc(assessment::Column::Version)
        .one(&txn)
        .await?;
    let Some(found) = found else {
        txn.commit().await?;
        return Ok(None);
    };
    let view = view_of(template, &found)?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "policy.assessment.read",
            "policy_assessment",
            found.id.to_string(),
        )
        .detail("as", "form"),
    )
    .await?;
    Ok(Some(view))
}

/// The latest version's answers of every country the caller's organisation assessed.
pub async fn latest_by_country(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
) -> Result<HashMap<String, (i32, BTreeMap<String, Answer>)>, LegalError> {
    let txn = store.write().await?;
    let found = assessment::Entity::find()
        .filter(assessment::Column::OrganisationId.eq(principal.organisation_id))
        .order_by_asc(assessment::Column::Version)
        .all(&txn)
        .await?;
    let mut latest = HashMap::new();
    for f in &found {
        latest.insert(f.country.clone(), (f.version, answers_of(f)?));
    }
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("policy.law.read", "policy_assessment", None),
    )
    .await?;
    Ok(latest)
}

/// What changed from version `from` to version `to` (both of the caller's organisation and of
/// one country).
pub async fn compare(
    store: &Store,
    template: &Template,
    actor: &Actor,
    principal: &Principal,
    from: i64,
    to: i64,
) -> Result<Comparison, LegalError> {
    let (txn, old) = load(store.write().await?, actor, principal, from).await?;
    let (txn, new) = load(txn, actor, principal, to).await?;
    if old.country != new.country {
        return Err(LegalError::Invalid(
            "other".into(),
            format!(
                "version {from} is of {} and version {to} of {}: compare versions of one country",
                old.country, new.country
            ),
        ));
    }
    let old_answers = answers_of(&old)?;
    let new_answers = answers_of(&new)?;
    // The template's items in order, then any item only the stored answers know.
    let mut ids: Vec<(Option<u8>, String)> = template
        .items()
        .map(|(tier, i)| (Some(tier), i.id.clone()))
        .collect();
    for id in old_answers.keys().chain(new_answers.keys()) {
        if !ids.iter().any(|(_, known)| known == id) {
            ids.push((None, id.clone()));
        }
    }
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for (tier, id) in ids {
        let (a, b) = (old_answers.get(&id), new_answers.get(&id));
        if a == b {
            unchanged += 1;
        } else {
            changes.push(Change {
                item: id,
                tier,
                old: a.cloned(),
                new: b.cloned(),
            });
        }
    }
    let comparison = Comparison {
        from: row_of(template, &old, &old_answers),
        to: row_of(template, &new, &new_answers),
        changes,
        unchanged,
    };
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "policy.assessment.compare",
            "policy_assessment",
            from.to_string(),
        )
        .detail("other", to),
    )
    .await?;
    Ok(comparison)
}
