//! What the case page shows in words rather than values: assessments with their questions and
//! answers in the reader's language, referrals with the fields they shared.

use std::collections::HashMap;

use crate::care::{CareContext, CaseView};
use crate::http::i18n::Tr;

/// An assessment as the page shows it: the form's title and each question with its answer, in
/// the reader's language.
pub(crate) struct AssessmentShown {
    pub title: String,
    pub at: String,
    pub author: String,
    pub answers: Vec<(String, String)>,
}

/// A referral as the page shows it: what was shared, in words.
pub(crate) struct ReferralShown {
    pub service: String,
    pub to_org: String,
    pub status: String,
    pub reason: Option<String>,
    pub shared: Vec<(String, String)>,
}

/// A label from a map of labels by language: the reader's, else English.
pub(super) fn label_in(tr: &Tr, labels: &std::collections::BTreeMap<String, String>) -> String {
    labels
        .get(&tr.lang)
        .or_else(|| labels.get("en"))
        .cloned()
        .unwrap_or_default()
}

pub(super) fn assessments_shown(
    ctx: &CareContext,
    tr: &Tr,
    case: &CaseView,
    emails: &HashMap<i32, String>,
) -> Vec<AssessmentShown> {
    case.assessments
        .iter()
        .map(|a| {
            let form = ctx.config.forms.iter().find(|f| f.id == a.form);
            let answers = a
                .answers
                .as_object()
                .map(|answers| {
                    answers
                        .iter()
                        .map(|(key, value)| {
                            let question =
                                form.and_then(|f| f.questions.iter().find(|q| &q.id == key));
                            let label =
                                question.map_or_else(|| key.clone(), |q| label_in(tr, &q.label));
                            (label, answer_words(tr, value))
                        })
                        .collect()
                })
                .unwrap_or_default();
            AssessmentShown {
                title: form.map_or_else(|| a.form.clone(), |f| label_in(tr, &f.title)),
                at: tr.when_text(&a.at),
                author: emails.get(&a.author_id).cloned().unwrap_or_default(),
                answers,
            }
        })
        .collect()
}

/// An answer in words: yes or no, a number, a choice by its label, or the text written.
fn answer_words(tr: &Tr, value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Bool(yes) => tr.t(if *yes { "care-yes" } else { "care-no" }),
        serde_json::Value::String(text) => tr
            .try_t(&format!("care-choice-{text}"))
            .unwrap_or_else(|| text.clone()),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    }
}

pub(super) fn referrals_shown(tr: &Tr, case: &CaseView) -> Vec<ReferralShown> {
    case.referrals
        .iter()
        .map(|r| ReferralShown {
            service: tr.t(&format!("care-service-{}", r.service)),
            to_org: r.to_org.clone(),
            status: tr.t(&format!("care-referral-{}", r.status)),
            reason: r.reason.clone(),
            shared: r
                .shared
                .as_object()
                .map(|fields| {
                    fields
                        .iter()
                        .filter(|(key, _)| key.as_str() != "reference")
                        .map(|(key, value)| {
                            let label = tr
                                .try_t(&format!("care-field-{key}"))
                                .unwrap_or_else(|| tr.t("care-field-other"));
                            let value = match (key.as_str(), value) {
                                ("risk_level", serde_json::Value::String(level)) => {
                                    tr.t(&format!("care-risk-{level}"))
                                }
                                (_, serde_json::Value::String(text)) => text.clone(),
                                (_, serde_json::Value::Null) => "—".into(),
                                (_, other) => other.to_string(),
                            };
                            (label, value)
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}
