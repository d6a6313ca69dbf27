//! What the tests share: test stores on every backend, users with tokens, the `lindung`
//! program, a real server, a headless browser, a loopback web site and mail server, and paths
//! into the repository's test data.

pub mod browser;
pub mod cli;
pub mod drills;
pub mod files;
pub mod pg_cluster;
pub mod server;
pub mod site;
pub mod smtp;
pub mod stores;

pub use cli::{json_lines, lindung, lindung_command, lindung_on, lindung_with_stdin};
pub use files::{base64, contains, everything_stored, hex, sqlite_bytes, testdata, urlencode};
pub use stores::{TestStore, stores, user};

/// Says something on the real stderr: the test harness captures `eprintln!` of passing tests,
/// and a skipped test or backend must be visible.
pub fn note(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// Says that a test (or one backend of it) is skipped, where the test runner shows it. Under
/// `LINDUNG_NO_SKIPS` (scripts/test sets it, having installed everything the tests need) a
/// skip is a failure: CI must never pass by not running a test.
pub fn skip(message: &str) {
    note(message);
    assert!(
        std::env::var_os("LINDUNG_NO_SKIPS").is_none(),
        "{message}; LINDUNG_NO_SKIPS is set, so a skip fails"
    );
}

/// Whether FFmpeg is missing, in which case `test` is skipped and says so.
pub fn ffmpeg_missing(test: &str) -> bool {
    let missing = std::process::Command::new("ffprobe")
        .arg("-version")
        .output()
        .is_err();
    if missing {
        skip(&format!(
            "SKIPPED {test}: ffmpeg is not installed (scripts/test installs it)"
        ));
    }
    missing
}
