//! The self-assessment's pages, in English, Thai and Vietnamese, usable without JavaScript on a
//! 360 px screen: the policy home, the versions with a comparison form, the printable report
//! and its CSV, the comparison, and the hotline's national law table beside the tier-1 items.
//! The forms (the assessment, consultations) are in [`forms`].

mod forms;

use askama::Template;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::assessments::{self, Comparison, VersionRow};
use super::report::{self, ReportTier};
use super::{COUNTRIES, LegalError, chrome, consultations, template};
use crate::access::Role;
use crate::http::i18n::Tr;
use crate::http::{
    Access, ApiError, AuthContext, Caller, Chrome, Endpoint, OrPage, PageError, PageResult, Path,
    Query, render,
};
use crate::policy::{POLICY_ROLES, PolicyContext};

/// Who reads the national law table: the hotline's analysts besides policy officers and admins.
const LAW_TABLE_ROLES: &[Role] = &[Role::Analyst, Role::Admin, Role::PolicyOfficer];

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    PolicyContext: FromRef<S>,
    AuthContext: FromRef<S>,
{
    let page = Access::Page(POLICY_ROLES);
    let mut all = vec![
        Endpoint::get("/policy", page, home),
        Endpoint::get("/policy/assessments", page, versions),
        Endpoint::get("/policy/assessments/{id}", page, report_page),
        Endpoint::get("/policy/assessments/{id}/report.csv", page, report_csv),
        Endpoint::get("/policy/compare", page, compare_page),
        Endpoint::get("/policy/law", Access::Page(LAW_TABLE_ROLES), law_table),
    ];
    all.extend(forms::endpoints());
    all
}

/// A domain refusal as an error page in the caller's language.
fn refused(headers: &HeaderMap, error: LegalError) -> PageError {
    PageError::new(headers, error.into())
}

/// The words of a status (`not_answered` included).
pub(super) fn status_label(tr: &Tr, status: &str) -> String {
    tr.t(&format!("policy-legal-status-{status}"))
}

/// A country's name in the page's language.
pub(super) fn country_label(tr: &Tr, code: &str) -> String {
    tr.try_t(&format!("policy-legal-country-{code}"))
        .unwrap_or_else(|| code.to_owned())
}

#[derive(Template)]
#[template(path = "policy_home.html")]
struct HomePage {
    chrome: Chrome,
}

