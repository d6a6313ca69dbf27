//! The hotline scenario's steps, in order: intake through the API and the public form, merging,
//! auto-classification, the queue, claim and assessment, attribution, notices, resends and
//! escalation, removal, statistics, the police package, the CyberTipline export, a partner
//! hotline, a care case, evidence, the analysts' pages, contacts, and what is stored.

use std::sync::{Arc, Mutex};

use lindung::access::Role;
use serde_json::{Value, json};

use super::{config_file, element_text};
use crate::support::server::Server;
use crate::support::site::Site;
use crate::support::{self, TestStore, contains, hex, sqlite_bytes, testdata, user};

const CSV: (&str, &str) = ("Content-Type", "text/csv");

/// The reported files: a photo, and another picture; and a file the banks already know, by
/// synthetic hashes (never content).
pub(super) struct Files {
    original: Vec<u8>,
    other: Vec<u8>,
    // The photo's PDQ hash and MD5.
    pdq: String,
    md5: String,
    known_pdq: &'static str,
    known_md5: &'static str,
}

impl Files {
    pub(super) fn load() -> Files {
        let original =
            std::fs::read(testdata("pdq/data/bridge-mods/aaa-orig.jpg")).expect("testdata");
        let other = std::fs::read(testdata("pdq/data/misc-images/c.png")).expect("testdata");
        let fingerprint = lindung_media::Fingerprinter::new(lindung_media::Options::default())
            .fingerprint_bytes(&original)
            .expect("hash");
        let pdq = fingerprint.pdq.hash.to_string();
        let md5 = hex(&fingerprint.digests.md5);
        // A file the banks already know: synthetic hashes, never content.
        let known_pdq = "9e2b1c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
        let known_md5 = "0123456789abcdef0123456789abcdef";
        Files {
            original,
            other,
            pdq,
            md5,
            known_pdq,
            known_md5,
        }
    }
}

/// What the steps share: the store, the files, the deployment (server, loopback site, mail
/// sink), everyone's API tokens, the reported URLs, and what earlier steps made.
pub(super) struct Hotline<'a> {
    t: &'a TestStore,
    files: &'a Files,
    server: Server,
    /// The hosting provider's site, serving the photo at /p/1 and the other picture at /p/2.
    site: Site,
    /// The messages the mail sink received.
    mail: Arc<Mutex<Vec<String>>>,
    // Hotline TH's admin and two analysts, and an analyst of Hotline VN (`stranger`).
    admin: String,
    analyst: String,
    colleague: String,
    stranger: String,
    // A platform, two police forces, a researcher, and a supervisor and a worker of Care A.
    platform: String,
    police: String,
    other_police: String,
    researcher: String,
    care_supervisor: String,
    worker: String,
    // The two reported URLs on the site.
    url1: String,
    url2: String,
    // The platform's report and its id, and the public report's reference and PIN.
    api_report: Value,
    id: String,
    reference: String,
    pin: String,
    /// The report of the known file.
    known_id: String,
    // The analyst's first view of the report, its file and its URLs.
    report: Value,
    file_id: i64,
    url_ids: Vec<i64>,
    /// The hosting provider the URLs are attributed to.
    provider_id: i64,
}

/// A token as the optional credential of a request.
fn a(token: &str) -> Option<String> {
    Some(token.to_owned())
}

impl<'a> Hotline<'a> {
    /// The test deployment: users of every role in several organisations, the provider's site,
    /// a mail sink, and the server configured for the test (see `config_file`).
    pub(super) async fn start(t: &'a TestStore, files: &'a Files) -> Hotline<'a> {
        let (original, other) = (&files.original, &files.other);
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
        let colleague = user(
            &t.store,
            "b@hotline.example",
            Role::Analyst,
            Some("Hotline TH"),
        )
        .await;
        let stranger = user(
            &t.store,
            "c@other.example",
            Role::Analyst,
            Some("Hotline VN"),
        )
        .await;
        let platform = user(
            &t.store,
            "api@platform.example",
            Role::Platform,
            Some("Platform X"),
        )
        .await;
        let police = user(
            &t.store,
            "officer@police.example",
            Role::LawEnforcement,
            Some("Police TH"),
        )
        .await;
        let other_police = user(
            &t.store,
            "officer@elsewhere.example",
            Role::LawEnforcement,
            Some("Police XX"),
        )
        .await;
        let researcher = user(
            &t.store,
            "r@uni.example",
            Role::Researcher,
            Some("University"),
        )
        .await;
        let care_supervisor =
            user(&t.store, "s@care.example", Role::Supervisor, Some("Care A")).await;
        let worker = user(&t.store, "w@care.example", Role::CaseWorker, Some("Care A")).await;

        let site = Site::start();
        site.serve("/p/1", original.clone());
        site.serve("/p/2", other.clone());
        let (smtp_port, mail) = support::smtp::sink();
        let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
        let config = config_file(&t.location.data_dir, Some(site.port()));
        let server = Server::start_with_env(
            &t.location,
            &[
                ("LINDUNG_HOTLINE_CONFIG", config.to_str().expect("path")),
                ("LINDUNG_SMTP_URL", &smtp_url),
                ("LINDUNG_SMTP_FROM", "hotline@hotline.example"),
            ],
        );
        let url1 = format!("{}/p/1", site.base);
        let url2 = format!("{}/p/2", site.base);
        Hotline {
            t,
            files,
            server,
            site,
            mail,
            admin,
            analyst,
            colleague,
            stranger,
            platform,
            police,
            other_police,
            researcher,
            care_supervisor,
            worker,
            url1,
            url2,
            api_report: Value::Null,
            id: String::new(),
            reference: String::new(),
            pin: String::new(),
            known_id: String::new(),
            report: Value::Null,
            file_id: 0,
            url_ids: Vec::new(),
            provider_id: 0,
        }
    }

    /// Stops the server gracefully.
    pub(super) fn terminate(self) {
        self.server.terminate();
    }
}

