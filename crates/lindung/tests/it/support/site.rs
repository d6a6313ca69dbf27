//! A loopback web site standing in for a hosting provider: each path serves fixed bytes until
//! the test takes it down, after which it answers 404. It keeps a log of the requests it got
//! (path and user agent), as a host could.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct Site {
    pub base: String,
    pages: Arc<Mutex<HashMap<String, Option<Vec<u8>>>>>,
    log: Arc<Mutex<Vec<Request>>>,
}

/// One request the site received.
#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    /// The `User-Agent` header, empty when there was none.
    pub user_agent: String,
}

impl Site {
    pub fn start() -> Site {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let pages: Arc<Mutex<HashMap<String, Option<Vec<u8>>>>> = Arc::default();
        let served = Arc::clone(&pages);
        let log: Arc<Mutex<Vec<Request>>> = Arc::default();
        let logged = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut writer = match stream.try_clone() {
                    Ok(w) => w,
                    Err(_) => continue,
                };
                let mut reader = BufReader::new(stream);
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    continue;
                }
                let mut line = String::new();
                let mut user_agent = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 2 {
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("user-agent")
                    {
                        user_agent = value.trim().to_owned();
                    }
                    line.clear();
                }
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                logged.lock().expect("lock").push(Request {
                    path: path.clone(),
                    user_agent,
                });
                let body = served.lock().expect("lock").get(&path).cloned().flatten();
                let response = match body {
                    Some(bytes) => {
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            bytes.len()
                        )
                        .into_bytes();
                        r.extend_from_slice(&bytes);
                        r
                    }
                    None => {
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_vec()
                    }
                };
                let _ = writer.write_all(&response);
            }
        });
        Site { base, pages, log }
    }

    pub fn serve(&self, path: &str, bytes: Vec<u8>) {
        self.pages
            .lock()
            .expect("lock")
            .insert(path.to_owned(), Some(bytes));
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().expect("lock").clone()
    }

    /// The port the site listens on.
    pub fn port(&self) -> u16 {
        self.base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port")
    }

    pub fn take_down(&self, path: &str) {
        self.pages
            .lock()
            .expect("lock")
            .insert(path.to_owned(), None);
    }
}
