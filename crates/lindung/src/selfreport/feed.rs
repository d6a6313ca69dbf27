//! What platforms and staff read: the incremental feed of self-reported hashes, platforms'
//! feedback on them, and the open calls for help.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entities::{case, feedback, hash};
use super::*;
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::banks::entities::change;
use crate::helpers::now;
use crate::store::Store;

/// One entry of the platforms' sync feed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FeedEntry {
    /// The checkpoint just after this entry.
    pub checkpoint: i64,
    /// `add` or `remove`.
    pub action: String,
    pub signal_type: String,
    pub hash: String,
    pub quality: Option<i32>,
}

/// Additions to and removals from the self-report bank after `since` (a checkpoint from an
/// earlier page, or 0), oldest first. Cases whose hashes are handed out become `active`.
pub async fn feed(
    store: &Store,
    since: i64,
    limit: u64,
) -> Result<Vec<FeedEntry>, SelfReportError> {
    let Some(bank) = banks::find_bank(store, BANK).await.ok() else {
        return Ok(Vec::new());
    };
    let changes = change::Entity::find()
        .filter(change::Column::BankId.eq(bank.id))
        .filter(change::Column::Seq.gt(since))
        .filter(change::Column::Kind.is_in(["signal_added", "signal_removed"]))
        .order_by_asc(change::Column::Seq)
        .limit(limit)
        .all(store.db())
        .await?;
    let ids: Vec<i64> = changes.iter().filter_map(|c| c.signal_id).collect();
    let hashes = hash::Entity::find()
        .filter(hash::Column::SignalId.is_in(ids.iter().copied()))
        .all(store.db())
        .await?;
    let by_signal: std::collections::HashMap<i64, &hash::Model> =
        hashes.iter().map(|h| (h.signal_id, h)).collect();
    let mut entries = Vec::with_capacity(changes.len());
    for c in &changes {
        let Some(h) = c.signal_id.and_then(|id| by_signal.get(&id)) else {
            continue;
        };
        entries.push(FeedEntry {
            checkpoint: c.seq,
            action: if c.kind == "signal_added" {
                "add"
            } else {
                "remove"
            }
            .into(),
            signal_type: h.signal_type.clone(),
            hash: h.value.clone(),
            quality: h.quality,
        });
    }
    let delivered: Vec<i64> = hashes.iter().map(|h| h.case_id).collect();
    if !delivered.is_empty() {
        case::Entity::update_many()
            .col_expr(
                case::Column::Status,
                sea_orm::sea_query::Expr::value("active"),
            )
            .filter(case::Column::Id.is_in(delivered))
            .filter(case::Column::Status.eq("received"))
            .exec(store.db())
            .await?;
    }
    Ok(entries)
}

/// Records a platform's feedback on a self-reported hash.
pub async fn record_feedback(
    store: &Store,
    actor: &Actor,
    organisation_id: i32,
    signal_type: &str,
    value: &str,
    kind: &str,
) -> Result<(), SelfReportError> {
    if !FEEDBACK_KINDS.contains(&kind) {
        return Err(SelfReportError::Invalid(
            "kind",
            format!("kind is one of {}", FEEDBACK_KINDS.join(", ")),
        ));
    }
    let signal_type = SignalType::parse(signal_type)
        .map_err(|e| SelfReportError::Invalid("signal_type", e.to_string()))?;
    let normalised = NewSignal::new(signal_type, value, None)
        .map_err(|e| SelfReportError::Invalid("hash", e.to_string()))?;
    let txn = store.write().await?;
    let found = hash::Entity::find()
        .filter(hash::Column::SignalType.eq(signal_type.as_str()))
        .filter(hash::Column::Value.eq(&normalised.value))
        .one(&txn)
        .await?
        .ok_or(SelfReportError::Invalid(
            "hash",
            "this hash is not in the self-report list".into(),
        ))?;
    let row = feedback::ActiveModel {
        signal_id: Set(found.signal_id),
        organisation_id: Set(organisation_id),
        kind: Set(kind.to_owned()),
        at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(
            "selfreport.feedback",
            "selfreport_feedback",
            row.id.to_string(),
        )
        .detail("kind", kind),
    )
    .await?;
    Ok(())
}

/// A person who asked a case worker to contact them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct HelpRequest {
    pub case_number: String,
    /// RFC 3339.
    pub created_at: String,
    pub age_range: Option<String>,
    pub language: String,
    /// Only for the care case's assigned workers and its organisation's supervisors.
    pub contact: Option<String>,
    pub status: String,
    /// The id of the care case opened for the request (`GET /api/v1/cases/{id}`).
    pub care_case: Option<String>,
}

/// Open help requests (not withdrawn), oldest first, for the staff of the organisation that
/// runs the deployment (others get an empty list). A request's contact is decrypted only for
/// those who see its care case in full (the case's assigned workers and its organisation's
/// supervisors); everyone else gets the request without it.
pub async fn help_requests(
    ctx: &SelfReportContext,
    actor: &Actor,
    principal: &Principal,
) -> Result<Vec<HelpRequest>, SelfReportError> {
    let SelfReportContext {
        store,
        fields: cipher,
        ..
    } = ctx;
    // A read creates nothing: without the bank there are no self-reports yet.
    if banks::find_bank(store, BANK).await.is_err() {
        return Ok(Vec::new());
    }
    let runs_it = crate::access::find_organisation(store.db(), crate::access::DEFAULT_ORGANISATION)
        .await?
        == Some(principal.organisation_id);
    if !runs_it {
        // Other organisations' staff have no self-reports to see.
        return Ok(Vec::new());
    }
    let txn = store.write().await?;
    let cases = case::Entity::find()
        .filter(case::Column::HelpRequested.eq(true))
        .filter(case::Column::ConsentToContact.eq(true))
        .filter(case::Column::Status.ne("withdrawn"))
        .order_by_asc(case::Column::Id)
        .all(&txn)
        .await?;
    let mut out = Vec::with_capacity(cases.len());
    let mut contacts_shown = 0;
    for c in &cases {
        // A child's contact is care data: only those who see its care case in full read it.
        let may_read = match c.care_case_id {
            Some(care_case) => crate::care::sees_in_full(&txn, principal, care_case).await?,
            None => false,
        };
        let contact = match &c.contact {
            Some(sealed) if may_read => Some(
                cipher
                    .open(&contact_context(&c.case_number), sealed)
                    .map_err(|e| SelfReportError::Internal(e.to_string()))?,
            ),
            _ => None,
        };
        contacts_shown += usize::from(contact.is_some());
        out.push(HelpRequest {
            case_number: c.case_number.clone(),
            created_at: crate::helpers::rfc3339(c.created_at),
            age_range: c.age_range.clone(),
            language: c.language.clone(),
            contact,
            status: c.status.clone(),
            care_case: c.care_case_id.map(|id| id.to_string()),
        });
    }
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("selfreport.help_requests.read", "selfreport_case", None)
            .detail("cases", out.len())
            .detail("contacts", contacts_shown),
    )
    .await?;
    Ok(out)
}