/// A bank of known material, and one for confirmed hashes, both shared with the platforms.
pub(super) fn step_banks_hold_known_and_confirmed_material(h: &Hotline<'_>) {
    let server = &h.server;
    let t = h.t;
    let known_pdq = h.files.known_pdq;
    let known_md5 = h.files.known_md5;
    let admin = h.admin.clone();
    for bank in ["KNOWN", "HOTLINE_CONFIRMED"] {
        let (status, body) = server.json(
            "POST",
            "/api/v1/banks",
            a(&admin).as_deref(),
            &json!({"name": bank, "sharing": "platforms"}),
        );
        assert_eq!(status, 201, "{}: {body}", t.name);
    }
    let (status, body) = server.json(
        "POST",
        "/api/v1/banks/KNOWN/content",
        a(&admin).as_deref(),
        &json!({"pdq": known_pdq, "md5": known_md5, "category": "A2"}),
    );
    assert_eq!(status, 201, "{}: {body}", t.name);
}

/// Intake through the API, with an idempotency key. A retry answers the first result; the same
/// key with another body is refused.
pub(super) fn step_a_platform_reports_through_the_api_with_an_idempotency_key(h: &mut Hotline<'_>) {
    let server = &h.server;
    let t = h.t;
    let pdq = h.files.pdq.clone();
    let md5 = h.files.md5.clone();
    let platform = h.platform.clone();
    let url1 = h.url1.clone();
    let url2 = h.url2.clone();
    let api_report = json!({
        "incident_type": "csam",
        "incident_time": "2026-11-01T10:00:00Z",
        "annotations": ["sextortion"],
        "platform": "Example Chat",
        "service": "direct messages",
        "reported_user": {"identifiers": ["user-8841"], "screen_name": "bad_actor", "profile_url": "https://chat.example/u/8841", "ip_capture_events": [{"ip": "203.0.113.7", "event": "Login", "at": "2026-11-01T09:00:00Z"}]},
        "victims": [{"estimated_age": 10}],
        "urls": [url1, url2],
        "files": [{"pdq": pdq, "md5": md5}],
        "description": "Shared in a group chat; Somchai Witness saw it.",
    });
    let key = [
        ("Content-Type", "application/json"),
        ("Idempotency-Key", "batch-1-item-1"),
    ];
    let (status, text) = server.request(
        "POST",
        "/api/v1/reports",
        a(&platform).as_deref(),
        &key,
        api_report.to_string().as_bytes(),
    );
    assert_eq!(status, 201, "{}: {text}", t.name);
    let created: Value = serde_json::from_str(&text).expect("json");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["known_content"], false);
    assert!(
        created["priority"].as_i64().expect("priority") >= 800,
        "{created}"
    );
    assert!(created.get("pin").is_none(), "platforms get no PIN");
    // A retry answers the first result; the same key with another body is refused.
    let (status, text) = server.request(
        "POST",
        "/api/v1/reports",
        a(&platform).as_deref(),
        &key,
        api_report.to_string().as_bytes(),
    );
    assert_eq!(status, 200, "{}: {text}", t.name);
    let replay: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        (replay["id"].as_str(), replay["replayed"].as_bool()),
        (Some(id.as_str()), Some(true))
    );
    let mut changed = api_report.clone();
    changed["description"] = json!("something else");
    let (status, text) = server.request(
        "POST",
        "/api/v1/reports",
        a(&platform).as_deref(),
        &key,
        changed.to_string().as_bytes(),
    );
    assert_eq!(status, 409, "{}: {text}", t.name);
    assert!(text.contains("idempotency_conflict"), "{text}");
    h.id = id;
    h.api_report = api_report;
}

/// Bad input: a precise 422 naming the field, and nothing written; only platforms report through
/// the API.
pub(super) fn step_bad_api_reports_are_refused_field_by_field(h: &Hotline<'_>) {
    let server = &h.server;
    let t = h.t;
    let api_report = h.api_report.clone();
    let analyst = h.analyst.clone();
    let platform = h.platform.clone();
    let url1 = h.url1.clone();
    for (body, field) in [
        (
            json!({"incident_type": "spam", "urls": [url1.clone()]}),
            "incident_type",
        ),
        (
            json!({"incident_type": "csam", "files": [{"md5": "xyz"}]}),
            "files.md5",
        ),
        (
            json!({"incident_type": "csam", "urls": ["ftp://host.example/a"]}),
            "urls",
        ),
        (json!({"incident_type": "csam"}), "urls"),
        (
            json!({"incident_type": "csam", "urls": [url1.clone()], "incident_time": "yesterday"}),
            "incident_time",
        ),
        (
            json!({"incident_type": "csam", "urls": [url1.clone()], "victims": [{"estimated_age": 30}]}),
            "victims.estimated_age",
        ),
        (
            json!({"incident_type": "csam", "urls": [url1.clone()], "colour": "red"}),
            "colour",
        ),
        (
            json!({"incident_type": "csam", "urls": "not a list"}),
            "urls",
        ),
    ] {
        let (status, answer) =
            server.json("POST", "/api/v1/reports", a(&platform).as_deref(), &body);
        assert_eq!(status, 422, "{}: {body} -> {answer}", t.name);
        assert_eq!(answer["error"]["field"], field, "{body} -> {answer}");
    }
    let (status, _) = server.request(
        "POST",
        "/api/v1/reports",
        a(&platform).as_deref(),
        &[("Content-Type", "application/json")],
        b"{not json",
    );
    assert_eq!(status, 400);
    // A report is JSON and says so; a form another site posts is refused unread.
    let (status, text) = server.request(
        "POST",
        "/api/v1/reports",
        a(&platform).as_deref(),
        &[("Content-Type", "text/plain")],
        api_report.to_string().as_bytes(),
    );
    assert_eq!(status, 415, "{text}");
    assert_eq!(
        server
            .json(
                "POST",
                "/api/v1/reports",
                a(&analyst).as_deref(),
                &api_report
            )
            .0,
        403
    );
    assert_eq!(
        server.json("POST", "/api/v1/reports", None, &api_report).0,
        401
    );
}

