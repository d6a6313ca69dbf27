//! What a reporter may learn with their reference and PIN.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;

use super::entities::{report, submission};
use super::*;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::access::pins;
use crate::helpers::now;
use crate::store::Store;

/// What a reporter may learn: the status of the report their submission joined, only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PublicStatus {
    /// `received`, `in_review`, `action_taken` (a notice was sent), `removed` or `closed`.
    pub status: &'static str,
}

/// The status for a reference and PIN; wrong PINs count towards a lock.
pub async fn public_status_of(
    store: &Store,
    actor: &Actor,
    reference: &str,
    pin: &str,
) -> Result<PublicStatus, HotlineError> {
    let txn = store.write().await?;
    let found = submission::Entity::find()
        .filter(submission::Column::Reference.eq(pins::normalise_reference(reference)))
        .filter(submission::Column::Source.eq(ReportSource::Public))
        .lock_exclusive()
        .one(&txn)
        .await?;
    let Some(found) = found else {
        pins::check_nothing(pin).await;
        return Err(HotlineError::WrongPin);
    };
    let state = pins::PinState {
        pin_hash: &found.pin_hash,
        failed_pins: found.failed_pins,
        locked_until: found.locked_until,
    };
    let outcome = pins::check(state, pin, now()).await;
    let (failed_pins, locked_until) = match outcome {
        pins::PinCheck::Right { .. } => (0, None),
        pins::PinCheck::Wrong {
            failed_pins,
            locked_until,
        } => (failed_pins, locked_until),
        pins::PinCheck::Locked => return audit::keep_refusal(txn, HotlineError::WrongPin).await,
    };
    if found.failed_pins != failed_pins || found.locked_until != locked_until {
        let mut counted: submission::ActiveModel = found.clone().into();
        counted.failed_pins = Set(failed_pins);
        counted.locked_until = Set(locked_until);
        counted.update(&txn).await?;
    }
    if !matches!(outcome, pins::PinCheck::Right { .. }) {
        return audit::keep_refusal(txn, HotlineError::WrongPin).await;
    }
    let report = report::Entity::find_by_id(found.report_id)
        .one(&txn)
        .await?
        .ok_or(HotlineError::NotFound)?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "hotline.report.status",
            "hotline_submission",
            found.id.to_string(),
        ),
    )
    .await?;
    Ok(PublicStatus {
        status: report.status.public(),
    })
}
