//! `ferrite-dsp`: the shared, allocation-free DSP crate behind every Ferrite plugin.
//!
//! Nothing here knows about plugins, GUIs or files. Every model follows the same shape:
//! construction (or a `prepare`-style method) sizes all memory from the sample rate and the
//! largest block; `process` never allocates, locks, performs I/O or panics, and every loop in it
//! has a fixed cap.
//!
//! - [`analysis`]: tone amplitude and level measurement for tests and benchmarks.
//! - [`carrier`]: band-limited (mip-mapped wavetable) carrier oscillator.
//! - [`delay`]: an integer delay line (latency compensation of dry signals).
//! - [`denormal`]: the scoped FTZ/DAZ guard and per-structure flushing.
//! - [`fade`]: the declicking fade-out/switch/fade-in for discrete parameters.
//! - [`lfo`]: the control-rate LFO (four shapes, tempo sync) that sweeps the phaser.
//! - [`oversampler`]: half-band cascade up/down-samplers (factors 1 to 32) with exact latency.
//! - [`phaser`]: the 1-to-48-stage allpass phaser with saturating feedback.
//! - [`real`]: the float abstraction that runs a model in `f32` and its reference in `f64`.
//! - [`reverb`]: Freeverb, the FDN hall, Dattorro's plate and the zero-latency convolver.
//! - [`ring`]: the diode ring modulator, circuit and Parker models, oversampled.
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
pub mod solver;
pub mod vcf;
