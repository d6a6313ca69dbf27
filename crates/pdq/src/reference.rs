//! A literal port of the C++ reference core, operation for operation. It is the oracle the fast
//! kernels are tested against, and the `Kernel::Reference` choice.

use alloc::vec;

use crate::core_math::{Buffer64, decimation_indices};

/// The reference's `box1DFloat`: a running float32 sum in four phases.
pub(crate) fn box1d(input: &[f32], output: &mut [f32], len: usize, stride: usize, window: usize) {
    let half = (window + 2) / 2;
    let (p1, p2, p3, p4) = (half - 1, window - half + 1, len - window, half - 1);
    let (mut li, mut ri, mut oi) = (0usize, 0usize, 0usize);
    let mut sum = 0.0f32;
    let mut count = 0usize;
    for _ in 0..p1 {
        sum += input[ri];
        count += 1;
        ri += stride;
    }
    for _ in 0..p2 {
        sum += input[ri];
        count += 1;
        output[oi] = sum / count as f32;
        ri += stride;
        oi += stride;
    }
    for _ in 0..p3 {
        sum += input[ri];
        sum -= input[li];
        output[oi] = sum / count as f32;
        li += stride;
        ri += stride;
        oi += stride;
    }
    for _ in 0..p4 {
        sum -= input[li];
        count -= 1;
        output[oi] = sum / count as f32;
        li += stride;
        oi += stride;
    }
}

/// Two Jarosz passes over the whole image, then decimation, exactly as the reference does it.
pub(crate) fn filter_and_decimate(
    luma: &[f32],
    rows: usize,
    cols: usize,
    win_rows: usize,
    win_cols: usize,
    out: &mut Buffer64,
) {
    let mut buf1 = luma.to_vec();
    let mut buf2 = vec![0.0f32; rows * cols];
    for _ in 0..2 {
        for i in 0..rows {
            let line = i * cols..(i + 1) * cols;
            box1d(&buf1[line.clone()], &mut buf2[line], cols, 1, win_rows);
        }
        for j in 0..cols {
            box1d(&buf2[j..], &mut buf1[j..], rows, cols, win_cols);
        }
    }
    let row_index = decimation_indices(rows);
    let col_index = decimation_indices(cols);
    for (i, &ri) in row_index.iter().enumerate() {
        for (j, &cj) in col_index.iter().enumerate() {
            out[i * 64 + j] = buf1[ri * cols + cj];
        }
    }
}

/// The reference's `dct64To16`, loop for loop.
pub(crate) fn dct64_to_16(a: &Buffer64, dct: &[[f32; 64]; 16], out: &mut [f32; 256]) {
    let mut t = [[0.0f32; 64]; 16];
    for i in 0..16 {
        for j in 0..64 {
            let mut tij = 0.0f32;
            for k in 0..64 {
                tij += dct[i][k] * a[k * 64 + j];
            }
            t[i][j] = tij;
        }
    }
    for i in 0..16 {
        for j in 0..16 {
            let mut sumk = 0.0f32;
            for k in 0..64 {
                sumk += t[i][k] * dct[j][k];
            }
            out[i * 16 + j] = sumk;
        }
    }
}
