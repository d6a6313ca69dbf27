//! Every message the English locale defines exists in the Thai one too, so Thai pages never
//! fall back to English text; and both files parse.

use std::collections::BTreeSet;

fn keys(lang: &str) -> BTreeSet<String> {
    keys_of(lang, "main.ftl")
}

fn keys_of(lang: &str, file: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(format!(
        "{}/locales/{lang}/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("locale file");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" = "))
        .map(|l| l.split(" = ").next().unwrap_or_default().trim().to_owned())
        .collect()
}

#[test]
fn thai_is_complete() {
    let en = keys("en");
    let th = keys("th");
    assert!(en.len() > 80, "{}", en.len());
    let missing: Vec<&String> = en.difference(&th).collect();
    assert!(missing.is_empty(), "missing in th: {missing:?}");
}

#[test]
fn page_text_is_translated() {
    let tr = lindung::http::i18n::Tr::new("th");
    assert_eq!(tr.t("nav-banks"), "คลังแฮช");
    assert_eq!(tr.t1("imported", "count", 3), "นำเข้าแฮชใหม่ 3 รายการ");
    assert_eq!(
        lindung::http::i18n::Tr::negotiate(None, Some("fr, th;q=0.8, en;q=0.5")).lang,
        "th"
    );
    assert_eq!(
        lindung::http::i18n::Tr::negotiate(Some("en"), Some("th")).lang,
        "en"
    );
}

#[test]
fn care_pages_are_complete_in_thai_and_the_self_report_page_in_six_languages() {
    let en = keys_of("en", "care.ftl");
    assert!(en.len() > 50, "{}", en.len());
    let th = keys_of("th", "care.ftl");
    let missing: Vec<&String> = en.difference(&th).collect();
    assert!(missing.is_empty(), "care: missing in th: {missing:?}");
    let en = keys_of("en", "selfreport.ftl");
    for lang in ["th", "vi", "id", "fil", "ms"] {
        let translated = keys_of(lang, "selfreport.ftl");
        let missing: Vec<&String> = en.difference(&translated).collect();
        assert!(
            missing.is_empty(),
            "self-report: missing in {lang}: {missing:?}"
        );
    }
    let tr = lindung::http::i18n::Tr::among("vi", lindung::http::i18n::PUBLIC_LANGUAGES);
    assert_eq!(tr.t("sr-status-received"), "đã nhận");
}

#[test]
fn the_public_report_form_is_complete_in_six_languages_and_the_analyst_pages_in_thai() {
    let en = keys_of("en", "hotline.ftl");
    let public: std::collections::BTreeSet<&String> =
        en.iter().filter(|k| k.starts_with("hl-")).collect();
    assert!(public.len() > 35, "{}", public.len());
    for lang in ["th", "vi", "id", "fil", "ms"] {
        let translated = keys_of(lang, "hotline.ftl");
        let missing: Vec<&&String> = public
            .iter()
            .filter(|k| !translated.contains(**k))
            .collect();
        assert!(
            missing.is_empty(),
            "hotline form: missing in {lang}: {missing:?}"
        );
    }
    let th = keys_of("th", "hotline.ftl");
    let missing: Vec<&String> = en.difference(&th).collect();
    assert!(missing.is_empty(), "hotline: missing in th: {missing:?}");
    let tr = lindung::http::i18n::Tr::among("fil", lindung::http::i18n::PUBLIC_LANGUAGES);
    assert_eq!(tr.t("hl-police"), "Pulis");
    // Languages awaiting translation fall back to English, key by key.
    let tr = lindung::http::i18n::Tr::among("km", lindung::http::i18n::PUBLIC_LANGUAGES);
    assert_eq!(tr.t("hl-police"), "Police");
}

/// Every public page has a quick exit to a neutral site, in the page's language (StopNCII's
/// pages have one: a person may need to leave the screen at once).
#[tokio::test(flavor = "multi_thread")]
async fn every_public_page_has_a_quick_exit_in_its_language() {
    let t = &crate::support::stores("quick_exit").await[0];
    crate::support::user(
        &t.store,
        "a@hotline.example",
        lindung::access::Role::Analyst,
        None,
    )
    .await;
    let server = crate::support::server::Server::start(&t.location);
    for (path, words) in [
        ("/report?lang=th", "ออกจากเว็บไซต์นี้ทันที"),
        ("/report?lang=id", "Keluar cepat dari situs ini"),
        ("/report/status?lang=vi", "Thoát nhanh khỏi trang này"),
        ("/self-report?lang=km", "ចាកចេញពីគេហទំព័រនេះភ្លាមៗ"),
        ("/self-report?lang=en", "Leave this site quickly"),
    ] {
        let (status, _, page) = server.raw("GET", path, &[], b"");
        assert_eq!(status, 200, "{path}");
        let exit = page
            .split_once("id=\"quick-exit\"")
            .map(|(_, rest)| rest.split("</a>").next().unwrap_or_default())
            .unwrap_or_else(|| panic!("{path}: no quick exit"));
        assert!(
            exit.contains("href=\"https://www.google.com/\"") && exit.contains(words),
            "{path}: {exit}"
        );
    }
    server.terminate();
}
