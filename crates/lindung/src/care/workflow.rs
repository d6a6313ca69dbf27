//! The case's path (registration to closure, with a supervisor's approval for the case plan and
//! for closure), signed case notes, and the pictures linked to a case (the alerts when one
//! reappears are in `alerts`).

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use serde::Serialize;

use super::entities::{case, linked_signal, note};
use super::vocabulary::{CareStage, ConsentPurpose, Move};
use super::{CareContext, CareError, load_full};
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::helpers::now;
use crate::store::Store;
use crate::store::fields::FieldCipher;

/// Why a case closes: codes, not free text, so that they can be counted in statistics without
/// describing anyone.
pub const CLOSURE_REASONS: &[&str] = &[
    "goals_met",
    "transferred",
    "moved_away",
    "declined_services",
    "aged_out",
    "other",
];

/// How long an author may still edit a note.
pub const NOTE_EDIT_HOURS: i64 = 24;

/// Where a case stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StageView {
    pub stage: CareStage,
    /// `case_plan` or `closure` while a supervisor's approval is awaited.
    pub pending_approval: Option<CareStage>,
}

fn stage_view(found: &case::Model) -> StageView {
    StageView {
        stage: found.stage,
        pending_approval: found.pending_approval,
    }
}

/// Moves a case to its next stage. Agreeing the case plan (entering service delivery) and
/// closing wait for a supervisor: the request is recorded and the stage moves on approval.
pub async fn move_stage(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    to: CareStage,
    reason: Option<&str>,
) -> Result<StageView, CareError> {
    let txn = store.write().await?;
    let found = match load_full(&txn, actor, principal, case_id, "care.stage.move").await {
        Ok(found) => found,
        Err(e) => return audit::keep_refusal(txn, e).await,
    };
    if found.pending_approval.is_some() {
        return Err(CareError::Invalid(
            "to",
            "this case is waiting for a supervisor's approval".into(),
        ));
    }
    let cannot = || {
        CareError::Invalid(
            "to",
            format!("a case at {} cannot move to {to:?}", found.stage),
        )
    };
    let step = found.stage.move_to(to).ok_or_else(cannot)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if step == Move::AfterApproval(CareStage::Closure)
        && !reason.is_some_and(|r| CLOSURE_REASONS.contains(&r))
    {
        return Err(CareError::Invalid(
            "reason",
            format!(
                "give the reason for closing the case: one of {}",
                CLOSURE_REASONS.join(", ")
            ),
        ));
    }
    let mut update: case::ActiveModel = found.clone().into();
    match step {
        Move::AfterApproval(awaited) => {
            update.pending_approval = Set(Some(awaited));
            if awaited == CareStage::Closure {
                update.closure_reason = Set(reason.map(str::to_owned));
            }
        }
        Move::Now => {
            update.stage = Set(to);
            if to == CareStage::Reopened {
                update.closed_at = Set(None);
                update.closure_reason = Set(None);
            }
        }
    }
    let moved = update.update(&txn).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.stage.move", "care_case", case_id.to_string())
            .detail("from", found.stage)
            .detail("to", to)
            .detail("pending_approval", moved.pending_approval),
    )
    .await?;
    Ok(stage_view(&moved))
}

/// A supervisor of the case's organisation approves or returns what awaits approval.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    approve: bool,
) -> Result<StageView, CareError> {
    let (txn, found) =
        super::open_supervised(store, actor, principal, case_id, "care.approval.denied").await?;
    let Some(pending) = found.pending_approval else {
        return Err(CareError::Invalid(
            "decision",
            "nothing on this case awaits approval".into(),
        ));
    };
    let mut update: case::ActiveModel = found.into();
    update.pending_approval = Set(None);
    match (pending.approved(), approve) {
        (Some(next), true) => {
            update.stage = Set(next);
            if next == CareStage::Closure {
                update.closed_at = Set(Some(now()));
            }
        }
        (_, false) if pending == CareStage::Closure => update.closure_reason = Set(None),
        _ => {}
    }
    let decided = update.update(&txn).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.approval", "care_case", case_id.to_string())
            .detail("what", pending)
            .detail("approved", approve),
    )
    .await?;
    Ok(stage_view(&decided))
}

fn note_context(case_id: i64) -> String {
    format!("care_notes.body:{case_id}")
}

/// A note as the case's workers see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NoteView {
    pub id: i64,
    pub author_id: i32,
    pub body: String,
    pub corrects: Option<i64>,
    pub created_at: String,
    pub edited_at: Option<String>,
}

pub(super) async fn notes_of(
    txn: &DatabaseTransaction,
    cipher: &FieldCipher,
    case_id: i64,
) -> Result<Vec<NoteView>, CareError> {
    let rows = note::Entity::find()
        .filter(note::Column::CaseId.eq(case_id))
        .order_by_asc(note::Column::Id)
        .all(txn)
        .await?;
    rows.into_iter()
        .map(|n| {
            Ok(NoteView {
                id: n.id,
                author_id: n.author_id,
                body: cipher
                    .open(&note_context(case_id), &n.body)
                    .map_err(|e| CareError::Internal(e.to_string()))?,
                corrects: n.corrects,
                created_at: crate::helpers::rfc3339(n.created_at),
                edited_at: n.edited_at.map(crate::helpers::rfc3339),
            })
        })
        .collect()
}

fn check_note(body: &str) -> Result<&str, CareError> {
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 10_000 {
        return Err(CareError::Invalid(
            "body",
            "a note is 1 to 10000 characters".into(),
        ));
    }
    Ok(body)
}

