//! Reports as analysts see them, and the transactions that open and finish work on one.

use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::entities::{assessment, event, file, report, submission, url as url_row};
use super::intake::details_context;
use super::*;
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::helpers::rfc3339;
use crate::store::Store;
use crate::store::fields::FieldCipher;

/// Ends a transaction whose caller was refused; a refusal to someone without the right is
/// itself audited.
pub(crate) async fn refuse<T>(
    txn: DatabaseTransaction,
    actor: &Actor,
    id: i64,
    error: HotlineError,
) -> Result<T, HotlineError> {
    if matches!(error, HotlineError::Forbidden) {
        audit::append(
            &txn,
            actor,
            AuditEvent::new("hotline.report.denied", "hotline_report", id.to_string()),
        )
        .await?;
    }
    audit::keep_refusal(txn, error).await
}

/// Opens a transaction on a report `principal` may work on; a refusal is audited and ends it.
pub(crate) async fn open_report(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
) -> Result<(DatabaseTransaction, report::Model), HotlineError> {
    let txn = store.write().await?;
    match visible_report(&txn, principal, id).await {
        Ok(found) => Ok((txn, found)),
        Err(e) => refuse(txn, actor, id, e).await,
    }
}

/// Ends a report's transaction: the timeline step and the audit entry commit with its work.
pub(crate) async fn finish(
    txn: DatabaseTransaction,
    actor: &Actor,
    id: i64,
    step: &str,
    detail: impl Into<String>,
    event: AuditEvent,
) -> Result<(), HotlineError> {
    add_event(&txn, id, step, detail, actor.user_id).await?;
    audit::commit_with(txn, actor, event).await?;
    Ok(())
}

