//! The fast pipeline. It computes exactly the same float32 operations as the reference, value by
//! value and in the same order, but arranges them so that independent running sums sit side by
//! side in SIMD lanes:
//!
//! 1. luma and the first row pass run L rows at a time: the rows are transposed into a scratch
//!    area where lane `l` is row `r0 + l`, so one vector add advances L running sums;
//! 2. the first column pass streams down the image a row at a time, with one running sum per
//!    column (contiguous, so it vectorises with no transposition), and hands each finished row
//!    straight to
//! 3. the second row pass, which only divides at the 64 decimated columns;
//! 4. the second column pass streams over that rows x 64 result and only divides at the 64
//!    decimated rows.
//!
//! Skipping divisions whose results the decimation throws away changes no surviving bit, and the
//! full-size intermediate image after the first column pass never exists.
//!
//! The code is written over fixed-size arrays and `#[inline(always)]`, so each CPU-specific entry
//! point (compiled with `#[target_feature]`) gets its own vectorised copy of the same source.

use alloc::vec;
use alloc::vec::Vec;

use crate::core_math::{Buffer64, DCT, DCT_T, decimation_indices, window_size};
use crate::{ImageRef, PixelFormat};

/// Where luma rows come from: pixels (converted on the fly) or a caller's luma buffer.
#[derive(Clone, Copy)]
pub(crate) enum LumaSource<'a> {
    Pixels(ImageRef<'a>),
    Luma { data: &'a [f32], cols: usize },
}

impl LumaSource<'_> {
    #[inline(always)]
    fn row(&self, r: usize, out: &mut [f32]) {
        match *self {
            LumaSource::Luma { data, cols } => out.copy_from_slice(&data[r * cols..(r + 1) * cols]),
            LumaSource::Pixels(img) => {
                let channels = img.format.channels();
                let line = &img.data[r * img.width * channels..(r + 1) * img.width * channels];
                match img.format {
                    PixelFormat::Rgb => luma_rgb::<3>(line, out),
                    PixelFormat::Rgba => luma_rgb::<4>(line, out),
                    PixelFormat::Grey => {
                        for (o, &v) in out.iter_mut().zip(line) {
                            *o = f32::from(v);
                        }
                    }
                    PixelFormat::GreyAlpha => {
                        for (o, px) in out.iter_mut().zip(line.chunks_exact(2)) {
                            *o = f32::from(px[0]);
                        }
                    }
                }
            }
        }
    }
}

/// `Y = 0.299f*R + 0.587f*G + 0.114f*B`, left to right in float32, as the reference.
#[inline(always)]
pub(crate) fn luma_rgb<const C: usize>(line: &[u8], out: &mut [f32]) {
    for (o, px) in out.iter_mut().zip(line.chunks_exact(C)) {
        let (r, g, b) = (f32::from(px[0]), f32::from(px[1]), f32::from(px[2]));
        *o = 0.299f32 * r + 0.587f32 * g + 0.114f32 * b;
    }
}

/// Receives the outputs of a lane-wise box filter. `wants` lets the filter skip the division for
/// outputs nobody keeps.
trait Sink<const L: usize> {
    fn wants(&self, oi: usize) -> bool;
    fn put(&mut self, oi: usize, value: &[f32; L]);
}

/// Keeps every output: `out[oi * L + lane]`.
struct AllOutputs<'a>(&'a mut [f32]);

impl<const L: usize> Sink<L> for AllOutputs<'_> {
    #[inline(always)]
    fn wants(&self, _: usize) -> bool {
        true
    }
    #[inline(always)]
    fn put(&mut self, oi: usize, value: &[f32; L]) {
        self.0[oi * L..(oi + 1) * L].copy_from_slice(value);
    }
}

/// Keeps only the 64 decimated positions: `out[s * L + lane]` for sample `s`.
struct Decimated<'a> {
    samples: &'a [usize; 64],
    next: usize,
    out: &'a mut [f32],
}

impl<const L: usize> Sink<L> for Decimated<'_> {
    #[inline(always)]
    fn wants(&self, oi: usize) -> bool {
        self.next < 64 && self.samples[self.next] == oi
    }
    #[inline(always)]
    fn put(&mut self, oi: usize, value: &[f32; L]) {
        while self.next < 64 && self.samples[self.next] == oi {
            self.out[self.next * L..(self.next + 1) * L].copy_from_slice(value);
            self.next += 1;
        }
    }
}

