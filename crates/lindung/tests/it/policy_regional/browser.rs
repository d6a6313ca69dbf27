//! The regional pages in headless Chromium on a 360-pixel-wide screen, in Thai and Vietnamese,
//! without JavaScript of their own: a partner is added and its signed snapshot pasted through
//! the page; the dashboard shows its figures and a silent partner as missing.

use lindung::access::audit::Actor;
use lindung::access::{self, Role};
use serde_json::json;

use super::{QUARTER, body, new_key, signed, start};
use crate::support;
use crate::support::browser::{self, Driver, assert_phone_width, assert_readable};

#[tokio::test(flavor = "multi_thread")]
async fn the_regional_dashboard_in_thai_and_vietnamese_on_a_small_phone() {
    if browser::missing("the_regional_dashboard_in_thai_and_vietnamese_on_a_small_phone") {
        return;
    }
    let t = support::stores("policy_regional_browser").await.remove(0);
    access::add_user(
        &t.store,
        &Actor::cli("test"),
        "officer@node.example",
        Role::PolicyOfficer,
        Some("Regional Node"),
        "a long enough passphrase",
    )
    .await
    .expect("user");
    let server = start(&t, "MY");
    let (pair, public) = new_key();
    let (_, silent) = new_key();
    let envelope = signed(&pair, &public, &body("VN", "2026-10-01T08:00:00Z")).to_string();

    let driver = Driver::start();
    driver.call(
        "POST",
        "/window/rect",
        Some(&json!({"width": 360, "height": 740})),
    );
    // Chromium keeps Secure cookies on plain HTTP only for `localhost`, a secure context.
    let base = server.base.replace("127.0.0.1", "localhost");
    driver.go(&format!("{base}/login"));
    driver.type_into("#email", "officer@node.example");
    driver.type_into("#password", "a long enough passphrase");
    driver.click("main button[type=submit]");
    let regional = format!("{base}/policy/regional?quarter={QUARTER}");
    driver.go(&regional);
    assert_phone_width(&driver);
    assert!(!driver.source().contains("<script"), "no JavaScript needed");

    // Thai, chosen from the language menu.
    driver.script("document.getElementById('ui-language').value = 'th'; return true;");
    driver.click("form[action='/account/language'] button");
    driver.go(&regional);
    for (country, key) in [("VN", public.as_str()), ("LA", silent.as_str())] {
        driver.type_into("#partner-country", country);
        driver.type_into("#partner-name", &format!("Ministry {country}"));
        driver.type_into("#partner-key", key);
        driver.click("#partner-add");
        assert!(driver.source().contains("เพิ่มพันธมิตรแล้ว"), "{country} added");
    }
    // The snapshot pasted; a broken one first, which comes back as typed.
    let set = |text: &str| {
        driver.script(&format!(
            "document.getElementById('envelope').value = {}; return true;",
            serde_json::to_string(text).expect("js string")
        ));
    };
    set("{\"body\": \"not signed\"}");
    driver.click("#import");
    assert!(
        driver.source().contains("id=\"import-error\""),
        "the error is shown"
    );
    assert_eq!(
        driver.script("return document.getElementById('envelope').value;"),
        json!("{\"body\": \"not signed\"}"),
        "the pasted text is kept"
    );
    set(&envelope);
    driver.click("#import");
    let page = driver.source();
    assert!(page.contains("ตรวจสอบลายเซ็นและนำเข้าสแนปช็อตแล้ว"), "imported");
    let cells = driver.script(
        "return [...document.querySelectorAll('#dashboard tbody tr:first-child td')].map(td => td.textContent);",
    );
    assert!(cells.to_string().contains("ไม่ได้ส่งข้อมูล"), "{cells}");
    let reports = driver.script(
        "return [...document.querySelectorAll('#dashboard tbody tr')].map(tr => tr.textContent).join('|');",
    );
    assert!(
        reports.to_string().contains("42"),
        "VN's reports: {reports}"
    );
    let allowed = [
        "Ministry",
        "VN",
        "LA",
        "MY",
        public.as_str(),
        silent.as_str(),
    ];
    assert_readable(&driver, "the regional dashboard in Thai", &allowed);

    // Vietnamese.
    driver.script("document.getElementById('ui-language').value = 'vi'; return true;");
    driver.click("form[action='/account/language'] button");
    driver.go(&regional);
    let page = driver.source();
    assert!(
        page.contains("lang=\"vi\"") && page.contains("chưa gửi"),
        "Vietnamese"
    );
    assert_readable(&driver, "the regional dashboard in Vietnamese", &allowed);
    driver.go(&format!("{base}/policy/indicators?quarter={QUARTER}"));
    assert!(driver.source().contains("không có dữ liệu"));
    assert_readable(&driver, "the indicators in Vietnamese", &allowed);
}
