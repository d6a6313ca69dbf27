//! Notice and takedown: notices to hosting providers by email, resent until the content is
//! gone and escalated to the partner hotline of the hosting country; removal checks that fetch
//! each URL on a schedule; and the evidence vault's retention. Email is sent outside any
//! transaction and recorded after, so a crash can at worst repeat a notice, never lose one.

use std::collections::HashMap;

use lettre::message::Mailbox;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, TransactionTrait,
};
use serde::Serialize;

use super::config::HotlineConfig;
use super::entities::{
    check, evidence, file, lease, notice, partner, provider, report, url as url_row,
};
use super::network::{self, FetchError};
use super::{HotlineContext, HotlineError, ReportStatus, add_event, internal};
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::access::entities::organisation;
use crate::helpers::now;
use crate::mail::Mailer;
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
    let (txn, _) = super::open_report(store, actor, principal, id).await?;
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
    let txn = store.db().begin().await?;
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

/// What happened to one notice.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NoticeOutcome {
    pub url_id: i64,
    pub kind: String,
    pub recipient: String,
    pub attempt: i32,
    pub error: Option<String>,
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (key, value)| {
            text.replace(&format!("{{{key}}}"), value)
        })
}

/// What a notice email is: to whom, about which URL, from which hotline, and which attempt.
struct Notice<'a> {
    hotline: &'a str,
    template: &'a super::config::Template,
    target: &'a url_row::Model,
    kind: NoticeKind,
    provider_id: Option<i64>,
    recipient: &'a str,
    attempt: i32,
}

/// A notice to a hosting provider, or an escalation to the partner hotline of the host's
/// country when notices go unanswered. Stored as `notice` and `escalation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NoticeKind {
    Notice,
    Escalation,
}

impl NoticeKind {
    fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Notice => "notice",
            NoticeKind::Escalation => "escalation",
        }
    }
}

