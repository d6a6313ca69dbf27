//! Care: child-centred case management around the minimum core service package. This module
//! holds the case record (identifying details field-encrypted), consent per purpose, and
//! referrals that share a chosen subset of a case with another organisation. A case is visible
//! to its assigned case workers, to supervisors of its organisation, and, for the shared part
//! only, to organisations it was referred to. Every read and write is audited.

pub mod alerts;
pub mod api;
mod cases;
mod consents;
pub mod entities;
pub mod indicators;
pub mod notify;
pub mod pages;
pub mod plan;
mod referrals;
mod sealed;
pub mod vocabulary;
pub mod workflow;

use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use axum::extract::FromRef;

use self::entities::{assignment, case, referral};
use self::plan::CareConfig;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::access::{Principal, Role};
use crate::banks::BanksContext;
use crate::http::Endpoint;
use crate::mail::Mailer;
use crate::store::Store;
use crate::store::fields::FieldCipher;
use crate::store::reseal::SealedColumn;

pub use alerts::ReuploadAlerts;
pub use cases::{
    CaseRow, CaseView, ConsentView, ReferralView, assign, create_case, create_case_in, list_cases,
    read_case, transfer,
};
pub(crate) use consents::has_consent;
pub use consents::{add_consent, add_consent_in, withdraw_consent};
pub use referrals::{
    IncomingReferral, ReferralRequest, answer_referral, incoming_referrals, refer, unassigned_cases,
};
pub use sealed::seal_plaintext;
pub use vocabulary::{CareStage, ConsentPurpose, ServiceStatus};

/// What care's routes and services need: the store, the field cipher for identifying details,
/// the deployment's services and forms, the banks (a child's picture hashes are banked), and
/// the mailer for alerts.
#[derive(Clone, Debug)]
pub struct CareContext {
    pub store: Store,
    pub fields: Arc<FieldCipher>,
    pub config: Arc<CareConfig>,
    pub banks: BanksContext,
    pub mailer: Option<Mailer>,
}

/// Every care route: the API and the pages.
pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    CareContext: FromRef<S>,
{
    let mut all = api::endpoints();
    all.extend(pages::endpoints());
    all
}

/// The minimum core service package of the ASEAN guidelines: the default service catalogue.
pub const SERVICES: &[&str] = &[
    "case_management",
    "social_services",
    "family_care",
    "mental_health",
    "health",
    "justice",
    "content_removal",
    "compensation",
    "education",
    "social_protection",
];
pub const GIVEN_BY: &[&str] = &["child", "guardian", "authority"];
pub const RISK_LEVELS: &[&str] = &["low", "medium", "high", "immediate"];
/// Fields a referral may share; without a choice, only the first three are.
pub const SHAREABLE: &[&str] = &[
    "age_estimate",
    "language",
    "risk_level",
    "name",
    "date_of_birth",
    "sex",
    "gender_identity",
    "disability",
    "location",
    "contact",
];
const SHARED_BY_DEFAULT: &[&str] = &["age_estimate", "language", "risk_level"];

#[derive(Debug, thiserror::Error)]
pub enum CareError {
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error("no such case or referral")]
    NotFound,
    #[error("this case is not yours to see or change")]
    Forbidden,
    #[error("there is no {0} consent on this case")]
    ConsentRequired(ConsentPurpose),
    #[error("notes can be edited for 24 hours; add a correction as a new note")]
    NoteLocked,
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Internal(String),
}

/// Someone who looks after the child.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Guardian {
    pub name: Option<String>,
    pub relation: Option<String>,
    pub contact: Option<String>,
}

/// The child's identifying details, kept to the minimum needed. Stored encrypted as one
/// document; never logged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Identity {
    pub name: Option<String>,
    pub date_of_birth: Option<String>,
    pub age_estimate: Option<u8>,
    pub sex: Option<String>,
    pub gender_identity: Option<String>,
    pub language: Option<String>,
    pub disability: Option<String>,
    pub location: Option<String>,
    #[serde(default)]
    pub guardians: Vec<Guardian>,
    /// How to reach the child (for self-reports: what they gave).
    pub contact: Option<String>,
}

