//! A version as a report: every tier with all its items, each with its answer or "not
//! answered", for the printable page and the CSV.

use super::assessments::{Answer, AssessmentView};
use super::template::Template;

/// One item of the report.
#[derive(Clone, Debug)]
pub struct ReportItem {
    pub id: String,
    pub question: String,
    pub guidance: String,
    /// The answer, or `None`: not answered.
    pub answer: Option<Answer>,
}

/// One tier of the report.
#[derive(Clone, Debug)]
pub struct ReportTier {
    pub tier: u8,
    pub title: String,
    pub items: Vec<ReportItem>,
}

/// Every tier of the template with its items in `lang`, and the version's answers.
pub fn tiers(template: &Template, view: &AssessmentView, lang: &str) -> Vec<ReportTier> {
    template
        .tiers
        .iter()
        .map(|tier| ReportTier {
            tier: tier.tier,
            title: tier.title.get(lang).to_owned(),
            items: tier
                .items
                .iter()
                .map(|item| ReportItem {
                    id: item.id.clone(),
                    question: item.question.get(lang).to_owned(),
                    guidance: item.guidance.get(lang).to_owned(),
                    answer: view.answers.get(&item.id).cloned(),
                })
                .collect(),
        })
        .collect()
}

/// The CSV: `tier,item,question,status,law,article,note`, one row per item of the template
/// (an item not answered has the status `not_answered`), questions in `lang`.
pub fn to_csv(template: &Template, view: &AssessmentView, lang: &str) -> Result<String, String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "tier", "item", "question", "status", "law", "article", "note",
    ])
    .map_err(|e| e.to_string())?;
    for tier in tiers(template, view, lang) {
        for item in tier.items {
            let answer = item.answer.unwrap_or_default();
            let status = if answer.status.is_empty() {
                "not_answered".to_owned()
            } else {
                answer.status
            };
            out.write_record([
                tier.tier.to_string(),
                item.id,
                guard(&item.question),
                status,
                guard(answer.law.as_deref().unwrap_or("")),
                guard(answer.article.as_deref().unwrap_or("")),
                guard(answer.note.as_deref().unwrap_or("")),
            ])
            .map_err(|e| e.to_string())?;
        }
    }
    let bytes = out.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// A cell a spreadsheet would read as a formula starts with an apostrophe instead.
fn guard(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}
