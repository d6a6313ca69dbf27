use core::fmt;
use core::str::FromStr;

/// A 256-bit PDQ hash.
///
/// Bit `k` (0 = least significant) is DCT coefficient `(k / 16, k % 16)`. The hex form is the
/// reference `Hash256::format()` order: a big-endian 256-bit integer, 64 lowercase digits.
/// `words[0]` holds the most significant 64 bits, so the in-memory order matches the text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash256 {
    words: [u64; 4],
}

/// Why a string is not a PDQ hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseHashError {
    /// The string does not have exactly 64 characters.
    Length(usize),
    /// The character at this byte offset is not a hex digit.
    NotHex(usize),
}

impl fmt::Display for ParseHashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseHashError::Length(n) => {
                write!(f, "a PDQ hash has 64 hex digits, this has {n} characters")
            }
            ParseHashError::NotHex(at) => {
                write!(
                    f,
                    "a PDQ hash has only hex digits, character {} is not",
                    at + 1
                )
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ParseHashError {}

impl Hash256 {
    /// The all-zero hash: what images too small to hash get.
    pub const ZERO: Hash256 = Hash256 { words: [0; 4] };

    /// Builds a hash from its four 64-bit words, most significant first.
    pub const fn from_words(words: [u64; 4]) -> Self {
        Hash256 { words }
    }

    /// The four 64-bit words, most significant first.
    pub const fn words(&self) -> [u64; 4] {
        self.words
    }

    /// The 32 bytes in hex order (big-endian).
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(8).zip(self.words) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// Builds a hash from 32 bytes in hex order (big-endian).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut words = [0u64; 4];
        for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *word = u64::from_be_bytes(b);
        }
        Hash256 { words }
    }

    /// Whether bit `k` (coefficient `k`) is set. `k` must be below 256.
    pub fn bit(&self, k: usize) -> bool {
        debug_assert!(k < 256);
        (self.words[3 - (k >> 6)] >> (k & 63)) & 1 == 1
    }

    pub(crate) fn set_bit(&mut self, k: usize) {
        self.words[3 - (k >> 6)] |= 1u64 << (k & 63);
    }

    /// Hamming distance: the number of differing bits.
    pub fn distance(&self, other: &Hash256) -> u32 {
        self.words
            .iter()
            .zip(other.words.iter())
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }

    /// The number of set bits.
    pub fn count_ones(&self) -> u32 {
        self.words.iter().map(|w| w.count_ones()).sum()
    }

    /// Parses 64 hex digits (either case) in the reference order.
    pub fn parse(text: &str) -> Result<Self, ParseHashError> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(ParseHashError::Length(text.chars().count()));
        }
        let mut words = [0u64; 4];
        for (i, &c) in bytes.iter().enumerate() {
            let digit = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return Err(ParseHashError::NotHex(i)),
            };
            words[i / 16] = (words[i / 16] << 4) | u64::from(digit);
        }
        Ok(Hash256 { words })
    }

    /// Writes the 64 lowercase hex digits into `out`.
    pub fn write_hex(&self, out: &mut [u8; 64]) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for (i, slot) in out.iter_mut().enumerate() {
            let nibble = (self.words[i / 16] >> (60 - 4 * (i % 16))) & 0xf;
            *slot = DIGITS[nibble as usize];
        }
    }
}

impl fmt::Display for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 64];
        self.write_hex(&mut buf);
        // write_hex emits only ASCII hex digits.
        f.write_str(core::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash256({self})")
    }
}

impl FromStr for Hash256 {
    type Err = ParseHashError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Hash256::parse(s)
    }
}

/// The eight dihedral transforms, in the order used throughout this project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dihedral {
    /// The image as given.
    Original,
    /// Rotated 90 degrees.
    Rotate90,
    /// Rotated 180 degrees.
    Rotate180,
    /// Rotated 270 degrees.
    Rotate270,
    /// Mirrored left to right.
    FlipX,
    /// Mirrored top to bottom.
    FlipY,
    /// Mirrored about the main diagonal (transpose).
    FlipPlus1,
    /// Mirrored about the anti-diagonal.
    FlipMinus1,
}

impl Dihedral {
    /// All eight, in the order `orig, rot90, rot180, rot270, flipx, flipy, flipplus1, flipminus1`.
    pub const ALL: [Dihedral; 8] = [
        Dihedral::Original,
        Dihedral::Rotate90,
        Dihedral::Rotate180,
        Dihedral::Rotate270,
        Dihedral::FlipX,
        Dihedral::FlipY,
        Dihedral::FlipPlus1,
        Dihedral::FlipMinus1,
    ];

    /// The short name used in CSV headers and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Dihedral::Original => "orig",
            Dihedral::Rotate90 => "rot90",
            Dihedral::Rotate180 => "rot180",
            Dihedral::Rotate270 => "rot270",
            Dihedral::FlipX => "flipx",
            Dihedral::FlipY => "flipy",
            Dihedral::FlipPlus1 => "flipplus1",
            Dihedral::FlipMinus1 => "flipminus1",
        }
    }
}
