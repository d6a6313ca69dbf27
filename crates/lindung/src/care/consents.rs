//! Consent per purpose: recorded, checked before what it allows, and withdrawn.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter,
};

use super::entities::{consent, linked_signal, referral};
use super::sealed::Sealed;
use super::*;
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::helpers::now;
use crate::store::Store;
use crate::store::fields::FieldCipher;

/// Records consent for one purpose, inside the caller's transaction.
pub async fn add_consent_in(
    txn: &DatabaseTransaction,
    cipher: &FieldCipher,
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
        evidence: Set(Sealed::ConsentEvidence.seal(
            cipher,
            case_id,
            &evidence.chars().take(500).collect::<String>(),
        )?),
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
    ctx: &CareContext,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    purpose: ConsentPurpose,
    given_by: &str,
    evidence: &str,
) -> Result<consent::Model, CareError> {
    let txn = ctx.store.write().await?;
    let found = match load_full(&txn, actor, principal, case_id, "care.consent.add").await {
        Ok(found) => found,
        Err(e) => return audit::keep_refusal(txn, e).await,
    };
    let added = add_consent_in(
        &txn,
        &ctx.fields,
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

/// Withdraws a consent: actions that need it are refused from now on.
pub async fn withdraw_consent(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    consent_id: i64,
) -> Result<(), CareError> {
    let txn = store.write().await?;
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
    // What the consent allowed ends with it.
    let ended = match purpose {
        ConsentPurpose::HashSharing => unlink_hashes(&txn, found.id).await?,
        ConsentPurpose::Disclosure => end_referral_views(&txn, found.id).await?,
        _ => 0,
    };
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.consent.withdraw", "care_case", found.id.to_string())
            .detail("purpose", purpose)
            .detail("ended", ended),
    )
    .await?;
    Ok(())
}

/// Withdrawn `hash_sharing`: the case's pictures are no longer linked to it (no alert will name
/// the case again), and a hash the case put in the care bank leaves it, with the removal
/// published, unless another case still links it. Returns how many links ended.
async fn unlink_hashes(txn: &DatabaseTransaction, case_id: i64) -> Result<u64, DbErr> {
    let links = linked_signal::Entity::find()
        .filter(linked_signal::Column::CaseId.eq(case_id))
        .all(txn)
        .await?;
    linked_signal::Entity::delete_many()
        .filter(linked_signal::Column::CaseId.eq(case_id))
        .exec(txn)
        .await?;
    let care_bank = crate::banks::entities::bank::Entity::find()
        .filter(crate::banks::entities::bank::Column::Name.eq(super::workflow::CARE_BANK))
        .one(txn)
        .await?
        .map(|b| b.id);
    for link in &links {
        let still_linked = linked_signal::Entity::find()
            .filter(linked_signal::Column::SignalId.eq(link.signal_id))
            .one(txn)
            .await?
            .is_some();
        let in_care_bank = crate::banks::entities::signal::Entity::find_by_id(link.signal_id)
            .one(txn)
            .await?
            .is_some_and(|s| Some(s.bank_id) == care_bank);
        if in_care_bank && !still_linked {
            crate::banks::store::remove_signal_in(txn, link.signal_id).await?;
        }
    }
    Ok(links.len() as u64)
}

/// Withdrawn `disclosure`: the referrals it allowed no longer show the case to the
/// organisations they went to. Returns how many ended.
async fn end_referral_views(txn: &DatabaseTransaction, case_id: i64) -> Result<u64, DbErr> {
    let ended = referral::Entity::update_many()
        .col_expr(
            referral::Column::EndedAt,
            sea_orm::sea_query::Expr::value(Some(now())),
        )
        .filter(referral::Column::CaseId.eq(case_id))
        .filter(referral::Column::EndedAt.is_null())
        .exec(txn)
        .await?;
    Ok(ended.rows_affected)
}