/// Sends one email and records it, with the error if sending failed.
async fn send_and_record(
    store: &Store,
    mailer: &Mailer,
    notice: Notice<'_>,
) -> Result<NoticeOutcome, DbErr> {
    let Notice {
        hotline,
        template,
        target,
        kind,
        provider_id,
        recipient,
        attempt,
    } = notice;
    let kind = kind.as_str();
    let reference = format!("Lindung report {}", target.report_id);
    let attempt_text = attempt.to_string();
    let values = [
        ("reference", reference.as_str()),
        ("url", target.url.as_str()),
        ("hotline", hotline),
        ("attempt", attempt_text.as_str()),
    ];
    let error = match recipient.parse::<Mailbox>() {
        Ok(to) => mailer
            .send(
                to,
                &fill(&template.subject, &values),
                fill(&template.body, &values),
            )
            .await
            .err(),
        Err(e) => Some(format!("bad address: {e}")),
    };
    let txn = store.db().begin().await?;
    notice::ActiveModel {
        url_id: Set(target.id),
        kind: Set(kind.to_owned()),
        provider_id: Set(provider_id),
        recipient: Set(recipient.to_owned()),
        attempt: Set(attempt),
        sent_at: Set(now()),
        error: Set(error.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let detail = match &error {
        None => format!("{kind} {attempt} for url {} to {recipient}", target.id),
        Some(_) => format!(
            "{kind} {attempt} for url {} to {recipient} failed",
            target.id
        ),
    };
    add_event(
        &txn,
        target.report_id,
        &format!("{kind}.sent"),
        detail,
        None,
    )
    .await?;
    if error.is_none() && kind == "notice" {
        report::Entity::update_many()
            .col_expr(
                report::Column::Status,
                ReportStatus::NoticeSent.as_str().into(),
            )
            .col_expr(report::Column::UpdatedAt, now().into())
            .filter(report::Column::Id.eq(target.report_id))
            .filter(report::Column::Status.is_in([
                ReportStatus::New,
                ReportStatus::InReview,
                ReportStatus::Assessed,
            ]))
            .exec(&txn)
            .await?;
    }
    if let Some(e) = &error {
        tracing::warn!(url_id = target.id, kind, error = %e, "notice not sent");
    }
    txn.commit().await?;
    Ok(NoticeOutcome {
        url_id: target.id,
        kind: kind.to_owned(),
        recipient: recipient.to_owned(),
        attempt,
        error,
    })
}

async fn hotline_name(store: &Store, organisation_id: i32) -> Result<String, DbErr> {
    Ok(organisation::Entity::find_by_id(organisation_id)
        .one(store.db())
        .await?
        .map_or_else(|| "Lindung".to_owned(), |o| o.name))
}

/// Successful notices of each kind per URL, latest last.
async fn sent_notices(
    store: &Store,
    url_ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<notice::Model>>, DbErr> {
    let mut by_url: HashMap<i64, Vec<notice::Model>> = HashMap::new();
    for n in notice::Entity::find()
        .filter(notice::Column::UrlId.is_in(url_ids))
        .filter(notice::Column::Error.is_null())
        .order_by_asc(notice::Column::Id)
        .all(store.db())
        .await?
    {
        by_url.entry(n.url_id).or_default().push(n);
    }
    Ok(by_url)
}

/// Sends the first notice for every online URL of a report that has a provider and no notice
/// yet. The report's material must be known or assessed illegal.
pub async fn send_notices(
    ctx: &HotlineContext,
    actor: &Actor,
    principal: &Principal,
    id: i64,
) -> Result<Vec<NoticeOutcome>, HotlineError> {
    let HotlineContext {
        store,
        config,
        mailer,
        ..
    } = ctx;
    // Email goes out outside any transaction (see the module comment).
    let (txn, found) = super::open_report(store, actor, principal, id).await?;
    txn.commit().await?;
    if !super::is_actionable(store.db(), &found).await? {
        return Err(HotlineError::Conflict(
            "not_assessed",
            "no item of this report is known or assessed as illegal".into(),
        ));
    }
    let Some(mailer) = mailer.as_ref() else {
        return Err(HotlineError::Conflict(
            "no_mail",
            "email is not configured (LINDUNG_SMTP_URL)".into(),
        ));
    };
    let urls = url_row::Entity::find()
        .filter(url_row::Column::ReportId.eq(id))
        .filter(url_row::Column::Status.eq("online"))
        .all(store.db())
        .await?;
    if urls.iter().all(|u| u.provider_id.is_none()) {
        return Err(HotlineError::Conflict(
            "not_attributed",
            "record the hosting provider of a URL first".into(),
        ));
    }
    let sent = sent_notices(store, urls.iter().map(|u| u.id).collect()).await?;
    let hotline = hotline_name(store, found.organisation_id).await?;
    let mut outcomes = Vec::new();
    for target in &urls {
        let Some(provider_id) = target.provider_id else {
            continue;
        };
        if sent
            .get(&target.id)
            .is_some_and(|n| n.iter().any(|n| n.kind == "notice"))
        {
            continue;
        }
        let Some(to) = provider::Entity::find_by_id(provider_id)
            .one(store.db())
            .await?
        else {
            continue;
        };
        outcomes.push(
            send_and_record(
                store,
                mailer,
                Notice {
                    hotline: &hotline,
                    template: config.template(&to.language),
                    target,
                    kind: NoticeKind::Notice,
                    provider_id: Some(provider_id),
                    recipient: &to.abuse_email,
                    attempt: 1,
                },
            )
            .await?,
        );
    }
    let txn = store.db().begin().await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("hotline.notice.send", "hotline_report", id.to_string())
            .detail("notices", outcomes.len()),
    )
    .await?;
    Ok(outcomes)
}

/// What one scheduled run did.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct DueRun {
    pub notices_resent: usize,
    pub escalations: usize,
    pub urls_checked: usize,
    pub urls_removed: usize,
    pub evidence_purged: u64,
}

/// Resends notices that are due, escalates, checks URLs that are due, and purges expired
/// evidence. The server runs this every half minute; admins can run it at once.
pub async fn run_due(ctx: &HotlineContext) -> Result<DueRun, HotlineError> {
    let HotlineContext {
        store,
        config,
        mailer,
        ..
    } = ctx;
    let mut run = DueRun::default();
    let at = now();
    let open_reports: Vec<report::Model> = report::Entity::find()
        .filter(report::Column::Status.is_in([ReportStatus::Assessed, ReportStatus::NoticeSent]))
        .all(store.db())
        .await?;
    let report_ids: Vec<i64> = open_reports.iter().map(|r| r.id).collect();
    let urls = url_row::Entity::find()
        .filter(url_row::Column::ReportId.is_in(report_ids))
        .filter(url_row::Column::Status.eq("online"))
        .all(store.db())
        .await?;
    let sent = sent_notices(store, urls.iter().map(|u| u.id).collect()).await?;
    if let Some(mailer) = mailer.as_ref() {
        let resend_after = time::Duration::seconds(
            i64::try_from(config.notices.resend_after_seconds).unwrap_or(i64::MAX / 2),
        );
        // The few providers, partners and hotlines, read once per run rather than per URL.
        let providers: HashMap<i64, provider::Model> = provider::Entity::find()
            .all(store.db())
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let partners: HashMap<String, partner::Model> = partner::Entity::find()
            .all(store.db())
            .await?
            .into_iter()
            .map(|p| (p.country.clone(), p))
            .collect();
        let hotlines: HashMap<i32, String> = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(open_reports.iter().map(|r| r.organisation_id)))
            .all(store.db())
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let hotline_of: HashMap<i64, &str> = open_reports
            .iter()
            .map(|r| {
                let name = hotlines
                    .get(&r.organisation_id)
                    .map_or("Lindung", String::as_str);
                (r.id, name)
            })
            .collect();
        for target in &urls {
            let history = sent.get(&target.id).map(Vec::as_slice).unwrap_or_default();
            let notices: Vec<&notice::Model> =
                history.iter().filter(|n| n.kind == "notice").collect();
            let Some(last) = notices.last() else { continue };
            let Some(&hotline) = hotline_of.get(&target.report_id) else {
                continue;
            };
            let mut attempts = i32::try_from(notices.len()).unwrap_or(i32::MAX);
            if at - last.sent_at >= resend_after
                && let Some(to) = target.provider_id.and_then(|p| providers.get(&p))
            {
                let outcome = send_and_record(
                    store,
                    mailer,
                    Notice {
                        hotline,
                        template: config.template(&to.language),
                        target,
                        kind: NoticeKind::Notice,
                        provider_id: Some(to.id),
                        recipient: &to.abuse_email,
                        attempt: attempts + 1,
                    },
                )
                .await?;
                if outcome.error.is_none() {
                    run.notices_resent += 1;
                    attempts += 1;
                }
            }
            let escalated = history.iter().any(|n| n.kind == "escalation");
            if !escalated
                && attempts >= i32::try_from(config.notices.escalate_after).unwrap_or(i32::MAX)
                && let Some(partner) = target
                    .hosting_country
                    .as_ref()
                    .and_then(|c| partners.get(c))
            {
                let outcome = send_and_record(
                    store,
                    mailer,
                    Notice {
                        hotline,
                        template: &config.notices.escalation,
                        target,
                        kind: NoticeKind::Escalation,
                        provider_id: None,
                        recipient: &partner.email,
                        attempt: attempts,
                    },
                )
                .await?;
                if outcome.error.is_none() {
                    run.escalations += 1;
                }
            }
        }
    }
    let interval = time::Duration::seconds(
        i64::try_from(config.checks.interval_seconds).unwrap_or(i64::MAX / 2),
    );
    for target in &urls {
        if target.last_checked_at.is_some_and(|t| at - t < interval) {
            continue;
        }
        run.urls_checked += 1;
        if check_url(ctx, target).await? {
            run.urls_removed += 1;
        }
    }
    run.evidence_purged = purge_expired_evidence(store).await?;
    Ok(run)
}

