//! vPDQ of the seven sample videos through Debian's FFmpeg 5.1 against the reference hasher's
//! output made with the same FFmpeg: the same frames and timestamps, and every frame's hash
//! bit-identical and its quality equal, at every quality (stricter than the reference's own
//! regression rule, distance 31 at quality 50 and over). Needs the `ffmpeg` package
//! (scripts/test installs it; under it, LINDUNG_NO_SKIPS makes a missing FFmpeg a failure).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lindung_media::video::{VideoError, VideoLimits, hash_video, looks_like_video};
use lindung_media::vpdq::parse_frames;

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(format!(
        "{}/../../testdata/vpdq/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
}

fn ffmpeg_missing() -> bool {
    let missing = std::process::Command::new("ffprobe")
        .arg("-version")
        .output()
        .is_err();
    if missing {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED video test: ffmpeg is not installed (scripts/test installs Debian's ffmpeg)"
        );
        assert!(
            std::env::var_os("LINDUNG_NO_SKIPS").is_none(),
            "ffmpeg is missing and LINDUNG_NO_SKIPS is set, so a skip fails"
        );
    }
    missing
}

type HashVideo = fn(
    &Path,
    f64,
    &VideoLimits,
) -> Result<
    (
        lindung_media::video::VideoInfo,
        Vec<lindung_media::vpdq::VpdqFrame>,
    ),
    VideoError,
>;

/// The ways this crate hashes a video: the `ffmpeg` program, and libav in this process.
fn hashers() -> Vec<(&'static str, HashVideo)> {
    let mut all: Vec<(&'static str, HashVideo)> = vec![("ffmpeg program", hash_video)];
    #[cfg(feature = "libav")]
    {
        fn one_thread(
            path: &Path,
            seconds: f64,
            limits: &VideoLimits,
        ) -> Result<
            (
                lindung_media::video::VideoInfo,
                Vec<lindung_media::vpdq::VpdqFrame>,
            ),
            VideoError,
        > {
            lindung_media::video_libav::hash_video_with(path, seconds, limits, false)
        }
        fn two_threads(
            path: &Path,
            seconds: f64,
            limits: &VideoLimits,
        ) -> Result<
            (
                lindung_media::video::VideoInfo,
                Vec<lindung_media::vpdq::VpdqFrame>,
            ),
            VideoError,
        > {
            lindung_media::video_libav::hash_video_with(path, seconds, limits, true)
        }
        all.push(("libav, one thread", one_thread));
        all.push(("libav, hashing on a second thread", two_threads));
    }
    all
}

/// Hashes `video` at every frame, both ways, and checks it against the reference's `expected`
/// output.
fn check_against_reference(name: &str, video: &Path, expected: &Path) {
    for (way, hash) in hashers() {
        check_one(&format!("{name} ({way})"), video, expected, hash);
    }
}

fn check_one(name: &str, video: &Path, expected: &Path, hash: HashVideo) {
    let (info, ours) = hash(video, 0.0, &VideoLimits::default()).expect("hash");
    let text = std::fs::read_to_string(expected).expect("expected");
    let reference = parse_frames(&text).expect("parse");
    assert_eq!(ours.len(), reference.len(), "{name}: frame count");
    let mut different = Vec::new();
    for (a, b) in ours.iter().zip(&reference) {
        assert_eq!(a.frame, b.frame);
        assert_eq!(
            format!("{:.3}", a.timestamp),
            format!("{:.3}", b.timestamp),
            "{name} frame {}",
            a.frame
        );
        if a.hash != b.hash || a.quality != b.quality {
            different.push(format!(
                "frame {}: distance {}, quality {} against {}",
                a.frame,
                a.hash.distance(&b.hash),
                a.quality,
                b.quality
            ));
        }
    }
    assert!(
        different.is_empty(),
        "{name}: {} of {} frames differ from the reference: {different:?}",
        different.len(),
        ours.len()
    );
    let _ = writeln!(
        std::io::stderr(),
        "{name}: {}x{} at {:.2} fps, all {} frames bit-identical to the reference, quality equal",
        info.width,
        info.height,
        info.fps,
        ours.len()
    );
}

#[test]
fn all_seven_sample_videos_are_bit_identical_to_the_reference() {
    if ffmpeg_missing() {
        return;
    }
    let names = [
        "chair-19-sd-bar",
        "chair-orig-22-sd-bar",
        "doorknob-hd-no-bar",
        "pattern-hd-no-bar",
        "pattern-sd-grey-bar",
        "pattern-sd-with-small-logo-bar",
        "test-padded-dimensions",
    ];
    // Every video of the repository's sample set is checked, none left out.
    let mut in_repo: Vec<String> = std::fs::read_dir(testdata("videos"))
        .expect("testdata/vpdq/videos")
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".mp4")
                .map(str::to_owned)
        })
        .collect();
    in_repo.sort();
    assert_eq!(in_repo, names);
    for name in names {
        check_against_reference(
            name,
            &testdata(&format!("videos/{name}.mp4")),
            &testdata(&format!(
                "expected/regenerated_ffmpeg-5.1.9_debian12/{name}.txt"
            )),
        );
    }
}

#[test]
fn sampling_every_second_keeps_every_fps_th_frame() {
    if ffmpeg_missing() {
        return;
    }
    for (_, hash) in hashers() {
        check_sampling(hash);
    }
}

