//! Code the benches and the soak test share, included by each with `#[path]` (a bench cannot
//! depend on another target). Each includer uses only part of it, so unused items are allowed.
#![allow(dead_code)]

pub mod harness;
pub mod soak;

/// The small benign JPEG (a 128x128 crop of the bridge photo) the image lookups send.
pub fn bridge_jpeg() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/pdq/data/bridge-mods/square-128x128.jpg"
    ))
    .expect("the bridge test image")
}
