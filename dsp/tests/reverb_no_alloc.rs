//! `process` and `set_settings` of the three algorithmic reverbs never allocate: a counting
//! global allocator (possible only in its own test binary) counts every allocation made on
//! this thread while they run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::reverb::freeverb::Freeverb;
use ferrite_dsp::reverb::hall::Hall;
use ferrite_dsp::reverb::plate::Plate;
use ferrite_dsp::reverb::ReverbSettings;

/// Passes everything to the system allocator, counting allocations while `COUNTING` is set on
/// the allocating thread (the test harness's own threads are not counted).
struct CountingAllocator;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            ALLOCATIONS.with(|a| a.set(a.get() + 1));
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            ALLOCATIONS.with(|a| a.set(a.get() + 1));
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Allocations made by `f` on this thread.
fn count_allocations(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(|a| a.get())
}

#[test]
fn process_and_set_settings_never_allocate() {
    let sr = 48_000.0;
    let n = 4096;
    let input: Vec<f32> = (0..n).map(|i| ((i * 7919) % 2000) as f32 / 1000.0 - 1.0).collect();
    let (mut out_l, mut out_r) = (vec![0.0f32; n], vec![0.0f32; n]);
    let spec = ProcessSpec::new(sr, n, 2);
    let mut freeverb = Freeverb::prepare(&spec);
    let mut hall = Hall::prepare(&spec);
    let mut plate = Plate::prepare(&spec);
    let allocations = count_allocations(|| {
        for (b, block) in [1usize, 7, 64, 256, 4096].into_iter().cycle().take(40).enumerate() {
            let s = ReverbSettings {
                decay_s: 0.1 + b as f32 * 0.5,
                size: (b % 3) as f32 / 2.0,
                damping: (b % 5) as f32 / 4.0,
                modulation: (b % 2) as f32,
                freeze: b % 7 == 3,
            };
            let (l, r) = (&mut out_l[..block], &mut out_r[..block]);
            let feed = |l: &mut [f32], r: &mut [f32]| {
                l.copy_from_slice(&input[..block]);
                r.copy_from_slice(&input[..block]);
            };
            freeverb.set_settings(&s);
            feed(l, r);
            freeverb.process(&mut [&mut *l, &mut *r], ());
            hall.set_settings(&s);
            feed(l, r);
            hall.process(&mut [&mut *l, &mut *r], ());
            plate.set_settings(&s);
            feed(l, r);
            plate.process(&mut [&mut *l, &mut *r], ());
            // One channel: both inputs, the mean of both outputs.
            plate.process(&mut [&mut *l], ());
        }
        freeverb.reset();
        hall.reset();
        plate.reset();
    });
    assert_eq!(allocations, 0, "process/set_settings/reset allocated {allocations} times");
    // The counter itself works: an allocation inside the window is seen.
    assert_eq!(count_allocations(|| drop(std::hint::black_box(vec![0u8; 16]))), 1);
}
