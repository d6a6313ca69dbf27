//! The legal-framework self-assessment: answered, versioned, compared, reported.
//!
//! Over loopback on SQLite and PostgreSQL: an assessment answered over the API, a second
//! version, the versions listed, the comparison (expected changes written here), the report
//! (HTML and CSV) holding every tier with all its items (read from the template file itself),
//! another organisation's officer refused (404), bad input refused with the field named and
//! nothing stored, consultations, the law table, the audit trail, and the pages' forms.

use std::collections::BTreeSet;

use lindung::access::Role;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::support::server::Server;
use crate::support::{self, TestStore, user};

mod compare;
mod dates;
mod pages;

/// The template file, read by the test itself: (tier, item id, English question, Thai question).
/// The built-in template, read from its file (never through the code under test).
pub(crate) fn template_file() -> Value {
    let path = format!(
        "{}/defaults/legal_framework.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("template")).expect("json")
}

fn template_items() -> Vec<(u64, String, String, String)> {
    let json = template_file();
    let mut items = Vec::new();
    for tier in json["tiers"].as_array().expect("tiers") {
        for item in tier["items"].as_array().expect("items") {
            items.push((
                tier["tier"].as_u64().expect("tier"),
                item["id"].as_str().expect("id").to_owned(),
                item["question"]["en"].as_str().expect("en").to_owned(),
                item["question"]["th"].as_str().expect("th").to_owned(),
            ));
        }
    }
    items
}

/// HTML text back to plain text (what askama escapes).
fn unescape(html: &str) -> String {
    html.replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn count(t: &TestStore, sql: &str) -> i64 {
    let db = t.store.db();
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index::<i64>(0).expect("count")
}

async fn audit_actions(t: &TestStore) -> BTreeSet<String> {
    let db = t.store.db();
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT action FROM audit_log WHERE action LIKE 'policy.%'",
    ))
    .await
    .expect("audit")
    .iter()
    .map(|r| r.try_get_by_index::<String>(0).expect("action"))
    .collect()
}

fn post(server: &Server, token: &str, path: &str, body: Value) -> (u16, Value) {
    server.json("POST", path, Some(token), &body)
}

/// A page fetched with a token, in a language.
fn page(server: &Server, token: &str, path: &str, lang: &str) -> (u16, String) {
    server.request("GET", path, Some(token), &[("Accept-Language", lang)], b"")
}

fn first_version() -> Value {
    json!({
        "country": "TH",
        "assessed_on": "2026-01-10",
        "answers": {
            "t1-ai-generated": {"status": "not_met", "law": "Criminal Code", "article": "s. 287/1"},
            "t1-grooming": {"status": "partly_met", "law": "Criminal Code", "article": "s. 287/2"},
            "t2-compensation": {"status": "met", "note": "civil claim in the criminal case"},
        }
    })
}