/// Adds a note signed by the caller; `corrects` names an earlier note of the case it corrects.
pub async fn add_note(
    ctx: &CareContext,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    body: &str,
    corrects: Option<i64>,
) -> Result<note::Model, CareError> {
    let CareContext {
        store,
        fields: cipher,
        ..
    } = ctx;
    let body = check_note(body)?;
    let txn = store.write().await?;
    let found = match load_full(&txn, actor, principal, case_id, "care.note.add").await {
        Ok(found) => found,
        Err(e) => return audit::keep_refusal(txn, e).await,
    };
    if let Some(earlier) = corrects {
        let same_case = note::Entity::find_by_id(earlier)
            .one(&txn)
            .await?
            .is_some_and(|n| n.case_id == found.id);
        if !same_case {
            return Err(CareError::Invalid(
                "corrects",
                "the corrected note is not on this case".into(),
            ));
        }
    }
    let added = note::ActiveModel {
        case_id: Set(found.id),
        author_id: Set(principal.user_id),
        body: Set(cipher
            .seal(&note_context(found.id), body)
            .map_err(|e| CareError::Internal(e.to_string()))?),
        corrects: Set(corrects),
        created_at: Set(now()),
        edited_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.note.add", "care_note", added.id.to_string())
            .detail("case_id", found.id),
    )
    .await?;
    Ok(added)
}

/// Edits a note: only its author, and only within [`NOTE_EDIT_HOURS`] of writing it.
pub async fn edit_note(
    ctx: &CareContext,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    note_id: i64,
    body: &str,
) -> Result<(), CareError> {
    let CareContext {
        store,
        fields: cipher,
        ..
    } = ctx;
    let body = check_note(body)?;
    let txn = store.write().await?;
    if let Err(e) = load_full(&txn, actor, principal, case_id, "care.note.edit").await {
        return audit::keep_refusal(txn, e).await;
    }
    let found = note::Entity::find_by_id(note_id)
        .one(&txn)
        .await?
        .filter(|n| n.case_id == case_id)
        .ok_or(CareError::NotFound)?;
    if found.author_id != principal.user_id {
        return Err(CareError::Forbidden);
    }
    if now() - found.created_at > time::Duration::hours(NOTE_EDIT_HOURS) {
        return Err(CareError::NoteLocked);
    }
    let mut update: note::ActiveModel = found.into();
    update.body = Set(cipher
        .seal(&note_context(case_id), body)
        .map_err(|e| CareError::Internal(e.to_string()))?);
    update.edited_at = Set(Some(now()));
    update.update(&txn).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.note.edit", "care_note", note_id.to_string())
            .detail("case_id", case_id),
    )
    .await?;
    Ok(())
}

/// Links bank signals carrying the child's pictures to a case, inside the caller's
/// transaction. The caller checks hash-sharing consent.
pub async fn link_signals_in(
    txn: &DatabaseTransaction,
    case_id: i64,
    signal_ids: &[i64],
) -> Result<(), DbErr> {
    for &signal_id in signal_ids {
        linked_signal::ActiveModel {
            case_id: Set(case_id),
            signal_id: Set(signal_id),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// The bank that holds hashes of children's pictures added from their cases.
pub const CARE_BANK: &str = "CARE_HASHES";

/// The signals of a picture's hashes as a worker gives them (a PDQ hash with its quality, an
/// MD5, or both), each refused with the field at fault.
pub fn picture_signals(
    pdq: Option<&str>,
    quality: Option<i32>,
    md5: Option<&str>,
) -> Result<Vec<crate::banks::store::NewSignal>, CareError> {
    use crate::banks::store::{NewSignal, SignalType};
    let mut signals = Vec::new();
    if let Some(pdq) = pdq.map(str::trim).filter(|p| !p.is_empty()) {
        signals.push(
            NewSignal::new(SignalType::Pdq, pdq, quality)
                .map_err(|e| CareError::Invalid("pdq", e.to_string()))?,
        );
    }
    if let Some(md5) = md5.map(str::trim).filter(|m| !m.is_empty()) {
        signals.push(
            NewSignal::new(SignalType::Md5, md5, None)
                .map_err(|e| CareError::Invalid("md5", e.to_string()))?,
        );
    }
    Ok(signals)
}

/// Adds hashes of the child's pictures to the care bank and links them to the case, so that a
/// platform's match alerts the case's workers. Needs the `hash_sharing` consent.
pub async fn add_case_hashes(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    case_id: i64,
    signals: &[crate::banks::store::NewSignal],
) -> Result<usize, CareError> {
    use crate::banks::store as banks;
    if signals.is_empty() {
        return Err(CareError::Invalid(
            "hashes",
            "give a pdq or md5 hash".into(),
        ));
    }
    let owner = banks::system_bank(store, CARE_BANK)
        .await
        .map_err(|e| CareError::Internal(e.to_string()))?;
    let txn = store.write().await?;
    let found = match load_full(&txn, actor, principal, case_id, "care.hashes.add").await {
        Ok(found) => found,
        Err(e) => return audit::keep_refusal(txn, e).await,
    };
    if !super::has_consent(&txn, found.id, ConsentPurpose::HashSharing).await? {
        return Err(CareError::ConsentRequired(ConsentPurpose::HashSharing));
    }
    let meta = banks::ContentMeta {
        category: "care".into(),
        source: "care".into(),
        ..banks::ContentMeta::default()
    };
    let added = banks::add_content_in(&txn, &owner, CARE_BANK, &meta, signals)
        .await
        .map_err(|e| CareError::Internal(e.to_string()))?;
    let mut ids = Vec::with_capacity(signals.len());
    for s in signals {
        if let Some(row) = banks::find_signal(&txn, added.bank_id, s.kind, &s.value).await? {
            ids.push(row.id);
        }
    }
    link_signals_in(&txn, found.id, &ids).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.hashes.add", "care_case", found.id.to_string())
            .detail("signals", ids.len()),
    )
    .await?;
    Ok(ids.len())
}