#[inline(always)]
fn lanes<const L: usize>(buf: &[f32], i: usize) -> &[f32; L] {
    buf[i * L..(i + 1) * L]
        .try_into()
        .unwrap_or_else(|_| unreachable!("lane slice has length L"))
}

#[inline(always)]
fn div_lanes<const L: usize>(sum: &[f32; L], count: usize) -> [f32; L] {
    let d = count as f32;
    let mut v = [0.0f32; L];
    for l in 0..L {
        v[l] = sum[l] / d;
    }
    v
}

/// The reference box filter run on L independent lines at once. `input` holds `len` steps of
/// L lanes (lane `l` of step `t` at `t * L + l`).
#[inline(always)]
fn box_lanes<const L: usize>(input: &[f32], len: usize, window: usize, sink: &mut impl Sink<L>) {
    let half = (window + 2) / 2;
    let (p1, p2, p3, p4) = (half - 1, window - half + 1, len - window, half - 1);
    let mut sum = [0.0f32; L];
    let (mut li, mut ri, mut oi, mut count) = (0usize, 0usize, 0usize, 0usize);
    for _ in 0..p1 {
        let x = lanes::<L>(input, ri);
        for l in 0..L {
            sum[l] += x[l];
        }
        count += 1;
        ri += 1;
    }
    for _ in 0..p2 {
        let x = lanes::<L>(input, ri);
        for l in 0..L {
            sum[l] += x[l];
        }
        count += 1;
        if sink.wants(oi) {
            sink.put(oi, &div_lanes(&sum, count));
        }
        ri += 1;
        oi += 1;
    }
    for _ in 0..p3 {
        let (x, y) = (lanes::<L>(input, ri), lanes::<L>(input, li));
        for l in 0..L {
            sum[l] += x[l];
            sum[l] -= y[l];
        }
        if sink.wants(oi) {
            sink.put(oi, &div_lanes(&sum, count));
        }
        li += 1;
        ri += 1;
        oi += 1;
    }
    for _ in 0..p4 {
        let y = lanes::<L>(input, li);
        for l in 0..L {
            sum[l] -= y[l];
        }
        count -= 1;
        if sink.wants(oi) {
            sink.put(oi, &div_lanes(&sum, count));
        }
        li += 1;
        oi += 1;
    }
}

/// Running column sums over a stream of rows, one sum per column: the reference column pass,
/// reorganised to advance every column by one row per call.
struct ColumnStream {
    sums: Vec<f32>,
    count: usize,
    half: usize,
    window: usize,
    len: usize,
    /// Rows read so far.
    ri: usize,
}

impl ColumnStream {
    fn new(width: usize, len: usize, window: usize) -> Self {
        ColumnStream {
            sums: vec![0.0; width],
            count: 0,
            half: (window + 2) / 2,
            window,
            len,
            ri: 0,
        }
    }

    /// Takes input row `ri` (and, once the window is full, the row `ri - window` that leaves
    /// it). Returns the index of the output row that is now complete, if any.
    #[inline(always)]
    fn push(&mut self, entering: &[f32], leaving: Option<&[f32]>) -> Option<usize> {
        for (s, &x) in self.sums.iter_mut().zip(entering) {
            *s += x;
        }
        if let Some(leaving) = leaving {
            for (s, &y) in self.sums.iter_mut().zip(leaving) {
                *s -= y;
            }
        } else {
            self.count += 1;
        }
        let ri = self.ri;
        self.ri += 1;
        (ri + 1 >= self.half).then(|| ri + 1 - self.half)
    }

    /// Whether `push` for the current row needs the leaving row.
    fn leaving_row(&self) -> Option<usize> {
        (self.ri >= self.window).then(|| self.ri - self.window)
    }

    /// The tail: the rows still in the window leave one by one. Returns the output row index.
    #[inline(always)]
    fn drain(&mut self, leaving: &[f32]) -> usize {
        for (s, &y) in self.sums.iter_mut().zip(leaving) {
            *s -= y;
        }
        self.count -= 1;
        let oi = self.len - self.half + 1 + (self.ri - self.len);
        self.ri += 1;
        oi
    }