fn second_version() -> Value {
    json!({
        "country": "TH",
        "assessed_on": "2026-06-30",
        "answers": {
            // Changed: status and law.
            "t1-ai-generated": {"status": "met", "law": "Criminal Code (amended 2026)", "article": "s. 287/1"},
            // Unchanged.
            "t1-grooming": {"status": "partly_met", "law": "Criminal Code", "article": "s. 287/2"},
            // Changed: the note.
            "t2-compensation": {"status": "met", "note": "also a state fund"},
            // New.
            "t3-education": {"status": "not_applicable"},
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn an_assessment_is_answered_versioned_compared_and_reported() {
    let items = template_items();
    for t in support::stores("policy_legal").await {
        let officer = user(
            &t.store,
            "officer@a.example",
            Role::PolicyOfficer,
            Some("Ministry A"),
        )
        .await;
        let other = user(
            &t.store,
            "officer@b.example",
            Role::PolicyOfficer,
            Some("Ministry B"),
        )
        .await;
        let admin_b = user(&t.store, "admin@b.example", Role::Admin, Some("Ministry B")).await;
        let analyst = user(
            &t.store,
            "analyst@a.example",
            Role::Analyst,
            Some("Ministry A"),
        )
        .await;
        let server = Server::start(&t.location);
        let name = &t.name;

        // Two versions of Thailand.
        let (status, v1) = post(
            &server,
            &officer,
            "/api/v1/policy/assessments",
            first_version(),
        );
        assert_eq!(status, 201, "{name}: {v1}");
        assert_eq!(v1["version"], 1, "{name}");
        assert_eq!(v1["template"], "asean-legal-framework@1", "{name}");
        assert_eq!(
            v1["answers"],
            first_version()["answers"],
            "{name}: stored as sent"
        );
        let (status, v2) = post(
            &server,
            &officer,
            "/api/v1/policy/assessments",
            second_version(),
        );
        assert_eq!(status, 201, "{name}: {v2}");
        assert_eq!(v2["version"], 2, "{name}");
        let (id1, id2) = (
            v1["id"].as_i64().expect("id"),
            v2["id"].as_i64().expect("id"),
        );

        // Stored exactly in the shape the indicators read.
        let db = t.store.db();
        let stored = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT answers FROM policy_assessments WHERE id = {id2}"),
            ))
            .await
            .expect("query")
            .expect("row")
            .try_get_by_index::<String>(0)
            .expect("answers");
        let stored: Value = serde_json::from_str(&stored).expect("json");
        assert_eq!(stored, second_version()["answers"], "{name}");

        // Listed, newest first, with counts by status.
        let (status, list) = server.get("/api/v1/policy/assessments?country=TH", Some(&officer));
        assert_eq!(status, 200, "{name}: {list}");
        let versions: Vec<i64> = list
            .as_array()
            .expect("list")
            .iter()
            .map(|r| r["version"].as_i64().expect("version"))
            .collect();
        assert_eq!(versions, [2, 1], "{name}");
        assert_eq!(list[0]["assessed_on"], "2026-06-30", "{name}");
        assert_eq!(list[0]["counts"]["met"], 2, "{name}");
        assert_eq!(list[0]["counts"]["partly_met"], 1, "{name}");
        assert_eq!(list[0]["counts"]["not_applicable"], 1, "{name}");
        assert_eq!(list[0]["counts"]["not_answered"], items.len() - 4, "{name}");

        // The comparison names exactly the items changed.
        let (status, diff) = server.get(
            &format!("/api/v1/policy/assessments/{id1}/compare/{id2}"),
            Some(&officer),
        );
        assert_eq!(status, 200, "{name}: {diff}");
        let changes = diff["changes"].as_array().expect("changes");
        let changed: Vec<&str> = changes
            .iter()
            .map(|c| c["item"].as_str().expect("item"))
            .collect();
        assert_eq!(
            changed,
            ["t1-ai-generated", "t2-compensation", "t3-education"],
            "{name}"
        );
        assert_eq!(changes[0]["old"]["status"], "not_met", "{name}");
        assert_eq!(changes[0]["new"]["status"], "met", "{name}");
        assert_eq!(
            changes[0]["new"]["law"], "Criminal Code (amended 2026)",
            "{name}"
        );
        assert_eq!(
            changes[1]["old"]["note"], "civil claim in the criminal case",
            "{name}"
        );
        assert_eq!(changes[1]["new"]["note"], "also a state fund", "{name}");
        assert_eq!(
            changes[2]["old"],
            Value::Null,
            "{name}: not answered before"
        );
        assert_eq!(changes[2]["new"]["status"], "not_applicable", "{name}");
        assert_eq!(diff["unchanged"], items.len() - 3, "{name}");

        // Versions of two countries are not compared.
        let (status, vn) = post(
            &server,
            &officer,
            "/api/v1/policy/assessments",
            json!({"country": "VN", "assessed_on": "2026-02-01", "answers": {}}),
        );
        assert_eq!(status, 201, "{name}: {vn}");
        assert_eq!(vn["version"], 1, "{name}: versions count per country");
        let (status, refused) = server.get(
            &format!("/api/v1/policy/assessments/{id1}/compare/{}", vn["id"]),
            Some(&officer),
        );
        assert_eq!(status, 422, "{name}: {refused}");

        // The report page lists every tier with all its items, in English and in Thai.
        let (status, html) = page(
            &server,
            &officer,
            &format!("/policy/assessments/{id2}"),
            "en",
        );
        assert_eq!(status, 200, "{name}: {html}");
        let text = unescape(&html);
        for tier in 1..=3 {
            assert!(
                text.contains(&format!("id=\"tier-{tier}\"")),
                "{name}: tier {tier}"
            );
        }
        for (_, id, question, _) in &items {
            assert!(text.contains(&format!("id=\"item-{id}\"")), "{name}: {id}");
            assert!(text.contains(question.as_str()), "{name}: {question}");
        }
        assert!(text.contains("starting point"), "{name}: the caveat");
        assert!(text.contains("Criminal Code (amended 2026)"), "{name}");
        assert!(text.contains("data-status=\"not_answered\""), "{name}");
        let (status, thai) = page(
            &server,
            &officer,
            &format!("/policy/assessments/{id2}"),
            "th",
        );
        assert_eq!(status, 200, "{name}");
        let thai = unescape(&thai);
        for (_, _, _, question) in &items {
            assert!(thai.contains(question.as_str()), "{name}: {question}");
        }
        assert!(thai.contains("เป็นไปตามเกณฑ์"), "{name}: a status in Thai");

        // The CSV: one row per item, in the template's order.
        let (status, csv) = server.request(
            "GET",
            &format!("/api/v1/policy/assessments/{id2}/report.csv"),
            Some(&officer),
            &[],
            b"",
        );
        assert_eq!(status, 200, "{name}: {csv}");
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(
            header,
            [
                "tier", "item", "question", "status", "law", "article", "note"
            ]
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), items.len(), "{name}");
        for (row, (tier, id, question, _)) in rows.iter().zip(&items) {
            assert_eq!(&row[0], tier.to_string().as_str(), "{name}");
            assert_eq!(&row[1], id.as_str(), "{name}");
            assert_eq!(&row[2], question.as_str(), "{name}");
            let expected = match id.as_str() {
                "t1-ai-generated" => "met",
                "t1-grooming" => "partly_met",
                "t2-compensation" => "met",
                "t3-education" => "not_applicable",
                _ => "not_answered",
            };
            assert_eq!(&row[3], expected, "{name}: {id}");
        }
        let (status, page_csv) = page(
            &server,
            &officer,
            &format!("/policy/assessments/{id2}/report.csv"),
            "th",
        );
        assert_eq!(status, 200, "{name}");
        assert!(
            page_csv.contains(items[0].3.as_str()),
            "{name}: the page's CSV is in Thai"
        );

        // Another organisation's officer and admin: not found, and their lists are their own.
        for token in [&other, &admin_b] {
            for path in [
                format!("/api/v1/policy/assessments/{id1}"),
                format!("/api/v1/policy/assessments/{id1}/compare/{id2}"),
                format!("/api/v1/policy/assessments/{id1}/report.csv"),
                format!("/policy/assessments/{id1}"),
                format!("/policy/assessments/{id1}/report.csv"),
                format!("/policy/compare?from={id1}&to={id2}"),
            ] {
                let (status, body) = server.request("GET", &path, Some(token), &[], b"");
                assert_eq!(status, 404, "{name}: {path}: {body}");
            }
            let (status, list) = server.get("/api/v1/policy/assessments", Some(token));
            assert_eq!((status, list), (200, json!([])), "{name}");
        }
        // A role outside the policy roles: refused.
        let (status, _) = server.get("/api/v1/policy/assessments", Some(&analyst));
        assert_eq!(status, 403, "{name}");

        // Bad input: 422 naming the field, and nothing stored.
        let before = count(&t, "SELECT COUNT(*) FROM policy_assessments").await;
        for (body, field) in [
            (
                json!({"country": "TH", "assessed_on": "2026-07-01", "answers": {"t1-grooming": {"status": "mostly"}}}),
                "answers.t1-grooming.status",
            ),
            (
                json!({"country": "TH", "assessed_on": "2026-07-01", "answers": {"t9-unknown": {"status": "met"}}}),
                "answers.t9-unknown",
            ),
            (
                json!({"country": "TH", "assessed_on": "2026-02-30", "answers": {}}),
                "assessed_on",
            ),
            (
                json!({"country": "TH", "assessed_on": "1 July 2026", "answers": {}}),
                "assessed_on",
            ),
            (
                json!({"country": "US", "assessed_on": "2026-07-01", "answers": {}}),
                "country",
            ),
            (
                json!({"country": "TH", "assessed_on": "2026-07-01", "answers": {}, "signed_by": "x"}),
                "signed_by",
            ),
            (
                json!({"country": "TH", "assessed_on": "2026-07-01", "answers": {"t1-grooming": {"status": "met", "page": 3}}}),
                "answers.t1-grooming.page",
            ),
            (
                json!({"country": "TH", "assessed_on": "2026-07-01", "answers": {"t1-grooming": {"status": "met", "note": "x".repeat(2001)}}}),
                "answers.t1-grooming.note",
            ),
        ] {
            let (status, answer) = post(&server, &officer, "/api/v1/policy/assessments", body);
            assert_eq!(status, 422, "{name}: {answer}");
            assert_eq!(answer["error"]["field"], field, "{name}: {answer}");
        }
        assert_eq!(
            count(&t, "SELECT COUNT(*) FROM policy_assessments").await,
            before,
            "{name}: nothing stored"
        );

        // Consultations: recorded, listed by country, refused when wrong, and only one's own.
        let consultation = json!({
            "country": "TH", "reform": "amendment on online grooming", "held_on": "2026-03-15",
            "participants": 120, "age_groups": ["15_17", "12_14"], "method": "focus_group",
            "summary": "young people asked for reporting inside the apps they use",
        });
        let (status, made) = post(
            &server,
            &officer,
            "/api/v1/policy/consultations",
            consultation.clone(),
        );
        assert_eq!(status, 201, "{name}: {made}");
        assert_eq!(made["age_groups"], json!(["12_14", "15_17"]), "{name}");
        let (status, list) = server.get("/api/v1/policy/consultations?country=TH", Some(&officer));
        assert_eq!(status, 200, "{name}");
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{name}: {list}");
        assert_eq!(list[0]["participants"], 120, "{name}");
        assert_eq!(list[0]["reform"], "amendment on online grooming", "{name}");
        let (_, none) = server.get("/api/v1/policy/consultations?country=VN", Some(&officer));
        assert_eq!(none, json!([]), "{name}");
        let (_, theirs) = server.get("/api/v1/policy/consultations", Some(&other));
        assert_eq!(theirs, json!([]), "{name}: B sees none of A's");
        let before = count(&t, "SELECT COUNT(*) FROM policy_consultations").await;
        for (change, field) in [
            (json!({"participants": 0}), "participants"),
            (json!({"participants": 100_001}), "participants"),
            (json!({"age_groups": ["adults"]}), "age_groups"),
            (json!({"age_groups": []}), "age_groups"),
            (json!({"method": "interview"}), "method"),
            (json!({"held_on": "2026-13-01"}), "held_on"),
            (json!({"summary": " "}), "summary"),
            (json!({"child_name": "x"}), "child_name"),
        ] {
            let mut body = consultation.clone();
            for (k, v) in change.as_object().expect("object") {
                body[k] = v.clone();
            }
            let (status, answer) = post(&server, &officer, "/api/v1/policy/consultations", body);
            assert_eq!(status, 422, "{name}: {answer}");
            assert_eq!(answer["error"]["field"], field, "{name}: {answer}");
        }
        assert_eq!(
            count(&t, "SELECT COUNT(*) FROM policy_consultations").await,
            before,
            "{name}"
        );
        // The report shows the country's consultations.
        let (_, html) = page(
            &server,
            &officer,
            &format!("/policy/assessments/{id2}"),
            "en",
        );
        assert!(html.contains("amendment on online grooming"), "{name}");

        // The law table: Thailand's tier-1 items with the latest version's statuses.
        for token in [&officer, &analyst] {
            let (status, html) = page(&server, token, "/policy/law", "en");
            assert_eq!(status, 200, "{name}: {html}");
            let row = html
                .split("id=\"law-TH-t1-ai-generated\"")
                .nth(1)
                .and_then(|rest| rest.split("</tr>").next())
                .expect("the row of Thailand's AI item");
            assert!(row.contains(">Met<"), "{name}: {row}");
            let row = html
                .split("id=\"law-TH-t1-sextortion\"")
                .nth(1)
                .and_then(|rest| rest.split("</tr>").next())
                .expect("the row of Thailand's sextortion item");
            assert!(row.contains("Not answered"), "{name}: {row}");
            let row = html
                .split("id=\"law-MY-t1-ai-generated\"")
                .nth(1)
                .and_then(|rest| rest.split("</tr>").next())
                .expect("the row of Malaysia's AI item");
            assert!(row.contains("Not assessed"), "{name}: {row}");
        }
        let (_, html) = page(&server, &other, "/policy/law", "en");
        let row = html
            .split("id=\"law-TH-t1-ai-generated\"")
            .nth(1)
            .and_then(|rest| rest.split("</tr>").next())
            .expect("row");
        assert!(
            row.contains("Not assessed"),
            "{name}: B does not see A's statuses"
        );

        // Every read and write is audited.
        let actions = audit_actions(&t).await;
        for action in [
            "policy.assessment.create",
            "policy.assessment.list",
            "policy.assessment.read",
            "policy.assessment.compare",
            "policy.consultation.create",
            "policy.consultation.list",
            "policy.law.read",
            "policy.assessment.denied",
        ] {
            assert!(
                actions.contains(action),
                "{name}: {action} not audited: {actions:?}"
            );
        }
        let report = lindung::access::audit::verify(&t.store)
            .await
            .expect("verify");
        assert!(report.first_broken.is_none(), "{name}: {report:?}");
        server.terminate();
    }
}