/// The result of fetching a URL once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckOutcome {
    Online(u16),
    /// Removed, with how it was seen.
    Gone(&'static str, Option<u16>),
    /// Could not tell (refused address, timeout, server error): not counted as removal.
    Unknown(String),
}

/// Whether a fetched body is still one of the report's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holds {
    Yes,
    /// A picture, but not the reported one.
    No,
    /// Not a picture (a web page around it, a video): the hashes cannot tell.
    CannotTell,
}

/// Compares a fetched body with the report's files: the same MD5 or SHA-256, or a picture
/// whose PDQ hash is within distance 31 of a reported one.
pub async fn still_holds(body: Vec<u8>, files: &[file::Model]) -> Holds {
    let digests = lindung_media::Digests::of(&body);
    let md5 = crate::helpers::hex(&digests.md5);
    let sha256 = crate::helpers::hex(&digests.sha256);
    if files
        .iter()
        .any(|f| f.md5.as_deref() == Some(&md5) || f.sha256.as_deref() == Some(&sha256))
    {
        return Holds::Yes;
    }
    let reported: Vec<pdq::Hash256> = files
        .iter()
        .filter_map(|f| f.pdq.as_deref().and_then(|h| pdq::Hash256::parse(h).ok()))
        .collect();
    let seen = tokio::task::spawn_blocking(move || {
        lindung_media::Fingerprinter::new(lindung_media::Options::default())
            .fingerprint_bytes(&body)
            .ok()
    })
    .await
    .ok()
    .flatten();
    match seen {
        None => Holds::CannotTell,
        Some(fp) if reported.iter().any(|h| h.distance(&fp.pdq.hash) <= 31) => Holds::Yes,
        Some(_) => Holds::No,
    }
}

