//! Care pages: the case list, registration, and the case page with its forms. Plain HTML forms
//! that work without JavaScript on a small phone screen.

use askama::Template;
use axum::Form;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{
    CareContext, CareError, CareStage, CaseRow, CaseView, ConsentPurpose, GIVEN_BY, Guardian,
    Identity, RISK_LEVELS, ServiceStatus,
};
use crate::http::{Access, Caller, Chrome, Endpoint, OrPage, PageResult, render};

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    CareContext: FromRef<S>,
{
    let page = Access::Page(super::api::CARE_STAFF);
    vec![
        Endpoint::get("/care", page, list),
        Endpoint::get("/care/new", page, new_form),
        Endpoint::post("/care/new", page, register),
        Endpoint::get("/care/{id}", page, show),
        Endpoint::post("/care/{id}/consents", page, consent),
        Endpoint::post("/care/{id}/stage", page, stage),
        Endpoint::post("/care/{id}/approval", page, approval),
        Endpoint::post("/care/{id}/services", page, plan),
        Endpoint::post("/care/{id}/services/{service}", page, update_service),
        Endpoint::post("/care/{id}/notes", page, note),
        Endpoint::get("/care/{id}/export", page, export),
    ]
}

#[derive(Template)]
#[template(path = "care_list.html")]
struct ListPage {
    chrome: Chrome,
    cases: Vec<CaseRow>,
}

async fn list(State(ctx): State<CareContext>, headers: HeaderMap, caller: Caller) -> PageResult {
    let cases = super::list_cases(&ctx.store, &caller.actor(), &caller.principal)
        .await
        .or_page(&headers)?;
    let page = ListPage {
        chrome: Chrome::for_caller(&caller, &headers, "care-title"),
        cases,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "care_new.html")]
struct NewPage {
    chrome: Chrome,
    risks: &'static [&'static str],
}

async fn new_form(headers: HeaderMap, caller: Caller) -> PageResult {
    let page = NewPage {
        chrome: Chrome::for_caller(&caller, &headers, "care-new"),
        risks: RISK_LEVELS,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct RegisterForm {
    csrf: Option<String>,
    name: String,
    age_estimate: String,
    language: String,
    location: String,
    guardian: String,
    risk_level: String,
}

fn filled(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(200).collect())
}

async fn register(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Form(form): Form<RegisterForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let age_estimate = match form.age_estimate.trim() {
        "" => None,
        text => Some(text.parse::<u8>().map_err(|_| {
            super::CareError::Invalid("age_estimate", "the age is a number of years".into())
        }))
        .transpose()
        .or_page(&headers)?,
    };
    let identity = Identity {
        name: filled(&form.name),
        age_estimate,
        language: filled(&form.language),
        location: filled(&form.location),
        guardians: filled(&form.guardian)
            .map(|name| Guardian {
                name: Some(name),
                ..Guardian::default()
            })
            .into_iter()
            .collect(),
        ..Identity::default()
    };
    let created = super::create_case(
        &ctx,
        &caller.actor(),
        &caller.principal,
        &identity,
        &form.risk_level,
    )
    .await
    .or_page(&headers)?;
    Ok(Redirect::to(&format!("/care/{}", created.id)).into_response())
}

#[derive(Template)]
#[template(path = "care_case.html")]
struct CasePage {
    chrome: Chrome,
    case: CaseView,
    purposes: &'static [ConsentPurpose],
    givers: &'static [&'static str],
    stages: &'static [CareStage],
    services: Vec<String>,
    statuses: &'static [ServiceStatus],
    reasons: &'static [&'static str],
    /// Whether the caller, a supervisor who sees the case in full, can approve or return what
    /// awaits approval.
    may_decide: bool,
}

