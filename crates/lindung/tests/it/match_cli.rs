//! `lindung match` and `lindung index build` run as real processes.

use crate::support::{ffmpeg_missing, json_lines, lindung, lindung_with_stdin, testdata};

fn reg_input(name: &str) -> String {
    testdata("pdq/data/reg-test-input")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// `(needle line, haystack line, distance)` from JSON output, where queries are `name:line`.
fn pairs(stdout: &str) -> Vec<(u64, u64, u64)> {
    let mut found = Vec::new();
    for record in json_lines(stdout) {
        let query = record["query"].as_str().expect("query");
        let line: u64 = query
            .rsplit(':')
            .next()
            .and_then(|l| l.parse().ok())
            .expect("query is name:line");
        for m in record["matches"].as_array().expect("matches") {
            found.push((
                line,
                m["bank_line"].as_u64().expect("bank_line"),
                m["distance"].as_u64().expect("distance"),
            ));
        }
    }
    found.sort_unstable();
    found
}

/// The reference brute-force pairs, as 1-based line numbers.
fn expected_pairs() -> Vec<(u64, u64, u64)> {
    let csv = std::fs::read_to_string(testdata(
        "pdq/expected/needles_vs_haystack_bruteforce_d31.csv",
    ))
    .expect("expected pairs");
    let mut pairs: Vec<(u64, u64, u64)> = csv
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let n: u64 = f[0].parse().expect("needle");
            let h: u64 = f[2].parse().expect("haystack");
            (n + 1, h + 1, f[4].parse().expect("distance"))
        })
        .collect();
    pairs.sort_unstable();
    pairs
}

#[test]
fn finds_exactly_the_250_reference_pairs_from_a_list_a_snapshot_and_stdin() {
    let haystack = reg_input("haystack.txt");
    let needles = reg_input("needles.txt");
    let expected = expected_pairs();
    assert_eq!(expected.len(), 250);

    let (code, out, err) = lindung(&["match", "--json", "--bank", &haystack, &needles]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(pairs(&out), expected);
    assert_eq!(json_lines(&out).len(), 100, "one line per needle");

    let dir = tempfile::tempdir().expect("tempdir");
    let snapshot = dir.path().join("haystack.snap");
    let snapshot = snapshot.to_str().expect("utf-8 path");
    let (code, _, err) = lindung(&["index", "build", "--bank", &haystack, "--out", snapshot]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("indexed 1350 hashes"), "{err}");

    let stdin = std::fs::read_to_string(&needles).expect("needles");
    let (code, out, err) =
        lindung_with_stdin(&["match", "--json", "--bank", snapshot, "-"], &stdin);
    assert_eq!(code, 0, "{err}");
    assert_eq!(pairs(&out), expected);
    assert!(json_lines(&out)[0]["query"] == "-:1");
}

#[test]
fn reads_the_threatexchange_formats_and_reports_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bridge = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    let near = "f8f8f0cee0f4a84f06370a2a038f63f0b36e26d596621e1d33e6b39c4e9c9b22";

    let plain = dir.path().join("plain.txt");
    std::fs::write(
        &plain,
        format!("# ours\n{near} case-41 photo 2\n{bridge}\n"),
    )
    .expect("write");
    let csv = dir.path().join("dataset.csv");
    std::fs::write(
        &csv,
        format!(
            "signal_type,signal_str,collab,category,tags\n\
             video_md5,d41d8cd98f00b204e9800998ecf8427e,c1,POSITIVE_CLASS,\n\
             pdq,{near},c1,POSITIVE_CLASS,tag\n"
        ),
    )
    .expect("write");
    let local = testdata("hma/local_file_signals.txt");

    let query = dir.path().join("query.txt");
    std::fs::write(&query, format!("{bridge}\n")).expect("write");
    let query = query.to_str().expect("utf-8");

    let (code, out, err) = lindung(&[
        "match",
        "--json",
        "--bank",
        plain.to_str().expect("p"),
        query,
    ]);
    assert_eq!(code, 0, "{err}");
    let record = &json_lines(&out)[0];
    assert_eq!(record["pdq"], bridge);
    assert_eq!(record["matches"][0]["bank_line"], 3);
    assert_eq!(record["matches"][0]["distance"], 0);
    assert_eq!(record["matches"][1]["bank_line"], 2);
    assert_eq!(record["matches"][1]["id"], "case-41 photo 2");
    assert_eq!(record["matches"][1]["hash"], near);
    assert_eq!(record["matches"][1]["distance"], 2);

    let (code, out, err) = lindung(&["match", "--json", "--bank", csv.to_str().expect("p"), query]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("1 video_md5 entries are not PDQ hashes"),
        "{err}"
    );
    assert_eq!(json_lines(&out)[0]["matches"][0]["bank_line"], 3);

    let (code, out, err) = lindung(&[
        "match",
        "--json",
        "--bank",
        local.to_str().expect("p"),
        query,
    ]);
    assert_eq!(code, 0, "{err}");
    let matches = json_lines(&out)[0]["matches"]
        .as_array()
        .expect("matches")
        .clone();
    assert_eq!(matches[0]["bank_line"], 1);
    assert!(
        matches.len() >= 8,
        "the bridge variants in the pytx examples"
    );

    // Ids survive a snapshot through its sidecar.
    let snap = dir.path().join("plain.snap");
    let snap = snap.to_str().expect("utf-8");
    assert_eq!(
        lindung(&[
            "index",
            "build",
            "--bank",
            plain.to_str().expect("p"),
            "--out",
            snap
        ])
        .0,
        0
    );
    let (_, out, _) = lindung(&["match", "--json", "--bank", snap, query]);
    assert_eq!(json_lines(&out)[0]["matches"][1]["id"], "case-41 photo 2");
}

