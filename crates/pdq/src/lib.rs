//! Bit-exact PDQ perceptual hashing.
//!
//! PDQ is Meta's 256-bit perceptual hash for images. This crate reproduces the C++ reference core
//! bit for bit (hash, quality and the eight dihedral hashes), so hashes made here match hash lists
//! made with HMA, python-threatexchange and partners' tools.
//!
//! ```
//! use pdq::{Hasher, ImageRef, PixelFormat};
//!
//! // A 64x48 synthetic RGB gradient.
//! let (w, h) = (64usize, 48usize);
//! let pixels: Vec<u8> = (0..w * h)
//!     .flat_map(|i| [(i % w * 4) as u8, (i / w * 5) as u8, 128])
//!     .collect();
//! let mut hasher = Hasher::new();
//! let out = hasher.hash(ImageRef::new(&pixels, w, h, PixelFormat::Rgb)?)?;
//! println!("{} quality {}", out.hash, out.quality);
//! assert_eq!(out.hash.to_string().len(), 64);
//! # Ok::<(), pdq::Error>(())
//! ```
//!
//! The crate is `no_std` + `alloc` so that it builds for `wasm32-unknown-unknown`. With the `std`
//! feature (the default) it picks the fastest kernel for the CPU at run time; every kernel gives
//! identical output.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod core_math;
mod dct_table;
mod fast;
mod hash;
mod reference;
#[cfg(target_arch = "x86_64")]
mod transpose;

use core::fmt;

use alloc::vec::Vec;

pub use core_math::MIN_DIMENSION;
pub use hash::{Dihedral, Hash256, ParseHashError};

use core_math::Buffer64;
use fast::{LumaSource, Scratch};

/// How the pixels of an [`ImageRef`] are laid out: 8 bits per channel, rows packed with no
/// padding. Alpha is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// One grey channel.
    Grey,
    /// Grey then alpha; only grey is used.
    GreyAlpha,
    /// Red, green, blue.
    Rgb,
    /// Red, green, blue, alpha; alpha is ignored.
    Rgba,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub const fn channels(self) -> usize {
        match self {
            PixelFormat::Grey => 1,
            PixelFormat::GreyAlpha => 2,
            PixelFormat::Rgb => 3,
            PixelFormat::Rgba => 4,
        }
    }
}

/// A borrowed 8-bit image, checked to hold exactly `width * height` pixels.
#[derive(Debug, Clone, Copy)]
pub struct ImageRef<'a> {
    data: &'a [u8],
    width: usize,
    height: usize,
    format: PixelFormat,
}

impl<'a> ImageRef<'a> {
    /// Wraps packed pixels. Fails if `data` is not exactly `width * height * channels` bytes.
    pub fn new(
        data: &'a [u8],
        width: usize,
        height: usize,
        format: PixelFormat,
    ) -> Result<Self, Error> {
        let expected = width
            .checked_mul(height)
            .and_then(|n| n.checked_mul(format.channels()))
            .ok_or(Error::TooLarge { width, height })?;
        if data.len() != expected {
            return Err(Error::BufferSize {
                expected,
                actual: data.len(),
            });
        }
        Ok(ImageRef {
            data,
            width,
            height,
            format,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixel layout.
    pub fn format(&self) -> PixelFormat {
        self.format
    }

    /// The packed pixel bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
}

/// What can go wrong. Hashing itself cannot fail; only the inputs can be inconsistent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The pixel or luma buffer does not match the stated dimensions.
    BufferSize {
        /// Elements the dimensions call for.
        expected: usize,
        /// Elements given.
        actual: usize,
    },
    /// The dimensions overflow the address space.
    TooLarge {
        /// Width given.
        width: usize,
        /// Height given.
        height: usize,
    },
    /// The requested kernel needs a CPU feature this machine lacks.
    KernelUnavailable(Kernel),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BufferSize { expected, actual } => write!(
                f,
                "pixel buffer holds {actual} values but the dimensions need {expected}"
            ),
            Error::TooLarge { width, height } => {
                write!(f, "image dimensions {width}x{height} are too large")
            }
            Error::KernelUnavailable(k) => {
                write!(
                    f,
                    "the {} kernel needs a CPU feature this machine lacks",
                    k.name()
                )
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// A PDQ hash and its quality (0 to 100; below 50 is too weak to match on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdqHash {
    /// The hash.
    pub hash: Hash256,
    /// The reference image-domain quality metric, 0..=100.
    pub quality: u8,
}

/// The hashes of the eight dihedral transforms of an image, computed from one filtering pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DihedralHashes {
    /// In the order of [`Dihedral::ALL`].
    pub hashes: [Hash256; 8],
    /// Quality, shared by all eight.
    pub quality: u8,
}

impl DihedralHashes {
    /// The hash of one transform.
    pub fn get(&self, which: Dihedral) -> Hash256 {
        self.hashes[which as usize]
    }
}

/// An implementation of the float pipeline. All give bit-identical results; they differ only in
/// speed and in which CPUs can run them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// A literal port of the C++ reference, loop for loop. Slow; the oracle for the others.
    Reference,
    /// The streaming pipeline compiled for the baseline target (SSE2 on x86-64, scalar or
    /// simd128-free code on wasm32).
    Portable,
    /// The streaming pipeline compiled for AVX2.
    Avx2,
    /// The streaming pipeline compiled for AVX-512F.
    Avx512,
}

impl Kernel {
    /// Every kernel, slowest first.
    pub const ALL: [Kernel; 4] = [
        Kernel::Reference,
        Kernel::Portable,
        Kernel::Avx2,
        Kernel::Avx512,
    ];

