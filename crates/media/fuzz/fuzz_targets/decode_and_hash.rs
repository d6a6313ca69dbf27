//! Any bytes through sniffing, decoding and hashing: errors are fine, panics and hangs are not.
//! Limits are kept small so the fuzzer explores parsers rather than allocating large images.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lindung_media::{Compat, Fingerprinter, Limits, Options};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_file_bytes: 1 << 20,
        max_pixels: 4_000_000,
    };
    for compat in [Compat::Hma, Compat::MetaCli] {
        let mut fp = Fingerprinter::new(Options {
            limits,
            compat,
            dihedral: true,
        });
        if let Ok(out) = fp.fingerprint_bytes(data) {
            assert!(out.pdq.quality <= 100);
        }
    }
});
