//! An 8x8 AVX transpose for moving between row-major images and lane-interleaved scratch.
//! Only reached from kernels that run after AVX2 or AVX-512F was detected.

use core::arch::x86_64::{
    __m256, _mm256_loadu_ps, _mm256_permute2f128_ps, _mm256_shuffle_ps, _mm256_storeu_ps,
    _mm256_unpackhi_ps, _mm256_unpacklo_ps,
};

use crate::fast::{Transpose, transpose_scalar};

/// Uses AVX shuffles on whole 8x8 tiles and scalar moves on the edges.
pub(crate) struct Avx;

impl Transpose for Avx {
    #[inline(always)]
    fn transpose(
        src: &[f32],
        src_stride: usize,
        dst: &mut [f32],
        dst_stride: usize,
        rows: usize,
        cols: usize,
    ) {
        let (full_rows, full_cols) = (rows / 8 * 8, cols / 8 * 8);
        // SAFETY: this type is only used by the AVX2 and AVX-512 kernels, which are only called
        // after the CPU feature was detected (AVX-512F and AVX2 imply AVX).
        unsafe { tiles(src, src_stride, dst, dst_stride, full_rows, full_cols) };
        transpose_scalar(
            src,
            src_stride,
            dst,
            dst_stride,
            0..full_rows,
            full_cols..cols,
        );
        transpose_scalar(src, src_stride, dst, dst_stride, full_rows..rows, 0..cols);
    }
}

/// All whole 8x8 tiles; one call per transpose, so `tile` inlines into the loop.
#[target_feature(enable = "avx")]
fn tiles(
    src: &[f32],
    src_stride: usize,
    dst: &mut [f32],
    dst_stride: usize,
    rows: usize,
    cols: usize,
) {
    for r in (0..rows).step_by(8) {
        for c in (0..cols).step_by(8) {
            tile(src, src_stride, dst, dst_stride, r, c);
        }
    }
}

#[target_feature(enable = "avx")]
#[inline]
fn tile(src: &[f32], src_stride: usize, dst: &mut [f32], dst_stride: usize, r: usize, c: usize) {
    let load = |i: usize| -> __m256 {
        let row = &src[(r + i) * src_stride + c..(r + i) * src_stride + c + 8];
        // SAFETY: `row` is a checked slice of exactly 8 floats.
        unsafe { _mm256_loadu_ps(row.as_ptr()) }
    };
    let (a0, a1, a2, a3) = (load(0), load(1), load(2), load(3));
    let (a4, a5, a6, a7) = (load(4), load(5), load(6), load(7));
    let (t0, t1) = (_mm256_unpacklo_ps(a0, a1), _mm256_unpackhi_ps(a0, a1));
    let (t2, t3) = (_mm256_unpacklo_ps(a2, a3), _mm256_unpackhi_ps(a2, a3));
    let (t4, t5) = (_mm256_unpacklo_ps(a4, a5), _mm256_unpackhi_ps(a4, a5));
    let (t6, t7) = (_mm256_unpacklo_ps(a6, a7), _mm256_unpackhi_ps(a6, a7));
    let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
    let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
    let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
    let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
    let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
    let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
    let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
    let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
    let out = [
        _mm256_permute2f128_ps::<0x20>(u0, u4),
        _mm256_permute2f128_ps::<0x20>(u1, u5),
        _mm256_permute2f128_ps::<0x20>(u2, u6),
        _mm256_permute2f128_ps::<0x20>(u3, u7),
        _mm256_permute2f128_ps::<0x31>(u0, u4),
        _mm256_permute2f128_ps::<0x31>(u1, u5),
        _mm256_permute2f128_ps::<0x31>(u2, u6),
        _mm256_permute2f128_ps::<0x31>(u3, u7),
    ];
    for (i, v) in out.into_iter().enumerate() {
        let row = &mut dst[(c + i) * dst_stride + r..(c + i) * dst_stride + r + 8];
        // SAFETY: `row` is a checked slice of exactly 8 floats.
        unsafe { _mm256_storeu_ps(row.as_mut_ptr(), v) };
    }
}