impl Identity {
    fn field(&self, name: &str) -> serde_json::Value {
        match name {
            "name" => self.name.clone().into(),
            "date_of_birth" => self.date_of_birth.clone().into(),
            "age_estimate" => self.age_estimate.into(),
            "sex" => self.sex.clone().into(),
            "gender_identity" => self.gender_identity.clone().into(),
            "language" => self.language.clone().into(),
            "disability" => self.disability.clone().into(),
            "location" => self.location.clone().into(),
            "contact" => self.contact.clone().into(),
            _ => serde_json::Value::Null,
        }
    }
}

/// The columns care seals, for re-encryption after a key rotation: each context is the one the
/// code that seals the column names (`<table>.<column>:<value>`).
pub const SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        table: "care_cases",
        column: "identity",
        context: "care_cases.identity",
        context_from: "reference",
    },
    SealedColumn {
        table: "care_notes",
        column: "body",
        context: "care_notes.body",
        context_from: "case_id",
    },
    SealedColumn {
        table: "care_assessments",
        column: "answers",
        context: "care_assessments.answers",
        context_from: "case_id",
    },
    SealedColumn {
        table: "care_referrals",
        column: "shared",
        context: "care_referrals.shared",
        context_from: "case_id",
    },
    SealedColumn {
        table: "care_referrals",
        column: "reason",
        context: "care_referrals.reason",
        context_from: "case_id",
    },
    SealedColumn {
        table: "care_consents",
        column: "evidence",
        context: "care_consents.evidence",
        context_from: "case_id",
    },
    SealedColumn {
        table: "care_services",
        column: "outcome",
        context: "care_services.outcome",
        context_from: "case_id",
    },
];

fn identity_context(reference: &str) -> String {
    format!("care_cases.identity:{reference}")
}

fn seal_identity(
    cipher: &FieldCipher,
    reference: &str,
    identity: &Identity,
) -> Result<String, CareError> {
    let json = serde_json::to_string(identity).map_err(|e| CareError::Internal(e.to_string()))?;
    cipher
        .seal(&identity_context(reference), &json)
        .map_err(|e| CareError::Internal(e.to_string()))
}

fn open_identity(cipher: &FieldCipher, found: &case::Model) -> Result<Identity, CareError> {
    let json = cipher
        .open(&identity_context(&found.reference), &found.identity)
        .map_err(|e| CareError::Internal(e.to_string()))?;
    serde_json::from_str(&json).map_err(|e| CareError::Internal(e.to_string()))
}

/// Removes the contact from a case's identity and from what its referrals shared, inside the
/// caller's transaction: a person who withdraws the self-report that opened the case takes back
/// how to reach them, from every organisation.
pub async fn forget_contact_in(
    txn: &DatabaseTransaction,
    cipher: &FieldCipher,
    case_id: i64,
) -> Result<(), CareError> {
    let Some(found) = case::Entity::find_by_id(case_id).one(txn).await? else {
        return Ok(());
    };
    // The referrals' snapshots may hold it too (`contact` is shareable).
    for shared in referral::Entity::find()
        .filter(referral::Column::CaseId.eq(case_id))
        .all(txn)
        .await?
    {
        let snapshot = sealed::Sealed::ReferralSnapshot.open(cipher, case_id, &shared.shared)?;
        let mut fields: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&snapshot).map_err(|e| CareError::Internal(e.to_string()))?;
        if fields.remove("contact").is_some() {
            let resealed = sealed::Sealed::ReferralSnapshot.seal(
                cipher,
                case_id,
                &serde_json::Value::Object(fields).to_string(),
            )?;
            let mut update: referral::ActiveModel = shared.into();
            update.shared = sea_orm::ActiveValue::Set(resealed);
            sea_orm::ActiveModelTrait::update(update, txn).await?;
        }
    }
    let mut identity = open_identity(cipher, &found)?;
    if identity.contact.is_none() {
        return Ok(());
    }
    identity.contact = None;
    let sealed = seal_identity(cipher, &found.reference, &identity)?;
    let mut update: case::ActiveModel = found.into();
    update.identity = sea_orm::ActiveValue::Set(sealed);
    sea_orm::ActiveModelTrait::update(update, txn).await?;
    Ok(())
}

