//! The hotline end to end, over loopback, on SQLite and PostgreSQL: an API report and a public
//! report of the same URL merge; a known file is auto-classified; analysts claim and assess;
//! the provider's notice reaches a test SMTP server, is resent and escalated; removal is seen on
//! a loopback site; time to removal shows in the statistics; the law-enforcement package's
//! digest verifies independently; the CyberTipline XML parses with NCMEC's typed models; and
//! every refusal is by role and organisation.

mod linking;
mod removal;
mod report_flow;

use lindung::access::Role;
use serde_json::{Value, json};

use crate::support::server::Server;
use crate::support::{self, user};
use report_flow::{Files, Hotline};

/// The test deployment: hotline "Hotline TH", loopback allowed, one-second resends, escalation
/// after two notices, checks on every run, evidence uploads accepted.
/// How long before an unanswered notice is sent again, in the test's configuration.
pub(crate) const RESEND_AFTER_SECONDS: u64 = 6;

fn config_file(dir: &std::path::Path, site_port: Option<u16>) -> std::path::PathBuf {
    let mut config: Value =
        serde_json::from_str(lindung::hotline::config::DEFAULT_CONFIG).expect("default config");
    config["organisation"] = json!("Hotline TH");
    config["allow_networks"] = json!(["127.0.0.0/8"]);
    // The loopback site listens on a port of its own, which the deployment must allow.
    config["allow_ports"] = json!([80, 443, site_port.unwrap_or(80)]);
    // Long enough that the second due run below, however slow the machine, comes before the
    // next resend; the test waits this long once, before the first.
    config["notices"]["resend_after_seconds"] = json!(RESEND_AFTER_SECONDS);
    config["notices"]["escalate_after"] = json!(2);
    config["checks"]["interval_seconds"] = json!(0);
    // The test runs due work itself, through the admin route.
    config["checks"]["run_every_seconds"] = json!(3600);
    config["checks"]["timeout_seconds"] = json!(5);
    config["evidence"]["accept_uploads"] = json!(true);
    let path = dir.join("hotline-test.json");
    std::fs::write(&path, config.to_string()).expect("write config");
    path
}

/// A small deployment for the tests that need only the API: the hotline's admin and analyst,
/// a platform, and a server with the test configuration; a bank `KNOWN` holds the file
/// `KNOWN_MD5` (synthetic), so a report of it is `assessed` at once and its URLs are checked on
/// every run.
pub(crate) struct Small {
    pub admin: String,
    pub analyst: String,
    pub platform: String,
    pub server: Server,
}

/// The file the `KNOWN` bank holds.
pub(crate) const KNOWN_MD5: &str = "00112233445566778899aabbccddeeff";

pub(crate) async fn small_deployment(t: &support::TestStore, site_port: Option<u16>) -> Small {
    let admin = user(
        &t.store,
        "admin@hotline.example",
        Role::Admin,
        Some("Hotline TH"),
    )
    .await;
    let analyst = user(
        &t.store,
        "a@hotline.example",
        Role::Analyst,
        Some("Hotline TH"),
    )
    .await;
    let platform = user(
        &t.store,
        "api@platform.example",
        Role::Platform,
        Some("Platform X"),
    )
    .await;
    let config = config_file(&t.location.data_dir, site_port);
    let server = Server::start_with_env(
        &t.location,
        &[("LINDUNG_HOTLINE_CONFIG", config.to_str().expect("path"))],
    );
    let (status, _) = server.json(
        "POST",
        "/api/v1/banks",
        Some(&admin),
        &json!({"name": "KNOWN"}),
    );
    assert_eq!(status, 201);
    let (status, _) = server.json(
        "POST",
        "/api/v1/banks/KNOWN/content",
        Some(&admin),
        &json!({"md5": KNOWN_MD5}),
    );
    assert_eq!(status, 201);
    Small {
        admin,
        analyst,
        platform,
        server,
    }
}

/// The text of the element with `id` in a page.
fn element_text(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let after = &html[start..];
    let open = after.find('>').expect("tag end") + 1;
    let close = after[open..].find('<').expect("text end");
    after[open..open + close].trim().to_owned()
}

