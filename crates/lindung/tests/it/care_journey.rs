//! Care through its pages alone, in Thai on a 360-pixel phone screen in headless Chromium: a
//! case worker's day from registration to closure with the supervisor's approvals (one return
//! with a reason); a referral from one organisation to another through the referral inbox; a
//! consent withdrawn from the case page; a refused form that keeps what was typed. No API call:
//! users come from the store, everything else from the pages. After every page the test checks
//! that it fits the screen and shows no raw key, value or machine time.

use lindung::access::Role;
use serde_json::{Value, json};

use crate::support;
use crate::support::browser::{self, Driver, assert_readable};
use crate::support::server::Server;

pub(crate) const PASSPHRASE: &str = "a long enough passphrase";

/// A phone-sized browser on the server, and the address to use for it.
pub(crate) fn phone(server: &Server) -> (Driver, String) {
    let driver = Driver::start();
    driver.call(
        "POST",
        "/window/rect",
        Some(&json!({"width": 360, "height": 740})),
    );
    crate::support::browser::assert_phone_width(&driver);
    // Chromium keeps Secure cookies on plain HTTP only for `localhost`, a secure context.
    (driver, server.base.replace("127.0.0.1", "localhost"))
}

/// Logs in; the first time, chooses Thai from the language menu (the choice is the user's).
pub(crate) fn login(driver: &Driver, base: &str, email: &str) {
    driver.go(&format!("{base}/login"));
    driver.type_into("#email", email);
    driver.type_into("#password", PASSPHRASE);
    driver.click("main button[type=submit]");
    if driver.script("return document.documentElement.lang;") != json!("th") {
        choose(driver, "ui-language", "th");
        driver.click("form[action='/account/language'] button");
    }
}

pub(crate) fn logout(driver: &Driver) {
    driver.click("form[action='/logout'] button");
}

/// Picks an option of a list on the page, as a person would by tapping it.
pub(crate) fn choose(driver: &Driver, id: &str, value: &str) {
    let set = driver.script(&format!(
        "const e = document.getElementById('{id}'); \
         if (!e || ![...e.options].some(o => o.value === '{value}')) return false; \
         e.value = '{value}'; return true;"
    ));
    assert_eq!(set, Value::Bool(true), "no option {value} in #{id}");
}

