//! Bytes to pixels to fingerprints, with safety limits.
//!
//! The format is sniffed from magic bytes (never the file name). JPEG goes through libjpeg-turbo,
//! the decoder behind PIL, so the pixels (and so the PDQ hashes) equal those HMA and
//! python-threatexchange compute; PNG, GIF (first frame), WebP, BMP and TIFF go through `image`.
//! Dimensions are read from the header and checked against [`Limits`] before any pixel is
//! decoded, which stops decompression bombs. MD5 and SHA-256 are computed from the raw bytes.
//!
//! ```no_run
//! use lindung_media::{Fingerprinter, Options};
//!
//! let mut fp = Fingerprinter::new(Options::default());
//! let out = fp.fingerprint_file("photo.jpg".as_ref())?;
//! println!("{} q={} md5={}", out.pdq.hash, out.pdq.quality, out.digests.md5_hex());
//! # Ok::<(), lindung_media::MediaError>(())
//! ```
#![deny(missing_docs)]

mod decode;
mod digest;
mod sniff;

use std::fs::File;
use std::io::Read;
use std::path::Path;

pub mod video;
#[cfg(feature = "libav")]
pub mod video_libav;
pub mod vpdq;

pub use decode::{Decoded, decode, decode_for, resize_meta_cli};
pub use digest::Digests;
pub use sniff::{Format, sniff};

use pdq::{DihedralHashes, Hasher, PdqHash};

/// Resource limits, checked before the expensive work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted file, in bytes.
    pub max_file_bytes: u64,
    /// Largest accepted width x height, read from the header before decoding.
    pub max_pixels: u64,
}

impl Limits {
    /// 64 MiB.
    pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
    /// 100 megapixels.
    pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: Self::DEFAULT_MAX_FILE_BYTES,
            max_pixels: Self::DEFAULT_MAX_PIXELS,
        }
    }
}

/// Whose behaviour to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compat {
    /// HMA and python-threatexchange: hash at full resolution.
    #[default]
    Hma,
    /// Meta's C++ `pdq-photo-hasher`: an image over 512 pixels on either side is first resized
    /// to 512x512 by nearest neighbour. In-browser tools built from the C++ code do the same.
    MetaCli,
}

/// What to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// Size limits.
    pub limits: Limits,
    /// Resizing behaviour.
    pub compat: Compat,
    /// Also compute the eight dihedral hashes.
    pub dihedral: bool,
}

/// Everything computed for one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// The detected format.
    pub format: Format,
    /// Width of the decoded image (before any compatibility resize).
    pub width: usize,
    /// Height of the decoded image.
    pub height: usize,
    /// PDQ hash and quality.
    pub pdq: PdqHash,
    /// The eight dihedral hashes, when asked for.
    pub dihedral: Option<DihedralHashes>,
    /// Digests of the raw bytes.
    pub digests: Digests,
}

/// Why an input could not be fingerprinted. Every variant is a user-facing message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// Reading the file failed.
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    /// Zero bytes.
    #[error("file is empty")]
    Empty,
    /// Over the file-size limit.
    #[error("file is {size} bytes, over the limit of {max} bytes")]
    FileTooLarge {
        /// Bytes in the file (or read before stopping).
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The magic bytes match no supported format.
    #[error("not a supported image format (JPEG, PNG, GIF, WebP, BMP or TIFF)")]
    UnknownFormat,
    /// The header declares more pixels than the limit allows.
    #[error("{format} image is {width}x{height}, over the limit of {max} pixels")]
    TooManyPixels {
        /// The detected format.
        format: Format,
        /// Declared width.
        width: u64,
        /// Declared height.
        height: u64,
        /// The limit.
        max: u64,
    },
    /// The decoder rejected the data (truncated, corrupt or unsupported variant).
    #[error("corrupt or truncated {format}: {message}")]
    Corrupt {
        /// The detected format.
        format: Format,
        /// The decoder's explanation.
        message: String,
    },
    /// Hashing failed (inconsistent dimensions; a bug if it happens).
    #[error("hashing failed: {0}")]
    Hash(#[from] pdq::Error),
}

/// Fingerprints images one after another, reusing its buffers. Create one per thread.
#[derive(Debug)]
pub struct Fingerprinter {
    options: Options,
    hasher: Hasher,
}

impl Fingerprinter {
    /// A fingerprinter with the fastest PDQ kernel for this CPU.
    pub fn new(options: Options) -> Self {
        Fingerprinter {
            options,
            hasher: Hasher::new(),
        }
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Reads a file (refusing it early if it is over the size limit) and fingerprints it.
    pub fn fingerprint_file(&mut self, path: &Path) -> Result<Fingerprint, MediaError> {
        let max = self.options.limits.max_file_bytes;
        let mut file = File::open(path)?;
        let declared = file.metadata()?.len();
        if declared > max {
            return Err(MediaError::FileTooLarge {
                size: declared,
                max,
            });
        }
        // The file may grow between stat and read; `take` keeps the limit honest.
        let mut bytes = Vec::with_capacity(declared as usize);
        (&mut file).take(max + 1).read_to_end(&mut bytes)?;
        self.fingerprint_bytes(&bytes)
    }

    /// Fingerprints an image held in memory.
    pub fn fingerprint_bytes(&mut self, bytes: &[u8]) -> Result<Fingerprint, MediaError> {
        let limits = self.options.limits;
        if bytes.is_empty() {
            return Err(MediaError::Empty);
        }
        if bytes.len() as u64 > limits.max_file_bytes {
            return Err(MediaError::FileTooLarge {
                size: bytes.len() as u64,
                max: limits.max_file_bytes,
            });
        }
        let digests = Digests::of(bytes);
        let decoded = decode_for(bytes, &limits, self.options.compat)?;
        let (width, height) = (decoded.width, decoded.height);
        let decoded = match self.options.compat {
            Compat::Hma => decoded,
            Compat::MetaCli => resize_meta_cli(decoded),
        };
        let image = decoded.as_image_ref()?;
        let (pdq, dihedral) = if self.options.dihedral {
            let all = self.hasher.hash_dihedral(image)?;
            let pdq = PdqHash {
                hash: all.hashes[0],
                quality: all.quality,
            };
            (pdq, Some(all))
        } else {
            (self.hasher.hash(image)?, None)
        };
        Ok(Fingerprint {
            format: decoded.source_format,
            width,
            height,
            pdq,
            dihedral,
            digests,
        })
    }
}