/// One scenario per backend, as named steps (in `report_flow`); each step builds on the ones
/// before it.
#[tokio::test(flavor = "multi_thread")]
async fn a_report_goes_from_intake_to_removal_and_referral() {
    let files = Files::load();
    for t in support::stores("hotline").await {
        let mut h = Hotline::start(&t, &files).await;
        report_flow::step_banks_hold_known_and_confirmed_material(&h);
        report_flow::step_a_platform_reports_through_the_api_with_an_idempotency_key(&mut h);
        report_flow::step_bad_api_reports_are_refused_field_by_field(&h);
        report_flow::step_a_public_report_of_the_same_url_joins_it(&mut h);
        report_flow::step_a_known_file_is_classified_from_its_bank(&mut h);
        report_flow::step_the_analyst_sees_both_submissions(&mut h);
        report_flow::step_the_reporter_sees_the_status_and_nothing_else(&h);
        report_flow::step_the_queue_puts_danger_first_and_shows_other_hotlines_nothing(&h);
        report_flow::step_an_analyst_claims_and_assesses_by_the_law_table(&mut h);
        report_flow::step_urls_are_attributed_to_a_hosting_provider(&mut h);
        report_flow::step_notices_go_to_the_provider_in_its_language(&h);
        report_flow::step_notices_are_resent_and_escalated_until_removal(&h);
        report_flow::step_time_to_removal_shows_in_the_statistics(&h);
        report_flow::step_the_police_package_verifies_independently(&h);
        report_flow::step_the_cybertipline_xml_reads_back_in_ncmecs_models(&h);
        report_flow::step_a_partner_hotline_imports_the_export(&h);
        report_flow::step_a_care_case_is_opened_for_the_child(&h);
        report_flow::step_evidence_is_encrypted_revealed_to_analysts_and_purged(&h).await;
        report_flow::step_the_analysts_pages_show_the_report(&h);
        report_flow::step_contacts_are_edited_by_admins_only(&h);
        report_flow::step_stored_secrets_are_encrypted_and_every_action_audited(&h).await;
        h.terminate();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_process_at_a_time_runs_the_notices_and_checks() {
    use lindung::hotline::takedown::Runs;
    for t in support::stores("hotline_lease").await {
        let app = lindung::app::AppState::new(
            lindung::app::Parts::for_store(t.store.clone()).expect("parts"),
        )
        .expect("app");
        let first = Runs::new().expect("runs");
        let second = Runs::new().expect("runs");
        assert!(
            first.take_lease(&t.store).await.expect("lease"),
            "{}",
            t.name
        );
        assert!(
            !second.take_lease(&t.store).await.expect("lease"),
            "{}: held",
            t.name
        );
        assert!(
            first.take_lease(&t.store).await.expect("lease"),
            "the holder renews"
        );
        assert!(
            second.run_due(&app.hotline).await.expect("run").is_none(),
            "{}: a second process does not run meanwhile",
            t.name
        );
        first.release_lease(&t.store).await.expect("release");
        let run = second.run_due(&app.hotline).await.expect("run");
        assert!(run.is_some(), "{}: free again after release", t.name);
        assert!(
            first.take_lease(&t.store).await.expect("lease"),
            "and released after the run"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_that_stops_resolving_counts_as_removed_on_the_second_check() {
    for t in support::stores("hotline_dns").await {
        // Known content goes straight to `assessed`, so its URL is checked at once.
        let Small {
            admin,
            platform,
            server,
            ..
        } = small_deployment(&t, None).await;
        let md5 = KNOWN_MD5;
        let (status, created) = server.json(
            "POST",
            "/api/v1/reports",
            Some(&platform),
            &json!({"incident_type": "csam", "files": [{"md5": md5}], "urls": ["http://lindung-gone-host.invalid/p/1"]}),
        );
        assert_eq!(
            (status, created["known_content"].as_bool()),
            (201, Some(true)),
            "{}: {created}",
            t.name
        );
        let id = created["id"].as_str().expect("id").to_owned();
        let (_, first) = server.json("POST", "/api/v1/hotline/run-due", Some(&admin), &json!({}));
        assert_eq!(
            (
                first["urls_checked"].as_u64(),
                first["urls_removed"].as_u64()
            ),
            (Some(1), Some(0)),
            "{}: one failure may be our resolver: {first}",
            t.name
        );
        let (_, second) = server.json("POST", "/api/v1/hotline/run-due", Some(&admin), &json!({}));
        assert_eq!(second["urls_removed"], 1, "{}: {second}", t.name);
        let (_, report) = server.get(&format!("/api/v1/reports/{id}"), Some(&admin));
        assert_eq!(report["status"], "removed");
        assert_eq!(report["urls"][0]["removal_evidence"], "dns_failure");
    }
}

/// The public form takes a web address the way most people type it, without `https://`.
#[tokio::test(flavor = "multi_thread")]
async fn the_public_form_reads_web_addresses_as_people_type_them() {
    for t in support::stores("hotline_typed_urls").await {
        let Small {
            analyst, server, ..
        } = small_deployment(&t, None).await;
        let (status, page) = server.form(
            "/report",
            &[
                ("lang", "th"),
                ("urls", "www.example.org/seen-here"),
                ("description", "เห็นในกลุ่ม"),
            ],
        );
        assert_eq!(status, 201, "{}: {page}", t.name);
        let (_, queue) = server.get("/api/v1/hotline/queue", Some(&analyst));
        let id = queue[0]["id"].as_str().expect("a report").to_owned();
        let (_, report) = server.get(&format!("/api/v1/reports/{id}"), Some(&analyst));
        assert_eq!(
            report["urls"][0]["url"], "https://www.example.org/seen-here",
            "{}: {report}",
            t.name
        );
        server.terminate();
    }
}

/// An analyst closes a report with no further action from its page, giving the reason; only
/// once the report is theirs.
#[tokio::test(flavor = "multi_thread")]
async fn an_analyst_closes_a_report_with_no_action_from_its_page() {
    for t in support::stores("hotline_close_page").await {
        let Small {
            analyst,
            platform,
            server,
            ..
        } = small_deployment(&t, None).await;
        let (status, created) = server.json(
            "POST",
            "/api/v1/reports",
            Some(&platform),
            &json!({"incident_type": "csam", "urls": ["https://example.org/p/9"]}),
        );
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().expect("id").to_owned();
        let (status, _, session) =
            crate::accounts::login(&server, "a@hotline.example", crate::accounts::PASSWORD);
        assert_eq!(status, 303);
        let session = session.expect("session");
        let page_of = |path: &str| server.raw("GET", path, &[("Cookie", &session)], b"").2;
        let report_page = format!("/hotline/reports/{id}");
        let page = page_of(&report_page);
        assert!(
            !page.contains("id=\"close-report\""),
            "not theirs yet: {page}"
        );
        // Words, not values: the status and the type in the reader's language.
        let in_thai = |path: &str| {
            server
                .raw(
                    "GET",
                    path,
                    &[("Cookie", &session), ("Accept-Language", "th")],
                    b"",
                )
                .2
        };
        let thai = in_thai(&report_page);
        assert!(
            thai.contains("id=\"status\">ใหม่<") && thai.contains("สื่อการล่วงละเมิดทางเพศเด็ก"),
            "{thai}"
        );
        let queue = in_thai("/hotline");
        assert!(
            queue.contains("<td>สื่อการล่วงละเมิดทางเพศเด็ก")
                && !queue.contains("<td>csam")
                && !queue.contains("<td>new"),
            "{queue}"
        );
        let csrf = crate::accounts::hidden(&page, "csrf");
        let post = |action: &str, body: String| {
            let (status, head, _) = server.raw(
                "POST",
                action,
                &[
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Cookie", &session),
                ],
                body.as_bytes(),
            );
            if status == 303 {
                let expected = format!("location: {report_page}?done=");
                assert!(head.to_ascii_lowercase().contains(&expected), "{head}");
            }
            status
        };
        assert_eq!(
            post(&format!("{report_page}/claim"), format!("csrf={csrf}")),
            303
        );
        // Each action says what it did on the page it returns to.
        let page = page_of(&format!("{report_page}?done=claimed"));
        assert!(page.contains("The report is yours now."), "{page}");
        assert!(page.contains("id=\"close-report\""), "{page}");
        let page = page_of(&format!("{report_page}?done=anything"));
        assert!(
            !page.contains("id=\"done\""),
            "an unknown confirmation says nothing"
        );
        assert_eq!(
            post(
                &format!("{report_page}/close"),
                format!("csrf={csrf}&reason=")
            ),
            422,
            "a reason is needed"
        );
        assert_eq!(
            post(
                &format!("{report_page}/close"),
                format!("csrf={csrf}&reason=nothing+in+it+is+illegal")
            ),
            303
        );
        let (_, report) = server.get(&format!("/api/v1/reports/{id}"), Some(&analyst));
        assert_eq!(report["status"], "closed", "{}: {report}", t.name);
        assert!(
            report.to_string().contains("nothing in it is illegal"),
            "the reason is on the timeline: {report}"
        );
        server.terminate();
    }
}
