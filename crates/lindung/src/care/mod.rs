//! Care: child-centred case management around the minimum core service package. This module
//! holds the case record (identifying details field-encrypted), consent per purpose, and
//! referrals that share a chosen subset of a case with another organisation. A case is visible
//! to its assigned case workers, to supervisors of its organisation, and, for the shared part
//! only, to organisations it was referred to. Every read and write is audited.

pub mod api;
pub mod entities;
pub mod indicators;
pub mod notify;
pub mod pages;
pub mod plan;
pub mod vocabulary;
pub mod workflow;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use axum::extract::FromRef;

use self::entities::{assignment, case, consent, referral};
use self::plan::CareConfig;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::access::entities::organisation;
use crate::access::{Principal, Role};
use crate::banks::BanksContext;
use crate::helpers::{now, rfc3339};
use crate::http::Endpoint;
use crate::mail::Mailer;
use crate::store::Store;
use crate::store::fields::FieldCipher;

pub use vocabulary::{CareStage, ConsentPurpose, ServiceStatus};
pub use workflow::ReuploadAlerts;

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

/// Creates a case in `principal`'s organisation, assigned to the principal when they are a
/// case worker, inside the caller's transaction (which also audits it).
pub async fn create_case_in(
    txn: &DatabaseTransaction,
    cipher: &FieldCipher,
    principal: &Principal,
    identity: &Identity,
    risk_level: &str,
    source: &str,
) -> Result<case::Model, CareError> {
    check_one_of("risk_level", risk_level, RISK_LEVELS)?;
    let reference = new_reference()?;
    let created = case::ActiveModel {
        organisation_id: Set(principal.organisation_id),
        identity: Set(seal_identity(cipher, &reference, identity)?),
        reference: Set(reference),
        risk_level: Set(risk_level.to_owned()),
        stage: Set(CareStage::Registration),
        source: Set(source.to_owned()),
        created_by: Set((principal.user_id > 0).then_some(principal.user_id)),
        created_at: Set(now()),
        closed_at: Set(None),
        pending_approval: Set(None),
        closure_reason: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    if principal.user_id > 0 && principal.role == Role::CaseWorker {
        assignment::ActiveModel {
            case_id: Set(created.id),
            user_id: Set(principal.user_id),
            assigned_at: Set(now()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(created)
}

pub async fn create_case(
    ctx: &CareContext,
    actor: &Actor,
    principal: &Principal,
    identity: &Identity,
    risk_level: &str,
) -> Result<case::Model, CareError> {
    let CareContext {
        store,
        fields: cipher,
        ..
    } = ctx;
    let txn = store.db().begin().await?;
    let created = create_case_in(&txn, cipher, principal, identity, risk_level, "direct").await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.case.create", "care_case", created.id.to_string()),
    )
    .await?;
    Ok(created)
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
        .order_by_asc(referral::Column::Id)
        .all(txn)
        .await?;
    Ok((!shared.is_empty()).then_some(View::Shared(shared)))
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

/// A case as its caller may see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub reference: String,
    /// `full` for assigned workers and supervisors; `shared` for an organisation the case was
    /// referred to.
    pub view: String,
    pub risk_level: Option<String>,
    pub stage: Option<CareStage>,
    pub source: Option<String>,
    pub identity: Option<Identity>,
    pub consents: Vec<ConsentView>,
    pub referrals: Vec<ReferralView>,
    pub pending_approval: Option<CareStage>,
    pub closure_reason: Option<String>,
    pub notes: Vec<workflow::NoteView>,
    pub assessments: Vec<plan::AssessmentView>,
    pub services: Vec<plan::ServiceView>,
    /// Times the child's pictures were seen again since the case was opened.
    pub alerts: Vec<workflow::AlertView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ConsentView {
    pub id: i64,
    pub purpose: ConsentPurpose,
    pub given_by: String,
    pub recorded_at: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReferralView {
    pub id: i64,
    pub service: String,
    pub to_org: String,
    pub status: String,
    pub reason: Option<String>,
    /// The fields shared with the receiving organisation.
    pub shared: serde_json::Value,
}

async fn organisation_name(txn: &DatabaseTransaction, id: i32) -> Result<String, DbErr> {
    Ok(organisation::Entity::find_by_id(id)
        .one(txn)
        .await?
        .map(|o| o.name)
        .unwrap_or_default())
}

async fn referral_views(
    txn: &DatabaseTransaction,
    referrals: &[referral::Model],
) -> Result<Vec<ReferralView>, DbErr> {
    let mut out = Vec::with_capacity(referrals.len());
    for r in referrals {
        out.push(ReferralView {
            id: r.id,
            service: r.service.clone(),
            to_org: organisation_name(txn, r.to_org).await?,
            status: r.status.clone(),
            reason: r.reason.clone(),
            shared: serde_json::from_str(&r.shared).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Reads a case: all of it for its workers and supervisors, the shared part for an
/// organisation it was referred to, nothing for anyone else.
pub async fn read_case(
    ctx: &CareContext,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
) -> Result<CaseView, CareError> {
    let CareContext {
        store,
        fields: cipher,
        ..
    } = ctx;
    let txn = store.db().begin().await?;
    let (found, view) = match load(&txn, actor, principal, case_id, "care.case.read").await {
        Ok(loaded) => loaded,
        Err(e) => return audit::keep_refusal(txn, e).await,
    };
    let result = match view {
        View::Full => {
            let consents = consent::Entity::find()
                .filter(consent::Column::CaseId.eq(found.id))
                .filter(consent::Column::WithdrawnAt.is_null())
                .order_by_asc(consent::Column::Id)
                .all(&txn)
                .await?
                .into_iter()
                .map(|c| ConsentView {
                    id: c.id,
                    purpose: c.purpose,
                    given_by: c.given_by,
                    recorded_at: rfc3339(c.recorded_at),
                })
                .collect();
            let referrals = referral::Entity::find()
                .filter(referral::Column::CaseId.eq(found.id))
                .order_by_asc(referral::Column::Id)
                .all(&txn)
                .await?;
            CaseView {
                id: found.id,
                reference: found.reference.clone(),
                view: "full".into(),
                risk_level: Some(found.risk_level.clone()),
                stage: Some(found.stage),
                source: Some(found.source.clone()),
                identity: Some(open_identity(cipher, &found)?),
                consents,
                referrals: referral_views(&txn, &referrals).await?,
                pending_approval: found.pending_approval,
                closure_reason: found.closure_reason.clone(),
                notes: workflow::notes_of(&txn, cipher, found.id).await?,
                assessments: plan::assessments_of(&txn, cipher, found.id).await?,
                services: plan::services_of(&txn, found.id).await?,
                alerts: entities::alert::Entity::find()
                    .filter(entities::alert::Column::CaseId.eq(found.id))
                    .order_by_desc(entities::alert::Column::Id)
                    .all(&txn)
                    .await?
                    .into_iter()
                    .map(|a| workflow::AlertView {
                        id: a.id,
                        case_id: a.case_id,
                        source: a.source,
                        at: rfc3339(a.at),
                        seen: a.seen_at.is_some(),
                    })
                    .collect(),
            }
        }
        View::Shared(referrals) => CaseView {
            id: found.id,
            reference: found.reference.clone(),
            view: "shared".into(),
            risk_level: None,
            stage: None,
            source: None,
            identity: None,
            consents: Vec::new(),
            referrals: referral_views(&txn, &referrals).await?,
            pending_approval: None,
            closure_reason: None,
            notes: Vec::new(),
            assessments: Vec::new(),
            services: Vec::new(),
            alerts: Vec::new(),
        },
    };
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.case.read", "care_case", found.id.to_string())
            .detail("view", result.view.clone()),
    )
    .await?;
    Ok(result)
}

/// Records consent for one purpose, inside the caller's transaction.
pub async fn add_consent_in(
    txn: &DatabaseTransaction,
    case_id: i64,
    purpose: ConsentPurpose,
    given_by: &str,
    evidence: &str,
    recorded_by: Option<i32>,
) -> Result<consent::Model, CareError> {
    check_one_of("given_by", given_by, GIVEN_BY)?;
    Ok(consent::ActiveModel {
        case_id: Set(case_id),
        purpose: Set(purpose),
        given_by: Set(given_by.to_owned()),
        evidence: Set(evidence.chars().take(500).collect()),
        recorded_by: Set(recorded_by),
        recorded_at: Set(now()),
        withdrawn_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

/// Records consent on a case the caller works on.
pub async fn add_consent(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    purpose: ConsentPurpose,
    given_by: &str,
    evidence: &str,
) -> Result<consent::Model, CareError> {
    let txn = store.db().begin().await?;
    let found = match load_full(&txn, actor, principal, case_id, "care.consent.add").await {
        Ok(found) => found,
        Err(e) => return audit::keep_refusal(txn, e).await,
    };
    let added = add_consent_in(
        &txn,
        found.id,
        purpose,
        given_by,
        evidence,
        Some(principal.user_id),
    )
    .await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.consent.add", "care_case", found.id.to_string())
            .detail("purpose", purpose)
            .detail("given_by", given_by),
    )
    .await?;
    Ok(added)
}

pub(crate) async fn has_consent(
    txn: &DatabaseTransaction,
    case_id: i64,
    purpose: ConsentPurpose,
) -> Result<bool, DbErr> {
    Ok(consent::Entity::find()
        .filter(consent::Column::CaseId.eq(case_id))
        .filter(consent::Column::Purpose.eq(purpose))
        .filter(consent::Column::WithdrawnAt.is_null())
        .one(txn)
        .await?
        .is_some())
}

/// Whether a case may be disclosed to another organisation: the child's consent, or a
/// supervisor's override with a reason, which is audited.
async fn may_disclose(
    txn: &DatabaseTransaction,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    override_reason: Option<&str>,
) -> Result<bool, CareError> {
    if has_consent(txn, case_id, ConsentPurpose::Disclosure).await? {
        return Ok(true);
    }
    let Some(reason) = override_reason.filter(|_| principal.role == Role::Supervisor) else {
        return Ok(false);
    };
    audit::append(
        txn,
        actor,
        AuditEvent::new("care.consent.override", "care_case", case_id.to_string())
            .detail("purpose", ConsentPurpose::Disclosure)
            .detail("reason", reason.chars().take(500).collect::<String>()),
    )
    .await?;
    Ok(true)
}

/// The part of a case a referral shares: its reference and the chosen fields.
fn shared_part(
    cipher: &FieldCipher,
    found: &case::Model,
    fields: &[&str],
) -> Result<serde_json::Map<String, serde_json::Value>, CareError> {
    let identity = open_identity(cipher, found)?;
    let mut shared = serde_json::Map::new();
    shared.insert("reference".into(), found.reference.clone().into());
    for f in fields {
        let value = if *f == "risk_level" {
            found.risk_level.clone().into()
        } else {
            identity.field(f)
        };
        shared.insert((*f).to_owned(), value);
    }
    Ok(shared)
}

/// What a referral asks for: a service from another organisation, and which fields to share
/// (a minimal default when `None`).
#[derive(Clone, Copy, Debug)]
pub struct ReferralRequest<'a> {
    pub service: &'a str,
    pub to_org: &'a str,
    pub share: Option<&'a [String]>,
    /// A supervisor's reason to refer without disclosure consent (a child in danger, a court
    /// order). Logged in the audit log.
    pub override_reason: Option<&'a str>,
}

/// Refers a case to another organisation. Refused without disclosure consent.
pub async fn refer(
    ctx: &CareContext,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    request: ReferralRequest<'_>,
) -> Result<referral::Model, CareError> {
    let CareContext {
        store,
        fields: cipher,
        ..
    } = ctx;
    let ReferralRequest {
        service,
        to_org,
        share,
        override_reason,
    } = request;
    let override_reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    check_one_of("service", service, SERVICES)?;
    let fields: Vec<&str> = match share {
        Some(list) => list.iter().map(String::as_str).collect(),
        None => SHARED_BY_DEFAULT.to_vec(),
    };
    for f in &fields {
        check_one_of("share", f, SHAREABLE)?;
    }
    let txn = store.db().begin().await?;
    let found = match load_full(&txn, actor, principal, case_id, "care.referral.create").await {
        Ok(found) => found,
        Err(e) => return audit::keep_refusal(txn, e).await,
    };
    let target = organisation::Entity::find()
        .filter(organisation::Column::Name.eq(to_org.trim()))
        .one(&txn)
        .await?
        .ok_or_else(|| CareError::Invalid("to_org", format!("no organisation named {to_org:?}")))?;
    if target.id == found.organisation_id {
        return Err(CareError::Invalid(
            "to_org",
            "a referral goes to another organisation".into(),
        ));
    }
    if !may_disclose(&txn, actor, principal, found.id, override_reason).await? {
        audit::commit_with(
            txn,
            actor,
            AuditEvent::new("care.referral.refused", "care_case", found.id.to_string())
                .detail("reason", "consent_required"),
        )
        .await?;
        return Err(CareError::ConsentRequired(ConsentPurpose::Disclosure));
    }
    let shared = shared_part(cipher, &found, &fields)?;
    let created = referral::ActiveModel {
        case_id: Set(found.id),
        service: Set(service.to_owned()),
        from_org: Set(found.organisation_id),
        to_org: Set(target.id),
        shared: Set(serde_json::Value::Object(shared).to_string()),
        status: Set("pending".into()),
        reason: Set(None),
        sent_by: Set(Some(principal.user_id)),
        sent_at: Set(now()),
        answered_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "care.referral.create",
            "care_referral",
            created.id.to_string(),
        )
        .detail("case_id", found.id)
        .detail("service", service)
        .detail("to_org", target.id),
    )
    .await?;
    Ok(created)
}

/// The receiving organisation accepts or rejects a referral, with a reason.
pub async fn answer_referral(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    referral_id: i64,
    accept: bool,
    reason: Option<&str>,
) -> Result<referral::Model, CareError> {
    let txn = store.db().begin().await?;
    let found = referral::Entity::find_by_id(referral_id)
        .one(&txn)
        .await?
        .ok_or(CareError::NotFound)?;
    if found.to_org != principal.organisation_id {
        return Err(CareError::Forbidden);
    }
    if found.status != "pending" {
        return Err(CareError::Invalid(
            "status",
            format!("this referral was already {}", found.status),
        ));
    }
    if !accept && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(CareError::Invalid(
            "reason",
            "give a reason for rejecting a referral".into(),
        ));
    }
    let mut update: referral::ActiveModel = found.into();
    update.status = Set(if accept { "accepted" } else { "rejected" }.into());
    update.reason = Set(reason.map(|r| r.chars().take(500).collect()));
    update.answered_at = Set(Some(now()));
    let answered = update.update(&txn).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "care.referral.answer",
            "care_referral",
            answered.id.to_string(),
        )
        .detail("status", answered.status.clone()),
    )
    .await?;
    Ok(answered)
}

/// A supervisor of the case's organisation assigns one of its case workers to the case.
pub async fn assign(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    worker_email: &str,
) -> Result<(), CareError> {
    use crate::access::entities::user;
    let txn = store.db().begin().await?;
    let found = case::Entity::find_by_id(case_id)
        .one(&txn)
        .await?
        .ok_or(CareError::NotFound)?;
    if principal.role != Role::Supervisor || principal.organisation_id != found.organisation_id {
        audit::commit_with(
            txn,
            actor,
            AuditEvent::new("care.case.assign.denied", "care_case", case_id.to_string()),
        )
        .await?;
        return Err(CareError::Forbidden);
    }
    let worker = user::Entity::find()
        .filter(user::Column::Email.eq(worker_email.trim().to_ascii_lowercase()))
        .filter(user::Column::OrganisationId.eq(found.organisation_id))
        .filter(user::Column::Role.eq(Role::CaseWorker.as_str()))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            CareError::Invalid(
                "email",
                "no case worker of this organisation has that email".into(),
            )
        })?;
    let already = assignment::Entity::find()
        .filter(assignment::Column::CaseId.eq(found.id))
        .filter(assignment::Column::UserId.eq(worker.id))
        .one(&txn)
        .await?
        .is_some();
    if !already {
        assignment::ActiveModel {
            case_id: Set(found.id),
            user_id: Set(worker.id),
            assigned_at: Set(now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.case.assign", "care_case", found.id.to_string())
            .detail("user_id", worker.id),
    )
    .await?;
    Ok(())
}

/// A line of a case list: no identifying details, whoever reads it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CaseRow {
    pub id: i64,
    pub reference: String,
    pub stage: CareStage,
    pub risk_level: String,
    pub pending_approval: Option<CareStage>,
    pub unseen_alerts: usize,
}

/// The cases a caller works on: a case worker's assigned cases, a supervisor's organisation's
/// cases. Newest first.
pub async fn list_cases(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
) -> Result<Vec<CaseRow>, CareError> {
    let txn = store.db().begin().await?;
    let cases = if principal.role == Role::Supervisor {
        case::Entity::find()
            .filter(case::Column::OrganisationId.eq(principal.organisation_id))
            .order_by_desc(case::Column::Id)
            .all(&txn)
            .await?
    } else {
        let mine: Vec<i64> = assignment::Entity::find()
            .filter(assignment::Column::UserId.eq(principal.user_id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|a| a.case_id)
            .collect();
        case::Entity::find()
            .filter(case::Column::Id.is_in(mine))
            .order_by_desc(case::Column::Id)
            .all(&txn)
            .await?
    };
    let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    let alerts = entities::alert::Entity::find()
        .filter(entities::alert::Column::CaseId.is_in(ids))
        .filter(entities::alert::Column::SeenAt.is_null())
        .all(&txn)
        .await?;
    let mut unseen: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for a in &alerts {
        *unseen.entry(a.case_id).or_default() += 1;
    }
    let rows: Vec<CaseRow> = cases
        .into_iter()
        .map(|c| CaseRow {
            unseen_alerts: unseen.get(&c.id).copied().unwrap_or(0),
            id: c.id,
            reference: c.reference,
            stage: c.stage,
            risk_level: c.risk_level,
            pending_approval: c.pending_approval,
        })
        .collect();
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.case.list", "care_case", None).detail("cases", rows.len()),
    )
    .await?;
    Ok(rows)
}

/// Transfers a case to another organisation (its supervisor's decision; it needs disclosure
/// consent). The case leaves its workers; the new organisation's supervisors assign it.
pub async fn transfer(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    to_org: &str,
) -> Result<(), CareError> {
    let txn = store.db().begin().await?;
    let found = case::Entity::find_by_id(case_id)
        .one(&txn)
        .await?
        .ok_or(CareError::NotFound)?;
    if principal.role != Role::Supervisor || principal.organisation_id != found.organisation_id {
        audit::append(
            &txn,
            actor,
            AuditEvent::new(
                "care.case.transfer.denied",
                "care_case",
                case_id.to_string(),
            ),
        )
        .await?;
        return audit::keep_refusal(txn, CareError::Forbidden).await;
    }
    let target = organisation::Entity::find()
        .filter(organisation::Column::Name.eq(to_org.trim()))
        .one(&txn)
        .await?
        .filter(|o| o.id != found.organisation_id)
        .ok_or_else(|| {
            CareError::Invalid("to_org", format!("no other organisation named {to_org:?}"))
        })?;
    if !has_consent(&txn, found.id, ConsentPurpose::Disclosure).await? {
        return Err(CareError::ConsentRequired(ConsentPurpose::Disclosure));
    }
    assignment::Entity::delete_many()
        .filter(assignment::Column::CaseId.eq(found.id))
        .exec(&txn)
        .await?;
    let from = found.organisation_id;
    let mut update: case::ActiveModel = found.into();
    update.organisation_id = Set(target.id);
    update.update(&txn).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.case.transfer", "care_case", case_id.to_string())
            .detail("from_org", from)
            .detail("to_org", target.id),
    )
    .await
    .map_err(CareError::from)
}

/// Withdraws a consent: actions that need it are refused from now on.
pub async fn withdraw_consent(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    consent_id: i64,
) -> Result<(), CareError> {
    let txn = store.db().begin().await?;
    let found = match load_full(&txn, actor, principal, case_id, "care.consent.withdraw").await {
        Ok(found) => found,
        Err(e) => return audit::keep_refusal(txn, e).await,
    };
    let given = consent::Entity::find_by_id(consent_id)
        .one(&txn)
        .await?
        .filter(|c| c.case_id == found.id && c.withdrawn_at.is_none())
        .ok_or(CareError::NotFound)?;
    let purpose = given.purpose;
    let mut update: consent::ActiveModel = given.into();
    update.withdrawn_at = Set(Some(now()));
    update.update(&txn).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.consent.withdraw", "care_case", found.id.to_string())
            .detail("purpose", purpose),
    )
    .await?;
    Ok(())
}
