//! The case's people and where it goes: a referral to another organisation (any worker of
//! the case; a supervisor may go ahead without consent, with a reason), assignment of a case
//! worker and transfer to another organisation (the case's supervisors), from the case page.

use crate::http::Form;
use axum::extract::{FromRef, Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;

use super::case_page::after;
use super::{Done, done_at};
use crate::care::CareContext;
use crate::http::{Access, Caller, Endpoint, OrPage, PageResult};

pub(super) fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    CareContext: FromRef<S>,
{
    let page = Access::Page(crate::care::api::CARE_STAFF);
    vec![
        Endpoint::post("/care/{id}/referrals", page, refer),
        Endpoint::post("/care/{id}/assign", page, assign),
        Endpoint::post("/care/{id}/transfer", page, transfer),
    ]
}

#[derive(Deserialize)]
struct ReferForm {
    csrf: Option<String>,
    service: String,
    to_org: String,
    /// Supervisors only: why the referral goes ahead without disclosure consent.
    #[serde(default)]
    override_reason: String,
}

async fn refer(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<ReferForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let outcome = crate::care::refer(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        crate::care::ReferralRequest {
            service: &form.service,
            to_org: &form.to_org,
            share: None,
            override_reason: Some(form.override_reason.as_str()),
        },
    )
    .await
    .map(|_| Done::Referred);
    let typed = [
        ("service", form.service.as_str()),
        ("to_org", form.to_org.as_str()),
        ("override_reason", form.override_reason.as_str()),
    ];
    after(&ctx, &headers, &caller, id, outcome, "refer", &typed).await
}

#[derive(Deserialize)]
struct AssignForm {
    csrf: Option<String>,
    email: String,
}

async fn assign(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<AssignForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let outcome = crate::care::assign(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        &form.email,
    )
    .await
    .map(|()| Done::Assigned);
    let typed = [("email", form.email.as_str())];
    after(&ctx, &headers, &caller, id, outcome, "assign", &typed).await
}

#[derive(Deserialize)]
struct TransferForm {
    csrf: Option<String>,
    to_org: String,
}

/// A transfer takes the case out of the supervisor's organisation: the list confirms it.
async fn transfer(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<TransferForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    match crate::care::transfer(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        &form.to_org,
    )
    .await
    {
        Ok(()) => Ok(done_at("/care", Done::Transferred)),
        Err(e) => {
            let typed = [("to_org", form.to_org.as_str())];
            after(&ctx, &headers, &caller, id, Err(e), "transfer", &typed).await
        }
    }
}
