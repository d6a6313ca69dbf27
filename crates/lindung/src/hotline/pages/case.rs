//! The report page: what was reported, in words and local times, and every action an analyst
//! takes on it. A refused form comes back here with what was typed.

use std::collections::HashMap;

use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::form::{Typed, country, word};
use crate::access::Role;
use crate::access::entities::{organisation, user};
use crate::hotline::config::{CATEGORIES, CONTENT_KINDS};
use crate::hotline::entities::{event, provider, referral, report};
use crate::hotline::{AgeGroup, FileView, HotlineContext, ReportView};
use crate::http::{Caller, Chrome, OrPage, PageResult, render};

pub struct SubmissionRow {
    pub reference: String,
    pub source: String,
    pub when: String,
    pub country: Option<String>,
    pub description: Option<String>,
    pub platform: Option<String>,
    /// Where the reporter saw it, in words.
    pub seen_on: Option<String>,
}

pub struct UrlRow {
    pub id: i64,
    pub url: String,
    pub status: String,
    pub removed: bool,
    /// How removal was seen, as stored (kept in an attribute for tools; the page says it in
    /// words).
    pub evidence: Option<String>,
    pub notices_sent: usize,
    pub hosting_country: String,
    pub provider_id: Option<i64>,
}

pub struct EventRow {
    pub when: String,
    pub what: String,
    pub detail: Option<String>,
    pub by: Option<String>,
}

