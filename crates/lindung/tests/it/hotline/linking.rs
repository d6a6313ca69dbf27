//! The public cannot reopen or steer a decided report: a submission of a URL whose report is
//! assessed or closed opens a new report linked to it, which analysts see; submissions still
//! join a report open for intake; and the reporter's status page shows only coarse states.

use serde_json::{Value, json};

use super::{KNOWN_MD5, Small, element_text, small_deployment};
use crate::support;

/// The coarse states a reporter may see, in English.
const COARSE: [&str; 5] = ["Received", "In review", "Action taken", "Removed", "Closed"];

#[tokio::test(flavor = "multi_thread")]
async fn submissions_of_decided_reports_open_linked_reports_and_never_reopen_them() {
    for t in support::stores("hotline_links").await {
        let Small {
            analyst,
            platform,
            server,
            ..
        } = small_deployment(&t, None).await;
        let md5 = KNOWN_MD5;
        let report = |id: &str| -> Value {
            let (status, view) = server.get(&format!("/api/v1/reports/{id}"), Some(&analyst));
            assert_eq!(status, 200, "{}: {view}", t.name);
            view
        };
        let api_report = |urls: Value, files: Value| -> Value {
            let (status, created) = server.json(
                "POST",
                "/api/v1/reports",
                Some(&platform),
                &json!({"incident_type": "csam", "urls": urls, "files": files}),
            );
            assert_eq!(status, 201, "{}: {created}", t.name);
            created
        };
        let public_report = |url: &str| -> (String, String) {
            let (status, page) = server.form(
                "/report",
                &[
                    ("lang", "en"),
                    ("urls", url),
                    ("kind", "csam"),
                    ("description", "seen it"),
                ],
            );
            assert_eq!(status, 201, "{}: {page}", t.name);
            (element_text(&page, "reference"), element_text(&page, "pin"))
        };
        let public_status = |reference: &str, pin: &str| -> String {
            let (status, page) = server.form(
                "/report/status",
                &[("lang", "en"), ("reference", reference), ("pin", pin)],
            );
            assert_eq!(status, 200, "{}: {page}", t.name);
            element_text(&page, "status")
        };

        // A new report still takes submissions: they join it.
        let open_url = "https://open.example/p/1";
        let first = api_report(json!([open_url]), json!([]));
        let open_id = first["id"].as_str().expect("id").to_owned();
        let (open_reference, open_pin) = public_report(open_url);
        assert_eq!(
            report(&open_id)["submissions"]
                .as_array()
                .expect("subs")
                .len(),
            2
        );
        let shown = public_status(&open_reference, &open_pin);
        assert!(shown.starts_with("Received"), "{}: {shown}", t.name);

        // Known content is assessed at once: a later submission does not join it.
        let decided_url = "https://decided.example/p/1";
        let decided = api_report(json!([decided_url]), json!([{"md5": md5}]));
        let decided_id = decided["id"].as_str().expect("id").to_owned();
        assert_eq!(report(&decided_id)["status"], "assessed");
        let (reference, pin) = public_report(decided_url);
        let before = report(&decided_id);
        assert_eq!(before["status"], "assessed", "{}: not reopened", t.name);
        assert_eq!(before["submissions"].as_array().expect("subs").len(), 1);
        let later = &before["linked_reports"];
        assert_eq!(
            later.as_array().map(Vec::len),
            Some(1),
            "{}: {before}",
            t.name
        );
        assert_eq!(later[0]["relation"], "later");
        let new_id = later[0]["id"].as_str().expect("id").to_owned();
        assert_ne!(new_id, decided_id);
        let new = report(&new_id);
        assert_eq!(new["status"], "new");
        assert_eq!(
            new["linked_reports"],
            json!([{"id": decided_id, "relation": "earlier", "status": "assessed"}]),
            "{}",
            t.name
        );
        // The reporter sees their own report's coarse state, not the decided one's.
        let shown = public_status(&reference, &pin);
        assert!(shown.starts_with("Received"), "{}: {shown}", t.name);
        assert!(COARSE.iter().any(|c| shown.starts_with(c)));
        // The new report is open for intake: a platform's submission of the URL joins it.
        let joined = api_report(json!([decided_url]), json!([]));
        assert_eq!(
            (joined["id"].as_str(), joined["merged"].as_bool()),
            (Some(new_id.as_str()), Some(true))
        );
        assert_eq!(
            report(&decided_id)["submissions"]
                .as_array()
                .expect("subs")
                .len(),
            1
        );
        // The analysts' page shows the link.
        let (status, page) = server.request(
            "GET",
            &format!("/hotline/reports/{new_id}"),
            Some(&analyst),
            &[],
            b"",
        );
        assert_eq!(status, 200);
        assert!(
            page.contains(&format!("href=\"/hotline/reports/{decided_id}\"")),
            "{page}"
        );

        // A closed report is not reopened by the API either.
        let (status, _) = server.json(
            "POST",
            &format!("/api/v1/reports/{open_id}/close"),
            Some(&analyst),
            &json!({"reason": "not illegal"}),
        );
        assert_eq!(status, 204);
        let again = api_report(json!([open_url]), json!([]));
        assert_eq!(again["merged"], false, "{}: {again}", t.name);
        let closed = report(&open_id);
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["submissions"].as_array().expect("subs").len(), 2);
        assert_eq!(closed["linked_reports"][0]["id"], again["id"]);
        let reopened = report(again["id"].as_str().expect("id"));
        assert_eq!(reopened["linked_reports"][0]["status"], "closed");
        // The first reporter learns only that it is closed: no reason, no later report.
        assert_eq!(public_status(&open_reference, &open_pin), "Closed.");
        server.terminate();
    }
}
