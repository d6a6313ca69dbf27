//! A headless Chromium driven through ChromeDriver's WebDriver API over plain HTTP.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
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

/// Whether the browser tests cannot run, in which case `test` is skipped and says so.
pub fn missing(test: &str) -> bool {
    let missing =
        !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists();
    if missing {
        super::skip(&format!(
            "SKIPPED {test}: {CHROMIUM} or {CHROMEDRIVER} is missing (scripts/test installs Debian's chromium and chromium-driver)"
        ));
    }
    missing
}

/// Whether the page fits the viewport without scrolling sideways.
pub fn fits(driver: &Driver) -> bool {
    driver.script("return document.documentElement.scrollWidth <= window.innerWidth;")
        == Value::Bool(true)
}

/// Starts ChromeDriver on a free port. The port is found by binding port 0 and letting it go, so
/// another test in this process may take it first: ChromeDriver then exits, or something else
/// answers there, and a fresh port is tried.
fn start_chromedriver() -> (u16, Child) {
    let start = Instant::now();
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        while TcpStream::connect(("127.0.0.1", port)).is_err()
            && matches!(process.try_wait(), Ok(None))
        {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        if matches!(process.try_wait(), Ok(None)) && is_chromedriver(port) {
            return (port, process);
        }
        let _ = process.kill();
        let _ = process.wait();
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
    }
}

/// Whether ChromeDriver is what answers on `port`.
fn is_chromedriver(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request =
        format!("GET /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
        if String::from_utf8_lossy(&seen).contains("ChromeDriver ready") {
            return true;
        }
    }
    false
}

pub struct Driver {
    port: u16,
    session: String,
    process: Child,
    _profile: tempfile::TempDir,
}

