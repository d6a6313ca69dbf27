//! Any bytes through `lindung::fuzzing::report_json`: errors are fine, panics and hangs are not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _reached = lindung::fuzzing::report_json(data);
});
