//! Freeverb (Jezar at Dreampoint, 2000, public domain; models.md §4): eight parallel feedback
//! combs with a one-pole low-pass in each loop, into four series "allpasses", per channel.
//!
//! Equations, per comb of delay `D` (Jezar's `comb::process`):
//!
//! ```text
//! out[n]   = buf[n − D]
//! f[n]     = out[n]·(1 − d) + f[n−1]·d          d = damp·0.4 (`scaledamp`)
//! buf[n]   = x[n] + g·f[n]                       g = room·0.28 + 0.7 (`scaleroom`, `offsetroom`)
//! ```
//!
//! and per "allpass" of delay `M` (Jezar's `allpass::process`, feedback ½; note it is not a
//! true allpass, and is copied as published):
//!
//! ```text
//! b = buf[n − M];  y[n] = b − x[n];  buf[n] = x[n] + ½·b
//! ```
//!
//! The comb input is the mono sum `x = (L + R)·0.015` (`fixedgain`) for both channels, as
//! published; the right channel's delays are 23 samples longer (`stereospread`), which is what
//! decorrelates the two outputs. Each output is the sum of its eight combs through its four
//! allpasses, times the wet scale 3 (`scalewet`, so wet = 1 gives the published level). Freeze
//! (`freezemode`): g = 1, d = 0, input 0; the combs are then exactly lossless in f32
//! (`f = out`, `buf = f`).
//!
//! Sample-rate independence: the published lengths are for 44.1 kHz and are scaled to the rate
//! (rounded). The loop gain per round trip is then the same at any rate, and the damping
//! one-pole's pole `d` becomes `d^(44100/fs)` so its corner stays at the same frequency in Hz.
//! At 44.1 kHz everything is exactly Jezar's.
//!
//! Solver/layout: the 16 combs (8 left, 8 right) are processed as lanes of `[f32; 16]` so the
//! loop filter and feedback vectorise; their delay memories share one power-of-two stride and
//! one running write position (mask, no modulo). Wet-only, stereo in → stereo out at width 1
//! (`wet1 = 3`, `wet2 = 0`); the plugin mixes for width.

use super::blocks::{all_finite, sanitize_input, Lanes};
use super::ReverbSettings;
use crate::denormal::flush;

/// Jezar's `combtuningL1..L8`, samples at 44.1 kHz.
const COMB_TUNING: [usize; 8] = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
/// Jezar's `allpasstuningL1..L4`, samples at 44.1 kHz.
const ALLPASS_TUNING: [usize; 4] = [556, 441, 341, 225];
/// Jezar's `stereospread`: the right channel's extra delay, samples at 44.1 kHz.
const STEREO_SPREAD: usize = 23;
/// The rate Jezar's tunings are given for.
const REFERENCE_RATE: f64 = 44_100.0;
/// Jezar's `fixedgain`: input gain into the combs.
pub const FIXED_GAIN: f32 = 0.015;
/// Jezar's `scalewet`: the output gain at wet = 1.
pub const SCALE_WET: f32 = 3.0;
/// Jezar's `scaledamp`.
pub const SCALE_DAMP: f32 = 0.4;
/// Jezar's `scaleroom`.
pub const SCALE_ROOM: f32 = 0.28;
/// Jezar's `offsetroom`.
pub const OFFSET_ROOM: f32 = 0.7;
/// Jezar's allpass feedback.
pub const ALLPASS_FEEDBACK: f32 = 0.5;
/// Time for the input gain to glide fully on or off when freeze toggles (Jezar switches it
/// abruptly, which clicks when the input is loud).
const INPUT_GLIDE_S: f32 = 0.01;

/// Jezar's Freeverb, stereo, at any sample rate.
#[derive(Clone)]
pub struct Freeverb {
    /// Sample rate, Hz.
    sample_rate: f32,
    /// Delay memory of the 16 combs (lanes 0–7 left, 8–15 right).
    combs: Lanes,
    /// Comb delays at this rate, samples.
    comb_len: [usize; 16],
    /// The combs' low-pass states (Jezar's `filterstore`).
    comb_state: [f32; 16],
    /// Delay memory of the 8 allpasses (lanes 0–3 left in series order, 4–7 right).
    allpasses: Lanes,
    /// Allpass delays at this rate, samples.
    allpass_len: [usize; 8],
    /// Running write position shared by all delay memories.
    pos: usize,
    /// Comb feedback g (1 in freeze).
    feedback: f32,
    /// Damping pole d at this rate (0 in freeze).
    damp1: f32,
    /// 1 − d.
    damp2: f32,
    /// Current input gain (glides to its target).
    input_gain: f32,
    /// FIXED_GAIN, or 0 in freeze.
    input_gain_target: f32,
    /// Largest input-gain change per sample.
    input_gain_step: f32,
    /// The last settings applied (sanitised), kept across `set_sample_rate`.
    settings: ReverbSettings,
}