impl Driver {
    pub fn start() -> Driver {
        let (port, process) = start_chromedriver();
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-first-run",
                         format!("--user-data-dir={}", profile.path().display())]
            },
            // Every network request, for tests that prove what a page sends.
            "goog:loggingPrefs": {"performance": "ALL", "browser": "ALL"}
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

    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
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

    pub fn go(&self, url: &str) {
        self.call("POST", "/url", Some(&json!({"url": url})));
    }

    pub fn find(&self, css: &str) -> String {
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

    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(&json!({"text": text})),
        );
    }

    /// Clicks a submit button and waits until the next page has replaced this one.
    pub fn click(&self, css: &str) {
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

    pub fn script(&self, source: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(&json!({"script": source, "args": []})),
        )
    }

    pub fn source(&self) -> String {
        self.call("GET", "/source", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Driver {
    /// Chromium's DevTools events since the last call (`Network.*` among them).
    pub fn performance_log(&self) -> Vec<Value> {
        let entries = self.call("POST", "/se/log", Some(&json!({"type": "performance"})));
        entries
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|e| e["message"].as_str())
                    .filter_map(|m| serde_json::from_str::<Value>(m).ok())
                    .map(|m| m["message"].clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Clicks an element without waiting for a new page (for script-driven pages).
    pub fn press(&self, css: &str) {
        let id = self.find(css);
        self.call("POST", &format!("/element/{id}/click"), Some(&json!({})));
    }

    /// Waits until `condition` (a script returning a boolean) holds.
    pub fn wait_for(&self, condition: &str, what: &str) {
        let start = Instant::now();
        while self.script(condition) != Value::Bool(true) {
            if start.elapsed() > Duration::from_secs(120) {
                let body = self.script("return document.body.innerHTML;");
                let console = self.call("POST", "/se/log", Some(&json!({"type": "browser"})));
                panic!("timed out waiting for {what}\npage: {body}\nconsole: {console}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
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

/// Every message key of the English locale files: none may ever show on a page.
fn message_keys() -> Vec<String> {
    let dir = super::files::repo().join("crates/lindung/locales/en");
    let mut keys = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("locales/en") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("ftl");
        keys.extend(text.lines().filter_map(|line| {
            let (key, _) = line.split_once(" =")?;
            (!key.starts_with(' ') && !key.starts_with('#')).then(|| key.trim().to_owned())
        }));
    }
    keys
}

/// What a person must never read on a page: a message key, a raw value of a closed vocabulary
/// (`infant_toddler`, `not_illegal`), an internal reference (`user:3`) or a machine timestamp
/// (`2026-11-30T16:52:00.123456Z`). `allowed` lists words the test itself typed (a bank named
/// `school_photos`).
pub fn raw_words(text: &str, allowed: &[&str]) -> Vec<String> {
    let keys = message_keys();
    let mut found = Vec::new();
    if text.contains("Unknown localization key") {
        found.push("Unknown localization key".to_owned());
    }
    let token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.');
    for token in text.split(|c: char| !token_char(c)) {
        let token = token.trim_matches(|c: char| matches!(c, '.' | ':' | '-'));
        if token.is_empty() || allowed.contains(&token) {
            continue;
        }
        let snake = token.contains('_')
            && token
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit());
        let reference = token.split_once(':').is_some_and(|(kind, id)| {
            kind.chars().all(|c| c.is_ascii_lowercase())
                && !kind.is_empty()
                && id.parse::<u64>().is_ok()
        });
        let bytes = token.as_bytes();
        let timestamp = bytes.len() >= 13
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes[10] == b'T'
            && bytes[..4].iter().all(u8::is_ascii_digit);
        // `2026-11-30`: a machine date (pages write 30/11/2026), with or without a time.
        let machine_date = bytes.len() >= 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes[..4].iter().all(u8::is_ascii_digit)
            && bytes[5..7].iter().all(u8::is_ascii_digit);
        let key = token.contains('-') && keys.iter().any(|k| k == token);
        if snake || reference || timestamp || machine_date || key {
            found.push(token.to_owned());
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Asserts that the page now shown fits the screen without scrolling sideways and shows no raw
/// value or key (see [`raw_words`]), with every folded part (`<details>`: the header's menu,
/// the report page's forms) opened first, so that nothing folded escapes the check. The screen
/// must really be as narrow as the test set it (Chromium keeps a minimum window width).
pub fn assert_readable(driver: &Driver, what: &str, allowed: &[&str]) {
    let text = driver
        .script(
            "window.__folded = [...document.querySelectorAll('details:not([open])')]; \
             window.__folded.forEach(d => d.open = true); \
             return document.title + '\\n' + document.body.innerText;",
        )
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let raw = raw_words(&text, allowed);
    assert!(raw.is_empty(), "{what} shows {raw:?}:\n{text}");
    // Elements reaching past the right edge, except inside a box that scrolls on its own.
    let sticking_out = driver.script(
        "return [window.innerWidth, [...document.querySelectorAll('body *')].filter(e => \
           e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-scroll') \
           && getComputedStyle(e).position !== 'absolute' && e.getClientRects().length > 0) \
           .slice(0, 3).map(e => e.outerHTML.slice(0, 160))];",
    );
    // Folded again, as the person left them.
    driver.script("(window.__folded || []).forEach(d => d.open = false); return true;");
    assert!(
        fits(driver) && sticking_out[1].as_array().is_some_and(Vec::is_empty),
        "{what} does not fit the screen: {sticking_out}"
    );
}

/// Asserts the window is as wide as a phone's: 360 CSS pixels.
pub fn assert_phone_width(driver: &Driver) {
    assert_eq!(
        driver.script("return window.innerWidth;"),
        serde_json::json!(360),
        "the window is not 360 px wide"
    );
}

#[test]
fn raw_words_finds_keys_values_references_and_machine_times() {
    let text = "สถานะ: not_illegal · user:3 · 2026-11-30T16:52:00.123456Z · error-invalid · e-mail ok; 30/11/2569 23:52 · school_photos · 2026-11-29 16:52:00.1 +00:00:00";
    assert_eq!(
        raw_words(text, &["school_photos"]),
        vec![
            "2026-11-29".to_owned(),
            "2026-11-30T16:52:00.123456Z".to_owned(),
            "error-invalid".to_owned(),
            "not_illegal".to_owned(),
            "user:3".to_owned()
        ]
    );
}
