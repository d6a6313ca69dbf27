//! Typed arrays that live either on the heap (64-byte aligned) or inside a memory-mapped
//! snapshot, so a loaded index and a freshly built one are the same type.

use std::marker::PhantomData;
use std::sync::Arc;

use bytemuck::{Pod, Zeroable};
use memmap2::{Advice, Mmap, MmapMut};

const HUGE_PAGE: usize = 2 << 20;

/// One cache line; the unit of heap allocation, which makes every array 64-byte aligned.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(64))]
struct Line([u8; 64]);

#[derive(Clone)]
enum Backing {
    Heap(Arc<Vec<Line>>),
    Anonymous(Arc<MmapMut>),
    Mapped { map: Arc<Mmap>, offset: usize },
}

/// A read-only array of `T`.
#[derive(Clone)]
pub(crate) struct Array<T: Pod> {
    backing: Backing,
    len: usize,
    _marker: PhantomData<T>,
}

impl<T: Pod> std::fmt::Debug for Array<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = match self.backing {
            Backing::Heap(_) | Backing::Anonymous(_) => "heap",
            Backing::Mapped { .. } => "mapped",
        };
        write!(f, "Array({} x {place})", self.len)
    }
}

impl<T: Pod> Array<T> {
    /// Builds an array of `len` elements, each written by `fill` through a mutable slice.
    ///
    /// Large arrays get their own anonymous mapping with transparent huge pages requested:
    /// queries touch them at random, and 2 MiB pages spare most of the TLB misses.
    pub(crate) fn build(len: usize, fill: impl FnOnce(&mut [T])) -> Self {
        let bytes = len * size_of::<T>();
        if bytes >= HUGE_PAGE
            && let Ok(mut map) = MmapMut::map_anon(bytes)
        {
            // Only a hint: without THP support the kernel ignores it.
            let _ = map.advise(Advice::HugePage);
            fill(bytemuck::cast_slice_mut(&mut map[..]));
            return Array {
                backing: Backing::Anonymous(Arc::new(map)),
                len,
                _marker: PhantomData,
            };
        }
        let mut lines = vec![Line([0; 64]); bytes.div_ceil(64)];
        {
            let raw: &mut [u8] = bytemuck::cast_slice_mut(&mut lines);
            fill(bytemuck::cast_slice_mut(&mut raw[..bytes]));
        }
        Array {
            backing: Backing::Heap(Arc::new(lines)),
            len,
            _marker: PhantomData,
        }
    }

    pub(crate) fn from_slice(items: &[T]) -> Self {
        Self::build(items.len(), |out| out.copy_from_slice(items))
    }

    /// Views `len` elements at byte `offset` of a mapping. The caller has checked the range;
    /// alignment is checked here.
    pub(crate) fn mapped(map: &Arc<Mmap>, offset: usize, len: usize) -> Option<Self> {
        let end = offset.checked_add(len.checked_mul(size_of::<T>())?)?;
        let bytes = map.get(offset..end)?;
        bytemuck::try_cast_slice::<u8, T>(bytes).ok()?;
        Some(Array {
            backing: Backing::Mapped {
                map: Arc::clone(map),
                offset,
            },
            len,
            _marker: PhantomData,
        })
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        let bytes = self.len * size_of::<T>();
        let raw: &[u8] = match &self.backing {
            Backing::Heap(lines) => &bytemuck::cast_slice(lines.as_slice())[..bytes],
            Backing::Anonymous(map) => &map[..bytes],
            Backing::Mapped { map, offset } => &map[*offset..*offset + bytes],
        };
        bytemuck::cast_slice(raw)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Bytes of heap this array owns (mapped arrays count zero: the page cache holds them).
    pub(crate) fn heap_bytes(&self) -> usize {
        match &self.backing {
            Backing::Heap(lines) => lines.len() * 64,
            Backing::Anonymous(map) => map.len(),
            Backing::Mapped { .. } => 0,
        }
    }
}
