//! User-facing text through Project Fluent (`locales/<lang>/main.ftl`). The language comes
//! from the user's setting, else from `Accept-Language`, else English.

use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Plain text in HTML: the bidi isolation marks Fluent adds around arguments would show
        // up in copied text.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// Languages with a complete translation of the staff pages; others fall back to English key
/// by key.
pub const LANGUAGES: &[(&str, &str)] = &[("en", "English"), ("th", "ไทย")];

/// The languages of the pages open to the public (the report form, self-report): every
/// language of the region.
pub const PUBLIC_LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("th", "ไทย"),
    ("vi", "Tiếng Việt"),
    ("id", "Bahasa Indonesia"),
    ("fil", "Filipino"),
    ("ms", "Bahasa Melayu"),
    ("km", "ខ្មែរ"),
    ("lo", "ລາວ"),
    ("my", "မြန်မာ"),
];

/// A translator for one language.
#[derive(Clone, Debug)]
pub struct Tr {
    pub lang: String,
    id: LanguageIdentifier,
}

impl Tr {
    pub fn new(lang: &str) -> Tr {
        Self::among(lang, LANGUAGES)
    }

    /// A translator for `lang` if `offered` lists it, else English. Pages open to the public
    /// (the self-report page) offer more languages than the staff pages.
    pub fn among(lang: &str, offered: &[(&str, &str)]) -> Tr {
        let lang = if offered.iter().any(|(code, _)| *code == lang) {
            lang
        } else {
            "en"
        };
        Tr {
            lang: lang.to_owned(),
            id: lang.parse().unwrap_or_default(),
        }
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn negotiate(user_setting: Option<&str>, accept_language: Option<&str>) -> Tr {
        Self::negotiate_among(user_setting, accept_language, LANGUAGES)
    }

    /// As [`Tr::negotiate`], among the `offered` languages.
    pub fn negotiate_among(
        user_setting: Option<&str>,
        accept_language: Option<&str>,
        offered: &[(&str, &str)],
    ) -> Tr {
        if let Some(lang) = user_setting {
            return Tr::among(lang, offered);
        }
        let mut choices: Vec<(f32, &str)> = accept_language
            .unwrap_or("")
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(1.0);
                Some((q, tag))
            })
            .collect();
        choices.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, tag) in choices {
            let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
            if offered.iter().any(|(code, _)| *code == primary) {
                return Tr::among(&primary, offered);
            }
        }
        Tr::among("en", offered)
    }

    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(&self.id, key)
    }

    /// The message `key` in this language or the fallback's, if any has it.
    pub fn try_t(&self, key: &str) -> Option<String> {
        LOCALES.try_lookup(&self.id, key)
    }

    /// A time in the deployment's zone, to the minute, in this language's calendar.
    pub fn when(&self, at: time::OffsetDateTime) -> String {
        super::time_zone::local_time(&self.lang, at)
    }

    /// A calendar day (`YYYY-MM-DD`, as forms take it) as people of the region write it:
    /// day/month/year, Thai in the Buddhist era. Text that is not such a day is shown as it is.
    pub fn day(&self, iso: &str) -> String {
        let parts: Vec<&str> = iso.split('-').collect();
        let [year, month, day] = parts[..] else {
            return iso.to_owned();
        };
        let (Ok(year), Ok(month), Ok(day)) =
            (year.parse::<i32>(), month.parse::<u8>(), day.parse::<u8>())
        else {
            return iso.to_owned();
        };
        let year = if self.lang == "th" { year + 543 } else { year };
        format!("{day:02}/{month:02}/{year}")
    }

    /// As [`Tr::when`], for a stored RFC 3339 text; text that is not one is shown as it is.
    pub fn when_text(&self, at: &str) -> String {
        crate::helpers::parse_rfc3339(at)
            .map(|t| self.when(t))
            .unwrap_or_else(|_| at.to_owned())
    }

    /// A message with one argument.
    pub fn t1(&self, key: &str, name: &str, value: impl ToString) -> String {
        let mut args: HashMap<std::borrow::Cow<'static, str>, FluentValue> = HashMap::new();
        args.insert(name.to_owned().into(), FluentValue::from(value.to_string()));
        LOCALES.lookup_with_args(&self.id, key, &args)
    }
}
