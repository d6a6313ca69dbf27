//! Every error type, and every supported format.

use std::io::Cursor;
use std::path::PathBuf;

use lindung_media::{Fingerprinter, Options};
use lindung_media::{Format, Limits, MediaError, decode, sniff};

fn sample_png() -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/pdq/decoded/q0122.png"),
    )
    .expect("q0122.png")
}

fn fp() -> Fingerprinter {
    Fingerprinter::new(Options::default())
}

/// A PNG whose header declares `w` x `h` pixels and whose data is garbage.
pub fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    out.extend_from_slice(&13u32.to_be_bytes());
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&ihdr);
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 4]);
    out.extend_from_slice(b"IDAT\x00\x01\x02\x03\x00\x00\x00\x00");
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn empty_input_is_its_own_error() {
    let err = fp().fingerprint_bytes(&[]).expect_err("empty");
    assert!(matches!(err, MediaError::Empty));
    assert_eq!(err.to_string(), "file is empty");
}

#[test]
fn text_is_an_unknown_format_whatever_its_name() {
    let err = fp()
        .fingerprint_bytes(b"this is not an image\n")
        .expect_err("text");
    assert!(matches!(err, MediaError::UnknownFormat), "{err}");
}

#[test]
fn a_huge_declared_size_is_refused_before_decoding() {
    let bomb = png_header_only(30000, 30000);
    let err = fp().fingerprint_bytes(&bomb).expect_err("bomb");
    match err {
        MediaError::TooManyPixels {
            width,
            height,
            max,
            format,
        } => {
            assert_eq!(
                (width, height, max, format),
                (30000, 30000, 100_000_000, Format::Png)
            );
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn the_pixel_limit_is_configurable() {
    let limits = Limits {
        max_pixels: 1000,
        ..Limits::default()
    };
    let err = decode(&sample_png(), &limits).expect_err("limit");
    assert!(
        matches!(
            err,
            MediaError::TooManyPixels {
                width: 256,
                height: 256,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn the_file_size_limit_is_configurable() {
    let mut fp = Fingerprinter::new(Options {
        limits: Limits {
            max_file_bytes: 100,
            ..Limits::default()
        },
        ..Options::default()
    });
    let err = fp.fingerprint_bytes(&sample_png()).expect_err("size");
    assert!(
        matches!(err, MediaError::FileTooLarge { max: 100, .. }),
        "{err}"
    );
}

#[test]
fn truncated_files_are_corrupt_not_panics() {
    let png = sample_png();
    let jpeg = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/pdq/data/reg-test-input/labelme-subset/q0122.jpg"),
    )
    .expect("jpg");
    for (bytes, format) in [(&png, Format::Png), (&jpeg, Format::Jpeg)] {
        for cut in [bytes.len() / 2, 40, 12] {
            let err = fp()
                .fingerprint_bytes(&bytes[..cut])
                .expect_err("truncated");
            match err {
                MediaError::Corrupt { format: f, .. } => assert_eq!(f, format),
                other => panic!("{format} cut at {cut}: unexpected {other}"),
            }
        }
    }
}

#[test]
fn corrupt_bytes_in_the_middle_are_reported() {
    let mut png = sample_png();
    let mid = png.len() / 2;
    for b in &mut png[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let err = fp().fingerprint_bytes(&png).expect_err("corrupt");
    assert!(
        matches!(
            err,
            MediaError::Corrupt {
                format: Format::Png,
                ..
            }
        ),
        "{err}"
    );
}

fn encode(img: &image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

#[test]
fn lossless_formats_decode_to_the_same_pixels_and_hash() {
    let png = sample_png();
    let original = decode(&png, &Limits::default()).expect("png");
    let want = fp().fingerprint_bytes(&png).expect("hash").pdq;
    let img = image::load_from_memory(&png).expect("load");
    for (format, sniffed) in [
        (image::ImageFormat::Bmp, Format::Bmp),
        (image::ImageFormat::Tiff, Format::Tiff),
        (image::ImageFormat::WebP, Format::Webp),
        (image::ImageFormat::Png, Format::Png),
    ] {
        let bytes = encode(&img, format);
        assert_eq!(sniff(&bytes), Some(sniffed));
        let decoded = decode(&bytes, &Limits::default()).expect("decode");
        assert_eq!(decoded.pixels, original.pixels, "{sniffed}");
        assert_eq!(
            fp().fingerprint_bytes(&bytes).expect("hash").pdq,
            want,
            "{sniffed}"
        );
    }
}

#[test]
fn gif_hashes_its_first_frame_close_to_the_original() {
    let png = sample_png();
    let want = fp().fingerprint_bytes(&png).expect("hash").pdq.hash;
    let img = image::load_from_memory(&png).expect("load");
    let gif = encode(&img.to_rgba8().into(), image::ImageFormat::Gif);
    assert_eq!(sniff(&gif), Some(Format::Gif));
    let got = fp().fingerprint_bytes(&gif).expect("gif").pdq.hash;
    // GIF quantises to 256 colours, so near, not equal.
    assert!(
        got.distance(&want) <= 31,
        "distance {}",
        got.distance(&want)
    );
}

#[test]
fn digests_are_of_the_raw_bytes() {
    let out = fp().fingerprint_bytes(&sample_png()).expect("hash");
    // Independent values computed with coreutils' md5sum / sha256sum on testdata/pdq/decoded/q0122.png.
    let md5 = out.digests.md5_hex();
    let sha = out.digests.sha256_hex();
    assert_eq!(md5.len(), 32);
    assert_eq!(sha.len(), 64);
    assert_eq!(md5, "db88341333e1089ed1f12a1452814d29");
    assert_eq!(
        sha,
        "f61ca4055d905405d098708a477c4eaf4e198f1e9ba52ce88de976bc9b62a1cf"
    );
}
