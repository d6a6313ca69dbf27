//! The pages, in English, Thai and Vietnamese: `/policy/indicators` (a quarter's figures by
//! priority area, and the signed snapshot to download) and `/policy/regional` (partners, the
//! import of their snapshots, and the dashboard with its charts and CSV). Forms that fail come
//! back with what was typed and the field at fault marked.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::catalogue::{Metric, catalogue};
use super::figures::{Figure, Quarter};
use super::node::{self, CellState, NewPartner, Regional};
use super::signing::{self, Envelope};
use super::snapshot::{self, Snapshot};
use super::{RegionalError, ended_quarter_or_default, quarter_or_default};
use crate::hotline::stats::{Cell, bar_chart};
use crate::http::i18n::Tr;
use crate::http::{
    ApiError, Caller, Chrome, Form, Multipart, OrPage, PageResult, Query, read_upload, render,
};
use crate::policy::{LANGUAGES, PolicyContext};

fn chrome(caller: &Caller, headers: &HeaderMap, title: &str) -> Chrome {
    Chrome::for_caller_among(caller, headers, title, LANGUAGES)
}

/// The quarter in the address, and what a finished form says.
#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    quarter: Option<String>,
    done: Option<String>,
}

/// The eight quarters up to `newest`, newest first, to choose from.
fn recent_quarters(newest: Quarter) -> Vec<String> {
    let mut q = newest;
    let mut all = Vec::new();
    for _ in 0..8 {
        all.push(q.to_string());
        q = q.previous();
    }
    all
}

/// An error's words in the page's language: the policy pages' own, else the shared ones; in
/// English the domain's detail follows.
fn error_words(tr: &Tr, error: &ApiError) -> String {
    let summary = tr
        .try_t(&format!("policy-regional-error-{}", error.code))
        .or_else(|| tr.try_t(&format!("error-{}", error.code)))
        .unwrap_or_else(|| tr.t("error-generic"));
    if tr.lang == "en" {
        format!("{summary} ({})", error.message)
    } else {
        summary
    }
}

/// A figure as shown: `<5` when suppressed, words when unavailable or missing.
fn shown(tr: &Tr, metric: Option<Metric>, value: Option<f64>, state: CellState) -> String {
    match (state, value) {
        (CellState::Reported, Some(v)) => match metric {
            Some(Metric::ReportsFromItCompaniesShare | Metric::LegalAssessmentItemsMet) => {
                format!("{:.1} %", v * 100.0)
            }
            Some(Metric::MedianHoursToRemoval | Metric::P90HoursToRemoval) => {
                tr.t1("policy-regional-hours", "value", Figure::display_number(v))
            }
            Some(Metric::MedianDaysToFirstService) => {
                tr.t1("policy-regional-days", "value", Figure::display_number(v))
            }
            _ => Figure::display_number(v),
        },
        (CellState::Suppressed, _) => "<5".to_owned(),
        (CellState::Missing, _) => tr.t("policy-regional-missing"),
        _ => tr.t("policy-regional-not-available"),
    }
}

/// A service's name: the core services have words, a deployment's own show as they are.
fn service_name(tr: &Tr, service: &str) -> String {
    tr.try_t(&format!("policy-regional-service-{service}"))
        .unwrap_or_else(|| service.replace('_', " "))
}

pub(super) struct RowView {
    pub title: String,
    pub value: String,
    pub state: &'static str,
    pub breakdown: Vec<(String, String)>,
}

pub(super) struct AreaView {
    pub id: String,
    pub title: String,
    pub rows: Vec<RowView>,
}

#[derive(Template)]
#[template(path = "policy_indicators.html")]
struct IndicatorsPage {
    chrome: Chrome,
    quarter: String,
    quarters: Vec<String>,
    error: Option<String>,
    country: String,
    areas: Vec<AreaView>,
}

fn area_views(tr: &Tr, snapshot: &Snapshot) -> Vec<AreaView> {
    catalogue()
        .areas
        .iter()
        .map(|area| AreaView {
            id: area.id.clone(),
            title: area.title.in_lang(&tr.lang).to_owned(),
            rows: area
                .indicators
                .iter()
                .filter_map(|indicator| {
                    let figure = snapshot.indicators.iter().find(|f| f.id == indicator.id)?;
                    let metric = Some(indicator.metric);
                    Some(RowView {
                        title: indicator.title.in_lang(&tr.lang).to_owned(),
                        value: shown(tr, metric, figure.value, figure.state.into()),
                        state: figure.state.as_str(),
                        breakdown: figure
                            .breakdown
                            .iter()
                            .flatten()
                            .map(|(service, f)| {
                                (
                                    service_name(tr, service),
                                    shown(tr, metric, f.value, f.state.into()),
                                )
                            })
                            .collect(),
                    })
                })
                .collect(),
        })
        .collect()
}

