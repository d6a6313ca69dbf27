//! The public pages: the report form and the status page. No account, no JavaScript, in the
//! reporter's language; "a child is in danger" shows the country's emergency numbers at once,
//! through CSS alone.

use crate::http::Form;
use askama::Template;
use axum::extract::{FromRef, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::config::{Emergency, Operator};
use super::{HotlineContext, HotlineError, IncidentType, ReportInput, SEEN_ON, Source};
use crate::access::audit::Actor;
use crate::http::i18n::{PUBLIC_LANGUAGES, Tr};
use crate::http::{Access, ApiError, ClientAddr, Endpoint, SESSION_COOKIE, cookie, render};

/// What the public form asks about, each with its incident type and annotations.
const KINDS: &[&str] = &["csam", "online_enticement", "sextortion"];

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    HotlineContext: FromRef<S>,
    crate::http::AuthContext: FromRef<S>,
{
    vec![
        Endpoint::get("/", Access::Public, home),
        Endpoint::get("/privacy", Access::Public, privacy),
        Endpoint::get("/report", Access::Public, report_form),
        Endpoint::post("/report", Access::Public, report_submit),
        Endpoint::get("/report/status", Access::Public, status_form),
        Endpoint::post("/report/status", Access::Public, status_check),
    ]
}

fn public_tr(headers: &HeaderMap, lang: Option<&str>) -> Tr {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Tr::negotiate_among(lang, accept, PUBLIC_LANGUAGES)
}

fn language_menu(tr: &Tr) -> Vec<(&'static str, &'static str, bool)> {
    PUBLIC_LANGUAGES
        .iter()
        .map(|&(code, name)| (code, name, code == tr.lang))
        .collect()
}

/// The public pages carry no scripts and send nothing elsewhere.
fn public(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    response
}

#[derive(Clone, Debug, Default, Deserialize)]
struct PublicForm {
    lang: Option<String>,
    #[serde(default)]
    urls: String,
    #[serde(default)]
    seen_on: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    country: String,
    immediate_danger: Option<String>,
    #[serde(default)]
    contact: String,
    /// The honeypot: people never see it, bots fill it in.
    #[serde(default)]
    website: String,
}

#[derive(Template)]
#[template(path = "hotline_report.html")]
struct ReportPage {
    tr: Tr,
    here: &'static str,
    languages: Vec<(&'static str, &'static str, bool)>,
    countries: Vec<(String, String)>,
    emergency: Vec<(String, String, Emergency)>,
    seen_on: &'static [&'static str],
    kinds: &'static [&'static str],
    form: PublicForm,
    error: Option<String>,
}

fn report_page(
    ctx: &HotlineContext,
    tr: Tr,
    form: PublicForm,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let emergency = countries_in(&tr, ctx);
    let page = ReportPage {
        languages: language_menu(&tr),
        tr,
        here: "/report",
        countries: emergency
            .iter()
            .map(|(code, name, _)| (code.clone(), name.clone()))
            .collect(),
        emergency,
        seen_on: SEEN_ON,
        kinds: KINDS,
        form,
        error,
    };
    public(render(status, &page))
}

/// The countries with their emergency numbers, named in the page's language (the
/// configuration's name where the language has none) and sorted by that name.
fn countries_in(tr: &Tr, ctx: &HotlineContext) -> Vec<(String, String, Emergency)> {
    let mut countries: Vec<(String, String, Emergency)> = ctx
        .config
        .emergency
        .iter()
        .map(|(code, e)| {
            let name = tr
                .try_t(&format!("hl-country-{code}"))
                .unwrap_or_else(|| e.country.clone());
            (code.clone(), name, e.clone())
        })
        .collect();
    countries.sort_by_key(|(_, name, _)| name.to_lowercase());
    countries
}

