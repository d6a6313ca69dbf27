//! The forms: a country's assessment (every item grouped by tier, prefilled from the latest
//! version; saving makes a new version) and the consultations (list and form). A refused form
//! is shown again with what was typed, the faulty field marked and the reason in the caller's
//! language.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};

use super::super::assessments::{self, Answer, NewAssessment};
use super::super::consultations::{self, AGE_GROUPS, ConsultationView, METHODS, NewConsultation};
use super::super::{COUNTRIES, LegalError, chrome, template};
use super::{CountryParam, country_label, refused, status_label};
use crate::http::i18n::Tr;
use crate::http::{
    Access, ApiError, AuthContext, Caller, Chrome, Endpoint, Form, OrPage, PageResult, Query,
    render,
};
use crate::policy::{POLICY_ROLES, PolicyContext};

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    PolicyContext: FromRef<S>,
    AuthContext: FromRef<S>,
{
    let page = Access::Page(POLICY_ROLES);
    vec![
        Endpoint::get("/policy/assessment", page, assessment_form),
        Endpoint::post("/policy/assessment", page, save_assessment),
        Endpoint::get("/policy/consultations", page, consultations_page),
        Endpoint::post("/policy/consultations", page, save_consultation),
    ]
}

/// A refusal said in the page's language: the field at fault and the words for it.
struct Refusal {
    field: String,
    message: String,
}

impl Refusal {
    /// The words for a refused field: by the field's last name (`answers.<item>.status` is
    /// a `status`), else the general words.
    fn of(tr: &Tr, error: &LegalError) -> Option<Refusal> {
        let field = error.field()?.to_owned();
        if let LegalError::Future(_) = error {
            let message = tr.t("policy-legal-error-future");
            return Some(Refusal { field, message });
        }
        let last = field.rsplit('.').next().unwrap_or(&field);
        // `answers.<item>` alone names an item the template does not have.
        let last = if field.starts_with("answers.") && field.matches('.').count() == 1 {
            "item"
        } else {
            last
        };
        let message = tr
            .try_t(&format!("policy-legal-error-{last}"))
            .unwrap_or_else(|| tr.t("error-invalid"));
        Some(Refusal { field, message })
    }
}

/// One item of the form, with what it holds.
struct FormItem {
    id: String,
    question: String,
    guidance: String,
    status: String,
    law: String,
    article: String,
    note: String,
}

struct FormTier {
    title: String,
    items: Vec<FormItem>,
}

#[derive(Template)]
#[template(path = "policy_legal_assessment.html")]
struct AssessmentPage {
    chrome: Chrome,
    countries: Choices,
    country: Option<&'static str>,
    /// The version the form starts from, if any.
    latest: Option<i32>,
    assessed_on: String,
    statuses: Choices,
    tiers: Vec<FormTier>,
    refusal: Option<Refusal>,
}

impl AssessmentPage {
    fn is_country(&self, code: &str) -> bool {
        self.country == Some(code)
    }

    fn invalid(&self, field: &str) -> bool {
        self.refusal.as_ref().is_some_and(|r| r.field == field)
    }
}

fn form_tiers(lang: &str, values: &dyn Fn(&str) -> Answer) -> Result<Vec<FormTier>, LegalError> {
    let template = template()?;
    Ok(template
        .tiers
        .iter()
        .map(|tier| FormTier {
            title: tier.title.get(lang).to_owned(),
            items: tier
                .items
                .iter()
                .map(|item| {
                    let answer = values(&item.id);
                    FormItem {
                        id: item.id.clone(),
                        question: item.question.get(lang).to_owned(),
                        guidance: item.guidance.get(lang).to_owned(),
                        status: answer.status,
                        law: answer.law.unwrap_or_default(),
                        article: answer.article.unwrap_or_default(),
                        note: answer.note.unwrap_or_default(),
                    }
                })
                .collect(),
        })
        .collect())
}

