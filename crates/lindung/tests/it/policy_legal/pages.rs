//! The self-assessment's pages: forms that save versions and keep what was typed when they
//! refuse, in English, Thai and Vietnamese; a deployment's own template, and a broken one that
//! stops the server at start-up; the pages' words complete in every language.

use std::collections::BTreeSet;

use lindung::access::Role;
use serde_json::json;

use super::{count, page, template_items, unescape};
use crate::support::server::Server;
use crate::support::{self, lindung_command, user};

/// Posts a page form with a bearer token; returns the status, head and body.
pub(super) fn form(
    server: &Server,
    token: &str,
    path: &str,
    fields: &[(&str, &str)],
    lang: &str,
) -> (u16, String, String) {
    let body: String = fields
        .iter()
        .map(|(k, v)| format!("{}={}", support::urlencode(k), support::urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let auth = format!("Bearer {token}");
    server.raw(
        "POST",
        path,
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept-Language", lang),
        ],
        body.as_bytes(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_save_versions_and_keep_what_was_typed_when_they_refuse() {
    for t in support::stores("policy_legal_pages").await {
        let officer = user(
            &t.store,
            "officer@a.example",
            Role::PolicyOfficer,
            Some("Ministry A"),
        )
        .await;
        let server = Server::start(&t.location);
        let name = &t.name;

        for lang in ["en", "th", "vi"] {
            let (status, home) = page(&server, &officer, "/policy", lang);
            assert_eq!(status, 200, "{name}");
            for link in [
                "/policy/assessment",
                "/policy/law",
                "/policy/indicators",
                "/policy/regional",
            ] {
                assert!(home.contains(&format!("href=\"{link}\"")), "{name}: {link}");
            }
            assert!(home.contains(&format!("lang=\"{lang}\"")), "{name}: {lang}");
        }
        let (_, vi) = page(&server, &officer, "/policy", "vi");
        assert!(vi.contains("Chính sách"), "{name}: Vietnamese");

        // The form of a country never assessed: every item, grouped by tier.
        let (status, html) = page(&server, &officer, "/policy/assessment?country=TH", "vi");
        assert_eq!(status, 200, "{name}");
        for (_, id, _, _) in template_items() {
            assert!(
                html.contains(&format!("name=\"status.{id}\"")),
                "{name}: {id}"
            );
        }

        // Refused: text without a status, and a bad date; what was typed stays.
        let (status, _, html) = form(
            &server,
            &officer,
            "/policy/assessment",
            &[
                ("country", "TH"),
                ("assessed_on", "2026-05-01"),
                ("status.t1-grooming", ""),
                ("law.t1-grooming", "Child Protection Act"),
                ("note.t1-possession", "kept note"),
                ("status.t1-possession", "met"),
            ],
            "th",
        );
        assert_eq!(status, 422, "{name}: {html}");
        assert!(html.contains("value=\"Child Protection Act\""), "{name}");
        assert!(html.contains("kept note"), "{name}");
        assert!(
            html.contains(
                "id=\"status-t1-grooming\" name=\"status.t1-grooming\" aria-invalid=\"true\""
            ),
            "{name}"
        );
        assert!(html.contains("เลือกสถานะ"), "{name}: the reason in Thai");
        let (status, _, html) = form(
            &server,
            &officer,
            "/policy/assessment",
            &[
                ("country", "TH"),
                ("assessed_on", "31/05/2026"),
                ("status.t1-grooming", "met"),
            ],
            "en",
        );
        assert_eq!(status, 422, "{name}");
        assert!(html.contains("value=\"31/05/2026\""), "{name}");
        assert_eq!(
            count(&t, "SELECT COUNT(*) FROM policy_assessments").await,
            0,
            "{name}"
        );

        // Saved: a new version, and the form starts from it.
        let (status, head, _) = form(
            &server,
            &officer,
            "/policy/assessment",
            &[
                ("country", "TH"),
                ("assessed_on", "2026-05-01"),
                ("status.t1-grooming", "met"),
                ("law.t1-grooming", "Child Protection Act"),
                ("status.t2-it-remove", ""),
            ],
            "en",
        );
        assert_eq!(status, 303, "{name}: {head}");
        let (_, list) = server.get("/api/v1/policy/assessments?country=TH", Some(&officer));
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{name}");
        let id = list[0]["id"].as_i64().expect("id");
        assert!(
            head.contains(&format!("/policy/assessments/{id}?done=saved")),
            "{name}: {head}"
        );
        let (_, saved) = server.get(&format!("/api/v1/policy/assessments/{id}"), Some(&officer));
        assert_eq!(
            saved["answers"],
            json!({"t1-grooming": {"status": "met", "law": "Child Protection Act"}}),
            "{name}"
        );
        let (_, html) = page(&server, &officer, "/policy/assessment?country=TH", "en");
        assert!(
            html.contains("value=\"Child Protection Act\""),
            "{name}: prefilled"
        );
        assert!(
            html.contains("<option value=\"met\" selected>"),
            "{name}: prefilled"
        );

        // The versions page and its comparison form.
        let (status, head, _) = form(
            &server,
            &officer,
            "/policy/assessment",
            &[
                ("country", "TH"),
                ("assessed_on", "2026-08-01"),
                ("status.t1-grooming", "not_met"),
            ],
            "en",
        );
        assert_eq!(status, 303, "{name}: {head}");
        let (status, html) = page(&server, &officer, "/policy/assessments?country=TH", "en");
        assert_eq!(status, 200, "{name}");
        assert!(html.contains("id=\"compare-form\""), "{name}");
        let (_, list) = server.get("/api/v1/policy/assessments?country=TH", Some(&officer));
        let (new, old) = (
            list[0]["id"].as_i64().expect("id"),
            list[1]["id"].as_i64().expect("id"),
        );
        let (status, html) = page(
            &server,
            &officer,
            &format!("/policy/compare?from={old}&to={new}"),
            "en",
        );
        assert_eq!(status, 200, "{name}: {html}");
        assert!(html.contains("id=\"change-t1-grooming\""), "{name}");
        assert_eq!(html.matches("class=\"change\"").count(), 1, "{name}");

        // Consultations: a refused form keeps what was typed; a saved one is listed.
        let (status, _, html) = form(
            &server,
            &officer,
            "/policy/consultations",
            &[
                ("country", "TH"),
                ("reform", "a reform"),
                ("held_on", "2026-03-01"),
                ("participants", "lots"),
                ("age_groups", "15_17"),
                ("method", "survey"),
                ("summary", "kept summary"),
            ],
            "vi",
        );
        assert_eq!(status, 422, "{name}");
        assert!(
            html.contains("kept summary") && html.contains("value=\"lots\""),
            "{name}"
        );
        assert!(html.contains("id=\"age-15_17\" checked"), "{name}");
        let (status, head, _) = form(
            &server,
            &officer,
            "/policy/consultations",
            &[
                ("country", "TH"),
                ("reform", "a reform"),
                ("held_on", "2026-03-01"),
                ("participants", "25"),
                ("age_groups", "15_17"),
                ("age_groups", "18_24"),
                ("method", "survey"),
                ("summary", "kept summary"),
            ],
            "en",
        );
        assert_eq!(status, 303, "{name}: {head}");
        let (_, html) = page(&server, &officer, "/policy/consultations?country=TH", "en");
        assert!(
            html.contains("25 participants") && html.contains("kept summary"),
            "{name}"
        );
        server.terminate();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployment_template_replaces_the_built_in_one_and_a_broken_one_stops_the_server() {
    let t = support::stores("policy_legal_template").await.remove(0);
    let officer = user(
        &t.store,
        "officer@a.example",
        Role::PolicyOfficer,
        Some("Ministry A"),
    )
    .await;
    let mut template = super::template_file();
    template["version"] = json!(2);
    // The deployment's own item in tier 3, and the built-in t3-education removed.
    let tier_three = template["tiers"][2]["items"]
        .as_array_mut()
        .expect("tier 3");
    tier_three.retain(|item| item["id"] != "t3-education");
    tier_three.push(json!({
        "id": "t3-custom",
        "question": {"en": "A deployment's own question?", "th": "คำถามของหน่วยงานเอง", "vi": "Câu hỏi riêng của đơn vị?"},
        "guidance": {"en": "Its own guidance.", "th": "คำแนะนำของหน่วยงานเอง", "vi": "Hướng dẫn riêng."},
    }));
    let path = t.location.data_dir.join("legal-v2.json");
    std::fs::write(&path, template.to_string()).expect("write");
    let server = Server::start_with_env(
        &t.location,
        &[("LINDUNG_LEGAL_FRAMEWORK", path.to_str().expect("path"))],
    );
    let (status, served) = server.get("/api/v1/policy/template", Some(&officer));
    assert_eq!(status, 200, "{served}");
    assert_eq!(served["version"], 2);
    let (status, made) = server.json(
        "POST",
        "/api/v1/policy/assessments",
        Some(&officer),
        &json!({"country": "TH", "assessed_on": "2026-01-01", "answers": {}}),
    );
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["template"], "asean-legal-framework@2");
    let served_ids: Vec<&str> = served["tiers"][2]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id"))
        .collect();
    assert!(served_ids.contains(&"t3-custom") && !served_ids.contains(&"t3-education"));

    // The form lists the deployment's item and not the removed one.
    let (status, html) = page(&server, &officer, "/policy/assessment?country=TH", "en");
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("name=\"status.t3-custom\""));
    assert!(unescape(&html).contains("A deployment's own question?"));
    assert!(!html.contains("t3-education"));

    // An answer to the removed item is refused, naming it; one to the new item is kept.
    let before = count(&t, "SELECT COUNT(*) FROM policy_assessments").await;
    let (status, refused) = server.json(
        "POST",
        "/api/v1/policy/assessments",
        Some(&officer),
        &json!({"country": "TH", "assessed_on": "2026-02-01",
            "answers": {"t3-education": {"status": "met"}}}),
    );
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        refused["error"]["field"], "answers.t3-education",
        "{refused}"
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM policy_assessments").await,
        before
    );
    let (status, custom) = server.json(
        "POST",
        "/api/v1/policy/assessments",
        Some(&officer),
        &json!({"country": "TH", "assessed_on": "2026-02-01",
            "answers": {"t3-custom": {"status": "partly_met", "law": "Own Act"}}}),
    );
    assert_eq!(status, 201, "{custom}");

    // The report lists it with its answer, and not the removed item.
    let (status, html) = page(
        &server,
        &officer,
        &format!("/policy/assessments/{}", custom["id"]),
        "en",
    );
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"item-t3-custom\""));
    assert!(html.contains("Own Act"));
    assert!(!html.contains("t3-education"));
    let (status, csv) = server.request(
        "GET",
        &format!("/api/v1/policy/assessments/{}/report.csv", custom["id"]),
        Some(&officer),
        &[],
        b"",
    );
    assert_eq!(status, 200, "{csv}");
    assert!(
        csv.contains("t3-custom") && !csv.contains("t3-education"),
        "{csv}"
    );
    server.terminate();

    // A duplicate item id: the server refuses to start, and says why.
    template["tiers"][2]["items"][0]["id"] = json!("t1-grooming");
    std::fs::write(&path, template.to_string()).expect("write");
    let out = lindung_command(&t.location, &["serve", "--listen", "127.0.0.1:0"])
        .env("LINDUNG_LEGAL_FRAMEWORK", &path)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("LINDUNG_LEGAL_FRAMEWORK") && said.contains("t1-grooming"),
        "{said}"
    );
}

#[test]
fn the_policy_pages_are_complete_in_thai_and_vietnamese() {
    let keys = |lang: &str| -> BTreeSet<String> {
        let text = std::fs::read_to_string(format!(
            "{}/locales/{lang}/policy_legal.ftl",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("locale");
        text.lines()
            .filter(|l| !l.starts_with('#') && l.contains(" = "))
            .map(|l| l.split(" = ").next().unwrap_or_default().trim().to_owned())
            .collect()
    };
    let en = keys("en");
    assert!(en.len() > 80);
    for lang in ["th", "vi"] {
        assert_eq!(keys(lang), en, "{lang}");
    }
}