/// The country a visitor most likely reports from: the one whose language the page is in,
/// else the region of the browser's first language (`en-SG`); only a country the hotline has
/// numbers for.
fn likely_country(tr: &Tr, headers: &HeaderMap, ctx: &HotlineContext) -> String {
    let by_language = match tr.lang.as_str() {
        "th" => Some("TH"),
        "vi" => Some("VN"),
        "id" => Some("ID"),
        "ms" => Some("MY"),
        "fil" => Some("PH"),
        "km" => Some("KH"),
        "lo" => Some("LA"),
        "my" => Some("MM"),
        _ => None,
    }
    .map(str::to_owned);
    let by_region = || {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split([',', ';']).next())
            .and_then(|tag| tag.trim().split(['-', '_']).nth(1))
            .map(str::to_ascii_uppercase)
    };
    by_language
        .or_else(by_region)
        .filter(|code| ctx.config.emergency.contains_key(code))
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

async fn report_form(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let tr = public_tr(&headers, q.lang.as_deref());
    let form = PublicForm {
        country: likely_country(&tr, &headers, &ctx),
        ..PublicForm::default()
    };
    report_page(&ctx, tr, form, None, StatusCode::OK)
}

#[derive(Deserialize)]
struct HomeQuery {
    lang: Option<String>,
    /// The country whose help numbers the visitor chose (the home's country menu).
    country: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    tr: Tr,
    here: &'static str,
    languages: Vec<(&'static str, &'static str, bool)>,
    /// Empty: the layout's danger-box rules belong to the report form.
    countries: Vec<(String, String)>,
    operator: Operator,
    /// Every country with its numbers, named in the page's language.
    emergency: Vec<(String, String, Emergency)>,
    /// The country whose numbers are shown first; empty when there is no clue.
    country: String,
}

/// The site's address. A visitor without a session gets the public home: who runs this
/// hotline, the ways to report, help numbers for their country, the languages and the privacy
/// notice. Staff with a session go where their work is.
async fn home(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    Query(q): Query<HomeQuery>,
) -> Response {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE)
        && let Ok(Some((principal, _))) = crate::access::sessions::lookup(&ctx.store, secret).await
    {
        return axum::response::Redirect::to(crate::http::chrome::landing(principal.role))
            .into_response();
    }
    let tr = public_tr(&headers, q.lang.as_deref());
    // A country the visitor chose wins over the guess, if the hotline has numbers for it.
    let country = q
        .country
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| ctx.config.emergency.contains_key(c))
        .unwrap_or_else(|| likely_country(&tr, &headers, &ctx));
    let page = HomePage {
        languages: language_menu(&tr),
        emergency: countries_in(&tr, &ctx),
        tr,
        here: "/",
        countries: Vec::new(),
        operator: ctx.config.operator.clone(),
        country,
    };
    public(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    tr: Tr,
    here: &'static str,
    languages: Vec<(&'static str, &'static str, bool)>,
    countries: Vec<(String, String)>,
    operator: Operator,
    /// How long evidence files are kept, from the evidence policy.
    retention_days: u32,
}

/// The privacy notice: what is collected, how it is protected, who can read it and how long it
/// is kept, in the visitor's language.
async fn privacy(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let tr = public_tr(&headers, q.lang.as_deref());
    let page = PrivacyPage {
        languages: language_menu(&tr),
        tr,
        here: "/privacy",
        countries: Vec::new(),
        operator: ctx.config.operator.clone(),
        retention_days: ctx.config.evidence.retention_days,
    };
    public(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "hotline_receipt.html")]
struct ReceiptPage {
    tr: Tr,
    here: &'static str,
    languages: Vec<(&'static str, &'static str, bool)>,
    countries: Vec<(String, String)>,
    reference: String,
    pin: String,
    emergency: Option<Emergency>,
}

