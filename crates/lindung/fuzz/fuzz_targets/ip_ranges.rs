//! Any bytes through `lindung::fuzzing::ip_ranges`: errors are fine, panics and hangs are not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _reached = lindung::fuzzing::ip_ranges(data);
});
