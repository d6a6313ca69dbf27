//! The analysts' pages: the queue, a report with its assessment, attribution and notices, the
//! evidence and police package views, contacts and statistics, the police's inbox of referred
//! reports and a reviewer's settings. The public pages are in `public`.

mod actions;
mod case;
mod contacts;
mod form;
mod notices;
mod referred;

use askama::Template;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use self::form::{country, word};
use super::{ANALYSTS, HotlineContext, HotlineError, IncidentType, ReportStatus};
use crate::access::Role;
use crate::http::{Access, ApiError, Caller, Chrome, Endpoint, OrPage, PageResult, render};

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    HotlineContext: FromRef<S>,
{
    let page = Access::Page(ANALYSTS);
    vec![
        Endpoint::get("/hotline", page, queue),
        Endpoint::get("/hotline/reports/{id}", page, show),
        Endpoint::post("/hotline/reports/{id}/claim", page, actions::claim),
        Endpoint::post("/hotline/reports/{id}/release", page, actions::release),
        Endpoint::post("/hotline/reports/{id}/close", page, actions::close),
        Endpoint::post("/hotline/reports/{id}/assess", page, actions::assess),
        Endpoint::post(
            "/hotline/reports/{id}/urls/{url}/attribution",
            page,
            actions::attribute,
        ),
        Endpoint::post(
            "/hotline/reports/{id}/urls/{url}/removal",
            page,
            actions::confirm_removal,
        ),
        Endpoint::post("/hotline/reports/{id}/police", page, actions::refer_police),
        Endpoint::post("/hotline/reports/{id}/care", page, actions::refer_care),
        Endpoint::get(
            "/hotline/reports/{id}/notices/preview",
            page,
            notices::preview,
        ),
        Endpoint::post("/hotline/reports/{id}/notices", page, notices::send),
        Endpoint::get("/hotline/reports/{id}/files/{file}", page, evidence),
        Endpoint::get(
            "/hotline/reports/{id}/package",
            Access::Page(&[Role::Analyst, Role::Admin, Role::LawEnforcement]),
            package,
        ),
        Endpoint::get("/hotline/contacts", page, contacts::contacts),
        Endpoint::post(
            "/hotline/contacts/{kind}",
            Access::Page(&[Role::Admin]),
            contacts::add_contact,
        ),
        Endpoint::post(
            "/hotline/contacts/{kind}/{id}",
            Access::Page(&[Role::Admin]),
            contacts::edit_contact,
        ),
        Endpoint::get(
            "/hotline/referred",
            Access::Page(&[Role::LawEnforcement]),
            referred::inbox,
        ),
        Endpoint::get("/hotline/settings", page, referred::settings),
        Endpoint::post("/hotline/settings", page, referred::save_settings),
        Endpoint::get(
            "/hotline/stats",
            Access::Page(&[Role::Analyst, Role::Admin, Role::Researcher]),
            stats,
        ),
    ]
}