async fn report_submit(
    State(ctx): State<HotlineContext>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<PublicForm>,
) -> Response {
    let tr = public_tr(&headers, form.lang.as_deref());
    if ctx.report_limit.exceeded(client) {
        let message = tr.t("hl-rate-limited");
        return report_page(&ctx, tr, form, Some(message), StatusCode::TOO_MANY_REQUESTS);
    }
    if !form.website.is_empty() {
        let message = tr.t("hl-not-a-person");
        return report_page(&ctx, tr, form, Some(message), StatusCode::BAD_REQUEST);
    }
    let kind = if KINDS.contains(&form.kind.as_str()) {
        form.kind.as_str()
    } else {
        "csam"
    };
    let incident_type = if kind == "csam" {
        IncidentType::Csam
    } else {
        IncidentType::OnlineEnticement
    };
    let input = ReportInput {
        annotations: if kind == "sextortion" {
            vec!["sextortion".into()]
        } else {
            Vec::new()
        },
        seen_on: Some(form.seen_on.clone()).filter(|s| !s.is_empty()),
        urls: form
            .urls
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        description: Some(form.description.clone()),
        immediate_danger: form.immediate_danger.is_some(),
        reporter_country: Some(form.country.clone()),
        contact: Some(form.contact.clone()),
        ..ReportInput::of_type(incident_type)
    };
    let raw = serde_json::json!({"public": true});
    let actor = Actor::public("report form");
    let submitted = super::submit(
        &ctx,
        &actor,
        Source::Public { language: &tr.lang },
        &input,
        &raw,
    )
    .await;
    match submitted {
        Ok(receipt) => {
            let emergency = form
                .immediate_danger
                .as_ref()
                .and_then(|_| ctx.config.emergency.get(&form.country).cloned());
            let page = ReceiptPage {
                languages: language_menu(&tr),
                tr,
                here: "/report",
                countries: Vec::new(),
                reference: receipt.reference,
                pin: receipt.pin.unwrap_or_default(),
                emergency,
            };
            public(render(StatusCode::CREATED, &page))
        }
        Err(HotlineError::Invalid(_, message)) => {
            let message = format!("{} {message}", tr.t("hl-check-form"));
            report_page(
                &ctx,
                tr,
                form,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "hotline_status.html")]
struct StatusPage {
    tr: Tr,
    here: &'static str,
    languages: Vec<(&'static str, &'static str, bool)>,
    countries: Vec<(String, String)>,
    /// The reference as the reporter gave it (from the receipt's link, or as typed).
    reference: String,
    status: Option<String>,
    error: Option<String>,
}

/// What the status page says: the status found, or why not.
enum Said {
    Nothing,
    Status(String),
    Error(String),
}

fn status_page(tr: Tr, reference: &str, said: Said, code: StatusCode) -> Response {
    let (status, error) = match said {
        Said::Nothing => (None, None),
        Said::Status(text) => (Some(text), None),
        Said::Error(text) => (None, Some(text)),
    };
    let page = StatusPage {
        languages: language_menu(&tr),
        tr,
        here: "/report/status",
        countries: Vec::new(),
        reference: reference.chars().take(64).collect(),
        status,
        error,
    };
    public(render(code, &page))
}

#[derive(Deserialize)]
struct StatusQuery {
    lang: Option<String>,
    reference: Option<String>,
}

async fn status_form(headers: HeaderMap, Query(q): Query<StatusQuery>) -> Response {
    status_page(
        public_tr(&headers, q.lang.as_deref()),
        q.reference.as_deref().unwrap_or_default(),
        Said::Nothing,
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
struct StatusForm {
    lang: Option<String>,
    reference: String,
    pin: String,
}

async fn status_check(
    State(ctx): State<HotlineContext>,
    client: ClientAddr,
    headers: HeaderMap,
    Form(form): Form<StatusForm>,
) -> Response {
    let tr = public_tr(&headers, form.lang.as_deref());
    if ctx.status_limit.exceeded(client) {
        let message = tr.t("hl-rate-limited");
        return status_page(
            tr,
            &form.reference,
            Said::Error(message),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    match super::public_status_of(
        &ctx.store,
        &Actor::public("report status"),
        &form.reference,
        &form.pin,
    )
    .await
    {
        Ok(found) => {
            let text = tr.t(&format!("hl-status-{}", found.status));
            status_page(tr, &form.reference, Said::Status(text), StatusCode::OK)
        }
        Err(HotlineError::WrongPin) => {
            let message = tr.t("hl-wrong-pin");
            status_page(
                tr,
                &form.reference,
                Said::Error(message),
                StatusCode::NOT_FOUND,
            )
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