fn check_sampling(hash: HashVideo) {
    let (info, all) = hash(
        &testdata("videos/test-padded-dimensions.mp4"),
        0.0,
        &VideoLimits::default(),
    )
    .expect("hash");
    let (_, sampled) = hash(
        &testdata("videos/test-padded-dimensions.mp4"),
        1.0,
        &VideoLimits::default(),
    )
    .expect("hash");
    let frame_mod = (info.fps as u64).max(1);
    assert_eq!(sampled.len() as u64, (all.len() as u64).div_ceil(frame_mod));
    assert!(sampled.iter().all(|f| f.frame.is_multiple_of(frame_mod)));
    // Sampling changes which frames are hashed, never their hashes.
    for f in &sampled {
        let same = &all[f.frame as usize];
        assert_eq!(
            (f.frame, f.hash, f.quality),
            (same.frame, same.hash, same.quality)
        );
        assert_eq!(
            format!("{:.3}", f.timestamp),
            format!("{:.3}", same.timestamp)
        );
    }
}

#[test]
fn bad_videos_give_clear_errors() {
    if ffmpeg_missing() {
        return;
    }
    for (_, hash) in hashers() {
        check_bad_videos(hash);
    }
}

fn check_bad_videos(hash: HashVideo) {
    let dir = tempfile::tempdir().expect("tempdir");
    let video = std::fs::read(testdata("videos/doorknob-hd-no-bar.mp4")).expect("video");
    assert!(looks_like_video(&video));
    let truncated = dir.path().join("truncated.mp4");
    std::fs::write(&truncated, &video[..video.len() / 3]).expect("write");
    // A truncated file either yields the frames before the cut or a clear error; it never hangs.
    match hash(&truncated, 0.0, &VideoLimits::default()) {
        Ok((_, frames)) => assert!(!frames.is_empty()),
        Err(e) => assert!(matches!(e, VideoError::Corrupt(_)), "{e}"),
    }
    let garbage = dir.path().join("garbage.mp4");
    std::fs::write(&garbage, b"\x00\x00\x00\x18ftypmp42 definitely not a video").expect("write");
    assert!(matches!(
        hash(&garbage, 0.0, &VideoLimits::default()),
        Err(VideoError::Corrupt(_))
    ));
    let small = VideoLimits {
        max_file_bytes: 1000,
        ..VideoLimits::default()
    };
    assert!(matches!(
        hash(&testdata("videos/doorknob-hd-no-bar.mp4"), 0.0, &small),
        Err(VideoError::FileTooLarge { .. })
    ));
    let short = VideoLimits {
        max_duration_seconds: 0.5,
        ..VideoLimits::default()
    };
    assert!(matches!(
        hash(&testdata("videos/doorknob-hd-no-bar.mp4"), 0.0, &short),
        Err(VideoError::TooLong { .. })
    ));
    let narrow = VideoLimits {
        max_pixels: 100,
        ..VideoLimits::default()
    };
    assert!(matches!(
        hash(&testdata("videos/doorknob-hd-no-bar.mp4"), 0.0, &narrow),
        Err(VideoError::TooManyPixels { .. })
    ));
    let hurried = VideoLimits {
        time_limit: Duration::from_millis(1),
        ..VideoLimits::default()
    };
    assert!(matches!(
        hash(&testdata("videos/pattern-sd-grey-bar.mp4"), 0.0, &hurried),
        Err(VideoError::TimedOut(_))
    ));
}

/// Rewrites the movie and media durations in an MP4's `mvhd`/`mdhd` boxes (version 0) to
/// `seconds`, leaving the frames as they are: a header that claims a very long video.
fn claim_duration(mp4: &[u8], seconds: u32) -> Vec<u8> {
    let mut out = mp4.to_vec();
    for name in [&b"mvhd"[..], &b"mdhd"[..]] {
        let mut from = 0;
        while let Some(at) = out[from..]
            .windows(4)
            .position(|w| w == name)
            .map(|p| p + from)
        {
            if out[at + 4] == 0 {
                let timescale =
                    u32::from_be_bytes([out[at + 16], out[at + 17], out[at + 18], out[at + 19]]);
                out[at + 20..at + 24]
                    .copy_from_slice(&timescale.saturating_mul(seconds).to_be_bytes());
            }
            from = at + 4;
        }
    }
    out
}

#[test]
fn a_ten_hour_header_is_refused_before_decoding() {
    if ffmpeg_missing() {
        return;
    }
    for (_, hash) in hashers() {
        check_ten_hours(hash);
    }
}

fn check_ten_hours(hash: HashVideo) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ten-hours.mp4");
    let original = std::fs::read(testdata("videos/doorknob-hd-no-bar.mp4")).expect("video");
    std::fs::write(&path, claim_duration(&original, 10 * 3600)).expect("write");
    let limits = VideoLimits {
        time_limit: Duration::from_secs(30),
        ..VideoLimits::default()
    };
    match hash(&path, 1.0, &limits) {
        Err(VideoError::TooLong { seconds, limit }) => {
            assert!((seconds - 36000.0).abs() < 1.0, "{seconds}");
            assert_eq!(limit, 4.0 * 3600.0);
        }
        other => panic!("expected TooLong, got {other:?}"),
    }
}