#[derive(Template)]
#[template(path = "hotline_queue.html")]
struct QueuePage {
    chrome: Chrome,
    entries: Vec<QueueRow>,
    statuses: Vec<(&'static str, String)>,
    types: Vec<(&'static str, String)>,
    filter: super::QueueFilter,
}

/// A report of the queue in words.
struct QueueRow {
    id: String,
    priority: i32,
    danger: bool,
    incident_type: String,
    known: bool,
    status: String,
    claimed_by: Option<String>,
    country: String,
    received: String,
}

async fn queue(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Query(filter): Query<super::QueueFilter>,
) -> PageResult {
    let entries = super::queue(&ctx.store, &caller.actor(), &caller.principal, &filter)
        .await
        .or_page(&headers)?;
    let emails =
        crate::access::user_emails(&ctx.store, entries.iter().filter_map(|e| e.claimed_by))
            .await
            .or_page(&headers)?;
    let chrome = Chrome::for_caller(&caller, &headers, "hotline-queue");
    let tr = &chrome.tr;
    let entries = entries
        .into_iter()
        .map(|e| QueueRow {
            priority: e.priority,
            danger: e.immediate_danger,
            incident_type: word(tr, "hotline-type", e.incident_type.as_str()),
            known: e.known_content,
            status: word(tr, "hotline-status", e.status.as_str()),
            claimed_by: e.claimed_by.and_then(|u| emails.get(&u).cloned()),
            country: e
                .reporter_country
                .as_deref()
                .map(|c| country(tr, c))
                .unwrap_or_default(),
            received: tr.when_text(&e.created_at),
            id: e.id,
        })
        .collect();
    let page = QueuePage {
        statuses: ReportStatus::ALL
            .iter()
            .map(|s| (s.as_str(), word(tr, "hotline-status", s.as_str())))
            .collect(),
        types: IncidentType::ALL
            .iter()
            .map(|t| (t.as_str(), word(tr, "hotline-type", t.as_str())))
            .collect(),
        chrome,
        entries,
        filter,
    };
    Ok(render(StatusCode::OK, &page))
}

/// What an action on the report page did, said on the page it returns to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Done {
    Claimed,
    Released,
    Closed,
    Assessed,
    Saved,
    RemovalConfirmed,
    NoticesSent,
    /// Sent, but the mail server refused some: the timeline names them.
    NoticesFailed,
    ReferredPolice,
    ReferredCare,
}

impl Done {
    const ALL: [Done; 10] = [
        Done::Claimed,
        Done::Released,
        Done::Closed,
        Done::Assessed,
        Done::Saved,
        Done::RemovalConfirmed,
        Done::NoticesSent,
        Done::NoticesFailed,
        Done::ReferredPolice,
        Done::ReferredCare,
    ];

    /// The confirmation a link names; anything else confirms nothing.
    fn named(name: &str) -> Option<Done> {
        Done::ALL.into_iter().find(|d| d.as_str() == name)
    }

    fn as_str(self) -> &'static str {
        match self {
            Done::Claimed => "claimed",
            Done::Released => "released",
            Done::Closed => "closed",
            Done::Assessed => "assessed",
            Done::Saved => "saved",
            Done::RemovalConfirmed => "removal-confirmed",
            Done::NoticesSent => "notices-sent",
            Done::NoticesFailed => "notices-failed",
            Done::ReferredPolice => "referred-police",
            Done::ReferredCare => "referred-care",
        }
    }
}

/// Back to the report's page, which confirms what was done.
fn back_with(id: i64, done: Done) -> Response {
    Redirect::to(&format!("/hotline/reports/{id}?done={}", done.as_str())).into_response()
}

#[derive(Debug, Default, serde::Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

async fn show(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Query(query): Query<ShowQuery>,
) -> PageResult {
    let tr = Chrome::for_caller(&caller, &headers, "hotline-report").tr;
    let notice = query
        .done
        .as_deref()
        .and_then(Done::named)
        .map(|d| tr.t(&format!("hotline-done-{}", d.as_str())));
    case::case_page(
        &ctx,
        &headers,
        &caller,
        id,
        notice,
        form::Typed::default(),
        StatusCode::OK,
    )
    .await
}
#[derive(Template)]
#[template(path = "hotline_evidence.html")]
struct EvidencePage {
    chrome: Chrome,
    report_id: String,
    file_id: i64,
    blur: bool,
    greyscale: bool,
}

/// The evidence page: the image loads blurred and grey (per the reviewer's settings) and is
/// revealed only by a deliberate click. Loading it is the logged reveal.
async fn evidence(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path((id, file_id)): Path<(i64, i64)>,
) -> PageResult {
    let settings = super::api::reviewer_settings_of(&ctx, caller.principal.user_id)
        .await
        .or_page(&headers)?;
    let file = super::file_of(&ctx.store, &caller.actor(), &caller.principal, id, file_id)
        .await
        .or_page(&headers)?;
    if !file.has_evidence {
        return Err(HotlineError::NotFound).or_page(&headers);
    }
    let page = EvidencePage {
        chrome: Chrome::for_caller(&caller, &headers, "hotline-evidence"),
        report_id: id.to_string(),
        file_id,
        blur: settings.blur,
        greyscale: settings.greyscale,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "hotline_package.html")]
