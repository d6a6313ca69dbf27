//! Self-report over loopback on SQLite and PostgreSQL: submission, the platforms' feed, lookup,
//! feedback, withdrawal, validation, PIN lockout and enumeration; and in a real headless
//! Chromium: hashes made on the device equal the server's, and no picture bytes are sent.

use std::path::PathBuf;

use lindung::access::audit::Actor;
use lindung::access::{self, Role};
use lindung::selfreport;
use lindung::selfreport::entities::case;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::browser::Driver;
use crate::support::server::Server;
use crate::support::{self, TestStore, base64, hex, note, testdata, user};

const BRIDGE: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

async fn case_row(store: &lindung::store::Store, number: &str) -> case::Model {
    case::Entity::find()
        .filter(case::Column::CaseNumber.eq(number))
        .one(store.db())
        .await
        .expect("query")
        .expect("the case exists")
}

/// A platform's API token.
async fn platform_token(store: &lindung::store::Store) -> String {
    user(
        store,
        "platform@example.org",
        Role::Platform,
        Some("Platform Co"),
    )
    .await
}

/// Asks for a case's status with a PIN, as the status page does.
fn check_status(server: &Server, case: &str, pin: &str) -> (u16, Value) {
    server.json(
        "POST",
        "/api/v1/selfreport/status",
        None,
        &json!({"case_number": case, "pin": pin}),
    )
}

/// What the self-report steps share: the store, the server, a platform's token, and the case
/// once reported.
struct Flow<'a> {
    t: &'a TestStore,
    server: Server,
    token: String,
    case: String,
    pin: String,
    /// The feed's checkpoint after the report's hashes were added.
    checkpoint: i64,
    /// An analyst of the organisation running the deployment.
    analyst: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn self_reported_hashes_reach_platforms_until_withdrawn() {
    for t in support::stores("selfreport_flow").await {
        let token = platform_token(&t.store).await;
        let server = Server::start(&t.location);
        let mut f = Flow {
            t: &t,
            server,
            token,
            case: String::new(),
            pin: String::new(),
            checkpoint: 0,
            analyst: String::new(),
        };
        step_a_person_reports_hashes_and_gets_a_case_number_and_pin(&mut f);
        step_platforms_match_it_at_once_and_sync_it_through_the_feed(&mut f);
        step_feedback_counts_as_matches_on_the_status_page(&f);
        step_the_contact_is_encrypted_at_rest(&f).await;
        step_the_deployments_staff_alone_see_the_help_request(&mut f).await;
        step_withdrawal_removes_the_hashes_and_tells_the_feed(&f).await;
        f.server.terminate();
    }
}

/// A report of one picture's hashes, with a call for help, gets a case number and a PIN.
fn step_a_person_reports_hashes_and_gets_a_case_number_and_pin(f: &mut Flow<'_>) {
    let (t, server) = (f.t, &f.server);
    let (status, receipt) = server.json(
        "POST",
        "/api/v1/selfreport",
        None,
        &json!({"files": [{"pdq": BRIDGE, "quality": 90, "md5": MD5}], "age_range": "13_15",
                "help": true, "consent": true, "contact": "line: @private-contact", "language": "th"}),
    );
    assert_eq!(status, 201, "{}: {receipt}", t.name);
    let case = receipt["case_number"].as_str().expect("case").to_owned();
    let pin = receipt["pin"].as_str().expect("pin").to_owned();
    assert!(case.starts_with("SR-") && pin.len() == 8, "{receipt}");
    let check = |pin: &str| check_status(server, &case, pin);
    assert_eq!(
        check(&pin),
        (200, json!({"status": "received", "matches": 0}))
    );
    // The case number as people type it: lower case, without its dashes.
    assert_eq!(
        check_status(server, &case.to_lowercase().replace('-', ""), &pin).0,
        200,
        "{case}"
    );
    (f.case, f.pin) = (case, pin);
}

