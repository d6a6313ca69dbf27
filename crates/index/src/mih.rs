//! Multi-index hashing (Norouzi, Punjani and Fleet, 2012).
//!
//! The 256 bits are cut into `m` contiguous substrings, and each substring gets a table mapping
//! its value to the positions of the codes that have it (counting-sort layout: an offsets array
//! indexed by value and one postings array). If two codes are within distance `r`, then for
//! radii `r_i` with `sum(r_i + 1) >= r + 1` at least one substring differs by at most `r_i`
//! bits (otherwise the distances would add up past `r`). So probing every value within `r_i` of
//! the query's substring `i` finds every true neighbour, and a popcount over the whole code
//! removes the false ones: the search is exact.

use crate::Code;
use crate::store::Array;

/// Probe masks are precomputed up to this substring radius; larger radii enumerate on the fly.
const CACHED_MASK_RADIUS: usize = 3;

/// How far ahead of use to prefetch, in candidates or probes. Enough to cover a DRAM miss.
const PREFETCH_DISTANCE: usize = 12;

/// Where one substring lies in the code, in bit positions 0..256 (bit `k` is bit `k % 64` of
/// word `k / 64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Substring {
    pub start: u16,
    pub bits: u8,
}

impl Substring {
    #[inline(always)]
    pub(crate) fn key(self, code: &Code) -> u32 {
        let start = usize::from(self.start);
        let word = start / 64;
        let shift = start % 64;
        let mut value = code[word] >> shift;
        if shift + usize::from(self.bits) > 64 && word + 1 < 4 {
            value |= code[word + 1] << (64 - shift);
        }
        (value & ((1u64 << self.bits) - 1)) as u32
    }
}

/// How many substrings suit `n` codes: about 256 / log2(n), so that each substring value holds
/// about one code and probing stays cheap.
pub(crate) fn substring_count(n: usize) -> usize {
    let log = (n.max(2) as f64).log2();
    ((256.0 / log).round() as usize).clamp(8, 16)
}

/// Cuts 256 bits into `m` near-equal contiguous substrings, longer ones first.
pub(crate) fn plan(m: usize) -> Vec<Substring> {
    let short = 256 / m;
    let long_count = 256 % m;
    let mut start = 0u16;
    (0..m)
        .map(|i| {
            let bits = (short + usize::from(i < long_count)) as u8;
            let s = Substring { start, bits };
            start += u16::from(bits);
            s
        })
        .collect()
}

/// Per-substring search radii for total radius `radius`: `sum(r_i + 1) = radius + 1`, spread
/// as evenly as possible, with the larger radii on the shorter substrings (fewer probes). A
/// radius of -1 means the substring need not be probed at all.
pub(crate) fn substring_radii(substrings: &[Substring], radius: u32) -> Vec<i32> {
    let m = substrings.len() as u32;
    let total = radius + 1;
    let base = (total / m) as i32;
    let extra = (total % m) as usize;
    // Shorter substrings are at the end of the plan.
    (0..substrings.len())
        .map(|i| base - 1 + i32::from(i >= substrings.len() - extra))
        .collect()
}

/// Number of values within Hamming distance `r` of a `bits`-bit value.
pub(crate) fn ball_size(bits: u32, r: i32) -> u64 {
    if r < 0 {
        return 0;
    }
    let mut total = 1u64;
    let mut choose = 1u64;
    for k in 1..=u64::from(r.unsigned_abs().min(bits)) {
        choose = choose.saturating_mul(u64::from(bits) + 1 - k) / k;
        total = total.saturating_add(choose);
    }
    total
}

/// All `bits`-bit masks with at most `r` ones, by increasing weight.
pub(crate) fn flip_masks(bits: u32, r: usize) -> Vec<u32> {
    let mut masks = vec![0u32];
    for weight in 1..=r.min(bits as usize) {
        // Gosper's hack: every `bits`-bit value with exactly `weight` ones, in increasing order.
        let mut v: u64 = (1u64 << weight) - 1;
        while v < (1u64 << bits) {
            masks.push(v as u32);
            let c = v & v.wrapping_neg();
            let r = v + c;
            v = (((r ^ v) >> 2) / c) | r;
        }
    }
    masks
}

