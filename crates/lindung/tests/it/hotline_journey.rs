//! An analyst's day through the pages alone, in Thai on a 360-pixel phone screen in headless
//! Chromium: a provider is added on the contacts page; a report comes in through the public
//! form; the analyst claims it, records where it is hosted, assesses it as illegal, previews and
//! sends the notice (to a loopback mail server), refers the report to the police and the child
//! to care, and closes it. The police of the referred organisation find it in their inbox and
//! open its package; another force sees nothing of it. A researcher reads the statistics; a
//! refused form comes back as typed, with the field marked, in Thai. Every page is checked to fit
//! the screen and show no raw value, key or machine time.

use lindung::access::audit::Actor;
use lindung::access::{self, Role};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::browser::{self, Driver, assert_readable};
use crate::support::server::Server;
use crate::support::site::Site;
use crate::support::{self, TestStore};

const PASSWORD: &str = "a long enough passphrase";

/// A user who reads the pages in Thai, as set on their account; returns an API token (used only
/// to read a refusal's status, which a browser does not show).
async fn thai_user(t: &TestStore, email: &str, role: Role, organisation: &str) -> String {
    let token = support::user(&t.store, email, role, Some(organisation)).await;
    let found = access::entities::user::Entity::find()
        .filter(access::entities::user::Column::Email.eq(email))
        .one(t.store.db())
        .await
        .expect("read user")
        .expect("user");
    access::set_language(&t.store, &Actor::cli("test"), found.id, Some("th"))
        .await
        .expect("language");
    token
}

/// The hotline configuration of the test: hotline "Hotline TH" in Thailand, and the loopback
/// site's address and port allowed (removal checks only reach what the deployment allows).
fn config_file(dir: &std::path::Path, site_port: u16) -> std::path::PathBuf {
    let mut config: Value =
        serde_json::from_str(lindung::hotline::config::DEFAULT_CONFIG).expect("default config");
    config["organisation"] = json!("Hotline TH");
    config["allow_networks"] = json!(["127.0.0.0/8"]);
    config["allow_ports"] = json!([80, 443, site_port]);
    config["checks"]["run_every_seconds"] = json!(3600);
    let path = dir.join("hotline-journey.json");
    std::fs::write(&path, config.to_string()).expect("write config");
    path
}

fn phone() -> Driver {
    let driver = Driver::start();
    driver.call(
        "POST",
        "/window/rect",
        Some(&json!({"width": 360, "height": 740})),
    );
    crate::support::browser::assert_phone_width(&driver);
    driver
}

/// Logs in through the login page (after forgetting whoever was logged in).
fn log_in(driver: &Driver, base: &str, email: &str) {
    // Cookies are deleted for the page shown, so first a page of the server.
    driver.go(&format!("{base}/login"));
    driver.call("DELETE", "/cookie", None);
    driver.go(&format!("{base}/login"));
    driver.type_into("#email", email);
    driver.type_into("#password", PASSWORD);
    driver.click("main button[type=submit]");
}

