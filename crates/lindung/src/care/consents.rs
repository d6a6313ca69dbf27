//! Consent per purpose: recorded, checked before what it allows, and withdrawn.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, TransactionTrait,
};

use super::entities::consent;
use super::*;
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::helpers::now;
use crate::store::Store;

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
