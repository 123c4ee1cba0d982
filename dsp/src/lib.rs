//! `ferrite-dsp`: the shared, allocation-free DSP crate behind every Ferrite plugin.
//!
//! Nothing here knows about plugins, GUIs or files. Every model follows the same shape:
//! construction (or a `prepare`-style method) sizes all memory from the sample rate and the
//! largest block; `process` never allocates, locks, performs I/O or panics, and every loop in it
//! has a fixed cap.
//!
//! - [`analysis`]: tone amplitude and level measurement for tests and benchmarks.
//! - [`oversampler`]: half-band cascade up/down-samplers (factors 1 to 32) with exact latency.
//! - [`carrier`]: band-limited (mip-mapped wavetable) carrier oscillator.
//! - [`ring`]: the diode ring modulator, as a circuit model ([`ring::circuit`]) and as Parker's
//!   static model ([`ring::parker`]), wrapped with oversampling in [`ring::RingModulator`].
//! - [`denormal`]: the scoped FTZ/DAZ guard and per-structure flushing.
//! - [`delay`]: an integer delay line (latency compensation of dry signals).
//! - [`fade`]: the declicking fade-out/switch/fade-in for discrete parameters.
//! - [`real`]: the tiny float abstraction that lets a model run in `f32` for the plugin and in
//!   `f64` for its high-precision reference.

pub mod analysis;
pub mod carrier;
pub mod delay;
pub mod denormal;
pub mod fade;
pub mod lfo;
pub mod oversampler;
pub mod phaser;
pub mod real;
pub mod reverb;
pub mod ring;
mod simd;
pub mod solver;
pub mod vcf;
