//! The police's inbox (the reports referred to the caller's organisation, each with its
//! package) and a reviewer's own settings for how evidence is shown.

use crate::http::Form;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;

use super::ShowQuery;
use super::form::word;
use crate::access::audit::{self, AuditEvent};
use crate::hotline::HotlineContext;
use crate::hotline::api::{ReviewerSettings, reviewer_settings_of, save_reviewer_settings};
use crate::hotline::entities::{referral, report};
use crate::http::{Caller, Chrome, OrPage, PageResult, render};

/// One report referred to the caller's organisation.
pub struct Referred {
    pub id: i64,
    pub incident_type: String,
    pub status: String,
    pub referred_at: String,
    pub danger: bool,
}

#[derive(Template)]
#[template(path = "hotline_referred.html")]
struct InboxPage {
    chrome: Chrome,
    reports: Vec<Referred>,
}

/// How many referrals the police inbox lists, newest first.
const INBOX_LENGTH: u64 = 200;

/// The reports referred to the caller's law-enforcement organisation, latest first; only
/// theirs (a referral names one organisation), as the package itself checks.
pub(super) async fn inbox(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
) -> PageResult {
    let db = ctx.store.db();
    let referrals = referral::Entity::find()
        .filter(referral::Column::Kind.eq("law_enforcement"))
        .filter(referral::Column::OrganisationId.eq(caller.principal.organisation_id))
        .order_by_desc(referral::Column::SentAt)
        // The latest page of work; older referrals are found from the report itself.
        .limit(INBOX_LENGTH)
        .all(db)
        .await
        .or_page(&headers)?;
    let reports: std::collections::HashMap<i64, report::Model> = report::Entity::find()
        .filter(report::Column::Id.is_in(referrals.iter().map(|r| r.report_id)))
        .all(db)
        .await
        .or_page(&headers)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    // Which reports went to whom is itself sensitive: reading the list is recorded, as
    // reading the analysts' queue is.
    audit::record(
        &ctx.store,
        &caller.actor(),
        AuditEvent::new("hotline.referred.read", "hotline_referrals", None)
            .detail("reports", reports.len()),
    )
    .await
    .or_page(&headers)?;
    let chrome = Chrome::for_caller(&caller, &headers, "hotline-referred");
    let tr = &chrome.tr;
    let mut seen = std::collections::BTreeSet::new();
    let rows = referrals
        .iter()
        .filter(|r| seen.insert(r.report_id))
        .filter_map(|r| {
            let found = reports.get(&r.report_id)?;
            Some(Referred {
                id: found.id,
                incident_type: word(tr, "hotline-type", found.incident_type.as_str()),
                status: word(tr, "hotline-status", found.status.as_str()),
                referred_at: tr.when(r.sent_at),
                danger: found.immediate_danger,
            })
        })
        .collect();
    let page = InboxPage {
        reports: rows,
        chrome,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "hotline_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    notice: Option<String>,
    blur: bool,
    greyscale: bool,
}

/// The caller's evidence settings (as `GET /api/v1/hotline/reviewer-settings`).
pub(super) async fn settings(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Query(query): Query<ShowQuery>,
) -> PageResult {
    let current = reviewer_settings_of(&ctx, caller.principal.user_id)
        .await
        .or_page(&headers)?;
    let chrome = Chrome::for_caller(&caller, &headers, "hotline-settings");
    let page = SettingsPage {
        notice: (query.done.as_deref() == Some("saved")).then(|| chrome.tr.t("hotline-done-saved")),
        chrome,
        blur: current.blur,
        greyscale: current.greyscale,
    };
    Ok(render(StatusCode::OK, &page))
}

/// A checkbox is sent only when ticked, so an absent box means "no".
#[derive(Deserialize)]
pub(super) struct SettingsForm {
    csrf: Option<String>,
    #[serde(default)]
    blur: Option<String>,
    #[serde(default)]
    greyscale: Option<String>,
}

/// Sets the caller's evidence settings (as `PUT /api/v1/hotline/reviewer-settings`).
pub(super) async fn save_settings(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Form(form): Form<SettingsForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let settings = ReviewerSettings {
        blur: form.blur.is_some(),
        greyscale: form.greyscale.is_some(),
    };
    save_reviewer_settings(&ctx, &caller.actor(), caller.principal.user_id, &settings)
        .await
        .or_page(&headers)?;
    Ok(Redirect::to("/hotline/settings?done=saved").into_response())
}