/// A public report of the same URL, written differently, joins the same report; the form
/// refuses bots and keeps what was typed.
pub(super) fn step_a_public_report_of_the_same_url_joins_it(h: &mut Hotline<'_>) {
    let server = &h.server;
    let site = &h.site;
    let t = h.t;
    let url1 = h.url1.clone();
    let same_url = format!("{}/p/1#seen-here", site.base.replace("http://", "HTTP://"));
    let (status, page) = server.form(
        "/report",
        &[
            ("lang", "th"),
            ("urls", &same_url),
            ("seen_on", "social_media"),
            ("kind", "csam"),
            ("description", "I saw this on a group"),
            ("country", "TH"),
            ("immediate_danger", "yes"),
            ("contact", "line: witness42"),
        ],
    );
    assert_eq!(status, 201, "{}: {page}", t.name);
    assert!(
        page.contains("191"),
        "Thailand's police number shows at once: {page}"
    );
    let reference = element_text(&page, "reference");
    let pin = element_text(&page, "pin");
    // The receipt's status link carries the reference, and the status form is filled with it.
    let link = format!("/report/status?lang=th&amp;reference={reference}");
    assert!(page.contains(&link), "{page}");
    let (_, status_form) = server.request("GET", &link.replace("&amp;", "&"), None, &[], b"");
    assert!(
        status_form.contains(&format!("value=\"{reference}\"")),
        "{status_form}"
    );
    assert!(
        reference.starts_with("HR-") && pin.len() == 8,
        "{reference} {pin}"
    );
    let (status, page) = server.form(
        "/report",
        &[("urls", &url1), ("website", "http://spam.example")],
    );
    assert_eq!(status, 400, "the honeypot refuses bots: {page}");
    let (status, page) = server.form("/report", &[("urls", "not a url")]);
    assert_eq!(status, 422);
    assert!(
        page.contains("not a url"),
        "the form keeps what was typed: {page}"
    );
    h.reference = reference;
    h.pin = pin;
}

/// Auto-match: a report of a known file is classified from its bank.
pub(super) fn step_a_known_file_is_classified_from_its_bank(h: &mut Hotline<'_>) {
    let server = &h.server;
    let known_pdq = h.files.known_pdq;
    let known_md5 = h.files.known_md5;
    let platform = h.platform.clone();
    let id = h.id.clone();
    let (status, known) = server.json(
        "POST",
        "/api/v1/reports",
        a(&platform).as_deref(),
        &json!({"incident_type": "csam", "files": [{"pdq": known_pdq, "md5": known_md5}]}),
    );
    assert_eq!(status, 201, "{known}");
    assert_eq!(known["known_content"], true);
    let known_id = known["id"].as_str().expect("id").to_owned();
    assert_ne!(known_id, id);
    h.known_id = known_id;
}

/// The analyst's view: two submissions, priority raised by the danger flag; the known file
/// classified.
pub(super) fn step_the_analyst_sees_both_submissions(h: &mut Hotline<'_>) {
    let server = &h.server;
    let analyst = h.analyst.clone();
    let id = h.id.clone();
    let known_id = h.known_id.clone();
    let (status, report) = server.get(&format!("/api/v1/reports/{id}"), a(&analyst).as_deref());
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["submissions"].as_array().expect("subs").len(),
        2,
        "{report}"
    );
    assert_eq!(report["immediate_danger"], true);
    assert_eq!(report["urls"].as_array().expect("urls").len(), 2);
    assert_eq!(
        report["submissions"][1]["details"]["contact"],
        "line: witness42"
    );
    let (_, known_view) = server.get(
        &format!("/api/v1/reports/{known_id}"),
        a(&analyst).as_deref(),
    );
    assert_eq!(known_view["status"], "assessed");
    assert_eq!(known_view["files"][0]["previously_assessed"], "KNOWN");
    assert_eq!(known_view["files"][0]["known_category"], "A2");
    h.report = report;
}

/// The reporter can see the status and nothing else; wrong PINs are refused.
pub(super) fn step_the_reporter_sees_the_status_and_nothing_else(h: &Hotline<'_>) {
    let server = &h.server;
    let url1 = h.url1.clone();
    let reference = h.reference.clone();
    let pin = h.pin.clone();
    let (status, page) = server.form(
        "/report/status",
        &[("lang", "en"), ("reference", &reference), ("pin", &pin)],
    );
    assert_eq!(status, 200);
    assert!(
        element_text(&page, "status").starts_with("Received"),
        "{page}"
    );
    assert!(!page.contains("witness42") && !page.contains(&url1));
    // The reference as people type it: lower case, spaces for dashes.
    let typed = reference.to_lowercase().replace('-', " ");
    let (status, page) = server.form(
        "/report/status",
        &[("lang", "en"), ("reference", &typed), ("pin", &pin)],
    );
    assert_eq!(status, 200, "{typed}: {page}");
    let (status, page) = server.form(
        "/report/status",
        &[("reference", &reference), ("pin", "00000000")],
    );
    assert_eq!(status, 404);
    assert!(
        page.contains(&format!("value=\"{reference}\"")),
        "the form keeps the reference: {page}"
    );
}

/// The queue: danger and sextortion first, filters, and nothing for another hotline.
pub(super) fn step_the_queue_puts_danger_first_and_shows_other_hotlines_nothing(h: &Hotline<'_>) {
    let server = &h.server;
    let analyst = h.analyst.clone();
    let stranger = h.stranger.clone();
    let platform = h.platform.clone();
    let id = h.id.clone();
    let known_id = h.known_id.clone();
    let (_, queue) = server.get("/api/v1/hotline/queue", a(&analyst).as_deref());
    let ids: Vec<&str> = queue
        .as_array()
        .expect("queue")
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [id.as_str(), known_id.as_str()],
        "danger and sextortion first"
    );
    let (_, assessed_only) = server.get(
        "/api/v1/hotline/queue?status=assessed",
        a(&analyst).as_deref(),
    );
    assert_eq!(assessed_only.as_array().expect("queue").len(), 1);
    let (_, by_country) = server.get("/api/v1/hotline/queue?country=VN", a(&analyst).as_deref());
    assert_eq!(by_country.as_array().expect("queue").len(), 0);
    assert_eq!(
        server
            .get("/api/v1/hotline/queue?status=bogus", a(&analyst).as_deref())
            .0,
        422
    );
    // Another organisation's analyst is refused the hotline's queue, not shown an empty one.
    let (status, theirs) = server.get("/api/v1/hotline/queue", a(&stranger).as_deref());
    assert_eq!(
        (status, &theirs["error"]["code"]),
        (403, &json!("forbidden")),
        "{theirs}"
    );
    assert_eq!(
        server
            .get(&format!("/api/v1/reports/{id}"), a(&stranger).as_deref())
            .0,
        403
    );
    assert_eq!(
        server
            .get(&format!("/api/v1/reports/{id}"), a(&platform).as_deref())
            .0,
        403
    );
    assert_eq!(
        server
            .get("/api/v1/reports/999999", a(&analyst).as_deref())
            .0,
        404
    );
}

