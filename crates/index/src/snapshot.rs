//! Snapshot files: one base segment, laid out so it can be memory-mapped and used in place.
//!
//! ```text
//! header (128 bytes): magic "LINDUNGI", version u32, substring count u32, code count u64,
//!                     file length u64, substring lengths (16 x u8), zero padding
//! ids      u64 x n            (each section starts on a 64-byte boundary)
//! codes    [u64; 4] x n
//! per substring: offsets u32 x (2^bits + 1), postings u32 x n
//! trailer (16 bytes): xxh3-64 of every byte before it, then "LINDEND\0"
//! ```
//!
//! All integers are little-endian. The layout is fully determined by the header, so a file of
//! the wrong length is reported as truncated before anything else is read.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::MmapOptions;
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::mih::{Substring, Tables};
use crate::segment::Segment;
use crate::store::Array;

const MAGIC: &[u8; 8] = b"LINDUNGI";
const TRAILER_MAGIC: &[u8; 8] = b"LINDEND\0";
/// The snapshot format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 128;
const TRAILER_LEN: usize = 16;
const MAX_SUBSTRINGS: usize = 16;

/// Why a snapshot could not be written or loaded. Every variant means "rebuild from the source
/// of truth"; none leaves a partly loaded index behind.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Reading or writing the file failed.
    #[error("snapshot {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file does not start with the snapshot magic bytes.
    #[error("{0} is not a Lindung index snapshot")]
    NotASnapshot(PathBuf),
    /// The file was written by a different, incompatible format version.
    #[error(
        "snapshot {path} has format version {found}; this build reads version {FORMAT_VERSION}"
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
    },
    /// The file is shorter or longer than its header says.
    #[error(
        "snapshot {path} is truncated or padded: {actual} bytes, the header implies {expected}"
    )]
    WrongLength {
        /// The file.
        path: PathBuf,
        /// Length implied by the header.
        expected: u64,
        /// Actual length.
        actual: u64,
    },
    /// The checksum does not match the contents.
    #[error("snapshot {0} is corrupt: checksum mismatch")]
    ChecksumMismatch(PathBuf),
    /// The checksum matches but the contents are not a valid index.
    #[error("snapshot {path} is invalid: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Whether a file starting with `prefix` (its first 8 bytes or more) is an index snapshot.
pub fn is_snapshot(prefix: &[u8]) -> bool {
    prefix.starts_with(MAGIC)
}

fn align64(n: usize) -> usize {
    n.div_ceil(64) * 64
}

/// Byte offsets of every section for `n` codes and the given substring lengths.
struct Layout {
    ids: usize,
    codes: usize,
    /// Per substring: (offsets start, postings start).
    tables: Vec<(usize, usize)>,
    trailer: usize,
}

impl Layout {
    fn new(n: usize, bits: &[u8]) -> Option<Layout> {
        let ids = HEADER_LEN;
        let codes = align64(ids.checked_add(n.checked_mul(8)?)?);
        let mut at = align64(codes.checked_add(n.checked_mul(32)?)?);
        let mut tables = Vec::with_capacity(bits.len());
        for &b in bits {
            let offsets = at;
            let buckets = (1usize << b).checked_add(1)?;
            let postings = align64(offsets.checked_add(buckets.checked_mul(4)?)?);
            at = align64(postings.checked_add(n.checked_mul(4)?)?);
            tables.push((offsets, postings));
        }
        Some(Layout {
            ids,
            codes,
            tables,
            trailer: at,
        })
    }

    fn file_len(&self) -> usize {
        self.trailer + TRAILER_LEN
    }
}

struct ChecksummedWriter<W: Write> {
    inner: W,
    hasher: Xxh3,
    written: usize,
}

impl<W: Write> ChecksummedWriter<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.written += bytes.len();
        self.inner.write_all(bytes)
    }

    fn pad_to(&mut self, offset: usize) -> io::Result<()> {
        let zeros = [0u8; 64];
        while self.written < offset {
            let n = (offset - self.written).min(64);
            self.put(&zeros[..n])?;
        }
        Ok(())
    }
}

