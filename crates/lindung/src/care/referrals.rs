//! Referrals: a chosen part of a case shared with another organisation, with the child's
//! consent or a supervisor's audited override, and the other organisation's answer.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    TransactionTrait,
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
