//! A private PostgreSQL cluster, for a test that stops and starts its server: the shared server
//! on 5432 serves every other test and must stay up. `initdb` into a temporary directory, trust
//! logins, listening on 127.0.0.1 and a free port only. `initdb` and `postgres` refuse to run as
//! root, so as root they run as the `postgres` user (which Debian's package creates), owning
//! the directory. Dropped, the cluster stops at once and its directory goes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct PgCluster {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    pub port: u16,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

/// The newest installed server's binaries (Debian keeps them under /usr/lib/postgresql/N/bin).
fn server_binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

impl PgCluster {
    /// Creates and starts a cluster; `None` (and a skip, which fails under
    /// `LINDUNG_NO_SKIPS`) when no PostgreSQL server binaries are installed.
    pub fn start(test: &str) -> Option<PgCluster> {
        let Some(bin) = server_binaries() else {
            super::skip(&format!(
                "SKIPPED {test}: no PostgreSQL server binaries under /usr/lib/postgresql \
                 (scripts/test installs Debian's postgresql)"
            ));
            return None;
        };
        let as_postgres = is_root();
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let log = dir.path().join("server.log");
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(
                status.success(),
                "chown the cluster's directory to postgres"
            );
        }
        let cluster = PgCluster {
            bin,
            data,
            log,
            port: free_port(),
            as_postgres,
            _dir: dir,
        };
        let out = cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data.to_string_lossy(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        assert!(out.status.success(), "initdb: {}", text(&out));
        cluster.start_server();
        Some(cluster)
    }

    /// A URL for `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start_server(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={}",
            self.port,
            self.data.display()
        );
        let out = self.pg_ctl(&[
            "start",
            "-w",
            "-t",
            "60",
            "-l",
            &path(&self.log),
            "-o",
            &options,
        ]);
        assert!(
            out.status.success(),
            "pg_ctl start: {}\n{}",
            text(&out),
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    /// Stops the server in immediate mode: every process quits at once, as in a crash; the next
    /// start recovers from the WAL.
    pub fn stop_immediately(&self) {
        let out = self.pg_ctl(&["stop", "-m", "immediate", "-w"]);
        assert!(out.status.success(), "pg_ctl stop: {}", text(&out));
    }

    fn pg_ctl(&self, args: &[&str]) -> Output {
        let mut all = vec!["-D", self.data.to_str().expect("UTF-8 path")];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all)
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command
            .args(args)
            // The server must not inherit the test harness's pipes: `pg_ctl start` returns, the
            // server lives on, and a captured output would never close.
            .stdin(std::process::Stdio::null())
            .current_dir("/")
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", program.display()))
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["stop", "-m", "immediate", "-w"]);
    }
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
