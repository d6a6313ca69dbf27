//! The indicator catalogue (`defaults/rpa_indicators.json`): the seven priority areas of the
//! ASEAN Regional Plan of Action, each with its indicators, and each indicator with the
//! computation ([`Metric`]) that gives its figure. The file is embedded and checked on first
//! use (and by a unit test, so a broken edit fails the build's tests).

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// The catalogue as shipped.
pub const DEFAULT_CATALOGUE: &str = include_str!("../../../defaults/rpa_indicators.json");

/// The number of priority areas of the Regional Plan of Action.
pub const AREAS: usize = 7;

/// A text in each language of the policy pages.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Title {
    pub en: String,
    pub th: String,
    pub vi: String,
}

impl Title {
    /// The text in `lang`, English for a language the catalogue does not have.
    pub fn in_lang(&self, lang: &str) -> &str {
        match lang {
            "th" => &self.th,
            "vi" => &self.vi,
            _ => &self.en,
        }
    }

    fn complete(&self) -> bool {
        [&self.en, &self.th, &self.vi]
            .iter()
            .all(|t| !t.trim().is_empty())
    }
}

/// The computations an indicator may name. Each is computed per ended calendar quarter, as of
/// its end, over the whole deployment's data; the legal assessment and consultations are the
/// caller's organisation's, for the deployment's country (see `compute`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    ReportsReceived,
    ReportsFromItCompaniesShare,
    MedianHoursToRemoval,
    P90HoursToRemoval,
    ReportsReferredToPolice,
    CareCasesOpened,
    MedianDaysToFirstService,
    SelfReportCases,
    HashesShared,
    HashesReceived,
    EducationProgrammes,
    LegalAssessmentItemsMet,
    ConsultationsHeld,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub id: String,
    pub metric: Metric,
    pub title: Title,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub id: String,
    pub title: Title,
    pub indicators: Vec<Indicator>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub version: u32,
    /// Where the areas come from, and what the file is.
    pub source: String,
    pub areas: Vec<Area>,
}

impl Catalogue {
    /// Reads and checks a catalogue: seven areas, ids unique and of `[a-z0-9_]`, every title in
    /// every language, every area with an indicator.
    pub fn parse(text: &str) -> Result<Catalogue, String> {
        let catalogue: Catalogue =
            serde_json::from_str(text).map_err(|e| format!("rpa_indicators.json: {e}"))?;
        if catalogue.areas.len() != AREAS {
            return Err(format!(
                "rpa_indicators.json: {} areas, the Regional Plan of Action has {AREAS}",
                catalogue.areas.len()
            ));
        }
        let mut ids = HashSet::new();
        for area in &catalogue.areas {
            if !valid_id(&area.id) || !ids.insert(area.id.as_str()) {
                return Err(format!(
                    "rpa_indicators.json: bad or repeated id {:?}",
                    area.id
                ));
            }
            if !area.title.complete() {
                return Err(format!(
                    "rpa_indicators.json: area {} lacks a title",
                    area.id
                ));
            }
            if area.indicators.is_empty() {
                return Err(format!(
                    "rpa_indicators.json: area {} has no indicator",
                    area.id
                ));
            }
            for indicator in &area.indicators {
                if !valid_id(&indicator.id) || !ids.insert(indicator.id.as_str()) {
                    return Err(format!(
                        "rpa_indicators.json: bad or repeated id {:?}",
                        indicator.id
                    ));
                }
                if !indicator.title.complete() {
                    return Err(format!(
                        "rpa_indicators.json: indicator {} lacks a title",
                        indicator.id
                    ));
                }
            }
        }
        Ok(catalogue)
    }

    /// Every indicator with its area, in the file's order.
    pub fn indicators(&self) -> impl Iterator<Item = (&Area, &Indicator)> {
        self.areas
            .iter()
            .flat_map(|area| area.indicators.iter().map(move |i| (area, i)))
    }
}

/// An id of the catalogue or of a snapshot: 1 to 64 of `a-z`, `0-9`, `_`.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    // The file is part of the program, not input: a broken edit fails `shipped_catalogue_is_valid`.
    Catalogue::parse(DEFAULT_CATALOGUE).unwrap_or_else(|e| panic!("{e}"))
});

/// The deployment's catalogue.
pub fn catalogue() -> &'static Catalogue {
    &CATALOGUE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalogue_is_valid() {
        let catalogue = Catalogue::parse(DEFAULT_CATALOGUE).expect("valid");
        assert_eq!(catalogue.areas.len(), AREAS);
    }

    #[test]
    fn unknown_metrics_and_fields_are_refused() {
        let bad = DEFAULT_CATALOGUE.replace(
            "\"reports_received\", \"metric\": \"reports_received\"",
            "\"reports_received\", \"metric\": \"made_up\"",
        );
        assert!(Catalogue::parse(&bad).is_err());
        let extra =
            DEFAULT_CATALOGUE.replacen("\"version\": 1,", "\"version\": 1, \"extra\": 1,", 1);
        assert!(Catalogue::parse(&extra).is_err());
    }
}
