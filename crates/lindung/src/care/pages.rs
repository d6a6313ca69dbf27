//! Care pages: the case list, registration and the printout for a child or guardian here; the
//! case page with its forms in [`case_page`] (assessment in [`assess`]); the supervisor's
//! approval queue and the referral inbox in [`inbox`]; referral, assignment and transfer in
//! [`team`]. Plain HTML forms that work without
//! JavaScript on a small phone screen.
//!
//! Every action ends on a page that says what was done (`?done=<action>`); a form the domain
//! refuses is shown again with what was typed, the faulty field marked and the reason in the
//! caller's language.

mod assess;
mod case_page;
mod inbox;
mod pictures;
mod shown;
mod team;

use std::collections::HashMap;

use crate::http::Form;
use askama::Template;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{CareContext, CareError, CaseRow, CaseView, Guardian, Identity, RISK_LEVELS};
use crate::http::i18n::Tr;
use crate::http::{Access, Caller, Chrome, Endpoint, OrPage, PageError, PageResult, render};

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    CareContext: FromRef<S>,
{
    let page = Access::Page(super::api::CARE_STAFF);
    let mut all = vec![
        Endpoint::get("/care", page, list),
        Endpoint::get("/care/new", page, new_form),
        Endpoint::post("/care/new", page, register),
        Endpoint::get("/care/{id}/export", page, export),
    ];
    all.extend(inbox::endpoints());
    all.extend(assess::endpoints());
    all.extend(case_page::endpoints());
    all.extend(team::endpoints());
    all.extend(pictures::endpoints());
    all
}

/// What an action did, said on the page it returns to. Anything else in `?done=` says nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Done {
    Registered,
    Consented,
    Withdrawn,
    Moved,
    AwaitsApproval,
    Approved,
    Returned,
    Planned,
    ServiceUpdated,
    Noted,
    NoteEdited,
    Assessed,
    Referred,
    Assigned,
    Transferred,
    Accepted,
    Rejected,
    Linked,
}

impl Done {
    const ALL: [Done; 18] = [
        Done::Registered,
        Done::Consented,
        Done::Withdrawn,
        Done::Moved,
        Done::AwaitsApproval,
        Done::Approved,
        Done::Returned,
        Done::Planned,
        Done::ServiceUpdated,
        Done::Noted,
        Done::NoteEdited,
        Done::Assessed,
        Done::Referred,
        Done::Assigned,
        Done::Transferred,
        Done::Accepted,
        Done::Rejected,
        Done::Linked,
    ];

    fn named(name: &str) -> Option<Done> {
        Done::ALL.into_iter().find(|d| d.as_str() == name)
    }

    fn as_str(self) -> &'static str {
        match self {
            Done::Registered => "registered",
            Done::Consented => "consented",
            Done::Withdrawn => "withdrawn",
            Done::Moved => "moved",
            Done::AwaitsApproval => "awaits-approval",
            Done::Approved => "approved",
            Done::Returned => "returned",
            Done::Planned => "planned",
            Done::ServiceUpdated => "service-updated",
            Done::Noted => "noted",
            Done::NoteEdited => "note-edited",
            Done::Assessed => "assessed",
            Done::Referred => "referred",
            Done::Assigned => "assigned",
            Done::Transferred => "transferred",
            Done::Accepted => "accepted",
            Done::Rejected => "rejected",
            Done::Linked => "hashes-linked",
        }
    }
}

/// `?done=` on a page's address.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DoneQuery {
    done: Option<String>,
}

impl DoneQuery {
    /// The page's chrome, with the confirmation of what was just done.
    fn chrome(&self, chrome: Chrome) -> Chrome {
        match self.done.as_deref().and_then(Done::named) {
            Some(done) => {
                let notice = chrome.tr.t(&format!("care-done-{}", done.as_str()));
                chrome.with_notice(notice)
            }
            None => chrome,
        }
    }
}

/// Where an action returns: `path` confirming `done`.
fn done_at(path: &str, done: Done) -> Response {
    Redirect::to(&format!("{path}?done={}", done.as_str())).into_response()
}

/// A form the domain refused: which form, the field at fault, the reason in the caller's
/// language, and what was typed, to show the form again as it was.
#[derive(Clone, Debug, Default)]
pub(crate) struct Failed {
    pub form: String,
    pub field: Option<&'static str>,
    pub message: String,
    pub typed: HashMap<&'static str, String>,
    /// What was typed into fields the deployment names (an assessment's questions).
    pub answers: HashMap<String, String>,
}