pub(super) async fn indicators(
    State(ctx): State<PolicyContext>,
    headers: HeaderMap,
    caller: Caller,
    Query(query): Query<PageQuery>,
) -> PageResult {
    let chrome = chrome(&caller, &headers, "policy-regional-indicators-title");
    let typed = query.quarter.clone().unwrap_or_default();
    let (quarter, error) = match ended_quarter_or_default(query.quarter.as_deref()) {
        Ok(q) => (Some(q), None),
        Err(e) => (None, Some(error_words(&chrome.tr, &ApiError::from(e)))),
    };
    let areas = match quarter {
        Some(q) => {
            let snapshot = snapshot::read_indicators(&ctx, &caller.actor(), &caller.principal, q)
                .await
                .or_page(&headers)?;
            area_views(&chrome.tr, &snapshot)
        }
        None => Vec::new(),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = IndicatorsPage {
        quarter: quarter.map(|q| q.to_string()).unwrap_or(typed),
        // Only ended quarters are published: the last complete one first.
        quarters: recent_quarters(Quarter::of(crate::helpers::now()).previous()),
        error,
        country: snapshot::own_country(&ctx),
        areas,
        chrome,
    };
    Ok(render(status, &page))
}

/// What the regional page's forms held, kept when one fails.
#[derive(Debug, Default)]
pub(super) struct Typed {
    pub partner: NewPartner,
    pub envelope: String,
    /// Which form failed (`partner` or `import`), its words and its field.
    pub form: &'static str,
    pub error: Option<String>,
    pub field: String,
}

impl Typed {
    /// ` aria-invalid="true"` on the field at fault of the failed form.
    pub fn mark(&self, form: &str, field: &str) -> &'static str {
        let at_fault = self.form == form
            && (self.field == field
                || (form == "import" && field == "envelope" && !self.field.is_empty()));
        if at_fault {
            " aria-invalid=\"true\""
        } else {
            ""
        }
    }
}

pub(super) struct DashRow {
    pub title: String,
    pub cells: Vec<(String, &'static str)>,
}

#[derive(Template)]
#[template(path = "policy_regional.html")]
struct RegionalPage {
    chrome: Chrome,
    quarter: String,
    quarters: Vec<String>,
    quarter_error: Option<String>,
    own_key: String,
    own_country: String,
    partners: Vec<node::PartnerView>,
    typed: Typed,
    dashboard: Option<Regional>,
    rows: Vec<DashRow>,
    charts: Vec<String>,
}

/// The dashboard as table rows and one chart per indicator.
fn dashboard_views(tr: &Tr, regional: &Regional) -> (Vec<DashRow>, Vec<String>) {
    let mut rows = Vec::new();
    let mut charts = Vec::new();
    for (row, (_, indicator)) in regional.indicators.iter().zip(catalogue().indicators()) {
        let title = indicator.title.in_lang(&tr.lang).to_owned();
        let metric = Some(indicator.metric);
        rows.push(DashRow {
            title: title.clone(),
            cells: row
                .values
                .iter()
                .map(|c| (shown(tr, metric, c.value, c.state), c.state.as_str()))
                .collect(),
        });
        let bars: Vec<(String, Cell)> = row
            .values
            .iter()
            .map(|c| match (c.state, c.value) {
                (CellState::Reported, Some(v)) => (c.country.clone(), Cell::Value(v)),
                (CellState::Suppressed, _) => (c.country.clone(), Cell::Suppressed("<5")),
                (state, _) => (
                    format!("{} · {}", c.country, shown(tr, metric, None, state)),
                    Cell::Suppressed("–"),
                ),
            })
            .collect();
        charts.push(bar_chart(&title, &bars));
    }
    (rows, charts)
}

async fn regional_page(
    ctx: &PolicyContext,
    headers: &HeaderMap,
    caller: &Caller,
    quarter_text: Option<&str>,
    typed: Typed,
    notice: Option<&str>,
    status: StatusCode,
) -> PageResult {
    let mut chrome = chrome(caller, headers, "policy-regional-title");
    if let Some(key) = notice {
        chrome.notice = Some(chrome.tr.t(key));
    }
    let (own_key, partners) = {
        let actor = caller.actor();
        let (_, key) = signing::key_pair(ctx, &actor, caller.principal.organisation_id)
            .await
            .or_page(headers)?;
        let partners = node::list_partners(ctx, &actor, &caller.principal)
            .await
            .or_page(headers)?;
        (key, partners)
    };
    let (quarter, quarter_error) = match quarter_or_default(quarter_text) {
        Ok(q) => (Some(q), None),
        Err(e) => (None, Some(error_words(&chrome.tr, &ApiError::from(e)))),
    };
    let dashboard = match quarter {
        Some(q) => Some(
            node::dashboard(ctx, &caller.actor(), &caller.principal, q)
                .await
                .or_page(headers)?,
        ),
        None => None,
    };
    let (rows, charts) = dashboard
        .as_ref()
        .map(|d| dashboard_views(&chrome.tr, d))
        .unwrap_or_default();
    let status = if quarter_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        status
    };
    let page = RegionalPage {
        quarter: quarter
            .map(|q| q.to_string())
            .unwrap_or_else(|| quarter_text.unwrap_or_default().to_owned()),
        quarters: recent_quarters(Quarter::of(crate::helpers::now())),
        quarter_error,
        own_key,
        own_country: snapshot::own_country(ctx),
        partners,
        typed,
        dashboard,
        rows,
        charts,
        chrome,
    };
    Ok(render(status, &page))
}

