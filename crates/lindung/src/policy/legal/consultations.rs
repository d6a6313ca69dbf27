//! Consultations with children and young people held for a reform, as the Guidelines ask:
//! how many took part, of which age groups, how they were heard, and a summary. Aggregates
//! only: no child is named.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{LegalError, check_country, past_date};
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::helpers::{now, rfc3339};
use crate::policy::entities::consultation;
use crate::store::Store;

/// The age groups of participants.
pub const AGE_GROUPS: &[&str] = &["under_12", "12_14", "15_17", "18_24"];
/// How children and young people were heard.
pub const METHODS: &[&str] = &[
    "workshop",
    "survey",
    "focus_group",
    "online_consultation",
    "other",
];
pub const MAX_PARTICIPANTS: i64 = 100_000;
const MAX_REFORM: usize = 200;
const MAX_SUMMARY: usize = 4000;

/// A consultation held.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConsultation {
    /// ISO 3166-1 alpha-2 of an ASEAN member or Timor-Leste.
    pub country: String,
    /// The reform it was held for (at most 200 characters).
    pub reform: String,
    /// `YYYY-MM-DD`.
    pub held_on: String,
    /// How many took part, 1 to 100000.
    pub participants: i64,
    /// One or more of `under_12`, `12_14`, `15_17`, `18_24`.
    pub age_groups: Vec<String>,
    /// `workshop`, `survey`, `focus_group`, `online_consultation` or `other`.
    pub method: String,
    /// What was heard (at most 4000 characters); name no child.
    pub summary: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConsultationView {
    pub id: i64,
    pub country: String,
    pub reform: String,
    pub held_on: String,
    pub participants: i32,
    pub age_groups: Vec<String>,
    pub method: String,
    pub summary: String,
    pub created_at: String,
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, LegalError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(LegalError::invalid(field, format!("{field} is needed")));
    }
    if value.chars().count() > max {
        return Err(LegalError::invalid(
            field,
            format!("{field}: at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

fn view_of(found: consultation::Model) -> ConsultationView {
    ConsultationView {
        id: found.id,
        country: found.country,
        reform: found.reform,
        held_on: found.held_on.to_string(),
        participants: found.participants,
        age_groups: serde_json::from_str(&found.age_groups).unwrap_or_default(),
        method: found.method,
        summary: found.summary,
        created_at: rfc3339(found.created_at),
    }
}

pub async fn create(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    new: NewConsultation,
) -> Result<ConsultationView, LegalError> {
    let country = check_country("country", &new.country)?;
    let reform = text("reform", &new.reform, MAX_REFORM)?;
    let held_on = past_date("held_on", &new.held_on)?;
    if !(1..=MAX_PARTICIPANTS).contains(&new.participants) {
        return Err(LegalError::invalid(
            "participants",
            format!("participants: 1 to {MAX_PARTICIPANTS}"),
        ));
    }
    let mut groups: Vec<String> = Vec::new();
    for group in &new.age_groups {
        if !AGE_GROUPS.contains(&group.as_str()) {
            return Err(LegalError::invalid(
                "age_groups",
                format!("age_groups: each is one of {}", AGE_GROUPS.join(", ")),
            ));
        }
        if !groups.contains(group) {
            groups.push(group.clone());
        }
    }
    if groups.is_empty() {
        return Err(LegalError::invalid(
            "age_groups",
            "age_groups: at least one is needed",
        ));
    }
    groups.sort_by_key(|g| AGE_GROUPS.iter().position(|a| a == g));
    if !METHODS.contains(&new.method.as_str()) {
        return Err(LegalError::invalid(
            "method",
            format!("method is one of {}", METHODS.join(", ")),
        ));
    }
    let summary = text("summary", &new.summary, MAX_SUMMARY)?;
    let age_groups =
        serde_json::to_string(&groups).map_err(|e| LegalError::Internal(e.to_string()))?;
    let txn = store.write().await?;
    let created = consultation::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        country: Set(country.to_owned()),
        reform: Set(reform),
        held_on: Set(held_on),
        participants: Set(new.participants as i32),
        age_groups: Set(age_groups),
        method: Set(new.method),
        summary: Set(summary),
        created_by: Set(principal.user_id),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "policy.consultation.create",
            "policy_consultation",
            created.id.to_string(),
        )
        .detail("country", country),
    )
    .await?;
    Ok(view_of(created))
}

/// The caller's organisation's consultations, of one country or all, latest held first.
pub async fn list(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    country: Option<&str>,
) -> Result<Vec<ConsultationView>, LegalError> {
    let country = country.map(|c| check_country("country", c)).transpose()?;
    let txn = store.write().await?;
    let mut query = consultation::Entity::find()
        .filter(consultation::Column::OrganisationId.eq(principal.organisation_id));
    if let Some(country) = country {
        query = query.filter(consultation::Column::Country.eq(country));
    }
    let found = query
        .order_by_desc(consultation::Column::HeldOn)
        .order_by_desc(consultation::Column::Id)
        .all(&txn)
        .await?;
    let mut event = AuditEvent::new("policy.consultation.list", "policy_consultation", None);
    if let Some(country) = country {
        event = event.detail("country", country);
    }
    audit::commit_with(txn, actor, event).await?;
    Ok(found.into_iter().map(view_of).collect())
}
