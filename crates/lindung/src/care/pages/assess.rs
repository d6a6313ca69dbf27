//! The care assessment of a case (`plan::assess`): one of the deployment's forms, its questions
//! in the reader's language, the answers checked by the same function the API calls.

use std::collections::HashMap;

use crate::http::Form;
use askama::Template;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use super::shown::label_in;
use super::{Done, Failed, FormState, done_at, refused};
use crate::care::plan::Answers;
use crate::care::{CareContext, CareError};
use crate::http::i18n::Tr;
use crate::http::{Access, Caller, Chrome, Endpoint, OrPage, PageResult, render};

pub(super) fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    CareContext: FromRef<S>,
{
    let page = Access::Page(crate::care::api::CARE_STAFF);
    vec![
        Endpoint::get("/care/{id}/assess", page, form),
        Endpoint::post("/care/{id}/assess", page, record),
    ]
}

/// A question as the page asks it.
struct Asked {
    id: String,
    label: String,
    /// `yes_no`, `scale`, `choice` or `text`.
    kind: String,
    /// For a choice: (value, label).
    options: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "care_assess.html")]
struct AssessPage {
    chrome: Chrome,
    case_id: i64,
    reference: String,
    form_id: String,
    questions: Vec<Asked>,
    failed: Option<Failed>,
}

impl FormState for AssessPage {
    fn failed(&self) -> Option<&Failed> {
        self.failed.as_ref()
    }
}

impl AssessPage {
    /// What was typed for a question; questions are named by the deployment, so not `'static`.
    fn answer(&self, question: &str) -> &str {
        self.failed
            .as_ref()
            .and_then(|f| f.answers.get(question))
            .map_or("", String::as_str)
    }
}

#[derive(Debug, Default, Deserialize)]
struct FormQuery {
    form: Option<String>,
}

fn questions(ctx: &CareContext, tr: &Tr, form_id: &str) -> Result<Vec<Asked>, CareError> {
    let form = ctx
        .config
        .forms
        .iter()
        .find(|f| f.id == form_id)
        .ok_or_else(|| CareError::Invalid("form", format!("no assessment form {form_id:?}")))?;
    Ok(form
        .questions
        .iter()
        .map(|q| Asked {
            id: q.id.clone(),
            label: label_in(tr, &q.label),
            kind: q.kind.clone(),
            options: q
                .options
                .iter()
                .map(|o| {
                    let label = tr
                        .try_t(&format!("care-choice-{o}"))
                        .unwrap_or_else(|| o.clone());
                    (o.clone(), label)
                })
                .collect(),
        })
        .collect())
}

async fn page(
    ctx: &CareContext,
    headers: &HeaderMap,
    caller: &Caller,
    id: i64,
    form_id: &str,
    failed: Option<Failed>,
) -> PageResult {
    let case = crate::care::read_case(ctx, &caller.actor(), &caller.principal, id)
        .await
        .or_page(headers)?;
    if case.view != "full" {
        return Err(refused(headers, CareError::Forbidden));
    }
    let chrome = Chrome::for_caller(caller, headers, "care-assess");
    let questions = questions(ctx, &chrome.tr, form_id).or_page(headers)?;
    let status = if failed.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = AssessPage {
        chrome,
        case_id: case.id,
        reference: case.reference,
        form_id: form_id.to_owned(),
        questions,
        failed,
    };
    Ok(render(status, &page))
}

async fn form(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Query(query): Query<FormQuery>,
) -> PageResult {
    let form_id = query
        .form
        .or_else(|| ctx.config.forms.first().map(|f| f.id.clone()))
        .unwrap_or_default();
    page(&ctx, &headers, &caller, id, &form_id, None).await
}

/// The answers typed, as the form's kinds want them; an empty answer is left out.
fn answers(ctx: &CareContext, form_id: &str, typed: &HashMap<String, String>) -> Answers {
    let mut answers = serde_json::Map::new();
    if let Some(form) = ctx.config.forms.iter().find(|f| f.id == form_id) {
        for q in &form.questions {
            let Some(text) = typed.get(&q.id).map(|t| t.trim()).filter(|t| !t.is_empty()) else {
                continue;
            };
            let value = match q.kind.as_str() {
                "yes_no" => Value::Bool(text == "yes"),
                // Anything but a number is sent on as text, which the form's check refuses
                // with the question named.
                "scale" => text
                    .parse::<u64>()
                    .map_or_else(|_| Value::String(text.to_owned()), Value::from),
                _ => Value::String(text.to_owned()),
            };
            answers.insert(q.id.clone(), value);
        }
    }
    Answers {
        form: form_id.to_owned(),
        answers,
    }
}

async fn record(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(typed): Form<HashMap<String, String>>,
) -> PageResult {
    caller
        .check_csrf(typed.get("csrf").map(String::as_str))
        .or_page(&headers)?;
    let form_id = typed.get("form").cloned().unwrap_or_default();
    let input = answers(&ctx, &form_id, &typed);
    match crate::care::plan::record_assessment(&ctx, &caller.actor(), &caller.principal, id, &input)
        .await
    {
        Ok(_) => Ok(done_at(&format!("/care/{id}"), Done::Assessed)),
        Err(e) => {
            let tr = Chrome::for_caller(&caller, &headers, "care-assess").tr;
            let Some(mut failed) = Failed::of(&tr, "assess", &e) else {
                return Err(refused(&headers, e));
            };
            failed.answers = typed.into_iter().filter(|(key, _)| key != "csrf").collect();
            page(&ctx, &headers, &caller, id, &form_id, Some(failed)).await
        }
    }
}