pub(crate) fn save(segment: &Segment, path: &Path) -> Result<(), SnapshotError> {
    let io_err = |source| SnapshotError::Io {
        path: path.to_owned(),
        source,
    };
    let n = segment.len();
    let substrings: &[Substring] = segment
        .tables
        .as_ref()
        .map_or(&[], |t| t.substrings.as_slice());
    let bits: Vec<u8> = substrings.iter().map(|s| s.bits).collect();
    let layout = Layout::new(n, &bits).ok_or_else(|| SnapshotError::Invalid {
        path: path.to_owned(),
        reason: "index too large for the snapshot format".into(),
    })?;

    let mut header = [0u8; HEADER_LEN];
    header[..8].copy_from_slice(MAGIC);
    header[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    header[12..16].copy_from_slice(&(bits.len() as u32).to_le_bytes());
    header[16..24].copy_from_slice(&(n as u64).to_le_bytes());
    header[24..32].copy_from_slice(&(layout.file_len() as u64).to_le_bytes());
    header[32..32 + bits.len()].copy_from_slice(&bits);

    let temporary = path.with_extension("partial");
    let file = File::create(&temporary).map_err(io_err)?;
    let mut out = ChecksummedWriter {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: Xxh3::new(),
        written: 0,
    };
    let body = (|| -> io::Result<()> {
        out.put(&header)?;
        out.put(bytemuck::cast_slice(segment.ids.as_slice()))?;
        out.pad_to(layout.codes)?;
        out.put(bytemuck::cast_slice(segment.codes.as_slice()))?;
        if let Some(tables) = &segment.tables {
            for ((offsets, postings), &(offsets_at, postings_at)) in tables
                .offsets
                .iter()
                .zip(&tables.postings)
                .zip(&layout.tables)
            {
                out.pad_to(offsets_at)?;
                out.put(bytemuck::cast_slice(offsets.as_slice()))?;
                out.pad_to(postings_at)?;
                out.put(bytemuck::cast_slice(postings.as_slice()))?;
            }
        }
        out.pad_to(layout.trailer)?;
        let checksum = out.hasher.digest();
        out.inner.write_all(&checksum.to_le_bytes())?;
        out.inner.write_all(TRAILER_MAGIC)?;
        let file = out
            .inner
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        file.sync_all()
    })();
    if let Err(source) = body {
        let _ = std::fs::remove_file(&temporary);
        return Err(io_err(source));
    }
    std::fs::rename(&temporary, path).map_err(io_err)
}

pub(crate) fn load(path: &Path) -> Result<Segment, SnapshotError> {
    let io_err = |source| SnapshotError::Io {
        path: path.to_owned(),
        source,
    };
    let invalid = |reason: &str| SnapshotError::Invalid {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    if cfg!(target_endian = "big") {
        return Err(invalid("snapshots are little-endian; this machine is not"));
    }
    let file = File::open(path).map_err(io_err)?;
    let actual = file.metadata().map_err(io_err)?.len();
    if actual < 8 {
        return Err(SnapshotError::NotASnapshot(path.to_owned()));
    }
    // SAFETY: the mapping is read-only, and snapshot files are never modified in place (save
    // writes a new file and renames it). Every byte is checksummed and validated before use.
    let map = unsafe { MmapOptions::new().populate().map(&file) }.map_err(io_err)?;
    let map = Arc::new(map);
    if &map[..8] != MAGIC {
        return Err(SnapshotError::NotASnapshot(path.to_owned()));
    }
    if map.len() < HEADER_LEN + TRAILER_LEN {
        return Err(SnapshotError::WrongLength {
            path: path.to_owned(),
            expected: (HEADER_LEN + TRAILER_LEN) as u64,
            actual,
        });
    }
    let u32_at = |at: usize| u32::from_le_bytes([map[at], map[at + 1], map[at + 2], map[at + 3]]);
    let u64_at = |at: usize| u64::from(u32_at(at)) | (u64::from(u32_at(at + 4)) << 32);
    let version = u32_at(8);
    if version != FORMAT_VERSION {
        return Err(SnapshotError::UnsupportedVersion {
            path: path.to_owned(),
            found: version,
        });
    }
    let m = u32_at(12) as usize;
    let n = u64_at(16);
    let declared_len = u64_at(24);
    if m > MAX_SUBSTRINGS {
        return Err(invalid("too many substrings"));
    }
    let bits: Vec<u8> = map[32..32 + m].to_vec();
    if m > 0
        && (bits.iter().any(|&b| b == 0 || b > 32)
            || bits.iter().map(|&b| u32::from(b)).sum::<u32>() != 256)
    {
        return Err(invalid("substring lengths do not cover 256 bits"));
    }
    let n = usize::try_from(n)
        .ok()
        .filter(|&n| n < u32::MAX as usize)
        .ok_or_else(|| invalid("code count out of range"))?;
    let layout = Layout::new(n, &bits).ok_or_else(|| invalid("code count out of range"))?;
    let expected = layout.file_len() as u64;
    if actual != expected || declared_len != expected {
        return Err(SnapshotError::WrongLength {
            path: path.to_owned(),
            expected,
            actual,
        });
    }
    let stored = u64_at(layout.trailer);
    if &map[layout.trailer + 8..layout.trailer + 16] != TRAILER_MAGIC
        || xxh3_64(&map[..layout.trailer]) != stored
    {
        return Err(SnapshotError::ChecksumMismatch(path.to_owned()));
    }

    let misaligned = || invalid("misaligned section");
    let ids = Array::<u64>::mapped(&map, layout.ids, n).ok_or_else(misaligned)?;
    let codes = Array::<crate::Code>::mapped(&map, layout.codes, n).ok_or_else(misaligned)?;
    if ids.as_slice().windows(2).any(|w| w[0] >= w[1]) {
        return Err(invalid("ids are not strictly increasing"));
    }
    let tables = if m == 0 {
        None
    } else {
        let mut start = 0u16;
        let mut substrings = Vec::with_capacity(m);
        let mut offsets = Vec::with_capacity(m);
        let mut postings = Vec::with_capacity(m);
        for (&b, &(offsets_at, postings_at)) in bits.iter().zip(&layout.tables) {
            substrings.push(Substring { start, bits: b });
            start += u16::from(b);
            let table_offsets =
                Array::<u32>::mapped(&map, offsets_at, (1usize << b) + 1).ok_or_else(misaligned)?;
            let table_postings =
                Array::<u32>::mapped(&map, postings_at, n).ok_or_else(misaligned)?;
            let o = table_offsets.as_slice();
            if o.first() != Some(&0)
                || o.last() != Some(&(n as u32))
                || o.windows(2).any(|w| w[0] > w[1])
            {
                return Err(invalid("substring offsets are not a valid partition"));
            }
            if table_postings.as_slice().iter().any(|&p| p as usize >= n) {
                return Err(invalid("a posting points past the last code"));
            }
            offsets.push(table_offsets);
            postings.push(table_postings);
        }
        Some(Tables::new(substrings, offsets, postings))
    };
    Ok(Segment { ids, codes, tables })
}
