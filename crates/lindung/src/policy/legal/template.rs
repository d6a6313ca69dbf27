//! The checklist template: a versioned data file (`defaults/legal_framework.json`), organised by
//! ASEAN's three tiers, every text in English, Thai and Vietnamese. A deployment may replace it
//! with `LINDUNG_LEGAL_FRAMEWORK=/path`, read once at start-up; a file that does not validate
//! stops the server there, never at the first request.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::policy::LANGUAGES;

/// The built-in template.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../../defaults/legal_framework.json");

/// The environment variable naming a deployment's own template.
pub const TEMPLATE_ENV: &str = "LINDUNG_LEGAL_FRAMEWORK";

/// A text in each language of the policy pages.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub en: String,
    pub th: String,
    pub vi: String,
}

impl Texts {
    /// The text in `lang`, English for a language the template does not have.
    pub fn get(&self, lang: &str) -> &str {
        match lang {
            "th" => &self.th,
            "vi" => &self.vi,
            _ => &self.en,
        }
    }

    fn check(&self, what: &str) -> Result<(), String> {
        for (lang, _) in LANGUAGES {
            if self.get(lang).trim().is_empty() {
                return Err(format!("{what}: the {lang} text is empty"));
            }
        }
        Ok(())
    }
}

/// One question of the checklist.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Stable across versions of the template: answers are keyed by it.
    pub id: String,
    pub question: Texts,
    pub guidance: Texts,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// 1, 2 or 3.
    pub tier: u8,
    pub title: Texts,
    pub items: Vec<Item>,
}

/// The checklist template.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub id: String,
    pub version: u32,
    /// Where the questions come from.
    pub source: String,
    /// What the template is and is not: a starting point to check against the Guidelines.
    pub caveat: Texts,
    pub tiers: Vec<Tier>,
}

/// The longest item id.
const MAX_ITEM_ID: usize = 64;

impl Template {
    /// Parses and validates a template: every tier 1–3 present once, item ids unique and
    /// plain, every text non-empty in every language.
    pub fn parse(text: &str) -> Result<Template, String> {
        let template: Template = serde_json::from_str(text).map_err(|e| e.to_string())?;
        template.validate()?;
        Ok(template)
    }

    fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() || self.id.contains('@') {
            return Err("id: a name without `@` is needed".into());
        }
        if self.version == 0 {
            return Err("version: 1 or more".into());
        }
        self.caveat.check("caveat")?;
        let tiers: Vec<u8> = self.tiers.iter().map(|t| t.tier).collect();
        if tiers != [1, 2, 3] {
            return Err(format!(
                "tiers: tiers 1, 2 and 3 are needed, once each and in order (found {tiers:?})"
            ));
        }
        let mut ids = BTreeSet::new();
        for tier in &self.tiers {
            tier.title.check(&format!("tier {}: title", tier.tier))?;
            if tier.items.is_empty() {
                return Err(format!("tier {}: no items", tier.tier));
            }
            for item in &tier.items {
                let plain = !item.id.is_empty()
                    && item.id.len() <= MAX_ITEM_ID
                    && item
                        .id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if !plain {
                    return Err(format!(
                        "item {:?}: an id is 1 to {MAX_ITEM_ID} of a-z, 0-9 and -",
                        item.id
                    ));
                }
                if !ids.insert(item.id.as_str()) {
                    return Err(format!("item {:?}: the id is used twice", item.id));
                }
                item.question
                    .check(&format!("item {}: question", item.id))?;
                item.guidance
                    .check(&format!("item {}: guidance", item.id))?;
            }
        }
        Ok(())
    }

    /// `id@version`, stored with every assessment.
    pub fn identity(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    /// Every item with its tier, in the template's order.
    pub fn items(&self) -> impl Iterator<Item = (u8, &Item)> {
        self.tiers
            .iter()
            .flat_map(|t| t.items.iter().map(move |i| (t.tier, i)))
    }

    pub fn item(&self, id: &str) -> Option<(u8, &Item)> {
        self.items().find(|(_, i)| i.id == id)
    }
}

static INSTALLED: OnceLock<Arc<Template>> = OnceLock::new();

/// Reads the deployment's template (`LINDUNG_LEGAL_FRAMEWORK`) or the built-in one, and makes
/// it the one every request uses. Called once when the server starts; an error names the file
/// and what is wrong in it.
pub fn install_from_environment() -> Result<(), String> {
    let template = match std::env::var_os(TEMPLATE_ENV) {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "{TEMPLATE_ENV}={}: {e}",
                    std::path::Path::new(&path).display()
                )
            })?;
            Template::parse(&text).map_err(|e| {
                format!(
                    "{TEMPLATE_ENV}={}: {e}",
                    std::path::Path::new(&path).display()
                )
            })?
        }
        None => builtin()?,
    };
    // A second call (tests that start servers in one process) keeps the first.
    let _ = INSTALLED.set(Arc::new(template));
    Ok(())
}

fn builtin() -> Result<Template, String> {
    Template::parse(DEFAULT_TEMPLATE).map_err(|e| format!("the built-in legal_framework.json: {e}"))
}

/// The template in use: the installed one, else the built-in (tools and tests that build the
/// application without `serve`).
pub fn current() -> Result<Arc<Template>, String> {
    if let Some(installed) = INSTALLED.get() {
        return Ok(Arc::clone(installed));
    }
    let template = Arc::new(builtin()?);
    Ok(Arc::clone(INSTALLED.get_or_init(|| template)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_json() -> serde_json::Value {
        serde_json::from_str(DEFAULT_TEMPLATE).expect("json")
    }

    #[test]
    fn the_built_in_template_validates_and_has_every_tier() {
        let template = Template::parse(DEFAULT_TEMPLATE).expect("valid");
        assert_eq!(template.identity(), "asean-legal-framework@1");
        let counts: Vec<usize> = template.tiers.iter().map(|t| t.items.len()).collect();
        assert!((8..=10).contains(&counts[0]), "{counts:?}");
        assert!((6..=8).contains(&counts[1]), "{counts:?}");
        assert!((3..=5).contains(&counts[2]), "{counts:?}");
        assert!(template.item("t1-ai-generated").is_some());
        assert!(template.caveat.en.contains("starting point"));
    }

    #[test]
    fn a_duplicate_item_id_is_refused() {
        let mut json = default_json();
        json["tiers"][1]["items"][0]["id"] = "t1-ai-generated".into();
        let error = Template::parse(&json.to_string()).expect_err("duplicate");
        assert!(
            error.contains("t1-ai-generated") && error.contains("twice"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_thai_text_is_refused() {
        let mut json = default_json();
        json["tiers"][0]["items"][2]["guidance"]["th"] = "  ".into();
        let error = Template::parse(&json.to_string()).expect_err("no Thai");
        assert!(error.contains("th text is empty"), "{error}");
        let mut json = default_json();
        json["tiers"][2]["items"][0]["question"]
            .as_object_mut()
            .expect("texts")
            .remove("th");
        let error = Template::parse(&json.to_string()).expect_err("no Thai");
        assert!(error.contains("th"), "{error}");
    }

    #[test]
    fn a_missing_tier_is_refused() {
        let mut json = default_json();
        json["tiers"].as_array_mut().expect("tiers").remove(2);
        let error = Template::parse(&json.to_string()).expect_err("no tier 3");
        assert!(error.contains("tiers"), "{error}");
    }
}
