//! `ferrite-dsp`: the shared, allocation-free DSP crate behind every Ferrite plugin.
//!
//! Nothing here knows about plugins, GUIs or files. Every model follows one lifecycle,
//! [`model::Model`]: `prepare` sizes all memory from the sample rate, the largest block and the
//! channel count; `reset` clears the state; `process` works in place and never allocates, locks,
//! performs I/O or panics, and every loop in it has a fixed cap.
//!
//! - [`analysis`]: tone amplitude and level measurement for tests and benchmarks.
//! - [`biquad`]: second-order Butterworth high- and low-pass sections (the reverb's cut filters).
//! - [`carrier`]: band-limited (mip-mapped wavetable) carrier oscillator.
//! - [`delay`]: an integer delay line (latency compensation of dry signals) and a gliding
//!   fractional one (the reverb's predelay).
//! - [`denormal`]: the scoped FTZ/DAZ guard and per-structure flushing.
//! - [`fade`]: the declicking fade-out/switch/fade-in for discrete parameters.
//! - [`input`]: input sanitising, one function with one documented limit per purpose.
//! - [`lfo`]: the control-rate LFO (four shapes, tempo sync) that sweeps the phaser.
//! - [`model`]: the lifecycle every model implements ([`model::Model`], [`model::ProcessSpec`]).
//! - [`oversampler`]: half-band cascade up/down-samplers (factors 1 to 32) with exact latency.
//! - [`phaser`]: the 1-to-48-stage allpass phaser with saturating feedback.
//! - [`real`]: the float abstraction that runs a model in `f32` and its reference in `f64`.
//! - [`reverb`]: Freeverb, the FDN hall, Dattorro's plate and the zero-latency convolver.
//! - [`ring`]: the diode ring modulator, circuit and Parker models, oversampled.
//! - `simd` (private): the one 4-lane type the models share (`wide::f32x4`) and the lane math
//!   `wide` lacks.
//! - [`solver`]: statistics of the per-sample Newton solvers (ring circuit, VCS3 filter).
//! - [`vcf`]: the EMS VCS3 diode-ladder filter, solved by Newton's method every sample.
//!
//! The models' equations, constants, sources and known traps: `docs/models.md`.

pub mod analysis;
pub mod biquad;
pub mod carrier;
pub mod delay;
pub mod denormal;
pub mod fade;
pub mod input;
pub mod lfo;
pub mod model;
pub mod oversampler;
pub mod phaser;
pub mod real;
pub mod reverb;
pub mod ring;
mod simd;
pub mod solver;
pub mod vcf;