    /// A short lowercase name.
    pub const fn name(self) -> &'static str {
        match self {
            Kernel::Reference => "reference",
            Kernel::Portable => "portable",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
        }
    }

    /// Whether this CPU can run the kernel.
    pub fn is_available(self) -> bool {
        match self {
            Kernel::Reference | Kernel::Portable => true,
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            Kernel::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            Kernel::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The fastest kernel this CPU can run. AVX2 comes first: the pipeline is bound by
    /// division and shuffle throughput, which AVX-512 does not raise, and measured slower.
    pub fn detect() -> Kernel {
        [Kernel::Avx2, Kernel::Avx512]
            .into_iter()
            .find(|k| k.is_available())
            .unwrap_or(Kernel::Portable)
    }
}

/// Hashes images, reusing its buffers between calls. Create one per thread.
pub struct Hasher {
    kernel: Kernel,
    scratch: Scratch,
    luma64: Vec<f32>,
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("kernel", &self.kernel)
            .finish()
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Hasher::new()
    }
}

impl Hasher {
    /// A hasher using the fastest kernel this CPU supports.
    pub fn new() -> Self {
        Hasher {
            kernel: Kernel::detect(),
            scratch: Scratch::default(),
            luma64: Vec::new(),
        }
    }

    /// A hasher using a given kernel, for tests and benchmarks.
    pub fn with_kernel(kernel: Kernel) -> Result<Self, Error> {
        if !kernel.is_available() {
            return Err(Error::KernelUnavailable(kernel));
        }
        Ok(Hasher {
            kernel,
            ..Hasher::new()
        })
    }

    /// The kernel in use.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// The PDQ hash of an image at full resolution, as `pdqHash256FromFloatLuma`.
    pub fn hash(&mut self, image: ImageRef<'_>) -> Result<PdqHash, Error> {
        Ok(self
            .run(LumaSource::Pixels(image), image.height, image.width, false)
            .0)
    }

    /// The eight dihedral hashes, as `pdqDihedralHash256esFromFloatLuma`.
    pub fn hash_dihedral(&mut self, image: ImageRef<'_>) -> Result<DihedralHashes, Error> {
        Ok(self
            .run(LumaSource::Pixels(image), image.height, image.width, true)
            .1)
    }

    /// The PDQ hash of a float luma image (`rows * cols` values, row-major).
    pub fn hash_luma(&mut self, luma: &[f32], cols: usize, rows: usize) -> Result<PdqHash, Error> {
        check_luma(luma, cols, rows)?;
        Ok(self
            .run(LumaSource::Luma { data: luma, cols }, rows, cols, false)
            .0)
    }

    /// The eight dihedral hashes of a float luma image.
    pub fn hash_luma_dihedral(
        &mut self,
        luma: &[f32],
        cols: usize,
        rows: usize,
    ) -> Result<DihedralHashes, Error> {
        check_luma(luma, cols, rows)?;
        Ok(self
            .run(LumaSource::Luma { data: luma, cols }, rows, cols, true)
            .1)
    }