impl Failed {
    /// The refusal of `form` by `error` in words, or `None` for an error that is no fault of
    /// the form (not found, not allowed, a database failure): those get the error page.
    pub fn of(tr: &Tr, form: impl Into<String>, error: &CareError) -> Option<Failed> {
        let (field, message) = match error {
            CareError::Invalid(field, _) => (
                Some(*field),
                // The domain's own text names values and is written for developers; the page
                // says it in words of its own, per field.
                tr.try_t(&format!("care-error-{field}"))
                    .unwrap_or_else(|| tr.t("error-invalid")),
            ),
            CareError::ConsentRequired(purpose) => (
                None,
                tr.t1(
                    "care-error-consent",
                    "purpose",
                    tr.t(&format!("care-purpose-{purpose}")),
                ),
            ),
            CareError::NoteLocked => (
                Some("body"),
                tr.try_t("error-note_locked")
                    .unwrap_or_else(|| tr.t("error-invalid")),
            ),
            CareError::NotFound
            | CareError::Forbidden
            | CareError::Db(_)
            | CareError::Internal(_) => {
                return None;
            }
        };
        Some(Failed {
            form: form.into(),
            field,
            message,
            typed: HashMap::new(),
            answers: HashMap::new(),
        })
    }

    pub fn typed(mut self, field: &'static str, value: &str) -> Failed {
        self.typed.insert(field, value.to_owned());
        self
    }
}

/// What the templates ask of a failed form.
pub(crate) trait FormState {
    fn failed(&self) -> Option<&Failed>;

    /// The error summary for `form`, if it is the one that failed.
    fn error_of(&self, form: &str) -> Option<&str> {
        self.failed()
            .filter(|f| f.form == form)
            .map(|f| f.message.as_str())
    }

    /// Whether `field` of `form` is the one at fault.
    fn invalid(&self, form: &str, field: &str) -> bool {
        self.failed()
            .is_some_and(|f| f.form == form && f.field == Some(field))
    }

    /// What was typed into `field` of `form` before it was refused, or nothing.
    fn typed(&self, form: &str, field: &str) -> &str {
        self.failed()
            .filter(|f| f.form == form)
            .and_then(|f| f.typed.get(field))
            .map_or("", String::as_str)
    }
}

/// The page refusal for an error that is no fault of a form.
fn refused(headers: &HeaderMap, error: CareError) -> PageError {
    PageError::new(headers, error.into())
}

/// A value chosen from one of the page's lists; anything else names the field.
fn chosen<T: std::str::FromStr<Err = String>>(
    field: &'static str,
    value: &str,
) -> Result<T, CareError> {
    value.parse().map_err(|e| CareError::Invalid(field, e))
}

#[derive(Template)]
#[template(path = "care_list.html")]
struct ListPage {
    chrome: Chrome,
    /// A case worker's own cases; a supervisor's organisation's.
    mine: Vec<CaseRow>,
    /// For a case worker: cases of other organisations referred to theirs and accepted.
    shared: Vec<super::IncomingReferral>,
    is_supervisor: bool,
}

async fn list(
    State(ctx): State<CareContext>,
    headers: HeaderMap,
    caller: Caller,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let mine = super::list_cases(&ctx.store, &caller.actor(), &caller.principal)
        .await
        .or_page(&headers)?;
    let is_supervisor = caller.principal.role == crate::access::Role::Supervisor;
    // The others a worker may see are the cases referred to their organisation and accepted;
    // pending ones wait in the referral inbox.
    let shared = if is_supervisor {
        Vec::new()
    } else {
        super::incoming_referrals(&ctx.store, &ctx.fields, &caller.actor(), &caller.principal)
            .await
            .or_page(&headers)?
            .into_iter()
            .filter(|r| r.status == "accepted")
            .collect()
    };
    let page = ListPage {
        chrome: query.chrome(Chrome::for_caller(&caller, &headers, "care-title")),
        mine,
        shared,
        is_supervisor,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "care_new.html")]
struct NewPage {
    chrome: Chrome,
    risks: &'static [&'static str],
    failed: Option<Failed>,
}

impl FormState for NewPage {
    fn failed(&self) -> Option<&Failed> {
        self.failed.as_ref()
    }
}

