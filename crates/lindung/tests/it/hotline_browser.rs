//! The public report form in headless Chromium on a 360-pixel phone screen, in Thai and in
//! Indonesian: "a child is in danger" shows the chosen country's emergency numbers at once,
//! without JavaScript; the report is sent; the reference and PIN then show its status. Then an
//! analyst claims and assesses a report through the pages.

use lindung::access::Role;
use serde_json::{Value, json};

use crate::support;
use crate::support::browser::{self, Driver, fits};
use crate::support::server::Server;

fn shown(driver: &Driver, css: &str) -> bool {
    driver.script(&format!(
        "const e = document.querySelector({css:?}); return !!e && getComputedStyle(e).display !== 'none';"
    )) == Value::Bool(true)
}

fn text(driver: &Driver, css: &str) -> String {
    driver
        .script(&format!(
            "return document.querySelector({css:?}).textContent.trim();"
        ))
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn select(driver: &Driver, css: &str, value: &str) {
    driver.script(&format!(
        "const s = document.querySelector({css:?}); s.value = {value:?}; s.dispatchEvent(new Event('change')); return true;"
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn reporters_in_thai_and_indonesian_send_reports_and_an_analyst_assesses_one() {
    if browser::missing("reporters_in_thai_and_indonesian_send_reports_and_an_analyst_assesses_one")
    {
        return;
    }
    let t = support::stores("hotline_browser").await.remove(0);
    // The default configuration's hotline organisation.
    let analyst = support::user(&t.store, "a@hotline.example", Role::Analyst, None).await;
    let server = Server::start(&t.location);
    let driver = Driver::start();
    driver.call(
        "POST",
        "/window/rect",
        Some(&json!({"width": 360, "height": 740})),
    );

    for (lang, title, police_label, status_text) in [
        ("th", "แจ้งสื่อการล่วงละเมิดทางเพศเด็ก", "ตำรวจ", "ได้รับแล้ว"),
        (
            "id",
            "Laporkan materi kekerasan seksual anak",
            "Polisi",
            "Diterima",
        ),
    ] {
        driver.go(&format!("{}/report?lang={lang}", server.base));
        let page = driver.source();
        assert!(page.contains(title), "{lang}: {page}");
        assert!(
            !page.contains("<script"),
            "the public form needs no JavaScript"
        );
        assert!(
            !page.contains("type=\"file\""),
            "the form never takes an upload"
        );
        assert!(fits(&driver), "{lang}: the form fits a 360 px screen");
        assert!(
            !shown(&driver, "#emergency"),
            "no numbers until danger is ticked"
        );

        let country = if lang == "th" { "TH" } else { "ID" };
        select(&driver, "#country", country);
        driver.press("#danger");
        assert!(
            shown(&driver, "#emergency"),
            "{lang}: ticking danger shows the numbers at once"
        );
        assert!(shown(&driver, &format!("#em-{country}")));
        assert!(
            !shown(&driver, "#em-VN"),
            "only the chosen country's numbers"
        );
        let numbers = text(&driver, &format!("#em-{country}"));
        let expected = if lang == "th" { "191" } else { "110 / 112" };
        assert!(
            numbers.contains(expected) && numbers.contains(police_label),
            "{lang}: {numbers}"
        );

        driver.type_into("#urls", &format!("https://host.example/{lang}/1"));
        driver.type_into("#description", "Seen in a public group");
        driver.click("#send");
        let reference = text(&driver, "#reference");
        let pin = text(&driver, "#pin");
        assert!(
            reference.starts_with("HR-") && pin.len() == 8,
            "{reference} {pin}"
        );
        assert!(
            driver.source().contains(expected),
            "the receipt repeats the numbers"
        );

        driver.go(&format!("{}/report/status?lang={lang}", server.base));
        driver.type_into("#reference", &reference);
        driver.type_into("#pin", &pin);
        driver.click("#check");
        let status = text(&driver, "#status");
        assert!(status.starts_with(status_text), "{lang}: {status}");
    }

    // Both reports reached the analysts' queue, with the danger flag on top.
    let (status, queue) = server.get("/api/v1/hotline/queue", Some(&analyst));
    assert_eq!(status, 200, "{queue}");
    let entries = queue.as_array().expect("queue");
    assert_eq!(entries.len(), 2, "{queue}");
    assert!(entries.iter().all(|e| e["immediate_danger"] == true));
    let countries: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["reporter_country"].as_str())
        .collect();
    assert!(
        countries.contains(&"TH") && countries.contains(&"ID"),
        "{countries:?}"
    );
}
