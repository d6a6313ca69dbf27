//! `lindung hash` run as a real process.

use std::path::Path;

use crate::support::{ffmpeg_missing, json_lines, lindung, testdata};

/// A PNG header declaring 30000x30000 RGB pixels with almost no data behind it.
fn huge_png_header() -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&30000u32.to_be_bytes());
    ihdr.extend_from_slice(&30000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let crc = {
        let mut c = 0xffff_ffffu32;
        for &b in &ihdr {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    (c >> 1) ^ 0xedb8_8320
                } else {
                    c >> 1
                };
            }
        }
        !c
    };
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc.to_be_bytes());
    png
}

#[test]
fn a_folder_of_bad_files_reports_each_and_hashes_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let good =
        std::fs::read(testdata("pdq/data/reg-test-input/labelme-subset/q0122.jpg")).expect("jpg");
    std::fs::write(d.join("a-corrupt.jpg"), &good[..good.len() / 3]).expect("write");
    std::fs::write(d.join("b-empty.jpg"), b"").expect("write");
    std::fs::write(d.join("c-text.jpg"), b"just some text, not a picture\n").expect("write");
    std::fs::write(d.join("d-huge.png"), huge_png_header()).expect("write");
    std::fs::create_dir(d.join("e-sub")).expect("mkdir");
    std::fs::write(d.join("e-sub/good.jpg"), &good).expect("write");

    let (code, stdout, _) = lindung(&["hash", "--json", d.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "any failure makes the exit status 1");
    let lines = json_lines(&stdout);
    let names: Vec<String> = lines
        .iter()
        .map(|l| {
            Path::new(l["path"].as_str().expect("path"))
                .strip_prefix(d)
                .expect("under dir")
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "a-corrupt.jpg",
            "b-empty.jpg",
            "c-text.jpg",
            "d-huge.png",
            "e-sub/good.jpg"
        ]
    );
    let error = |i: usize| lines[i]["error"].as_str().expect("error line").to_string();
    assert!(
        error(0).starts_with("corrupt or truncated JPEG"),
        "{}",
        error(0)
    );
    assert_eq!(error(1), "file is empty");
    assert!(
        error(2).starts_with("not a supported image format"),
        "{}",
        error(2)
    );
    assert_eq!(
        error(3),
        "PNG image is 30000x30000, over the limit of 100000000 pixels"
    );
    let ok = &lines[4];
    assert!(ok.get("error").is_none());
    assert_eq!(
        ok["pdq"],
        "cfb2009ddd21c6dab0046a7745b5984757a8a4535b3377aea2591d32b33ff940"
    );
    assert_eq!(ok["quality"], 100);
    assert_eq!(
        (ok["width"].as_u64(), ok["height"].as_u64()),
        (Some(256), Some(256))
    );
    assert_eq!(ok["md5"].as_str().map(str::len), Some(32));
    assert_eq!(ok["sha256"].as_str().map(str::len), Some(64));
}

#[test]
fn all_good_files_exit_zero_in_path_order_with_any_job_count() {
    let dir = testdata("pdq/data/reg-test-input/labelme-subset");
    let (code1, one_job, _) = lindung(&["hash", "--json", "-j", "1", dir.to_str().expect("utf-8")]);
    let (code4, four_jobs, _) =
        lindung(&["hash", "--json", "-j", "4", dir.to_str().expect("utf-8")]);
    assert_eq!((code1, code4), (0, 0));
    assert_eq!(
        one_job, four_jobs,
        "output order does not depend on scheduling"
    );
    let paths: Vec<String> = json_lines(&one_job)
        .iter()
        .map(|l| l["path"].as_str().expect("path").to_string())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert_eq!(paths.len(), 7);
}

#[test]
fn dihedral_adds_eight_hashes_matching_the_reference() {
    let file = testdata("pdq/data/reg-test-input/dih/bridge-1-original.jpg");
    let (code, stdout, _) = lindung(&[
        "hash",
        "--json",
        "--dihedral",
        file.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0);
    let line = &json_lines(&stdout)[0];
    let got: Vec<&str> = line["pdq_dihedral"]
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("hex"))
        .collect();
    let csv = std::fs::read_to_string(testdata("pdq/expected/cpp_core_fullres_orig-files.csv"))
        .expect("csv");
    let row: Vec<&str> = csv
        .lines()
        .find(|l| l.starts_with("data/reg-test-input/dih/bridge-1-original.jpg,"))
        .expect("row")
        .split(',')
        .collect();
    assert_eq!(got, row[6..14].to_vec());
}

#[test]
fn meta_cli_compat_resizes_like_the_cpp_cli() {
    let file = testdata("pdq/decoded/bridge-1-original.png");
    let (code, stdout, _) = lindung(&[
        "hash",
        "--json",
        "--compat",
        "meta-cli",
        file.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        json_lines(&stdout)[0]["pdq"],
        "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
    );
}

#[test]
fn csv_output_has_a_header_and_quotes_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("x, y.jpg");
    std::fs::write(&bad, b"nope").expect("write");
    let (code, stdout, _) = lindung(&["hash", "--csv", bad.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    let mut reader = csv::Reader::from_reader(stdout.as_bytes());
    let headers = reader.headers().expect("header").clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "path", "width", "height", "pdq", "quality", "md5", "sha256", "vpdq", "error"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], bad.to_str().expect("utf-8"));
    assert!(rows[0][8].starts_with("not a supported image format"));
}

#[test]
fn a_missing_file_is_a_read_error() {
    let (code, stdout, _) = lindung(&["hash", "--json", "/nonexistent/nothing.png"]);
    assert_eq!(code, 1);
    let line = &json_lines(&stdout)[0];
    assert!(
        line["error"]
            .as_str()
            .expect("error")
            .starts_with("cannot read file")
    );
}

#[test]
fn videos_get_vpdq_and_digests() {
    if ffmpeg_missing("videos_get_vpdq_and_digests") {
        return;
    }
    let video = testdata("vpdq/videos/test-padded-dimensions.mp4");
    let (code, out, err) = lindung(&["hash", "--json", video.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    let record = &json_lines(&out)[0];
    assert_eq!(record["width"], 1080);
    assert_eq!(
        record["frames"], 5,
        "150 frames at 30 fps, one hash per second"
    );
    let signal: Vec<String> =
        serde_json::from_str(record["vpdq"].as_str().expect("vpdq")).expect("signal string");
    assert_eq!(signal.len(), 5);
    assert!(signal[1].ends_with(",1.0"), "{}", signal[1]);
    assert_eq!(record["md5"].as_str().expect("md5").len(), 32);
    assert!((record["duration"].as_f64().expect("duration") - 5.0).abs() < 0.1);

    let (code, out, _) = lindung(&[
        "hash",
        "--json",
        "--seconds-per-hash",
        "0",
        video.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0);
    assert_eq!(json_lines(&out)[0]["frames"], 150, "every frame");
    let (code, out, _) = lindung(&[
        "hash",
        "--json",
        "--max-video-seconds",
        "1",
        video.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1);
    assert!(
        json_lines(&out)[0]["error"]
            .as_str()
            .expect("error")
            .contains("1-second limit")
    );
}