async fn home(headers: HeaderMap, caller: Caller) -> PageResult {
    let page = HomePage {
        chrome: chrome(&caller, &headers, "policy-home-title"),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CountryParam {
    country: Option<String>,
    done: Option<String>,
}

impl CountryParam {
    /// The country asked for, if it is one of the list (anything else: none).
    fn country(&self) -> Option<&'static str> {
        self.country
            .as_deref()
            .filter(|c| !c.is_empty())
            .and_then(|c| super::check_country("country", c).ok())
    }
}

#[derive(Template)]
#[template(path = "policy_legal_versions.html")]
struct VersionsPage {
    chrome: Chrome,
    countries: Vec<(&'static str, String)>,
    country: Option<&'static str>,
    rows: Vec<VersionRow>,
    statuses: Vec<(&'static str, String)>,
}

impl VersionsPage {
    fn is_country(&self, code: &str) -> bool {
        self.country == Some(code)
    }

    fn count(&self, row: &VersionRow, status: &str) -> usize {
        row.counts.get(status).copied().unwrap_or(0)
    }
}

async fn versions(
    State(ctx): State<PolicyContext>,
    headers: HeaderMap,
    caller: Caller,
    query: Result<Query<CountryParam>, ApiError>,
) -> PageResult {
    let Query(query) = query.or_page(&headers)?;
    let template = template().map_err(|e| refused(&headers, e))?;
    let country = query.country();
    let rows = assessments::list(
        &ctx.store,
        &template,
        &caller.actor(),
        &caller.principal,
        country,
    )
    .await
    .map_err(|e| refused(&headers, e))?;
    let chrome = chrome(&caller, &headers, "policy-legal-versions-title");
    let page = VersionsPage {
        countries: COUNTRIES
            .iter()
            .map(|c| (*c, country_label(&chrome.tr, c)))
            .collect(),
        statuses: assessments::STATUSES
            .iter()
            .chain(["not_answered"].iter())
            .map(|s| (*s, status_label(&chrome.tr, s)))
            .collect(),
        chrome,
        country,
        rows,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "policy_legal_report.html")]
struct ReportPage {
    chrome: Chrome,
    row: VersionRow,
    country_name: String,
    caveat: String,
    source: String,
    tiers: Vec<ReportTier>,
    consultations: Vec<consultations::ConsultationView>,
}

impl ReportPage {
    fn status(&self, status: &str) -> String {
        status_label(&self.chrome.tr, status)
    }
}

async fn report_page(
    State(ctx): State<PolicyContext>,
    headers: HeaderMap,
    caller: Caller,
    id: Result<Path<i64>, ApiError>,
    query: Result<Query<CountryParam>, ApiError>,
) -> PageResult {
    let Path(id) = id.or_page(&headers)?;
    let Query(query) = query.or_page(&headers)?;
    let template = template().map_err(|e| refused(&headers, e))?;
    let view = assessments::read(
        &ctx.store,
        &template,
        &caller.actor(),
        &caller.principal,
        id,
        "report",
    )
    .await
    .map_err(|e| refused(&headers, e))?;
    let consultations = consultations::list(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        Some(&view.row.country),
    )
    .await
    .map_err(|e| refused(&headers, e))?;
    let mut chrome = chrome(&caller, &headers, "policy-legal-report-title");
    if query.done.as_deref() == Some("saved") {
        let notice = chrome.tr.t("policy-legal-done-saved");
        chrome = chrome.with_notice(notice);
    }
    let lang = chrome.tr.lang.clone();
    let page = ReportPage {
        country_name: country_label(&chrome.tr, &view.row.country),
        caveat: template.caveat.get(&lang).to_owned(),
        source: template.source.clone(),
        tiers: report::tiers(&template, &view, &lang),
        row: view.row,
        consultations,
        chrome,
    };
    Ok(render(StatusCode::OK, &page))
}

async fn report_csv(
    State(ctx): State<PolicyContext>,
    headers: HeaderMap,
    caller: Caller,
    id: Result<Path<i64>, ApiError>,
) -> Result<Response, PageError> {
    let Path(id) = id.or_page(&headers)?;
    let template = template().map_err(|e| refused(&headers, e))?;
    let view = assessments::read(
        &ctx.store,
        &template,
        &caller.actor(),
        &caller.principal,
        id,
        "csv",
    )
    .await
    .map_err(|e| refused(&headers, e))?;
    let lang = chrome(&caller, &headers, "policy-legal-report-title")
        .tr
        .lang;
    super::api::csv_answer(&template, &view, &lang).or_page(&headers)
}

#[derive(Debug, Default, Deserialize)]
struct CompareParams {
    from: Option<String>,
    to: Option<String>,
}

/// One changed item as the comparison page shows it.
struct ChangeRow {
    item: String,
    question: String,
    /// (what, old, new) for each of status, law, article, note that differs.
    fields: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "policy_legal_compare.html")]
struct ComparePage {
    chrome: Chrome,
    comparison: Comparison,
    changes: Vec<ChangeRow>,
}

async fn compare_page(
    State(ctx): State<PolicyContext>,
    headers: HeaderMap,
    caller: Caller,
    query: Result<Query<CompareParams>, ApiError>,
) -> PageResult {
    let Query(query) = query.or_page(&headers)?;
    let id = |field: &'static str, value: &Option<String>| {
        value
            .as_deref()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .ok_or_else(|| {
                refused(
                    &headers,
                    LegalError::invalid(field, format!("{field}: choose a version")),
                )
            })
    };
    let (from, to) = (id("from", &query.from)?, id("to", &query.to)?);
    let template = template().map_err(|e| refused(&headers, e))?;
    let comparison = assessments::compare(
        &ctx.store,
        &template,
        &caller.actor(),
        &caller.principal,
        from,
        to,
    )
    .await
    .map_err(|e| refused(&headers, e))?;
    let chrome = chrome(&caller, &headers, "policy-legal-compare-title");
    let tr = &chrome.tr;
    let none = tr.t("policy-legal-none");
    let changes = comparison
        .changes
        .iter()
        .map(|change| {
            let (old, new) = (
                change.old.clone().unwrap_or_default(),
                change.new.clone().unwrap_or_default(),
            );
            let status = |a: &assessments::Answer| {
                if a.status.is_empty() {
                    status_label(tr, "not_answered")
                } else {
                    status_label(tr, &a.status)
                }
            };
            let text = |t: &Option<String>| t.clone().unwrap_or_else(|| none.clone());
            let mut fields = Vec::new();
            if old.status != new.status {
                fields.push((tr.t("policy-legal-status"), status(&old), status(&new)));
            }
            for (key, a, b) in [
                ("policy-legal-law", &old.law, &new.law),
                ("policy-legal-article", &old.article, &new.article),
                ("policy-legal-note", &old.note, &new.note),
            ] {
                if a != b {
                    fields.push((tr.t(key), text(a), text(b)));
                }
            }
            ChangeRow {
                question: template
                    .item(&change.item)
                    .map(|(_, i)| i.question.get(&tr.lang).to_owned())
                    .unwrap_or_default(),
                item: change.item.clone(),
                fields,
            }
        })
        .collect();
    let page = ComparePage {
        changes,
        comparison,
        chrome,
    };
    Ok(render(StatusCode::OK, &page))
}

/// One country of the hotline's national law table.
struct LawCountry {
    code: String,
    name: String,
    categories: Vec<String>,
    kinds: Vec<String>,
    /// The latest version assessed, if any.
    version: Option<i32>,
    /// (item id, question, status words) of each tier-1 item.
    items: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "policy_legal_law.html")]
