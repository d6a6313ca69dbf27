//! Dates ahead refused (a version dated in the future would be "the latest" forever), bad ids
//! and queries answered with the styled error page, and a small consultation's summary never
//! shown to another organisation.

use lindung::access::Role;
use serde_json::{Value, json};

use super::pages::form;
use super::{count, page, post};
use crate::support::{self, server::Server, user};

/// Today in UTC, `days` later, `YYYY-MM-DD`.
fn day(days: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::days(days))
        .date()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn dates_later_than_today_are_refused_and_the_forms_keep_them() {
    for t in support::stores("policy_legal_dates").await {
        let officer = user(
            &t.store,
            "officer@a.example",
            Role::PolicyOfficer,
            Some("Ministry A"),
        )
        .await;
        let server = Server::start(&t.location);
        let name = &t.name;
        let (ahead, today) = (day(2), day(0));
        assert_eq!(today.len(), 10, "{today}");

        // The API: a version dated ahead is refused, naming the field; today is accepted.
        for date in [ahead.as_str(), "9999-12-31"] {
            let (status, answer) = post(
                &server,
                &officer,
                "/api/v1/policy/assessments",
                json!({"country": "TH", "assessed_on": date, "answers": {}}),
            );
            assert_eq!(status, 422, "{name}: {date}: {answer}");
            assert_eq!(answer["error"]["field"], "assessed_on", "{name}: {answer}");
        }
        assert_eq!(
            count(&t, "SELECT COUNT(*) FROM policy_assessments").await,
            0,
            "{name}: nothing stored"
        );
        let (status, made) = post(
            &server,
            &officer,
            "/api/v1/policy/assessments",
            json!({"country": "TH", "assessed_on": today, "answers": {}}),
        );
        assert_eq!(status, 201, "{name}: today: {made}");

        // A consultation held ahead: refused, naming the field.
        let consultation = |held_on: &str| {
            json!({
                "country": "TH", "reform": "online grooming", "held_on": held_on,
                "participants": 30, "age_groups": ["15_17"], "method": "workshop",
                "summary": "heard in a workshop",
            })
        };
        for date in [ahead.as_str(), "9999-12-31"] {
            let (status, answer) = post(
                &server,
                &officer,
                "/api/v1/policy/consultations",
                consultation(date),
            );
            assert_eq!(status, 422, "{name}: {date}: {answer}");
            assert_eq!(answer["error"]["field"], "held_on", "{name}: {answer}");
        }
        assert_eq!(
            count(&t, "SELECT COUNT(*) FROM policy_consultations").await,
            0,
            "{name}: nothing stored"
        );
        let (status, made) = post(
            &server,
            &officer,
            "/api/v1/policy/consultations",
            consultation(&today),
        );
        assert_eq!(status, 201, "{name}: today: {made}");

        // The forms: refused with the reason, and what was typed is kept.
        let (status, _, html) = form(
            &server,
            &officer,
            "/policy/assessment",
            &[
                ("country", "TH"),
                ("assessed_on", &ahead),
                ("status.t1-grooming", "met"),
                ("law.t1-grooming", "kept law"),
            ],
            "en",
        );
        assert_eq!(status, 422, "{name}: {html}");
        assert!(html.contains(&format!("value=\"{ahead}\"")), "{name}");
        assert!(html.contains("value=\"kept law\""), "{name}");
        assert!(html.contains("later than today"), "{name}: the reason");
        assert!(
            html.contains(&format!("value=\"{ahead}\" aria-invalid=\"true\"")),
            "{name}: the date marked"
        );
        let (status, _, html) = form(
            &server,
            &officer,
            "/policy/consultations",
            &[
                ("country", "TH"),
                ("reform", "kept reform"),
                ("held_on", &ahead),
                ("participants", "12"),
                ("age_groups", "12_14"),
                ("method", "survey"),
                ("summary", "kept summary"),
            ],
            "vi",
        );
        assert_eq!(status, 422, "{name}: {html}");
        assert!(html.contains(&format!("value=\"{ahead}\"")), "{name}");
        assert!(html.contains("kept summary"), "{name}");
        assert!(
            html.contains("muộn hơn hôm nay"),
            "{name}: the reason in vi"
        );
        assert_eq!(
            count(&t, "SELECT COUNT(*) FROM policy_assessments").await,
            1,
            "{name}"
        );
        assert_eq!(
            count(&t, "SELECT COUNT(*) FROM policy_consultations").await,
            1,
            "{name}"
        );
        server.terminate();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_id_or_query_answers_the_styled_error_page() {
    let t = support::stores("policy_legal_bad_ids").await.remove(0);
    let officer = user(
        &t.store,
        "officer@a.example",
        Role::PolicyOfficer,
        Some("Ministry A"),
    )
    .await;
    let server = Server::start(&t.location);
    let auth = format!("Bearer {officer}");
    for path in [
        "/policy/assessments/abc",
        "/policy/assessments/abc/report.csv",
        "/policy/compare?from=x&to=1",
        "/policy/assessments?country=TH&country=VN",
    ] {
        let (status, head, body) = server.raw(
            "GET",
            path,
            &[
                ("Authorization", auth.as_str()),
                ("Accept", "text/html"),
                ("Accept-Language", "th"),
            ],
            b"",
        );
        assert_eq!(status, 422, "{path}: {head}{body}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: text/html"),
            "{path}: {head}"
        );
        assert!(body.contains("lang=\"th\""), "{path}: {body}");
        assert!(body.contains("<main"), "{path}: the styled page");
        assert!(serde_json::from_str::<Value>(&body).is_err(), "{path}");
    }
    server.terminate();
}

#[tokio::test(flavor = "multi_thread")]
async fn another_organisation_never_sees_a_consultation() {
    for t in support::stores("policy_legal_consult_orgs").await {
        let a = user(
            &t.store,
            "officer@a.example",
            Role::PolicyOfficer,
            Some("Ministry A"),
        )
        .await;
        let b = user(
            &t.store,
            "officer@b.example",
            Role::PolicyOfficer,
            Some("Ministry B"),
        )
        .await;
        let server = Server::start(&t.location);
        let name = &t.name;
        // Fewer than five participants: allowed.
        let (status, made) = post(
            &server,
            &a,
            "/api/v1/policy/consultations",
            json!({
                "country": "TH", "reform": "secret reform", "held_on": "2026-03-01",
                "participants": 3, "age_groups": ["12_14"], "method": "focus_group",
                "summary": "what three children said",
            }),
        );
        assert_eq!(status, 201, "{name}: {made}");
        let (_, mine) = server.get("/api/v1/policy/consultations", Some(&a));
        assert_eq!(mine.as_array().map(Vec::len), Some(1), "{name}: {mine}");

        // B: the API, the page and B's own report show nothing of A's.
        for path in [
            "/api/v1/policy/consultations",
            "/api/v1/policy/consultations?country=TH",
        ] {
            let (status, theirs) = server.get(path, Some(&b));
            assert_eq!((status, theirs), (200, json!([])), "{name}: {path}");
        }
        let (status, b_version) = post(
            &server,
            &b,
            "/api/v1/policy/assessments",
            json!({"country": "TH", "assessed_on": "2026-04-01", "answers": {}}),
        );
        assert_eq!(status, 201, "{name}: {b_version}");
        for path in [
            "/policy/consultations".to_owned(),
            "/policy/consultations?country=TH".to_owned(),
            format!("/policy/assessments/{}", b_version["id"]),
        ] {
            let (status, html) = page(&server, &b, &path, "en");
            assert_eq!(status, 200, "{name}: {path}");
            assert!(
                !html.contains("what three children said") && !html.contains("secret reform"),
                "{name}: {path}"
            );
            assert!(
                !html.contains(&format!("id=\"consultation-{}\"", made["id"])),
                "{name}: {path}"
            );
        }
        // A sees it on A's page.
        let (_, html) = page(&server, &a, "/policy/consultations?country=TH", "en");
        assert!(html.contains("what three children said"), "{name}");
        server.terminate();
    }
}
