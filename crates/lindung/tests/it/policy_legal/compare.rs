//! The comparison and the report pinned down: an item dropped in the later version, an item
//! whose article alone changed, the old law, the comparison reversed and a version compared
//! with itself; each tier's section of the report holding exactly that tier's items, the
//! guidance, the Vietnamese questions, the CSV's law, article and note columns; and the law
//! table's rows: every tier-1 item for every country, nothing of tiers 2 and 3.

use std::collections::BTreeSet;

use lindung::access::Role;
use serde_json::{Value, json};

use super::{page, post, unescape};
use crate::support::{self, server::Server, user};

/// One item of the template file, read by the test itself.
struct FileItem {
    tier: u64,
    id: String,
    question_vi: String,
    guidance_en: String,
    guidance_vi: String,
}

fn file_items() -> Vec<FileItem> {
    let json = super::template_file();
    let text = |v: &Value| v.as_str().expect("text").to_owned();
    let mut items = Vec::new();
    for tier in json["tiers"].as_array().expect("tiers") {
        for item in tier["items"].as_array().expect("items") {
            items.push(FileItem {
                tier: tier["tier"].as_u64().expect("tier"),
                id: text(&item["id"]),
                question_vi: text(&item["question"]["vi"]),
                guidance_en: text(&item["guidance"]["en"]),
                guidance_vi: text(&item["guidance"]["vi"]),
            });
        }
    }
    items
}

fn ids_of_tier(items: &[FileItem], tier: u64) -> BTreeSet<String> {
    items
        .iter()
        .filter(|i| i.tier == tier)
        .map(|i| i.id.clone())
        .collect()
}

/// The item ids a piece of the report marks (`id="item-<id>"`).
fn items_marked(html: &str) -> BTreeSet<String> {
    html.split("id=\"item-")
        .skip(1)
        .map(|rest| rest.split('"').next().expect("id").to_owned())
        .collect()
}

/// The HTML from `start` up to `end`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} missing"));
    let rest = &html[from..];
    let to = rest.find(end).unwrap_or_else(|| panic!("{end} missing"));
    &rest[..to]
}

fn first() -> Value {
    json!({
        "country": "TH",
        "assessed_on": "2026-01-10",
        "answers": {
            "t1-ai-generated": {"status": "not_met", "law": "Criminal Code", "article": "s. 287/1"},
            "t1-grooming": {"status": "partly_met", "law": "Criminal Code", "article": "s. 287/2"},
            "t2-it-report": {"status": "met", "law": "Computer Crime Act", "article": "s. 15", "note": "within 72 hours"},
            "t3-education": {"status": "met"},
        }
    })
}