/// Platforms match it at once, and sync it through the feed.
fn step_platforms_match_it_at_once_and_sync_it_through_the_feed(f: &mut Flow<'_>) {
    let (t, server, token) = (f.t, &f.server, Some(f.token.as_str()));
    let (_, found) = server.get(&format!("/m/lookup?signal_type=pdq&signal={BRIDGE}"), token);
    assert!(found["SELF_REPORT"].is_array(), "{}: {found}", t.name);
    let (status, feed) = server.get("/api/v1/hashes/selfreport?since=0", token);
    assert_eq!(status, 200);
    let entries = feed["entries"].as_array().expect("entries");
    let added: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or(""),
                e["signal_type"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(added, [("add", "pdq"), ("add", "md5")], "{feed}");
    assert_eq!(entries[0]["hash"], BRIDGE);
    assert_eq!(entries[0]["quality"], 90);
    let checkpoint = feed["checkpoint"].as_i64().expect("checkpoint");
    let (_, again) = server.get(
        &format!("/api/v1/hashes/selfreport?since={checkpoint}"),
        token,
    );
    assert_eq!(again["entries"], json!([]));
    assert_eq!(again["checkpoint"], checkpoint);
    f.checkpoint = checkpoint;
}

/// Feedback counts as matches on the status page; the case is active once fetched.
fn step_feedback_counts_as_matches_on_the_status_page(f: &Flow<'_>) {
    let (server, token) = (&f.server, Some(f.token.as_str()));
    let pin = f.pin.clone();
    let check = |pin: &str| check_status(server, &f.case, pin);
    let (status, _) = server.json(
        "POST",
        "/api/v1/hashes/selfreport/feedback",
        token,
        &json!({"signal_type": "pdq", "hash": BRIDGE, "kind": "blocked"}),
    );
    assert_eq!(status, 204);
    let (status, err) = server.json(
        "POST",
        "/api/v1/hashes/selfreport/feedback",
        token,
        &json!({"signal_type": "pdq", "hash": BRIDGE, "kind": "liked"}),
    );
    assert_eq!(
        (status, err["error"]["field"].clone()),
        (422, json!("kind"))
    );
    assert_eq!(
        check(&pin),
        (200, json!({"status": "active", "matches": 1}))
    );
    let (status, _) = server.json(
        "POST",
        "/api/v1/hashes/selfreport/feedback",
        None,
        &json!({"signal_type": "pdq", "hash": BRIDGE, "kind": "blocked"}),
    );
    assert_eq!(status, 401, "feedback needs a platform token");
}

/// The contact is encrypted at rest and never in the audit log.
async fn step_the_contact_is_encrypted_at_rest(f: &Flow<'_>) {
    let (t, case) = (f.t, f.case.clone());
    let row = case_row(&t.store, &case).await;
    let stored = row.contact.expect("contact kept");
    assert!(
        !stored.contains("private-contact") && stored.starts_with("k1:"),
        "{stored}"
    );
}

/// Staff of the organisation running the deployment see the help request, contact and all;
/// another organisation's staff see nothing, and platforms may not ask.
async fn step_the_deployments_staff_alone_see_the_help_request(f: &mut Flow<'_>) {
    let (t, server, token) = (f.t, &f.server, Some(f.token.as_str()));
    let case = f.case.clone();
    let actor = Actor::cli("test");
    for (email, org) in [
        ("analyst@example.org", None),
        ("worker@other.example", Some("Other Org")),
    ] {
        let role = if org.is_none() {
            Role::Analyst
        } else {
            Role::CaseWorker
        };
        access::add_user(
            &t.store,
            &actor,
            email,
            role,
            org,
            "a long enough passphrase",
        )
        .await
        .expect("user");
    }
    let analyst = access::create_token(&t.store, &actor, "analyst@example.org", "t")
        .await
        .expect("token");
    let outsider = access::create_token(&t.store, &actor, "worker@other.example", "t")
        .await
        .expect("token");
    let (status, requests) = server.get("/api/v1/selfreport/help-requests", Some(&analyst));
    assert_eq!(status, 200, "{}: {requests}", t.name);
    assert_eq!(requests[0]["case_number"], case.as_str());
    // The contact is care data: an analyst who is not on the care case gets the request
    // without it (the case's workers read it; see care_api).
    assert_eq!(requests[0]["contact"], Value::Null, "{requests}");
    assert_eq!(requests[0]["age_range"], "13_15");
    let (status, theirs) = server.get("/api/v1/selfreport/help-requests", Some(&outsider));
    assert_eq!(
        (status, theirs),
        (200, json!([])),
        "another organisation sees none"
    );
    let (status, _) = server.get("/api/v1/selfreport/help-requests", token);
    assert_eq!(status, 403);
    f.analyst = analyst;
}

/// Withdrawal removes the hashes from matching and tells the feed.
async fn step_withdrawal_removes_the_hashes_and_tells_the_feed(f: &Flow<'_>) {
    let (t, server, token) = (f.t, &f.server, Some(f.token.as_str()));
    let (case, pin, checkpoint, analyst) = (
        f.case.clone(),
        f.pin.clone(),
        f.checkpoint,
        f.analyst.clone(),
    );
    let check = |pin: &str| check_status(server, &case, pin);
    let (status, withdrawn) = server.json(
        "POST",
        "/api/v1/selfreport/withdraw",
        None,
        &json!({"case_number": case, "pin": pin}),
    );
    assert_eq!(
        (status, withdrawn["status"].clone()),
        (200, json!("withdrawn"))
    );
    let (_, found) = server.get(&format!("/m/lookup?signal_type=pdq&signal={BRIDGE}"), token);
    assert_eq!(found, json!({}), "{}", t.name);
    let (_, feed) = server.get(
        &format!("/api/v1/hashes/selfreport?since={checkpoint}"),
        token,
    );
    let removed: Vec<&str> = feed["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(removed, ["remove", "remove"], "{feed}");
    let (status, _) = server.json(
        "POST",
        "/api/v1/selfreport/withdraw",
        None,
        &json!({"case_number": case, "pin": pin}),
    );
    assert_eq!(status, 409);
    assert_eq!(check(&pin).1["status"], "withdrawn");
    let row = case_row(&t.store, &case).await;
    assert_eq!(row.contact, None, "the contact goes with the withdrawal");
    let (_, requests) = server.get("/api/v1/selfreport/help-requests", Some(&analyst));
    assert_eq!(requests, json!([]));

    let report = access::audit::verify(&t.store).await.expect("verify");
    assert_eq!(report.first_broken, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_submissions_are_refused_field_by_field_and_write_nothing() {
    for t in support::stores("selfreport_invalid").await {
        let server = Server::start(&t.location);
        let file = |pdq: &str, quality: i64| json!({"pdq": pdq, "quality": quality});
        let too_many: Vec<Value> = (0..21).map(|_| json!({"md5": MD5})).collect();
        for (body, status, field) in [
            (json!({"files": [file(BRIDGE, 0)]}), 422, Some("quality")),
            (json!({"files": [file("abc", 90)]}), 422, Some("pdq")),
            (json!({"files": [{"md5": "xyz"}]}), 422, Some("md5")),
            (json!({"files": []}), 422, Some("files")),
            (json!({"files": too_many}), 422, Some("files")),
            (
                json!({"files": [file(BRIDGE, 90)], "age_range": "7"}),
                422,
                Some("age_range"),
            ),
            (
                json!({"files": [file(BRIDGE, 90)], "help": true}),
                422,
                Some("consent"),
            ),
            (
                json!({"files": [file(BRIDGE, 90)], "website": "http://spam.example"}),
                400,
                None,
            ),
        ] {
            let (got, err) = server.json("POST", "/api/v1/selfreport", None, &body);
            assert_eq!(got, status, "{}: {body} -> {err}", t.name);
            if let Some(field) = field {
                assert_eq!(err["error"]["field"], field, "{err}");
            }
        }
        let (status, _) = server.request(
            "POST",
            "/api/v1/selfreport",
            None,
            &[("Content-Type", "application/json")],
            b"{not json",
        );
        assert_eq!(status, 400);
        let cases = case::Entity::find()
            .count(t.store.db())
            .await
            .expect("count");
        assert_eq!(cases, 0, "{}: nothing was written", t.name);

        // Five wrong PINs lock a case, even against the right PIN afterwards.
        let actor = Actor::anonymous(None);
        let app = lindung::app::AppState::new(
            lindung::app::Parts::for_store(t.store.clone()).expect("parts"),
        )
        .expect("app");
        let receipt = selfreport::submit(
            &app.selfreport,
            &actor,
            &serde_json::from_value(json!({"files": [{"pdq": BRIDGE, "quality": 40}]}))
                .expect("submission"),
        )
        .await
        .expect("a weak picture is still accepted");
        // Two people report the same picture: it stays banked until both have withdrawn.
        let same: selfreport::Submission =
            serde_json::from_value(json!({"files": [{"md5": MD5}]})).expect("submission");
        let first = selfreport::submit(&app.selfreport, &actor, &same)
            .await
            .expect("first");
        let second = selfreport::submit(&app.selfreport, &actor, &same)
            .await
            .expect("second");
        let bank = lindung::banks::store::find_bank(&t.store, selfreport::BANK)
            .await
            .expect("bank");
        let banked = |store: &lindung::store::Store| {
            let store = store.clone();
            async move {
                lindung::banks::store::bank_signals(&store, bank.id)
                    .await
                    .expect("signals")
                    .iter()
                    .any(|s| s.value == MD5)
            }
        };
        selfreport::withdraw(&app.selfreport, &actor, &first.case_number, &first.pin)
            .await
            .expect("withdraw");
        assert!(
            banked(&t.store).await,
            "{}: still needed by the second report",
            t.name
        );
        selfreport::withdraw(&app.selfreport, &actor, &second.case_number, &second.pin)
            .await
            .expect("withdraw");
        assert!(
            !banked(&t.store).await,
            "{}: gone once nobody needs it",
            t.name
        );

        for _ in 0..selfreport::MAX_FAILED_PINS {
            assert!(
                selfreport::status(&t.store, &actor, &receipt.case_number, "00000000")
                    .await
                    .is_err()
            );
        }
        assert!(
            matches!(
                selfreport::status(&t.store, &actor, &receipt.case_number, &receipt.pin).await,
                Err(selfreport::SelfReportError::NotFound)
            ),
            "{}: locked",
            t.name
        );
        server.terminate();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_guesses_hit_the_rate_limit() {
    let t = support::stores("selfreport_guesses").await.remove(0);
    let server = Server::start(&t.location);
    let mut answered = 0;
    let mut limited = 0;
    for i in 0..10_000u32 {
        let (status, _) = server.json(
            "POST",
            "/api/v1/selfreport/status",
            None,
            &json!({"case_number": format!("SR-{:04}-{:04}-0000", i % 10_000, i / 7), "pin": format!("{:08}", i)}),
        );
        match status {
            404 => answered += 1,
            429 => limited += 1,
            other => panic!("guess {i}: unexpected status {other}"),
        }
    }
    assert_eq!(answered + limited, 10_000);
    assert!(
        answered <= 30,
        "only the first few guesses are even checked: {answered}"
    );
    note(&format!(
        "10000 guesses: {answered} checked (all wrong), {limited} refused with 429"
    ));
    server.terminate();
}

/// Whether the browser test cannot run: no browser, or no PDQ module for the page.
fn browser_missing(test: &str) -> bool {
    if support::browser::missing(test) {
        return true;
    }
    match std::env::var("LINDUNG_PDQ_WASM") {
        Ok(path) if std::path::Path::new(&path).exists() => false,
        _ => {
            support::skip(&format!(
                "SKIPPED {test}: LINDUNG_PDQ_WASM does not name the browser's PDQ module (scripts/test builds it with scripts/build-wasm)"
            ));
            true
        }
    }
}

fn native_hash(path: &std::path::Path) -> (String, u8) {
    let fp = lindung_media::Fingerprinter::new(lindung_media::Options::default())
        .fingerprint_file(path)
        .expect("native hash");
    (fp.pdq.hash.to_string(), fp.pdq.quality)
}

/// Chooses `files` in the page and waits until each has been hashed; returns, per file, the
/// list item's data (pdq, quality, md5, ms, error).
fn hash_in_browser(driver: &Driver, files: &[std::path::PathBuf]) -> Vec<Value> {
    // WebDriver adds to a multiple file input's selection: empty it first.
    driver.script(
        "document.getElementById('results').removeAttribute('data-done'); document.getElementById('sr-files').value = ''; return true;",
    );
    let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    driver.type_into("#sr-files", &paths.join("\n"));
    driver.wait_for(
        &format!(
            "return document.getElementById('results').dataset.done === '{}';",
            files.len()
        ),
        "hashing in the browser",
    );
    let items = driver.script(
        "return Array.from(document.querySelectorAll('#results li')).map(li => Object.assign({text: li.textContent}, li.dataset));",
    );
    items.as_array().cloned().unwrap_or_default()
}

/// What the browser steps share: the server, a platform's token, the browser, and the picture
/// sent with its case number and PIN.
struct Device {
    server: Server,
    token: String,
    driver: Driver,
    picture: PathBuf,
    case: String,
    pin: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_hashes_equal_native_hashes_and_no_picture_leaves_the_page() {
    if browser_missing("browser_hashes_equal_native_hashes_and_no_picture_leaves_the_page") {
        return;
    }
    let t = support::stores("selfreport_browser").await.remove(0);
    let token = platform_token(&t.store).await;
    let server = Server::start(&t.location);
    let driver = Driver::start();
    driver.go(&format!("{}/self-report?lang=en", server.base));
    let mut d = Device {
        server,
        token,
        driver,
        picture: PathBuf::new(),
        case: String::new(),
        pin: String::new(),
    };
    step_png_hashes_in_the_browser_equal_the_native_ones(&d);
    step_jpeg_hashes_in_the_browser_are_within_ten_bits(&d);
    step_videos_get_only_an_md5_in_the_browser(&d);
    step_a_12_megapixel_photo_is_hashed_in_the_browser(&d);
    step_sending_a_picture_sends_its_hashes_and_nothing_of_it(&mut d);
    step_the_platform_has_it_and_the_status_page_withdraws_it(&d);
    d.server.terminate();
}

/// Exact agreement on every PNG of the decoded and synthetic sets.
fn step_png_hashes_in_the_browser_equal_the_native_ones(d: &Device) {
    let driver = &d.driver;
    let mut pngs: Vec<std::path::PathBuf> = Vec::new();
    for dir in ["pdq/decoded", "pdq/synthetic"] {
        let mut found: Vec<_> = std::fs::read_dir(testdata(dir))
            .expect("dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "png"))
            .collect();
        found.sort();
        pngs.extend(found);
    }
    let mut exact = 0;
    let mut differ = Vec::new();
    for chunk in pngs.chunks(10) {
        for (path, item) in chunk.iter().zip(hash_in_browser(driver, chunk)) {
            let (pdq, quality) = native_hash(path);
            if item["pdq"] == pdq.as_str() && item["quality"] == quality.to_string().as_str() {
                exact += 1;
            } else {
                differ.push(format!(
                    "{}: browser {item} native {pdq} q{quality}",
                    path.display()
                ));
            }
        }
    }
    note(&format!(
        "PNG hashes equal to the native hash: {exact}/{}",
        pngs.len()
    ));
    assert!(differ.is_empty(), "{differ:#?}");
}

/// JPEGs: browsers' decoders differ slightly, so within 10 bits at quality 80 or more.
fn step_jpeg_hashes_in_the_browser_are_within_ten_bits(d: &Device) {
    let driver = &d.driver;
    let mut jpegs: Vec<std::path::PathBuf> = std::fs::read_dir(testdata("pdq/data/bridge-mods"))
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    jpegs.sort();
    let mut jpeg_exact = 0;
    for (path, item) in jpegs.iter().zip(hash_in_browser(driver, &jpegs)) {
        let (pdq, quality) = native_hash(path);
        let ours = pdq::Hash256::parse(&pdq).expect("hash");
        let theirs = pdq::Hash256::parse(item["pdq"].as_str().expect("browser pdq")).expect("hash");
        jpeg_exact += usize::from(ours == theirs);
        if quality >= 80 {
            let d = ours.distance(&theirs);
            assert!(d <= 10, "{}: {d} bits apart", path.display());
        }
    }
    note(&format!(
        "JPEG hashes equal to the native hash: {jpeg_exact}/{}",
        jpegs.len()
    ));
}

/// Videos are not decoded: only their MD5 is made.
fn step_videos_get_only_an_md5_in_the_browser(d: &Device) {
    let driver = &d.driver;
    let video = testdata("vpdq/videos/test-padded-dimensions.mp4");
    let item = hash_in_browser(driver, std::slice::from_ref(&video)).remove(0);
    let video_md5 = lindung_media::Digests::of(&std::fs::read(&video).expect("video")).md5_hex();
    assert_eq!(item["md5"], video_md5.as_str(), "{item}");
    assert!(item["pdq"].is_null(), "{item}");
}

/// A 12-megapixel photo: how long hashing takes in the browser.
fn step_a_12_megapixel_photo_is_hashed_in_the_browser(d: &Device) {
    let driver = &d.driver;
    let dir = tempfile::tempdir().expect("dir");
    let big = dir.path().join("photo-12mp.png");
    let (w, h) = (4000u32, 3000u32);
    let pixels: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            let (x, y) = (i % w, i / w);
            [
                (x / 16 % 256) as u8,
                (y / 12 % 256) as u8,
                ((x ^ y) % 256) as u8,
            ]
        })
        .collect();
    image::save_buffer(&big, &pixels, w, h, image::ExtendedColorType::Rgb8).expect("write png");
    let item = hash_in_browser(driver, std::slice::from_ref(&big)).remove(0);
    assert_eq!(item["pdq"], native_hash(&big).0.as_str());
    note(&format!(
        "12-megapixel photo hashed in headless Chromium in {} ms",
        item["ms"].as_str().unwrap_or("?")
    ));
}

/// Send one picture; watch every request the page makes: only hashes leave, to this server.
fn step_sending_a_picture_sends_its_hashes_and_nothing_of_it(d: &mut Device) {
    let (server, driver) = (&d.server, &d.driver);
    let picture = testdata("pdq/decoded/bridge-1-original.png");
    let picture_bytes = std::fs::read(&picture).expect("picture");
    driver.go(&format!("{}/self-report?lang=en", server.base));
    let _ = driver.performance_log();
    let item = hash_in_browser(driver, std::slice::from_ref(&picture)).remove(0);
    assert!(
        item["text"].as_str().unwrap_or("").contains("hash ready"),
        "{item}"
    );
    driver.script("document.getElementById('sr-age').value = '16_17'; return true;");
    driver.press("#sr-send");
    driver.wait_for(
        "return !document.getElementById('receipt').hidden;",
        "the receipt",
    );
    let case = driver.script("return document.getElementById('case-number').textContent;");
    let pin = driver.script("return document.getElementById('pin').textContent;");
    let (case, pin) = (
        case.as_str().unwrap_or("").to_owned(),
        pin.as_str().unwrap_or("").to_owned(),
    );
    assert!(case.starts_with("SR-") && pin.len() == 8);
    let log = driver.performance_log();
    let requests: Vec<&Value> = log
        .iter()
        .filter(|m| m["method"] == "Network.requestWillBeSent")
        .map(|m| &m["params"]["request"])
        .collect();
    assert!(!requests.is_empty());
    let mut sent = 0usize;
    for r in &requests {
        let url = r["url"].as_str().unwrap_or("");
        assert!(
            url.starts_with(&server.base) || url.starts_with("blob:") || url.starts_with("data:"),
            "request to another origin: {url}"
        );
        let body = r["postData"].as_str().unwrap_or("");
        sent += body.len() + url.len();
        for chunk in picture_bytes.chunks(48) {
            assert!(
                !body.contains(&base64(chunk)),
                "a base64 piece of the picture was sent to {url}"
            );
            let hex = hex(chunk);
            assert!(
                !body.contains(&hex),
                "a hex piece of the picture was sent to {url}"
            );
        }
        assert!(
            !r["hasPostData"].as_bool().unwrap_or(false) || !body.is_empty(),
            "a body the log did not show was sent to {url}"
        );
    }
    note(&format!(
        "the page sent {sent} bytes in {} requests for a {}-byte picture",
        requests.len(),
        picture_bytes.len()
    ));
    assert!(sent < 4096, "{sent} bytes sent");
    (d.picture, d.case, d.pin) = (picture, case, pin);
}

/// The platform has it; the status page speaks Thai and Vietnamese; withdrawal removes it.
fn step_the_platform_has_it_and_the_status_page_withdraws_it(d: &Device) {
    let (server, driver, token) = (&d.server, &d.driver, d.token.clone());
    let (picture, case, pin) = (d.picture.clone(), d.case.clone(), d.pin.clone());
    let (pdq, _) = native_hash(&picture);
    let (_, found) = server.get(
        &format!("/m/lookup?signal_type=pdq&signal={pdq}"),
        Some(&token),
    );
    assert!(found["SELF_REPORT"].is_array(), "{found}");
    for (lang, received) in [("th", "ได้รับแล้ว"), ("vi", "đã nhận")] {
        driver.go(&format!("{}/self-report?lang={lang}", server.base));
        let html = driver.source();
        assert!(html.contains(&format!("lang=\"{lang}\"")), "{lang}");
        driver.type_into("#st-case", &case);
        driver.type_into("#st-pin", &pin);
        driver.press("#st-check");
        driver.wait_for(
            "return document.getElementById('status-result').textContent.length > 0;",
            "the status",
        );
        let text = driver.script("return document.getElementById('status-result').textContent;");
        assert!(
            text.as_str().unwrap_or("").contains(received),
            "{lang}: {text}"
        );
    }
    driver.press("#st-withdraw");
    driver.press("#st-withdraw");
    driver.wait_for(
        "return document.getElementById('status-result').dataset.status === 'withdrawn';",
        "the withdrawal",
    );
    let (_, found) = server.get(
        &format!("/m/lookup?signal_type=pdq&signal={pdq}"),
        Some(&token),
    );
    assert_eq!(found, json!({}));
}