/// Values of a list with their words: (value, label).
type Choices = Vec<(&'static str, String)>;

/// The countries and the statuses of the form, in the page's language.
fn page_parts(chrome: &Chrome) -> (Choices, Choices) {
    (
        COUNTRIES
            .iter()
            .map(|c| (*c, country_label(&chrome.tr, c)))
            .collect(),
        assessments::STATUSES
            .iter()
            .map(|s| (*s, status_label(&chrome.tr, s)))
            .collect(),
    )
}

async fn assessment_form(
    State(ctx): State<PolicyContext>,
    headers: HeaderMap,
    caller: Caller,
    query: Result<Query<CountryParam>, ApiError>,
) -> PageResult {
    let Query(query) = query.or_page(&headers)?;
    let template = template().map_err(|e| refused(&headers, e))?;
    let country = query.country();
    let latest = match country {
        Some(country) => assessments::latest(
            &ctx.store,
            &template,
            &caller.actor(),
            &caller.principal,
            country,
        )
        .await
        .map_err(|e| refused(&headers, e))?,
        None => None,
    };
    let chrome = chrome(&caller, &headers, "policy-legal-assessment-title");
    let answers = latest
        .as_ref()
        .map(|v| v.answers.clone())
        .unwrap_or_default();
    let tiers = form_tiers(&chrome.tr.lang, &|id: &str| {
        answers.get(id).cloned().unwrap_or_default()
    })
    .map_err(|e| refused(&headers, e))?;
    let (countries, statuses) = page_parts(&chrome);
    let today = crate::helpers::now().date().to_string();
    let page = AssessmentPage {
        countries,
        statuses,
        country,
        latest: latest.map(|v| v.row.version),
        assessed_on: today,
        tiers: if country.is_some() { tiers } else { Vec::new() },
        refusal: None,
        chrome,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The assessment form's fields: `country`, `assessed_on`, and per item `status.<id>`,
/// `law.<id>`, `article.<id>`, `note.<id>`.
fn answers_typed(fields: &HashMap<String, String>) -> Result<BTreeMap<String, Answer>, LegalError> {
    let mut answers: BTreeMap<String, Answer> = BTreeMap::new();
    for (name, value) in fields {
        let Some((what, id)) = name.split_once('.') else {
            continue;
        };
        let entry = || Answer::default();
        let text = Some(value.clone());
        match what {
            "status" => answers.entry(id.to_owned()).or_insert_with(entry).status = value.clone(),
            "law" => answers.entry(id.to_owned()).or_insert_with(entry).law = text,
            "article" => answers.entry(id.to_owned()).or_insert_with(entry).article = text,
            "note" => answers.entry(id.to_owned()).or_insert_with(entry).note = text,
            _ => {}
        }
    }
    // An item with nothing chosen and nothing typed is not answered; text without a status
    // asks for one.
    let mut out = BTreeMap::new();
    for (id, answer) in answers {
        let typed = [&answer.law, &answer.article, &answer.note]
            .iter()
            .any(|t| t.as_deref().is_some_and(|t| !t.trim().is_empty()));
        if answer.status.is_empty() {
            if typed {
                return Err(LegalError::Invalid(
                    format!("answers.{id}.status").into(),
                    format!("answers.{id}.status: choose a status for an item you wrote about"),
                ));
            }
            continue;
        }
        out.insert(id, answer);
    }
    Ok(out)
}

async fn save_assessment(
    State(ctx): State<PolicyContext>,
    headers: HeaderMap,
    caller: Caller,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let fields: HashMap<String, String> = fields.into_iter().collect();
    let get = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let template = template().map_err(|e| refused(&headers, e))?;
    let saved = match answers_typed(&fields) {
        Ok(answers) => {
            let new = NewAssessment {
                country: get("country"),
                assessed_on: get("assessed_on"),
                answers,
            };
            assessments::create(
                &ctx.store,
                &template,
                &caller.actor(),
                &caller.principal,
                new,
            )
            .await
        }
        Err(e) => Err(e),
    };
    let error = match saved {
        Ok(view) => {
            return Ok(
                Redirect::to(&format!("/policy/assessments/{}?done=saved", view.row.id))
                    .into_response(),
            );
        }
        Err(error) => error,
    };
    let chrome = chrome(&caller, &headers, "policy-legal-assessment-title");
    let Some(refusal) = Refusal::of(&chrome.tr, &error) else {
        return Err(refused(&headers, error));
    };
    let typed = |id: &str| Answer {
        status: get(&format!("status.{id}")),
        law: Some(get(&format!("law.{id}"))),
        article: Some(get(&format!("article.{id}"))),
        note: Some(get(&format!("note.{id}"))),
    };
    let tiers = form_tiers(&chrome.tr.lang, &typed).map_err(|e| refused(&headers, e))?;
    let (countries, statuses) = page_parts(&chrome);
    let page = AssessmentPage {
        countries,
        statuses,
        country: super::super::check_country("country", &get("country")).ok(),
        latest: None,
        assessed_on: get("assessed_on"),
        tiers,
        refusal: Some(refusal),
        chrome,
    };
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

#[derive(Template)]
#[template(path = "policy_legal_consultations.html")]
struct ConsultationsPage {
    chrome: Chrome,
    countries: Vec<(&'static str, String)>,
    country: Option<&'static str>,
    age_groups: Vec<(&'static str, String)>,
    methods: Vec<(&'static str, String)>,
    rows: Vec<ConsultationView>,
    typed: HashMap<String, String>,
    /// The age groups ticked.
    ticked: Vec<String>,
    refusal: Option<Refusal>,
}

impl ConsultationsPage {
    fn is_country(&self, code: &str) -> bool {
        self.country == Some(code)
    }

    fn is_ticked(&self, code: &str) -> bool {
        self.ticked.iter().any(|t| t == code)
    }

    fn typed(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }

    fn invalid(&self, field: &str) -> bool {
        self.refusal.as_ref().is_some_and(|r| r.field == field)
    }

    fn age_label(&self, group: &str) -> String {
        self.chrome.tr.t(&format!("policy-legal-age-{group}"))
    }

    fn method_label(&self, method: &str) -> String {
        self.chrome.tr.t(&format!("policy-legal-method-{method}"))
    }
}

/// What the consultation form shows again: what was typed, the age groups ticked, and the
/// refusal with the chrome it was worded in.
#[derive(Default)]
struct Typed {
    typed: HashMap<String, String>,
    ticked: Vec<String>,
    refusal: Option<(Refusal, Chrome)>,
}

async fn render_consultations(
    ctx: &PolicyContext,
    headers: &HeaderMap,
    caller: &Caller,
    country: Option<&'static str>,
    form: Typed,
    notice: bool,
) -> PageResult {
    let Typed {
        typed,
        ticked,
        refusal,
    } = form;
    let rows = consultations::list(&ctx.store, &caller.actor(), &caller.principal, country)
        .await
        .map_err(|e| refused(headers, e))?;
    let (refusal, mut chrome) = match refusal {
        Some((r, chrome)) => (Some(r), chrome),
        None => (
            None,
            chrome(caller, headers, "policy-legal-consultations-title"),
        ),
    };
    if notice {
        let notice = chrome.tr.t("policy-legal-done-consulted");
        chrome = chrome.with_notice(notice);
    }
    let status = if refusal.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ConsultationsPage {
        countries: COUNTRIES
            .iter()
            .map(|c| (*c, country_label(&chrome.tr, c)))
            .collect(),
        age_groups: AGE_GROUPS
            .iter()
            .map(|g| (*g, chrome.tr.t(&format!("policy-legal-age-{g}"))))
            .collect(),
        methods: METHODS
            .iter()
            .map(|m| (*m, chrome.tr.t(&format!("policy-legal-method-{m}"))))
            .collect(),
        country,
        rows,
        typed,
        ticked,
        refusal,
        chrome,
    };
    Ok(render(status, &page))
}

async fn consultations_page(
    State(ctx): State<PolicyContext>,
    headers: HeaderMap,
    caller: Caller,
    query: Result<Query<CountryParam>, ApiError>,
) -> PageResult {
    let Query(query) = query.or_page(&headers)?;
    let country = query.country();
    let mut typed = HashMap::new();
    if let Some(country) = country {
        typed.insert("country".to_owned(), country.to_owned());
    }
    let done = query.done.as_deref() == Some("consulted");
    let form = Typed {
        typed,
        ..Typed::default()
    };
    render_consultations(&ctx, &headers, &caller, country, form, done).await
}

async fn save_consultation(
    State(ctx): State<PolicyContext>,
    headers: HeaderMap,
    caller: Caller,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let ticked: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "age_groups")
        .map(|(_, v)| v.clone())
        .collect();
    let typed: HashMap<String, String> = fields
        .into_iter()
        .filter(|(k, _)| k != "age_groups" && k != "csrf")
        .collect();
    let get = |name: &str| typed.get(name).cloned().unwrap_or_default();
    let participants = get("participants");
    let saved = match participants.trim().parse::<i64>() {
        Ok(count) => {
            let new = NewConsultation {
                country: get("country"),
                reform: get("reform"),
                held_on: get("held_on"),
                participants: count,
                age_groups: ticked.clone(),
                method: get("method"),
                summary: get("summary"),
            };
            consultations::create(&ctx.store, &caller.actor(), &caller.principal, new).await
        }
        Err(_) => Err(LegalError::invalid(
            "participants",
            "participants: a number from 1 to 100000",
        )),
    };
    let error = match saved {
        Ok(created) => {
            return Ok(Redirect::to(&format!(
                "/policy/consultations?country={}&done=consulted",
                created.country
            ))
            .into_response());
        }
        Err(error) => error,
    };
    let chrome = chrome(&caller, &headers, "policy-legal-consultations-title");
    let Some(refusal) = Refusal::of(&chrome.tr, &error) else {
        return Err(refused(&headers, error));
    };
    let country = super::super::check_country("country", &get("country")).ok();
    render_consultations(
        &ctx,
        &headers,
        &caller,
        country,
        Typed {
            typed,
            ticked,
            refusal: Some((refusal, chrome)),
        },
        false,
    )
    .await
}
