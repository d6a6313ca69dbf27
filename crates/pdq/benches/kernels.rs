//! Times each kernel on a decoded 1600x1004 RGB photo. Run with `cargo bench -p pdq`.
//! The comparison with the C++ core (through Python's `pdqhash`) is `benches/hash_vs_peers.sh`.

use std::path::PathBuf;
use std::time::Instant;

use pdq::{Hasher, ImageRef, Kernel, PixelFormat};

fn main() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/pdq/decoded/bridge-1-original.png");
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&path).expect("bridge png"),
    ));
    let mut reader = decoder.read_info().expect("png");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("frame");
    let (w, h) = (info.width as usize, info.height as usize);
    let image = ImageRef::new(&pixels, w, h, PixelFormat::Rgb).expect("image");
    println!("PDQ of a decoded {w}x{h} RGB buffer, best of 5 rounds, mean per hash");
    let only: Option<String> = std::env::args().nth(1).filter(|a| !a.starts_with("--"));
    for kernel in Kernel::ALL
        .into_iter()
        .filter(|k| k.is_available() && only.as_deref().is_none_or(|o| o == k.name()))
    {
        let mut hasher = Hasher::with_kernel(kernel).expect("kernel");
        // `cargo test --all-targets` runs this without `--bench`: one pass as a smoke test.
        let timing = std::env::args().any(|a| a == "--bench");
        let (rounds, iters) = match (timing, kernel) {
            (false, _) => (1, 1),
            (true, Kernel::Reference) => (5, 5),
            (true, _) => (5, 50),
        };
        let mut best = f64::MAX;
        for _ in 0..rounds {
            let start = Instant::now();
            for _ in 0..iters {
                std::hint::black_box(hasher.hash(image).expect("hash"));
            }
            best = best.min(start.elapsed().as_secs_f64() / iters as f64);
        }
        println!("  {:<10} {:>8.3} ms", kernel.name(), best * 1e3);
    }
}