/// Claim and assessment: only the claimant assesses, the law table decides, and confirmed
/// hashes then match through the banks.
pub(super) fn step_an_analyst_claims_and_assesses_by_the_law_table(h: &mut Hotline<'_>) {
    let server = &h.server;
    let pdq = h.files.pdq.clone();
    let report = h.report.clone();
    let analyst = h.analyst.clone();
    let colleague = h.colleague.clone();
    let platform = h.platform.clone();
    let id = h.id.clone();
    let file_id = report["files"][0]["id"].as_i64().expect("file id");
    let url_ids: Vec<i64> = report["urls"]
        .as_array()
        .expect("urls")
        .iter()
        .map(|u| u["id"].as_i64().expect("id"))
        .collect();
    let assessment = json!({"item_kind": "file", "item_id": file_id, "category": "A1", "age_group": "prepubescent", "content_kind": "image", "add_to_bank": "HOTLINE_CONFIRMED"});
    let (status, answer) = server.json(
        "POST",
        &format!("/api/v1/reports/{id}/assessments"),
        a(&analyst).as_deref(),
        &assessment,
    );
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("not_claimed")),
        "{answer}"
    );
    assert_eq!(
        server
            .json(
                "POST",
                &format!("/api/v1/reports/{id}/claim"),
                a(&analyst).as_deref(),
                &json!({})
            )
            .0,
        204
    );
    let (status, answer) = server.json(
        "POST",
        &format!("/api/v1/reports/{id}/claim"),
        a(&colleague).as_deref(),
        &json!({}),
    );
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("claimed"))
    );
    let (status, answer) = server.json("POST", &format!("/api/v1/reports/{id}/assessments"), a(&analyst).as_deref(), &json!({"item_kind": "file", "item_id": file_id, "category": "B2", "age_group": "pubescent", "content_kind": "image", "legal_status": "baseline"}));
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (422, Some("legal_status")),
        "the law table decides: {answer}"
    );
    let (status, answer) = server.json(
        "POST",
        &format!("/api/v1/reports/{id}/assessments"),
        a(&analyst).as_deref(),
        &assessment,
    );
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["legal_status"], "baseline");
    assert!(
        answer["bank_content_id"].is_string() || answer["bank_content_id"].is_number(),
        "{answer}"
    );
    for url_id in &url_ids {
        let (status, answer) = server.json("POST", &format!("/api/v1/reports/{id}/assessments"), a(&analyst).as_deref(), &json!({"item_kind": "url", "item_id": url_id, "category": "A1", "age_group": "prepubescent", "content_kind": "image"}));
        assert_eq!(status, 201, "{answer}");
    }
    let (_, report) = server.get(&format!("/api/v1/reports/{id}"), a(&analyst).as_deref());
    assert_eq!(report["status"], "assessed");
    // Confirmed hashes now match through the banks.
    let (_, matched) = server.json(
        "POST",
        "/api/v1/match",
        a(&platform).as_deref(),
        &json!({"pdq": [pdq.clone()]}),
    );
    assert!(
        matched.to_string().contains("HOTLINE_CONFIRMED"),
        "{matched}"
    );
    h.file_id = file_id;
    h.url_ids = url_ids;
}

/// Attribution: the admin loads an IP-to-country table; the URL's address is suggested; the admin
/// adds the provider and a partner hotline; the analyst attributes both URLs.
pub(super) fn step_urls_are_attributed_to_a_hosting_provider(h: &mut Hotline<'_>) {
    let server = &h.server;
    let url_ids = h.url_ids.clone();
    let admin = h.admin.clone();
    let analyst = h.analyst.clone();
    let id = h.id.clone();
    let fixture = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/defaults/ip-ranges-example.csv"
    ));
    // The list is CSV, and says so: a body of another type (a form another site posts) is
    // refused before it is read.
    let (status, answer) = server.request(
        "PUT",
        "/api/v1/hotline/ip-ranges",
        a(&admin).as_deref(),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        fixture,
    );
    assert_eq!(status, 415, "{answer}");
    let (status, answer) = server.request(
        "PUT",
        "/api/v1/hotline/ip-ranges",
        a(&admin).as_deref(),
        &[CSV],
        fixture,
    );
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"ranges\":6"), "{answer}");
    let (status, answer) = server.request(
        "PUT",
        "/api/v1/hotline/ip-ranges",
        a(&admin).as_deref(),
        &[CSV],
        b"127.0.0.0,127.255.255.255,TH\n10.0.0.9,10.0.0.1,TH\n",
    );
    assert_eq!(status, 422);
    assert!(answer.contains("line 2"), "{answer}");
    assert_eq!(
        server
            .request(
                "PUT",
                "/api/v1/hotline/ip-ranges",
                a(&analyst).as_deref(),
                &[],
                b""
            )
            .0,
        403
    );
    let (status, suggestion) = server.get(
        &format!("/api/v1/reports/{id}/urls/{}/suggestion", url_ids[0]),
        a(&analyst).as_deref(),
    );
    assert_eq!(status, 200, "{suggestion}");
    assert_eq!(
        (
            suggestion["resolved_ip"].as_str(),
            suggestion["hosting_country"].as_str()
        ),
        (Some("127.0.0.1"), Some("TH"))
    );
    let provider = json!({"name": "Loopback Hosting", "country": "TH", "email": "abuse@host.example", "language": "th"});
    assert_eq!(
        server
            .json(
                "POST",
                "/api/v1/hotline/providers",
                a(&analyst).as_deref(),
                &provider
            )
            .0,
        403
    );
    let (status, bad) = server.json(
        "POST",
        "/api/v1/hotline/providers",
        a(&admin).as_deref(),
        &json!({"name": "X", "email": "not an address"}),
    );
    assert_eq!(
        (status, bad["error"]["field"].as_str()),
        (422, Some("email"))
    );
    let (status, created_provider) = server.json(
        "POST",
        "/api/v1/hotline/providers",
        a(&admin).as_deref(),
        &provider,
    );
    assert_eq!(status, 201, "{created_provider}");
    let provider_id = created_provider["id"].as_i64().expect("provider id");
    let (status, _) = server.json(
        "POST",
        "/api/v1/hotline/partners",
        a(&admin).as_deref(),
        &json!({"name": "Partner Hotline TH", "country": "TH", "email": "partner@hotline.example"}),
    );
    assert_eq!(status, 201);
    for url_id in &url_ids {
        let (status, answer) = server.json(
            "POST",
            &format!("/api/v1/reports/{id}/urls/{url_id}/attribution"),
            a(&analyst).as_deref(),
            &json!({"hosting_country": "TH", "provider_id": provider_id}),
        );
        assert_eq!(status, 204, "{answer}");
    }
    h.provider_id = provider_id;
}

