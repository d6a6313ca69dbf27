//! The Regional Plan of Action indicators the deployment ships are the ones `docs/policy.md`
//! promises, each under the priority area the docs name: the table below is copied from the
//! docs' table by hand, and the test reads the data file (`defaults/rpa_indicators.json`) and
//! the docs themselves, so a change to either that the other does not follow fails here.

use std::collections::BTreeMap;

use crate::support::files::repo;

/// Indicator → priority area, as docs/policy.md's table gives them.
const PROMISED: &[(&str, &str)] = &[
    ("legal_assessment_items_met", "legal_frameworks"),
    ("consultations_held", "legal_frameworks"),
    ("reports_referred_to_police", "law_enforcement"),
    ("reports_received", "specialised_units"),
    ("median_hours_to_removal", "specialised_units"),
    ("p90_hours_to_removal", "specialised_units"),
    ("care_cases_opened", "protection_services"),
    ("median_days_to_first_service", "protection_services"),
    ("self_report_cases", "protection_services"),
    ("hashes_shared", "data_research"),
    ("hashes_received", "data_research"),
    ("education_programmes", "education"),
    ("reports_from_it_companies_share", "it_companies"),
];

#[test]
fn the_shipped_indicators_are_the_documented_ones_under_the_documented_areas() {
    let text = std::fs::read_to_string(repo().join("crates/lindung/defaults/rpa_indicators.json"))
        .expect("the data file");
    let file: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let areas = file["areas"].as_array().expect("areas");
    assert_eq!(areas.len(), 7, "the plan has seven priority areas");
    let mut shipped = BTreeMap::new();
    for area in areas {
        let area_id = area["id"].as_str().expect("area id");
        for indicator in area["indicators"].as_array().expect("indicators") {
            let id = indicator["id"].as_str().expect("indicator id");
            assert!(
                shipped.insert(id.to_owned(), area_id.to_owned()).is_none(),
                "{id} is listed twice"
            );
            for lang in ["en", "th", "vi"] {
                assert!(
                    indicator["title"][lang]
                        .as_str()
                        .is_some_and(|t| !t.trim().is_empty()),
                    "{id} has a title in {lang}"
                );
            }
        }
    }
    let promised: BTreeMap<String, String> = PROMISED
        .iter()
        .map(|(id, area)| ((*id).to_owned(), (*area).to_owned()))
        .collect();
    assert_eq!(shipped, promised);
    // The docs' table names each indicator and its area by id.
    let docs = std::fs::read_to_string(repo().join("docs/policy.md")).expect("docs/policy.md");
    for (id, area) in PROMISED {
        let row = docs
            .lines()
            .find(|line| line.starts_with('|') && line.contains(&format!("(`{area}`)")))
            .unwrap_or_else(|| panic!("docs/policy.md has a row for the area {area}"));
        assert!(
            row.contains(&format!("`{id}`")),
            "docs/policy.md lists {id} under {area}: {row}"
        );
    }
}
