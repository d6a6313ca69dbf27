//! An operator's journey through the admin pages on a 360-pixel phone in Thai (issue 16): the
//! first admin is set up through `/setup`, reads the overview, creates a bank and adds a hash,
//! adds users of several roles, creates a platform token, and reads the audit log: actors by
//! email, actions in words, many reads of one case as one row, filtered by actor and action,
//! paged. Pages alone: no API call. Every page fits the screen and shows no raw key or value.

use lindung::access::audit::{self, Actor, AuditEvent};
use serde_json::{Value, json};

use crate::accounts::id_of;
use crate::support;
use crate::support::browser::{self, Driver, assert_readable};
use crate::support::server::Server;

const ADMIN: &str = "admin@example.org";
const PASSWORD: &str = "a long enough passphrase";
/// A synthetic PDQ hash (random bits, no picture behind it).
const HASH: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
/// What a bank page may show besides words: the bank's name as typed, and the name of
/// python-threatexchange's hash-list format, which the import help names as that tool does.
const ON_BANK_PAGE: &[&str] = &["phone_bank", "local_file"];

fn text(driver: &Driver, css: &str) -> String {
    driver
        .script(&format!(
            "const e = document.querySelector({css:?}); return e ? e.innerText.trim() : '';"
        ))
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn value(driver: &Driver, css: &str) -> String {
    driver
        .script(&format!("return document.querySelector({css:?}).value;"))
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn invalid(driver: &Driver, css: &str) -> bool {
    driver.script(&format!(
        "return document.querySelector({css:?}).getAttribute('aria-invalid') === 'true';"
    )) == Value::Bool(true)
}

/// Chooses the option of a menu by the words it shows.
fn choose(driver: &Driver, css: &str, label: &str) {
    let found = driver.script(&format!(
        "const s = document.querySelector({css:?}); const o = [...s.options].find(o => o.text.trim() === {label:?}); if (!o) return [...s.options].map(o => o.text); s.value = o.value; return true;"
    ));
    assert_eq!(found, Value::Bool(true), "{css}: no option {label:?}");
}

/// The audit rows shown: (who, what, record, reads).
fn audit_rows(driver: &Driver) -> Vec<(String, String, String, String)> {
    let rows = driver.script(
        "return [...document.querySelectorAll('tr.audit-row')].map(r => [r.querySelector('.actor').innerText.trim(), r.querySelector('.action').childNodes[0].textContent.trim(), r.querySelector('.record').innerText.trim(), (r.querySelector('.reads') || {innerText: ''}).innerText.trim()]);",
    );
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let at = |i: usize| r[i].as_str().unwrap_or_default().to_owned();
            (at(0), at(1), at(2), at(3))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_runs_the_deployment_from_a_phone_in_thai() {
    if browser::missing("an_admin_runs_the_deployment_from_a_phone_in_thai") {
        return;
    }
    let t = support::stores("operator_journey").await.remove(0);
    let server = Server::start_capturing(&t.location);
    let setup = server
        .first_lines
        .iter()
        .find_map(|l| l.split_once(" at ").map(|(_, url)| url.to_owned()))
        .expect("setup link");
    // Chromium keeps Secure cookies on plain HTTP only for `localhost`, a secure context.
    let setup = setup.replace("127.0.0.1", "localhost");
    let base = server.base.replace("127.0.0.1", "localhost");
    let driver = Driver::start();
    driver.call(
        "POST",
        "/window/rect",
        Some(&json!({"width": 360, "height": 740})),
    );
    crate::support::browser::assert_phone_width(&driver);

    // The first admin, through the one-time setup page; then logging in.
    driver.go(&setup);
    assert_readable(&driver, "setup", &[]);
    driver.type_into("#email", ADMIN);
    driver.type_into("#password", PASSWORD);
    driver.click("button[type=submit]");
    driver.type_into("#email", ADMIN);
    driver.type_into("#password", PASSWORD);
    driver.click("main button[type=submit]");
    assert!(driver.url().ends_with("/admin"), "{}", driver.url());

    // Thai, from the language menu: back on the overview.
    driver.script("document.getElementById('ui-language').value = 'th'; return true;");
    driver.click("form[action='/account/language'] button");
    assert!(driver.url().ends_with("/admin"), "{}", driver.url());
    assert_readable(&driver, "the overview", &[]);
    assert_eq!(text(&driver, "h1"), "ภาพรวม");
    assert_eq!(text(&driver, "#count-users"), "1");
    assert_eq!(text(&driver, "#count-banks"), "0");
    // The chain is checked when the deployment's admin asks (it reads every entry).
    assert!(
        text(&driver, "#chain-verdict").contains("เมื่อคุณสั่ง"),
        "{}",
        text(&driver, "#chain-verdict")
    );
    let pages = driver.script(
        "return [...document.querySelectorAll('#admin-pages a')].map(a => a.getAttribute('href'));",
    );
    for page in ["/admin/users", "/admin/audit", "/banks"] {
        assert!(pages.to_string().contains(page), "{page}: {pages}");
    }
    // The navigation folds into one menu: the header stays within two lines.
    let header =
        driver.script("return document.querySelector('header').getBoundingClientRect().height;");
    assert!(
        header.as_f64().unwrap_or(999.0) < 110.0,
        "the header at 360 px: {header} px high"
    );

    // A bank, then a hash in it. A refused name keeps what was typed.
    driver.go(&format!("{base}/banks"));
    assert_readable(&driver, "banks", &[]);
    driver.type_into("#name", "phone_bank");
    driver.click("form[action='/banks'] button");
    assert!(
        driver.url().ends_with("/banks/phone_bank"),
        "{}",
        driver.url()
    );
    assert_readable(&driver, "the new bank", ON_BANK_PAGE);
    driver.go(&format!("{base}/banks"));
    driver.type_into("#name", "phone_bank");
    driver.click("form[action='/banks'] button");
    assert_readable(&driver, "a bank name taken", &["phone_bank"]);
    assert!(
        text(&driver, "#bank-error").contains("ชื่อนี้ถูกใช้แล้ว"),
        "{}",
        text(&driver, "#bank-error")
    );
    assert_eq!(value(&driver, "#name"), "phone_bank", "the name as typed");
    assert!(invalid(&driver, "#name"));

    driver.go(&format!("{base}/banks/phone_bank"));
    // Deleting the bank looks destructive, unlike saving its settings.
    assert_eq!(
        driver.script(
            "return [...document.querySelectorAll('main form button')].map(b => b.className + ':' + b.closest('form').getAttribute('action'));"
        )
        .as_array()
        .expect("buttons")
        .iter()
        .filter(|b| b.as_str().is_some_and(|b| b.starts_with("danger:")))
        .map(|b| b.as_str().unwrap_or_default().to_owned())
        .collect::<Vec<_>>(),
        vec!["danger:/banks/phone_bank/delete".to_owned()]
    );
    // The browser would refuse the wrong hash itself; the server must too.
    driver.script("document.getElementById('pdq').removeAttribute('pattern'); return true;");
    driver.type_into("#pdq", "not a hash");
    driver.type_into("#hash-note", "from the phone");
    driver.click("form[action$='/signals'] button");
    assert_readable(&driver, "a wrong hash", ON_BANK_PAGE);
    assert_eq!(value(&driver, "#pdq"), "not a hash", "the hash as typed");
    assert_eq!(value(&driver, "#hash-note"), "from the phone");
    assert!(invalid(&driver, "#pdq"));
    driver.script(&format!(
        "document.getElementById('pdq').value = '{HASH}'; return true;"
    ));
    driver.click("form[action$='/signals'] button");
    assert_readable(&driver, "the hash added", ON_BANK_PAGE);
    assert!(
        text(&driver, "main").contains("เพิ่มลงในคลังแฮชแล้ว") && driver.source().contains(HASH),
        "{}",
        text(&driver, "main")
    );

    // Users of several roles, their roles in words; an address taken says so.
    driver.go(&format!("{base}/admin/users"));
    assert_readable(&driver, "users", &[]);
    for (email, role) in [
        ("analyst@example.org", "นักวิเคราะห์สายด่วน"),
        ("worker@example.org", "เจ้าหน้าที่ดูแลกรณี"),
        ("platform@example.org", "แพลตฟอร์ม (ไคลเอนต์ API)"),
        ("police@example.org", "เจ้าหน้าที่บังคับใช้กฎหมาย"),
    ] {
        driver.type_into("#email", email);
        choose(&driver, "#role", role);
        driver.type_into("#password", PASSWORD);
        driver.click("#add-user-form button");
        assert_readable(&driver, "a user added", &[]);
        assert!(
            text(&driver, "main").contains(&format!("เพิ่ม {email} แล้ว")),
            "{email}: {}",
            text(&driver, "main")
        );
        let roles = text(&driver, "#users");
        assert!(roles.contains(role), "{role}: {roles}");
    }
    driver.type_into("#email", "analyst@example.org");
    choose(&driver, "#role", "นักวิจัย");
    driver.type_into("#org", "University");
    driver.type_into("#password", PASSWORD);
    driver.click("#add-user-form button");
    assert_readable(&driver, "an address taken", &[]);
    assert!(
        text(&driver, "#user-error").contains("อีเมลนี้มีบัญชีอยู่แล้ว"),
        "{}",
        text(&driver, "#user-error")
    );
    assert_eq!(value(&driver, "#email"), "analyst@example.org");
    assert_eq!(value(&driver, "#org"), "University");
    assert_eq!(value(&driver, "#role"), "researcher", "the role as chosen");
    assert!(invalid(&driver, "#email"));

    // A token for the platform account: its secret shown once.
    let field = driver
        .script(
            "return document.querySelector(\"form[action='/admin/tokens'] input[value='platform@example.org']\").form.querySelector('input[name=name]').id;",
        )
        .as_str()
        .expect("the platform's token form")
        .to_owned();
    driver.type_into(&format!("#{field}"), "feed_robot");
    driver.click(&format!("#{field} ~ button"));
    let secret = text(&driver, "#new-token");
    assert!(secret.len() > 40, "{secret}");
    assert_readable(&driver, "the new token", &[&secret, "feed_robot"]);

    // Meanwhile a case worker read one case 60 times (recorded as the care pages would).
    let worker = id_of(&t.store, "worker@example.org").await;
    let actor = Actor {
        user_id: Some(worker),
        label: format!("user:{worker}"),
        source: None,
    };
    for _ in 0..60 {
        audit::record(
            &t.store,
            &actor,
            AuditEvent::new("care.case.read", "care_case", "4".to_owned()),
        )
        .await
        .expect("audit");
    }

    // The audit log: people by email, actions in words, the 60 reads as one row per page.
    driver.go(&format!("{base}/admin/audit"));
    assert_readable(&driver, "the audit log", &[]);
    let rows = audit_rows(&driver);
    assert_eq!(
        rows,
        [(
            "worker@example.org".to_owned(),
            "อ่านกรณี".to_owned(),
            "กรณี 4".to_owned(),
            rows[0].3.clone()
        )],
        "the newest 50 entries are reads of one case: one row"
    );
    assert!(rows[0].3.starts_with("อ่าน 50 ครั้ง"), "{}", rows[0].3);
    assert!(text(&driver, "#audit-older").len() > 1);
    driver.click("#audit-older");
    assert_readable(&driver, "the audit log, older", &[]);
    let rows = audit_rows(&driver);
    assert!(rows[0].3.starts_with("อ่าน 10 ครั้ง"), "{rows:?}");
    assert!(
        rows.iter()
            .any(|(who, what, _, _)| who == ADMIN && what == "เข้าสู่ระบบ"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|(who, what, _, _)| who == "การตั้งค่าผู้ดูแลระบบคนแรก" && what == "เพิ่มผู้ใช้"),
        "{rows:?}"
    );
    driver.click("#audit-newer");
    assert!(text(&driver, "#audit-page").contains('1'));

    // Filtered by who and what.
    choose(&driver, "#f-actor", ADMIN);
    choose(&driver, "#f-action", "สร้างคลัง");
    driver.click("#audit-apply");
    assert_readable(&driver, "the audit log, filtered", &[]);
    let rows = audit_rows(&driver);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].0.as_str(), rows[0].1.as_str()), (ADMIN, "สร้างคลัง"));
    assert!(rows[0].2.starts_with("คลัง "), "{rows:?}");
    assert!(!driver.source().contains("id=\"audit-older\""));

    choose(&driver, "#f-actor", "worker@example.org");
    choose(&driver, "#f-action", "อ่านกรณี");
    driver.click("#audit-apply");
    let first = audit_rows(&driver);
    driver.click("#audit-older");
    let second = audit_rows(&driver);
    assert_eq!(first.len() + second.len(), 2, "{first:?} {second:?}");
    assert!(first[0].3.starts_with("อ่าน 50 ครั้ง") && second[0].3.starts_with("อ่าน 10 ครั้ง"));
    assert!(
        driver.url().contains("action=care.case.read"),
        "the filter stays: {}",
        driver.url()
    );

    // Filtered by record: the case's kind chosen, its number typed.
    driver.go(&format!("{base}/admin/audit"));
    choose(&driver, "#f-record-type", "กรณี");
    driver.type_into("#f-record-id", "4");
    driver.click("#audit-apply");
    assert_readable(&driver, "the audit log by record", &[]);
    let rows = audit_rows(&driver);
    assert!(
        !rows.is_empty() && rows.iter().all(|(_, _, record, _)| record == "กรณี 4"),
        "{rows:?}"
    );
    assert_eq!(value(&driver, "#f-record-id"), "4", "the filter as typed");
    drop(driver);
    server.terminate();
}

