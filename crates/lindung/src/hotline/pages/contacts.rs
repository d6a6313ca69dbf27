//! Hosting providers and partner hotlines: everyone who works reports reads them; admins add
//! and change them here (as through the API), and a refused entry comes back as typed.

use crate::http::Form;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use sea_orm::{EntityTrait, QueryOrder};
use serde::Deserialize;

use super::form::{Typed, country, language};
use crate::hotline::entities::{partner, provider};
use crate::hotline::{HotlineContext, HotlineError, contacts};
use crate::http::{Caller, Chrome, OrPage, PageResult, render};

/// A provider or partner as the page shows it: country and language in words.
pub struct ContactRow {
    pub id: i64,
    pub name: String,
    pub country: String,
    pub country_name: String,
    pub email: String,
    pub language: String,
    pub language_name: String,
}

/// Providers, or partner hotlines.
pub struct ContactSection {
    /// `providers` or `partners`, as in the forms' addresses.
    pub kind: &'static str,
    pub title: String,
    pub email_label: String,
    pub rows: Vec<ContactRow>,
}

#[derive(Template)]
#[template(path = "hotline_contacts.html")]
struct ContactsPage {
    chrome: Chrome,
    notice: Option<String>,
    typed: Typed,
    sections: Vec<ContactSection>,
    /// The languages notices can be written in (those with a template), by their own names.
    languages: Vec<(String, String)>,
}

async fn contacts_page(
    ctx: &HotlineContext,
    headers: &HeaderMap,
    caller: &Caller,
    notice: Option<String>,
    typed: Typed,
    status: StatusCode,
) -> PageResult {
    let chrome = Chrome::for_caller(caller, headers, "hotline-contacts");
    let tr = &chrome.tr;
    let providers: Vec<ContactRow> = provider::Entity::find()
        .order_by_asc(provider::Column::Name)
        .all(ctx.store.db())
        .await
        .or_page(headers)?
        .into_iter()
        .map(|p| {
            let code = p.country.unwrap_or_default();
            ContactRow {
                id: p.id,
                name: p.name,
                country_name: country(tr, &code),
                country: code,
                email: p.abuse_email,
                language_name: language(&p.language),
                language: p.language,
            }
        })
        .collect();
    let partners: Vec<ContactRow> = partner::Entity::find()
        .order_by_asc(partner::Column::Country)
        .all(ctx.store.db())
        .await
        .or_page(headers)?
        .into_iter()
        .map(|p| ContactRow {
            id: p.id,
            name: p.name,
            country_name: country(tr, &p.country),
            country: p.country,
            email: p.email,
            language_name: language(&p.language),
            language: p.language,
        })
        .collect();
    let languages = ctx
        .config
        .notices
        .templates
        .keys()
        .map(|code| (code.clone(), language(code)))
        .collect();
    let sections = vec![
        ContactSection {
            kind: "providers",
            title: tr.t("hotline-providers-title"),
            email_label: tr.t("hotline-abuse-email"),
            rows: providers,
        },
        ContactSection {
            kind: "partners",
            title: tr.t("hotline-partners-title"),
            email_label: tr.t("hotline-email"),
            rows: partners,
        },
    ];
    let page = ContactsPage {
        notice,
        chrome,
        typed,
        sections,
        languages,
    };
    Ok(render(status, &page))
}

pub(super) async fn contacts(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    axum::extract::Query(query): axum::extract::Query<super::ShowQuery>,
) -> PageResult {
    let notice = (query.done.as_deref() == Some("saved")).then(|| {
        Chrome::for_caller(&caller, &headers, "hotline-contacts")
            .tr
            .t("hotline-done-saved")
    });
    contacts_page(
        &ctx,
        &headers,
        &caller,
        notice,
        Typed::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct ContactForm {
    csrf: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    language: String,
}

impl ContactForm {
    fn input(&self) -> contacts::ContactInput {
        contacts::ContactInput {
            name: self.name.clone(),
            country: Some(self.country.clone()),
            email: self.email.clone(),
            language: Some(self.language.clone()),
        }
    }
}

fn to_contacts() -> Response {
    Redirect::to("/hotline/contacts?done=saved").into_response()
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
    let (actor, input) = (caller.actor(), form.input());
    let by = &caller.principal;
    let saved = match kind {
        "providers" => contacts::save_provider(ctx, &actor, by, id, &input)
            .await
            .map(drop),
        "partners" => contacts::save_partner(ctx, &actor, by, id, &input)
            .await
            .map(drop),
        _ => Err(HotlineError::NotFound),
    };
    let Err(error) = saved else {
        return Ok(to_contacts());
    };
    // The form that was sent: the new-entry form of its kind, or the entry's own.
    let which = match id {
        Some(id) => format!("{kind}-{id}"),
        None => format!("{kind}-new"),
    };
    let typed = Typed::new(
        which,
        &[
            ("name", &form.name),
            ("country", &form.country),
            ("email", &form.email),
            ("language", &form.language),
        ],
    );
    let tr = Chrome::for_caller(caller, headers, "hotline-contacts").tr;
    let (typed, status) = match &error {
        // One partner hotline a country: the country is what to change.
        HotlineError::Conflict(..) => (
            typed.fault(&tr, Some("country"), "partner_country_taken"),
            StatusCode::CONFLICT,
        ),
        _ => match typed.refused(&tr, &error) {
            Some(typed) => (typed, StatusCode::UNPROCESSABLE_ENTITY),
            None => return Err(error).or_page(headers),
        },
    };
    contacts_page(ctx, headers, caller, None, typed, status).await
}

pub(super) async fn add_contact(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path(kind): Path<String>,
    Form(form): Form<ContactForm>,
) -> PageResult {
    save_contact(&ctx, &headers, &caller, &kind, None, form).await
}

pub(super) async fn edit_contact(
    State(ctx): State<HotlineContext>,
    headers: HeaderMap,
    caller: Caller,
    Path((kind, id)): Path<(String, i64)>,
    Form(form): Form<ContactForm>,
) -> PageResult {
    save_contact(&ctx, &headers, &caller, &kind, Some(id), form).await
}