struct PackagePage {
    chrome: Chrome,
    sha256: String,
    id: String,
    incident_type: String,
    status: String,
    received: String,
    urls: Vec<String>,
    files: Vec<super::FileView>,
    assessments: Vec<String>,
    timeline: Vec<String>,
}

async fn package(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let built =
        super::exports::law_enforcement_package(&ctx, &caller.actor(), &caller.principal, id)
            .await
            .or_page(&headers)?;
    // The printable page shows the report the digest covers, as it is in the package.
    let report: super::ReportView = serde_json::from_value(built.package["report"].clone())
        .map_err(ApiError::internal)
        .or_page(&headers)?;
    let chrome = Chrome::for_caller(&caller, &headers, "hotline-package");
    let tr = &chrome.tr;
    let urls = report
        .urls
        .iter()
        .map(|u| {
            let mut line = format!("{} · {}", u.url, word(tr, "hotline-url", &u.status));
            if let Some(c) = &u.hosting_country {
                line.push_str(&format!(" · {}", country(tr, c)));
            }
            if let Some(r) = &u.removed_at {
                line.push_str(&format!(" · {}", tr.when_text(r)));
            }
            line
        })
        .collect();
    let assessments = report
        .assessments
        .iter()
        .map(|a| {
            let item = match a.item_kind.as_str() {
                "file" => tr.t1("hotline-file-n", "n", a.item_id),
                _ => tr.t("hotline-url-item"),
            };
            let mut line = format!(
                "{item}: {} ({})",
                word(tr, "hotline-legal", &a.legal_status),
                country(tr, &a.country)
            );
            if let Some(c) = &a.category {
                line.push_str(&format!(" · {c}"));
            }
            line
        })
        .collect();
    let timeline = report
        .timeline
        .iter()
        .map(|e| {
            let mut line = format!(
                "{} · {}",
                tr.when_text(&e.at),
                word(tr, "hotline-event", &e.kind.replace('.', "-"))
            );
            if let Some(d) = case::event_detail(&e.kind, &e.detail) {
                line.push_str(&format!(" · {d}"));
            }
            line
        })
        .collect();
    let page = PackagePage {
        sha256: built.sha256,
        id: report.id.clone(),
        incident_type: word(tr, "hotline-type", report.incident_type.as_str()),
        status: word(tr, "hotline-status", report.status.as_str()),
        received: tr.when_text(&report.created_at),
        urls,
        files: report.files,
        assessments,
        timeline,
        chrome,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "hotline_stats.html")]
struct StatsPage {
    chrome: Chrome,
    stats: super::stats::Statistics,
    charts: Vec<String>,
}

async fn stats(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
) -> PageResult {
    let stats = super::api::stats_for(&ctx, &caller)
        .await
        .or_page(&headers)?;
    let chrome = Chrome::for_caller(&caller, &headers, "hotline-stats");
    let tr = &chrome.tr;
    // The rows' labels are stored values; the charts say them in words.
    let in_words = |rows: &[(String, super::stats::Cell)], say: &dyn Fn(&str) -> String| {
        rows.iter()
            .map(|(label, cell)| (say(label), cell.clone()))
            .collect::<Vec<_>>()
    };
    let charts = vec![
        super::stats::bar_chart(&tr.t("hotline-chart-month"), &stats.by_month),
        super::stats::bar_chart(
            &tr.t("hotline-chart-type"),
            &in_words(&stats.by_type, &|t| word(tr, "hotline-type", t)),
        ),
        super::stats::bar_chart(
            &tr.t("hotline-chart-country"),
            &in_words(&stats.by_country, &|c| country(tr, c)),
        ),
        super::stats::bar_chart(
            &tr.t("hotline-chart-source"),
            &in_words(&stats.by_source, &|s| word(tr, "hotline-source", s)),
        ),
    ];
    let page = StatsPage {
        chrome,
        stats,
        charts,
    };
    Ok(render(StatusCode::OK, &page))
}
