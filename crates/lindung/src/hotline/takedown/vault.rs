//! The evidence vault: files kept encrypted where policy allows, shown to analysts, and
//! purged when their retention ends.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter,
};

use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::helpers::now;
use crate::hotline::config::HotlineConfig;
use crate::hotline::entities::{evidence, file};
use crate::hotline::{HotlineContext, HotlineError, internal};
use crate::store::Store;
use crate::store::fields::FieldCipher;

fn evidence_context(file_id: i64) -> String {
    format!("hotline_evidence.content:{file_id}")
}

/// Keeps an uploaded file, encrypted, until the retention period ends.
pub async fn store_evidence(
    txn: &DatabaseTransaction,
    cipher: &FieldCipher,
    config: &HotlineConfig,
    file_id: i64,
    content: &[u8],
) -> Result<(), HotlineError> {
    let at = now();
    evidence::ActiveModel {
        file_id: Set(file_id),
        content: Set(cipher
            .seal_bytes(&evidence_context(file_id), content)
            .map_err(internal)?),
        created_at: Set(at),
        delete_after: Set(at + time::Duration::days(i64::from(config.evidence.retention_days))),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// An evidence file, decrypted for an analyst of the report; every reveal is audited.
pub async fn reveal_evidence(
    ctx: &HotlineContext,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    file_id: i64,
) -> Result<Vec<u8>, HotlineError> {
    let HotlineContext {
        store,
        fields: cipher,
        ..
    } = ctx;
    let (txn, _) = crate::hotline::open_report(store, actor, principal, id).await?;
    let found = file::Entity::find_by_id(file_id)
        .one(&txn)
        .await?
        .filter(|f| f.report_id == id)
        .ok_or(HotlineError::NotFound)?;
    let stored = evidence::Entity::find()
        .filter(evidence::Column::FileId.eq(found.id))
        .one(&txn)
        .await?
        .ok_or(HotlineError::NotFound)?;
    let bytes = cipher
        .open_bytes(&evidence_context(found.id), &stored.content)
        .map_err(internal)?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "hotline.evidence.reveal",
            "hotline_file",
            file_id.to_string(),
        )
        .detail("report_id", id),
    )
    .await?;
    Ok(bytes)
}

/// Deletes evidence past its retention period.
pub async fn purge_expired_evidence(store: &Store) -> Result<u64, DbErr> {
    let txn = store.write().await?;
    let expired = evidence::Entity::find()
        .filter(evidence::Column::DeleteAfter.lt(now()))
        .all(&txn)
        .await?;
    let file_ids: Vec<i64> = expired.iter().map(|e| e.file_id).collect();
    let deleted = evidence::Entity::delete_many()
        .filter(evidence::Column::Id.is_in(expired.iter().map(|e| e.id)))
        .exec(&txn)
        .await?
        .rows_affected;
    file::Entity::update_many()
        .col_expr(file::Column::HasEvidence, false.into())
        .filter(file::Column::Id.is_in(file_ids))
        .exec(&txn)
        .await?;
    if deleted > 0 {
        audit::append(
            &txn,
            &Actor::system("retention"),
            AuditEvent::new("hotline.evidence.purge", "hotline_evidence", None)
                .detail("deleted", deleted),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(deleted)
}