async fn show(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let case = super::read_case(&ctx, &caller.actor(), &caller.principal, id)
        .await
        .or_page(&headers)?;
    let may_decide = caller.principal.role == crate::access::Role::Supervisor
        && case.view == "full"
        && case.pending_approval.is_some();
    let page = CasePage {
        may_decide,
        chrome: Chrome::for_caller(&caller, &headers, "care-case"),
        case,
        purposes: ConsentPurpose::ALL,
        givers: GIVEN_BY,
        stages: CareStage::ALL,
        services: ctx.config.services(),
        statuses: ServiceStatus::ALL,
        reasons: super::workflow::CLOSURE_REASONS,
    };
    Ok(render(StatusCode::OK, &page))
}

/// A value chosen from one of the page's lists; anything else names the field.
fn chosen<T: std::str::FromStr<Err = String>>(
    field: &'static str,
    value: &str,
) -> Result<T, CareError> {
    value.parse().map_err(|e| CareError::Invalid(field, e))
}

fn back(id: i64) -> axum::response::Response {
    Redirect::to(&format!("/care/{id}")).into_response()
}

#[derive(Deserialize)]
struct ConsentForm {
    csrf: Option<String>,
    purpose: String,
    given_by: String,
}

async fn consent(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<ConsentForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    super::add_consent(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        chosen("purpose", &form.purpose).or_page(&headers)?,
        &form.given_by,
        "recorded on the case page",
    )
    .await
    .or_page(&headers)?;
    Ok(back(id))
}

#[derive(Deserialize)]
struct StageForm {
    csrf: Option<String>,
    to: String,
    reason: Option<String>,
}

async fn stage(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<StageForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    super::workflow::move_stage(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        chosen("to", &form.to).or_page(&headers)?,
        form.reason.as_deref(),
    )
    .await
    .or_page(&headers)?;
    Ok(back(id))
}

#[derive(Deserialize)]
struct DecisionForm {
    csrf: Option<String>,
    /// `approve` or `return`.
    decision: String,
}

/// A supervisor approves or returns the plan or the closure from the case's page.
async fn approval(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let approve = match form.decision.as_str() {
        "approve" => Ok(true),
        "return" => Ok(false),
        _ => Err(CareError::Invalid(
            "decision",
            "decision is approve or return".into(),
        )),
    }
    .or_page(&headers)?;
    super::workflow::decide(&ctx.store, &caller.actor(), &caller.principal, id, approve)
        .await
        .or_page(&headers)?;
    Ok(back(id))
}

#[derive(Deserialize)]
struct PlanForm {
    csrf: Option<String>,
    service: String,
    provider: String,
}

async fn plan(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<PlanForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    super::plan::plan_service(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        &form.service,
        &form.provider,
    )
    .await
    .or_page(&headers)?;
    Ok(back(id))
}

#[derive(Deserialize)]
struct ServiceForm {
    csrf: Option<String>,
    status: String,
}

async fn update_service(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path((id, service)): Path<(i64, i64)>,
    Form(form): Form<ServiceForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    super::plan::update_service(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        service,
        chosen("status", &form.status).or_page(&headers)?,
        None,
    )
    .await
    .or_page(&headers)?;
    Ok(back(id))
}

#[derive(Deserialize)]
struct NoteForm {
    csrf: Option<String>,
    body: String,
}

async fn note(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    super::workflow::add_note(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        &form.body,
        None,
    )
    .await
    .or_page(&headers)?;
    Ok(back(id))
}

#[derive(Template)]
#[template(path = "care_export.html")]
struct ExportPage {
    tr: crate::http::i18n::Tr,
    case: CaseView,
}

/// The child's own record, printable (the right of access). Guardians, notes (which speak of
/// other people and carry their authors) and referral details are left out.
async fn export(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let mut case = super::read_case(&ctx, &caller.actor(), &caller.principal, id)
        .await
        .or_page(&headers)?;
    if case.view != "full" {
        return Err(crate::http::PageError::new(
            &headers,
            super::CareError::Forbidden.into(),
        ));
    }
    if let Some(identity) = case.identity.as_mut() {
        identity.guardians.clear();
        identity.contact = None;
    }
    case.notes.clear();
    case.referrals.clear();
    case.alerts.clear();
    let tr = Chrome::for_caller(&caller, &headers, "care-export-title").tr;
    Ok(render(StatusCode::OK, &ExportPage { tr, case }))
}