#[test]
fn a_bad_bank_or_query_line_is_named_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bridge = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    let bank = dir.path().join("bank.txt");
    std::fs::write(&bank, format!("{bridge}\n\n{}\n", &bridge[..63])).expect("write");
    let bank = bank.to_str().expect("utf-8");
    let (code, out, err) = lindung_with_stdin(&["match", "--bank", bank, "-"], bridge);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("line 3"), "{err}");

    let good = dir.path().join("good.txt");
    std::fs::write(&good, format!("{bridge}\n")).expect("write");
    let good = good.to_str().expect("utf-8");
    let (code, out, err) = lindung_with_stdin(
        &["match", "--bank", good, "-"],
        &format!("{bridge}\nnot-a-hash\n"),
    );
    assert_eq!(code, 2);
    assert!(
        out.is_empty(),
        "nothing is printed before a bad query list is refused"
    );
    assert!(err.contains("-: line 2"), "{err}");

    let binary = dir.path().join("random.bin");
    std::fs::write(&binary, [0u8, 159, 146, 150, 10, 255]).expect("write");
    let (code, _, err) = lindung(&["match", "--bank", binary.to_str().expect("p"), good]);
    assert_eq!(code, 2);
    assert!(err.contains("not UTF-8"), "{err}");

    let truncated = dir.path().join("cut.snap");
    let (code, _, _) = lindung(&[
        "index",
        "build",
        "--bank",
        good,
        "--out",
        truncated.to_str().expect("p"),
    ]);
    assert_eq!(code, 0);
    let bytes = std::fs::read(&truncated).expect("read");
    std::fs::write(&truncated, &bytes[..bytes.len() - 5]).expect("write");
    let (code, _, err) = lindung(&["match", "--bank", truncated.to_str().expect("p"), good]);
    assert_eq!(code, 2);
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn images_and_folders_are_hashed_and_dihedral_finds_a_rotation() {
    let bridge_dir = testdata("pdq/data/bridge-mods");
    let original = bridge_dir.join("aaa-orig.jpg");
    let original = original.to_str().expect("utf-8");
    // The bank holds only the hash of the original turned by 90 degrees, as `lindung hash`
    // computes it.
    let (code, out, err) = lindung(&["hash", "--json", "--dihedral", original]);
    assert_eq!(code, 0, "{err}");
    let rotated = json_lines(&out)[0]["pdq_dihedral"][1]
        .as_str()
        .expect("rot90 hash")
        .to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let bank = dir.path().join("rotated.txt");
    std::fs::write(&bank, format!("{rotated} rotated\n")).expect("write");
    let bank = bank.to_str().expect("utf-8");

    let (code, out, _) = lindung(&["match", "--json", "--bank", bank, original]);
    assert_eq!(code, 0);
    assert!(
        json_lines(&out)[0]["matches"]
            .as_array()
            .expect("m")
            .is_empty()
    );
    let (code, out, _) = lindung(&["match", "--json", "--dihedral", "--bank", bank, original]);
    assert_eq!(code, 0);
    let record = &json_lines(&out)[0];
    assert_eq!(record["quality"], 100);
    assert_eq!(record["matches"][0]["id"], "rotated");
    assert_eq!(record["matches"][0]["distance"], 0);

    // A folder: every file is a query, in path order; a file that is not an image is reported
    // in its place and the exit status is 1.
    let folder = dir.path().join("uploads");
    std::fs::create_dir(&folder).expect("mkdir");
    std::fs::copy(original, folder.join("a.jpg")).expect("copy");
    std::fs::write(folder.join("b.jpg"), b"not really a jpeg").expect("write");
    let (code, out, _) = lindung(&[
        "match",
        "--json",
        "--dihedral",
        "--bank",
        bank,
        folder.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1);
    let records = json_lines(&out);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["matches"][0]["distance"], 0);
    assert!(records[1]["error"].as_str().expect("error").len() > 5);
}

#[test]
fn videos_match_against_vpdq_entries_of_a_bank() {
    if ffmpeg_missing("videos_match_against_vpdq_entries_of_a_bank") {
        return;
    }
    let videos = testdata("vpdq/videos");
    let padded = videos.join("test-padded-dimensions.mp4");
    let door = videos.join("doorknob-hd-no-bar.mp4");
    let signal_of = |path: &std::path::Path| {
        let (code, out, err) = lindung(&["hash", "--json", path.to_str().expect("utf-8")]);
        assert_eq!(code, 0, "{err}");
        json_lines(&out)[0]["vpdq"]
            .as_str()
            .expect("vpdq")
            .to_owned()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let bank = dir.path().join("videos.txt");
    std::fs::write(
        &bank,
        format!("vpdq {}\nvpdq {}\n", signal_of(&door), signal_of(&padded)),
    )
    .expect("write");
    let (code, out, err) = lindung(&[
        "match",
        "--json",
        "--bank",
        bank.to_str().expect("utf-8"),
        padded.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    let record = &json_lines(&out)[0];
    assert_eq!(record["frames"], 5);
    let matches = record["matches"].as_array().expect("matches");
    assert_eq!(matches.len(), 1, "{record}");
    assert_eq!(matches[0]["bank_line"], 2);
    assert_eq!(matches[0]["query_match_pct"], 100.0);

    // A malformed vpdq entry is named by line.
    std::fs::write(&bank, "vpdq [\"zz,100,0.0\"]\n").expect("write");
    let (code, _, err) = lindung(&[
        "match",
        "--bank",
        bank.to_str().expect("utf-8"),
        padded.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("line 1"), "{err}");
}
