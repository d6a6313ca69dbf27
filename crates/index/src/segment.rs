//! An immutable set of codes, sorted by id, with its multi-index tables.

use crate::Code;
use crate::mih::{self, Tables};
use crate::scan::{self, ScanKernel};
use crate::store::Array;

/// Below this many codes a linear scan (a few hundred microseconds at most) beats building and
/// probing tables.
pub const MIN_CODES_FOR_TABLES: usize = 32 * 1024;

/// Probing or verifying one candidate costs about this many scanned codes: both are a cache
/// miss, while the scan streams.
const SCAN_CODES_PER_RANDOM_ACCESS: usize = 24;

#[derive(Clone, Debug)]
pub(crate) struct Segment {
    /// Strictly increasing.
    pub ids: Array<u64>,
    pub codes: Array<Code>,
    pub tables: Option<Tables>,
}

impl Segment {
    pub(crate) fn empty() -> Self {
        Segment {
            ids: Array::from_slice(&[]),
            codes: Array::from_slice(&[]),
            tables: None,
        }
    }

    /// Builds a segment from entries already sorted by strictly increasing id, with tables if
    /// there are at least `min_codes_for_tables` of them.
    pub(crate) fn build(
        entries: &[(u64, Code)],
        threads: usize,
        min_codes_for_tables: usize,
    ) -> Self {
        let ids = Array::build(entries.len(), |ids| {
            for (slot, (id, _)) in ids.iter_mut().zip(entries) {
                *slot = *id;
            }
        });
        let codes = Array::build(entries.len(), |codes| {
            for (slot, (_, code)) in codes.iter_mut().zip(entries) {
                *slot = *code;
            }
        });
        let tables = (!entries.is_empty() && entries.len() >= min_codes_for_tables).then(|| {
            let substrings = mih::plan(mih::substring_count(entries.len()));
            Tables::build(codes.as_slice(), substrings, threads)
        });
        Segment { ids, codes, tables }
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(crate) fn position_of(&self, id: u64) -> Option<u32> {
        self.ids
            .as_slice()
            .binary_search(&id)
            .ok()
            .map(|p| p as u32)
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.ids.heap_bytes()
            + self.codes.heap_bytes()
            + self.tables.as_ref().map_or(0, Tables::heap_bytes)
    }

    /// Appends `(position, smallest distance)` for every code within `radius` of any query.
    /// A position may appear more than once; the caller merges.
    pub(crate) fn search(
        &self,
        kernel: ScanKernel,
        queries: &[Code],
        radius: u32,
        out: &mut Vec<(u32, u32)>,
    ) -> SearchPath {
        let codes = self.codes.as_slice();
        if let Some(tables) = &self.tables {
            let scan_budget = codes.len() / SCAN_CODES_PER_RANDOM_ACCESS;
            let probes = tables.probe_count(radius) * queries.len() as u64;
            if probes <= scan_budget as u64 {
                let mut candidates = Vec::new();
                if tables.gather(queries, radius, scan_budget, &mut candidates) {
                    scan::verify(codes, &candidates, queries, radius, out);
                    return SearchPath::Tables;
                }
            }
        }
        scan::scan(kernel, codes, queries, radius, 0, out);
        SearchPath::Scan
    }
}

/// Which strategy answered a search; exposed for tests and benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchPath {
    /// Multi-index hashing probes.
    Tables,
    /// A linear scan of every code.
    Scan,
}
