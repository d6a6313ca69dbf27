//! What waits for someone: the supervisor's approval queue (plans and closures of the
//! organisation's cases) and the referral inbox (referrals from other organisations, cases the
//! hotline referred), with accept and reject-with-a-reason.

use crate::http::Form;
use askama::Template;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::{Done, DoneQuery, Failed, FormState, done_at, refused};
use crate::access::Role;
use crate::care::{CareContext, CaseRow, IncomingReferral};
use crate::http::{Access, Caller, Chrome, Endpoint, OrPage, PageResult, render};

pub(super) fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    CareContext: FromRef<S>,
{
    let page = Access::Page(crate::care::api::CARE_STAFF);
    vec![
        Endpoint::get("/care/approvals", page, approvals),
        Endpoint::get("/care/referrals", page, referrals),
        Endpoint::post("/care/referrals/{id}/accept", page, accept),
        Endpoint::post("/care/referrals/{id}/reject", page, reject),
    ]
}

#[derive(Template)]
#[template(path = "care_approvals.html")]
struct ApprovalsPage {
    chrome: Chrome,
    waiting: Vec<CaseRow>,
    is_supervisor: bool,
}

/// The cases awaiting a supervisor's approval: the organisation's for a supervisor, who decides
/// on each from its page; a case worker sees which of their own cases wait.
async fn approvals(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let waiting = crate::care::list_cases(&ctx.store, &caller.actor(), &caller.principal)
        .await
        .or_page(&headers)?
        .into_iter()
        .filter(|c| c.pending_approval.is_some())
        .collect();
    let page = ApprovalsPage {
        chrome: query.chrome(Chrome::for_caller(&caller, &headers, "care-approvals")),
        waiting,
        is_supervisor: caller.principal.role == Role::Supervisor,
    };
    Ok(render(StatusCode::OK, &page))
}

/// A referral of the inbox with its words ready.
struct Listed {
    referral: IncomingReferral,
    sent_at: String,
    service: String,
    status: String,
}

#[derive(Template)]
#[template(path = "care_referrals.html")]
struct ReferralsPage {
    chrome: Chrome,
    pending: Vec<Listed>,
    answered: Vec<Listed>,
    /// Cases the hotline referred (and others no one works on yet), for a supervisor to assign.
    unassigned: Vec<CaseRow>,
    is_supervisor: bool,
    failed: Option<Failed>,
}

impl FormState for ReferralsPage {
    fn failed(&self) -> Option<&Failed> {
        self.failed.as_ref()
    }
}

async fn inbox(
    ctx: &CareContext,
    headers: &HeaderMap,
    caller: &Caller,
    chrome: Chrome,
    failed: Option<Failed>,
) -> PageResult {
    let all = crate::care::incoming_referrals(
        &ctx.store,
        &ctx.fields,
        &caller.actor(),
        &caller.principal,
    )
    .await
    .or_page(headers)?;
    let unassigned = crate::care::unassigned_cases(&ctx.store, &caller.principal)
        .await
        .or_page(headers)?;
    let tr = &chrome.tr;
    let (pending, answered): (Vec<Listed>, Vec<Listed>) = all
        .into_iter()
        .map(|r| Listed {
            sent_at: tr.when_text(&r.sent_at),
            service: tr.t(&format!("care-service-{}", r.service)),
            status: tr.t(&format!("care-referral-{}", r.status)),
            referral: r,
        })
        .partition(|l| l.referral.status == "pending");
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ReferralsPage {
        pending,
        answered,
        unassigned,
        is_supervisor: caller.principal.role == Role::Supervisor,
        failed,
        chrome,
    };
    Ok(render(status, &page))
}

async fn referrals(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let chrome = query.chrome(Chrome::for_caller(&caller, &headers, "care-inbox"));
    inbox(&ctx, &headers, &caller, chrome, None).await
}

#[derive(Deserialize)]
struct AnswerForm {
    csrf: Option<String>,
    #[serde(default)]
    reason: String,
}

async fn answer(
    ctx: CareContext,
    headers: HeaderMap,
    caller: Caller,
    id: i64,
    accept: bool,
    form: AnswerForm,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let reason = form.reason.trim();
    match crate::care::answer_referral(
        &ctx.store,
        &ctx.fields,
        &caller.actor(),
        &caller.principal,
        id,
        accept,
        (!reason.is_empty()).then_some(reason),
    )
    .await
    {
        Ok(_) => Ok(done_at(
            "/care/referrals",
            if accept {
                Done::Accepted
            } else {
                Done::Rejected
            },
        )),
        Err(e) => {
            let chrome = Chrome::for_caller(&caller, &headers, "care-inbox");
            let Some(failed) = Failed::of(&chrome.tr, format!("answer-{id}"), &e) else {
                return Err(refused(&headers, e));
            };
            let failed = failed.typed("reason", &form.reason);
            inbox(&ctx, &headers, &caller, chrome, Some(failed)).await
        }
    }
}

async fn accept(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> PageResult {
    answer(ctx, headers, caller, id, true, form).await
}

async fn reject(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> PageResult {
    answer(ctx, headers, caller, id, false, form).await
}
