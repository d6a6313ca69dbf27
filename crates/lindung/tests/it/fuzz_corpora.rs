//! The fuzz corpora, replayed under plain `cargo test`: every input kept in
//! `crates/lindung/fuzz/corpus/TARGET` and every crash input fixed since, in
//! `crates/lindung/fuzz/regressions/TARGET`, goes through `lindung::fuzzing::TARGET` again, so
//! a fixed crash cannot come back unnoticed. The list of targets lives in the fuzz crate's
//! `Cargo.toml` (`[[bin]]` names) and in `lindung::fuzzing::TARGETS`; this checks they agree
//! and that each target has its source and a corpus.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The `name` of every `[[bin]]` table of the fuzz crate's manifest.
fn bin_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin && let Some(value) = line.strip_prefix("name") {
            let value = value.trim_start().trim_start_matches('=').trim();
            names.push(value.trim_matches('"').to_owned());
        }
    }
    names
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// What replaying a directory found: its files, how many went past the parser into the checks
/// behind it, and the files that panicked.
struct Replayed {
    files: usize,
    reached: usize,
    failed: Vec<String>,
}

/// Runs `target` on every file of `dir`.
fn replay(name: &str, target: lindung::fuzzing::Target, dir: &Path) -> Replayed {
    let mut done = Replayed {
        files: 0,
        reached: 0,
        failed: Vec::new(),
    };
    for path in &files_in(dir) {
        done.files += 1;
        let data = std::fs::read(path).expect("read a corpus file");
        match catch_unwind(AssertUnwindSafe(|| target(&data))) {
            Ok(reached) => done.reached += usize::from(reached),
            Err(_) => done.failed.push(format!("{name}: {}", path.display())),
        }
    }
    done
}

#[test]
fn the_fuzz_crate_and_the_library_list_the_same_targets() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz manifest");
    let bins: BTreeSet<String> = bin_names(&manifest).into_iter().collect();
    let library: BTreeSet<String> = lindung::fuzzing::TARGETS
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    assert_eq!(
        bins, library,
        "fuzz/Cargo.toml [[bin]]s vs lindung::fuzzing::TARGETS"
    );
    assert!(library.len() >= 7, "{library:?}");
    for name in &library {
        let source = std::fs::read_to_string(fuzz_dir().join(format!("fuzz_targets/{name}.rs")))
            .unwrap_or_else(|e| panic!("fuzz_targets/{name}.rs: {e}"));
        assert!(
            source.contains(&format!("lindung::fuzzing::{name}(data)")),
            "fuzz_targets/{name}.rs does not call lindung::fuzzing::{name}"
        );
    }
}

#[test]
fn every_corpus_and_regression_input_replays_without_a_panic() {
    let mut failed = Vec::new();
    for (name, target) in lindung::fuzzing::TARGETS {
        let corpus = fuzz_dir().join("corpus").join(name);
        let mut done = replay(name, *target, &corpus);
        assert!(
            done.files > 0,
            "{name} has no corpus in {}",
            corpus.display()
        );
        // A target that did nothing, or a corpus that never gets past the parser, would
        // replay without a panic too: some of every corpus must reach the checks behind it.
        assert!(
            done.reached > 0,
            "no input of {name}'s corpus ({} files) gets past its parser",
            done.files
        );
        failed.append(&mut done.failed);
        let regressions = fuzz_dir().join("regressions").join(name);
        failed.append(&mut replay(name, *target, &regressions).failed);
    }
    assert!(
        failed.is_empty(),
        "inputs that panic:\n{}",
        failed.join("\n")
    );
}

/// The replay must be able to fail: a target that panics on an input is reported.
#[test]
fn a_panicking_target_is_reported() {
    fn panics(_: &[u8]) -> bool {
        panic!("a finding");
    }
    let dir = fuzz_dir().join("corpus").join("hash_list");
    let done = replay("panics", panics, &dir);
    assert!(done.files > 0);
    assert_eq!(done.failed.len(), done.files);
}

#[test]
fn bin_names_reads_only_bin_tables() {
    let manifest = "[package]\nname = \"x\"\n[[bin]]\nname = \"a\"\npath = \"a.rs\"\n\n[[bin]]\nname=\"b\"\n[workspace]\n";
    assert_eq!(bin_names(manifest), ["a", "b"]);
}

/// Found by `report_json`: a URL within the length limit as typed grew past it once escaped,
/// so the hotline kept (and exported to partners) a URL it would itself refuse on import.
#[test]
fn a_url_is_measured_in_its_normal_form() {
    use lindung::hotline::network::{MAX_URL_LENGTH, normalise_url};
    // `é` is 2 bytes as typed and 6 characters (`%C3%A9`) once escaped.
    let grows = format!("https://host.example/{}", "é".repeat(1000));
    assert!(grows.len() <= MAX_URL_LENGTH);
    assert!(
        normalise_url(&grows).is_err(),
        "accepted a URL that escapes to over the limit"
    );
    let fits = format!("https://host.example/{}", "é".repeat(300));
    let once = normalise_url(&fits).expect("a URL that fits once escaped");
    assert_eq!(once.as_str().len(), "https://host.example/".len() + 300 * 6);
    assert_eq!(normalise_url(once.as_str()).expect("again"), once);
}

/// Found by `cybertip_xml`: characters XML cannot carry reached the CyberTipline export. Free
/// text is exported with them replaced; an identifier holding one is refused at intake, since
/// two identifiers would otherwise read alike in the export (and NCMEC be sent another account).
#[test]
fn identifiers_that_xml_cannot_carry_are_refused_and_free_text_is_exported() {
    let report = |user: &str, description: &str| {
        serde_json::json!({
            "incident_type": "csam",
            "urls": ["https://host.example/a"],
            "reported_user": {"identifiers": [user]},
            "description": description,
        })
        .to_string()
        .into_bytes()
    };
    assert!(lindung::fuzzing::report_json(&report("user-1", "")));
    assert!(!lindung::fuzzing::report_json(&report("user\u{1}", "")));
    assert!(!lindung::fuzzing::report_json(&report("user\u{FFFF}", "")));
    // Accepted and exported as well-formed XML (the target asserts it), NUL and all.
    assert!(lindung::fuzzing::cybertip_xml(&report(
        "user-1",
        "seen at\u{0} noon"
    )));
}