#[derive(Template)]
#[template(path = "hotline_case.html")]
pub struct CasePage {
    pub chrome: Chrome,
    /// What the action just made did, in words.
    pub notice: Option<String>,
    /// A form sent back, with what was typed and the fault.
    pub typed: Typed,
    pub id: String,
    pub incident_type: String,
    pub status: String,
    pub priority: i32,
    pub danger: bool,
    pub annotations: Vec<String>,
    pub mine: bool,
    pub claimed_by: Option<String>,
    pub closed: bool,
    pub linked: Vec<(String, String, String)>,
    pub submissions: Vec<SubmissionRow>,
    pub urls: Vec<UrlRow>,
    pub files: Vec<FileView>,
    pub providers: Vec<provider::Model>,
    pub items: Vec<(String, String)>,
    pub categories: &'static [&'static str],
    pub age_groups: Vec<(&'static str, String)>,
    pub kinds: Vec<(&'static str, String)>,
    pub risk_levels: Vec<(&'static str, String)>,
    pub assessments: Vec<String>,
    pub timeline: Vec<EventRow>,
    /// Why notices cannot be sent now; `None` when they can.
    pub notices_blocked: Option<String>,
    pub police_orgs: Vec<String>,
    pub care_orgs: Vec<String>,
    /// No care case yet: the report can be referred to care.
    pub care_open: bool,
    /// The organisations the report went to, police and care, in words.
    pub referrals: Vec<String>,
}

/// Whether notices can be sent for the report now, and if not, why (in words): the same
/// conditions `takedown::send_notices` refuses on, so the button is offered only when sending
/// can succeed.
pub async fn notices_blocked(
    ctx: &HotlineContext,
    chrome: &Chrome,
    found: &report::Model,
    view: &ReportView,
) -> Result<Option<String>, sea_orm::DbErr> {
    let tr = &chrome.tr;
    if !crate::hotline::is_actionable(ctx.store.db(), found).await? {
        return Ok(Some(tr.t("error-not_assessed")));
    }
    if ctx.mailer.is_none() {
        return Ok(Some(tr.t("error-no_mail")));
    }
    let online: Vec<_> = view.urls.iter().filter(|u| u.status == "online").collect();
    if online.iter().all(|u| u.provider_id.is_none()) {
        return Ok(Some(tr.t("error-not_attributed")));
    }
    if sendable(view).next().is_none() {
        return Ok(Some(tr.t("hotline-notices-all-sent")));
    }
    Ok(None)
}

/// The URLs a first notice would go out for: online, with a provider, none sent yet.
pub fn sendable(view: &ReportView) -> impl Iterator<Item = &crate::hotline::UrlView> {
    view.urls
        .iter()
        .filter(|u| u.status == "online" && u.provider_id.is_some() && u.notices_sent == 0)
}

/// The names of organisations with users of `roles`, for the referral forms' suggestions.
async fn organisations_with(
    ctx: &HotlineContext,
    roles: &[Role],
) -> Result<Vec<String>, sea_orm::DbErr> {
    // Only the distinct organisation ids: never every user row.
    let ids: Vec<i32> = user::Entity::find()
        .select_only()
        .column(user::Column::OrganisationId)
        .distinct()
        .filter(user::Column::Role.is_in(roles.iter().copied()))
        .filter(user::Column::Disabled.eq(false))
        .into_tuple::<i32>()
        .all(ctx.store.db())
        .await?;
    Ok(organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(ids))
        .order_by_asc(organisation::Column::Name)
        .all(ctx.store.db())
        .await?
        .into_iter()
        .map(|o| o.name)
        .collect())
}

/// Renders the report page; `typed` is a form sent back (or the default, none), with `status`.
pub async fn case_page(
    ctx: &HotlineContext,
    headers: &HeaderMap,
    caller: &Caller,
    id: i64,
    notice: Option<String>,
    typed: Typed,
    status: StatusCode,
) -> PageResult {
    let view = crate::hotline::view(ctx, &caller.actor(), &caller.principal, id)
        .await
        .or_page(headers)?;
    let db = ctx.store.db();
    let found = report::Entity::find_by_id(id)
        .one(db)
        .await
        .or_page(headers)?
        .ok_or(crate::hotline::HotlineError::NotFound)
        .or_page(headers)?;
    let providers = provider::Entity::find()
        .order_by_asc(provider::Column::Name)
        .all(db)
        .await
        .or_page(headers)?;
    let events = event::Entity::find()
        .filter(event::Column::ReportId.eq(id))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await
        .or_page(headers)?;
    let referrals = referral::Entity::find()
        .filter(referral::Column::ReportId.eq(id))
        .order_by_asc(referral::Column::Id)
        .all(db)
        .await
        .or_page(headers)?;
    let people = view
        .assessments
        .iter()
        .map(|a| a.assessed_by)
        .chain(view.claimed_by)
        .chain(events.iter().filter_map(|e| e.user_id));
    let emails = crate::access::user_emails(&ctx.store, people)
        .await
        .or_page(headers)?;
    let org_names: HashMap<i32, String> = organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(referrals.iter().filter_map(|r| r.organisation_id)))
        .all(db)
        .await
        .or_page(headers)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let chrome = Chrome::for_caller(caller, headers, "hotline-report");
    let notices_blocked = notices_blocked(ctx, &chrome, &found, &view)
        .await
        .or_page(headers)?;
    let police_orgs = organisations_with(ctx, &[Role::LawEnforcement])
        .await
        .or_page(headers)?;
    let care_orgs = organisations_with(ctx, &[Role::Supervisor, Role::CaseWorker])
        .await
        .or_page(headers)?;
    let tr = &chrome.tr;
    let email = |id: i32| emails.get(&id).cloned();
    let mut referral_words: Vec<String> = referrals
        .iter()
        .filter_map(|r| {
            let name = org_names.get(&r.organisation_id?)?;
            Some(format!(
                "{} · {} · {}",
                tr.t1("hotline-referred-police", "organisation", name),
                tr.when(r.sent_at),
                email(r.sent_by).unwrap_or_default()
            ))
        })
        .collect();
    if view.care_case_id.is_some() {
        referral_words.push(tr.t("hotline-referred-care"));
    }
    let page = CasePage {
        notice,
        typed,
        id: view.id.clone(),
        incident_type: word(tr, "hotline-type", view.incident_type.as_str()),
        status: word(tr, "hotline-status", view.status.as_str()),
        priority: view.priority,
        danger: view.immediate_danger,
        annotations: view
            .annotations
            .iter()
            .map(|a| word(tr, "hotline-annotation", a))
            .collect(),
        mine: view.claimed_by == Some(caller.principal.user_id),
        claimed_by: view.claimed_by.and_then(email),
        closed: !view.status.is_open(),
        linked: view
            .linked_reports
            .iter()
            .map(|l| {
                (
                    l.id.clone(),
                    word(tr, "hotline-relation", l.relation.as_str()),
                    word(tr, "hotline-status", l.status.as_str()),
                )
            })
            .collect(),
        submissions: view
            .submissions
            .iter()
            .map(|s| SubmissionRow {
                reference: s.reference.clone(),
                source: word(tr, "hotline-source", s.source.as_str()),
                when: tr.when_text(&s.created_at),
                country: s.reporter_country.as_deref().map(|c| country(tr, c)),
                description: s.details.description.clone(),
                seen_on: s.details.seen_on.as_deref().map(|v| word(tr, "hl-seen", v)),
                platform: s
                    .details
                    .platform
                    .clone()
                    .map(|p| match &s.details.service {
                        Some(service) => format!("{p} / {service}"),
                        None => p,
                    }),
            })
            .collect(),
        urls: view
            .urls
            .iter()
            .map(|u| UrlRow {
                id: u.id,
                url: u.url.clone(),
                status: match &u.removal_evidence {
                    Some(e) => format!(
                        "{} ({})",
                        word(tr, "hotline-url", &u.status),
                        word(tr, "hotline-removal", e)
                    ),
                    None => word(tr, "hotline-url", &u.status),
                },
                removed: u.status == "removed",
                evidence: u.removal_evidence.clone(),
                notices_sent: u.notices_sent,
                hosting_country: u.hosting_country.clone().unwrap_or_default(),
                provider_id: u.provider_id,
            })
            .collect(),
        items: view
            .files
            .iter()
            .filter(|f| f.previously_assessed.is_none())
            .map(|f| (format!("file:{}", f.id), tr.t1("hotline-file-n", "n", f.id)))
            .chain(
                view.urls
                    .iter()
                    .map(|u| (format!("url:{}", u.id), u.url.clone())),
            )
            .collect(),
        files: view.files.clone(),
        providers,
        categories: CATEGORIES,
        age_groups: AgeGroup::ALL
            .iter()
            .map(|a| (a.as_str(), word(tr, "hotline-age", a.as_str())))
            .collect(),
        kinds: CONTENT_KINDS
            .iter()
            .map(|k| (*k, word(tr, "hotline-kind", k)))
            .collect(),
        risk_levels: crate::care::RISK_LEVELS
            .iter()
            .map(|r| (*r, word(tr, "hotline-risk", r)))
            .collect(),
        assessments: view
            .assessments
            .iter()
            .map(|a| {
                let item = match a.item_kind.as_str() {
                    "file" => tr.t1("hotline-file-n", "n", a.item_id),
                    _ => view
                        .urls
                        .iter()
                        .find(|u| u.id == a.item_id)
                        .map_or_else(|| tr.t("hotline-url-item"), |u| u.url.clone()),
                };
                let mut line = format!(
                    "{item}: {} ({})",
                    word(tr, "hotline-legal", &a.legal_status),
                    country(tr, &a.country)
                );
                if let Some(c) = &a.category {
                    line.push_str(&format!(" · {c}"));
                }
                line.push_str(&format!(
                    " · {} · {} · {} · {}",
                    word(tr, "hotline-age", a.age_group.as_str()),
                    word(tr, "hotline-kind", &a.content_kind),
                    email(a.assessed_by).unwrap_or_default(),
                    tr.when_text(&a.assessed_at)
                ));
                line
            })
            .collect(),
        timeline: events
            .iter()
            .map(|e| EventRow {
                when: tr.when(e.at),
                what: word(tr, "hotline-event", &e.kind.replace('.', "-")),
                detail: event_detail(&e.kind, &e.detail),
                by: e.user_id.and_then(email),
            })
            .collect(),
        notices_blocked,
        police_orgs,
        care_orgs,
        referrals: referral_words,
        care_open: view.care_case_id.is_none(),
        chrome,
    };
    Ok(render(status, &page))
}

/// The part of an event's detail a person reads: the reason typed when closing, the
/// organisation a report went to, the address a notice went to. The rest of a detail is for
/// the audit trail (ids and stored values), and the event's words say what happened.
pub(super) fn event_detail(kind: &str, detail: &str) -> Option<String> {
    match kind {
        "report.closed" => Some(detail.to_owned()),
        "referral.law_enforcement" => detail.strip_prefix("to ").map(str::to_owned),
        "referral.care" => detail.split_once(" at ").map(|(_, org)| org.to_owned()),
        "notice.sent" | "escalation.sent" => detail
            .rsplit_once(" to ")
            .map(|(_, to)| to.trim_end_matches(" failed").to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::event_detail;

    #[test]
    fn events_show_only_what_a_person_reads() {
        assert_eq!(
            event_detail(
                "notice.sent",
                "notice 1 for url 3 to abuse@host.example failed"
            ),
            Some("abuse@host.example".into())
        );
        assert_eq!(
            event_detail("referral.care", "care case CC-1 at Care A"),
            Some("Care A".into())
        );
        assert_eq!(
            event_detail("item.assessed", "url 3: not_illegal (TH)"),
            None
        );
    }
}