/// The substring tables of one immutable segment.
#[derive(Clone, Debug)]
pub(crate) struct Tables {
    pub substrings: Vec<Substring>,
    /// Per substring: `offsets[v]..offsets[v + 1]` is the postings range of value `v`.
    pub offsets: Vec<Array<u32>>,
    /// Per substring: code positions grouped by substring value.
    pub postings: Vec<Array<u32>>,
    /// `masks[bits - min_bits][r]` for r up to `CACHED_MASK_RADIUS`.
    masks: Vec<Vec<Vec<u32>>>,
    min_bits: u8,
}

impl Tables {
    pub(crate) fn new(
        substrings: Vec<Substring>,
        offsets: Vec<Array<u32>>,
        postings: Vec<Array<u32>>,
    ) -> Self {
        let min_bits = substrings.iter().map(|s| s.bits).min().unwrap_or(0);
        let max_bits = substrings.iter().map(|s| s.bits).max().unwrap_or(0);
        let masks = (min_bits..=max_bits)
            .map(|bits| {
                (0..=CACHED_MASK_RADIUS)
                    .map(|r| flip_masks(u32::from(bits), r))
                    .collect()
            })
            .collect();
        Tables {
            substrings,
            offsets,
            postings,
            masks,
            min_bits,
        }
    }

    /// Builds the tables over `codes` in parallel, one substring per task.
    pub(crate) fn build(codes: &[Code], substrings: Vec<Substring>, threads: usize) -> Self {
        let mut built: Vec<Option<(Array<u32>, Array<u32>)>> = vec![None; substrings.len()];
        let threads = threads.max(1);
        std::thread::scope(|scope| {
            let chunk = substrings.len().div_ceil(threads);
            for (slots, subs) in built.chunks_mut(chunk).zip(substrings.chunks(chunk)) {
                scope.spawn(move || {
                    for (slot, &sub) in slots.iter_mut().zip(subs) {
                        *slot = Some(build_table(codes, sub));
                    }
                });
            }
        });
        let (offsets, postings) = built.into_iter().flatten().unzip();
        Tables::new(substrings, offsets, postings)
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.offsets
            .iter()
            .chain(&self.postings)
            .map(Array::heap_bytes)
            .sum()
    }

    /// How many table probes a search at `radius` would make.
    pub(crate) fn probe_count(&self, radius: u32) -> u64 {
        let radii = substring_radii(&self.substrings, radius);
        self.substrings
            .iter()
            .zip(&radii)
            .map(|(s, &r)| {
                if r < 0 {
                    0
                } else {
                    ball_size(u32::from(s.bits), r)
                }
            })
            .sum()
    }

    /// Appends `(position, query index)` for every code that shares a probed substring value
    /// with a query. Returns `false`, leaving `out` in an unspecified state, as soon as more than
    /// `limit` candidates would be gathered: then a linear scan is cheaper.
    pub(crate) fn gather(
        &self,
        queries: &[Code],
        radius: u32,
        limit: usize,
        out: &mut Vec<(u32, u8)>,
    ) -> bool {
        let radii = substring_radii(&self.substrings, radius);
        for (table, (&sub, &r)) in self.substrings.iter().zip(&radii).enumerate() {
            if r < 0 {
                continue;
            }
            let spill;
            let masks: &[u32] = match self
                .masks
                .get(usize::from(sub.bits - self.min_bits))
                .and_then(|by_radius| by_radius.get(r as usize))
            {
                Some(masks) => masks,
                None => {
                    spill = flip_masks(u32::from(sub.bits), r as usize);
                    &spill
                }
            };
            let offsets = self.offsets[table].as_slice();
            let postings = self.postings[table].as_slice();
            for (qi, query) in queries.iter().enumerate() {
                let key = sub.key(query);
                for (i, &mask) in masks.iter().enumerate() {
                    if let Some(&ahead) = masks.get(i + PREFETCH_DISTANCE) {
                        prefetch(offsets, (key ^ ahead) as usize);
                    }
                    let value = (key ^ mask) as usize;
                    let (Some(&from), Some(&to)) = (offsets.get(value), offsets.get(value + 1))
                    else {
                        continue;
                    };
                    let Some(found) = postings.get(from as usize..to as usize) else {
                        continue;
                    };
                    if out.len() + found.len() > limit {
                        return false;
                    }
                    out.extend(found.iter().map(|&p| (p, qi as u8)));
                }
            }
        }
        true
    }
}

