//! The main flow in a real headless Chromium, driven through ChromeDriver (WebDriver): set up
//! the first admin, log in, create a bank, upload an image to it, and see a variant of the image
//! match in the match tester. `scripts/test` installs Debian's chromium and chromium-driver.

use crate::support::browser::{self, Driver};
use crate::support::server::Server;
use crate::support::{self, testdata};

/// A picture of `testdata/pdq/data/bridge-mods`, as a path for a file input.
fn bridge_mod(name: &str) -> String {
    testdata(&format!("pdq/data/bridge-mods/{name}"))
        .to_string_lossy()
        .into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn login_create_a_bank_upload_and_see_it_match() {
    if browser::missing("login_create_a_bank_upload_and_see_it_match") {
        return;
    }
    let stores = support::stores("browser").await;
    let t = &stores[0];
    let server = Server::start_capturing(&t.location);
    let setup = server
        .first_lines
        .iter()
        .find_map(|l| l.split_once(" at ").map(|(_, url)| url.to_owned()))
        .expect("setup link");
    let driver = Driver::start();

    // Chromium keeps Secure cookies on plain HTTP only for `localhost`, a secure context.
    let setup = setup.replace("127.0.0.1", "localhost");
    let base = server.base.replace("127.0.0.1", "localhost");
    driver.go(&setup);
    driver.type_into("#email", "admin@example.org");
    driver.type_into("#password", "a long enough passphrase");
    driver.click("button[type=submit]");
    assert!(
        driver.url().ends_with("/login"),
        "{}: {}",
        driver.url(),
        driver.source()
    );

    driver.type_into("#email", "admin@example.org");
    driver.type_into("#password", "a long enough passphrase");
    driver.click("main button[type=submit]");
    assert!(
        driver.url().ends_with("/admin"),
        "logged in, an admin lands on the overview: {}: {}",
        driver.url(),
        driver.source()
    );
    driver.go(&format!("{base}/banks"));
    let banks_page = driver.source();
    assert!(
        banks_page.len() < 100_000,
        "pages stay light: {} bytes",
        banks_page.len()
    );

    driver.type_into("#name", "BROWSER_BANK");
    driver.click("main form button[type=submit]");
    assert!(
        driver.url().ends_with("/banks/BROWSER_BANK"),
        "{}",
        driver.url()
    );

    driver.type_into("#photo", &bridge_mod("aaa-orig.jpg"));
    driver.click("form[action$='/upload'] button");
    assert!(
        driver.source().contains("Added to the bank"),
        "upload added"
    );

    driver.go(&format!("{base}/match"));
    driver.type_into("#photo", &bridge_mod("blur-a-lot.jpg"));
    driver.click("main form button[type=submit]");
    let results = driver.source();
    assert!(
        results.contains("class=\"match\""),
        "a match row: {results}"
    );
    assert!(results.contains("BROWSER_BANK"));
}