pub(super) async fn regional(
    State(ctx): State<PolicyContext>,
    headers: HeaderMap,
    caller: Caller,
    Query(query): Query<PageQuery>,
) -> PageResult {
    let notice = match query.done.as_deref() {
        Some("partner") => Some("policy-regional-partner-added"),
        Some("imported") => Some("policy-regional-imported"),
        _ => None,
    };
    regional_page(
        &ctx,
        &headers,
        &caller,
        query.quarter.as_deref(),
        Typed::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct PartnerForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    country: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    public_key: String,
    #[serde(default)]
    quarter: String,
}

fn back_to(quarter: &str, done: &str) -> axum::response::Response {
    let quarter = Quarter::parse(quarter.trim())
        .map(|q| format!("quarter={q}&"))
        .unwrap_or_default();
    Redirect::to(&format!("/policy/regional?{quarter}done={done}")).into_response()
}

pub(super) async fn add_partner(
    State(ctx): State<PolicyContext>,
    headers: HeaderMap,
    caller: Caller,
    Form(form): Form<PartnerForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let input = NewPartner {
        country: form.country.clone(),
        name: form.name.clone(),
        public_key: form.public_key.clone(),
    };
    match node::add_partner(&ctx, &caller.actor(), &caller.principal, &input).await {
        Ok(_) => Ok(back_to(&form.quarter, "partner")),
        Err(error) => {
            failed(&ctx, &headers, &caller, &form.quarter, error, |typed| {
                typed.partner = input;
                typed.form = "partner";
            })
            .await
        }
    }
}

/// The page again, with the failed form as it was sent and its error.
async fn failed(
    ctx: &PolicyContext,
    headers: &HeaderMap,
    caller: &Caller,
    quarter: &str,
    error: RegionalError,
    keep: impl FnOnce(&mut Typed),
) -> PageResult {
    if matches!(error, RegionalError::Db(_) | RegionalError::Internal(_)) {
        return Err(crate::http::PageError::new(headers, error.into()));
    }
    let mut typed = Typed {
        field: error.field().unwrap_or_default().to_owned(),
        ..Typed::default()
    };
    keep(&mut typed);
    let api = ApiError::from(error);
    let tr = chrome(caller, headers, "policy-regional-title").tr;
    typed.error = Some(error_words(&tr, &api));
    let quarter = Some(quarter).filter(|q| Quarter::parse(q.trim()).is_some());
    regional_page(ctx, headers, caller, quarter, typed, None, api.status).await
}

pub(super) async fn import(
    State(ctx): State<PolicyContext>,
    headers: HeaderMap,
    caller: Caller,
    multipart: Multipart,
) -> PageResult {
    let upload = read_upload(multipart, "envelope_file")
        .await
        .or_page(&headers)?;
    caller
        .check_csrf(upload.csrf.as_deref())
        .or_page(&headers)?;
    let pasted = upload.fields.get("envelope").cloned().unwrap_or_default();
    let quarter = upload.fields.get("quarter").cloned().unwrap_or_default();
    let text = match upload.file {
        Some(bytes) => String::from_utf8(bytes)
            .map_err(|_| RegionalError::invalid("envelope_file", "the file is not UTF-8 text")),
        None if pasted.trim().is_empty() => Err(RegionalError::invalid(
            "envelope",
            "choose a snapshot file or paste one",
        )),
        None => Ok(pasted.clone()),
    };
    let result = match text {
        Ok(text) => match serde_json::from_str::<Envelope>(&text) {
            Ok(envelope) => node::import(&ctx, &caller.actor(), &caller.principal, &envelope).await,
            Err(e) => Err(RegionalError::invalid(
                "envelope",
                format!("this is not a signed snapshot: {e}"),
            )),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(back_to(&quarter, "imported")),
        Err(error) => {
            failed(&ctx, &headers, &caller, &quarter, error, |typed| {
                typed.envelope = pasted;
                typed.form = "import";
            })
            .await
        }
    }
}
