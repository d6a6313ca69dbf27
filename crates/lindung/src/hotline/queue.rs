//! The analysts' queue, and claiming and releasing a report.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};

use super::entities::{report, submission};
use super::*;
use crate::access::audit::{Actor, AuditEvent};
use crate::access::{Principal, Role};
use crate::helpers::{now, rfc3339};
use crate::store::Store;

/// One row of the analyst queue.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QueueEntry {
    pub id: String,
    pub incident_type: IncidentType,
    pub status: ReportStatus,
    pub priority: i32,
    pub immediate_danger: bool,
    pub known_content: bool,
    pub claimed_by: Option<i32>,
    pub reporter_country: Option<String>,
    pub created_at: String,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueFilter {
    /// One status; without it, the open ones (`new`, `in_review`, `assessed`, `notice_sent`).
    pub status: Option<String>,
    pub incident_type: Option<String>,
    /// The reporter's country.
    pub country: Option<String>,
}

/// The queue of the caller's organisation, highest priority first, then oldest first. Every
/// read is audited: the queue says what the public reported.
pub async fn queue(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    filter: &QueueFilter,
) -> Result<Vec<QueueEntry>, HotlineError> {
    let country = filter
        .country
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| check_country("country", c))
        .transpose()?;
    let mut query =
        report::Entity::find().filter(report::Column::OrganisationId.eq(principal.organisation_id));
    // The filters come from a page's select as well as the API, where "" means any.
    let chosen = |value: &Option<String>| {
        value
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    query = match chosen(&filter.status) {
        Some(status) => {
            let status: ReportStatus = status.parse().map_err(|e| invalid("status", e))?;
            query.filter(report::Column::Status.eq(status))
        }
        None => query.filter(
            report::Column::Status.is_in(ReportStatus::ALL.iter().copied().filter(|s| s.is_open())),
        ),
    };
    if let Some(t) = chosen(&filter.incident_type) {
        let t: IncidentType = t.parse().map_err(|e| invalid("incident_type", e))?;
        query = query.filter(report::Column::IncidentType.eq(t));
    }
    let reports = query
        .order_by_desc(report::Column::Priority)
        .order_by_asc(report::Column::CreatedAt)
        .order_by_asc(report::Column::Id)
        .all(store.db())
        .await?;
    let ids: Vec<i64> = reports.iter().map(|r| r.id).collect();
    let firsts = submission::Entity::find()
        .filter(submission::Column::ReportId.is_in(ids))
        .order_by_asc(submission::Column::Id)
        .all(store.db())
        .await?;
    let mut country_of = std::collections::HashMap::new();
    for s in firsts {
        country_of.entry(s.report_id).or_insert(s.reporter_country);
    }
    crate::access::audit::record(
        store,
        actor,
        AuditEvent::new("hotline.queue.read", "hotline_queue", None)
            .detail("reports", reports.len()),
    )
    .await?;
    Ok(reports
        .into_iter()
        .map(|r| QueueEntry {
            reporter_country: country_of.get(&r.id).cloned().flatten(),
            id: r.id.to_string(),
            incident_type: r.incident_type,
            status: r.status,
            priority: r.priority,
            immediate_danger: r.immediate_danger,
            known_content: r.known_content,
            claimed_by: r.claimed_by,
            created_at: rfc3339(r.created_at),
        })
        .filter(|e| country.is_none() || e.reporter_country == country)
        .collect())
}

/// Claims a report for the caller: one conditional update, so two analysts never both win.
pub async fn claim(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
) -> Result<(), HotlineError> {
    let (txn, found) = open_report(store, actor, principal, id).await?;
    let at = now();
    let updated = report::Entity::update_many()
        .col_expr(report::Column::ClaimedBy, principal.user_id.into())
        .col_expr(report::Column::ClaimedAt, at.into())
        .col_expr(report::Column::UpdatedAt, at.into())
        .col_expr(
            report::Column::Status,
            if found.status == ReportStatus::New {
                ReportStatus::InReview.as_str()
            } else {
                found.status.as_str()
            }
            .into(),
        )
        .filter(report::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(report::Column::ClaimedBy.is_null())
                .add(report::Column::ClaimedBy.eq(principal.user_id)),
        )
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(HotlineError::Conflict(
            "claimed",
            "another analyst holds this report".into(),
        ));
    }
    finish(
        txn,
        actor,
        id,
        "report.claimed",
        format!("user {}", principal.user_id),
        AuditEvent::new("hotline.report.claim", "hotline_report", id.to_string()),
    )
    .await?;
    Ok(())
}

/// Releases a report the caller holds (an admin may release anyone's).
pub async fn release(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
) -> Result<(), HotlineError> {
    let (txn, found) = open_report(store, actor, principal, id).await?;
    if found.claimed_by.is_none() {
        return Err(HotlineError::Conflict(
            "not_claimed",
            "nobody holds this report".into(),
        ));
    }
    if found.claimed_by != Some(principal.user_id) && principal.role != Role::Admin {
        return Err(HotlineError::Conflict(
            "claimed",
            "another analyst holds this report".into(),
        ));
    }
    let mut update: report::ActiveModel = found.into();
    update.claimed_by = Set(None);
    update.claimed_at = Set(None);
    update.updated_at = Set(now());
    update.update(&txn).await?;
    finish(
        txn,
        actor,
        id,
        "report.released",
        format!("user {}", principal.user_id),
        AuditEvent::new("hotline.report.release", "hotline_report", id.to_string()),
    )
    .await?;
    Ok(())
}
