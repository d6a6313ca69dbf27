//! The `lindung` program run as a real process, on its own or on a test store.

use std::io::Write;
use std::process::{Command, Stdio};

use lindung::store::StoreLocation;

/// `lindung ARGS` on the store of `location`.
pub fn lindung_command(location: &StoreLocation, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lindung"));
    command
        .args(args)
        .arg("--data-dir")
        .arg(&location.data_dir)
        .env_remove("LINDUNG_DATABASE_URL");
    if let Some(url) = &location.database_url {
        command.args(["--database-url", url]);
    }
    command
}

/// Runs `lindung ARGS` on the store of `location`; returns whether it succeeded, its stdout and
/// its stderr.
pub fn lindung_on(location: &StoreLocation, args: &[&str]) -> (bool, String, String) {
    let out = lindung_command(location, args)
        .output()
        .expect("run lindung");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `lindung ARGS` with `stdin` as its input; returns the exit code, stdout and stderr
/// (both must be UTF-8).
pub fn lindung_with_stdin(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lindung"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run lindung");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

/// Runs `lindung ARGS` with empty input; returns the exit code, stdout and stderr.
pub fn lindung(args: &[&str]) -> (i32, String, String) {
    lindung_with_stdin(args, "")
}

/// The lines of `--json` output, each parsed.
pub fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}