impl Freeverb {
    /// Allocate every delay line for `sample_rate` (Hz, clamped to 8 kHz..768 kHz).
    pub fn new(sample_rate: f32) -> Self {
        let sample_rate = if sample_rate.is_finite() { sample_rate.clamp(8_000.0, 768_000.0) } else { 48_000.0 };
        let ratio = sample_rate as f64 / REFERENCE_RATE;
        let scale = |n: usize| ((n as f64 * ratio).round() as usize).max(1);
        let comb_len: [usize; 16] =
            core::array::from_fn(|k| if k < 8 { scale(COMB_TUNING[k]) } else { scale(COMB_TUNING[k - 8] + STEREO_SPREAD) });
        let allpass_len: [usize; 8] = core::array::from_fn(|k| {
            if k < 4 {
                scale(ALLPASS_TUNING[k])
            } else {
                scale(ALLPASS_TUNING[k - 4] + STEREO_SPREAD)
            }
        });
        let max_comb = comb_len.iter().copied().max().unwrap_or(1);
        let max_allpass = allpass_len.iter().copied().max().unwrap_or(1);
        let mut reverb = Self {
            sample_rate,
            combs: Lanes::new(16, max_comb),
            comb_len,
            comb_state: [0.0; 16],
            allpasses: Lanes::new(8, max_allpass),
            allpass_len,
            pos: 0,
            feedback: 0.0,
            damp1: 0.0,
            damp2: 1.0,
            input_gain: FIXED_GAIN,
            input_gain_target: FIXED_GAIN,
            input_gain_step: FIXED_GAIN / (INPUT_GLIDE_S * sample_rate),
            settings: ReverbSettings::default(),
        };
        reverb.set_settings(&ReverbSettings::default());
        reverb.input_gain = reverb.input_gain_target;
        reverb
    }