/// Every action the code records (`AuditEvent::new("…")`) has words on the audit page in every
/// staff language, so the log never shows a machine name.
#[test]
fn every_audited_action_has_a_label_in_every_staff_language() {
    let mut actions = std::collections::BTreeSet::new();
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
            let source = std::fs::read_to_string(&path).expect("read");
            for (at, _) in source.match_indices("AuditEvent::new(") {
                let rest = source[at + "AuditEvent::new(".len()..].trim_start();
                if let Some(quoted) = rest.strip_prefix('"')
                    && let Some(action) = quoted.split('"').next()
                {
                    actions.insert(action.to_owned());
                }
            }
        }
    }
    for known in [
        "session.login",
        "care.case.read",
        "bank.create",
        "token.create",
    ] {
        assert!(
            actions.contains(known),
            "the scan finds {known}: {actions:?}"
        );
    }
    // Actions passed in a variable, named where they are chosen.
    actions.extend(["user.disable", "user.enable", "hotline.export.cybertip"].map(String::from));
    for lang in ["en", "th"] {
        let tr = lindung::http::i18n::Tr::new(lang);
        let missing: Vec<&String> = actions
            .iter()
            .filter(|action| {
                tr.try_t(&format!("audit-action-{}", action.replace('.', "-")))
                    .is_none()
            })
            .collect();
        assert!(missing.is_empty(), "{lang}: no label for {missing:?}");
    }
    // Thai has its own words, not the English fallback.
    assert_eq!(
        lindung::http::i18n::Tr::new("th").t("audit-action-care-case-read"),
        "อ่านกรณี"
    );
}
