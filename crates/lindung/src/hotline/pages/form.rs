//! What the analysts' forms share: a refused form comes back with what was typed and the field
//! at fault marked, and closed vocabularies are shown as words in the reader's language.

use std::collections::HashMap;

use crate::hotline::HotlineError;
use crate::http::i18n::Tr;

/// A form sent back because something in it was refused: the values typed (kept, so nothing
/// has to be typed again), the field at fault (marked for the eye and for screen readers) and
/// a summary of the fault in the user's language.
#[derive(Clone, Debug, Default)]
pub struct Typed {
    /// Which form of the page was refused (`assess`, `police`, `provider-new`, ...).
    form: String,
    values: HashMap<&'static str, String>,
    field: Option<String>,
    /// What is wrong, in the user's language; never a message key or the domain's own text,
    /// which is written for developers.
    pub summary: Option<String>,
}

impl Typed {
    /// A form as it was typed.
    pub fn new(form: impl Into<String>, values: &[(&'static str, &str)]) -> Typed {
        Typed {
            form: form.into(),
            values: values.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
            field: None,
            summary: None,
        }
    }

    /// The form refused for `error`, with the field at fault; `None` when the error is not
    /// about what was typed (not found, forbidden, a database failure), which the page's error
    /// page then answers.
    pub fn refused(self, tr: &Tr, error: &HotlineError) -> Option<Typed> {
        let (field, code) = match error {
            HotlineError::Invalid(field, _) => (Some(*field), "invalid"),
            HotlineError::Conflict(code, _) => (None, *code),
            _ => return None,
        };
        Some(self.fault(tr, field, code))
    }

    /// Marks `field` (if any) at fault, summarised by its own words, else the words of the
    /// error's code, else the general words.
    pub fn fault(mut self, tr: &Tr, field: Option<&str>, code: &str) -> Typed {
        // A specific refusal (a conflict) has words of its own; a plain "invalid" is best said
        // by the field's words.
        let own = (code != "invalid")
            .then(|| tr.try_t(&format!("hotline-error-{code}")))
            .flatten();
        let summary = own
            .or_else(|| field.and_then(|f| tr.try_t(&format!("hotline-error-{f}"))))
            .or_else(|| tr.try_t(&format!("error-{code}")))
            .unwrap_or_else(|| tr.t("error-generic"));
        self.field = field.map(|f| field_name(f).to_owned());
        self.summary = Some(summary);
        self
    }

    /// What was typed in `field` of `form`, if that form was sent back; else `default`.
    pub fn value<'a>(&'a self, form: &str, field: &str, default: &'a str) -> &'a str {
        if self.form == form {
            self.values.get(field).map_or(default, String::as_str)
        } else {
            default
        }
    }

    /// Whether `form` is the one sent back (to open it if folded).
    pub fn was_sent(&self, form: &str) -> bool {
        self.form == form && self.summary.is_some()
    }

    /// Whether `value` is the one chosen in `field` of `form` when it was sent back.
    pub fn chose(&self, form: &str, field: &str, value: &str) -> bool {
        self.form == form && self.values.get(field).is_some_and(|v| v == value)
    }

    /// The attributes marking `field` of `form` when it is the one at fault.
    pub fn mark(&self, form: &str, field: &str) -> &'static str {
        if self.form == form && self.field.as_deref() == Some(field) {
            r#" aria-invalid="true" class="invalid""#
        } else {
            ""
        }
    }

    /// The id of the field at fault, for the summary's link to it.
    pub fn anchor(&self) -> String {
        self.field
            .as_deref()
            .map(|f| format!("#{}-{f}", self.form))
            .unwrap_or_default()
    }
}

/// The form field a domain field is typed in (the domain names an item `item_id`).
fn field_name(field: &str) -> &str {
    match field {
        "item_id" | "item_kind" => "item",
        other => other,
    }
}

/// The words for `value` of a closed vocabulary (`prefix-value`); a value without words of its
/// own (one added later) shows as the general "other", never as a key.
pub fn word(tr: &Tr, prefix: &str, value: &str) -> String {
    tr.try_t(&format!("{prefix}-{value}"))
        .unwrap_or_else(|| tr.t("hotline-other"))
}

/// A country's name in the reader's language, for the countries the hotline names; others by
/// their ISO code.
pub fn country(tr: &Tr, code: &str) -> String {
    tr.try_t(&format!("hl-country-{code}"))
        .unwrap_or_else(|| code.to_owned())
}

/// A language by its own name (`ไทย`), for the languages of notices.
pub fn language(code: &str) -> String {
    crate::http::i18n::PUBLIC_LANGUAGES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_owned(), |(_, name)| (*name).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_form_keeps_what_was_typed_and_marks_the_field() {
        let tr = Tr::new("th");
        let typed = Typed::new("assess", &[("gender", "girl"), ("age_group", "")])
            .refused(
                &tr,
                &HotlineError::Invalid("age_group", "age_group is one of".into()),
            )
            .expect("a refusal of what was typed");
        assert_eq!(typed.value("assess", "gender", ""), "girl");
        assert_eq!(typed.value("police", "gender", "x"), "x");
        assert!(typed.mark("assess", "age_group").contains("aria-invalid"));
        assert_eq!(typed.mark("assess", "gender"), "");
        let summary = typed.summary.clone().unwrap_or_default();
        assert!(
            !summary.contains("hotline-") && !summary.contains("one of"),
            "{summary}"
        );
        assert!(
            Typed::default()
                .refused(&tr, &HotlineError::NotFound)
                .is_none()
        );
    }
}
