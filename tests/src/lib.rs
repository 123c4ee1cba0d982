//! Shared helpers for Ferrite's cross-crate tests: an allocation-counting global allocator, a
//! small deterministic random generator, test signals, and offline rendering through the
//! plugins' own `process` (via `ferrite_plugin_common::host::OfflineHost`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};
use ferrite_plugin_common::settings;
use ferrite_plugin_common::wav::Audio;
use nice_plug::prelude::*;

/// A global allocator that counts allocations, reallocations and frees made on a thread while
/// that thread has counting switched on (see [`count_allocations`]).
pub struct CountingAllocator;

thread_local! {
    /// Whether this thread's allocations are being counted (const-initialised: no allocation).
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    /// Allocator calls this thread made while counting was on. Per thread, so tests running in
    /// parallel never see each other's allocations.
    static EVENTS: Cell<usize> = const { Cell::new(0) };
    /// Bytes this thread allocated minus bytes it freed while counting was on (wrapping).
    static NET_BYTES: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    if COUNTING.with(Cell::get) {
        EVENTS.with(|e| e.set(e.get() + 1));
    }
}

fn note_bytes(added: usize, removed: usize) {
    if COUNTING.with(Cell::get) {
        NET_BYTES.with(|n| n.set(n.get().wrapping_add(added.wrapping_sub(removed))));
    }
}

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        note_bytes(layout.size(), 0);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        note_bytes(0, layout.size());
        System.dealloc(ptr, layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        note_bytes(layout.size(), 0);
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        note_bytes(new_size, layout.size());
        System.realloc(ptr, layout, new_size)
    }
}

/// Run `f` with this thread's allocations counted; returns `f`'s result and the count.
/// Only meaningful in a test binary that installs [`CountingAllocator`] as `#[global_allocator]`.
pub fn count_allocations<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = EVENTS.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    let r = f();
    COUNTING.with(|c| c.set(false));
    (r, EVENTS.with(Cell::get) - before)
}

/// Run `f` and return its result with the net number of bytes it left allocated on this thread
/// (allocations minus frees). Only meaningful with [`CountingAllocator`] installed.
pub fn net_allocated_bytes<R>(f: impl FnOnce() -> R) -> (R, isize) {
    let before = NET_BYTES.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    let r = f();
    COUNTING.with(|c| c.set(false));
    (r, NET_BYTES.with(Cell::get).wrapping_sub(before) as isize)
}

/// xorshift64*: small, fast, deterministic (tests must be reproducible).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Uniform in [-1, 1).
    pub fn signed(&mut self) -> f32 {
        self.unit() * 2.0 - 1.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// `channels` channels of `frames` samples of the shared music-like test signal
/// (`ferrite_dsp::analysis::music_like`), peaking at `peak`; `seed` varies the material.
pub fn music_like(channels: usize, frames: usize, sample_rate: f32, peak: f32, seed: u64) -> Vec<Vec<f32>> {
    (0..channels)
        .map(|c| {
            let seed = (seed as u32).wrapping_mul(31).wrapping_add(c as u32);
            ferrite_dsp::analysis::music_like(seed, frames, sample_rate as f64).into_iter().map(|x| x * peak).collect()
        })
        .collect()
}

/// A sine of `freq` Hz at amplitude `amp`, `frames` long.
pub fn sine(freq: f64, amp: f64, sample_rate: f64, frames: usize) -> Vec<f32> {
    (0..frames).map(|i| (amp * (std::f64::consts::TAU * freq * i as f64 / sample_rate).sin()) as f32).collect()
}

/// Render `input` through plugin `P` offline with `sets` (`ID=VALUE`), exactly as the
/// `render` command does (latency compensated, output as long as the input).
pub fn render<P: Plugin>(input: &[Vec<f32>], sample_rate: u32, sets: &[&str], block: usize) -> Vec<Vec<f32>> {
    render_with_sidechain::<P>(input, None, sample_rate, sets, block)
}

/// [`render`] with a sidechain input.
pub fn render_with_sidechain<P: Plugin>(
    input: &[Vec<f32>],
    sidechain: Option<&[Vec<f32>]>,
    sample_rate: u32,
    sets: &[&str],
    block: usize,
) -> Vec<Vec<f32>> {
    let mut host = OfflineHost::<P>::new();
    let parsed: Vec<_> = sets.iter().map(|s| settings::parse_setting(host.params().as_ref(), s).unwrap()).collect();
    settings::apply(host.params().as_ref(), &parsed);
    let layout = layout_for_channels::<P>(input.len()).expect("layout");
    host.activate(layout, sample_rate as f32, block).unwrap();
    let audio = Audio { sample_rate, channels: input.to_vec() };
    let sc = sidechain.map(|c| Audio { sample_rate, channels: c.to_vec() });
    ferrite_plugin_common::cli::run_offline(&mut host, &audio, sc.as_ref(), block, 0.0).unwrap().channels
}