/// Notices go to the provider, in its language.
pub(super) fn step_notices_go_to_the_provider_in_its_language(h: &Hotline<'_>) {
    let server = &h.server;
    let mail = &h.mail;
    let analyst = h.analyst.clone();
    let url1 = h.url1.clone();
    let url2 = h.url2.clone();
    let id = h.id.clone();
    let (status, sent) = server.json(
        "POST",
        &format!("/api/v1/reports/{id}/notices"),
        a(&analyst).as_deref(),
        &json!({}),
    );
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent.as_array().expect("sent").len(), 2, "{sent}");
    assert!(
        sent.as_array()
            .expect("sent")
            .iter()
            .all(|n| n["error"].is_null()),
        "{sent}"
    );
    {
        let kept = mail.lock().expect("mail");
        let to_provider: Vec<&String> = kept
            .iter()
            .filter(|m| m.contains("abuse@host.example"))
            .collect();
        assert_eq!(to_provider.len(), 2, "{kept:?}");
        let body = support::smtp::body_text(to_provider[0]);
        assert!(
            body.contains("สายด่วน") && (body.contains(&url1) || body.contains(&url2)),
            "{body}"
        );
    }
}

/// The first run resends (the resend interval has passed) and escalates after two notices; /p/2 no
/// longer holds the reported file, but one check is not enough: the second in a row counts it
/// removed. Then /p/1 is taken down, and again only the second check that finds it gone counts.
pub(super) fn step_notices_are_resent_and_escalated_until_removal(h: &Hotline<'_>) {
    let server = &h.server;
    let site = &h.site;
    let mail = &h.mail;
    let admin = h.admin.clone();
    let analyst = h.analyst.clone();
    let id = h.id.clone();
    let reference = h.reference.clone();
    let pin = h.pin.clone();
    std::thread::sleep(std::time::Duration::from_millis(
        super::RESEND_AFTER_SECONDS * 1000 + 100,
    ));
    let run_due = || {
        let (status, run) = server.json(
            "POST",
            "/api/v1/hotline/run-due",
            a(&admin).as_deref(),
            &json!({}),
        );
        assert_eq!(status, 200, "{run}");
        run
    };
    let removed_urls = || {
        let (_, report) = server.get(&format!("/api/v1/reports/{id}"), a(&analyst).as_deref());
        let removed: Vec<Value> = report["urls"]
            .as_array()
            .expect("urls")
            .iter()
            .filter(|u| u["status"] == "removed")
            .cloned()
            .collect();
        (report, removed)
    };
    let run = run_due();
    assert_eq!(run["notices_resent"], 2, "{run}");
    assert_eq!(run["escalations"], 2, "{run}");
    assert_eq!(run["urls_removed"], 0, "one check is not enough: {run}");
    assert!(
        mail.lock()
            .expect("mail")
            .iter()
            .any(|m| m.contains("partner@hotline.example"))
    );
    assert_eq!(removed_urls().1.len(), 0);
    let run = run_due();
    assert_eq!(run["urls_removed"], 1, "the second check in a row: {run}");
    let (report, removed) = removed_urls();
    assert_eq!(report["status"], "notice_sent");
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["removal_evidence"], "content_changed");
    site.take_down("/p/1");
    let run = run_due();
    assert_eq!(run["urls_removed"], 0, "one 404 is not enough: {run}");
    assert_eq!(removed_urls().0["status"], "notice_sent");
    let run = run_due();
    assert_eq!(run["urls_removed"], 1, "{run}");
    let (report, _) = removed_urls();
    assert_eq!(report["status"], "removed", "{report}");
    assert!(report["hours_to_removal"].as_f64().expect("hours") >= 0.0);
    assert!(
        report["urls"]
            .as_array()
            .expect("urls")
            .iter()
            .any(|u| u["removal_evidence"] == "http_404")
    );
    let (status, page) = server.form(
        "/report/status",
        &[("lang", "th"), ("reference", &reference), ("pin", &pin)],
    );
    assert_eq!(status, 200);
    assert_eq!(
        element_text(&page, "status"),
        "ลบแล้ว: เนื้อหาไม่อยู่บนออนไลน์อีกต่อไป"
    );
}

/// Time to removal in the statistics; suppressed for researchers.
pub(super) fn step_time_to_removal_shows_in_the_statistics(h: &Hotline<'_>) {
    let server = &h.server;
    let analyst = h.analyst.clone();
    let stranger = h.stranger.clone();
    let researcher = h.researcher.clone();
    let worker = h.worker.clone();
    let (status, stats) = server.get("/api/v1/hotline/stats", a(&analyst).as_deref());
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["removed"], 1.0);
    assert!(
        stats["median_hours_to_removal"].as_f64().is_some(),
        "{stats}"
    );
    assert_eq!(stats["removed_within_3_days_pct"], 100.0);
    assert_eq!(stats["known_content_pct"], 50.0);
    assert_eq!(stats["providers"][0]["provider"], "Loopback Hosting");
    // One notice per URL, then one resend per URL at each run that finds it still online after
    // the resend delay: at least 4, more on a slow machine. The statistics count what the mail
    // server received for the provider.
    let to_provider = h
        .mail
        .lock()
        .expect("mail")
        .iter()
        .filter(|m| m.contains("abuse@host.example"))
        .count();
    assert!(to_provider >= 4, "{to_provider} notices");
    assert_eq!(stats["providers"][0]["notices"], to_provider as f64);
    let (status, stats) = server.get("/api/v1/hotline/stats", a(&researcher).as_deref());
    assert_eq!(status, 200);
    assert_eq!(
        (
            stats["reports"].as_str(),
            stats["median_hours_to_removal"].as_str()
        ),
        (Some("<5"), Some("<5")),
        "{stats}"
    );
    let (status, csv) = server.request(
        "GET",
        "/api/v1/hotline/stats.csv",
        a(&researcher).as_deref(),
        &[],
        b"",
    );
    assert_eq!(status, 200);
    assert!(
        csv.contains("removal,median_hours,<5") && !csv.contains("removal,removed,1"),
        "{csv}"
    );
    assert_eq!(
        server.get("/api/v1/hotline/stats", a(&worker).as_deref()).0,
        403
    );
    assert_eq!(
        server
            .get("/api/v1/hotline/stats", a(&stranger).as_deref())
            .0,
        403
    );
    let (status, page) = server.request("GET", "/hotline/stats", a(&analyst).as_deref(), &[], b"");
    assert_eq!(status, 200);
    assert_eq!(page.matches("<svg").count(), 4, "{page}");
}

