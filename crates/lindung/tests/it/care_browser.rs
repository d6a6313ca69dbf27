//! A case worker on a 360-pixel-wide phone screen in headless Chromium: log in, register a
//! case, plan its first service, see it on the case page in Thai, and move the case to its plan;
//! then the supervisor approves the plan from the case page. The pages carry no script, so they
//! work without JavaScript.

use lindung::access::audit::Actor;
use lindung::access::{self, Role};
use serde_json::json;

use crate::support;
use crate::support::browser::{self, Driver, fits};
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
