//! The parts of PDQ that every kernel shares: window sizes, decimation, quality, the median
//! threshold and the dihedral transforms of the DCT output. They are cheap (64x64 or 16x16), so
//! there is one scalar version of each.

use crate::dct_table::DCT_BITS;
use crate::hash::Hash256;

/// The 64x64 buffer after filtering and decimation, row-major.
pub(crate) type Buffer64 = [f32; 64 * 64];

/// Images smaller than this on either side hash to zero with quality 0.
pub const MIN_DIMENSION: usize = 5;

/// The reference DCT matrix, decoded from its float32 bit patterns at compile time.
pub(crate) const DCT: [[f32; 64]; 16] = {
    let mut m = [[0.0f32; 64]; 16];
    let mut i = 0;
    while i < 16 {
        let mut j = 0;
        while j < 64 {
            m[i][j] = f32::from_bits(DCT_BITS[i][j]);
            j += 1;
        }
        i += 1;
    }
    m
};

/// The same matrix transposed (64x16), so the second DCT product can run across output columns.
pub(crate) const DCT_T: [[f32; 16]; 64] = {
    let mut m = [[0.0f32; 16]; 64];
    let mut i = 0;
    while i < 16 {
        let mut j = 0;
        while j < 64 {
            m[j][i] = DCT[i][j];
            j += 1;
        }
        i += 1;
    }
    m
};

/// `computeJaroszFilterWindowSize(old, 64)`.
pub(crate) fn window_size(dimension: usize) -> usize {
    dimension.div_ceil(128)
}

/// Which input row (or column) feeds each of the 64 outputs: `(int)(((i + 0.5) * n) / 64)` in
/// double. The result is non-decreasing, and repeats when `n < 64`.
pub(crate) fn decimation_indices(n: usize) -> [usize; 64] {
    let mut out = [0usize; 64];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = (((i as f64 + 0.5) * n as f64) / 64.0) as usize;
    }
    out
}

/// The reference image-domain quality metric, 0..=100.
pub(crate) fn quality(buf: &Buffer64) -> u8 {
    let mut gradient_sum: i32 = 0;
    let step = |u: f32, v: f32| -> i32 { (((u - v) * 100.0f32) / 255.0f32) as i32 };
    for i in 0..63 {
        for j in 0..64 {
            gradient_sum += step(buf[i * 64 + j], buf[(i + 1) * 64 + j]).abs();
        }
    }
    for i in 0..64 {
        for j in 0..63 {
            gradient_sum += step(buf[i * 64 + j], buf[i * 64 + j + 1]).abs();
        }
    }
    (gradient_sum / 90).min(100) as u8
}

/// Sets bit `k` where the DCT value is strictly above the median (`sorted[127]`, which is
/// what the reference's Torben median returns).
pub(crate) fn threshold(dct: &[f32; 256]) -> Hash256 {
    let mut sorted = *dct;
    let (_, median, _) = sorted.select_nth_unstable_by(127, f32::total_cmp);
    let median = *median;
    let mut hash = Hash256::ZERO;
    for (k, &v) in dct.iter().enumerate() {
        if v > median {
            hash.set_bit(k);
        }
    }
    hash
}

/// The eight dihedral DCT arrangements, from the orientation of the original.
pub(crate) fn dihedral_hashes(b: &[f32; 256]) -> [Hash256; 8] {
    // (transpose, negate-rule) per variant; the rule is evaluated on the output cell (i, j).
    type NegateWhen = fn(usize, usize) -> bool;
    let variants: [(bool, NegateWhen); 8] = [
        (false, |_, _| false),
        (true, |i, _| i % 2 == 0),
        (false, |i, j| (i + j) % 2 == 1),
        (true, |_, j| j % 2 == 0),
        (false, |i, _| i % 2 == 0),
        (false, |_, j| j % 2 == 0),
        (true, |_, _| false),
        (true, |i, j| (i + j) % 2 == 1),
    ];
    let mut out = [Hash256::ZERO; 8];
    for (slot, (transpose, negate)) in out.iter_mut().zip(variants) {
        let mut t = [0.0f32; 256];
        for i in 0..16 {
            for j in 0..16 {
                let v = if transpose {
                    b[j * 16 + i]
                } else {
                    b[i * 16 + j]
                };
                t[i * 16 + j] = if negate(i, j) { -v } else { v };
            }
        }
        *slot = threshold(&t);
    }
    out
}
