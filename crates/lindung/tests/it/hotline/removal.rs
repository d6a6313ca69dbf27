//! Removal checks a host cannot fool: the checker looks like a browser, one "gone" is not
//! enough, a host that answers 404 once and then serves the file again starts over, and an
//! analyst can confirm a removal, audited.

use serde_json::{Value, json};

use super::{KNOWN_MD5, Small, small_deployment};
use crate::support;
use crate::support::site::Site;

/// A page that is not a picture: the hashes cannot tell it from the reported file, so it is
/// online while it is served.
const PAGE: &[u8] = b"<html><body>a page</body></html>";

#[tokio::test(flavor = "multi_thread")]
async fn removal_takes_two_checks_in_a_row_from_a_neutral_agent_or_an_analysts_word() {
    for t in support::stores("hotline_removal").await {
        let site = Site::start();
        site.serve("/a", PAGE.to_vec());
        site.serve("/b", PAGE.to_vec());
        // Known content is `assessed` at once, so its URLs are checked on every run.
        let Small {
            admin,
            analyst,
            platform,
            server,
        } = small_deployment(&t, Some(site.port())).await;
        let md5 = KNOWN_MD5;
        let (url_a, url_b) = (format!("{}/a", site.base), format!("{}/b", site.base));
        let (status, created) = server.json(
            "POST",
            "/api/v1/reports",
            Some(&platform),
            &json!({"incident_type": "csam", "files": [{"md5": md5}], "urls": [url_a, url_b]}),
        );
        assert_eq!(
            (status, created["known_content"].as_bool()),
            (201, Some(true)),
            "{created}"
        );
        let id = created["id"].as_str().expect("id").to_owned();
        let run = || {
            let (status, run) =
                server.json("POST", "/api/v1/hotline/run-due", Some(&admin), &json!({}));
            assert_eq!(status, 200, "{}: {run}", t.name);
            run
        };
        let url_status = |url: &str| -> (String, Value) {
            let (_, report) = server.get(&format!("/api/v1/reports/{id}"), Some(&analyst));
            let found = report["urls"]
                .as_array()
                .expect("urls")
                .iter()
                .find(|u| u["url"] == url)
                .cloned()
                .expect("url");
            (found["status"].as_str().expect("status").to_owned(), found)
        };

        assert_eq!(run()["urls_removed"], 0, "{}: both online", t.name);
        // The host sees a browser, never a hotline's checker.
        let requests = site.requests();
        assert!(requests.iter().any(|r| r.path == "/a"), "{requests:?}");
        for request in &requests {
            let agent = request.user_agent.to_ascii_lowercase();
            assert!(agent.starts_with("mozilla/5.0 ("), "{}: {agent:?}", t.name);
            assert!(
                !agent.contains("lindung") && !agent.contains("hotline"),
                "{}: {agent:?}",
                t.name
            );
        }

        site.take_down("/a");
        site.take_down("/b");
        let first = run();
        assert_eq!(
            first["urls_removed"], 0,
            "{}: one 404 is not removal: {first}",
            t.name
        );
        assert_eq!(url_status(&url_a).0, "online");
        // /b's host serves the file again after one 404.
        site.serve("/b", PAGE.to_vec());
        let second = run();
        assert_eq!(second["urls_removed"], 1, "{}: {second}", t.name);
        let (status, a) = url_status(&url_a);
        assert_eq!(
            (status.as_str(), &a["removal_evidence"]),
            ("removed", &json!("http_404"))
        );
        assert_eq!(url_status(&url_b).0, "online", "{}: served again", t.name);
        site.take_down("/b");
        let third = run();
        assert_eq!(
            third["urls_removed"], 0,
            "{}: the 404 before the file came back does not count: {third}",
            t.name
        );
        assert_eq!(url_status(&url_b).0, "online");

        // An analyst confirms /b is gone; the page offers it, the API records it.
        let b_id = url_status(&url_b).1["id"].as_i64().expect("id");
        let (status, page) = server.request(
            "GET",
            &format!("/hotline/reports/{id}"),
            Some(&analyst),
            &[],
            b"",
        );
        assert_eq!(status, 200);
        assert!(
            page.contains(&format!("/hotline/reports/{id}/urls/{b_id}/removal")),
            "{page}"
        );
        let removal = format!("/api/v1/reports/{id}/urls/{b_id}/removal");
        let (status, _) = server.json("POST", &removal, Some(&platform), &json!({}));
        assert_eq!(status, 403, "{}: platforms cannot confirm", t.name);
        assert_eq!(url_status(&url_b).0, "online");
        let (status, answer) = server.json("POST", &removal, Some(&analyst), &json!({}));
        assert_eq!(status, 204, "{}: {answer}", t.name);
        let (status, b) = url_status(&url_b);
        assert_eq!(
            (status.as_str(), &b["removal_evidence"]),
            ("removed", &json!("analyst_confirmed"))
        );
        let (_, report) = server.get(&format!("/api/v1/reports/{id}"), Some(&analyst));
        assert_eq!(report["status"], "removed", "{}: {report}", t.name);
        let (status, again) = server.json("POST", &removal, Some(&analyst), &json!({}));
        assert_eq!(
            (status, &again["error"]["code"]),
            (409, &json!("already_removed"))
        );

        use lindung::access::entities::{audit_entry, user as user_row};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let analyst_id = user_row::Entity::find()
            .filter(user_row::Column::Email.eq("a@hotline.example"))
            .one(t.store.db())
            .await
            .expect("user")
            .expect("the analyst")
            .id;
        let confirmations = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("hotline.url.confirm_removal"))
            .all(t.store.db())
            .await
            .expect("audit");
        assert_eq!(confirmations.len(), 1, "{}", t.name);
        assert_eq!(confirmations[0].record_id.as_deref(), Some(id.as_str()));
        assert_eq!(
            confirmations[0].actor_user_id,
            Some(analyst_id),
            "{}: audited with the analyst",
            t.name
        );
        server.terminate();
    }
}