fn new_reference() -> Result<String, CareError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| CareError::Internal(e.to_string()))?;
    Ok(format!(
        "C-{:010}",
        u64::from_le_bytes(bytes) % 10_000_000_000
    ))
}

fn check_one_of(field: &'static str, value: &str, allowed: &[&str]) -> Result<(), CareError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(CareError::Invalid(
            field,
            format!("{field} is one of {}", allowed.join(", ")),
        ))
    }
}

/// What a caller may see of a case.
enum View {
    Full,
    /// Only what these referrals to the caller's organisation shared.
    Shared(Vec<referral::Model>),
}

async fn view_of(
    txn: &DatabaseTransaction,
    principal: &Principal,
    found: &case::Model,
) -> Result<Option<View>, DbErr> {
    let assigned = assignment::Entity::find()
        .filter(assignment::Column::CaseId.eq(found.id))
        .filter(assignment::Column::UserId.eq(principal.user_id))
        .one(txn)
        .await?
        .is_some();
    let supervisor =
        principal.role == Role::Supervisor && principal.organisation_id == found.organisation_id;
    if assigned || supervisor {
        return Ok(Some(View::Full));
    }
    let shared: Vec<referral::Model> = referral::Entity::find()
        .filter(referral::Column::CaseId.eq(found.id))
        .filter(referral::Column::ToOrg.eq(principal.organisation_id))
        .filter(referral::Column::Status.ne("rejected"))
        .filter(referral::Column::EndedAt.is_null())
        .order_by_asc(referral::Column::Id)
        .all(txn)
        .await?;
    Ok((!shared.is_empty()).then_some(View::Shared(shared)))
}

/// Whether the caller sees case `case_id` in full (its assigned workers and its organisation's
/// supervisors): what decides who may read a child's contact details held elsewhere too.
pub async fn sees_in_full(
    txn: &DatabaseTransaction,
    principal: &Principal,
    case_id: i64,
) -> Result<bool, DbErr> {
    let Some(found) = case::Entity::find_by_id(case_id).one(txn).await? else {
        return Ok(false);
    };
    Ok(matches!(
        view_of(txn, principal, &found).await?,
        Some(View::Full)
    ))
}

/// The case and the caller's view of it; a refusal is audited before it is returned.
async fn load(
    txn: &DatabaseTransaction,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    action: &str,
) -> Result<(case::Model, View), CareError> {
    let found = case::Entity::find_by_id(case_id)
        .one(txn)
        .await?
        .ok_or(CareError::NotFound)?;
    match view_of(txn, principal, &found).await? {
        Some(view) => Ok((found, view)),
        None => {
            audit::append(
                txn,
                actor,
                AuditEvent::new(
                    &format!("{action}.denied"),
                    "care_case",
                    case_id.to_string(),
                ),
            )
            .await?;
            Err(CareError::Forbidden)
        }
    }
}

/// Opens a transaction on a case that only a supervisor of its organisation may act on (assign,
/// transfer, approve). A refusal is audited as `denied` and ends the transaction.
async fn open_supervised(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    denied: &str,
) -> Result<(DatabaseTransaction, case::Model), CareError> {
    let txn = store.write().await?;
    let found = case::Entity::find_by_id(case_id)
        .one(&txn)
        .await?
        .ok_or(CareError::NotFound)?;
    if principal.role != Role::Supervisor || principal.organisation_id != found.organisation_id {
        audit::append(
            &txn,
            actor,
            AuditEvent::new(denied, "care_case", case_id.to_string()),
        )
        .await?;
        return audit::keep_refusal(txn, CareError::Forbidden).await;
    }
    Ok((txn, found))
}

/// The case if the caller works on it (assigned, or supervising); any refusal is audited.
async fn load_full(
    txn: &DatabaseTransaction,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    action: &str,
) -> Result<case::Model, CareError> {
    match load(txn, actor, principal, case_id, action).await? {
        (found, View::Full) => Ok(found),
        (_, View::Shared(_)) => {
            audit::append(
                txn,
                actor,
                AuditEvent::new(
                    &format!("{action}.denied"),
                    "care_case",
                    case_id.to_string(),
                ),
            )
            .await?;
            Err(CareError::Forbidden)
        }
    }
}
