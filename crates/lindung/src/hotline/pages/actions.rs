//! What an analyst does on the report page: claim and release, assess, attribute, confirm a
//! removal, refer to the police and to care, close. Each calls the domain function the API
//! handler calls (same checks of role and organisation, same audit entries), then returns to
//! the report with a confirmation; a form refused for what was typed comes back filled in, with
//! the fault marked.

use crate::http::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

use super::form::Typed;
use super::{CsrfForm, Done, back_with, case};
use crate::hotline::{self, HotlineContext, HotlineError};
use crate::http::{Caller, Chrome, OrPage, PageResult};

/// The report page again with `typed` sent back for `error`, or the error page when the error
/// is not about what was typed.
async fn sent_back(
    ctx: &HotlineContext,
    headers: &HeaderMap,
    caller: &Caller,
    id: i64,
    typed: Typed,
    error: HotlineError,
) -> PageResult {
    let tr = Chrome::for_caller(caller, headers, "hotline-report").tr;
    let Some(typed) = typed.refused(&tr, &error) else {
        return Err(error).or_page(headers);
    };
    let status = match error {
        HotlineError::Conflict(..) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    case::case_page(ctx, headers, caller, id, None, typed, status).await
}

pub(super) async fn claim(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    hotline::claim(&ctx.store, &caller.actor(), &caller.principal, id)
        .await
        .or_page(&headers)?;
    Ok(back_with(id, Done::Claimed))
}

pub(super) async fn release(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    hotline::release(&ctx.store, &caller.actor(), &caller.principal, id)
        .await
        .or_page(&headers)?;
    Ok(back_with(id, Done::Released))
}

/// Every field of the page forms defaults to empty, so that a missing field is refused by the
/// domain's checks, in words, rather than by the form parser.
#[derive(Deserialize)]
pub(super) struct CloseForm {
    csrf: Option<String>,
    #[serde(default)]
    reason: String,
}

/// Closes a report with no further action (say, nothing in it is illegal), with the reason.
pub(super) async fn close(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    match hotline::close(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        &form.reason,
    )
    .await
    {
        Ok(()) => Ok(back_with(id, Done::Closed)),
        Err(e) => {
            let typed = Typed::new("close", &[("reason", &form.reason)]);
            sent_back(&ctx, &headers, &caller, id, typed, e).await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct AssessForm {
    csrf: Option<String>,
    #[serde(default)]
    item: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    age_group: String,
    #[serde(default)]
    gender: String,
    #[serde(default)]
    content_kind: String,
    #[serde(default)]
    add_to_bank: String,
}

impl AssessForm {
    fn typed(&self) -> Typed {
        Typed::new(
            "assess",
            &[
                ("item", &self.item),
                ("category", &self.category),
                ("age_group", &self.age_group),
                ("gender", &self.gender),
                ("content_kind", &self.content_kind),
                ("add_to_bank", &self.add_to_bank),
            ],
        )
    }

    /// The assessment the form describes; a value the vocabularies do not hold is refused
    /// naming its field.
    fn input(&self) -> Result<hotline::AssessmentInput, HotlineError> {
        let (kind, item) = self
            .item
            .split_once(':')
            .and_then(|(k, i)| Some((k.to_owned(), i.parse::<i64>().ok()?)))
            .ok_or_else(|| HotlineError::Invalid("item", "choose an item".into()))?;
        let filled = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(hotline::AssessmentInput {
            item_kind: kind,
            item_id: item,
            category: filled(&self.category),
            age_group: self
                .age_group
                .parse()
                .map_err(|e| HotlineError::Invalid("age_group", e))?,
            gender: filled(&self.gender),
            content_kind: self.content_kind.clone(),
            country: None,
            legal_status: None,
            add_to_bank: filled(&self.add_to_bank),
        })
    }
}

pub(super) async fn assess(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<AssessForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let assessed = match form.input() {
        Ok(input) => hotline::assess(&ctx, &caller.actor(), &caller.principal, id, &input).await,
        Err(e) => Err(e),
    };
    match assessed {
        Ok(assessed) => {
            if assessed.bank_content_id.is_some() {
                ctx.banks.sync().await.or_page(&headers)?;
            }
            Ok(back_with(id, Done::Assessed))
        }
        Err(e) => sent_back(&ctx, &headers, &caller, id, form.typed(), e).await,
    }
}

#[derive(Deserialize)]
pub(super) struct AttributionForm {
    csrf: Option<String>,
    #[serde(default)]
    hosting_country: String,
    #[serde(default)]
    provider_id: String,
}

pub(super) async fn attribute(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path((id, url_id)): Path<(i64, i64)>,
    Form(form): Form<AttributionForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let provider = match form.provider_id.trim() {
        "" => Ok(None),
        text => text
            .parse::<i64>()
            .map(Some)
            .map_err(|_| HotlineError::Invalid("provider_id", "choose a provider".into())),
    };
    let saved = match provider {
        Ok(provider) => {
            hotline::attribute(
                &ctx.store,
                &caller.actor(),
                &caller.principal,
                id,
                url_id,
                Some(form.hosting_country.trim()),
                provider,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(back_with(id, Done::Saved)),
        Err(e) => {
            let typed = Typed::new(
                format!("url-{url_id}"),
                &[
                    ("hosting_country", &form.hosting_country),
                    ("provider_id", &form.provider_id),
                ],
            );
            sent_back(&ctx, &headers, &caller, id, typed, e).await
        }
    }
}

pub(super) async fn confirm_removal(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path((id, url_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    hotline::takedown::confirm_removal(&ctx.store, &caller.actor(), &caller.principal, id, url_id)
        .await
        .or_page(&headers)?;
    Ok(back_with(id, Done::RemovalConfirmed))
}

#[derive(Deserialize)]
pub(super) struct PoliceForm {
    csrf: Option<String>,
    #[serde(default)]
    organisation: String,
}

/// Refers the report to a law-enforcement organisation (as `POST
/// /api/v1/reports/{id}/referrals/law-enforcement`), whose users then find it in their inbox.
pub(super) async fn refer_police(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<PoliceForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    match hotline::exports::refer_to_law_enforcement(
        &ctx.store,
        &caller.actor(),
        &caller.principal,
        id,
        form.organisation.trim(),
    )
    .await
    {
        Ok(()) => Ok(back_with(id, Done::ReferredPolice)),
        Err(e) => {
            let typed = Typed::new("police", &[("organisation", &form.organisation)]);
            sent_back(&ctx, &headers, &caller, id, typed, e).await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct CareForm {
    csrf: Option<String>,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    risk_level: String,
}

/// Opens a care case for the child at a care organisation (as `POST
/// /api/v1/reports/{id}/care-case`).
pub(super) async fn refer_care(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<CareForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    // As the API: high unless the analyst says otherwise.
    let risk = match form.risk_level.trim() {
        "" => "high",
        given => given,
    };
    match hotline::refer_to_care(
        &ctx,
        &caller.actor(),
        &caller.principal,
        id,
        form.organisation.trim(),
        risk,
    )
    .await
    {
        Ok(_) => Ok(back_with(id, Done::ReferredCare)),
        Err(e) => {
            let typed = Typed::new(
                "care",
                &[
                    ("organisation", &form.organisation),
                    ("risk_level", &form.risk_level),
                ],
            );
            sent_back(&ctx, &headers, &caller, id, typed, e).await
        }
    }
}