    /// Rows of the tail, in order: the indices of the rows that leave the window.
    fn tail(&self) -> core::ops::Range<usize> {
        self.len - self.window..self.len - self.window + self.half - 1
    }

    #[inline(always)]
    fn write_average(&self, out: &mut [f32]) {
        let d = self.count as f32;
        for (o, &s) in out.iter_mut().zip(&self.sums) {
            *o = s / d;
        }
    }
}

/// Reusable buffers, so hashing many images allocates once.
#[derive(Default)]
pub(crate) struct Scratch {
    first_pass: Vec<f32>,
    lines: Vec<f32>,
    transposed: Vec<f32>,
    filtered: Vec<f32>,
    narrow: Vec<f32>,
    averaged: Vec<f32>,
}

fn grow(buf: &mut Vec<f32>, len: usize) {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
}

/// Fills `out` with the filtered, decimated 64x64 buffer.
#[inline(always)]
pub(crate) fn filter_and_decimate<const L: usize, T: Transpose>(
    source: LumaSource<'_>,
    rows: usize,
    cols: usize,
    scratch: &mut Scratch,
    out: &mut Buffer64,
) {
    let win_rows = window_size(cols);
    let win_cols = window_size(rows);
    let col_samples = decimation_indices(cols);
    let row_samples = decimation_indices(rows);
    // The first row pass's output lives in a ring of rows: the column pass only ever needs the
    // newest L rows and the `win_cols` rows behind them, and a ring that small stays in cache.
    // Its size is a multiple of L so that a block of L rows never wraps.
    let ring_rows = (win_cols + 1).div_ceil(L) * L + L;
    grow(&mut scratch.first_pass, ring_rows * cols);
    grow(&mut scratch.lines, L * cols);
    grow(&mut scratch.transposed, L * cols);
    grow(&mut scratch.filtered, L * cols);
    grow(&mut scratch.narrow, rows * 64);
    grow(&mut scratch.averaged, L * cols);
    let Scratch {
        first_pass: ring,
        lines,
        transposed,
        filtered,
        narrow,
        averaged,
    } = scratch;
    let slot = |r: usize| (r % ring_rows) * cols..(r % ring_rows + 1) * cols;

    // Every L finished rows of the first column pass (and the last few) go through the second
    // row pass, which keeps only the decimated columns.
    let mut pending = 0usize;
    let mut next_narrow_row = 0usize;
    let mut flush =
        |averaged: &mut [f32], transposed: &mut [f32], count: usize, narrow: &mut [f32]| {
            for line in averaged[count * cols..L * cols].chunks_exact_mut(cols) {
                line.fill(0.0);
            }
            T::transpose(averaged, cols, transposed, L, L, cols);
            let mut picked = [0.0f32; 64 * 64];
            let picked = &mut picked[..64 * L];
            box_lanes::<L>(
                transposed,
                cols,
                win_rows,
                &mut Decimated {
                    samples: &col_samples,
                    next: 0,
                    out: picked,
                },
            );
            for l in 0..count {
                let dst = &mut narrow[(next_narrow_row + l) * 64..(next_narrow_row + l + 1) * 64];
                for (s, d) in dst.iter_mut().enumerate() {
                    *d = picked[s * L + l];
                }
            }
            next_narrow_row += count;
        };
    let mut column = ColumnStream::new(cols, rows, win_cols);
    for r0 in (0..rows).step_by(L) {
        // 1. Luma and the first row pass for rows r0..r0+L; missing rows of the last block are
        //    zero lanes whose results are dropped.
        let block = L.min(rows - r0);
        for l in 0..L {
            let line = &mut lines[l * cols..(l + 1) * cols];
            if l < block {
                source.row(r0 + l, line);
            } else {
                line.fill(0.0);
            }
        }
        T::transpose(lines, cols, transposed, L, L, cols);
        box_lanes::<L>(transposed, cols, win_rows, &mut AllOutputs(filtered));
        T::transpose(filtered, L, &mut ring[slot(r0).start..], cols, cols, block);

        // 2. The first column pass consumes those rows as soon as they exist.
        for ri in r0..r0 + block {
            let leaving = column.leaving_row().map(|r| &ring[slot(r)]);
            if column.push(&ring[slot(ri)], leaving).is_some() {
                column.write_average(&mut averaged[pending * cols..(pending + 1) * cols]);
                pending += 1;
                if pending == L {
                    flush(averaged, transposed, L, narrow);
                    pending = 0;
                }
            }
        }
    }
    for r in column.tail() {
        column.drain(&ring[slot(r)]);
        column.write_average(&mut averaged[pending * cols..(pending + 1) * cols]);
        pending += 1;
        if pending == L {
            flush(averaged, transposed, L, narrow);
            pending = 0;
        }
    }
    if pending > 0 {
        flush(averaged, transposed, pending, narrow);
    }

    // 4. The second column pass over the rows x 64 result, keeping only the decimated rows.
    let mut column = ColumnStream::new(64, rows, win_cols);
    let mut next_sample = 0usize;
    let mut emit = |column: &ColumnStream, oi: usize, out: &mut Buffer64| {
        while next_sample < 64 && row_samples[next_sample] == oi {
            column.write_average(&mut out[next_sample * 64..(next_sample + 1) * 64]);
            next_sample += 1;
        }
    };
    for ri in 0..rows {
        let entering = &narrow[ri * 64..(ri + 1) * 64];
        let leaving = column.leaving_row().map(|r| &narrow[r * 64..(r + 1) * 64]);
        if let Some(oi) = column.push(entering, leaving) {
            emit(&column, oi, out);
        }
    }
    for r in column.tail() {
        let oi = column.drain(&narrow[r * 64..(r + 1) * 64]);
        emit(&column, oi, out);
    }
}

