//! A child's case: registration, what each reader may see of it, the case list, assignment
//! and transfer.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use serde::Serialize;

use super::entities::{assignment, case, consent, referral};
use super::sealed::Sealed;
use super::*;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::access::entities::organisation;
use crate::access::{Principal, Role};
use crate::helpers::{now, rfc3339};
use crate::store::Store;
use crate::store::fields::FieldCipher;

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
    let txn = store.write().await?;
    let created = create_case_in(&txn, cipher, principal, identity, risk_level, "direct").await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.case.create", "care_case", created.id.to_string()),
    )
    .await?;
    Ok(created)
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
    pub alerts: Vec<alerts::AlertView>,
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
    cipher: &FieldCipher,
    referrals: &[referral::Model],
) -> Result<Vec<ReferralView>, CareError> {
    let mut out = Vec::with_capacity(referrals.len());
    for r in referrals {
        out.push(ReferralView {
            id: r.id,
            service: r.service.clone(),
            to_org: organisation_name(txn, r.to_org).await?,
            status: r.status.clone(),
            reason: super::referrals::open_reason(cipher, r.case_id, r.reason.as_deref())?,
            shared: serde_json::from_str(
                &Sealed::ReferralSnapshot.open(cipher, r.case_id, &r.shared)?,
            )
            .map_err(|e| CareError::Internal(e.to_string()))?,
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
    let txn = store.write().await?;
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
                referrals: referral_views(&txn, cipher, &referrals).await?,
                pending_approval: found.pending_approval,
                closure_reason: found.closure_reason.clone(),
                notes: workflow::notes_of(&txn, cipher, found.id).await?,
                assessments: plan::assessments_of(&txn, cipher, found.id).await?,
                services: plan::services_of(&txn, cipher, found.id).await?,
                alerts: entities::alert::Entity::find()
                    .filter(entities::alert::Column::CaseId.eq(found.id))
                    .order_by_desc(entities::alert::Column::Id)
                    .all(&txn)
                    .await?
                    .into_iter()
                    .map(|a| alerts::AlertView {
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
            referrals: referral_views(&txn, cipher, &referrals).await?,
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

/// A supervisor of the case's organisation assigns one of its case workers to the case.
pub async fn assign(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    worker_email: &str,
) -> Result<(), CareError> {
    use crate::access::entities::user;
    let (txn, found) =
        open_supervised(store, actor, principal, case_id, "care.case.assign.denied").await?;
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
    let txn = store.write().await?;
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
    let (txn, found) = open_supervised(
        store,
        actor,
        principal,
        case_id,
        "care.case.transfer.denied",
    )
    .await?;
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
