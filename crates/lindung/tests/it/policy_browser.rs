//! A policy officer on a 360-pixel-wide phone screen in headless Chromium, through the pages
//! alone, in Thai and then in Vietnamese (chosen from the language menu): the legal-framework
//! self-assessment answered and saved as a version, its printable report, the versions compared,
//! the consultations, the national law table and the plan's indicators, each in the chosen
//! language, fitting the screen, showing no raw key and carrying no script. (The regional
//! dashboard's own browser test is in `policy_regional/browser.rs`.)

use lindung::access::Role;

use crate::care_journey::{PASSPHRASE, choose, phone, text_of};
use crate::support::browser::{self, assert_readable};
use crate::support::{self, server::Server};

/// Words of each language the test looks for, written from the issue's own examples and the
/// status names, not read from the locale files.
struct Language {
    code: &'static str,
    /// How the page names "partly met".
    partly_met: &'static str,
    law: &'static str,
    article: &'static str,
    /// The day the assessment is dated, as this language writes it (Thai: Buddhist era).
    day_shown: &'static str,
}

const LANGUAGES: [Language; 2] = [
    Language {
        code: "th",
        partly_met: "เป็นไปตามเกณฑ์บางส่วน",
        law: "ประมวลกฎหมายอาญา",
        article: "มาตรา 287/1",
        day_shown: "01/10/2569",
    },
    Language {
        code: "vi",
        partly_met: "Đáp ứng một phần",
        law: "Bộ luật Hình sự 2015",
        article: "Điều 326",
        day_shown: "01/11/2026",
    },
];

#[tokio::test(flavor = "multi_thread")]
async fn the_self_assessment_in_thai_and_vietnamese_on_a_small_phone() {
    if browser::missing("the_self_assessment_in_thai_and_vietnamese_on_a_small_phone") {
        return;
    }
    let t = support::stores("policy_browser").await.remove(0);
    support::user(
        &t.store,
        "officer@ministry.example",
        Role::PolicyOfficer,
        Some("Ministry"),
    )
    .await;
    let server = Server::start(&t.location);
    let (driver, base) = phone(&server);
    driver.go(&format!("{base}/login"));
    driver.type_into("#email", "officer@ministry.example");
    driver.type_into("#password", PASSPHRASE);
    driver.click("main button[type=submit]");
    assert!(driver.url().ends_with("/policy"), "{}", driver.url());

    for (version, language) in LANGUAGES.iter().enumerate() {
        // The language menu of the policy pages offers Thai and Vietnamese.
        choose(&driver, "ui-language", language.code);
        driver.click("form[action='/account/language'] button");
        let lang = |driver: &browser::Driver| {
            driver
                .script("return document.documentElement.lang;")
                .as_str()
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(
            lang(&driver),
            language.code,
            "the menu chose {}",
            language.code
        );
        assert_readable(&driver, &format!("/policy in {}", language.code), &[]);

        driver.go(&format!("{base}/policy/assessment?country=VN"));
        assert!(
            !driver.source().contains("<script"),
            "the policy pages need no JavaScript"
        );
        assert_readable(&driver, "the assessment form", &["VN"]);
        choose(&driver, "status-t1-ai-generated", "partly_met");
        // The form is prefilled from the latest version: what the officer types replaces it.
        fill(&driver, "#law-t1-ai-generated", language.law);
        fill(&driver, "#article-t1-ai-generated", language.article);
        let assessed_on = format!("2026-1{version}-01");
        fill(&driver, "#assessed_on", &assessed_on);
        driver.click("#save");
        assert!(
            driver.url().contains("/policy/assessments/"),
            "{}: {}",
            language.code,
            driver.url()
        );
        let report = driver.source();
        assert!(report.contains(language.law), "the report cites the law");
        assert!(report.contains(language.article), "and its article");
        let item = text_of(&driver, "#item-t1-ai-generated");
        assert!(
            item.contains(language.partly_met),
            "the item's status in {}: {item}",
            language.code
        );
        assert!(
            report.contains(language.day_shown),
            "the day as {} writes it",
            language.code
        );
        // Every tier of the template is in the report.
        for tier in ["t1-", "t2-", "t3-"] {
            assert!(report.contains(tier), "the report lists {tier} items");
        }
        assert_eq!(lang(&driver), language.code);
        assert!(
            written_in(&text_of(&driver, "h1"), language.code),
            "the report's heading"
        );
        assert_readable(
            &driver,
            "the report",
            &["VN", language.law, language.article],
        );

        for path in [
            "/policy/assessments",
            "/policy/consultations",
            "/policy/law",
            "/policy/indicators",
        ] {
            driver.go(&format!("{base}{path}"));
            assert_eq!(lang(&driver), language.code, "{path}");
            let heading = text_of(&driver, "h1");
            assert!(
                written_in(&heading, language.code),
                "{path}: the heading {heading:?} is not in {}",
                language.code
            );
            assert!(!driver.source().contains("<script"), "{path}: no script");
            assert_readable(&driver, &format!("{path} in {}", language.code), &["VN"]);
        }
    }
    // The Vietnamese pass saved the second version: the versions page compares the two, and
    // the comparison names the law each cited.
    driver.go(&format!("{base}/policy/assessments"));
    driver.click("#compare");
    let comparison = driver.source();
    assert!(driver.url().contains("/policy/compare"), "{}", driver.url());
    for language in &LANGUAGES {
        assert!(comparison.contains(language.law), "{comparison}");
    }
    assert_readable(
        &driver,
        "the comparison in Vietnamese",
        &["VN", "2015", "326", "287/1"],
    );
}

/// Whether `text` is written in the script of `lang`: Thai letters (U+0E00–U+0E7F) for Thai;
/// for Vietnamese, a letter only Vietnamese writes (with a horn, a breve or a dot below).
fn written_in(text: &str, lang: &str) -> bool {
    match lang {
        "th" => text.chars().any(|c| ('\u{0E00}'..='\u{0E7F}').contains(&c)),
        "vi" => text.chars().any(|c| {
            "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
                .contains(c.to_lowercase().next().unwrap_or(c))
        }),
        _ => false,
    }
}

/// Replaces a field's text with `text`, as a person selecting it and typing over it does.
fn fill(driver: &browser::Driver, css: &str, text: &str) {
    driver.script(&format!(
        "document.querySelector('{css}').value = ''; return true;"
    ));
    driver.type_into(css, text);
}
