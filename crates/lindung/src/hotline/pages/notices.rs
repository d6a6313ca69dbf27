//! Notices from the report page: a preview of every notice that would go out (to whom, in which
//! language, with the very text), then sending them.

use crate::http::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use sea_orm::EntityTrait;

use super::form::language;
use super::{CsrfForm, Done, back_with, case};
use crate::access::entities::organisation;
use crate::hotline::entities::{provider, report};
use crate::hotline::takedown::notice_text;
use crate::hotline::{self, HotlineContext, HotlineError};
use crate::http::{Caller, Chrome, OrPage, PageResult, render};

/// One notice as it would be sent.
pub struct Preview {
    pub url: String,
    pub provider: String,
    pub recipient: String,
    pub language: String,
    pub subject: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "hotline_notices.html")]
struct PreviewPage {
    chrome: Chrome,
    id: String,
    notices: Vec<Preview>,
    /// Why nothing can be sent, in words, when nothing can.
    blocked: Option<String>,
}

/// The notices "Send notices" would send now: the first notice for every online URL with a
/// provider and none sent yet, in the provider's language, with the text the mail will carry.
pub(super) async fn preview(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let view = hotline::view(&ctx, &caller.actor(), &caller.principal, id)
        .await
        .or_page(&headers)?;
    let db = ctx.store.db();
    let found = report::Entity::find_by_id(id)
        .one(db)
        .await
        .or_page(&headers)?
        .ok_or(HotlineError::NotFound)
        .or_page(&headers)?;
    let chrome = Chrome::for_caller(&caller, &headers, "hotline-notices-preview");
    let blocked = case::notices_blocked(&ctx, &chrome, &found, &view)
        .await
        .or_page(&headers)?;
    let hotline_name = organisation::Entity::find_by_id(found.organisation_id)
        .one(db)
        .await
        .or_page(&headers)?
        .map_or_else(|| "Lindung".to_owned(), |o| o.name);
    let mut notices = Vec::new();
    if blocked.is_none() {
        for target in case::sendable(&view) {
            let Some(to) = provider::Entity::find_by_id(target.provider_id.unwrap_or_default())
                .one(db)
                .await
                .or_page(&headers)?
            else {
                continue;
            };
            // The template the mail will use: the provider's language's, else English's.
            let written_in = if ctx.config.notices.templates.contains_key(&to.language) {
                to.language.as_str()
            } else {
                "en"
            };
            let template = ctx.config.template(&to.language);
            let (subject, body) = notice_text(template, id, &target.url, &hotline_name, 1);
            notices.push(Preview {
                url: target.url.clone(),
                provider: to.name,
                recipient: to.abuse_email,
                language: language(written_in),
                subject,
                body,
            });
        }
    }
    let page = PreviewPage {
        chrome,
        id: view.id,
        notices,
        blocked,
    };
    Ok(render(StatusCode::OK, &page))
}

/// Sends the notices the preview showed (as `POST /api/v1/reports/{id}/notices`).
pub(super) async fn send(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    caller.check_csrf(form.csrf.as_deref()).or_page(&headers)?;
    let _one_run = ctx.runs.lock().await;
    let outcomes = hotline::takedown::send_notices(&ctx, &caller.actor(), &caller.principal, id)
        .await
        .or_page(&headers)?;
    Ok(back_with(
        id,
        if outcomes.iter().any(|o| o.error.is_some()) {
            Done::NoticesFailed
        } else {
            Done::NoticesSent
        },
    ))
}