/// The law-enforcement package: only after referral, for that force only; its digest verifies
/// with an independent canonicalisation (Python's json).
pub(super) fn step_the_police_package_verifies_independently(h: &Hotline<'_>) {
    let server = &h.server;
    let md5 = h.files.md5.clone();
    let analyst = h.analyst.clone();
    let police = h.police.clone();
    let other_police = h.other_police.clone();
    let id = h.id.clone();
    let package_path = format!("/api/v1/reports/{id}/package");
    assert_eq!(server.get(&package_path, a(&police).as_deref()).0, 403);
    let (status, _) = server.json(
        "POST",
        &format!("/api/v1/reports/{id}/referrals/law-enforcement"),
        a(&analyst).as_deref(),
        &json!({"organisation": "Police TH"}),
    );
    assert_eq!(status, 204);
    let (status, package) = server.get(&package_path, a(&police).as_deref());
    assert_eq!(status, 200, "{package}");
    assert_eq!(
        server.get(&package_path, a(&other_police).as_deref()).0,
        403
    );
    let digest = package["sha256"].as_str().expect("digest").to_owned();
    let python = std::process::Command::new("python3")
        .args(["-c", "import json,sys,hashlib; p=json.load(sys.stdin)['package']; print(hashlib.sha256(json.dumps(p,sort_keys=True,separators=(',',':'),ensure_ascii=False).encode()).hexdigest())"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    {
        use std::io::Write;
        python
            .stdin
            .as_ref()
            .expect("stdin")
            .write_all(package.to_string().as_bytes())
            .expect("write");
    }
    let out = python.wait_with_output().expect("python output");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        digest,
        "the digest verifies"
    );
    let mut tampered = package["package"].clone();
    tampered["report"]["status"] = json!("closed");
    assert_ne!(
        lindung::hotline::exports::sha256_hex(&lindung::hotline::exports::canonical_json(
            &tampered
        )),
        digest
    );
    assert_eq!(
        package["package"]["report"]["files"][0]["md5"],
        md5.as_str()
    );
    assert!(
        package["package"]["report"]["timeline"]
            .as_array()
            .expect("timeline")
            .len()
            >= 8
    );
    let (status, page) = server.request(
        "GET",
        &format!("/hotline/reports/{id}/package"),
        a(&analyst).as_deref(),
        &[],
        b"",
    );
    assert_eq!(status, 200);
    assert!(page.contains("SHA-256 "), "{page}");
}

/// CyberTipline XML, read back by NCMEC's typed models.
pub(super) fn step_the_cybertipline_xml_reads_back_in_ncmecs_models(h: &Hotline<'_>) {
    let server = &h.server;
    let pdq = h.files.pdq.clone();
    let md5 = h.files.md5.clone();
    let file_id = h.file_id;
    let analyst = h.analyst.clone();
    let stranger = h.stranger.clone();
    let id = h.id.clone();
    let (status, report_xml) = server.request(
        "GET",
        &format!("/api/v1/reports/{id}/cybertip.xml"),
        a(&analyst).as_deref(),
        &[],
        b"",
    );
    assert_eq!(status, 200, "{report_xml}");
    let (status, file_xml) = server.request(
        "GET",
        &format!("/api/v1/reports/{id}/cybertip/files/{file_id}?ncmec_report_id=4242"),
        a(&analyst).as_deref(),
        &[],
        b"",
    );
    assert_eq!(status, 200, "{file_xml}");
    assert_eq!(
        server
            .request(
                "GET",
                &format!("/api/v1/reports/{id}/cybertip/files/{file_id}?ncmec_report_id=0"),
                a(&analyst).as_deref(),
                &[],
                b""
            )
            .0,
        422
    );
    assert_eq!(
        server
            .request(
                "GET",
                &format!("/api/v1/reports/{id}/cybertip.xml"),
                a(&stranger).as_deref(),
                &[],
                b""
            )
            .0,
        403
    );
    match std::env::var("LINDUNG_CYBERTIP_PYTHON") {
        Ok(python) => {
            let dir = tempfile::tempdir().expect("dir");
            std::fs::write(dir.path().join("report.xml"), &report_xml).expect("write");
            std::fs::write(dir.path().join("file.xml"), &file_xml).expect("write");
            let out = std::process::Command::new(python)
                .arg(format!(
                    "{}/tests/it/support/validate_cybertip.py",
                    env!("CARGO_MANIFEST_DIR")
                ))
                .arg(dir.path().join("report.xml"))
                .arg(dir.path().join("file.xml"))
                .output()
                .expect("run the validator");
            assert!(
                out.status.success(),
                "ncmec-cybertip refused the XML: {}\n{report_xml}\n{file_xml}",
                String::from_utf8_lossy(&out.stderr)
            );
            let read: Value = serde_json::from_slice(&out.stdout).expect("validator json");
            assert_eq!(read["incident_type"], "CHILD_PORNOGRAPHY");
            assert_eq!(read["sextortion"], true);
            assert!(read["escalate"].is_string(), "{read}");
            assert_eq!(read["platform"], "Example Chat");
            assert_eq!(read["urls"].as_array().expect("urls").len(), 2);
            assert_eq!(read["screen_name"], "bad_actor");
            assert_eq!(read["ip_addresses"], json!(["203.0.113.7"]));
            assert_eq!(read["victim_ages"], json!([10]));
            assert_eq!(read["files"][0]["report_id"], 4242);
            assert_eq!(read["files"][0]["classification"], "A1");
            assert_eq!(read["files"][0]["hashes"]["MD5"], md5.as_str());
            assert_eq!(read["files"][0]["pdq"], json!([pdq.clone()]));
            assert!(
                read["incident_date_time"]
                    .as_str()
                    .expect("time")
                    .starts_with("2026-11-01T10:00:00")
            );
        }
        Err(_) => support::skip(
            "SKIPPED: CyberTipline XML validation (LINDUNG_CYBERTIP_PYTHON is not set; scripts/test sets it)",
        ),
    }
}

/// Partner hotline: export, then import as the receiving side would.
pub(super) fn step_a_partner_hotline_imports_the_export(h: &Hotline<'_>) {
    let server = &h.server;
    let md5 = h.files.md5.clone();
    let analyst = h.analyst.clone();
    let id = h.id.clone();
    let (status, exported) = server.get(
        &format!("/api/v1/reports/{id}/partner-export"),
        a(&analyst).as_deref(),
    );
    assert_eq!(status, 200, "{exported}");
    assert_eq!(exported["format"], "lindung.partner-report/1");
    assert!(
        !exported.to_string().contains("witness42"),
        "no reporter details leave"
    );
    let (status, imported) = server.json(
        "POST",
        "/api/v1/hotline/partner-import",
        a(&analyst).as_deref(),
        &exported,
    );
    assert_eq!(status, 201, "{imported}");
    let (_, received) = server.get(
        &format!("/api/v1/reports/{}", imported["id"].as_str().expect("id")),
        a(&analyst).as_deref(),
    );
    assert_eq!(received["submissions"][0]["source"], "partner");
    assert_eq!(received["files"][0]["md5"], md5.as_str());
    let mut wrong = exported.clone();
    wrong["format"] = json!("something/9");
    let (status, answer) = server.json(
        "POST",
        "/api/v1/hotline/partner-import",
        a(&analyst).as_deref(),
        &wrong,
    );
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (422, Some("format"))
    );
}