fn text(driver: &Driver, css: &str) -> String {
    driver
        .script(&format!(
            "const e = document.querySelector({css:?}); return e ? e.textContent.trim() : '';"
        ))
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn attribute(driver: &Driver, css: &str, name: &str) -> Value {
    driver.script(&format!(
        "const e = document.querySelector({css:?}); return e ? e.getAttribute({name:?}) : null;"
    ))
}

/// Sets a select to the option with `value`, as a person choosing it would.
fn choose(driver: &Driver, css: &str, value: &str) {
    let chosen = driver.script(&format!(
        "const s = document.querySelector({css:?}); s.value = {value:?}; return s.value;"
    ));
    assert_eq!(chosen, json!(value), "{css} has no option {value}");
}

/// Opens every folded part of the page (the forms of the report page fold away on a phone).
fn unfold(driver: &Driver) {
    driver.script("document.querySelectorAll('details').forEach(d => d.open = true); return true;");
}

/// The confirmation the page shows after an action.
fn done(driver: &Driver) -> String {
    text(driver, "#done")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_analysts_day_in_thai_on_a_phone_through_the_pages_alone() {
    if browser::missing("an_analysts_day_in_thai_on_a_phone_through_the_pages_alone") {
        return;
    }
    let t = support::stores("hotline_journey").await.remove(0);
    thai_user(&t, "admin@hotline.example", Role::Admin, "Hotline TH").await;
    thai_user(&t, "a@hotline.example", Role::Analyst, "Hotline TH").await;
    thai_user(
        &t,
        "officer@police.example",
        Role::LawEnforcement,
        "Police TH",
    )
    .await;
    let other_police = thai_user(
        &t,
        "officer@elsewhere.example",
        Role::LawEnforcement,
        "Police XX",
    )
    .await;
    thai_user(&t, "s@care.example", Role::Supervisor, "Care A").await;

    let site = Site::start();
    // Synthetic bytes standing in for the reported page; never real material.
    site.serve("/p/1", b"synthetic page".to_vec());
    let reported = format!("{}/p/1", site.base);
    let (smtp_port, mail) = support::smtp::sink();
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let config = config_file(&t.location.data_dir, site.port());
    let server = Server::start_with_env(
        &t.location,
        &[
            ("LINDUNG_HOTLINE_CONFIG", config.to_str().expect("path")),
            ("LINDUNG_SMTP_URL", &smtp_url),
            ("LINDUNG_SMTP_FROM", "hotline@hotline.example"),
        ],
    );
    // Chromium keeps Secure cookies on plain HTTP only for `localhost`, a secure context.
    let base = server.base.replace("127.0.0.1", "localhost");
    let driver = phone();
    let typed = [reported.as_str()];

    // The admin adds the hosting provider on the contacts page, notices in Thai.
    log_in(&driver, &base, "admin@hotline.example");
    driver.go(&format!("{base}/hotline/contacts"));
    assert_readable(&driver, "the contacts page", &typed);
    unfold(&driver);
    driver.type_into("#providers-new-name", "Loopback Hosting");
    driver.type_into("#providers-new-country", "TH");
    driver.type_into("#providers-new-email", "abuse@host.example");
    choose(&driver, "#providers-new-language", "th");
    driver.click("#providers-new-add");
    assert_eq!(done(&driver), "บันทึกแล้ว");
    assert!(driver.source().contains("abuse@host.example"));
    assert_readable(&driver, "the contacts page with a provider", &typed);

    // Someone reports the page through the public form, in Thai.
    driver.call("DELETE", "/cookie", None);
    driver.go(&format!("{base}/report?lang=th"));
    driver.type_into("#urls", &reported);
    driver.type_into("#description", "เห็นในกลุ่มสาธารณะ");
    driver.click("#send");
    assert!(text(&driver, "#reference").starts_with("HR-"));

    // The analyst's day: the queue, the report, claiming it.
    log_in(&driver, &base, "a@hotline.example");
    driver.go(&format!("{base}/hotline"));
    assert_readable(&driver, "the queue", &typed);
    let queue = text(&driver, "#queue");
    assert!(queue.contains("ใหม่"), "a new report, in words: {queue}");
    driver.click("#queue a[href^='/hotline/reports/']");
    let report_url = driver.url();
    let id: i64 = report_url
        .rsplit('/')
        .next()
        .and_then(|i| i.parse().ok())
        .unwrap_or_else(|| panic!("report address {report_url}"));
    assert_readable(&driver, "the report", &typed);
    assert!(driver.source().contains("เห็นในกลุ่มสาธารณะ"));
    // Nothing is assessed yet: no notice can go out, and the page says why instead of
    // offering a button that would fail.
    let blocked = text(&driver, "#notices-blocked");
    assert!(blocked.contains("ประเมินว่าผิดกฎหมาย"), "{blocked}");
    assert_eq!(attribute(&driver, "#preview-notices", "href"), Value::Null);
    driver.click("#claim");
    assert_eq!(done(&driver), "คุณรับรายงานนี้แล้ว");
    assert_readable(&driver, "the claimed report", &typed);

    // Where it is hosted: Thailand, at the provider added above.
    unfold(&driver);
    driver.type_into(
        "form[action$='/attribution'] input[name=hosting_country]",
        "TH",
    );
    driver.script(
        "const s = document.querySelector(\"form[action$='/attribution'] select\"); \
         s.value = [...s.options].find(o => o.text === 'Loopback Hosting').value; return true;",
    );
    driver.click("form[action$='/attribution'] button");
    assert_eq!(done(&driver), "บันทึกแล้ว");

    // The assessment: category A1 is illegal everywhere (the baseline), so the notice can go.
    choose(&driver, "#assess-category", "A1");
    choose(&driver, "#assess-age_group", "prepubescent");
    choose(&driver, "#assess-content_kind", "image");
    driver.click("#assess");
    assert_eq!(done(&driver), "บันทึกการประเมินแล้ว");
    let assessments = text(&driver, "#assessments");
    assert!(
        assessments.contains("ผิดกฎหมายทุกประเทศ") && assessments.contains("ก่อนวัยแรกรุ่น"),
        "{assessments}"
    );
    assert_readable(&driver, "the assessed report", &typed);

    // The notice preview: to the provider's abuse address, in Thai, with the reported URL.
    driver.click("#preview-notices");
    assert_readable(&driver, "the notice preview", &typed);
    assert_eq!(text(&driver, ".recipient"), "abuse@host.example");
    let letter = text(&driver, ".letter");
    assert!(
        letter.contains("สายด่วน") && letter.contains(&reported),
        "{letter}"
    );
    driver.click("#send-notices");
    assert_eq!(done(&driver), "ส่งหนังสือแจ้งแล้ว");
    assert_readable(&driver, "the report after the notice", &typed);
    {
        let kept = mail.lock().expect("mail");
        assert_eq!(
            kept.iter()
                .filter(|m| m.contains("abuse@host.example"))
                .count(),
            1,
            "{kept:?}"
        );
    }
    // Sent once: the page no longer offers to send it again.
    assert_eq!(attribute(&driver, "#preview-notices", "href"), Value::Null);

    // Referral to the police, and of the child to care.
    unfold(&driver);
    driver.type_into("#police-organisation", "Police TH");
    driver.click("#refer-police");
    assert_eq!(done(&driver), "ส่งต่อรายงานให้ตำรวจแล้ว");
    assert_readable(&driver, "the report referred to the police", &typed);
    unfold(&driver);
    driver.type_into("#care-organisation", "Care A");
    choose(&driver, "#care-risk_level", "high");
    driver.click("#refer-care");
    assert_eq!(done(&driver), "เปิดเคสดูแลสำหรับเด็กแล้ว");
    let referrals = text(&driver, "#referrals");
    assert!(referrals.contains("Police TH"), "{referrals}");
    assert_readable(&driver, "the report referred to care", &typed);

    // Closing it; the button says it is final.
    assert_eq!(
        attribute(&driver, "#close-report", "class"),
        json!("danger")
    );
    driver.type_into("#close-reason", "ส่งต่อครบแล้ว");
    driver.click("#close-report");
    assert_eq!(done(&driver), "ปิดรายงานแล้ว");
    assert_eq!(text(&driver, "#status"), "ปิดแล้ว");
    assert_readable(&driver, "the closed report", &typed);

    // The police of the referred organisation find it in their inbox and open its package.
    log_in(&driver, &base, "officer@police.example");
    driver.go(&format!("{base}/hotline/referred"));
    assert_readable(&driver, "the police inbox", &typed);
    driver.click(&format!("#package-{id}"));
    assert!(
        driver
            .url()
            .ends_with(&format!("/hotline/reports/{id}/package"))
    );
    assert!(text(&driver, "#digest").starts_with("SHA-256 "));
    assert_readable(&driver, "the package", &typed);

    // Another force sees nothing of it, and is refused its package.
    log_in(&driver, &base, "officer@elsewhere.example");
    driver.go(&format!("{base}/hotline/referred"));
    assert_readable(&driver, "another force's inbox", &typed);
    assert!(!text(&driver, "#referred-empty").is_empty());
    assert_eq!(
        attribute(&driver, &format!("#package-{id}"), "href"),
        Value::Null
    );
    let (status, _) = server.request(
        "GET",
        &format!("/hotline/reports/{id}/package"),
        Some(&other_police),
        &[],
        b"",
    );
    assert_eq!(status, 403);
}

/// A deployment with the hotline's analyst and reports from the public form (sent as a
/// browser sends it), for the shorter journeys below.
async fn with_reports(t: &TestStore, reports: usize) -> Server {
    let site = Site::start();
    let config = config_file(&t.location.data_dir, site.port());
    let server = Server::start_with_env(
        &t.location,
        &[("LINDUNG_HOTLINE_CONFIG", config.to_str().expect("path"))],
    );
    for n in 0..reports {
        let (status, page) = server.form(
            "/report",
            &[
                ("lang", "th"),
                ("urls", &format!("https://host.example/r/{n}")),
                ("seen_on", "website"),
                ("kind", "csam"),
                ("country", "TH"),
            ],
        );
        // The receipt: the report was taken (201 Created), with its reference.
        assert!(
            (200..300).contains(&status) && page.contains("id=\"reference\""),
            "{status}: {page}"
        );
    }
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn a_researcher_reads_the_statistics_in_thai_on_a_phone() {
    if browser::missing("a_researcher_reads_the_statistics_in_thai_on_a_phone") {
        return;
    }
    let t = support::stores("hotline_journey_stats").await.remove(0);
    thai_user(&t, "a@hotline.example", Role::Analyst, "Hotline TH").await;
    thai_user(&t, "r@uni.example", Role::Researcher, "University").await;
    let server = with_reports(&t, 6).await;
    let base = server.base.replace("127.0.0.1", "localhost");
    let driver = phone();
    log_in(&driver, &base, "r@uni.example");
    driver.go(&format!("{base}/hotline/stats"));
    assert_readable(&driver, "the statistics", &[]);
    // Six reports: above the suppression threshold of five, so the count shows.
    let table = text(&driver, "#removal");
    assert!(table.contains('6'), "{table}");
    let charts = driver
        .script("return [...document.querySelectorAll('svg title')].map(t => t.textContent);");
    let charts = charts.to_string();
    assert!(
        charts.contains("รายงานตามประเภท") && !charts.contains("Reports by"),
        "chart titles in Thai: {charts}"
    );
    let labels = driver.script(
        "return [...document.querySelectorAll('svg text')].map(t => t.textContent).join(' | ');",
    );
    let labels = labels.as_str().unwrap_or_default().to_owned();
    assert!(
        labels.contains("สื่อการล่วงละเมิดทางเพศเด็ก") && labels.contains("แบบฟอร์มสาธารณะ"),
        "types and sources in words: {labels}"
    );
    assert!(
        browser::raw_words(&labels, &[]).is_empty(),
        "raw values in the charts: {labels}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_form_comes_back_as_typed_with_the_field_marked_in_thai_and_settings_are_kept() {
    if browser::missing(
        "a_refused_form_comes_back_as_typed_with_the_field_marked_in_thai_and_settings_are_kept",
    ) {
        return;
    }
    let t = support::stores("hotline_journey_errors").await.remove(0);
    thai_user(&t, "a@hotline.example", Role::Analyst, "Hotline TH").await;
    thai_user(&t, "admin@hotline.example", Role::Admin, "Hotline TH").await;
    thai_user(
        &t,
        "officer@police.example",
        Role::LawEnforcement,
        "Police TH",
    )
    .await;
    let server = with_reports(&t, 1).await;
    let base = server.base.replace("127.0.0.1", "localhost");
    let driver = phone();
    log_in(&driver, &base, "a@hotline.example");
    driver.go(&format!("{base}/hotline"));
    driver.click("#queue a[href^='/hotline/reports/']");
    driver.click("#claim");

    // An assessment without an age group: the age group starts unchosen, and saving without
    // one brings the form back with what was typed.
    assert_eq!(
        driver.script("return document.querySelector('#assess-age_group').value;"),
        json!("")
    );
    choose(&driver, "#assess-category", "B1");
    choose(&driver, "#assess-content_kind", "video");
    driver.type_into("#assess-gender", "หญิง");
    driver.click("#assess");
    let summary = text(&driver, "#form-error");
    assert!(summary.contains("กลุ่มอายุ"), "the fault in Thai: {summary}");
    assert_eq!(
        attribute(&driver, "#assess-age_group", "aria-invalid"),
        json!("true")
    );
    assert_eq!(
        attribute(&driver, "#assess-age_group", "class"),
        json!("invalid")
    );
    assert_eq!(
        attribute(&driver, "#assess-gender", "aria-invalid"),
        Value::Null
    );
    let kept = driver.script(
        "return ['#assess-category', '#assess-content_kind', '#assess-gender'].map(s => document.querySelector(s).value);",
    );
    assert_eq!(kept, json!(["B1", "video", "หญิง"]));
    assert_readable(&driver, "the refused assessment", &[]);

    // A referral to an organisation that does not exist.
    unfold(&driver);
    driver.type_into("#police-organisation", "Polis Nowhere");
    driver.click("#refer-police");
    let summary = text(&driver, "#form-error");
    assert!(summary.contains("ไม่มีหน่วยงาน"), "{summary}");
    assert_eq!(
        driver.script("return document.querySelector('#police-organisation').value;"),
        json!("Polis Nowhere")
    );
    assert_eq!(
        attribute(&driver, "#police-organisation", "aria-invalid"),
        json!("true")
    );
    assert_readable(&driver, "the refused referral", &["Polis", "Nowhere"]);

    // The analyst's own evidence settings: blurred and grey until they choose otherwise.
    driver.go(&format!("{base}/hotline/settings"));
    assert_readable(&driver, "the evidence settings", &[]);
    let ticked = "return ['#blur', '#greyscale'].map(s => document.querySelector(s).checked);";
    assert_eq!(driver.script(ticked), json!([true, true]));
    driver.press("#blur");
    driver.click("#save-settings");
    assert_eq!(done(&driver), "บันทึกแล้ว");
    assert_eq!(driver.script(ticked), json!([false, true]));

    // An admin's provider with a country that is not a code comes back as typed.
    log_in(&driver, &base, "admin@hotline.example");
    driver.go(&format!("{base}/hotline/contacts"));
    unfold(&driver);
    driver.type_into("#providers-new-name", "Loopback Hosting");
    driver.type_into("#providers-new-country", "T1");
    driver.type_into("#providers-new-email", "abuse@host.example");
    driver.click("#providers-new-add");
    let summary = text(&driver, "#form-error");
    assert!(summary.contains("รหัสสองตัวอักษร"), "{summary}");
    assert_eq!(
        attribute(&driver, "#providers-new-country", "aria-invalid"),
        json!("true")
    );
    let kept = driver.script(
        "return ['#providers-new-name', '#providers-new-country', '#providers-new-email'].map(s => document.querySelector(s).value);",
    );
    assert_eq!(
        kept,
        json!(["Loopback Hosting", "T1", "abuse@host.example"])
    );
    assert_readable(&driver, "the refused provider", &[]);
}
