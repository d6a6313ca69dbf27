//! A real `lindung serve` process on loopback, and a minimal HTTP/1.1 client for it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use lindung::store::StoreLocation;

pub struct Server {
    pub base: String,
    /// Lines the server printed after its address (such as the first-admin setup link).
    pub first_lines: Vec<String>,
    child: Child,
}

impl Server {
    pub fn start(location: &StoreLocation) -> Server {
        Self::start_capturing(location)
    }

    /// Starts the server and keeps the lines it prints at start-up.
    pub fn start_capturing(location: &StoreLocation) -> Server {
        Self::start_with_env(location, &[])
    }

    /// Starts the server with extra environment variables (say, a mail server).
    pub fn start_with_env(location: &StoreLocation, env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lindung"));
        command.envs(env.iter().copied());
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&location.data_dir)
            .env_remove("LINDUNG_DATABASE_URL")
            .env("LINDUNG_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(url) = &location.database_url {
            command.args(["--database-url", url]);
        }
        let mut child = command.spawn().expect("start lindung serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line).expect("read address line");
        let base = line
            .trim()
            .strip_prefix("lindung listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        // The setup line, if any, follows at once; read it without blocking on a server that
        // prints nothing more.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut first_lines = Vec::new();
        while let Ok(line) = rx.recv_timeout(std::time::Duration::from_millis(300)) {
            first_lines.push(line);
        }
        let server = Server {
            base,
            first_lines,
            child,
        };
        // Ready once the index has loaded.
        for _ in 0..200 {
            if server.request("GET", "/status", None, &[], b"").0 == 200 {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("server did not become ready");
    }

    /// Sends a request; returns the status, the response head and the body.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String, String) {
        let host = self.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).expect("connect");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).expect("write head");
        stream.write_all(body).expect("write body");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read response");
        let text = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status code");
        (status, head.to_owned(), body.to_owned())
    }

    /// Sends a request; returns the status and body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let host = self.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).expect("connect");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(token) = token {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).expect("write head");
        stream.write_all(body).expect("write body");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read response");
        let text = String::from_utf8_lossy(&response).into_owned();
        let status: u16 = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status code");
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        // Bodies of our JSON responses have a content length; chunked ones are not expected.
        (status, body.to_owned())
    }

    pub fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let (status, text) = self.request(
            method,
            path,
            token,
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        );
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        let (status, text) = self.request("GET", path, token, &[], b"");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    /// Posts a form (`application/x-www-form-urlencoded`) without credentials; returns the
    /// status and body.
    pub fn form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", super::urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.request(
            "POST",
            path,
            None,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    }

    /// A multipart upload with one file field named `photo`.
    pub fn upload(
        &self,
        path: &str,
        token: Option<&str>,
        bytes: &[u8],
    ) -> (u16, serde_json::Value) {
        self.upload_field(path, token, "photo", bytes)
    }

    /// A multipart upload with one file field named `field`.
    pub fn upload_field(
        &self,
        path: &str,
        token: Option<&str>,
        field: &str,
        bytes: &[u8],
    ) -> (u16, serde_json::Value) {
        let boundary = "lindungtestboundary7MA4YWxk";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"x.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let (status, text) = self.request(
            "POST",
            path,
            token,
            &[("Content-Type", &content_type)],
            &body,
        );
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }
}

impl Server {
    /// The server process's id (to read its memory from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server with SIGTERM (a graceful shutdown) and waits for it.
    pub fn terminate(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