/// Matrix transposition between the row-major image and the lane-interleaved scratch.
pub(crate) trait Transpose {
    /// `dst[c * dst_stride + r] = src[r * src_stride + c]` for `r < rows`, `c < cols`.
    fn transpose(
        src: &[f32],
        src_stride: usize,
        dst: &mut [f32],
        dst_stride: usize,
        rows: usize,
        cols: usize,
    );
}

/// Element by element; what LLVM makes of it is fine for narrow vectors.
pub(crate) struct ScalarTranspose;

impl Transpose for ScalarTranspose {
    #[inline(always)]
    fn transpose(
        src: &[f32],
        src_stride: usize,
        dst: &mut [f32],
        dst_stride: usize,
        rows: usize,
        cols: usize,
    ) {
        transpose_scalar(src, src_stride, dst, dst_stride, 0..rows, 0..cols);
    }
}

#[inline(always)]
pub(crate) fn transpose_scalar(
    src: &[f32],
    src_stride: usize,
    dst: &mut [f32],
    dst_stride: usize,
    rows: core::ops::Range<usize>,
    cols: core::ops::Range<usize>,
) {
    for r in rows {
        for c in cols.clone() {
            dst[c * dst_stride + r] = src[r * src_stride + c];
        }
    }
}

/// Luma of a whole image (used for the exact-64x64 shortcut).
#[inline(always)]
pub(crate) fn full_luma(source: LumaSource<'_>, rows: usize, cols: usize, out: &mut [f32]) {
    for r in 0..rows {
        source.row(r, &mut out[r * cols..(r + 1) * cols]);
    }
}

/// The 16x16 DCT with the reference's summation order for every output value, vectorised
/// across output columns.
#[inline(always)]
pub(crate) fn dct64_to_16(a: &Buffer64, out: &mut [f32; 256]) {
    let mut t = [[0.0f32; 64]; 16];
    for (i, t_row) in t.iter_mut().enumerate() {
        let mut acc = [0.0f32; 64];
        for k in 0..64 {
            let d = DCT[i][k];
            let a_row = &a[k * 64..(k + 1) * 64];
            for j in 0..64 {
                acc[j] += d * a_row[j];
            }
        }
        *t_row = acc;
    }
    for (i, t_row) in t.iter().enumerate() {
        let mut acc = [0.0f32; 16];
        for (k, &tik) in t_row.iter().enumerate() {
            for j in 0..16 {
                acc[j] += tik * DCT_T[k][j];
            }
        }
        out[i * 16..(i + 1) * 16].copy_from_slice(&acc);
    }
}
