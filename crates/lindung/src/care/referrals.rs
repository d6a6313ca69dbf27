//! Referrals: a chosen part of a case shared with another organisation, with the child's
//! consent or a supervisor's audited override, and the other organisation's answer.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};

use super::entities::{case, referral};
use super::sealed::Sealed;
use super::*;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::access::entities::organisation;
use crate::access::{Principal, Role};
use crate::helpers::now;
use crate::store::Store;
use crate::store::fields::FieldCipher;

/// Whether a case may be disclosed to another organisation: the child's consent, or a
/// supervisor's override with a reason, which is audited.
async fn may_disclose(
    txn: &DatabaseTransaction,
    cipher: &FieldCipher,
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
            .detail(
                "reason_sealed",
                Sealed::OverrideReason.seal(
                    cipher,
                    case_id,
                    &reason.chars().take(500).collect::<String>(),
                )?,
            ),
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
    let txn = store.write().await?;
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
    if !may_disclose(&txn, cipher, actor, principal, found.id, override_reason).await? {
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
        shared: Set(Sealed::ReferralSnapshot.seal(
            cipher,
            found.id,
            &serde_json::Value::Object(shared).to_string(),
        )?),
        status: Set("pending".into()),
        reason: Set(None),
        sent_by: Set(Some(principal.user_id)),
        sent_at: Set(now()),
        answered_at: Set(None),
        ended_at: Set(None),
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
    cipher: &FieldCipher,
    actor: &Actor,
    principal: &Principal,
    referral_id: i64,
    accept: bool,
    reason: Option<&str>,
) -> Result<referral::Model, CareError> {
    let txn = store.write().await?;
    let found = referral::Entity::find_by_id(referral_id)
        .one(&txn)
        .await?
        .ok_or(CareError::NotFound)?;
    if found.to_org != principal.organisation_id || found.ended_at.is_some() {
        // An ended referral (its disclosure consent withdrawn) no longer exists for the
        // receiver.
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
    let case_id = found.case_id;
    let reason = reason
        .map(|r| {
            let kept: String = r.chars().take(500).collect();
            Sealed::ReferralReason.seal(cipher, case_id, &kept)
        })
        .transpose()?;
    let mut update: referral::ActiveModel = found.into();
    update.status = Set(if accept { "accepted" } else { "rejected" }.into());
    update.reason = Set(reason);
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

/// A referral's answer reason as written (stored sealed).
pub(super) fn open_reason(
    cipher: &FieldCipher,
    case_id: i64,
    stored: Option<&str>,
) -> Result<Option<String>, CareError> {
    stored
        .map(|r| Sealed::ReferralReason.open(cipher, case_id, r))
        .transpose()
}

/// A referral as the receiving organisation's inbox lists it: the case's reference, the service
/// asked for and who asked, never the child's details (the case page shows what was shared).
#[derive(Clone, Debug, serde::Serialize)]
pub struct IncomingReferral {
    pub id: i64,
    pub case_id: i64,
    pub reference: String,
    pub service: String,
    pub from_org: String,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    pub sent_at: String,
}

/// How many entries the inbox lists show, newest first: a page of work, never the whole table.
const LIST_LENGTH: u64 = 200;

/// The referrals to the caller's organisation that still stand (a withdrawn disclosure consent
/// ends them), newest first. Reading the inbox is audited like reading the case list.
pub async fn incoming_referrals(
    store: &Store,
    cipher: &FieldCipher,
    actor: &Actor,
    principal: &Principal,
) -> Result<Vec<IncomingReferral>, CareError> {
    use sea_orm::QueryOrder;
    let txn = store.write().await?;
    let rows = referral::Entity::find()
        .filter(referral::Column::ToOrg.eq(principal.organisation_id))
        .filter(referral::Column::EndedAt.is_null())
        .order_by_desc(referral::Column::Id)
        .limit(LIST_LENGTH)
        .all(&txn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let reference = case::Entity::find_by_id(r.case_id)
            .one(&txn)
            .await?
            .map(|c| c.reference)
            .unwrap_or_default();
        let from_org = organisation::Entity::find_by_id(r.from_org)
            .one(&txn)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        out.push(IncomingReferral {
            id: r.id,
            case_id: r.case_id,
            reference,
            service: r.service,
            from_org,
            status: r.status,
            reason: open_reason(cipher, r.case_id, r.reason.as_deref())?,
            sent_at: crate::helpers::rfc3339(r.sent_at),
        });
    }
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.referral.list", "care_referral", None).detail("referrals", out.len()),
    )
    .await?;
    Ok(out)
}

/// The open cases of a supervisor's organisation that no case worker is assigned to yet: what
/// the hotline's care referral opens (it creates the case in the organisation, unassigned), and
/// what a transfer leaves. Empty for anyone but a supervisor, who alone may assign.
pub async fn unassigned_cases(
    store: &Store,
    principal: &Principal,
) -> Result<Vec<CaseRow>, CareError> {
    use super::entities::assignment;
    use sea_orm::QueryOrder;
    if principal.role != Role::Supervisor {
        return Ok(Vec::new());
    }
    let txn = store.write().await?;
    let cases = case::Entity::find()
        .filter(case::Column::OrganisationId.eq(principal.organisation_id))
        .filter(case::Column::ClosedAt.is_null())
        .order_by_desc(case::Column::Id)
        .limit(LIST_LENGTH)
        .all(&txn)
        .await?;
    let assigned: std::collections::HashSet<i64> = assignment::Entity::find()
        .filter(assignment::Column::CaseId.is_in(cases.iter().map(|c| c.id)))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| a.case_id)
        .collect();
    txn.commit().await?;
    Ok(cases
        .into_iter()
        .filter(|c| !assigned.contains(&c.id))
        .map(|c| CaseRow {
            id: c.id,
            reference: c.reference,
            stage: c.stage,
            risk_level: c.risk_level,
            pending_approval: c.pending_approval,
            unseen_alerts: 0,
        })
        .collect())
}
