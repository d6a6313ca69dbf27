//! The analysts' pages: the queue, a report with its assessment, attribution and notices, the
//! evidence and police package views, contacts and statistics. The public pages are in
//! `public`.

use askama::Template;
use axum::Form;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::config::{CATEGORIES, CONTENT_KINDS};
use super::{ANALYSTS, AgeGroup, HotlineContext, HotlineError, IncidentType, ReportStatus};
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
        Endpoint::post("/hotline/reports/{id}/claim", page, claim),
        Endpoint::post("/hotline/reports/{id}/release", page, release),
        Endpoint::post("/hotline/reports/{id}/close", page, close),
        Endpoint::post("/hotline/reports/{id}/assess", page, assess),
        Endpoint::post(
            "/hotline/reports/{id}/urls/{url}/attribution",
            page,
            attribute,
        ),
        Endpoint::post(
            "/hotline/reports/{id}/urls/{url}/removal",
            page,
            confirm_removal,
        ),
        Endpoint::post("/hotline/reports/{id}/notices", page, notices),
        Endpoint::get("/hotline/reports/{id}/files/{file}", page, evidence),
        Endpoint::get(
            "/hotline/reports/{id}/package",
            Access::Page(&[Role::Analyst, Role::Admin, Role::LawEnforcement]),
            package,
        ),
        Endpoint::get("/hotline/contacts", page, contacts),
        Endpoint::post(
            "/hotline/contacts/{kind}",
            Access::Page(&[Role::Admin]),
            add_contact,
        ),
        Endpoint::post(
            "/hotline/contacts/{kind}/{id}",
            Access::Page(&[Role::Admin]),
            edit_contact,
        ),
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
    entries: Vec<super::QueueEntry>,
    statuses: Vec<&'static str>,
    types: Vec<&'static str>,
    filter: super::QueueFilter,
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
    let page = QueuePage {
        chrome: Chrome::for_caller(&caller, &headers, "hotline-queue"),
        entries,
        statuses: ReportStatus::names(),
        types: IncidentType::names(),
        filter,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "hotline_case.html")]
struct CasePage {
    chrome: Chrome,
    /// What the action just made did, in words.
    notice: Option<String>,
    report: super::ReportView,
    mine: bool,
    providers: Vec<super::entities::provider::Model>,
    categories: &'static [&'static str],
    age_groups: Vec<&'static str>,
    kinds: &'static [&'static str],
}