/// Fetches a URL and decides whether its content is gone: 404 or 410, a name that no longer
/// resolves, or (when the report has file hashes) a picture at the URL that is no longer the
/// reported one. A web page around the picture cannot be judged by hashes and counts as online.
pub async fn probe(
    config: &HotlineConfig,
    target: &url::Url,
    files: &[file::Model],
) -> CheckOutcome {
    match network::fetch(config, target).await {
        Ok(fetched) if fetched.status == 404 => CheckOutcome::Gone("http_404", Some(404)),
        Ok(fetched) if fetched.status == 410 => CheckOutcome::Gone("http_410", Some(410)),
        Ok(fetched) if (200..300).contains(&fetched.status) => {
            let status = fetched.status;
            let hashed = files
                .iter()
                .any(|f| f.pdq.is_some() || f.md5.is_some() || f.sha256.is_some());
            if hashed && still_holds(fetched.body, files).await == Holds::No {
                CheckOutcome::Gone("content_changed", Some(status))
            } else {
                CheckOutcome::Online(status)
            }
        }
        Ok(fetched) => CheckOutcome::Unknown(format!("HTTP {}", fetched.status)),
        Err(FetchError::NoSuchHost) => CheckOutcome::Gone("dns_failure", None),
        Err(e) => CheckOutcome::Unknown(e.to_string()),
    }
}

/// The outcome recorded for a first failure to resolve.
const NO_SUCH_HOST: &str = "no_such_host";

