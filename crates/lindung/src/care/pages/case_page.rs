//! The case page and its forms: consent (recorded and withdrawn), the stage and the
//! supervisor's decision, services, notes (added and edited); referrals out, assignment and
//! transfer are in `team`. Each form calls the domain function its API route calls, so the same
//! checks run and the same audit entries are written.

use std::collections::{HashMap, HashSet};

use crate::http::Form;
use askama::Template;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::shown::{AssessmentShown, ReferralShown, assessments_shown, label_in, referrals_shown};
use super::{Done, DoneQuery, Failed, FormState, chosen, done_at, refused};
use crate::access::Role;
use crate::care::{
    CareContext, CareError, CareStage, CaseView, ConsentPurpose, GIVEN_BY, ServiceStatus,
};
use crate::http::{Access, Caller, Chrome, Endpoint, OrPage, PageResult, render};

pub(super) fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    CareContext: FromRef<S>,
{
    let page = Access::Page(crate::care::api::CARE_STAFF);
    vec![
        Endpoint::get("/care/{id}", page, show),
        Endpoint::post("/care/{id}/consents", page, consent),
        Endpoint::post("/care/{id}/consents/{consent}/withdraw", page, withdraw),
        Endpoint::post("/care/{id}/stage", page, stage),
        Endpoint::post("/care/{id}/approval", page, approval),
        Endpoint::post("/care/{id}/services", page, plan),
        Endpoint::post("/care/{id}/services/{service}", page, update_service),
        Endpoint::post("/care/{id}/notes", page, note),
        Endpoint::post("/care/{id}/notes/{note}", page, edit_note),
    ]
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
    /// A supervisor of the case's organisation: assigns, transfers, and may refer without
    /// consent with a reason.
    may_supervise: bool,
    /// The organisation's case workers, by email, for assignment.
    workers: Vec<String>,
    emails: HashMap<i32, String>,
    /// The notes the caller may still edit (their own, within 24 hours).
    editable: HashSet<i64>,
    forms: Vec<(String, String)>,
    assessments: Vec<AssessmentShown>,
    referrals: Vec<ReferralShown>,
    failed: Option<Failed>,
}

impl FormState for CasePage {
    fn failed(&self) -> Option<&Failed> {
        self.failed.as_ref()
    }
}

impl CasePage {
    fn email(&self, id: &i32) -> &str {
        self.emails.get(id).map_or("—", String::as_str)
    }

    fn may_edit(&self, note: &i64) -> bool {
        self.editable.contains(note)
    }
}

/// The case page as the caller may see it, with a refused form shown again when there is one.
async fn case_page(
    ctx: &CareContext,
    headers: &HeaderMap,
    caller: &Caller,
    id: i64,
    chrome: Chrome,
    failed: Option<Failed>,
) -> PageResult {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let case = crate::care::read_case(ctx, &caller.actor(), &caller.principal, id)
        .await
        .or_page(headers)?;
    let full = case.view == "full";
    let may_supervise = caller.principal.role == Role::Supervisor && full;
    let workers = if may_supervise {
        use crate::access::entities::user;
        user::Entity::find()
            .filter(user::Column::OrganisationId.eq(caller.principal.organisation_id))
            .filter(user::Column::Role.eq(Role::CaseWorker.as_str()))
            .filter(user::Column::Disabled.eq(false))
            .order_by_asc(user::Column::Email)
            .all(ctx.store.db())
            .await
            .or_page(headers)?
            .into_iter()
            .map(|u| u.email)
            .collect()
    } else {
        Vec::new()
    };
    let emails = crate::access::user_emails(
        &ctx.store,
        case.notes
            .iter()
            .map(|n| n.author_id)
            .chain(case.assessments.iter().map(|a| a.author_id)),
    )
    .await
    .or_page(headers)?;
    let now = crate::helpers::now();
    let editable = case
        .notes
        .iter()
        .filter(|n| n.author_id == caller.principal.user_id)
        .filter(|n| {
            crate::helpers::parse_rfc3339(&n.created_at).is_ok_and(|at| {
                now - at < time::Duration::hours(crate::care::workflow::NOTE_EDIT_HOURS)
            })
        })
        .map(|n| n.id)
        .collect();
    let tr = &chrome.tr;
    let page = CasePage {
        may_decide: caller.principal.role == Role::Supervisor
            && full
            && case.pending_approval.is_some(),
        may_supervise,
        workers,
        editable,
        forms: ctx
            .config
            .forms
            .iter()
            .map(|f| (f.id.clone(), label_in(tr, &f.title)))
            .collect(),
        assessments: assessments_shown(ctx, tr, &case, &emails),
        referrals: referrals_shown(tr, &case),
        emails,
        purposes: ConsentPurpose::ALL,
        givers: GIVEN_BY,
        stages: CareStage::ALL,
        services: ctx.config.services(),
        statuses: ServiceStatus::ALL,
        reasons: crate::care::workflow::CLOSURE_REASONS,
        case,
        chrome,
        failed,
    };
    let status = if page.failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(status, &page))
}

