//! The regional pages in headless Chromium on a 360-pixel-wide screen, in Thai and Vietnamese,
//! without JavaScript of their own: a partner is added and its signed snapshot pasted through
//! the page; the dashboard shows its figures and a silent partner as missing.

use lindung::access::Role;
use lindung::policy::regional::catalogue::catalogue;
use serde_json::json;

use super::{QUARTER, body, new_key, signed, start};
use crate::care_journey::{PASSPHRASE, phone};
use crate::support;
use crate::support::browser::{self, assert_phone_width, assert_readable};

#[tokio::test(flavor = "multi_thread")]
async fn the_regional_dashboard_in_thai_and_vietnamese_on_a_small_phone() {
    if browser::missing("the_regional_dashboard_in_thai_and_vietnamese_on_a_small_phone") {
        return;
    }
    let t = support::stores("policy_regional_browser").await.remove(0);
    support::user(
        &t.store,
        "officer@node.example",
        Role::PolicyOfficer,
        Some("Regional Node"),
    )
    .await;
    let server = start(&t, "MY");
    let (pair, public) = new_key();
    let (_, silent) = new_key();
    let envelope = signed(&pair, &public, &body("VN", "2026-10-01T08:00:00Z")).to_string();

    let (driver, base) = phone(&server);
    driver.go(&format!("{base}/login"));
    driver.type_into("#email", "officer@node.example");
    driver.type_into("#password", PASSPHRASE);
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
    // Columns: the indicator, then LA and VN. Every LA cell is missing, in words.
    let cells = driver.script(
        "return [...document.querySelectorAll('#dashboard tbody tr')].map(tr => [...tr.children].slice(1).map(td => [td.className, td.textContent]));",
    );
    let ids: Vec<&str> = catalogue()
        .indicators()
        .map(|(_, indicator)| indicator.id.as_str())
        .collect();
    let rows = cells.as_array().expect("rows");
    assert_eq!(rows.len(), ids.len(), "{cells}");
    for (id, row) in ids.iter().zip(rows) {
        assert_eq!(
            row[0],
            json!(["state-missing", "ไม่ได้ส่งข้อมูล"]),
            "LA {id}: {cells}"
        );
    }
    let vn = |id: &str| rows[ids.iter().position(|i| *i == id).expect("id")][1].clone();
    assert_eq!(vn("reports_received"), json!(["state-reported", "42"]));
    assert_eq!(
        vn("hashes_received"),
        json!(["state-unavailable", "ไม่มีข้อมูล"])
    );
    // VN's snapshot has no education figure: missing, not unavailable and not 0.
    assert_eq!(
        vn("education_programmes"),
        json!(["state-missing", "ไม่ได้ส่งข้อมูล"])
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
    // The cells of what this deployment does not hold (hashes received, the second of its
    // area; education programmes, alone in its own) read "not available".
    let cells = driver.script(
        "return [...document.querySelectorAll('#area-data_research tbody tr:nth-child(2) > td:last-child, #area-education tbody td:last-child')].map(td => [td.className, td.textContent]);",
    );
    assert_eq!(
        cells,
        json!([
            ["state-unavailable", "không có dữ liệu"],
            ["state-unavailable", "không có dữ liệu"]
        ])
    );
    assert_readable(&driver, "the indicators in Vietnamese", &allowed);
}
