//! The main flow in a real headless Chromium, driven through ChromeDriver (WebDriver): set up
//! the first admin, log in, create a bank, upload an image to it, and see a variant of the image
//! match in the match tester. `scripts/test` installs Debian's chromium and chromium-driver.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::server::Server;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to chromedriver");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("write");
    // ChromeDriver keeps connections open, so read exactly Content-Length bytes.
    let mut response = Vec::new();
    let mut buf = [0u8; 8192];
    let (head_len, body_len) = loop {
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "chromedriver closed the connection");
        response.extend_from_slice(&buf[..n]);
        if let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (end + 4, length);
        }
    };
    while response.len() < head_len + body_len {
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "chromedriver closed the connection");
        response.extend_from_slice(&buf[..n]);
    }
    serde_json::from_slice(&response[head_len..head_len + body_len]).unwrap_or(Value::Null)
}

struct Driver {
    port: u16,
    session: String,
    process: Child,
    _profile: tempfile::TempDir,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-first-run",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let created = http(port, "POST", "/session", Some(&caps));
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Driver {
            port,
            session,
            process,
            _profile: profile,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let value = http(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        );
        assert!(
            value["value"]["error"].is_null(),
            "webdriver {path}: {value}"
        );
        value["value"].clone()
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(&json!({"url": url})));
    }

    fn find(&self, css: &str) -> String {
        let found = self.call(
            "POST",
            "/element",
            Some(&json!({"using": "css selector", "value": css})),
        );
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(&json!({"text": text})),
        );
    }

    /// Clicks a submit button and waits until the next page has replaced this one.
    fn click(&self, css: &str) {
        let id = self.find(css);
        self.script("window.__lindungOld = true; return true;");
        self.call("POST", &format!("/element/{id}/click"), Some(&json!({})));
        let start = Instant::now();
        loop {
            let replaced = self.script(
                "return document.readyState === 'complete' && window.__lindungOld === undefined;",
            );
            if replaced == Value::Bool(true) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no new page after clicking {css}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn script(&self, source: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(&json!({"script": source, "args": []})),
        )
    }

    fn source(&self) -> String {
        self.call("GET", "/source", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn url(&self) -> String {
        self.call("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = http(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn testdata(name: &str) -> String {
    std::fs::canonicalize(format!(
        "{}/../../testdata/pdq/data/bridge-mods/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("test image")
    .to_string_lossy()
    .into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn login_create_a_bank_upload_and_see_it_match() {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED browser test: {CHROMIUM} or {CHROMEDRIVER} is missing (scripts/test installs Debian's chromium and chromium-driver)"
        );
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
        driver.url().ends_with("/banks"),
        "logged in: {}: {}",
        driver.url(),
        driver.source()
    );
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

    driver.type_into("#photo", &testdata("aaa-orig.jpg"));
    driver.click("form[action$='/upload'] button");
    assert!(
        driver.source().contains("Added to the bank"),
        "upload added"
    );

    driver.go(&format!("{base}/match"));
    driver.type_into("#photo", &testdata("blur-a-lot.jpg"));
    driver.click("main form button[type=submit]");
    let results = driver.source();
    assert!(
        results.contains("class=\"match\""),
        "a match row: {results}"
    );
    assert!(results.contains("BROWSER_BANK"));
}