    /// Runs the pipeline. Returns the plain hash and, when `dihedral` is set, the eight
    /// variants (otherwise zeros).
    fn run(
        &mut self,
        source: LumaSource<'_>,
        rows: usize,
        cols: usize,
        dihedral: bool,
    ) -> (PdqHash, DihedralHashes) {
        let zero = (
            PdqHash {
                hash: Hash256::ZERO,
                quality: 0,
            },
            DihedralHashes {
                hashes: [Hash256::ZERO; 8],
                quality: 0,
            },
        );
        if rows < MIN_DIMENSION || cols < MIN_DIMENSION {
            return zero;
        }
        let mut buffer: Buffer64 = [0.0; 64 * 64];
        let mut dct = [0.0f32; 256];
        // The reference's non-dihedral entry point hashes an exactly 64x64 image unfiltered.
        let skip_filter = !dihedral && rows == 64 && cols == 64;
        self.filter(source, rows, cols, skip_filter, &mut buffer);
        let quality = core_math::quality(&buffer);
        self.dct(&buffer, &mut dct);
        if dihedral {
            let hashes = core_math::dihedral_hashes(&dct);
            let plain = PdqHash {
                hash: hashes[0],
                quality,
            };
            (plain, DihedralHashes { hashes, quality })
        } else {
            let plain = PdqHash {
                hash: core_math::threshold(&dct),
                quality,
            };
            (plain, zero.1)
        }
    }

    fn filter(
        &mut self,
        source: LumaSource<'_>,
        rows: usize,
        cols: usize,
        skip_filter: bool,
        out: &mut Buffer64,
    ) {
        if skip_filter {
            self.luma64.resize(64 * 64, 0.0);
            fast::full_luma(source, 64, 64, &mut self.luma64);
            out.copy_from_slice(&self.luma64);
            return;
        }
        let scratch = &mut self.scratch;
        match self.kernel {
            Kernel::Reference => {
                let mut luma = alloc::vec![0.0f32; rows * cols];
                fast::full_luma(source, rows, cols, &mut luma);
                let (wr, wc) = (core_math::window_size(cols), core_math::window_size(rows));
                reference::filter_and_decimate(&luma, rows, cols, wr, wc, out);
            }
            Kernel::Portable => fast::filter_and_decimate::<8, fast::ScalarTranspose>(
                source, rows, cols, scratch, out,
            ),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `with_kernel` and `detect` only choose Avx2 after checking the CPU has it.
            Kernel::Avx2 => unsafe { simd::filter_avx2(source, rows, cols, scratch, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above, for AVX-512F.
            Kernel::Avx512 => unsafe { simd::filter_avx512(source, rows, cols, scratch, out) },
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Avx2 | Kernel::Avx512 => fast::filter_and_decimate::<8, fast::ScalarTranspose>(
                source, rows, cols, scratch, out,
            ),
        }
    }

    fn dct(&self, buffer: &Buffer64, out: &mut [f32; 256]) {
        match self.kernel {
            Kernel::Reference => reference::dct64_to_16(buffer, &core_math::DCT, out),
            Kernel::Portable => fast::dct64_to_16(buffer, out),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the kernel was chosen only after checking the CPU feature.
            Kernel::Avx2 => unsafe { simd::dct_avx2(buffer, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Kernel::Avx512 => unsafe { simd::dct_avx512(buffer, out) },
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Avx2 | Kernel::Avx512 => fast::dct64_to_16(buffer, out),
        }
    }
}

fn check_luma(luma: &[f32], cols: usize, rows: usize) -> Result<(), Error> {
    let expected = cols.checked_mul(rows).ok_or(Error::TooLarge {
        width: cols,
        height: rows,
    })?;
    if luma.len() != expected {
        return Err(Error::BufferSize {
            expected,
            actual: luma.len(),
        });
    }
    Ok(())
}

/// The same generic pipeline, compiled with wider vector units enabled. Only LLVM's code
/// generation differs: the operations, and so the bits, are those of `fast`.
#[cfg(target_arch = "x86_64")]
mod simd {
    use super::{Buffer64, LumaSource, Scratch, fast, transpose};

    #[target_feature(enable = "avx2")]
    pub(super) fn filter_avx2(
        source: LumaSource<'_>,
        rows: usize,
        cols: usize,
        scratch: &mut Scratch,
        out: &mut Buffer64,
    ) {
        fast::filter_and_decimate::<16, transpose::Avx>(source, rows, cols, scratch, out)
    }

    #[target_feature(enable = "avx512f")]
    pub(super) fn filter_avx512(
        source: LumaSource<'_>,
        rows: usize,
        cols: usize,
        scratch: &mut Scratch,
        out: &mut Buffer64,
    ) {
        fast::filter_and_decimate::<32, transpose::Avx>(source, rows, cols, scratch, out)
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn dct_avx2(buffer: &Buffer64, out: &mut [f32; 256]) {
        fast::dct64_to_16(buffer, out)
    }

    #[target_feature(enable = "avx512f")]
    pub(super) fn dct_avx512(buffer: &Buffer64, out: &mut [f32; 256]) {
        fast::dct64_to_16(buffer, out)
    }
}
