//! Ferrite's test helpers, written once for every test binary and bench of the workspace:
//!
//! - [`alloc`]: an allocation counter that counts **per thread** (only what the thread that
//!   asked for counting allocates, so test threads running in parallel cannot make a no-alloc
//!   test flaky), installed with one line: `ferrite_test_kit::counting_allocator!();`.
//! - [`rng`]: one small deterministic random generator (xorshift64*).
//! - [`wav`]: writing WAV files (via `hound`, re-exported for reading them back).
//! - [`temp`]: temporary folders that remove themselves.
//! - [`expect`] (feature `expect`): what a plugin says about itself (`ferrite-X params --json`),
//!   the one source of the host-level tests' expectations.
//! - [`editor`] (feature `editor`): driving an editor headless (egui_kittest) as a user does:
//!   a harness, knob drags, double-clicks, typed values, gesture checks.
//! - [`x11`] (feature `x11`): a private Xvfb, window lookup and screenshots for the real-window
//!   tests.
//!
//! A dev-dependency only. Its default build depends on `hound` alone, so `ferrite-dsp` can use it.

pub mod alloc;
#[cfg(feature = "editor")]
pub mod editor;
#[cfg(feature = "expect")]
pub mod expect;
pub mod rng;
pub mod temp;
pub mod wav;
#[cfg(feature = "x11")]
pub mod x11;

pub use alloc::{assert_no_alloc, count, AllocCounts, CountingAllocator};
pub use hound;
pub use rng::Rng;
pub use temp::TempDir;
