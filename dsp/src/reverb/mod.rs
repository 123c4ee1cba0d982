//! The algorithmic reverbs (docs/models.md, "Reverb: shared shape"): [`freeverb`] (Jezar's
//! Schroeder–Moorer network), [`hall`] (an 8-line feedback delay network in the zita-rev1 style)
//! and [`plate`] (Dattorro's 1997 figure-8 tank), and [`convolution`] (zero-latency non-uniformly
//! partitioned FFT convolution with a lock-free IR hand-over).
//!
//! All four follow the crate's [`Model`](crate::model::Model) lifecycle, so the plugin can
//! switch between them without glue code:
//!
//! * `prepare(spec)` allocates every buffer for the largest `size` and modulation depth (a new
//!   sample rate means a new model, built outside the audio thread); `reset` clears the state.
//! * `set_settings(&ReverbSettings)` is called once per block with smoothed values. It only
//!   recomputes a handful of gains; delay-length changes (`size`) glide at a bounded rate
//!   inside `process`, and the input gain glides when `freeze` toggles, so per-block changes do
//!   not click.
//! * `process(audio, ())` is wet-only and in place, stereo in → stereo out at full width: the
//!   plugin applies `width` afterwards as Freeverb does (`outL = wet1·L + wet2·R`,
//!   `wet1 = (1 + w)/2`, `wet2 = (1 − w)/2`), so the models output their `width = 1` signals.
//!   One channel is fed to both inputs and gets the mean of both outputs. Any block length;
//!   never allocates, locks or panics. (The networks read their input while writing their
//!   output, so [`StereoInput`] keeps a copy of the input for them.)
//!
//! Robustness (docs/models.md, "Denormal guards"): every input sample goes through
//! [`blocks::sanitize_input`] (non-finite → 0, clamped to
//! ±[`crate::input::RECURSIVE_INPUT_LIMIT`], tiny → 0); every value written into a recursive
//! structure (delay lines, one-pole states) is flushed with
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

/// The rate a model runs at when asked for `sample_rate` (Hz): clamped to 8 kHz..768 kHz, and
/// 48 kHz for a non-finite one. The models' constructors and their decay predictions both use it.
pub fn model_rate(sample_rate: f32) -> f32 {
    if sample_rate.is_finite() { sample_rate.clamp(8_000.0, 768_000.0) } else { 48_000.0 }
}

/// Decay against frequency, the pieces the models' predictions (`freeverb::rt60_at`,
/// `hall::rt60_at`, `plate::rt60_at`) are made of. Every model's loop is delays, lossless
/// allpasses or an orthonormal mixing matrix, constant gains and a damping one-pole, so a loop's
/// decay at a frequency is its gain there per round trip.
pub mod decay {
    /// |H(e^jω)| of the one-pole low-pass `y[n] = (1 − p)·x[n] + p·y[n−1]` (DC gain 1), the
    /// damping filter in every model's loop; `omega` in radians per sample.
    pub fn one_pole_gain(pole: f64, omega: f64) -> f64 {
        (1.0 - pole) / (1.0 - 2.0 * pole * omega.cos() + pole * pole).max(f64::MIN_POSITIVE).sqrt()
    }

    /// Decay rate (dB/s) of a loop that passes `gain` per round trip of `loop_samples` samples
    /// at `fs` Hz (infinite for a gain of 0, 0 for a gain of 1 or more).
    pub fn loop_rate(gain: f64, loop_samples: f64, fs: f64) -> f64 {
        if !(gain > 0.0) {
            return f64::INFINITY;
        }
        (-20.0 * gain.log10() * fs / loop_samples.max(1.0)).max(0.0)
    }

    /// RT60 (s) of a decay of `rate` dB/s (infinite for 0).
    pub fn rt60(rate: f64) -> f64 {
        if rate > 0.0 { 60.0 / rate } else { f64::INFINITY }
    }