/// Child protection: a care case for the child, seen by the care organisation.
pub(super) fn step_a_care_case_is_opened_for_the_child(h: &Hotline<'_>) {
    let server = &h.server;
    let analyst = h.analyst.clone();
    let care_supervisor = h.care_supervisor.clone();
    let id = h.id.clone();
    let (status, care) = server.json(
        "POST",
        &format!("/api/v1/reports/{id}/care-case"),
        a(&analyst).as_deref(),
        &json!({"organisation": "Care A"}),
    );
    assert_eq!(status, 201, "{care}");
    let care_id = care["care_case_id"].as_str().expect("care id");
    let (status, case) = server.get(
        &format!("/api/v1/cases/{care_id}"),
        a(&care_supervisor).as_deref(),
    );
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["identity"]["age_estimate"], 10, "{case}");
    let (status, again) = server.json(
        "POST",
        &format!("/api/v1/reports/{id}/care-case"),
        a(&analyst).as_deref(),
        &json!({"organisation": "Care A"}),
    );
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("already_referred"))
    );
}

/// Evidence: encrypted at rest, revealed to analysts only, each reveal audited, shown blurred and
/// grey by default (per reviewer), and deleted after the retention period.
pub(super) async fn step_evidence_is_encrypted_revealed_to_analysts_and_purged(h: &Hotline<'_>) {
    let server = &h.server;
    let t = h.t;
    let other = h.files.other.clone();
    let admin = h.admin.clone();
    let analyst = h.analyst.clone();
    let colleague = h.colleague.clone();
    let stranger = h.stranger.clone();
    let platform = h.platform.clone();
    let police = h.police.clone();
    use base64::Engine;
    let upload = json!({"incident_type": "csam", "files": [{"md5": "fedcba9876543210fedcba9876543210", "content_base64": base64::engine::general_purpose::STANDARD.encode(&other)}]});
    let (status, with_file) =
        server.json("POST", "/api/v1/reports", a(&platform).as_deref(), &upload);
    assert_eq!(status, 201, "{with_file}");
    let evidence_report = with_file["id"].as_str().expect("id").to_owned();
    let (_, view) = server.get(
        &format!("/api/v1/reports/{evidence_report}"),
        a(&analyst).as_deref(),
    );
    let evidence_file = view["files"][0]["id"].as_i64().expect("file");
    assert_eq!(view["files"][0]["has_evidence"], true);
    let evidence_path = format!("/api/v1/reports/{evidence_report}/files/{evidence_file}/evidence");
    assert_eq!(
        server
            .request("GET", &evidence_path, a(&stranger).as_deref(), &[], b"")
            .0,
        403
    );
    assert_eq!(
        server
            .request("GET", &evidence_path, a(&police).as_deref(), &[], b"")
            .0,
        403
    );
    let bearer = format!("Bearer {}", a(&analyst).unwrap_or_default());
    let (status, head, _) = server.raw("GET", &evidence_path, &[("Authorization", &bearer)], b"");
    assert_eq!(status, 200);
    // Served as what it is (the file is a PNG), never as something a browser would run.
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("content-type: image/png")
            && head.contains("x-content-type-options: nosniff"),
        "{head}"
    );
    // A file that is no picture or video is served as bytes, whatever it holds.
    let page = b"<html><script>alert(1)</script></html>";
    let upload = json!({"incident_type": "csam", "files": [{"md5": "00ff00ff00ff00ff00ff00ff00ff00ff", "content_base64": base64::engine::general_purpose::STANDARD.encode(page)}]});
    let (status, with_page) =
        server.json("POST", "/api/v1/reports", a(&platform).as_deref(), &upload);
    assert_eq!(status, 201, "{with_page}");
    let page_report = with_page["id"].as_str().expect("id");
    let (_, view) = server.get(
        &format!("/api/v1/reports/{page_report}"),
        a(&analyst).as_deref(),
    );
    let page_file = view["files"][0]["id"].as_i64().expect("file");
    let (status, head, _) = server.raw(
        "GET",
        &format!("/api/v1/reports/{page_report}/files/{page_file}/evidence"),
        &[("Authorization", &bearer)],
        b"",
    );
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/octet-stream"),
        "{head}"
    );
    let (_, page) = server.request(
        "GET",
        &format!("/hotline/reports/{evidence_report}/files/{evidence_file}"),
        a(&analyst).as_deref(),
        &[],
        b"",
    );
    assert!(
        page.contains("grayscale(1) blur(24px)"),
        "blurred and grey by default: {page}"
    );

    let evidence_page = format!("/hotline/reports/{evidence_report}/files/{evidence_file}");
    let (status, _) = server.request(
        "PUT",
        "/api/v1/hotline/reviewer-settings",
        a(&analyst).as_deref(),
        &[("Content-Type", "application/json")],
        br#"{"blur": false, "greyscale": true}"#,
    );
    assert_eq!(status, 200);
    let (_, page) = server.request("GET", &evidence_page, a(&analyst).as_deref(), &[], b"");
    assert!(
        page.contains("filter:grayscale(1);") && !page.contains("blur(24px)"),
        "{page}"
    );
    let (_, page) = server.request("GET", &evidence_page, a(&colleague).as_deref(), &[], b"");
    assert!(page.contains("blur(24px)"), "settings are per reviewer");
    // After the retention period the file is deleted.
    {
        use sea_orm::ConnectionTrait;
        t.store
            .db()
            .execute_unprepared("UPDATE hotline_evidence SET delete_after = created_at")
            .await
            .expect("age evidence");
    }
    let (_, run) = server.json(
        "POST",
        "/api/v1/hotline/run-due",
        a(&admin).as_deref(),
        &json!({}),
    );
    // Both files kept as evidence (the picture and the page) are past their time.
    assert_eq!(run["evidence_purged"], 2, "{run}");
    assert_eq!(
        server
            .request("GET", &evidence_path, a(&analyst).as_deref(), &[], b"")
            .0,
        404
    );
    let (_, view) = server.get(
        &format!("/api/v1/reports/{evidence_report}"),
        a(&analyst).as_deref(),
    );
    assert_eq!(view["files"][0]["has_evidence"], false);
}

