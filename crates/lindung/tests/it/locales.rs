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

/// Days as people of the region write them: day/month/year, Thai in the Buddhist era (2026 CE
/// is 2569 BE).
#[test]
fn days_are_written_as_the_region_writes_them() {
    use lindung::http::i18n::Tr;
    assert_eq!(Tr::new("th").day("2026-10-01"), "01/10/2569");
    assert_eq!(Tr::new("en").day("2026-10-01"), "01/10/2026");
    assert_eq!(
        Tr::among("vi", lindung::policy::LANGUAGES).day("2026-11-30"),
        "30/11/2026"
    );
    assert_eq!(Tr::new("en").day("not a day"), "not a day");
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

/// A server whose hotline organisation (the default one) exists, for the public pages; the
/// store lives as long as the server is used.
async fn public_site(name: &str) -> (crate::support::TestStore, crate::support::server::Server) {
    let t = crate::support::stores(name).await.remove(0);
    crate::support::user(
        &t.store,
        "a@hotline.example",
        lindung::access::Role::Analyst,
        None,
    )
    .await;
    let server = crate::support::server::Server::start(&t.location);
    (t, server)
}

/// Every public page has a quick exit to a neutral site, in the page's language (StopNCII's
/// pages have one: a person may need to leave the screen at once).
#[tokio::test(flavor = "multi_thread")]
async fn every_public_page_has_a_quick_exit_in_its_language() {
    let (_t, server) = public_site("quick_exit").await;
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

/// The countries of the report form (code, name, selected), in page order.
fn country_options(page: &str) -> Vec<(String, String, bool)> {
    let select = page
        .split_once("<select id=\"country\"")
        .and_then(|(_, rest)| rest.split_once("</select>"))
        .map(|(options, _)| options)
        .expect("the country list");
    select
        .split("<option value=\"")
        .skip(2)
        .filter_map(|option| {
            let (code, rest) = option.split_once('"')?;
            let name = rest.split_once('>')?.1.split('<').next()?;
            Some((
                code.to_owned(),
                name.to_owned(),
                rest.starts_with(" selected"),
            ))
        })
        .collect()
}

/// In a crisis the numbers are at hand: the country is chosen from the page's language or the
/// browser's region, and the countries are named in the page's language, in its order.
#[tokio::test(flavor = "multi_thread")]
async fn the_danger_box_names_and_preselects_the_visitors_country() {
    let (_t, server) = public_site("danger_box").await;
    let options = |path: &str, accept: &str| {
        let (status, _, page) = server.raw("GET", path, &[("Accept-Language", accept)], b"");
        assert_eq!(status, 200, "{path}");
        country_options(&page)
    };
    let selected = |options: &[(String, String, bool)]| {
        options
            .iter()
            .filter(|(_, _, chosen)| *chosen)
            .map(|(code, _, _)| code.clone())
            .collect::<Vec<_>>()
    };
    let thai = options("/report?lang=th", "en");
    assert_eq!(thai.len(), 10, "{thai:?}");
    assert_eq!(selected(&thai), ["TH"], "a Thai page chooses Thailand");
    assert!(
        thai.contains(&("TH".to_owned(), "ประเทศไทย".to_owned(), true)),
        "{thai:?}"
    );
    assert!(
        thai.iter()
            .any(|(code, name, _)| code == "KH" && name == "กัมพูชา")
    );
    let names: Vec<&String> = thai.iter().map(|(_, name, _)| name).collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|name| name.to_lowercase());
    assert_eq!(names, sorted, "sorted in the page's language");
    assert_eq!(selected(&options("/report?lang=vi", "en")), ["VN"]);
    assert_eq!(
        selected(&options("/report", "en-SG,en;q=0.8")),
        ["SG"],
        "an English page in Singapore"
    );
    let english = options("/report?lang=en", "en");
    assert!(selected(&english).is_empty(), "no guess without a clue");
    assert_eq!(english[0].1, "Brunei", "{english:?}");
    server.terminate();
}

/// The error codes the code gives (`ApiError::new(StatusCode::…, "code", …)` and the domains'
/// `…Error::Conflict("code", …)`), read from the source.
fn error_codes_in_source() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            let quoted_after = |rest: &str| -> Option<String> {
                let rest = rest.trim_start().strip_prefix('"')?;
                let code = rest.split('"').next()?;
                (!code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                    .then(|| code.to_owned())
            };
            for (at, _) in text.match_indices("StatusCode::") {
                // `StatusCode::` may come with its path (`axum::http::StatusCode::`).
                let before = text[..at]
                    .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == ':' || c == '_');
                if !before.trim_end().ends_with("new(") {
                    continue;
                }
                let rest = &text[at + "StatusCode::".len()..];
                let after_status =
                    rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
                if let Some(rest) = after_status.strip_prefix(',')
                    && let Some(code) = quoted_after(rest)
                {
                    codes.insert(code);
                }
            }
            for (at, _) in text.match_indices("Error::Conflict(") {
                if let Some(code) = quoted_after(&text[at + "Error::Conflict(".len()..]) {
                    codes.insert(code);
                }
            }
        }
    }
    codes
}