struct LawPage {
    chrome: Chrome,
    countries: Vec<LawCountry>,
}

async fn law_table(
    State(ctx): State<PolicyContext>,
    headers: HeaderMap,
    caller: Caller,
) -> PageResult {
    let template = template().map_err(|e| refused(&headers, e))?;
    let latest = assessments::latest_by_country(&ctx.store, &caller.actor(), &caller.principal)
        .await
        .map_err(|e| refused(&headers, e))?;
    let chrome = chrome(&caller, &headers, "policy-legal-law-title");
    let tr = &chrome.tr;
    let tier_one: Vec<_> = template
        .items()
        .filter(|(tier, _)| *tier == 1)
        .map(|(_, item)| item)
        .collect();
    let countries = ctx
        .hotline_config
        .national_law
        .iter()
        .map(|(code, law)| {
            let assessed = latest.get(code);
            LawCountry {
                name: country_label(tr, code),
                categories: law.illegal_categories.clone(),
                kinds: law
                    .illegal_kinds
                    .iter()
                    .map(|k| {
                        tr.try_t(&format!("hotline-kind-{k}"))
                            .unwrap_or_else(|| k.clone())
                    })
                    .collect(),
                version: assessed.map(|(v, _)| *v),
                items: tier_one
                    .iter()
                    .map(|item| {
                        let status = match assessed {
                            None => tr.t("policy-legal-not-assessed"),
                            Some((_, answers)) => status_label(
                                tr,
                                answers
                                    .get(&item.id)
                                    .map_or("not_answered", |a| a.status.as_str()),
                            ),
                        };
                        (
                            item.id.clone(),
                            item.question.get(&tr.lang).to_owned(),
                            status,
                        )
                    })
                    .collect(),
                code: code.clone(),
            }
        })
        .collect();
    let page = LawPage { chrome, countries };
    Ok(render(StatusCode::OK, &page))
}
