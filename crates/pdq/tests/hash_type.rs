//! `Hash256` text form, distance, and every error the crate returns.

use pdq::{Error, Hash256, Hasher, ImageRef, Kernel, ParseHashError, PixelFormat};

const BRIDGE: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

#[test]
fn hex_round_trips_in_reference_order() {
    let h = Hash256::parse(BRIDGE).expect("parse");
    assert_eq!(h.to_string(), BRIDGE);
    assert_eq!(h.words()[0], 0xf8f8_f0ce_e0f4_a84f);
    assert_eq!(Hash256::from_bytes(h.to_bytes()), h);
    assert_eq!(h.to_bytes()[0], 0xf8);
    // Bit 0 (coefficient (0,0)) is the lowest bit of the last hex digit: 0x2 -> clear, bit 1 set.
    assert!(!h.bit(0));
    assert!(h.bit(1));
    // Bit 255 is the top bit of the first digit (0xf).
    assert!(h.bit(255));
}

#[test]
fn upper_case_is_accepted_and_printed_lower() {
    let h = Hash256::parse(&BRIDGE.to_uppercase()).expect("parse");
    assert_eq!(h.to_string(), BRIDGE);
}

#[test]
fn parse_errors_say_what_is_wrong() {
    assert_eq!(Hash256::parse("abc"), Err(ParseHashError::Length(3)));
    assert_eq!(
        Hash256::parse(&BRIDGE[..63]).map_err(|e| e.to_string()),
        Err("a PDQ hash has 64 hex digits, this has 63 characters".to_string())
    );
    let mut bad = BRIDGE.to_string();
    bad.replace_range(10..11, "g");
    assert_eq!(Hash256::parse(&bad), Err(ParseHashError::NotHex(10)));
    assert_eq!(
        ParseHashError::NotHex(10).to_string(),
        "a PDQ hash has only hex digits, character 11 is not"
    );
    // 64 bytes of multi-byte characters: the first non-hex byte is reported, and since every
    // byte before it is an ASCII digit its offset is also its character index.
    assert_eq!(
        Hash256::parse(&"é".repeat(32)),
        Err(ParseHashError::NotHex(0))
    );
    let mut late = BRIDGE[..62].to_string();
    late.push('é');
    assert_eq!(Hash256::parse(&late), Err(ParseHashError::NotHex(62)));
}

#[test]
fn distance_is_the_popcount_of_xor() {
    let a = Hash256::parse(BRIDGE).expect("parse");
    assert_eq!(a.distance(&a), 0);
    assert_eq!(a.distance(&Hash256::ZERO), a.count_ones());
    let flipped = Hash256::from_words([
        a.words()[0] ^ 0b1011,
        a.words()[1],
        a.words()[2],
        !a.words()[3],
    ]);
    assert_eq!(a.distance(&flipped), 3 + 64);
    assert_eq!(flipped.distance(&a), 3 + 64);
}

#[test]
fn buffer_size_mismatch_is_an_error() {
    let pixels = vec![0u8; 10 * 10 * 3 - 1];
    assert_eq!(
        ImageRef::new(&pixels, 10, 10, PixelFormat::Rgb).err(),
        Some(Error::BufferSize {
            expected: 300,
            actual: 299
        })
    );
    let luma = vec![0.0f32; 99];
    assert_eq!(
        Hasher::new().hash_luma(&luma, 10, 10).err(),
        Some(Error::BufferSize {
            expected: 100,
            actual: 99
        })
    );
}

#[test]
fn overflowing_dimensions_are_an_error() {
    assert_eq!(
        ImageRef::new(&[], usize::MAX, 2, PixelFormat::Grey).err(),
        Some(Error::TooLarge {
            width: usize::MAX,
            height: 2
        })
    );
}

#[test]
fn unavailable_kernels_are_refused_not_run() {
    for kernel in Kernel::ALL {
        match Hasher::with_kernel(kernel) {
            Ok(h) => assert_eq!(h.kernel(), kernel),
            Err(e) => assert_eq!(e, Error::KernelUnavailable(kernel)),
        }
    }
    assert!(Kernel::detect().is_available());
}

#[test]
fn images_under_five_pixels_hash_to_zero() {
    let pixels = vec![200u8; 4 * 100];
    let out = Hasher::new()
        .hash(ImageRef::new(&pixels, 4, 100, PixelFormat::Grey).expect("image"))
        .expect("hash");
    assert_eq!((out.hash, out.quality), (Hash256::ZERO, 0));
}

#[test]
fn rgba_and_grey_alpha_ignore_alpha() {
    let (w, h) = (40usize, 30usize);
    let rgb: Vec<u8> = (0..w * h)
        .flat_map(|i| [(i * 7) as u8, (i * 3) as u8, (i / 5) as u8])
        .collect();
    let rgba: Vec<u8> = rgb.chunks(3).flat_map(|p| [p[0], p[1], p[2], 17]).collect();
    let mut hasher = Hasher::new();
    let a = hasher
        .hash(ImageRef::new(&rgb, w, h, PixelFormat::Rgb).expect("rgb"))
        .expect("hash");
    let b = hasher
        .hash(ImageRef::new(&rgba, w, h, PixelFormat::Rgba).expect("rgba"))
        .expect("hash");
    assert_eq!(a, b);
    let grey: Vec<u8> = (0..w * h).map(|i| (i * 11) as u8).collect();
    let grey_alpha: Vec<u8> = grey.iter().flat_map(|&g| [g, 255 - g]).collect();
    let c = hasher
        .hash(ImageRef::new(&grey, w, h, PixelFormat::Grey).expect("g"))
        .expect("hash");
    let d = hasher
        .hash(ImageRef::new(&grey_alpha, w, h, PixelFormat::GreyAlpha).expect("ga"))
        .expect("hash");
    assert_eq!(c, d);
}