/// The analysts' pages.
pub(super) fn step_the_analysts_pages_show_the_report(h: &Hotline<'_>) {
    let server = &h.server;
    let analyst = h.analyst.clone();
    let stranger = h.stranger.clone();
    let id = h.id.clone();
    let known_id = h.known_id.clone();
    let (status, page) = server.request("GET", "/hotline", a(&analyst).as_deref(), &[], b"");
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("/hotline/reports/{known_id}")),
        "{page}"
    );
    let (status, page) = server.request(
        "GET",
        &format!("/hotline/reports/{id}"),
        a(&analyst).as_deref(),
        &[],
        b"",
    );
    assert_eq!(status, 200);
    assert!(
        page.contains("http_404") && page.contains("Shared in a group chat"),
        "{page}"
    );
    assert_eq!(
        server
            .request(
                "GET",
                &format!("/hotline/reports/{id}"),
                a(&stranger).as_deref(),
                &[],
                b""
            )
            .0,
        403
    );
}

/// Contacts are edited by admins on the contacts page; analysts only read them.
pub(super) fn step_contacts_are_edited_by_admins_only(h: &Hotline<'_>) {
    let server = &h.server;
    let provider_id = h.provider_id;
    let admin = h.admin.clone();
    let analyst = h.analyst.clone();
    let (status, page) =
        server.request("GET", "/hotline/contacts", a(&analyst).as_deref(), &[], b"");
    assert_eq!(status, 200);
    assert!(
        page.contains("abuse@host.example") && !page.contains("/hotline/contacts/providers"),
        "{page}"
    );
    let edit = "name=Loopback+Hosting+Ltd&country=TH&email=abuse%40host.example&language=vi";
    let path = format!("/hotline/contacts/providers/{provider_id}");
    let urlencoded = [("Content-Type", "application/x-www-form-urlencoded")];
    assert_eq!(
        server
            .request(
                "POST",
                &path,
                a(&analyst).as_deref(),
                &urlencoded,
                edit.as_bytes()
            )
            .0,
        403
    );
    let (status, _) = server.request(
        "POST",
        &path,
        a(&admin).as_deref(),
        &urlencoded,
        edit.as_bytes(),
    );
    assert_eq!(status, 303);
    let (_, providers) = server.get("/api/v1/hotline/providers", a(&analyst).as_deref());
    assert_eq!(
        (
            providers[0]["name"].as_str(),
            providers[0]["language"].as_str()
        ),
        (Some("Loopback Hosting Ltd"), Some("vi"))
    );
    let (status, page) = server.request(
        "POST",
        &path,
        a(&admin).as_deref(),
        &urlencoded,
        b"name=X&email=nope",
    );
    assert_eq!(status, 422, "{page}");
    let (status, _) = server.request(
        "POST",
        "/hotline/contacts/partners",
        a(&admin).as_deref(),
        &urlencoded,
        b"name=Another&country=TH&email=x%40y.example",
    );
    assert_eq!(status, 409, "one partner per country");
}

/// Contacts, descriptions and evidence are encrypted in the SQLite file; the audit chain is whole
/// and holds every kind of hotline action.
pub(super) async fn step_stored_secrets_are_encrypted_and_every_action_audited(h: &Hotline<'_>) {
    let t = h.t;
    let other = h.files.other.clone();
    if t.name == "sqlite" {
        let raw = sqlite_bytes(&t.location);
        assert!(!contains(&raw, b"witness42"), "contacts are encrypted");
        assert!(
            !contains(&raw, "Somchai Witness".as_bytes()),
            "descriptions are encrypted"
        );
        assert!(
            !contains(&raw, &other[other.len() / 2..other.len() / 2 + 64]),
            "evidence is encrypted"
        );
    }
    let audit = lindung::access::audit::verify(&t.store)
        .await
        .expect("verify");
    assert_eq!(audit.first_broken, None);
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let actions: Vec<String> = lindung::access::entities::audit_entry::Entity::find()
        .filter(lindung::access::entities::audit_entry::Column::Action.starts_with("hotline."))
        .all(t.store.db())
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    for expected in [
        "hotline.report.submit",
        "hotline.report.read",
        "hotline.report.denied",
        "hotline.report.claim",
        "hotline.report.assess",
        "hotline.notice.send",
        "hotline.export.law_enforcement",
        "hotline.export.cybertip",
        "hotline.export.partner",
        "hotline.evidence.reveal",
        "hotline.report.status",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{}: no {expected} in {actions:?}",
            t.name
        );
    }
}