async fn new_form(headers: HeaderMap, caller: Caller) -> PageResult {
    let page = NewPage {
        chrome: Chrome::for_caller(&caller, &headers, "care-new"),
        risks: RISK_LEVELS,
        failed: None,
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
        "" => Ok(None),
        text => text
            .parse::<u8>()
            .map(Some)
            .map_err(|_| CareError::Invalid("age_estimate", "the age is a number of years".into())),
    };
    let created = match age_estimate {
        Ok(age_estimate) => {
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
            super::create_case(
                &ctx,
                &caller.actor(),
                &caller.principal,
                &identity,
                &form.risk_level,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(created) => Ok(done_at(&format!("/care/{}", created.id), Done::Registered)),
        Err(e) => {
            let chrome = Chrome::for_caller(&caller, &headers, "care-new");
            let Some(failed) = Failed::of(&chrome.tr, "register", &e) else {
                return Err(refused(&headers, e));
            };
            let failed = failed
                .typed("name", &form.name)
                .typed("age_estimate", &form.age_estimate)
                .typed("language", &form.language)
                .typed("location", &form.location)
                .typed("guardian", &form.guardian)
                .typed("risk_level", &form.risk_level);
            let page = NewPage {
                chrome,
                risks: RISK_LEVELS,
                failed: Some(failed),
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "care_export.html")]
struct ExportPage {
    tr: Tr,
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
        return Err(refused(&headers, CareError::Forbidden));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_confirmation_has_words_and_its_name_comes_back() {
        for lang in ["en", "th"] {
            let tr = Tr::new(lang);
            for done in Done::ALL {
                let key = format!("care-done-{}", done.as_str());
                assert!(tr.try_t(&key).is_some(), "{lang}: {key}");
                assert_eq!(Done::named(done.as_str()), Some(done));
            }
        }
        assert_eq!(Done::named("care-done-approved"), None);
    }

    /// The fields care's domain names when it refuses a value, from its source: each needs
    /// words of its own, or a page would fall back to the general "check what you entered".
    fn refused_fields() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/care");
        let mut fields = Vec::new();
        for entry in std::fs::read_dir(dir).expect("src/care") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            for opener in ["CareError::Invalid(", "check_one_of("] {
                for (at, _) in text.match_indices(opener) {
                    let rest = text[at + opener.len()..].trim_start();
                    if let Some(quoted) = rest.strip_prefix('"')
                        && let Some(end) = quoted.find('"')
                        && quoted[..end]
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_')
                    {
                        fields.push(quoted[..end].to_owned());
                    }
                }
            }
        }
        fields.sort();
        fields.dedup();
        fields
    }

    #[test]
    fn every_field_the_domain_refuses_has_words_in_english_and_thai() {
        let fields = refused_fields();
        assert!(fields.contains(&"age_estimate".to_owned()), "{fields:?}");
        for field in fields {
            for lang in ["en", "th"] {
                let tr = Tr::new(lang);
                let failed = Failed::of(&tr, "form", &CareError::Invalid(leak(&field), "x".into()))
                    .expect("a form's fault");
                assert_ne!(failed.message, tr.t("error-invalid"), "{lang}: {field}");
            }
        }
    }

    fn leak(text: &str) -> &'static str {
        Box::leak(text.to_owned().into_boxed_str())
    }

    #[test]
    fn a_refusal_is_said_in_the_readers_words_never_the_domains() {
        let tr = Tr::new("th");
        let error = CareError::Invalid("age_estimate", "the age is a number of years".into());
        let failed = Failed::of(&tr, "register", &error)
            .expect("a form's fault")
            .typed("name", "Nok");
        assert_eq!(failed.field, Some("age_estimate"));
        assert_eq!(failed.message, "อายุต้องเป็นจำนวนปี เช่น 12");
        assert_eq!(failed.typed.get("name").map(String::as_str), Some("Nok"));
        let consent = Failed::of(
            &tr,
            "refer",
            &CareError::ConsentRequired(super::super::ConsentPurpose::Disclosure),
        )
        .expect("a form's fault");
        assert!(
            consent.message.contains("การเปิดเผยข้อมูลแก่หน่วยงานอื่น"),
            "{}",
            consent.message
        );
        assert!(Failed::of(&tr, "register", &CareError::Forbidden).is_none());
        assert!(Failed::of(&tr, "register", &CareError::NotFound).is_none());
    }
}
