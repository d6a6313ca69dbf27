//! The `lindung` command.

use std::process::ExitCode;

fn main() -> ExitCode {
    return_large_blocks_to_the_system();
    lindung::cli::run()
}

/// glibc raises its mmap threshold each time a large block is freed (up to 32 MiB), after which
/// argon2's 19 MiB working memory, taken for every PIN and password hashed, comes from the heap
/// arenas and stays there: a server taking one report a second grew by about 800 MiB an hour in
/// the soak (`benches/soak.sh`). A fixed threshold sends every block over 128 KiB to mmap, which
/// gives it back to the system when it is freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_system() {
    const THRESHOLD_BYTES: libc::c_int = 128 * 1024;
    // SAFETY: mallopt only sets a parameter of the allocator; it is called once, first thing,
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD_BYTES);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_system() {}