/// Checks one URL and records the outcome; true when it was found removed. When the last URL
/// of a report goes, the report is `removed` and its time to removal is fixed.
pub async fn check_url(ctx: &HotlineContext, target: &url_row::Model) -> Result<bool, DbErr> {
    let HotlineContext { store, config, .. } = ctx;
    let files = file::Entity::find()
        .filter(file::Column::ReportId.eq(target.report_id))
        .all(store.db())
        .await?;
    let mut outcome = match url::Url::parse(&target.url) {
        Ok(parsed) => probe(config, &parsed, &files).await,
        Err(e) => CheckOutcome::Unknown(e.to_string()),
    };
    // A name that does not resolve may be the hotline's own resolver failing: only a second
    // failure in a row, a check interval later, counts as removal.
    if outcome == CheckOutcome::Gone("dns_failure", None) {
        let previous = check::Entity::find()
            .filter(check::Column::UrlId.eq(target.id))
            .order_by_desc(check::Column::Id)
            .one(store.db())
            .await?;
        if previous.is_none_or(|p| p.outcome != NO_SUCH_HOST) {
            outcome = CheckOutcome::Unknown(NO_SUCH_HOST.into());
        }
    }
    let at = now();
    let (name, status) = match &outcome {
        CheckOutcome::Online(s) => ("online".to_owned(), Some(i32::from(*s))),
        CheckOutcome::Gone(how, s) => ((*how).to_owned(), s.map(i32::from)),
        CheckOutcome::Unknown(why) if why == NO_SUCH_HOST => (NO_SUCH_HOST.to_owned(), None),
        CheckOutcome::Unknown(why) => {
            tracing::info!(url_id = target.id, reason = %why, "removal check inconclusive");
            ("unknown".to_owned(), None)
        }
    };
    let txn = store.db().begin().await?;
    check::ActiveModel {
        url_id: Set(target.id),
        checked_at: Set(at),
        outcome: Set(name.clone()),
        http_status: Set(status),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut update: url_row::ActiveModel = target.clone().into();
    update.last_checked_at = Set(Some(at));
    let removed = matches!(outcome, CheckOutcome::Gone(..));
    if removed {
        update.status = Set("removed".into());
        update.removal_evidence = Set(Some(name.clone()));
        update.removed_at = Set(Some(at));
    }
    update.update(&txn).await?;
    if removed {
        add_event(
            &txn,
            target.report_id,
            "url.removed",
            format!("url {}: {name}", target.id),
            None,
        )
        .await?;
        let still_online = url_row::Entity::find()
            .filter(url_row::Column::ReportId.eq(target.report_id))
            .filter(url_row::Column::Status.eq("online"))
            .one(&txn)
            .await?;
        if still_online.is_none() {
            report::Entity::update_many()
                .col_expr(
                    report::Column::Status,
                    ReportStatus::Removed.as_str().into(),
                )
                .col_expr(report::Column::RemovedAt, Some(at).into())
                .col_expr(report::Column::UpdatedAt, at.into())
                .filter(report::Column::Id.eq(target.report_id))
                .exec(&txn)
                .await?;
            add_event(
                &txn,
                target.report_id,
                "report.removed",
                "every URL is gone",
                None,
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(removed)
}

/// Who may run due work: one run at a time in this process (the mutex), and one process at a
/// time on the database (a lease row, so that several servers never resend the same notice).
#[derive(Debug)]
pub struct Runs {
    local: tokio::sync::Mutex<()>,
    /// This process's lease holder id.
    holder: String,
}

/// A run longer than this lets another process take over (a crashed holder never blocks).
const LEASE: time::Duration = time::Duration::minutes(15);
const LEASE_NAME: &str = "hotline.run_due";

impl Runs {
    pub fn new() -> Result<Self, String> {
        Ok(Runs {
            local: tokio::sync::Mutex::new(()),
            holder: crate::access::new_secret("run-").map_err(|e| e.to_string())?,
        })
    }

    /// Holds the local lock for a manual action (sending first notices).
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.local.lock().await
    }

    /// Takes (or renews) the lease; false while another process holds it.
    pub async fn take_lease(&self, store: &Store) -> Result<bool, DbErr> {
        let at = now();
        if lease::Entity::find_by_id(LEASE_NAME)
            .one(store.db())
            .await?
            .is_none()
        {
            // Two processes may race to create it; the loser's insert fails and it competes
            // below like everyone else.
            let _ = lease::ActiveModel {
                name: Set(LEASE_NAME.into()),
                holder: Set(String::new()),
                // Born expired, so that the first taker gets it.
                until: Set(at - time::Duration::seconds(1)),
            }
            .insert(store.db())
            .await;
        }
        let taken = lease::Entity::update_many()
            .col_expr(lease::Column::Holder, self.holder.clone().into())
            .col_expr(lease::Column::Until, (at + LEASE).into())
            .filter(lease::Column::Name.eq(LEASE_NAME))
            .filter(
                sea_orm::Condition::any()
                    .add(lease::Column::Until.lt(at))
                    .add(lease::Column::Holder.eq(self.holder.as_str())),
            )
            .exec(store.db())
            .await?;
        Ok(taken.rows_affected == 1)
    }

    pub async fn release_lease(&self, store: &Store) -> Result<(), DbErr> {
        lease::Entity::update_many()
            .col_expr(
                lease::Column::Until,
                (now() - time::Duration::seconds(1)).into(),
            )
            .filter(lease::Column::Name.eq(LEASE_NAME))
            .filter(lease::Column::Holder.eq(self.holder.as_str()))
            .exec(store.db())
            .await?;
        Ok(())
    }

    /// Runs [`run_due`] if no other process is running it; `None` when one is.
    pub async fn run_due(&self, ctx: &HotlineContext) -> Result<Option<DueRun>, HotlineError> {
        let _local = self.local.lock().await;
        if !self.take_lease(&ctx.store).await? {
            return Ok(None);
        }
        let run = run_due(ctx).await;
        self.release_lease(&ctx.store).await?;
        run.map(Some)
    }
}

/// Runs due work every `checks.run_every_seconds` while the server is up.
pub async fn schedule(ctx: HotlineContext) {
    let period = std::time::Duration::from_secs(ctx.config.checks.run_every_seconds.max(1));
    loop {
        tokio::time::sleep(period).await;
        match ctx.runs.run_due(&ctx).await {
            Ok(Some(run)) if run.notices_resent + run.escalations + run.urls_removed > 0 => {
                tracing::info!(
                    resent = run.notices_resent,
                    escalated = run.escalations,
                    checked = run.urls_checked,
                    removed = run.urls_removed,
                    "hotline notices and checks"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "hotline notices and checks failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(pdq: Option<String>, md5: Option<String>) -> file::Model {
        file::Model {
            id: 1,
            report_id: 1,
            pdq,
            md5,
            sha256: None,
            known_bank: None,
            known_category: None,
            has_evidence: false,
        }
    }

    fn testdata(path: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../testdata/pdq/data/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("testdata")
    }

    #[tokio::test]
    async fn a_page_still_holds_the_file_by_digest_or_near_picture_and_cannot_tell_from_html() {
        let original = testdata("bridge-mods/aaa-orig.jpg");
        let fp = lindung_media::Fingerprinter::new(lindung_media::Options::default())
            .fingerprint_bytes(&original)
            .expect("hash");
        let by_md5 = [reported(None, Some(crate::helpers::hex(&fp.digests.md5)))];
        let by_pdq = [reported(Some(fp.pdq.hash.to_string()), None)];
        assert_eq!(still_holds(original.clone(), &by_md5).await, Holds::Yes);
        // A re-encoded copy is the same picture.
        let copy = testdata("bridge-mods/blur-a-little.jpg");
        assert_eq!(still_holds(copy, &by_pdq).await, Holds::Yes);
        let other = testdata("misc-images/c.png");
        assert_eq!(still_holds(other.clone(), &by_pdq).await, Holds::No);
        assert_eq!(still_holds(other, &by_md5).await, Holds::No);
        let page = b"<html><body><img src=/p/1.jpg></body></html>".to_vec();
        assert_eq!(still_holds(page, &by_pdq).await, Holds::CannotTell);
    }
}
