//! The algorithmic reverbs (docs/models.md, "Reverb: shared shape"): [`freeverb`] (Jezar's
//! Schroeder–Moorer network), [`hall`] (an 8-line feedback delay network in the zita-rev1 style)
//! and [`plate`] (Dattorro's 1997 figure-8 tank), and [`convolution`] (zero-latency non-uniformly
//! partitioned FFT convolution with a lock-free IR hand-over).
//!
//! All three share one shape, so the plugin can switch between them without glue code:
//!
//! * `new(sample_rate)` allocates every buffer for the largest `size` and modulation depth (a
//!   new sample rate means a new model, built outside the audio thread); `reset` clears the
//!   state.
//! * `set_settings(&ReverbSettings)` is called once per block with smoothed values. It only
//!   recomputes a handful of gains; delay-length changes (`size`) glide at a bounded rate
//!   inside `process`, and the input gain glides when `freeze` toggles, so per-block changes do
//!   not click.
//! * `process(in_l, in_r, out_l, out_r)` is wet-only, stereo in → stereo out at full width:
//!   the plugin applies `width` afterwards as Freeverb does (`outL = wet1·L + wet2·R`,
//!   `wet1 = (1 + w)/2`, `wet2 = (1 − w)/2`), so the models output their `width = 1` signals.
//!   Any block length; never allocates, locks or panics.
//!
//! Robustness (docs/models.md, "Denormal guards"): every input sample goes through
//! [`blocks::sanitize_input`] (non-finite → 0, clamped to ±[`blocks::INPUT_LIMIT`], tiny → 0);
//! every value written into a recursive structure (delay lines, one-pole states) is flushed with
//! [`crate::denormal::flush`], so the tail decays to exact zeros and never through subnormals,
//! with or without FTZ/DAZ; a block whose output is not finite (which the clamps make
//! unreachable, but the guard is cheap) resets the model and outputs silence.

pub mod blocks;
pub mod convolution;
pub mod freeverb;
pub mod hall;
pub mod plate;

/// The parameters the three algorithmic reverbs share (docs/interfaces.md, "Ferrite Reverb").
/// Plain values; [`ReverbSettings::sanitized`] clamps them to the ranges every model accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReverbSettings {
    /// Broadband RT60 in seconds (hall and plate; Freeverb has no RT60 parameter and ignores it).
    pub decay_s: f32,
    /// 0..1: Freeverb's room size (feedback); scales the delay network elsewhere.
    pub size: f32,
    /// 0..1: high-frequency damping (0 = none, so the broadband RT60 is `decay_s`).
    pub damping: f32,
    /// 0..1: depth of the slow delay modulation (Freeverb has none and ignores it).
    pub modulation: f32,
    /// Infinite sustain: lossless feedback, no damping, no new input.
    pub freeze: bool,
}

/// Shortest accepted RT60, seconds: below this the "reverb" is a few echoes of the network.
pub const MIN_DECAY_S: f32 = 0.05;
/// Longest accepted RT60, seconds: beyond it the loop gains differ from 1 by less than f32
/// resolution at the longest lines anyway; use `freeze` for infinite sustain.
pub const MAX_DECAY_S: f32 = 100.0;

impl Default for ReverbSettings {
    fn default() -> Self {
        Self { decay_s: 2.0, size: 0.5, damping: 0.5, modulation: 0.5, freeze: false }
    }
}

impl ReverbSettings {
    /// The settings clamped to their ranges, with any NaN replaced by the default value, so a
    /// model never derives a gain from a non-finite or out-of-range parameter.
    pub fn sanitized(&self) -> Self {
        let d = Self::default();
        let clamp = |x: f32, lo: f32, hi: f32, default: f32| if x.is_nan() { default } else { x.clamp(lo, hi) };
        Self {
            decay_s: clamp(self.decay_s, MIN_DECAY_S, MAX_DECAY_S, d.decay_s),
            size: clamp(self.size, 0.0, 1.0, d.size),
            damping: clamp(self.damping, 0.0, 1.0, d.damping),
            modulation: clamp(self.modulation, 0.0, 1.0, d.modulation),
            freeze: self.freeze,
        }
    }
}

#[cfg(test)]
mod tests;