    /// `ω` (radians per sample) of `freq_hz` at `fs`.
    pub fn omega(freq_hz: f32, fs: f64) -> f64 {
        core::f64::consts::TAU * freq_hz as f64 / fs
    }
}

/// The input of an in-place `process` call, kept aside so a reverb's network can read it while
/// writing its output into the same slices. (`Default` holds no memory: a placeholder while the
/// real one is in use.)
#[derive(Clone, Debug, Default)]
pub struct StereoInput {
    /// Left input (the mono input, for one channel).
    left: Vec<f32>,
    /// Right input; for one channel, the right output before the channels are averaged.
    right: Vec<f32>,
}

impl StereoInput {
    /// Room for pieces of `max_block` samples (longer calls are processed piece by piece).
    pub fn new(max_block: usize) -> Self {
        let n = max_block.max(1);
        Self { left: vec![0.0; n], right: vec![0.0; n] }
    }

    /// Run `render(in_l, in_r, out_l, out_r)` in place over `audio`: two channels (or more:
    /// the rest are silenced) as stereo, one channel into both inputs with the mean of both
    /// outputs written back. In pieces of at most the prepared length (a bounded loop).
    pub fn run(&mut self, audio: &mut [&mut [f32]], mut render: impl FnMut(&[f32], &[f32], &mut [f32], &mut [f32])) {
        let piece = self.left.len().max(1);
        if self.left.is_empty() {
            // The empty placeholder: nothing to read the input into.
            for ch in audio.iter_mut() {
                ch.fill(0.0);
            }
            return;
        }
        match audio {
            [] => {}
            [mono] => {
                for chunk in mono.chunks_mut(piece) {
                    let n = chunk.len();
                    let (input, right) = (&mut self.left[..n], &mut self.right[..n]);
                    input.copy_from_slice(chunk);
                    render(input, input, chunk, right);
                    for (y, &r) in chunk.iter_mut().zip(right.iter()) {
                        *y = 0.5 * (*y + r);
                    }
                }
            }
            [left, right, rest @ ..] => {
                let len = left.len().min(right.len());
                let mut start = 0;
                while start < len {
                    let end = (start + piece).min(len);
                    let n = end - start;
                    self.left[..n].copy_from_slice(&left[start..end]);
                    self.right[..n].copy_from_slice(&right[start..end]);
                    render(&self.left[..n], &self.right[..n], &mut left[start..end], &mut right[start..end]);
                    start = end;
                }
                for ch in rest {
                    ch.fill(0.0);
                }
            }
        }
    }

    /// Heap memory, bytes.
    pub fn memory_bytes(&self) -> usize {
        (self.left.len() + self.right.len()) * 4
    }
}

/// Implements [`Model`](crate::model::Model) for a reverb with `new(sample_rate)`,
/// `render(in_l, in_r, out_l, out_r)`, `reset`, `memory_bytes` and an `input: StereoInput` field.
macro_rules! reverb_model {
    ($ty:ty) => {
        impl crate::model::Model for $ty {
            /// Settings are set between blocks with `set_settings`.
            type Control<'a> = ();

            fn prepare(spec: &crate::model::ProcessSpec) -> Self {
                let mut model = <$ty>::new(spec.sample_rate);
                model.input = crate::reverb::StereoInput::new(spec.max_block);
                model
            }

            fn reset(&mut self) {
                <$ty>::reset(self);
            }

            fn process(&mut self, audio: &mut [&mut [f32]], _: ()) {
                // Taken out for the call (leaving an empty placeholder, no allocation), so the
                // network can borrow `self` while the input copy is borrowed too.
                let mut input = core::mem::take(&mut self.input);
                input.run(audio, |in_l, in_r, out_l, out_r| self.render(in_l, in_r, out_l, out_r));
                self.input = input;
            }

            fn memory_bytes(&self) -> usize {
                <$ty>::memory_bytes(self) + self.input.memory_bytes()
            }
        }
    };
}
pub(crate) use reverb_model;

#[cfg(test)]
mod tests;
