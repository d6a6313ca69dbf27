//! Helpers shared by the index benchmarks: a seeded generator of codes, memory figures and the
//! file format the FAISS peers read.

// Each bench binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn uniform_code(&mut self) -> [u64; 4] {
        [self.next(), self.next(), self.next(), self.next()]
    }

    /// Each bit set with its own probability, given as a threshold on 16 random bits.
    pub fn biased_code(&mut self, thresholds: &[u16; 256]) -> [u64; 4] {
        let mut words = [0u64; 4];
        let mut pool = 0u64;
        for (bit, &t) in thresholds.iter().enumerate() {
            if bit % 4 == 0 {
                pool = self.next();
            }
            let draw = (pool >> ((bit % 4) * 16)) as u16;
            if draw < t {
                words[bit / 64] |= 1 << (bit % 64);
            }
        }
        words
    }

    pub fn flip(&mut self, code: [u64; 4], distance: u32) -> [u64; 4] {
        let mut out = code;
        let mut flipped = 0;
        while flipped < distance {
            let bit = self.below(256) as usize;
            let mask = 1u64 << (bit % 64);
            // Only flip bits that still match the original, so the distance is exact.
            if (out[bit / 64] ^ code[bit / 64]) & mask == 0 {
                out[bit / 64] ^= mask;
                flipped += 1;
            }
        }
        out
    }
}

pub fn rss_bytes() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<usize>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

pub fn write_codes(path: &Path, codes: &[[u64; 4]]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for code in codes {
        for word in code {
            out.write_all(&word.to_le_bytes())?;
        }
    }
    out.flush()
}