    /// Re-allocate for a new sample rate (not real-time safe), keeping the settings. Clears the
    /// state.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        let settings = self.settings;
        *self = Self::new(sample_rate);
        self.set_settings(&settings);
        self.input_gain = self.input_gain_target;
    }

    /// The sample rate, Hz.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Apply `size` (room), `damping` and `freeze`; `decay_s` and `modulation` do not exist in
    /// Freeverb. Cheap (one `powf`), so it can run every block.
    pub fn set_settings(&mut self, settings: &ReverbSettings) {
        let s = settings.sanitized();
        self.settings = s;
        if s.freeze {
            self.feedback = 1.0;
            self.damp1 = 0.0;
            self.input_gain_target = 0.0;
        } else {
            self.feedback = s.size * SCALE_ROOM + OFFSET_ROOM;
            let pole = s.damping * SCALE_DAMP;
            self.damp1 = if self.sample_rate as f64 == REFERENCE_RATE {
                pole
            } else {
                (pole as f64).powf(REFERENCE_RATE / self.sample_rate as f64) as f32
            };
            self.input_gain_target = FIXED_GAIN;
        }
        self.damp2 = 1.0 - self.damp1;
    }

    /// Clear all state (delay memories and filters); settings are kept.
    pub fn reset(&mut self) {
        self.combs.reset();
        self.allpasses.reset();
        self.comb_state = [0.0; 16];
        self.pos = 0;
        self.input_gain = self.input_gain_target;
    }

    /// Heap memory held, bytes.
    pub fn memory_bytes(&self) -> usize {
        self.combs.memory_bytes() + self.allpasses.memory_bytes()
    }

    /// True when any state value is subnormal (for tests of the denormal guards).
    pub fn has_subnormal_state(&self) -> bool {
        let sub = |x: &f32| crate::denormal::is_subnormal_f32(*x);
        self.combs.samples().iter().any(sub) || self.allpasses.samples().iter().any(sub) || self.comb_state.iter().any(sub)
    }

    /// Wet-only stereo reverb of one block (any length; only the common length of the four
    /// slices is processed).
    pub fn process(&mut self, in_l: &[f32], in_r: &[f32], out_l: &mut [f32], out_r: &mut [f32]) {
        let len = in_l.len().min(in_r.len()).min(out_l.len()).min(out_r.len());
        let (in_l, in_r) = (&in_l[..len], &in_r[..len]);
        let (out_l, out_r) = (&mut out_l[..len], &mut out_r[..len]);
        let (fb, damp1, damp2) = (self.feedback, self.damp1, self.damp2);
        {
            let mut combs = self.combs.view();
            let mut allpasses = self.allpasses.view();
            for (((&xl, &xr), yl), yr) in in_l.iter().zip(in_r).zip(out_l.iter_mut()).zip(out_r.iter_mut()) {
                self.input_gain = super::blocks::glide(self.input_gain, self.input_gain_target, self.input_gain_step);
                let input = (sanitize_input(xl) + sanitize_input(xr)) * self.input_gain;
                let pos = self.pos;
                let mut comb_out = [0.0f32; 16];
                for (k, o) in comb_out.iter_mut().enumerate() {
                    *o = combs.read(k, pos, self.comb_len[k]);
                }
                for (s, &o) in self.comb_state.iter_mut().zip(&comb_out) {
                    *s = flush(o * damp2 + *s * damp1);
                }
                for (k, &s) in self.comb_state.iter().enumerate() {
                    combs.write(k, pos, flush(input + s * fb));
                }
                let mut l = 0.0f32;
                let mut r = 0.0f32;
                for k in 0..8 {
                    l += comb_out[k];
                    r += comb_out[k + 8];
                }
                for stage in 0..4 {
                    let bl = allpasses.read(stage, pos, self.allpass_len[stage]);
                    let br = allpasses.read(stage + 4, pos, self.allpass_len[stage + 4]);
                    allpasses.write(stage, pos, flush(l + bl * ALLPASS_FEEDBACK));
                    allpasses.write(stage + 4, pos, flush(r + br * ALLPASS_FEEDBACK));
                    l = bl - l;
                    r = br - r;
                }
                *yl = l * SCALE_WET;
                *yr = r * SCALE_WET;
                self.pos = pos.wrapping_add(1);
            }
        }
        if !all_finite(out_l, out_r) {
            self.reset();
            out_l.fill(0.0);
            out_r.fill(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sum of squares of the last `D_k` values written into each comb: the comb's stored energy.
    fn comb_energies(m: &Freeverb) -> [f64; 16] {
        core::array::from_fn(|k| (1..=m.comb_len[k]).map(|d| (m.combs.peek(k, m.pos, d) as f64).powi(2)).sum())
    }

    #[test]
    fn frozen_combs_are_exactly_lossless() {
        // In freeze the comb recursion is `f = out·1 + f·0`, `buf = 0 + f·1`: each comb's
        // contents only rotate, so its stored energy is constant to the last bit (the f64 sums
        // differ only by summation order: 1e-12).
        let sr = 48_000.0;
        let mut m = Freeverb::new(sr);
        let s = ReverbSettings { size: 0.8, damping: 0.7, ..Default::default() };
        m.set_settings(&s);
        let mut state = 1u32;
        let x: Vec<f32> = (0..24_000)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / 8_388_608.0 - 1.0
            })
            .collect();
        let mut out = (vec![0.0f32; x.len()], vec![0.0f32; x.len()]);
        m.process(&x, &x, &mut out.0, &mut out.1);
        m.set_settings(&ReverbSettings { freeze: true, ..s });
        // Let the input glide out (10 ms) and its last samples enter the combs.
        m.process(&x[..2_000], &x[..2_000], &mut out.0[..2_000], &mut out.1[..2_000]);
        let before = comb_energies(&m);
        for _ in 0..10 {
            m.process(&x, &x, &mut out.0, &mut out.1);
        }
        let after = comb_energies(&m);
        for k in 0..16 {
            assert!(before[k] > 0.0);
            assert!((after[k] / before[k] - 1.0).abs() < 1e-12, "comb {k}: {} → {}", before[k], after[k]);
        }
    }
}
