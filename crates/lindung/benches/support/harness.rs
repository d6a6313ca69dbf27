//! What the load bench and the soak share: random PDQ hashes, a bank of them seeded straight
//! into the store, a real `lindung serve` process, and one keep-alive HTTP/1.1 connection.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use lindung::access::audit::Actor;
use lindung::access::{self, Principal, Role};
use lindung::banks::store::{self as banks, NewSignal, SignalType};
use lindung::store::{Store, StoreLocation};

/// `n` distinct-looking PDQ hashes (64 hex digits) from a small LCG: the same `seed` gives the
/// same list, so hits can be chosen from what was seeded and misses from another seed.
pub fn random_hashes(n: usize, seed: u64) -> Vec<String> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            let mut s = String::with_capacity(64);
            for _ in 0..4 {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push_str(&format!("{:016x}", state ^ (state >> 29)));
            }
            s
        })
        .collect()
}

/// Adds a platform user `email` (in its own organisation) with a bank `BENCH` holding
/// `hashes`, straight through the store as an import would; returns the user's API token.
pub async fn seed_bank(store: &Store, email: &str, hashes: &[String]) -> String {
    let actor = Actor::cli("bench");
    let user = access::add_user(
        store,
        &actor,
        email,
        Role::Platform,
        None,
        "a long enough passphrase",
    )
    .await
    .expect("user");
    let principal = Principal {
        user_id: user.id,
        organisation_id: user.organisation_id,
        email: user.email.clone(),
        role: Role::Platform,
        language: None,
    };
    banks::create_bank(
        store,
        &actor,
        &principal,
        "BENCH",
        None,
        true,
        banks::BankSharing::Private,
    )
    .await
    .expect("bank");
    let signals: Vec<(NewSignal, String)> = hashes
        .iter()
        .map(|h| {
            (
                NewSignal::new(SignalType::Pdq, h, None).expect("hash"),
                String::new(),
            )
        })
        .collect();
    let t = Instant::now();
    banks::import_signals(
        store,
        &actor,
        &principal,
        "BENCH",
        "bench",
        &signals,
        |_| {},
    )
    .await
    .expect("import");
    eprintln!(
        "imported {} hashes in {:.1} s",
        hashes.len(),
        t.elapsed().as_secs_f64()
    );
    access::create_token(store, &actor, email, "bench")
        .await
        .expect("token")
}

/// A response: its status and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// One keep-alive HTTP/1.1 connection.
#[derive(Debug)]
pub struct Connection {
    reader: BufReader<TcpStream>,
    host: String,
}

fn broken(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

impl Connection {
    pub fn open(host: &str) -> io::Result<Connection> {
        let stream = TcpStream::connect(host)?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            reader: BufReader::new(stream),
            host: host.to_owned(),
        })
    }

    /// Sends `head` (with `{host}` filled in; it ends with the blank line) and `body`, and
    /// reads the whole response, sized or chunked.
    pub fn send(&mut self, head: &str, body: &[u8]) -> io::Result<Response> {
        let stream = self.reader.get_mut();
        let mut request = head.replace("{host}", &self.host).into_bytes();
        request.extend_from_slice(body);
        stream.write_all(&request)?;
        let mut status_line = String::new();
        if self.reader.read_line(&mut status_line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| broken("no status line"))?;
        let mut length = 0usize;
        let mut chunked = false;
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(broken("the response head ended early"));
            }
            if line == "\r\n" {
                break;
            }
            let line = line.to_ascii_lowercase();
            if let Some(v) = line.strip_prefix("content-length:") {
                length = v.trim().parse().map_err(|_| broken("content-length"))?;
            } else if let Some(v) = line.strip_prefix("transfer-encoding:") {
                chunked = v.contains("chunked");
            }
        }
        let body = if chunked {
            self.read_chunks()?
        } else {
            let mut body = vec![0u8; length];
            self.reader.read_exact(&mut body)?;
            body
        };
        Ok(Response { status, body })
    }

    fn read_chunks(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            self.reader.read_line(&mut size)?;
            let size = size.trim().split(';').next().unwrap_or_default();
            let size = usize::from_str_radix(size, 16).map_err(|_| broken("chunk size"))?;
            let start = body.len();
            body.resize(start + size, 0);
            self.reader.read_exact(&mut body[start..])?;
            let mut end = String::new();
            self.reader.read_line(&mut end)?;
            if size == 0 {
                return Ok(body);
            }
        }
    }
}

/// A running `lindung serve`, killed on drop.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// Seconds from spawn to a ready index (`/status` answering 200).
    pub ready_s: f64,
}

impl ServerProcess {
    /// Starts `lindung serve` on `location` with `env` added, its log (stderr) written to
    /// `log` if given, and waits until its index is ready.
    pub fn start(location: &StoreLocation, env: &[(&str, &str)], log: Option<&Path>) -> Self {
        let start = Instant::now();
        let mut command = Command::new(env!("CARGO_BIN_EXE_lindung"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&location.data_dir)
            .env_remove("LINDUNG_DATABASE_URL")
            .env("LINDUNG_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped());
        if let Some(url) = &location.database_url {
            command.args(["--database-url", url]);
        }
        match log {
            Some(path) => command.stderr(std::fs::File::create(path).expect("server log")),
            None => command.stderr(Stdio::null()),
        };
        let mut child = command.spawn().expect("serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("address");
        let host = line
            .trim()
            .trim_start_matches("lindung listening on http://")
            .to_owned();
        let mut server = ServerProcess {
            child,
            host,
            ready_s: 0.0,
        };
        // A large bank takes a while to load; a server that exits instead is a failure.
        loop {
            if let Some(status) = server.exited() {
                panic!("lindung serve exited before it was ready: {status}");
            }
            let ready = Connection::open(&server.host)
                .and_then(|mut c| c.send("GET /status HTTP/1.1\r\nHost: {host}\r\n\r\n", b""))
                .is_ok_and(|r| r.status == 200);
            if ready {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        server.ready_s = start.elapsed().as_secs_f64();
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, if the server has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The server's resident set size in KiB (`VmRSS` of /proc/PID/status; Linux only).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// SIGTERM, then wait: a graceful stop writes the matcher's snapshot.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `p` quantile (0..=1) of sorted microseconds, in milliseconds.
pub fn percentile_ms(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}