fn second() -> Value {
    json!({
        "country": "TH",
        "assessed_on": "2026-04-01",
        "answers": {
            // The article alone changed.
            "t1-ai-generated": {"status": "not_met", "law": "Criminal Code", "article": "s. 287/3"},
            // Unchanged.
            "t1-grooming": {"status": "partly_met", "law": "Criminal Code", "article": "s. 287/2"},
            // New.
            "t1-sextortion": {"status": "met", "law": "Sextortion Act"},
            // t2-it-report dropped; t3-education unchanged.
            "t3-education": {"status": "met"},
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn comparisons_and_the_report_hold_exactly_what_was_answered() {
    let items = file_items();
    for t in support::stores("policy_legal_compare").await {
        let officer = user(
            &t.store,
            "officer@a.example",
            Role::PolicyOfficer,
            Some("Ministry A"),
        )
        .await;
        let server = Server::start(&t.location);
        let name = &t.name;
        let (status, v1) = post(&server, &officer, "/api/v1/policy/assessments", first());
        assert_eq!(status, 201, "{name}: {v1}");
        let (status, v2) = post(&server, &officer, "/api/v1/policy/assessments", second());
        assert_eq!(status, 201, "{name}: {v2}");
        let (id1, id2) = (
            v1["id"].as_i64().expect("id"),
            v2["id"].as_i64().expect("id"),
        );

        // Forward: the article-only change, the new item, the dropped one, in the template's
        // order.
        let compare = |from: i64, to: i64| {
            let (status, diff) = server.get(
                &format!("/api/v1/policy/assessments/{from}/compare/{to}"),
                Some(&officer),
            );
            assert_eq!(status, 200, "{name}: {diff}");
            diff
        };
        let forward = compare(id1, id2);
        let changes = forward["changes"].as_array().expect("changes");
        let changed: Vec<&str> = changes
            .iter()
            .map(|c| c["item"].as_str().expect("item"))
            .collect();
        assert_eq!(
            changed,
            ["t1-ai-generated", "t1-sextortion", "t2-it-report"],
            "{name}: {forward}"
        );
        assert_eq!(
            changes[0]["old"],
            json!({"status": "not_met", "law": "Criminal Code", "article": "s. 287/1"}),
            "{name}"
        );
        assert_eq!(changes[0]["old"]["law"], "Criminal Code", "{name}");
        assert_eq!(changes[0]["new"]["article"], "s. 287/3", "{name}");
        assert_eq!(changes[0]["tier"], 1, "{name}");
        assert_eq!(
            changes[1]["old"],
            Value::Null,
            "{name}: not answered before"
        );
        assert_eq!(changes[1]["new"]["law"], "Sextortion Act", "{name}");
        assert_eq!(
            changes[2]["old"],
            json!({"status": "met", "law": "Computer Crime Act", "article": "s. 15", "note": "within 72 hours"}),
            "{name}"
        );
        assert_eq!(
            changes[2]["new"],
            Value::Null,
            "{name}: dropped in version 2"
        );
        assert_eq!(changes[2]["tier"], 2, "{name}");
        assert_eq!(forward["unchanged"], items.len() - 3, "{name}");

        // Reversed: the same items, old and new swapped.
        let reverse = compare(id2, id1);
        let back = reverse["changes"].as_array().expect("changes");
        assert_eq!(back.len(), 3, "{name}: {reverse}");
        for (f, b) in changes.iter().zip(back) {
            assert_eq!(f["item"], b["item"], "{name}");
            assert_eq!(f["old"], b["new"], "{name}: {}", f["item"]);
            assert_eq!(f["new"], b["old"], "{name}: {}", f["item"]);
        }
        assert_eq!(reverse["unchanged"], items.len() - 3, "{name}");
        assert_eq!(reverse["from"]["version"], 2, "{name}");
        assert_eq!(reverse["to"]["version"], 1, "{name}");

        // A version with itself: nothing changed, every item of the template unchanged.
        let same = compare(id1, id1);
        assert_eq!(same["changes"], json!([]), "{name}");
        assert_eq!(same["unchanged"], items.len(), "{name}");

        // The report: each tier's section holds exactly that tier's items.
        let (status, html) = page(
            &server,
            &officer,
            &format!("/policy/assessments/{id1}"),
            "en",
        );
        assert_eq!(status, 200, "{name}: {html}");
        let html = unescape(&html);
        for (tier, start, end) in [
            (1, "id=\"tier-1\"", "id=\"tier-2\""),
            (2, "id=\"tier-2\"", "id=\"tier-3\""),
            (3, "id=\"tier-3\"", "id=\"consultations\""),
        ] {
            assert_eq!(
                items_marked(between(&html, start, end)),
                ids_of_tier(&items, tier),
                "{name}: tier {tier}"
            );
        }
        assert_eq!(
            items_marked(between(&html, "<main", "id=\"tier-1\"")),
            BTreeSet::new(),
            "{name}: no item before tier 1"
        );
        // Each item's guidance, in its own item.
        for item in &items {
            let own = between(&html, &format!("id=\"item-{}\"", item.id), "</div>");
            assert!(own.contains(&item.guidance_en), "{name}: {}", item.id);
        }
        // The answered item with its law and article in its own block.
        let own = between(&html, "id=\"item-t2-it-report\"", "</div>");
        assert!(
            own.contains("Computer Crime Act")
                && own.contains("s. 15")
                && own.contains("within 72 hours"),
            "{name}: {own}"
        );

        // In Vietnamese: the questions and the guidance from the template's vi texts.
        let (status, vi) = page(
            &server,
            &officer,
            &format!("/policy/assessments/{id1}"),
            "vi",
        );
        assert_eq!(status, 200, "{name}");
        let vi = unescape(&vi);
        assert!(vi.contains("lang=\"vi\""), "{name}");
        for item in &items {
            let own = between(&vi, &format!("id=\"item-{}\"", item.id), "</div>");
            assert!(own.contains(&item.question_vi), "{name}: {}", item.id);
            assert!(own.contains(&item.guidance_vi), "{name}: {}", item.id);
        }

        // The CSV: the answered item's law, article and note in their columns; an item
        // answered with a status alone has those columns empty.
        let (status, csv) = server.request(
            "GET",
            &format!("/api/v1/policy/assessments/{id1}/report.csv"),
            Some(&officer),
            &[],
            b"",
        );
        assert_eq!(status, 200, "{name}: {csv}");
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        let row = |id: &str| -> Vec<String> {
            rows.iter()
                .find(|r| &r[1] == id)
                .unwrap_or_else(|| panic!("{id}"))
                .iter()
                .map(str::to_owned)
                .collect()
        };
        let it_report = row("t2-it-report");
        assert_eq!(it_report[0], "2", "{name}");
        assert_eq!(
            it_report[3..],
            ["met", "Computer Crime Act", "s. 15", "within 72 hours"],
            "{name}"
        );
        assert_eq!(
            row("t1-ai-generated")[3..],
            ["not_met", "Criminal Code", "s. 287/1", ""],
            "{name}"
        );
        assert_eq!(row("t3-education")[3..], ["met", "", "", ""], "{name}");
        assert_eq!(
            row("t1-sextortion")[3..],
            ["not_answered", "", "", ""],
            "{name}"
        );

        // The law table: every country of the hotline's national law has a row for each
        // tier-1 item of the template, and no tier-2 or tier-3 item appears.
        let hotline: Value = serde_json::from_str(
            &std::fs::read_to_string(format!(
                "{}/defaults/hotline.json",
                env!("CARGO_MANIFEST_DIR")
            ))
            .expect("hotline.json"),
        )
        .expect("json");
        let countries: Vec<String> = hotline["national_law"]
            .as_object()
            .expect("national_law")
            .keys()
            .cloned()
            .collect();
        assert!(countries.contains(&"TH".to_owned()), "{countries:?}");
        let (status, law) = page(&server, &officer, "/policy/law", "en");
        assert_eq!(status, 200, "{name}: {law}");
        let tier_one = ids_of_tier(&items, 1);
        for code in &countries {
            let section = between(&law, &format!("id=\"law-{code}\""), "</section>");
            let rows: BTreeSet<String> = section
                .split(&format!("<tr id=\"law-{code}-"))
                .skip(1)
                .map(|rest| rest.split('"').next().expect("id").to_owned())
                .collect();
            assert_eq!(rows, tier_one, "{name}: {code}");
        }
        for item in items.iter().filter(|i| i.tier != 1) {
            assert!(
                !law.contains(&item.id),
                "{name}: {} in the law table",
                item.id
            );
        }
        // Thailand's rows carry version 2's statuses.
        let row = between(&law, "id=\"law-TH-t1-sextortion\"", "</tr>");
        assert!(row.contains(">Met<"), "{name}: {row}");
        server.terminate();
    }
}

/// The issue's example items, listed from the issue by hand, each with the id that stands for
/// it, its tier, and words its English question must hold.
#[test]
fn the_issues_example_items_are_in_the_built_in_template() {
    let json = super::template_file();
    let examples: [(u64, &str, &[&str]); 8] = [
        // "does the definition of abuse material cover AI-generated material"
        (1, "t1-ai-generated", &["AI"]),
        // "is grooming an offence without a physical meeting"
        (
            1,
            "t1-grooming",
            &["grooming", "without a physical meeting"],
        ),
        // "is sextortion an offence"
        (1, "t1-sextortion", &["sextortion"]),
        // "must IT companies report, preserve and remove"
        (2, "t2-it-report", &["IT companies", "report"]),
        (2, "t2-it-preserve", &["IT companies", "preserve"]),
        (2, "t2-it-remove", &["IT companies", "remove"]),
        // "may victims claim compensation"
        (2, "t2-compensation", &["victims", "compensation"]),
        // "must financial institutions report suspicious payments linked to child sexual
        // exploitation"
        (
            3,
            "t3-financial-reporting",
            &["financial institutions", "suspicious payments"],
        ),
    ];
    for (tier, id, words) in examples {
        let found = json["tiers"]
            .as_array()
            .expect("tiers")
            .iter()
            .find(|t| t["tier"] == tier)
            .and_then(|t| {
                t["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .find(|i| i["id"] == id)
            })
            .unwrap_or_else(|| panic!("{id} is not in tier {tier}"));
        let question = found["question"]["en"].as_str().expect("question");
        for word in words {
            assert!(
                question.contains(word),
                "{id}: {word:?} not in {question:?}"
            );
        }
    }
}