fn build_table(codes: &[Code], sub: Substring) -> (Array<u32>, Array<u32>) {
    let buckets = 1usize << sub.bits;
    let offsets = Array::<u32>::build(buckets + 1, |offsets| {
        for code in codes {
            offsets[sub.key(code) as usize + 1] += 1;
        }
        for v in 0..buckets {
            offsets[v + 1] += offsets[v];
        }
    });
    let starts = offsets.as_slice();
    let postings = Array::<u32>::build(codes.len(), |postings| {
        let mut next: Vec<u32> = starts[..buckets].to_vec();
        for (position, code) in codes.iter().enumerate() {
            let slot = &mut next[sub.key(code) as usize];
            postings[*slot as usize] = position as u32;
            *slot += 1;
        }
    });
    (offsets, postings)
}

#[inline(always)]
fn prefetch<T>(items: &[T], index: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(item) = items.get(index) {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: prefetching is only a hint and the address is inside the slice.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>((item as *const T).cast())
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (items, index);
}

/// Keeps the candidates within `radius` of their query, as `(position, distance)`.
#[inline(always)]
pub(crate) fn verify_candidates(
    codes: &[Code],
    candidates: &[(u32, u8)],
    queries: &[Code],
    radius: u32,
    out: &mut Vec<(u32, u32)>,
) {
    for (i, &(position, query)) in candidates.iter().enumerate() {
        if let Some(&(ahead, _)) = candidates.get(i + PREFETCH_DISTANCE) {
            prefetch(codes, ahead as usize);
        }
        let (Some(code), Some(q)) = (
            codes.get(position as usize),
            queries.get(usize::from(query)),
        ) else {
            continue;
        };
        let d = crate::scan::distance(code, q);
        if d <= radius {
            out.push((position, d));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radii_cover_the_radius() {
        for m in 8..=16 {
            let subs = plan(m);
            assert_eq!(subs.iter().map(|s| u32::from(s.bits)).sum::<u32>(), 256);
            for radius in 0..=64 {
                let radii = substring_radii(&subs, radius);
                let covered: i32 = radii.iter().map(|r| r + 1).sum();
                assert_eq!(covered, radius as i32 + 1, "m={m} r={radius}");
            }
        }
    }

    #[test]
    fn masks_and_ball_sizes_agree() {
        for bits in [1u32, 5, 16, 23] {
            for r in 0..=3usize {
                let masks = flip_masks(bits, r);
                assert_eq!(masks.len() as u64, ball_size(bits, r as i32));
                assert!(masks.iter().all(|m| m.count_ones() as usize <= r));
                let mut sorted = masks.clone();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(sorted.len(), masks.len());
            }
        }
        assert_eq!(ball_size(23, -1), 0);
        assert_eq!(ball_size(23, 2), 1 + 23 + 253);
    }

    #[test]
    fn keys_read_across_word_boundaries() {
        let code: Code = [0x8000_0000_0000_0000, 0b101, 0, u64::MAX];
        let across = Substring { start: 63, bits: 4 };
        assert_eq!(across.key(&code), 0b1011);
        let last = Substring {
            start: 232,
            bits: 24,
        };
        assert_eq!(last.key(&code), 0xff_ffff);
    }
}