async fn show(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let chrome = query.chrome(Chrome::for_caller(&caller, &headers, "care-case"));
    case_page(&ctx, &headers, &caller, id, chrome, None).await
}

/// What follows an action: the case page confirming it, or the form shown again with the
/// reason it was refused and what was typed.
pub(super) async fn after(
    ctx: &CareContext,
    headers: &HeaderMap,
    caller: &Caller,
    id: i64,
    outcome: Result<Done, CareError>,
    form: &str,
    typed: &[(&'static str, &str)],
) -> PageResult {
    let error = match outcome {
        Ok(done) => return Ok(done_at(&format!("/care/{id}"), done)),
        Err(error) => error,
    };
    let chrome = Chrome::for_caller(caller, headers, "care-case");
    let Some(mut failed) = Failed::of(&chrome.tr, form, &error) else {
        return Err(refused(headers, error));
    };
    for &(field, value) in typed {
        failed = failed.typed(field, value);
    }
    case_page(ctx, headers, caller, id, chrome, Some(failed)).await
}

#[derive(Deserialize)]
struct ConsentForm {
    csrf: Option<String>,
    purpose: String,
    given_by: String,
    #[serde(default)]
    evidence: String,
}

async fn consent(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<ConsentForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let outcome = match chosen("purpose", &form.purpose) {
        Ok(purpose) => crate::care::add_consent(
            &ctx,
            &caller.actor(),
            &caller.principal,
            id,
            purpose,
            &form.given_by,
            if form.evidence.trim().is_empty() {
                "recorded on the case page"
            } else {
                form.evidence.trim()
            },
        )
        .await
        .map(|_| Done::Consented),
        Err(e) => Err(e),
    };
    let typed = [
        ("purpose", form.purpose.as_str()),
        ("given_by", form.given_by.as_str()),
        ("evidence", form.evidence.as_str()),
    ];
    after(&ctx, &headers, &caller, id, outcome, "consent", &typed).await
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

/// Withdraws a consent; what it allowed ends with it, as through the API (the hashes a
/// withdrawn `hash_sharing` banked leave matching now, not at the next sync).
async fn withdraw(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path((id, consent)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    crate::care::withdraw_consent(&ctx.store, &caller.actor(), &caller.principal, id, consent)
        .await
        .or_page(&headers)?;
    ctx.banks.sync().await.or_page(&headers)?;
    Ok(done_at(&format!("/care/{id}"), Done::Withdrawn))
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
    let outcome = match chosen("to", &form.to) {
        Ok(to) => crate::care::workflow::move_stage(
            &ctx.store,
            &caller.actor(),
            &caller.principal,
            id,
            to,
            form.reason.as_deref(),
        )
        .await
        .map(|moved| {
            if moved.pending_approval.is_some() {
                Done::AwaitsApproval
            } else {
                Done::Moved
            }
        }),
        Err(e) => Err(e),
    };
    let typed = [
        ("to", form.to.as_str()),
        ("reason", form.reason.as_deref().unwrap_or("")),
    ];
    after(&ctx, &headers, &caller, id, outcome, "stage", &typed).await
}

#[derive(Deserialize)]
struct DecisionForm {
    csrf: Option<String>,
    /// `approve` or `return`.
    decision: String,
    /// Required to return: what the worker is to change, kept as a note on the case.
    return_reason: Option<String>,
}

/// A supervisor approves or returns the plan or the closure. A return says why: the reason is
/// kept as the supervisor's note on the case, where its workers read it.
/// The longest reason for returning a plan or closure (a note holds 10,000 characters).
const MAX_RETURN_REASON: usize = 2_000;

async fn approval(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let reason = form
        .return_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let outcome = match (form.decision.as_str(), reason) {
        ("approve", _) => {
            crate::care::workflow::decide(&ctx.store, &caller.actor(), &caller.principal, id, true)
                .await
                .map(|_| Done::Approved)
        }
        // The reason becomes a note after the decision: refuse one a note could not hold
        // before deciding, so a case is never returned without its reason.
        ("return", Some(reason)) if reason.chars().count() > MAX_RETURN_REASON => Err(
            CareError::Invalid("return_reason", "the reason is too long".into()),
        ),
        ("return", Some(reason)) => {
            match crate::care::workflow::decide(
                &ctx.store,
                &caller.actor(),
                &caller.principal,
                id,
                false,
            )
            .await
            {
                Ok(_) => {
                    let tr = Chrome::for_caller(&caller, &headers, "care-case").tr;
                    let body = format!("{}: {reason}", tr.t("care-returned-because"));
                    crate::care::workflow::add_note(
                        &ctx,
                        &caller.actor(),
                        &caller.principal,
                        id,
                        &body,
                        None,
                    )
                    .await
                    .map(|_| Done::Returned)
                }
                Err(e) => Err(e),
            }
        }
        ("return", None) => Err(CareError::Invalid(
            "return_reason",
            "say why the case is returned".into(),
        )),
        _ => Err(CareError::Invalid(
            "decision",
            "decision is approve or return".into(),
        )),
    };
    let typed = [("return_reason", form.return_reason.as_deref().unwrap_or(""))];
    after(&ctx, &headers, &caller, id, outcome, "approval", &typed).await
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
    let outcome = crate::care::plan::plan_service(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        &form.service,
        &form.provider,
    )
    .await
    .map(|_| Done::Planned);
    let typed = [
        ("service", form.service.as_str()),
        ("provider", form.provider.as_str()),
    ];
    after(&ctx, &headers, &caller, id, outcome, "plan", &typed).await
}

#[derive(Deserialize)]
struct ServiceForm {
    csrf: Option<String>,
    status: String,
    #[serde(default)]
    outcome: String,
}

async fn update_service(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path((id, service)): Path<(i64, i64)>,
    Form(form): Form<ServiceForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let outcome_text = form.outcome.trim();
    let outcome = match chosen("status", &form.status) {
        Ok(status) => crate::care::plan::update_service(
            &ctx,
            &caller.actor(),
            &caller.principal,
            id,
            service,
            status,
            (!outcome_text.is_empty()).then_some(outcome_text),
        )
        .await
        .map(|_| Done::ServiceUpdated),
        Err(e) => Err(e),
    };
    let typed = [("outcome", form.outcome.as_str())];
    let name = format!("service-{service}");
    after(&ctx, &headers, &caller, id, outcome, &name, &typed).await
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
    let outcome = crate::care::workflow::add_note(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        &form.body,
        None,
    )
    .await
    .map(|_| Done::Noted);
    let typed = [("body", form.body.as_str())];
    after(&ctx, &headers, &caller, id, outcome, "note", &typed).await
}

async fn edit_note(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path((id, note)): Path<(i64, i64)>,
    Form(form): Form<NoteForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let outcome = crate::care::workflow::edit_note(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        note,
        &form.body,
    )
    .await
    .map(|()| Done::NoteEdited);
    let typed = [("body", form.body.as_str())];
    let name = format!("note-{note}");
    after(&ctx, &headers, &caller, id, outcome, &name, &typed).await
}
