//! Hashes of original files (decoded here) against Meta's reference outputs.

use std::path::PathBuf;

use lindung_media::{Compat, Fingerprinter, Options};
use pdq::Hash256;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/pdq")
}

fn csv_rows(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(testdata().join("expected").join(name)).expect("csv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn fingerprinter(compat: Compat, dihedral: bool) -> Fingerprinter {
    Fingerprinter::new(Options {
        compat,
        dihedral,
        ..Options::default()
    })
}

#[test]
fn original_files_match_the_cpp_core_at_full_resolution() {
    let mut fp = fingerprinter(Compat::Hma, true);
    let mut checked = 0;
    for row in csv_rows("cpp_core_fullres_orig-files.csv") {
        // CImg's 8-bit load of a 16-bit PNG is not PIL's; the data README says to skip it.
        if row[0] == "pytx/I16.png" {
            continue;
        }
        let out = fp
            .fingerprint_file(&testdata().join(&row[0]))
            .expect(&row[0]);
        assert_eq!(
            (out.width.to_string(), out.height.to_string()),
            (row[1].clone(), row[2].clone())
        );
        assert_eq!(out.pdq.hash.to_string(), row[4], "{} hash", row[0]);
        assert_eq!(out.pdq.quality.to_string(), row[5], "{} quality", row[0]);
        let dihedral = out.dihedral.expect("asked for dihedral");
        for (i, want) in row[6..14].iter().enumerate() {
            assert_eq!(
                dihedral.hashes[i].to_string(),
                *want,
                "{} dihedral {i}",
                row[0]
            );
        }
        assert_eq!(dihedral.quality.to_string(), row[14]);
        checked += 1;
    }
    assert_eq!(checked, 35);
}

#[test]
fn meta_cli_resize_reproduces_the_cli_pixels() {
    let mut cli = fingerprinter(Compat::MetaCli, false);
    let mut plain = fingerprinter(Compat::Hma, false);
    let resized = cli
        .fingerprint_file(&testdata().join("decoded/bridge-1-original.png"))
        .expect("bridge");
    let saved = plain
        .fingerprint_file(&testdata().join("decoded/bridge-1-original-512x512nn.png"))
        .expect("512nn");
    assert_eq!(resized.pdq, saved.pdq);
    // The resize keeps the original dimensions in the report.
    assert_eq!((resized.width, resized.height), (1600, 1004));
    // And the exact pixels: decode both and compare.
    let big = std::fs::read(testdata().join("decoded/bridge-1-original.png")).expect("read");
    let small =
        std::fs::read(testdata().join("decoded/bridge-1-original-512x512nn.png")).expect("read");
    let limits = Default::default();
    let ours =
        lindung_media::resize_meta_cli(lindung_media::decode(&big, &limits).expect("decode"));
    let theirs = lindung_media::decode(&small, &limits).expect("decode");
    assert_eq!(ours.pixels, theirs.pixels);
}

#[test]
fn meta_cli_matches_the_cli_csv_on_png_rows() {
    let mut cli = fingerprinter(Compat::MetaCli, false);
    let mut checked = 0;
    for row in csv_rows("cpp_cli_pdq-photo-hasher.csv") {
        let (hash, quality, file) = (&row[0], &row[1], &row[2]);
        if !file.ends_with(".png") || hash.starts_with("ERROR") {
            continue;
        }
        let out = cli.fingerprint_file(&testdata().join(file)).expect(file);
        assert_eq!(out.pdq.hash.to_string(), *hash, "{file}");
        assert_eq!(out.pdq.quality.to_string(), *quality, "{file}");
        checked += 1;
    }
    assert_eq!(
        checked, 4,
        "L, 1, P and I16 are the PNG rows the CLI could hash"
    );
}

#[test]
fn jpeg_rows_of_the_cli_csv_are_close_with_meta_cli() {
    // The CLI decodes with libjpeg-turbo 2.1.5 through CImg; bit-identical pixels are not
    // promised across versions, but the hash must stay well within the match threshold.
    let mut cli = fingerprinter(Compat::MetaCli, false);
    let mut exact = 0;
    let rows: Vec<_> = csv_rows("cpp_cli_pdq-photo-hasher.csv")
        .into_iter()
        .filter(|r| r[2].ends_with(".jpg"))
        .collect();
    for row in &rows {
        let want = Hash256::parse(&row[0]).expect("hash");
        let out = cli
            .fingerprint_file(&testdata().join(&row[2]))
            .expect(&row[2]);
        let d = out.pdq.hash.distance(&want);
        assert!(d <= 10, "{}: distance {d}", row[2]);
        exact += usize::from(d == 0);
    }
    eprintln!("meta-cli JPEG rows bit-identical: {exact}/{}", rows.len());
}
