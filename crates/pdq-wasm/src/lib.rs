//! PDQ and MD5 behind a C ABI for `wasm32-unknown-unknown`, for hashing on the user's device.
//!
//! The page allocates buffers with [`alloc`], writes pixels or file chunks into them, calls the
//! hash functions, reads the results from memory, and calls [`reset`] before the next picture.
//! Every allocation of one picture is freed by that reset, so the allocator is a bump pointer.
#![no_std]

extern crate alloc;
#[cfg(not(target_arch = "wasm32"))]
extern crate std;

use alloc::boxed::Box;

use md5::{Digest, Md5};
use pdq::{Hasher, ImageRef, PixelFormat};

/// `pdq_hash` error codes (a hash returns its quality, 0 to 100).
pub const ERROR_FORMAT: i32 = -1;
pub const ERROR_IMAGE: i32 = -2;

/// `size` bytes aligned to 16, or null if memory cannot grow.
///
/// # Safety
/// The memory is valid until the next [`reset`].
#[unsafe(no_mangle)]
pub extern "C" fn alloc(size: usize) -> *mut u8 {
    match core::alloc::Layout::from_size_align(size.max(1), 16) {
        // SAFETY: the layout has a non-zero size.
        Ok(layout) => unsafe { alloc::alloc::alloc(layout) },
        Err(_) => core::ptr::null_mut(),
    }
}

/// Frees everything allocated so far (on wasm; a no-op natively, where tests free nothing).
#[unsafe(no_mangle)]
pub extern "C" fn reset() {
    #[cfg(target_arch = "wasm32")]
    heap::reset();
}

/// Hashes `width * height` pixels at `pixels` (`format`: 1 grey, 3 RGB, 4 RGBA) with PDQ and
/// writes the 32 hash bytes (the hex string's byte order) to `out`. Returns the quality, or a
/// negative error code.
///
/// # Safety
/// `pixels` must hold `width * height * format` readable bytes and `out` 32 writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pdq_hash(
    pixels: *const u8,
    width: usize,
    height: usize,
    format: u32,
    out: *mut u8,
) -> i32 {
    let format = match format {
        1 => PixelFormat::Grey,
        3 => PixelFormat::Rgb,
        4 => PixelFormat::Rgba,
        _ => return ERROR_FORMAT,
    };
    let Some(len) = width
        .checked_mul(height)
        .and_then(|n| n.checked_mul(format.channels()))
    else {
        return ERROR_IMAGE;
    };
    // SAFETY: the caller guarantees `len` readable bytes.
    let data = unsafe { core::slice::from_raw_parts(pixels, len) };
    let Ok(image) = ImageRef::new(data, width, height, format) else {
        return ERROR_IMAGE;
    };
    let Ok(found) = Hasher::new().hash(image) else {
        return ERROR_IMAGE;
    };
    // SAFETY: the caller guarantees 32 writable bytes.
    let out = unsafe { core::slice::from_raw_parts_mut(out, 32) };
    out.copy_from_slice(&found.hash.to_bytes());
    i32::from(found.quality)
}

/// A new MD5 state, for streaming a file through [`md5_update`].
#[unsafe(no_mangle)]
pub extern "C" fn md5_new() -> *mut Md5 {
    Box::into_raw(Box::new(Md5::new()))
}

/// Adds `len` bytes at `data` to the MD5 state.
///
/// # Safety
/// `state` must come from [`md5_new`] (and not be finished); `data` must hold `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn md5_update(state: *mut Md5, data: *const u8, len: usize) {
    // SAFETY: guaranteed by the caller.
    let (state, data) = unsafe { (&mut *state, core::slice::from_raw_parts(data, len)) };
    state.update(data);
}

/// Writes the 16-byte digest to `out` and frees the state.
///
/// # Safety
/// `state` must come from [`md5_new`]; `out` must hold 16 writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn md5_finish(state: *mut Md5, out: *mut u8) {
    // SAFETY: guaranteed by the caller; the state is consumed once.
    let (state, out) = unsafe {
        (
            Box::from_raw(state),
            core::slice::from_raw_parts_mut(out, 16),
        )
    };
    out.copy_from_slice(&state.finalize());
}

#[cfg(target_arch = "wasm32")]
mod heap {
    //! A bump allocator over the module's linear memory, reset between pictures.

    use core::alloc::{GlobalAlloc, Layout};
    use core::sync::atomic::{AtomicUsize, Ordering};

    const PAGE: usize = 65536;

    unsafe extern "C" {
        static __heap_base: u8;
    }

    /// The next free address; 0 until the first allocation.
    static NEXT: AtomicUsize = AtomicUsize::new(0);

    fn base() -> usize {
        // The linker defines the symbol; only its address is taken, which needs no `unsafe`.
        &raw const __heap_base as usize
    }

    pub fn reset() {
        NEXT.store(base(), Ordering::Relaxed);
    }

    struct Bump;

    unsafe impl GlobalAlloc for Bump {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let next = match NEXT.load(Ordering::Relaxed) {
                0 => base(),
                n => n,
            };
            let start = (next + layout.align() - 1) & !(layout.align() - 1);
            let Some(end) = start.checked_add(layout.size()) else {
                return core::ptr::null_mut();
            };
            let available = core::arch::wasm32::memory_size(0) * PAGE;
            if end > available {
                let pages = (end - available).div_ceil(PAGE);
                if core::arch::wasm32::memory_grow(0, pages) == usize::MAX {
                    return core::ptr::null_mut();
                }
            }
            NEXT.store(end, Ordering::Relaxed);
            start as *mut u8
        }

        unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
    }

    #[global_allocator]
    static ALLOCATOR: Bump = Bump;

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
        core::arch::wasm32::unreachable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_digests_equal_the_native_crates() {
        let (w, h) = (97usize, 61usize);
        let rgba: alloc::vec::Vec<u8> = (0..w * h)
            .flat_map(|i| {
                [
                    (i * 7 % 251) as u8,
                    (i / w * 3) as u8,
                    (i % w * 2) as u8,
                    255,
                ]
            })
            .collect();
        let mut out = [0u8; 32];
        // SAFETY: the buffers have the stated sizes.
        let quality = unsafe { pdq_hash(rgba.as_ptr(), w, h, 4, out.as_mut_ptr()) };
        let native = Hasher::new()
            .hash(ImageRef::new(&rgba, w, h, PixelFormat::Rgba).expect("image"))
            .expect("hash");
        assert_eq!(quality, i32::from(native.quality));
        assert_eq!(out, native.hash.to_bytes());
        // SAFETY: as above.
        assert_eq!(
            unsafe { pdq_hash(rgba.as_ptr(), w, h, 2, out.as_mut_ptr()) },
            ERROR_FORMAT
        );

        let state = md5_new();
        let mut digest = [0u8; 16];
        // SAFETY: the state is fresh and the buffers have the stated sizes.
        unsafe {
            md5_update(state, rgba.as_ptr(), 1000);
            md5_update(state, rgba.as_ptr().add(1000), rgba.len() - 1000);
            md5_finish(state, digest.as_mut_ptr());
        }
        assert_eq!(digest, <[u8; 16]>::from(Md5::digest(&rgba)));
    }
}