/// No page shows a message key: every error code the code gives has words in every language
/// the staff pages are in.
#[test]
fn every_error_code_has_words_in_every_staff_language() {
    let codes = error_codes_in_source();
    for code in [
        "invalid",
        "not_found",
        "too_large",
        "not_assessed",
        "system_bank",
    ] {
        assert!(codes.contains(code), "the scan finds {code}: {codes:?}");
    }
    for lang in ["en", "th"] {
        let words = keys(lang);
        let missing: Vec<&String> = codes
            .iter()
            .filter(|code| !words.contains(&format!("error-{code}")))
            .collect();
        assert!(missing.is_empty(), "{lang}: no words for {missing:?}");
    }
}

/// Every report status and incident type has words on the analysts' pages, in every staff
/// language: the pages show no raw value.
#[test]
fn every_report_status_and_incident_type_has_words() {
    use lindung::hotline::{IncidentType, ReportStatus};
    for lang in ["en", "th"] {
        let words = keys_of(lang, "hotline.ftl");
        let missing: Vec<String> = ReportStatus::names()
            .into_iter()
            .map(|s| format!("hotline-status-{s}"))
            .chain(
                IncidentType::names()
                    .into_iter()
                    .map(|t| format!("hotline-type-{t}")),
            )
            .filter(|key| !words.contains(key))
            .collect();
        assert!(missing.is_empty(), "{lang}: {missing:?}");
    }
}

/// The policy pages are offered in English, Thai and Vietnamese: every message they use (the
/// shared chrome in `main.ftl` and their own `policy_*.ftl`) exists in each of those languages,
/// so no policy page falls back to English text, and every error code has words in each.
#[test]
fn policy_pages_are_complete_in_every_language_they_offer() {
    let offered: Vec<&str> = lindung::policy::LANGUAGES
        .iter()
        .map(|(code, _)| *code)
        .collect();
    assert_eq!(
        offered,
        ["en", "th", "vi"],
        "the issue asks for Thai and Vietnamese"
    );
    let dir = format!("{}/locales/en", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("locales/en")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("policy_") && name.ends_with(".ftl"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 2,
        "the policy pages' own messages are in locales/en/policy_*.ftl: {files:?}"
    );
    files.push("main.ftl".to_owned());
    let codes = error_codes_in_source();
    for lang in &offered[1..] {
        for file in &files {
            let en = keys_of("en", file);
            let translated = keys_of(lang, file);
            let missing: Vec<&String> = en.difference(&translated).collect();
            assert!(missing.is_empty(), "{lang}/{file} lacks {missing:?}");
        }
        let words = keys(lang);
        let missing: Vec<&String> = codes
            .iter()
            .filter(|code| !words.contains(&format!("error-{code}")))
            .collect();
        assert!(missing.is_empty(), "{lang}: no words for {missing:?}");
    }
    // The Vietnamese chrome is Vietnamese, not English copied.
    let vi = lindung::http::i18n::Tr::among("vi", lindung::policy::LANGUAGES);
    let en = lindung::http::i18n::Tr::new("en");
    for key in ["nav-policy", "logout", "language-set"] {
        assert_ne!(vi.t(key), en.t(key), "{key} is translated into Vietnamese");
    }
}
