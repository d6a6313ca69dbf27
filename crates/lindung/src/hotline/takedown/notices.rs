//! Notices to hosting providers, resent until the content is gone and escalated to the
//! partner hotline of the hosting country; and the run of everything that is due.

use std::collections::HashMap;

use lettre::message::Mailbox;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;

use super::*;
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::access::entities::organisation;
use crate::helpers::now;
use crate::hotline::entities::{notice, partner, provider, report, url as url_row};
use crate::hotline::{HotlineContext, HotlineError, ReportStatus, add_event};
use crate::mail::Mailer;
use crate::store::Store;

/// What happened to one notice.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NoticeOutcome {
    pub url_id: i64,
    pub kind: String,
    pub recipient: String,
    pub attempt: i32,
    pub error: Option<String>,
}

/// A notice's subject and body as the mail carries them: the template's `{placeholders}`
/// filled. The preview page shows exactly this before anything is sent.
pub fn notice_text(
    template: &crate::hotline::config::Template,
    report_id: i64,
    url: &str,
    hotline: &str,
    attempt: i32,
) -> (String, String) {
    let reference = format!("Lindung report {report_id}");
    let attempt = attempt.to_string();
    let values = [
        ("reference", reference.as_str()),
        ("url", url),
        ("hotline", hotline),
        ("attempt", attempt.as_str()),
    ];
    (
        fill(&template.subject, &values),
        fill(&template.body, &values),
    )
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
    template: &'a crate::hotline::config::Template,
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
    let (subject, body) = notice_text(template, target.report_id, &target.url, hotline, attempt);
    let error = match recipient.parse::<Mailbox>() {
        Ok(to) => mailer.send(to, &subject, body).await.err(),
        Err(e) => Some(format!("bad address: {e}")),
    };
    let txn = store.write().await?;
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
    let (txn, found) = crate::hotline::open_report(store, actor, principal, id).await?;
    txn.commit().await?;
    if !crate::hotline::is_actionable(store.db(), &found).await? {
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
    let txn = store.write().await?;
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
        let contacts = Contacts::read(store, &open_reports).await?;
        for target in &urls {
            let history = sent.get(&target.id).map(Vec::as_slice).unwrap_or_default();
            let (resent, escalated) =
                follow_up(ctx, mailer, &contacts, target, history, at).await?;
            run.notices_resent += usize::from(resent);
            run.escalations += usize::from(escalated);
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

/// The few providers, partners and hotlines a run writes to, read once per run rather than
/// per URL.
struct Contacts {
    providers: HashMap<i64, provider::Model>,
    partners: HashMap<String, partner::Model>,
    /// The name of the hotline handling each open report.
    hotline_of: HashMap<i64, String>,
}

impl Contacts {
    async fn read(store: &Store, open_reports: &[report::Model]) -> Result<Self, DbErr> {
        let providers = provider::Entity::find()
            .all(store.db())
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let partners = partner::Entity::find()
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
        let hotline_of = open_reports
            .iter()
            .map(|r| {
                let name = hotlines
                    .get(&r.organisation_id)
                    .map_or("Lindung", String::as_str);
                (r.id, name.to_owned())
            })
            .collect();
        Ok(Contacts {
            providers,
            partners,
            hotline_of,
        })
    }
}

/// Resends a URL's notice when it is due, and escalates to the partner hotline of the host's
/// country once enough notices went unanswered. Returns (resent, escalated).
async fn follow_up(
    ctx: &HotlineContext,
    mailer: &Mailer,
    contacts: &Contacts,
    target: &url_row::Model,
    history: &[notice::Model],
    at: time::OffsetDateTime,
) -> Result<(bool, bool), DbErr> {
    let config = &ctx.config;
    let notices: Vec<&notice::Model> = history.iter().filter(|n| n.kind == "notice").collect();
    let Some(last) = notices.last() else {
        return Ok((false, false));
    };
    let Some(hotline) = contacts.hotline_of.get(&target.report_id) else {
        return Ok((false, false));
    };
    let resend_after = time::Duration::seconds(
        i64::try_from(config.notices.resend_after_seconds).unwrap_or(i64::MAX / 2),
    );
    let mut attempts = i32::try_from(notices.len()).unwrap_or(i32::MAX);
    let mut resent = false;
    if at - last.sent_at >= resend_after
        && let Some(to) = target.provider_id.and_then(|p| contacts.providers.get(&p))
    {
        let outcome = send_and_record(
            &ctx.store,
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
            resent = true;
            attempts += 1;
        }
    }
    let already = history.iter().any(|n| n.kind == "escalation");
    let Some(partner) = target
        .hosting_country
        .as_ref()
        .and_then(|c| contacts.partners.get(c))
    else {
        return Ok((resent, false));
    };
    if already || attempts < i32::try_from(config.notices.escalate_after).unwrap_or(i32::MAX) {
        return Ok((resent, false));
    }
    let outcome = send_and_record(
        &ctx.store,
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
    Ok((resent, outcome.error.is_none()))
}
