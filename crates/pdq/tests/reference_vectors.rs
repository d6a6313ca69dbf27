//! The bit-exact targets: `cpp_core_pixels.csv` from Meta's C++ reference core, on every kernel
//! this CPU can run.

use std::io::Write;
use std::path::PathBuf;

use pdq::{Dihedral, Hash256, Hasher, ImageRef, Kernel, PixelFormat};

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/pdq")
}

struct Decoded {
    pixels: Vec<u8>,
    width: usize,
    height: usize,
    format: PixelFormat,
}

fn decode_png(path: &PathBuf) -> Decoded {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    buf.truncate(info.buffer_size());
    let format = match info.color_type {
        png::ColorType::Rgb => PixelFormat::Rgb,
        png::ColorType::Rgba => PixelFormat::Rgba,
        png::ColorType::Grayscale => PixelFormat::Grey,
        png::ColorType::GrayscaleAlpha => PixelFormat::GreyAlpha,
        other => panic!("unexpected colour type {other:?}"),
    };
    Decoded {
        pixels: buf,
        width: info.width as usize,
        height: info.height as usize,
        format,
    }
}

struct Row {
    file: String,
    width: usize,
    height: usize,
    channels: usize,
    hash: Hash256,
    quality: u8,
    dihedral: [Hash256; 8],
    dihedral_quality: u8,
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(testdata().join("expected/cpp_core_pixels.csv"))
        .expect("cpp_core_pixels.csv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 15, "{line}");
            let h = |s: &str| Hash256::parse(s).expect("hash");
            Row {
                file: f[0].to_string(),
                width: f[1].parse().expect("width"),
                height: f[2].parse().expect("height"),
                channels: f[3].parse().expect("channels"),
                hash: h(f[4]),
                quality: f[5].parse().expect("quality"),
                dihedral: core::array::from_fn(|i| h(f[6 + i])),
                dihedral_quality: f[14].parse().expect("quality"),
            }
        })
        .collect()
}

#[test]
fn every_kernel_reproduces_every_column_of_the_cpp_core() {
    let rows = rows();
    assert_eq!(rows.len(), 35);
    let kernels: Vec<Kernel> = Kernel::ALL
        .into_iter()
        .filter(|k| k.is_available())
        .collect();
    for missing in Kernel::ALL.iter().filter(|k| !kernels.contains(k)) {
        let _ = writeln!(
            std::io::stderr(),
            "note: kernel {} not available on this CPU, not tested",
            missing.name()
        );
    }
    let mut failures = Vec::new();
    for kernel in &kernels {
        let mut hasher = Hasher::with_kernel(*kernel).expect("kernel");
        let mut exact = 0;
        for row in &rows {
            let img = decode_png(&testdata().join(&row.file));
            assert_eq!(
                (img.width, img.height),
                (row.width, row.height),
                "{}",
                row.file
            );
            assert_eq!(img.format.channels(), row.channels, "{}", row.file);
            let image = ImageRef::new(&img.pixels, img.width, img.height, img.format).expect("img");
            let plain = hasher.hash(image).expect("hash");
            let dih = hasher.hash_dihedral(image).expect("dihedral");
            let ok = plain.hash == row.hash
                && plain.quality == row.quality
                && dih.hashes == row.dihedral
                && dih.quality == row.dihedral_quality;
            if ok {
                exact += 1;
            } else {
                failures.push(format!(
                    "{} {}: hash {} (want {}, distance {}), quality {} (want {}), dihedral {:?}",
                    kernel.name(),
                    row.file,
                    plain.hash,
                    row.hash,
                    plain.hash.distance(&row.hash),
                    plain.quality,
                    row.quality,
                    Dihedral::ALL
                        .iter()
                        .map(|d| dih.get(*d).distance(&row.dihedral[*d as usize]))
                        .collect::<Vec<_>>()
                ));
            }
        }
        let _ = writeln!(
            std::io::stderr(),
            "{}: {exact}/{} exact on every column",
            kernel.name(),
            rows.len()
        );
    }
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}

#[test]
fn luma_entry_point_matches_pixel_entry_point() {
    let img = decode_png(&testdata().join("synthetic/pattern-300x200.png"));
    let image = ImageRef::new(&img.pixels, img.width, img.height, img.format).expect("img");
    let mut hasher = Hasher::new();
    let from_pixels = hasher.hash(image).expect("hash");
    let luma: Vec<f32> = img
        .pixels
        .chunks_exact(3)
        .map(|p| {
            0.299f32 * f32::from(p[0]) + 0.587f32 * f32::from(p[1]) + 0.114f32 * f32::from(p[2])
        })
        .collect();
    let from_luma = hasher
        .hash_luma(&luma, img.width, img.height)
        .expect("luma");
    assert_eq!(from_pixels, from_luma);
}

#[test]
fn intermediate_dct_of_q0122_has_the_reference_median() {
    // The dump's trailing comment gives the Torben median; a hash whose threshold differs would
    // set a different number of bits.
    let text =
        std::fs::read_to_string(testdata().join("intermediate/q0122.dct16x16.txt")).expect("dump");
    let values: Vec<f32> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.split_whitespace())
        .map(|h| f32::from_bits(u32::from_str_radix(h, 16).expect("hex")))
        .collect();
    assert_eq!(values.len(), 256);
    let mut sorted = values.clone();
    sorted.sort_by(f32::total_cmp);
    let median = sorted[127];
    assert_eq!(median.to_bits(), 0xbeb09ba4);
    let above = values.iter().filter(|v| **v > median).count();
    let img = decode_png(&testdata().join("decoded/q0122.png"));
    let image = ImageRef::new(&img.pixels, img.width, img.height, img.format).expect("img");
    let out = Hasher::new().hash(image).expect("hash");
    assert_eq!(out.hash.count_ones() as usize, above);
}