pub(crate) fn text_of(driver: &Driver, css: &str) -> String {
    driver
        .script(&format!(
            "const e = document.querySelector(\"{css}\"); return e ? e.innerText : '';"
        ))
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn notice(driver: &Driver) -> String {
    text_of(driver, ".notice[role=status]")
}

pub(crate) fn attribute(driver: &Driver, css: &str, name: &str) -> Value {
    driver.script(&format!(
        "const e = document.querySelector(\"{css}\"); return e ? e.getAttribute('{name}') : null;"
    ))
}

pub(crate) fn absent(driver: &Driver, css: &str) -> bool {
    driver.script(&format!(
        "return document.querySelector(\"{css}\") === null;"
    )) == Value::Bool(true)
}

pub(crate) fn value_of(driver: &Driver, css: &str) -> Value {
    driver.script(&format!(
        "const e = document.querySelector(\"{css}\"); return e ? e.value : null;"
    ))
}

/// The HTTP status a request gets when sent with this browser's session and the page's CSRF
/// token: what a person who crafted the request would get. (The pages' content security policy
/// lets no script on them make a request, so the test sends it itself.)
pub(crate) fn status_of(server: &Server, driver: &Driver, method: &str, path: &str) -> u16 {
    let cookie = driver
        .call("GET", "/cookie", None)
        .as_array()
        .map(|all| {
            all.iter()
                .map(|c| {
                    format!(
                        "{}={}",
                        c["name"].as_str().unwrap_or_default(),
                        c["value"].as_str().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let csrf = driver
        .script("const c = document.querySelector('input[name=csrf]'); return c ? c.value : '';")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let body = format!("csrf={}&reason=no", support::urlencode(&csrf));
    server
        .raw(
            method,
            path,
            &[
                ("Cookie", cookie.as_str()),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        )
        .0
}

/// Moves the case to `to` from the case page; `reason` for closing.
pub(crate) fn move_to(driver: &Driver, to: &str, reason: Option<&str>) {
    choose(driver, "to", to);
    if let Some(reason) = reason {
        choose(driver, "reason", reason);
    }
    driver.click("#stage-move");
}

pub(crate) fn stage(driver: &Driver) -> String {
    text_of(driver, "#stage")
}

/// Registers a case from the pages and returns its page's address.
pub(crate) fn register(driver: &Driver, base: &str, allowed: &[&str]) -> String {
    driver.go(&format!("{base}/care"));
    driver.click("a[href='/care/new']");
    assert_readable(driver, "the registration form", allowed);
    driver.type_into("#name", "Nok Testchild");
    driver.type_into("#age_estimate", "12");
    driver.type_into("#language", "Thai");
    driver.type_into("#location", "Khon Kaen");
    driver.click("#register");
    assert_eq!(notice(driver), "ลงทะเบียนกรณีแล้ว", "{}", driver.source());
    assert_readable(driver, "the new case", allowed);
    driver
        .url()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn consent(driver: &Driver, purpose: &str, allowed: &[&str]) {
    choose(driver, "purpose", purpose);
    choose(driver, "given_by", "guardian");
    driver.click("#consent-add");
    assert_eq!(notice(driver), "บันทึกความยินยอมแล้ว");
    assert_readable(driver, "the case after a consent", allowed);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_case_workers_day_from_registration_to_closure_in_thai_on_a_phone() {
    if browser::missing("a_case_workers_day_from_registration_to_closure_in_thai_on_a_phone") {
        return;
    }
    let t = support::stores("care_journey").await.remove(0);
    support::user(
        &t.store,
        "worker@care.example",
        Role::CaseWorker,
        Some("Care A"),
    )
    .await;
    support::user(
        &t.store,
        "lead@care.example",
        Role::Supervisor,
        Some("Care A"),
    )
    .await;
    let server = Server::start(&t.location);
    let (driver, base) = phone(&server);
    let typed = [
        "Nok",
        "Testchild",
        "Khon",
        "Kaen",
        "Thai",
        "Shelter",
        "B",
        "Lives",
        "with",
        "her",
        "aunt",
        "Add",
        "the",
        "family",
        "assessment",
        "first",
    ];

    // The worker's list, then registration.
    login(&driver, &base, "worker@care.example");
    driver.go(&format!("{base}/care"));
    assert_readable(&driver, "the worker's case list", &typed);
    let case_url = register(&driver, &base, &typed);
    let case_path = case_url.trim_start_matches(&base).to_owned();
    assert!(
        text_of(&driver, "#child-name").contains("Nok Testchild"),
        "{}",
        driver.source()
    );
    driver.go(&format!("{base}/care"));
    assert!(
        driver
            .source()
            .contains(&format!("<a href=\"{case_path}\">")),
        "the worker's own case is listed"
    );
    assert!(
        text_of(&driver, "#mine").contains("กรณีของฉัน"),
        "their own cases come first, named as theirs"
    );
    driver.go(&case_url);

    // Consent, then the assessment stage and an assessment.
    consent(&driver, "services", &typed);
    assert!(text_of(&driver, "#consent-list").contains("การรับบริการ"));
    // A picture's hashes (synthetic) need the hash-sharing consent: refused without it, with
    // what was typed kept; linked once the guardian consents.
    let pdq = "f".repeat(64);
    driver.type_into("#pdq", &pdq);
    driver.type_into("#quality", "90");
    driver.click("#link-hashes");
    assert!(
        text_of(&driver, "#hashes-error").contains("แบ่งปันแฮช"),
        "{}",
        text_of(&driver, "#hashes-error")
    );
    assert_eq!(
        driver.script("return document.getElementById('pdq').value;"),
        serde_json::Value::String(pdq.clone())
    );
    assert_readable(&driver, "the refused hashes", &typed);
    consent(&driver, "hash_sharing", &typed);
    driver.type_into("#pdq", &pdq);
    driver.type_into("#quality", "90");
    driver.click("#link-hashes");
    assert!(
        notice(&driver).starts_with("เชื่อมแฮชของภาพแล้ว"),
        "{}",
        notice(&driver)
    );
    move_to(&driver, "assessment", None);
    assert_eq!(notice(&driver), "เลื่อนกรณีไปขั้นตอนถัดไปแล้ว");
    assert_eq!(stage(&driver), "ประเมิน");
    assert_readable(&driver, "the case at assessment", &typed);
    choose(&driver, "assess-form", "safety");
    driver.click("#assess");
    assert_readable(&driver, "the safety assessment form", &typed);
    choose(&driver, "q-safe_where_living", "yes");
    choose(&driver, "q-contact_with_offender", "no");
    driver.type_into("#q-safety_notes", "Lives with her aunt");
    driver.click("#assess-save");
    assert_eq!(notice(&driver), "บันทึกการประเมินแล้ว");
    let assessed = text_of(&driver, "#assessment-list");
    assert!(
        assessed.contains("ความปลอดภัย")
            && assessed.contains("เด็กปลอดภัยในที่อยู่ปัจจุบันหรือไม่: ใช่")
            && assessed.contains("Lives with her aunt")
            && assessed.contains("worker@care.example"),
        "{assessed}"
    );
    assert_readable(&driver, "the case with its assessment", &typed);

    // The plan: a service, then the request for approval.
    move_to(&driver, "case_plan", None);
    assert_eq!(stage(&driver), "แผนการช่วยเหลือ");
    choose(&driver, "service", "mental_health");
    driver.type_into("#provider", "Shelter B");
    driver.click("#plan-service");
    assert_eq!(notice(&driver), "วางแผนบริการแล้ว");
    assert!(text_of(&driver, "#service-list").contains("วางแผนแล้ว"));
    assert_readable(&driver, "the case with its plan", &typed);
    move_to(&driver, "service_delivery", None);
    assert_eq!(notice(&driver), "บันทึกคำขอแล้ว กำลังรอการอนุมัติจากหัวหน้างาน");
    assert_eq!(
        text_of(&driver, "#awaits"),
        "แผนการช่วยเหลือรอการอนุมัติจากหัวหน้างาน"
    );
    assert!(absent(&driver, "#approve"), "a worker does not approve");
    assert_readable(&driver, "the case waiting for approval", &typed);
    logout(&driver);

    // The supervisor finds it in the approval queue and returns it: first without a reason,
    // which the page refuses, then with one.
    login(&driver, &base, "lead@care.example");
    driver.go(&format!("{base}/care/approvals"));
    assert_readable(&driver, "the approval queue", &typed);
    assert!(
        text_of(&driver, "#waiting").contains("แผนการช่วยเหลือรอการอนุมัติ"),
        "{}",
        driver.source()
    );
    driver.click(&format!("#waiting a[href='{case_path}']"));
    assert_readable(&driver, "the case for the supervisor", &typed);
    driver.click("#return");
    assert_eq!(
        text_of(&driver, "#approval-error"),
        "โปรดระบุเหตุผลที่ส่งกลับ (ไม่เกิน 2,000 ตัวอักษร) เพื่อให้ผู้รับผิดชอบทราบว่าต้องแก้ไขอะไร"
    );
    assert_eq!(
        attribute(&driver, "#return_reason", "aria-invalid"),
        json!("true")
    );
    assert_eq!(stage(&driver), "แผนการช่วยเหลือ", "nothing was decided");
    assert_readable(&driver, "the refused return", &typed);
    driver.type_into("#return_reason", "Add the family assessment first");
    driver.click("#return");
    assert_eq!(notice(&driver), "ส่งกลับไปยังผู้รับผิดชอบพร้อมเหตุผลแล้ว");
    assert!(absent(&driver, "#awaits"), "nothing awaits now");
    assert_readable(&driver, "the returned case", &typed);
    logout(&driver);

    // The worker reads why, and asks again.
    login(&driver, &base, "worker@care.example");
    driver.go(&case_url);
    let notes = text_of(&driver, "#note-list");
    assert!(
        notes.contains("หัวหน้างานส่งกลับ: Add the family assessment first")
            && notes.contains("lead@care.example"),
        "{notes}"
    );
    assert_readable(&driver, "the returned case for the worker", &typed);
    move_to(&driver, "service_delivery", None);
    assert!(text_of(&driver, "#awaits").contains("รอการอนุมัติ"));
    logout(&driver);

    // The supervisor approves the plan from the queue.
    login(&driver, &base, "lead@care.example");
    driver.go(&format!("{base}/care/approvals"));
    driver.click(&format!("#waiting a[href='{case_path}']"));
    driver.click("#approve");
    assert_eq!(notice(&driver), "อนุมัติแล้ว");
    assert_eq!(stage(&driver), "ให้บริการ");
    assert_readable(&driver, "the approved plan", &typed);
    logout(&driver);

    // The worker marks the service delivered and asks to close.
    login(&driver, &base, "worker@care.example");
    driver.go(&case_url);
    let status_id = driver
        .script("return document.querySelector('#service-list select').id;")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    choose(&driver, &status_id, "delivered");
    driver.click(&format!(
        "#update-{}",
        status_id.trim_start_matches("status-")
    ));
    assert_eq!(notice(&driver), "ปรับปรุงบริการแล้ว");
    assert!(text_of(&driver, "#service-list").contains("ให้บริการแล้ว"));
    assert_readable(&driver, "the delivered service", &typed);
    move_to(&driver, "follow_up", None);
    assert_eq!(stage(&driver), "ติดตามผล");
    move_to(&driver, "closure", Some("goals_met"));
    assert_eq!(text_of(&driver, "#awaits"), "การปิดกรณีรอการอนุมัติจากหัวหน้างาน");
    assert_readable(&driver, "the closure waiting for approval", &typed);
    logout(&driver);

    // The supervisor approves the closure; the queue is empty again.
    login(&driver, &base, "lead@care.example");
    driver.go(&format!("{base}/care/approvals"));
    assert!(text_of(&driver, "#waiting").contains("การปิดกรณีรอการอนุมัติ"));
    driver.click(&format!("#waiting a[href='{case_path}']"));
    driver.click("#approve");
    assert_eq!(stage(&driver), "ปิดกรณี");
    assert_readable(&driver, "the closed case", &typed);
    driver.go(&format!("{base}/care/approvals"));
    assert_eq!(text_of(&driver, "#waiting"), "ไม่มีเรื่องที่รอการอนุมัติ");

    // The printout for the child or guardian: words and local times, nothing raw.
    driver.go(&format!("{base}{case_path}/export"));
    assert_readable(&driver, "the printout", &typed);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_form_keeps_what_was_typed_and_marks_the_field_in_thai() {
    if browser::missing("a_refused_form_keeps_what_was_typed_and_marks_the_field_in_thai") {
        return;
    }
    let t = support::stores("care_form_errors").await.remove(0);
    support::user(
        &t.store,
        "ann@care-a.example",
        Role::CaseWorker,
        Some("Care A"),
    )
    .await;
    let server = Server::start(&t.location);
    let (driver, base) = phone(&server);
    let typed = ["Nok", "Testchild", "Khon", "Kaen", "Shelter", "B"];

    login(&driver, &base, "ann@care-a.example");
    driver.go(&format!("{base}/care/new"));
    driver.type_into("#name", "Nok Testchild");
    driver.type_into("#age_estimate", "สิบสอง");
    driver.type_into("#location", "Khon Kaen");
    choose(&driver, "risk_level", "high");
    driver.click("#register");
    let summary = text_of(&driver, "#error-summary");
    assert!(
        summary.contains("โปรดตรวจสอบข้อมูลที่กรอก") && summary.contains("อายุต้องเป็นจำนวนปี"),
        "{summary}"
    );
    assert_eq!(
        attribute(&driver, "#age_estimate", "aria-invalid"),
        json!("true")
    );
    assert_eq!(attribute(&driver, "#name", "aria-invalid"), Value::Null);
    assert_eq!(value_of(&driver, "#name"), json!("Nok Testchild"));
    assert_eq!(value_of(&driver, "#age_estimate"), json!("สิบสอง"));
    assert_eq!(value_of(&driver, "#location"), json!("Khon Kaen"));
    assert_eq!(value_of(&driver, "#risk_level"), json!("high"));
    let page = driver.source();
    assert!(
        !page.contains("number of years") && !page.contains("age_estimate:"),
        "no developer's words"
    );
    assert_readable(
        &driver,
        "the refused registration",
        &["สิบสอง", "Nok", "Testchild", "Khon", "Kaen"],
    );

    // On the case page too: a service without its provider.
    driver.script("document.getElementById('age_estimate').value = '12'; return true;");
    driver.click("#register");
    assert_eq!(notice(&driver), "ลงทะเบียนกรณีแล้ว");
    choose(&driver, "service", "education");
    driver.click("#plan-service");
    assert_eq!(
        text_of(&driver, "#plan-error"),
        "โปรดระบุผู้ให้บริการ (ไม่เกิน 200 ตัวอักษร)"
    );
    assert_eq!(
        attribute(&driver, "#provider", "aria-invalid"),
        json!("true")
    );
    assert_eq!(value_of(&driver, "#service"), json!("education"));
    assert_readable(&driver, "the refused service", &typed);
}
