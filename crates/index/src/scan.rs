//! Linear scan: the distance from a few queries to every code of a contiguous array.
//!
//! Three kernels give identical results and are chosen at run time: AVX-512 with VPOPCNTDQ
//! (two codes per register), AVX2 (nibble-table popcount, four codes per step) and a portable
//! scalar loop. A scan reports each code whose smallest distance to any of the queries is within
//! the radius, so one pass serves all eight dihedral variants of an image.

use crate::Code;

/// Which linear-scan implementation to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScanKernel {
    /// Portable Rust; runs everywhere.
    Scalar,
    /// x86-64 AVX2 with hardware `popcnt`.
    Avx2,
    /// x86-64 AVX-512F with VPOPCNTDQ.
    Avx512,
}

impl ScanKernel {
    /// Every kernel, slowest first.
    pub const ALL: [ScanKernel; 3] = [ScanKernel::Scalar, ScanKernel::Avx2, ScanKernel::Avx512];

    /// The fastest kernel this CPU supports.
    pub fn detect() -> Self {
        if ScanKernel::Avx512.is_available() {
            ScanKernel::Avx512
        } else if ScanKernel::Avx2.is_available() {
            ScanKernel::Avx2
        } else {
            ScanKernel::Scalar
        }
    }

    /// Whether this CPU can run the kernel.
    pub fn is_available(self) -> bool {
        match self {
            ScanKernel::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            ScanKernel::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("popcnt")
            }
            #[cfg(target_arch = "x86_64")]
            ScanKernel::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vpopcntdq")
                    && std::arch::is_x86_feature_detected!("popcnt")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// Short lower-case name, as used on the command line and in benchmark output.
    pub fn name(self) -> &'static str {
        match self {
            ScanKernel::Scalar => "scalar",
            ScanKernel::Avx2 => "avx2",
            ScanKernel::Avx512 => "avx512",
        }
    }
}

/// Hamming distance between two codes.
#[inline(always)]
pub(crate) fn distance(a: &Code, b: &Code) -> u32 {
    (a[0] ^ b[0]).count_ones()
        + (a[1] ^ b[1]).count_ones()
        + (a[2] ^ b[2]).count_ones()
        + (a[3] ^ b[3]).count_ones()
}

/// Smallest distance from `code` to any query.
#[inline(always)]
fn min_distance(code: &Code, queries: &[Code]) -> u32 {
    queries
        .iter()
        .map(|q| distance(code, q))
        .min()
        .unwrap_or(u32::MAX)
}

/// Appends `(first_position + i, d)` for every `codes[i]` whose smallest distance `d` to the
/// queries is at most `radius`. An unavailable kernel falls back to the scalar one.
pub(crate) fn scan(
    kernel: ScanKernel,
    codes: &[Code],
    queries: &[Code],
    radius: u32,
    first_position: u32,
    out: &mut Vec<(u32, u32)>,
) {
    if queries.is_empty() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if kernel == ScanKernel::Avx512 && kernel.is_available() {
            // SAFETY: the features the function enables were detected on this CPU just above.
            unsafe { x86::scan_avx512(codes, queries, radius, first_position, out) };
            return;
        }
        if kernel == ScanKernel::Avx2 && kernel.is_available() {
            // SAFETY: as above.
            unsafe { x86::scan_avx2(codes, queries, radius, first_position, out) };
            return;
        }
    }
    let _ = kernel;
    scan_scalar(codes, queries, radius, first_position, out);
}

#[inline(always)]
fn scan_scalar(
    codes: &[Code],
    queries: &[Code],
    radius: u32,
    first_position: u32,
    out: &mut Vec<(u32, u32)>,
) {
    for (i, code) in codes.iter().enumerate() {
        let d = min_distance(code, queries);
        if d <= radius {
            out.push((first_position + i as u32, d));
        }
    }
}