async fn show(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    axum::extract::Query(query): axum::extract::Query<ShowQuery>,
) -> PageResult {
    let done = query.done.as_deref().and_then(Done::named);
    use sea_orm::{EntityTrait, QueryOrder};
    let report = super::view(&ctx, &caller.actor(), &caller.principal, id)
        .await
        .or_page(&headers)?;
    let providers = super::entities::provider::Entity::find()
        .order_by_asc(super::entities::provider::Column::Name)
        .all(ctx.store.db())
        .await
        .or_page(&headers)?;
    let chrome = Chrome::for_caller(&caller, &headers, "hotline-report");
    let page = CasePage {
        notice: done.map(|d| chrome.tr.t(&format!("hotline-done-{}", d.as_str()))),
        chrome,
        mine: report.claimed_by == Some(caller.principal.user_id),
        report,
        providers,
        categories: CATEGORIES,
        age_groups: AgeGroup::names(),
        kinds: CONTENT_KINDS,
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
}

impl Done {
    const ALL: [Done; 7] = [
        Done::Claimed,
        Done::Released,
        Done::Closed,
        Done::Assessed,
        Done::Saved,
        Done::RemovalConfirmed,
        Done::NoticesSent,
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

async fn claim(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    super::claim(&ctx.store, &caller.actor(), &caller.principal, id)
        .await
        .or_page(&headers)?;
    Ok(back_with(id, Done::Claimed))
}

async fn release(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    super::release(&ctx.store, &caller.actor(), &caller.principal, id)
        .await
        .or_page(&headers)?;
    Ok(back_with(id, Done::Released))
}

#[derive(Deserialize)]
struct CloseForm {
    csrf: Option<String>,
    reason: String,
}

/// Closes a report with no further action (say, nothing in it is illegal), with the reason.
async fn close(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    super::close(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        &form.reason,
    )
    .await
    .or_page(&headers)?;
    Ok(back_with(id, Done::Closed))
}

#[derive(Deserialize)]
struct AssessForm {
    csrf: Option<String>,
    item: String,
    #[serde(default)]
    category: String,
    age_group: String,
    #[serde(default)]
    gender: String,
    content_kind: String,
    #[serde(default)]
    add_to_bank: String,
}

async fn assess(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<AssessForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let (kind, item) = form
        .item
        .split_once(':')
        .and_then(|(k, i)| Some((k.to_owned(), i.parse::<i64>().ok()?)))
        .ok_or_else(|| HotlineError::Invalid("item", "choose an item".into()))
        .or_page(&headers)?;
    let filled = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let input = super::AssessmentInput {
        item_kind: kind,
        item_id: item,
        category: filled(&form.category),
        age_group: form
            .age_group
            .parse()
            .map_err(|e| HotlineError::Invalid("age_group", e))
            .or_page(&headers)?,
        gender: filled(&form.gender),
        content_kind: form.content_kind,
        country: None,
        legal_status: None,
        add_to_bank: filled(&form.add_to_bank),
    };
    let assessed = super::assess(&ctx, &caller.actor(), &caller.principal, id, &input)
        .await
        .or_page(&headers)?;
    if assessed.bank_content_id.is_some() {
        ctx.banks.sync().await.or_page(&headers)?;
    }
    Ok(back_with(id, Done::Assessed))
}

#[derive(Deserialize)]
struct AttributionForm {
    csrf: Option<String>,
    #[serde(default)]
    hosting_country: String,
    #[serde(default)]
    provider_id: String,
}

async fn attribute(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path((id, url_id)): Path<(i64, i64)>,
    Form(form): Form<AttributionForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let provider = match form.provider_id.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .map_err(|_| HotlineError::Invalid("provider_id", "choose a provider".into()))
                .or_page(&headers)?,
        ),
    };
    super::attribute(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        url_id,
        Some(form.hosting_country.as_str()),
        provider,
    )
    .await
    .or_page(&headers)?;
    Ok(back_with(id, Done::Saved))
}

async fn confirm_removal(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path((id, url_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    super::takedown::confirm_removal(&ctx.store, &caller.actor(), &caller.principal, id, url_id)
        .await
        .or_page(&headers)?;
    Ok(back_with(id, Done::RemovalConfirmed))
}

async fn notices(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let _one_run = ctx.runs.lock().await;
    super::takedown::send_notices(&ctx, &caller.actor(), &caller.principal, id)
        .await
        .or_page(&headers)?;
    Ok(back_with(id, Done::NoticesSent))
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
    report: super::ReportView,
    json: String,
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
    let page = PackagePage {
        chrome: Chrome::for_caller(&caller, &headers, "hotline-package"),
        json: super::exports::canonical_json(&built.package),
        sha256: built.sha256,
        report,
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
    let charts = vec![
        super::stats::bar_chart("Reports by month", &stats.by_month),
        super::stats::bar_chart("Reports by type", &stats.by_type),
        super::stats::bar_chart("Reports by reporter country", &stats.by_country),
        super::stats::bar_chart("Reports by source", &stats.by_source),
    ];
    let page = StatsPage {
        chrome: Chrome::for_caller(&caller, &headers, "hotline-stats"),
        stats,
        charts,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "hotline_contacts.html")]
struct ContactsPage {
    chrome: Chrome,
    providers: Vec<super::entities::provider::Model>,
    partners: Vec<super::entities::partner::Model>,
}

async fn contacts(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
) -> PageResult {
    use super::entities::{partner, provider};
    use sea_orm::{EntityTrait, QueryOrder};
    let providers = provider::Entity::find()
        .order_by_asc(provider::Column::Name)
        .all(ctx.store.db())
        .await
        .or_page(&headers)?;
    let partners = partner::Entity::find()
        .order_by_asc(partner::Column::Country)
        .all(ctx.store.db())
        .await
        .or_page(&headers)?;
    let page = ContactsPage {
        chrome: Chrome::for_caller(&caller, &headers, "hotline-contacts"),
        providers,
        partners,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct ContactForm {
    csrf: Option<String>,
    name: String,
    #[serde(default)]
    country: String,
    email: String,
    #[serde(default)]
    language: String,
}

impl ContactForm {
    fn input(self) -> super::contacts::ContactInput {
        super::contacts::ContactInput {
            name: self.name,
            country: Some(self.country),
            email: self.email,
            language: Some(self.language),
        }
    }
}

fn to_contacts() -> Response {
    Redirect::to("/hotline/contacts").into_response()
}

/// Adds (no `id`) or edits a provider or partner hotline; `kind` is `providers` or `partners`.
async fn save_contact(
    ctx: &HotlineContext,
    headers: &HeaderMap,
    caller: &Caller,
    kind: &str,
    id: Option<i64>,
    form: ContactForm,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(headers)?;
    let (store, actor, input) = (&ctx.store, caller.actor(), form.input());
    match kind {
        "providers" => super::contacts::save_provider(store, &actor, id, &input)
            .await
            .map(drop),
        "partners" => super::contacts::save_partner(store, &actor, id, &input)
            .await
            .map(drop),
        _ => Err(HotlineError::NotFound),
    }
    .or_page(headers)?;
    Ok(to_contacts())
}

async fn add_contact(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(kind): Path<String>,
    Form(form): Form<ContactForm>,
) -> PageResult {
    save_contact(&ctx, &headers, &caller, &kind, None, form).await
}

async fn edit_contact(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path((kind, id)): Path<(String, i64)>,
    Form(form): Form<ContactForm>,
) -> PageResult {
    save_contact(&ctx, &headers, &caller, &kind, Some(id), form).await
}
