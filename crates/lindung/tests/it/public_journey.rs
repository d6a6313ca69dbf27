//! A visitor's journey on a 360-pixel phone (issue 16): the public home says who runs the
//! hotline, offers the report form and self-report, shows the help numbers of the visitor's
//! country, links the privacy notice and keeps the quick exit; the visitor reports a child in
//! danger, gets a receipt and checks the status. Every page fits the screen and shows no raw
//! key or value.

use lindung::access::Role;
use serde_json::{Value, json};

use crate::support;
use crate::support::browser::{self, Driver, assert_readable};
use crate::support::server::Server;

const OPERATOR: &str = "Example Child Safety Foundation";
const PRIVACY_CONTACT: &str = "privacy@hotline.example";

/// A hotline configuration that names who runs it: the built-in one with an operator added.
fn config_with_operator(dir: &std::path::Path) -> std::path::PathBuf {
    let mut config: Value =
        serde_json::from_str(lindung::hotline::config::DEFAULT_CONFIG).expect("default config");
    config["operator"] = json!({
        "name": OPERATOR,
        "website": "https://hotline.example",
        "privacy_contact": PRIVACY_CONTACT,
    });
    let path = dir.join("hotline.json");
    std::fs::write(&path, config.to_string()).expect("write config");
    path
}

fn shown(driver: &Driver, css: &str) -> bool {
    driver.script(&format!(
        "const e = document.querySelector({css:?}); return !!e && getComputedStyle(e).display !== 'none';"
    )) == Value::Bool(true)
}