/// The report if `principal` may work on it: analysts and admins of the handling organisation.
pub async fn visible_report(
    txn: &impl sea_orm::ConnectionTrait,
    principal: &Principal,
    id: i64,
) -> Result<report::Model, HotlineError> {
    let found = report::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(HotlineError::NotFound)?;
    if !ANALYSTS.contains(&principal.role) || found.organisation_id != principal.organisation_id {
        return Err(HotlineError::Forbidden);
    }
    Ok(found)
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubmissionView {
    pub reference: String,
    pub source: ReportSource,
    pub reporter_country: Option<String>,
    pub created_at: String,
    pub details: SubmissionDetails,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UrlView {
    pub id: i64,
    pub url: String,
    pub host: String,
    pub status: String,
    pub resolved_ip: Option<String>,
    pub hosting_country: Option<String>,
    pub provider_id: Option<i64>,
    pub removal_evidence: Option<String>,
    pub removed_at: Option<String>,
    pub notices_sent: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FileView {
    pub id: i64,
    pub pdq: Option<String>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
    /// Set when a bank already held the file: it is shown only as previously assessed.
    pub previously_assessed: Option<String>,
    pub known_category: Option<String>,
    pub has_evidence: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssessmentView {
    pub item_kind: String,
    pub item_id: i64,
    pub legal_status: String,
    pub category: Option<String>,
    pub age_group: AgeGroup,
    pub gender: Option<String>,
    pub content_kind: String,
    pub country: String,
    pub assessed_by: i32,
    pub assessed_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventView {
    pub at: String,
    pub kind: String,
    pub detail: String,
}

/// A report linked to the one shown: an earlier, decided report it repeats, or a later one
/// that repeats it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LinkedReportView {
    pub id: String,
    pub relation: LinkRelation,
    pub status: ReportStatus,
}

/// A report as analysts see it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportView {
    pub id: String,
    pub incident_type: IncidentType,
    pub annotations: Vec<String>,
    pub incident_time: Option<String>,
    pub immediate_danger: bool,
    pub victim_age: Option<i32>,
    pub status: ReportStatus,
    pub priority: i32,
    pub known_content: bool,
    pub claimed_by: Option<i32>,
    pub care_case_id: Option<i64>,
    pub created_at: String,
    pub removed_at: Option<String>,
    /// Hours from the first report to removal.
    pub hours_to_removal: Option<f64>,
    pub submissions: Vec<SubmissionView>,
    pub urls: Vec<UrlView>,
    pub files: Vec<FileView>,
    pub assessments: Vec<AssessmentView>,
    pub timeline: Vec<EventView>,
    /// Reports this one repeats (a submission of a URL or file of a report no longer open for
    /// intake opens a new report), and reports that repeat this one.
    pub linked_reports: Vec<LinkedReportView>,
}

pub fn hours_between(from: OffsetDateTime, to: OffsetDateTime) -> f64 {
    (to - from).as_seconds_f64() / 3600.0
}

/// Everything about a report, decrypted, without auditing (callers audit).
pub async fn load_view(
    db: &impl sea_orm::ConnectionTrait,
    cipher: &FieldCipher,
    found: &report::Model,
) -> Result<ReportView, HotlineError> {
    let submissions = submission::Entity::find()
        .filter(submission::Column::ReportId.eq(found.id))
        .order_by_asc(submission::Column::Id)
        .all(db)
        .await?;
    let urls = url_row::Entity::find()
        .filter(url_row::Column::ReportId.eq(found.id))
        .order_by_asc(url_row::Column::Id)
        .all(db)
        .await?;
    let url_ids: Vec<i64> = urls.iter().map(|u| u.id).collect();
    let notices = entities::notice::Entity::find()
        .filter(entities::notice::Column::UrlId.is_in(url_ids))
        .filter(entities::notice::Column::Kind.eq("notice"))
        .filter(entities::notice::Column::Error.is_null())
        .all(db)
        .await?;
    let files = file::Entity::find()
        .filter(file::Column::ReportId.eq(found.id))
        .order_by_asc(file::Column::Id)
        .all(db)
        .await?;
    let assessments = assessment::Entity::find()
        .filter(assessment::Column::ReportId.eq(found.id))
        .order_by_asc(assessment::Column::Id)
        .all(db)
        .await?;
    let events = event::Entity::find()
        .filter(event::Column::ReportId.eq(found.id))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?;
    let submissions = submissions
        .into_iter()
        .map(|s| SubmissionView::open(cipher, s))
        .collect::<Result<_, _>>()?;
    let links = super::dedupe::linked(db, found.id).await?;
    let statuses: std::collections::HashMap<i64, ReportStatus> = report::Entity::find()
        .filter(report::Column::Id.is_in(links.iter().map(|(id, _)| *id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.status))
        .collect();
    let linked_reports = links
        .into_iter()
        .filter_map(|(id, relation)| {
            let status = *statuses.get(&id)?;
            Some(LinkedReportView {
                id: id.to_string(),
                relation,
                status,
            })
        })
        .collect();
    Ok(ReportView {
        id: found.id.to_string(),
        incident_type: found.incident_type,
        annotations: serde_json::from_str(&found.annotations).unwrap_or_default(),
        incident_time: found.incident_time.map(rfc3339),
        immediate_danger: found.immediate_danger,
        victim_age: found.victim_age,
        status: found.status,
        priority: found.priority,
        known_content: found.known_content,
        claimed_by: found.claimed_by,
        care_case_id: found.care_case_id,
        created_at: rfc3339(found.created_at),
        removed_at: found.removed_at.map(rfc3339),
        hours_to_removal: found.removed_at.map(|r| hours_between(found.created_at, r)),
        submissions,
        urls: urls
            .into_iter()
            .map(|u| {
                let notices_sent = notices.iter().filter(|n| n.url_id == u.id).count();
                UrlView::of(u, notices_sent)
            })
            .collect(),
        files: files.into_iter().map(FileView::from).collect(),
        assessments: assessments.into_iter().map(AssessmentView::from).collect(),
        timeline: events.into_iter().map(EventView::from).collect(),
        linked_reports,
    })
}

impl SubmissionView {
    /// The submission with the reporter's words decrypted.
    fn open(cipher: &FieldCipher, s: submission::Model) -> Result<Self, HotlineError> {
        let details = cipher
            .open(&details_context(&s.reference), &s.details)
            .map_err(internal)?;
        Ok(SubmissionView {
            details: serde_json::from_str(&details).map_err(internal)?,
            reference: s.reference,
            source: s.source,
            reporter_country: s.reporter_country,
            created_at: rfc3339(s.created_at),
        })
    }
}

impl UrlView {
    fn of(u: url_row::Model, notices_sent: usize) -> Self {
        UrlView {
            notices_sent,
            id: u.id,
            url: u.url,
            host: u.host,
            status: u.status,
            resolved_ip: u.resolved_ip,
            hosting_country: u.hosting_country,
            provider_id: u.provider_id,
            removal_evidence: u.removal_evidence,
            removed_at: u.removed_at.map(rfc3339),
        }
    }
}

impl From<file::Model> for FileView {
    fn from(f: file::Model) -> Self {
        FileView {
            id: f.id,
            pdq: f.pdq,
            md5: f.md5,
            sha256: f.sha256,
            previously_assessed: f.known_bank,
            known_category: f.known_category,
            has_evidence: f.has_evidence,
        }
    }
}

impl From<assessment::Model> for AssessmentView {
    fn from(a: assessment::Model) -> Self {
        AssessmentView {
            item_kind: a.item_kind,
            item_id: a.item_id,
            legal_status: a.legal_status,
            category: a.category,
            age_group: a.age_group,
            gender: a.gender,
            content_kind: a.content_kind,
            country: a.country,
            assessed_by: a.assessed_by,
            assessed_at: rfc3339(a.assessed_at),
        }
    }
}

impl From<event::Model> for EventView {
    fn from(e: event::Model) -> Self {
        EventView {
            at: rfc3339(e.at),
            kind: e.kind,
            detail: e.detail,
        }
    }
}

/// A report for an analyst, audited.
pub async fn view(
    ctx: &HotlineContext,
    actor: &Actor,
    principal: &Principal,
    id: i64,
) -> Result<ReportView, HotlineError> {
    let HotlineContext {
        store,
        fields: cipher,
        ..
    } = ctx;
    let (txn, found) = open_report(store, actor, principal, id).await?;
    let view = load_view(&txn, cipher, &found).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("hotline.report.read", "hotline_report", id.to_string()),
    )
    .await?;
    Ok(view)
}

/// Reads one item of a report for an analyst, audited as a read of the report.
pub(super) async fn item_of<E>(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    item_id: i64,
    report_of: impl Fn(&E::Model) -> i64,
) -> Result<E::Model, HotlineError>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i64>,
{
    let (txn, _) = open_report(store, actor, principal, id).await?;
    let found = E::find_by_id(item_id)
        .one(&txn)
        .await?
        .filter(|item| report_of(item) == id)
        .ok_or(HotlineError::NotFound)?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("hotline.report.read", "hotline_report", id.to_string())
            .detail("item", item_id),
    )
    .await?;
    Ok(found)
}

/// One URL of a report, for an analyst.
pub async fn url_of(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    url_id: i64,
) -> Result<url_row::Model, HotlineError> {
    item_of::<url_row::Entity>(store, actor, principal, id, url_id, |u| u.report_id).await
}

/// One file of a report, for an analyst.
pub async fn file_of(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    file_id: i64,
) -> Result<file::Model, HotlineError> {
    item_of::<file::Entity>(store, actor, principal, id, file_id, |f| f.report_id).await
}
