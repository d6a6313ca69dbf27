//! A case worker on a 360-pixel-wide phone screen in headless Chromium: log in, register a
//! case, plan its first service, see it on the case page in Thai, and move the case to its plan;
//! then the supervisor approves the plan from the case page. The pages carry no script, so they
//! work without JavaScript. Then, in Thai through the pages alone: a referral from one
//! organisation to another through the referral inbox (and a third that sees nothing of it), a
//! consent withdrawn from the case page, and a supervisor who assigns and transfers a case.

use lindung::access::audit::Actor;
use lindung::access::{self, Role};
use serde_json::json;

use crate::care_journey::{
    absent, attribute, choose, consent, login, logout, notice, phone, register, status_of, text_of,
    value_of,
};
use crate::support;
use crate::support::browser::{self, Driver, assert_readable, fits};
use crate::support::server::Server;

#[tokio::test(flavor = "multi_thread")]
async fn registration_to_first_service_on_a_small_phone_without_javascript() {
    if browser::missing("registration_to_first_service_on_a_small_phone_without_javascript") {
        return;
    }
    let t = support::stores("care_browser").await.remove(0);
    access::add_user(
        &t.store,
        &Actor::cli("test"),
        "worker@care.example",
        Role::CaseWorker,
        Some("Care A"),
        "a long enough passphrase",
    )
    .await
    .expect("user");
    access::add_user(
        &t.store,
        &Actor::cli("test"),
        "supervisor@care.example",
        Role::Supervisor,
        Some("Care A"),
        "a long enough passphrase",
    )
    .await
    .expect("user");
    let server = Server::start(&t.location);
    let driver = Driver::start();
    driver.call(
        "POST",
        "/window/rect",
        Some(&json!({"width": 360, "height": 740})),
    );
    // Chromium keeps Secure cookies on plain HTTP only for `localhost`, a secure context.
    let base = server.base.replace("127.0.0.1", "localhost");

    driver.go(&format!("{base}/login"));
    driver.type_into("#email", "worker@care.example");
    driver.type_into("#password", "a long enough passphrase");
    driver.click("main button[type=submit]");
    assert!(driver.url().ends_with("/care"), "{}", driver.url());
    assert!(fits(&driver), "the case list fits a 360 px screen");

    driver.go(&format!("{base}/care/new"));
    let form = driver.source();
    assert!(!form.contains("<script"), "care pages need no JavaScript");
    // The form's language field and the header's language menu have ids of their own, so the
    // field's label names the field.
    assert_eq!(form.matches("id=\"language\"").count(), 1, "{form}");
    assert!(fits(&driver), "the registration form fits");
    driver.type_into("#name", "Nok Testchild");
    driver.type_into("#age_estimate", "12");
    driver.type_into("#location", "Khon Kaen");
    driver.click("#register");
    let case_url = driver.url();
    assert!(case_url.contains("/care/"), "{case_url}");
    let page = driver.source();
    assert!(
        page.contains("Nok Testchild"),
        "the assigned worker sees the child"
    );
    assert!(fits(&driver), "the case page fits");

    driver.script("document.getElementById('service').value = 'mental_health'; return true;");
    driver.type_into("#provider", "Shelter B");
    driver.click("#plan-service");
    let items = driver.script(
        "return Array.from(document.querySelectorAll('#service-list li')).map(li => li.textContent);",
    );
    let text = items.to_string();
    assert!(
        text.contains("mental health") && text.contains("Shelter B") && text.contains("planned"),
        "{text}"
    );

    // The same page in Thai, chosen from the language menu.
    driver.script("document.getElementById('ui-language').value = 'th'; return true;");
    driver.click("form[action='/account/language'] button");
    driver.go(&case_url);
    let thai = driver.source();
    assert!(
        thai.contains("วางแผนแล้ว") && thai.contains("บริการ"),
        "Thai text on the case page"
    );
    assert!(fits(&driver), "Thai text fits too");

    // The worker moves the case to its plan, which waits for the supervisor: the worker is
    // offered no approval.
    for to in ["assessment", "case_plan", "service_delivery"] {
        driver.script(&format!(
            "document.getElementById('to').value = '{to}'; return true;"
        ));
        driver.click("form[action$='/stage'] button");
    }
    let waiting = driver.source();
    assert!(waiting.contains("แผนการช่วยเหลือ"), "still at the plan");
    assert!(
        !waiting.contains("id=\"approval\""),
        "a worker does not approve"
    );
    driver.click("form[action='/logout'] button");

    // The supervisor approves it from the case page, on the phone.
    driver.go(&format!("{base}/login"));
    driver.type_into("#email", "supervisor@care.example");
    driver.type_into("#password", "a long enough passphrase");
    driver.click("main button[type=submit]");
    driver.go(&case_url);
    assert!(fits(&driver), "the case page with its approval fits");
    driver.click("#approve");
    let stage = driver.script("return document.getElementById('stage').textContent;");
    assert_eq!(stage, json!("service delivery"), "{}", driver.source());
    assert!(
        !driver.source().contains("id=\"approval\""),
        "nothing awaits approval any more"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_referral_reaches_the_other_organisations_inbox_and_only_theirs() {
    if browser::missing("a_referral_reaches_the_other_organisations_inbox_and_only_theirs") {
        return;
    }
    let t = support::stores("care_referral_inbox").await.remove(0);
    support::user(
        &t.store,
        "ann@care-a.example",
        Role::CaseWorker,
        Some("Care A"),
    )
    .await;
    support::user(
        &t.store,
        "ben@care-b.example",
        Role::CaseWorker,
        Some("Care B"),
    )
    .await;
    support::user(
        &t.store,
        "cat@care-c.example",
        Role::CaseWorker,
        Some("Care C"),
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
        "Care",
        "A",
        "B",
        "No",
        "place",
        "left",
    ];

    // Care A refers the case twice to Care B, from the case page.
    login(&driver, &base, "ann@care-a.example");
    let case_url = register(&driver, &base, &typed);
    let case_path = case_url.trim_start_matches(&base).to_owned();
    choose(&driver, "refer_service", "mental_health");
    driver.type_into("#refer_to_org", "Care B");
    driver.click("#refer");
    // Without the disclosure consent the page says so, and keeps what was typed.
    assert!(
        text_of(&driver, "#refer-error").contains("การเปิดเผยข้อมูลแก่หน่วยงานอื่น"),
        "{}",
        driver.source()
    );
    assert_eq!(value_of(&driver, "#refer_to_org"), json!("Care B"));
    assert_eq!(value_of(&driver, "#refer_service"), json!("mental_health"));
    assert_readable(&driver, "the refused referral", &typed);
    consent(&driver, "disclosure", &typed);
    for service in ["mental_health", "health"] {
        choose(&driver, "refer_service", service);
        driver.type_into("#refer_to_org", "Care B");
        driver.click("#refer");
        assert_eq!(notice(&driver), "ส่งต่อแล้ว");
    }
    let sent = text_of(&driver, "#referral-list");
    assert_eq!(sent.matches("รอการตอบรับ").count(), 2, "{sent}");
    assert_readable(&driver, "the case with its referrals", &typed);
    logout(&driver);

    // A third organisation sees nothing of it and cannot answer it.
    login(&driver, &base, "cat@care-c.example");
    driver.go(&format!("{base}/care/referrals"));
    assert_eq!(text_of(&driver, "#pending"), "ยังไม่มี");
    assert_readable(&driver, "another organisation's inbox", &typed);
    for id in 1..=2 {
        assert_eq!(
            status_of(
                &server,
                &driver,
                "POST",
                &format!("/care/referrals/{id}/accept")
            ),
            403
        );
    }
    assert_eq!(status_of(&server, &driver, "GET", &case_path), 403);
    logout(&driver);

    // Care B accepts one and rejects the other, which needs a reason.
    login(&driver, &base, "ben@care-b.example");
    driver.go(&format!("{base}/care/referrals"));
    assert_readable(&driver, "the receiving inbox", &typed);
    let pending = text_of(&driver, "#pending");
    assert!(
        pending.contains("การดูแลด้านสุขภาพจิตและจิตสังคม") || pending.contains("สุขภาพจิต"),
        "{pending}"
    );
    assert!(pending.contains("Care A"), "{pending}");
    let ids: Vec<String> = driver
        .script(
            "return [...document.querySelectorAll('#pending button[id^=accept-]')].map(b => b.id.slice(7));",
        )
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(ids.len(), 2, "{}", driver.source());
    let (rejected, accepted) = (&ids[0], &ids[1]);
    driver.click(&format!("#reject-{rejected}"));
    assert_eq!(
        text_of(&driver, "#error-summary p:last-child"),
        "โปรดระบุเหตุผล"
    );
    assert_eq!(
        attribute(&driver, &format!("#reason-{rejected}"), "aria-invalid"),
        json!("true")
    );
    assert_readable(&driver, "the refused rejection", &typed);
    driver.type_into(&format!("#reason-{rejected}"), "No place left");
    driver.click(&format!("#reject-{rejected}"));
    assert_eq!(notice(&driver), "ปฏิเสธการส่งต่อแล้ว องค์กรที่ส่งมาจะเห็นเหตุผลของคุณ");
    driver.click(&format!("#accept-{accepted}"));
    assert_eq!(notice(&driver), "ตอบรับการส่งต่อแล้ว");
    let answered = text_of(&driver, "#answered");
    assert!(
        answered.contains("ตอบรับแล้ว")
            && answered.contains("ปฏิเสธแล้ว")
            && answered.contains("No place left"),
        "{answered}"
    );
    assert_readable(&driver, "the answered inbox", &typed);
    // The accepted case is among the others the worker may see, after their own.
    driver.go(&format!("{base}/care"));
    assert!(
        text_of(&driver, "#shared-cases").contains("Care A"),
        "{}",
        driver.source()
    );
    driver.click(&format!("#shared-cases a[href='{case_path}']"));
    let shared = text_of(&driver, "#referral-list");
    assert!(
        shared.contains("อายุ: 12") && shared.contains("ภาษา: Thai"),
        "{shared}"
    );
    assert!(
        !driver.source().contains("Nok Testchild"),
        "the name was not shared"
    );
    assert_readable(&driver, "the shared case", &typed);
    logout(&driver);

    // Care A reads both answers on the case page.
    login(&driver, &base, "ann@care-a.example");
    driver.go(&case_url);
    let answers = text_of(&driver, "#referral-list");
    assert!(
        answers.contains("ตอบรับแล้ว")
            && answers.contains("ปฏิเสธแล้ว")
            && answers.contains("No place left"),
        "{answers}"
    );
    assert_readable(&driver, "the answered referrals", &typed);
    // The reason is shown to both organisations and kept sealed: it may say something of the
    // child.
    let stored = support::everything_stored(&t).await;
    assert!(!stored.is_empty());
    assert!(
        !support::contains(&stored, "No place left"),
        "a rejection's reason is stored in the clear"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consent_withdrawn_from_the_case_page_ends_what_it_allowed() {
    if browser::missing("a_consent_withdrawn_from_the_case_page_ends_what_it_allowed") {
        return;
    }
    let t = support::stores("care_withdrawal").await.remove(0);
    support::user(
        &t.store,
        "ann@care-a.example",
        Role::CaseWorker,
        Some("Care A"),
    )
    .await;
    support::user(
        &t.store,
        "ben@care-b.example",
        Role::CaseWorker,
        Some("Care B"),
    )
    .await;
    let server = Server::start(&t.location);
    let (driver, base) = phone(&server);
    let typed = ["Nok", "Testchild", "Khon", "Kaen", "Thai", "Care", "A", "B"];

    login(&driver, &base, "ann@care-a.example");
    let case_url = register(&driver, &base, &typed);
    let case_path = case_url.trim_start_matches(&base).to_owned();
    consent(&driver, "disclosure", &typed);
    choose(&driver, "refer_service", "justice");
    driver.type_into("#refer_to_org", "Care B");
    driver.click("#refer");
    assert_eq!(notice(&driver), "ส่งต่อแล้ว");
    logout(&driver);
    login(&driver, &base, "ben@care-b.example");
    driver.go(&format!("{base}/care/referrals"));
    driver.click("#pending button[id^=accept-]");
    assert_eq!(
        status_of(&server, &driver, "GET", &case_path),
        200,
        "B sees it"
    );
    logout(&driver);

    // The withdrawal: a danger button that says what ends with the consent.
    login(&driver, &base, "ann@care-a.example");
    driver.go(&case_url);
    assert_eq!(
        attribute(&driver, "#withdraw-disclosure", "class"),
        json!("danger")
    );
    assert!(text_of(&driver, "#consent-list").contains("องค์กรอื่นที่ได้รับการส่งต่อจะไม่เห็นกรณีนี้อีก"));
    driver.click("#withdraw-disclosure");
    assert_eq!(
        notice(&driver),
        "ถอนความยินยอมแล้ว สิ่งที่ความยินยอมนั้นอนุญาตได้สิ้นสุดลง"
    );
    assert_eq!(text_of(&driver, "#consent-list"), "ยังไม่มี");
    assert_readable(&driver, "the case after the withdrawal", &typed);
    // No new referral without it.
    choose(&driver, "refer_service", "health");
    driver.type_into("#refer_to_org", "Care B");
    driver.click("#refer");
    assert!(text_of(&driver, "#refer-error").contains("การเปิดเผยข้อมูลแก่หน่วยงานอื่น"));
    logout(&driver);

    // The other organisation no longer sees the case, nor the referral in its inbox.
    login(&driver, &base, "ben@care-b.example");
    driver.go(&format!("{base}/care/referrals"));
    assert_eq!(text_of(&driver, "#answered"), "ยังไม่มี");
    driver.go(&format!("{base}/care"));
    assert_eq!(text_of(&driver, "#shared-cases"), "ยังไม่มี");
    assert_eq!(status_of(&server, &driver, "GET", &case_path), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supervisor_assigns_and_transfers_and_the_worker_edits_a_note() {
    if browser::missing("a_supervisor_assigns_and_transfers_and_the_worker_edits_a_note") {
        return;
    }
    let t = support::stores("care_assign_transfer").await.remove(0);
    support::user(
        &t.store,
        "lead@care-a.example",
        Role::Supervisor,
        Some("Care A"),
    )
    .await;
    support::user(
        &t.store,
        "ann@care-a.example",
        Role::CaseWorker,
        Some("Care A"),
    )
    .await;
    support::user(
        &t.store,
        "ben@care-b.example",
        Role::CaseWorker,
        Some("Care B"),
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
        "Care",
        "B",
        "Met",
        "the",
        "family",
        "aunt",
    ];

    // A case the supervisor opens has no worker yet: it waits in the inbox to be assigned.
    login(&driver, &base, "lead@care-a.example");
    let case_url = register(&driver, &base, &typed);
    let case_path = case_url.trim_start_matches(&base).to_owned();
    driver.go(&format!("{base}/care/referrals"));
    assert!(
        driver
            .source()
            .contains(&format!("<a href=\"{case_path}\">")),
        "the unassigned case is listed for the supervisor"
    );
    assert_readable(&driver, "the supervisor's inbox", &typed);
    driver.click(&format!("#unassigned a[href='{case_path}']"));
    choose(&driver, "assign_email", "ann@care-a.example");
    driver.click("#assign");
    assert_eq!(notice(&driver), "มอบหมายผู้รับผิดชอบแล้ว");
    assert_readable(&driver, "the assigned case", &typed);
    driver.go(&format!("{base}/care/referrals"));
    assert_eq!(text_of(&driver, "#unassigned"), "ยังไม่มี");
    logout(&driver);

    // The worker finds it among their own cases, writes a note and corrects it.
    login(&driver, &base, "ann@care-a.example");
    driver.go(&format!("{base}/care"));
    driver.click(&format!("#my-cases a[href='{case_path}']"));
    driver.type_into("#body", "Met the family");
    driver.click("#note-add");
    assert_eq!(notice(&driver), "เพิ่มบันทึกแล้ว");
    driver.script("document.querySelector('#note-list details').open = true; return true;");
    let editor = driver
        .script("return document.querySelector('#note-list textarea').id;")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    driver.script(&format!(
        "document.getElementById('{editor}').value = ''; return true;"
    ));
    driver.type_into(&format!("#{editor}"), "Met the family and the aunt");
    driver.click(&format!(
        "#note-save-{}",
        editor.trim_start_matches("note-")
    ));
    assert_eq!(notice(&driver), "บันทึกการแก้ไขแล้ว");
    let notes = text_of(&driver, "#note-list");
    assert!(
        notes.contains("Met the family and the aunt")
            && notes.contains("แก้ไขเมื่อ")
            && notes.contains("ann@care-a.example"),
        "{notes}"
    );
    assert_readable(&driver, "the edited note", &typed);
    assert!(absent(&driver, "#transfer"), "a worker does not transfer");
    logout(&driver);

    // The supervisor transfers it: refused without the disclosure consent, then done.
    login(&driver, &base, "lead@care-a.example");
    driver.go(&case_url);
    driver.type_into("#transfer_to_org", "Care B");
    driver.click("#transfer");
    assert!(
        text_of(&driver, "#transfer-error").contains("การเปิดเผยข้อมูลแก่หน่วยงานอื่น"),
        "{}",
        driver.source()
    );
    assert_eq!(value_of(&driver, "#transfer_to_org"), json!("Care B"));
    assert_eq!(attribute(&driver, "#transfer", "class"), json!("danger"));
    assert_readable(&driver, "the refused transfer", &typed);
    consent(&driver, "disclosure", &typed);
    driver.type_into("#transfer_to_org", "Care B");
    driver.click("#transfer");
    assert_eq!(notice(&driver), "โอนกรณีแล้ว");
    assert!(
        !driver
            .source()
            .contains(&format!("<a href=\"{case_path}\">")),
        "the case left the organisation's list"
    );
    assert_readable(&driver, "the list after the transfer", &typed);
}
