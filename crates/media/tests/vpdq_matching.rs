//! vPDQ formats and matching against the reference data: the pairwise match percentages of all
//! 256 pairs of sample videos under both semantics, and the HMA signal-string example.

use std::collections::BTreeMap;

use lindung_media::vpdq::{
    MatchOptions, Semantics, VpdqFrame, match_videos, parse_frames, parse_signal, to_signal,
    write_frames,
};

fn testdata(path: &str) -> String {
    format!("{}/../../testdata/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn load(name: &str) -> Vec<VpdqFrame> {
    let text = std::fs::read_to_string(testdata(&format!("vpdq/sample-hashes/{name}")))
        .expect("hash file");
    parse_frames(&text).expect("parse")
}

#[test]
fn pairwise_percentages_match_both_references() {
    let csv = std::fs::read_to_string(testdata("vpdq/expected/pairwise_match_percentages.csv"))
        .expect("csv");
    let mut videos: BTreeMap<String, Vec<VpdqFrame>> = BTreeMap::new();
    let cpp = MatchOptions {
        semantics: Semantics::Cpp,
        ..MatchOptions::default()
    };
    let pytx = MatchOptions::default();
    let mut checked = 0;
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        for name in [f[0], f[1]] {
            videos.entry(name.to_owned()).or_insert_with(|| load(name));
        }
        let (q, t) = (&videos[f[0]], &videos[f[1]]);
        let c = match_videos(q, t, &cpp);
        assert_eq!(format!("{:.2}", c.query_pct), f[2], "cpp query {line}");
        assert_eq!(format!("{:.2}", c.target_pct), f[3], "cpp target {line}");
        let p = match_videos(q, t, &pytx);
        assert_eq!(format!("{:.4}", p.query_pct), f[4], "pytx query {line}");
        assert_eq!(format!("{:.4}", p.target_pct), f[5], "pytx compared {line}");
        let expected_match = f[6] == "True";
        assert_eq!(p.is_match(&pytx), expected_match, "pytx default {line}");
        checked += 1;
    }
    assert_eq!(checked, 256);
}

#[test]
fn both_text_forms_round_trip() {
    let frames = load("chair-19-sd-bar.txt");
    let original =
        std::fs::read_to_string(testdata("vpdq/sample-hashes/chair-19-sd-bar.txt")).expect("file");
    assert_eq!(
        write_frames(&frames),
        original,
        "the line format is reproduced byte for byte"
    );

    let signal = to_signal(&frames[..40]);
    let back = parse_signal(&signal).expect("parse signal");
    assert_eq!(back.len(), 40);
    assert_eq!(back[33].hash, frames[33].hash);
    assert!(
        signal.contains(",1.1\""),
        "{:.3} keeps 3 significant digits",
        frames[33].timestamp
    );

    let example =
        std::fs::read_to_string(testdata("hma/vpdq_signal_example.json")).expect("example");
    let parsed = parse_signal(example.trim()).expect("HMA example");
    assert!(!parsed.is_empty());
    assert_eq!(
        to_signal(&parsed),
        serde_json::to_string(&serde_json::from_str::<Vec<String>>(example.trim()).expect("json"))
            .expect("json")
    );
}

#[test]
fn malformed_input_names_the_line() {
    let err = parse_frames("0,100,abc,0.000\n").expect_err("bad hash");
    assert_eq!(err.at, 1);
    let good = "0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000";
    let err = parse_frames(&format!("{good}\n{good},extra\n")).expect_err("extra field");
    assert_eq!(err.at, 2);
    let err = parse_frames(&good.replace(",100,", ",101,")).expect_err("quality");
    assert!(err.message.contains("0 to 100"));
    assert!(parse_signal("not json").is_err());
    let err = parse_signal("[\"abc,1,2\"]").expect_err("bad entry");
    assert_eq!(err.at, 1);
}
