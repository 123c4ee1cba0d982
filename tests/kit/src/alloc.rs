//! A global allocator that counts, per thread, the allocator calls made while that thread has
//! asked for counting, and the helpers that ask.
//!
//! Install it once per test binary (a crate's `tests/*.rs` file, or a bench) with
//!
//! ```ignore
//! ferrite_test_kit::counting_allocator!();
//! ```
//!
//! then check code with [`assert_no_alloc`] or look at the numbers with [`count`]. Only the
//! calling thread's allocator calls are counted: the test harness and other tests run on other
//! threads and allocate whenever they like, which says nothing about the code under test (a
//! counter shared by all threads made `dsp/tests/phaser_no_alloc.rs` flaky that way).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

/// Passes every call to the system allocator unchanged and counts it if the calling thread is
/// counting (see [`count`]). Install it with [`counting_allocator!`](crate::counting_allocator).
pub struct CountingAllocator;

/// Installs [`CountingAllocator`] as this binary's `#[global_allocator]`.
#[macro_export]
macro_rules! counting_allocator {
    () => {
        #[global_allocator]
        static FERRITE_TEST_KIT_COUNTING_ALLOCATOR: $crate::alloc::CountingAllocator = $crate::alloc::CountingAllocator;
    };
}

/// Set by the first allocator call that goes through [`CountingAllocator`]: a binary that forgot
/// to install it would otherwise pass every no-alloc test without counting anything.
static INSTALLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    // All const-initialised `Cell`s without destructors: using them never allocates.
    /// Whether this thread's allocator calls are being counted.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    /// Allocations (`alloc`, `alloc_zeroed`, `realloc`) this thread made while counting.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    /// Frees (`dealloc`) this thread made while counting.
    static FREES: Cell<usize> = const { Cell::new(0) };
    /// Bytes this thread allocated minus bytes it freed while counting (wrapping).
    static NET_BYTES: Cell<usize> = const { Cell::new(0) };
}

/// Records one allocator call of the current thread, if it is counting.
fn note(alloc: bool, added: usize, removed: usize) {
    INSTALLED.store(true, Ordering::Relaxed);
    // `try_with`: the thread-locals may already be gone while a thread shuts down.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let counter = if alloc { &ALLOCS } else { &FREES };
        let _ = counter.try_with(|c| c.set(c.get() + 1));
        let _ = NET_BYTES.try_with(|n| n.set(n.get().wrapping_add(added).wrapping_sub(removed)));
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only
// const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(true, layout.size(), 0);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(true, layout.size(), 0);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(false, 0, layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(true, new_size, layout.size());
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// What one thread did with the allocator during a [`count`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocCounts {
    /// `alloc`, `alloc_zeroed` and `realloc` calls.
    pub allocs: usize,
    /// `dealloc` calls.
    pub frees: usize,
    /// Bytes allocated minus bytes freed (what the closure left allocated).
    pub net_bytes: isize,
}

impl AllocCounts {
    /// Every allocator call: allocations and frees (a real-time path may do neither).
    pub fn events(&self) -> usize {
        self.allocs + self.frees
    }
}

/// Whether [`CountingAllocator`] is this binary's global allocator (it has seen a call).
pub fn installed() -> bool {
    if !INSTALLED.load(Ordering::Relaxed) {
        // Make sure one allocation has happened in this process, without counting it.
        let was_counting = COUNTING.with(|c| c.replace(false));
        drop(std::hint::black_box(Box::new(0u8)));
        COUNTING.with(|c| c.set(was_counting));
    }
    INSTALLED.load(Ordering::Relaxed)
}

/// Runs `f` with this thread's allocator calls counted and returns its result and the counts.
/// Other threads are never counted. Nests: an inner `count` does not stop the outer one.
///
/// Panics if [`CountingAllocator`] is not installed (the counts would be meaningless zeros).
#[track_caller]
pub fn count<R>(f: impl FnOnce() -> R) -> (R, AllocCounts) {
    assert!(
        installed(),
        "ferrite_test_kit::CountingAllocator is not this binary's global allocator: \
         add `ferrite_test_kit::counting_allocator!();` to the test file"
    );
    let (allocs, frees, bytes) = (ALLOCS.with(Cell::get), FREES.with(Cell::get), NET_BYTES.with(Cell::get));
    let was_counting = COUNTING.with(|c| c.replace(true));
    let r = f();
    COUNTING.with(|c| c.set(was_counting));
    let counts = AllocCounts {
        allocs: ALLOCS.with(Cell::get) - allocs,
        frees: FREES.with(Cell::get) - frees,
        net_bytes: NET_BYTES.with(Cell::get).wrapping_sub(bytes) as isize,
    };
    (r, counts)
}

/// Runs `f` and panics (naming `what`) if it made any allocator call on this thread:
/// no allocation, reallocation or free.
#[track_caller]
pub fn assert_no_alloc<R>(what: &str, f: impl FnOnce() -> R) -> R {
    let (r, counts) = count(f);
    assert_eq!(
        counts.events(),
        0,
        "{what}: {} allocation(s) and {} free(s) on this thread",
        counts.allocs,
        counts.frees
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::counting_allocator!();

    #[test]
    fn counts_this_threads_calls_only() {
        let (_, c) = count(|| drop(std::hint::black_box(vec![0u8; 16])));
        assert_eq!(c, AllocCounts { allocs: 1, frees: 1, net_bytes: 0 });
        let (kept, c) = count(|| std::hint::black_box(vec![0u8; 16]));
        assert_eq!((c.allocs, c.frees, c.net_bytes), (1, 0, 16));
        drop(kept);
        // Another thread allocating meanwhile is not counted.
        let ((), c) = count(|| {
            std::thread::scope(|s| {
                // Spawning allocates on this thread (before and after the other one runs), so
                // compare with the same spawn doing nothing.
                s.spawn(|| drop(std::hint::black_box(vec![0u8; 1 << 20])));
            })
        });
        let ((), idle) = count(|| std::thread::scope(|s| drop(s.spawn(|| ()))));
        // The other thread's 1 MiB vector would be one more allocation here. (Frees are not
        // compared: the spawn's shared packet is freed by whichever thread lets go of it last,
        // which is a race between the two threads, not a property of the counter.)
        assert_eq!(c.allocs, idle.allocs, "{c:?} vs {idle:?}");
        assert!(c.net_bytes < 1 << 20, "{c:?}");
    }

    #[test]
    fn nested_counts_add_up_and_no_alloc_passes_on_pure_code() {
        let ((_, inner), outer) = count(|| count(|| drop(std::hint::black_box(Box::new(1u64)))));
        assert_eq!(inner.events(), 2);
        assert_eq!(outer.events(), 2);
        assert_eq!(assert_no_alloc("sum", || (0..100u64).sum::<u64>()), 4950);
    }

    #[test]
    #[should_panic(expected = "allocation")]
    fn assert_no_alloc_catches_an_allocation() {
        assert_no_alloc("boxing", || std::hint::black_box(Box::new(1u8)));
    }
}