/// Runs a SIMD filter over blocks of `BLOCK` codes and re-checks flagged blocks exactly in
/// scalar code, then scans the tail. Hits are rare, so the vector filter only has to say
/// "something in these codes may be close".
#[inline(always)]
fn scan_blocks<const BLOCK: usize>(
    codes: &[Code],
    queries: &[Code],
    radius: u32,
    first_position: u32,
    out: &mut Vec<(u32, u32)>,
    mut may_hit: impl FnMut(&[Code]) -> bool,
) {
    let mut blocks = codes.chunks_exact(BLOCK);
    let mut position = first_position;
    for block in &mut blocks {
        if may_hit(block) {
            scan_scalar(block, queries, radius, position, out);
        }
        position += BLOCK as u32;
    }
    scan_scalar(blocks.remainder(), queries, radius, position, out);
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Code, scan_blocks};
    use std::arch::x86_64::*;

    /// Eight codes per step: four registers of two codes each, popcount per 64-bit lane, then a
    /// lane reduction to one distance per code.
    #[target_feature(enable = "avx512f,avx512vpopcntdq,popcnt")]
    pub(super) unsafe fn scan_avx512(
        codes: &[Code],
        queries: &[Code],
        radius: u32,
        first_position: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        let limit = _mm512_set1_epi64(i64::from(radius));
        let broadcast: Vec<__m512i> = queries
            .iter()
            .map(|q| {
                // SAFETY: `q` is 32 readable bytes.
                let q256 = unsafe { _mm256_loadu_si256(q.as_ptr().cast()) };
                _mm512_broadcast_i64x4(q256)
            })
            .collect();
        scan_blocks::<8>(codes, queries, radius, first_position, out, |block| {
            let ptr = block.as_ptr().cast::<__m512i>();
            // SAFETY: the block holds 8 codes = 256 bytes = four unaligned 512-bit loads.
            let (a, b, c, d) = unsafe {
                (
                    _mm512_loadu_si512(ptr),
                    _mm512_loadu_si512(ptr.add(1)),
                    _mm512_loadu_si512(ptr.add(2)),
                    _mm512_loadu_si512(ptr.add(3)),
                )
            };
            let mut any: __mmask8 = 0;
            for &q in &broadcast {
                let pa = _mm512_popcnt_epi64(_mm512_xor_si512(a, q));
                let pb = _mm512_popcnt_epi64(_mm512_xor_si512(b, q));
                let pc = _mm512_popcnt_epi64(_mm512_xor_si512(c, q));
                let pd = _mm512_popcnt_epi64(_mm512_xor_si512(d, q));
                // Pairwise sums within 128-bit lanes, then across them: one total per code.
                let s1 =
                    _mm512_add_epi64(_mm512_unpacklo_epi64(pa, pb), _mm512_unpackhi_epi64(pa, pb));
                let s2 =
                    _mm512_add_epi64(_mm512_unpacklo_epi64(pc, pd), _mm512_unpackhi_epi64(pc, pd));
                let lo = _mm512_shuffle_i64x2::<0b10_00_10_00>(s1, s2);
                let hi = _mm512_shuffle_i64x2::<0b11_01_11_01>(s1, s2);
                let total = _mm512_add_epi64(lo, hi);
                any |= _mm512_cmple_epu64_mask(total, limit);
            }
            any != 0
        });
    }

    /// Four codes per step: popcount by nibble lookup, byte sums with `psadbw`, then a lane
    /// reduction to one distance per code.
    #[target_feature(enable = "avx2,popcnt")]
    pub(super) unsafe fn scan_avx2(
        codes: &[Code],
        queries: &[Code],
        radius: u32,
        first_position: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        let nibble_counts = _mm256_setr_epi8(
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2,
            3, 3, 4,
        );
        let low_nibble = _mm256_set1_epi8(0x0f);
        let limit = _mm256_set1_epi64x(i64::from(radius));
        let zero = _mm256_setzero_si256();
        let popcount_lanes = |x: __m256i| {
            let lo = _mm256_shuffle_epi8(nibble_counts, _mm256_and_si256(x, low_nibble));
            let hi = _mm256_shuffle_epi8(
                nibble_counts,
                _mm256_and_si256(_mm256_srli_epi16::<4>(x), low_nibble),
            );
            _mm256_sad_epu8(_mm256_add_epi8(lo, hi), zero)
        };
        let loaded: Vec<__m256i> = queries
            .iter()
            // SAFETY: `q` is 32 readable bytes.
            .map(|q| unsafe { _mm256_loadu_si256(q.as_ptr().cast()) })
            .collect();
        scan_blocks::<4>(codes, queries, radius, first_position, out, |block| {
            let ptr = block.as_ptr().cast::<__m256i>();
            // SAFETY: the block holds 4 codes = four unaligned 256-bit loads.
            let (a, b, c, d) = unsafe {
                (
                    _mm256_loadu_si256(ptr),
                    _mm256_loadu_si256(ptr.add(1)),
                    _mm256_loadu_si256(ptr.add(2)),
                    _mm256_loadu_si256(ptr.add(3)),
                )
            };
            let mut far_mask = 0xf;
            for &q in &loaded {
                let pa = popcount_lanes(_mm256_xor_si256(a, q));
                let pb = popcount_lanes(_mm256_xor_si256(b, q));
                let pc = popcount_lanes(_mm256_xor_si256(c, q));
                let pd = popcount_lanes(_mm256_xor_si256(d, q));
                let s1 =
                    _mm256_add_epi64(_mm256_unpacklo_epi64(pa, pb), _mm256_unpackhi_epi64(pa, pb));
                let s2 =
                    _mm256_add_epi64(_mm256_unpacklo_epi64(pc, pd), _mm256_unpackhi_epi64(pc, pd));
                let total = _mm256_add_epi64(
                    _mm256_permute2x128_si256::<0x20>(s1, s2),
                    _mm256_permute2x128_si256::<0x31>(s1, s2),
                );
                far_mask &=
                    _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(total, limit)));
            }
            far_mask != 0xf
        });
    }

    /// Verifies gathered candidates with the hardware `popcnt` instruction.
    #[target_feature(enable = "popcnt")]
    pub(crate) unsafe fn verify_popcnt(
        codes: &[Code],
        candidates: &[(u32, u8)],
        queries: &[Code],
        radius: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        crate::mih::verify_candidates(codes, candidates, queries, radius, out);
    }
}

/// Checks each `(position, query index)` candidate, prefetching ahead because candidates are
/// scattered over the code array.
pub(crate) fn verify(
    codes: &[Code],
    candidates: &[(u32, u8)],
    queries: &[Code],
    radius: u32,
    out: &mut Vec<(u32, u32)>,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: popcnt was detected on this CPU.
        unsafe { x86::verify_popcnt(codes, candidates, queries, radius, out) };
        return;
    }
    crate::mih::verify_candidates(codes, candidates, queries, radius, out);
}