fn text(driver: &Driver, css: &str) -> String {
    driver
        .script(&format!(
            "const e = document.querySelector({css:?}); return e ? e.innerText.trim() : '';"
        ))
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn selected(driver: &Driver, css: &str) -> String {
    driver
        .script(&format!("return document.querySelector({css:?}).value;"))
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_in_thai_finds_help_reports_a_child_in_danger_and_checks_the_status() {
    if browser::missing(
        "a_visitor_in_thai_finds_help_reports_a_child_in_danger_and_checks_the_status",
    ) {
        return;
    }
    let t = support::stores("public_journey").await.remove(0);
    // The default configuration's hotline organisation exists once it has an analyst.
    support::user(&t.store, "a@hotline.example", Role::Analyst, None).await;
    let dir = tempfile::tempdir().expect("dir");
    let config = config_with_operator(dir.path());
    let server = Server::start_with_env(
        &t.location,
        &[(
            "LINDUNG_HOTLINE_CONFIG",
            config.to_str().expect("utf-8 path"),
        )],
    );

    // A Thai browser without `?lang=` gets the home in Thai with Thailand's numbers chosen.
    let (status, _, page) = server.raw("GET", "/", &[("Accept-Language", "th-TH,th;q=0.9")], b"");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("lang=\"th\""), "{page}");
    assert!(
        page.contains("<option value=\"TH\" selected>"),
        "Thailand chosen from the browser's language: {page}"
    );
    assert!(!page.contains("<script"), "the home needs no JavaScript");
    // An English browser in Vietnam gets Vietnam's numbers chosen (the region of its language).
    let (_, _, page) = server.raw("GET", "/", &[("Accept-Language", "en-VN")], b"");
    assert!(page.contains("<option value=\"VN\" selected>"), "{page}");

    let driver = Driver::start();
    driver.call(
        "POST",
        "/window/rect",
        Some(&json!({"width": 360, "height": 740})),
    );
    crate::support::browser::assert_phone_width(&driver);
    driver.go(&format!("{}/?lang=th", server.base));
    assert_readable(&driver, "the home in Thai", &[]);
    assert!(
        text(&driver, "#operator").contains(OPERATOR),
        "who runs the hotline: {}",
        text(&driver, "#operator")
    );
    assert!(text(&driver, "h1").contains("แจ้งการล่วงละเมิดทางเพศเด็ก"));
    assert_eq!(selected(&driver, "#help-country"), "TH");
    assert!(shown(&driver, "#help-TH"), "Thailand's numbers are shown");
    let numbers = text(&driver, "#help-TH");
    assert!(
        numbers.contains("191") && numbers.contains("1387") && numbers.contains("ตำรวจ"),
        "{numbers}"
    );
    assert!(
        !shown(&driver, "#help-VN"),
        "only the chosen country's numbers"
    );
    assert!(
        text(&driver, "#quick-exit").contains("ออกจากเว็บไซต์นี้ทันที"),
        "the quick exit stays on the home"
    );
    let exit = driver.script("return document.getElementById('quick-exit').href;");
    assert_eq!(exit, json!("https://www.google.com/"));
    let self_report =
        driver.script("return document.getElementById('to-self-report').getAttribute('href');");
    assert_eq!(self_report, json!("/self-report?lang=th"));
    // The language menu offers every public language.
    let languages = driver
        .script("return [...document.querySelectorAll('nav a')].map(a => a.getAttribute('href'));");
    for lang in ["en", "th", "vi", "id", "ms", "fil", "km", "lo", "my"] {
        assert!(
            languages
                .to_string()
                .contains(&format!("\"/?lang={lang}\"")),
            "{lang}: {languages}"
        );
    }

    // The privacy notice, in Thai.
    driver.click("#to-privacy");
    assert_readable(&driver, "the privacy notice in Thai", &[]);
    let notice = text(&driver, "main");
    for words in [
        "ข้อมูลที่เราเก็บ",
        "เราปกป้องข้อมูลอย่างไร",
        "ใครอ่านข้อมูลได้",
        "เก็บไว้นานเท่าใด",
        PRIVACY_CONTACT,
        OPERATOR,
    ] {
        assert!(notice.contains(words), "{words}: {notice}");
    }
    driver.click("#to-home");
    assert_readable(&driver, "the home again", &[]);

    // To the report form: the danger box names Thailand's numbers.
    driver.click("#to-report");
    assert_readable(&driver, "the report form in Thai", &[]);
    assert_eq!(selected(&driver, "#country"), "TH");
    driver.press("#danger");
    assert!(shown(&driver, "#em-TH"), "ticking danger shows the numbers");
    driver.type_into("#urls", "https://host.example/th/journey");
    driver.type_into("#description", "Seen in a public group");
    driver.click("#send");
    assert_readable(&driver, "the receipt", &[]);
    let reference = text(&driver, "#reference");
    let pin = text(&driver, "#pin");
    assert!(
        reference.starts_with("HR-") && pin.len() == 8,
        "{reference} {pin}"
    );
    assert!(
        driver.source().contains("191"),
        "the receipt repeats the numbers"
    );

    driver.go(&format!(
        "{}/report/status?lang=th&reference={reference}",
        server.base
    ));
    assert_readable(&driver, "the status form", &[]);
    driver.type_into("#pin", &pin);
    driver.click("#check");
    assert_readable(&driver, "the status", &[]);
    assert!(
        text(&driver, "#status").starts_with("ได้รับแล้ว"),
        "{}",
        text(&driver, "#status")
    );

    // The home in Vietnamese names Vietnam's numbers.
    driver.go(&format!("{}/?lang=vi", server.base));
    assert_readable(&driver, "the home in Vietnamese", &[]);
    assert_eq!(selected(&driver, "#help-country"), "VN");
    let numbers = text(&driver, "#help-VN");
    assert!(
        numbers.contains("113") && numbers.contains("111") && numbers.contains("Cảnh sát"),
        "{numbers}"
    );
    assert!(text(&driver, "#operator").contains(OPERATOR));
    assert!(!shown(&driver, "#help-TH"));
    drop(driver);
    server.terminate();
}

/// A hotline whose configuration names no operator still says who runs it, in words; the
/// built-in configuration (an older file) stays valid.
#[tokio::test(flavor = "multi_thread")]
async fn the_home_without_a_named_operator_still_says_who_runs_it() {
    let t = support::stores("public_home_unnamed").await.remove(0);
    support::user(&t.store, "a@hotline.example", Role::Analyst, None).await;
    let server = Server::start(&t.location);
    let (status, _, page) = server.raw("GET", "/?lang=id", &[], b"");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Hotline ini dijalankan oleh organisasi perlindungan anak"),
        "{page}"
    );
    assert!(page.contains("<option value=\"ID\" selected>"), "{page}");
    let (status, _, page) = server.raw("GET", "/privacy?lang=km", &[], b"");
    assert_eq!(status, 200);
    assert!(page.contains("សេចក្តីជូនដំណឹងអំពីឯកជនភាព"), "{page}");
    server.terminate();
}
