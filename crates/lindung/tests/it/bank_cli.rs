//! `lindung bank import` and `export` with every bankable signal type, videos included, on
//! SQLite and PostgreSQL: what is exported imports again unchanged, and re-importing adds
//! nothing.

use lindung::banks::store as banks;

use crate::support::{self, lindung_on, testdata};

const PDQ: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

/// The reference's every-frame hashes of a long sample video, as a `vpdq` signal: far longer
/// than a database index entry may be.
fn long_vpdq() -> String {
    let text = std::fs::read_to_string(testdata("vpdq/sample-hashes/pattern-longer-no-bar.txt"))
        .expect("sample hashes");
    let frames = lindung_media::vpdq::parse_frames(&text).expect("reference format");
    lindung_media::vpdq::to_signal(&frames)
}

async fn signals_of(store: &lindung::store::Store, bank: &str) -> Vec<(String, String)> {
    let bank = banks::find_bank(store, bank).await.expect("bank");
    let mut rows: Vec<(String, String)> = banks::bank_signals(store, bank.id)
        .await
        .expect("signals")
        .iter()
        .map(|s| (s.signal_type.clone(), s.signal().to_owned()))
        .collect();
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn videos_round_trip_through_export_and_import() {
    let vpdq = long_vpdq();
    assert!(vpdq.len() > 10_000, "{}", vpdq.len());
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("list.txt");
    std::fs::write(
        &list,
        format!(
            "pdq {PDQ}\nvpdq {vpdq}\nvideo_md5 D41D8CD98F00B204E9800998ECF8427E\nurl https://x.example/\n"
        ),
    )
    .expect("write list");
    for t in support::stores("bank_cli").await {
        for name in ["ORIGINAL", "FROM_CSV", "FROM_LINES"] {
            let (ok, _, err) = lindung_on(&t.location, &["bank", "create", "--name", name]);
            assert!(ok, "{err}");
        }
        let path = list.to_str().expect("utf-8");
        let (ok, _, err) = lindung_on(&t.location, &["bank", "import", "--bank", "ORIGINAL", path]);
        assert!(ok, "{}: {err}", t.name);
        assert!(err.contains("imported 3 new signals"), "{err}");
        assert!(err.contains("1 url entries cannot be banked"), "{err}");
        let (_, _, err) = lindung_on(&t.location, &["bank", "import", "--bank", "ORIGINAL", path]);
        assert!(err.contains("imported 0 new signals"), "{}: {err}", t.name);
        let original = signals_of(&t.store, "ORIGINAL").await;
        let kinds: Vec<&str> = original.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kinds, ["pdq", "video_md5", "vpdq"]);
        assert_eq!(original[2].1, vpdq);

        for (format, target) in [("te-csv", "FROM_CSV"), ("local-file", "FROM_LINES")] {
            let (ok, exported, err) = lindung_on(
                &t.location,
                &["bank", "export", "--bank", "ORIGINAL", "--format", format],
            );
            assert!(ok, "{err}");
            let file = dir.path().join(format!("{}-{format}.txt", t.name));
            std::fs::write(&file, exported).expect("write export");
            let (ok, _, err) = lindung_on(
                &t.location,
                &[
                    "bank",
                    "import",
                    "--bank",
                    target,
                    file.to_str().expect("utf-8"),
                ],
            );
            assert!(ok, "{}: {format}: {err}", t.name);
            assert_eq!(
                signals_of(&t.store, target).await,
                original,
                "{}: {format}",
                t.name
            );
        }

        // A malformed vpdq row stops the import, naming its line, with nothing written.
        let bad = dir.path().join("bad.txt");
        std::fs::write(&bad, format!("pdq {PDQ}\nvpdq [\"zz,100,0.0\"]\n")).expect("write");
        let (ok, _, err) = lindung_on(
            &t.location,
            &[
                "bank",
                "import",
                "--bank",
                "FROM_CSV",
                bad.to_str().expect("utf-8"),
            ],
        );
        assert!(!ok);
        assert!(
            err.contains("line 2") && err.contains("nothing was imported"),
            "{err}"
        );
    }
}
