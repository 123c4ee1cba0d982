//! Freeverb (Jezar at Dreampoint, 2000, public domain; docs/models.md, "Reverb: Freeverb"): eight
//! parallel feedback combs with a one-pole low-pass in each loop, into four series "allpasses", per
//! channel.
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
//! Solver/layout: every comb and allpass has a buffer of exactly its delay, read and then
//! overwritten at one running index as in Jezar's code ([`Rings`]). `process` works in
//! sub-blocks of at most `SUB_BLOCK` (64) samples that end before any buffer wraps (so no
//! sub-block is longer than the shortest delay); within one, every comb's and allpass's reads
//! are samples written before the sub-block, so each buffer is read and written as one
//! contiguous span. The 16 comb recursions (8 left, 8 right) run across lanes of `[f32; 16]`
//! rows of a transposed scratch block (4×4 transposes in and out, the loop filter and
//! feedback as four 4-lane vectors), and the allpasses run along time over whole spans
//! (4 samples per vector). Every sample sees exactly the per-sample
//! arithmetic of the published structure, in the same order, so the output does not depend on
//! how the signal is split. Wet-only, stereo in → stereo out at width 1 (`wet1 = 3`,
//! `wet2 = 0`); the plugin mixes for width.

use super::blocks::{all_finite, glide, sanitize_input, transpose_in, transpose_out, Rings};
use crate::simd::{f32x4, LaneOps};
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
/// Longest sub-block `process` works on, samples: large enough to amortise the per-sub-block
/// set-up, small enough for the transposed comb block (16 × 64 f32, 4 KiB) to stay in L1.
const SUB_BLOCK: usize = 64;

/// Per-sub-block working memory of [`Freeverb::process`], on the heap so that no call zeroes
/// or moves 4.5 KiB of stack.
#[derive(Clone)]
struct Scratch {
    /// Comb input per sample (the mono sum times the input gain).
    input: [f32; SUB_BLOCK],
    /// Comb outputs, then the values written back, one row of 16 combs per sample.
    rows: [[f32; 16]; SUB_BLOCK],
    /// Left and right signals: comb sums, then through the allpasses.
    sum: [[f32; SUB_BLOCK]; 2],
}

/// Jezar's Freeverb, stereo, at any sample rate.
#[derive(Clone)]
pub struct Freeverb {
    /// Sample rate, Hz.
    sample_rate: f32,
    /// Delay memory of the 16 combs (0–7 left, 8–15 right), each exactly its delay long.
    combs: Rings<16>,
    /// The combs' low-pass states (Jezar's `filterstore`).
    comb_state: [f32; 16],
    /// Delay memory of the 8 allpasses (0–3 left in series order, 4–7 right).
    allpasses: Rings<8>,
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
    /// The last settings applied (sanitised).
    settings: ReverbSettings,
    /// Working memory of `process` (no state: overwritten before every use).
    scratch: Box<Scratch>,
    /// A copy of the input of an in-place `process` call (see [`super::StereoInput`]).
    input: super::StereoInput,
}

impl Freeverb {
    /// Allocate every delay line for `sample_rate` (Hz, clamped to 8 kHz..768 kHz).
    pub(crate) fn new(sample_rate: f32) -> Self {
        let sample_rate = super::model_rate(sample_rate);
        let ratio = sample_rate as f64 / REFERENCE_RATE;
        let scale = |n: usize| ((n as f64 * ratio).round() as usize).max(1);
        let comb_len = comb_lengths(sample_rate);
        let allpass_len: [usize; 8] = core::array::from_fn(|k| {
            if k < 4 {
                scale(ALLPASS_TUNING[k])
            } else {
                scale(ALLPASS_TUNING[k - 4] + STEREO_SPREAD)
            }
        });
        let mut reverb = Self {
            input: super::StereoInput::default(),
            sample_rate,
            combs: Rings::new(comb_len),
            comb_state: [0.0; 16],
            allpasses: Rings::new(allpass_len),
            feedback: 0.0,
            damp1: 0.0,
            damp2: 1.0,
            input_gain: FIXED_GAIN,
            input_gain_target: FIXED_GAIN,
            input_gain_step: FIXED_GAIN / (INPUT_GLIDE_S * sample_rate),
            settings: ReverbSettings::default(),
            scratch: Box::new(Scratch { input: [0.0; SUB_BLOCK], rows: [[0.0; 16]; SUB_BLOCK], sum: [[0.0; SUB_BLOCK]; 2] }),
        };
        reverb.apply_settings(ReverbSettings::default().sanitized());
        reverb.input_gain = reverb.input_gain_target;
        reverb
    }

    /// Apply `size` (room), `damping` and `freeze`; `decay_s` and `modulation` do not exist in
    /// Freeverb. Cheap (one `powf`, skipped when nothing changed), so it can run every block.
    pub fn set_settings(&mut self, settings: &ReverbSettings) {
        let s = settings.sanitized();
        // Everything below is a function of the settings and the rate only, so unchanged
        // settings (the usual case when the host calls this every block) change nothing.
        if s != self.settings {
            self.apply_settings(s);
        }
    }

    /// The work of [`Self::set_settings`] for sanitised settings `s`.
    fn apply_settings(&mut self, s: ReverbSettings) {
        self.settings = s;
        if s.freeze {
            self.feedback = 1.0;
            self.damp1 = 0.0;
            self.input_gain_target = 0.0;
        } else {
            self.feedback = comb_feedback(s.size);
            self.damp1 = damping_pole(s.damping, self.sample_rate);
            self.input_gain_target = FIXED_GAIN;
        }
        self.damp2 = 1.0 - self.damp1;
    }

    /// Clear all state (delay memories and filters); settings are kept.
    pub fn reset(&mut self) {
        self.combs.reset();
        self.allpasses.reset();
        self.comb_state = [0.0; 16];
        self.input_gain = self.input_gain_target;
    }

    /// Heap memory held, bytes.
    pub fn memory_bytes(&self) -> usize {
        self.combs.memory_bytes() + self.allpasses.memory_bytes() + core::mem::size_of::<Scratch>()
    }

    /// True when any state value is subnormal (for tests of the denormal guards).
    pub fn has_subnormal_state(&self) -> bool {
        let sub = |x: &f32| crate::denormal::is_subnormal_f32(*x);
        self.combs.samples().iter().any(sub) || self.allpasses.samples().iter().any(sub) || self.comb_state.iter().any(sub)
    }

    /// Wet-only stereo reverb of one block (any length; only the common length of the four
    /// slices is processed).
    pub(crate) fn render(&mut self, in_l: &[f32], in_r: &[f32], out_l: &mut [f32], out_r: &mut [f32]) {
        let len = in_l.len().min(in_r.len()).min(out_l.len()).min(out_r.len());
        let (in_l, in_r) = (&in_l[..len], &in_r[..len]);
        let (out_l, out_r) = (&mut out_l[..len], &mut out_r[..len]);
        let (fb, damp1, damp2) = (self.feedback, self.damp1, self.damp2);
        let (gain_target, gain_step) = (self.input_gain_target, self.input_gain_step);
        let mut gain = self.input_gain;
        let mut state = self.comb_state;
        // Each pass handles `b ≥ 1` samples (every room is ≥ 1), so at most `len` passes.
        let mut done = 0;
        while done < len {
            let sub = if super::blocks::per_sample_only() { 1 } else { SUB_BLOCK };
            let b = (len - done).min(sub).min(self.combs.min_room()).min(self.allpasses.min_room());
            let (xl, xr) = (&in_l[done..done + b], &in_r[done..done + b]);
            let (yl, yr) = (&mut out_l[done..done + b], &mut out_r[done..done + b]);

            let Scratch { input, rows, sum } = &mut *self.scratch;
            let input = &mut input[..b];
            for g in input.iter_mut() {
                gain = glide(gain, gain_target, gain_step);
                *g = gain;
            }
            for ((x, &l), &r) in input.iter_mut().zip(xl).zip(xr) {
                *x *= sanitize_input(l) + sanitize_input(r);
            }

            // Comb outputs (the samples written D ago), transposed into rows of 16 lanes, and
            // summed per channel in Jezar's order (comb 1 first).
            let rows = &mut rows[..b];
            let [l, r] = sum;
            let (l, r) = (&mut l[..b], &mut r[..b]);
            l.fill(0.0);
            r.fill(0.0);
            for group in 0..4 {
                if let Some([a, b, c, d]) = self.combs.spans4(4 * group, b) {
                    transpose_in([a, b, c, d], rows, group);
                    let acc = if group < 2 { &mut *l } else { &mut *r };
                    for span in [a, b, c, d] {
                        for (s, &v) in acc.iter_mut().zip(span.iter()) {
                            *s += v;
                        }
                    }
                }
            }
            // The comb recursions, 16 lanes per sample; each row becomes the values to write.
            comb_rows(rows, input, &mut state, fb, damp1, damp2);
            for group in 0..4 {
                if let Some(spans) = self.combs.spans4(4 * group, b) {
                    transpose_out(rows, group, spans);
                }
            }

            // The allpasses in series, each over the whole span.
            for stage in 0..8 {
                let x = if stage < 4 { &mut *l } else { &mut *r };
                allpass_span(self.allpasses.span(stage, b), x);
            }
            for (y, &v) in yl.iter_mut().zip(l.iter()) {
                *y = v * SCALE_WET;
            }
            for (y, &v) in yr.iter_mut().zip(r.iter()) {
                *y = v * SCALE_WET;
            }
            self.combs.advance(b);
            self.allpasses.advance(b);
            done += b;
        }
        self.input_gain = gain;
        self.comb_state = state;
        if !all_finite(out_l, out_r) {
            self.reset();
            out_l.fill(0.0);
            out_r.fill(0.0);
        }
    }
}

/// The 16 comb delays at the model rate `sample_rate`, samples: 0–7 left, 8–15 right (23
/// samples longer at 44.1 kHz), Jezar's tunings scaled and rounded.
fn comb_lengths(sample_rate: f32) -> [usize; 16] {
    let ratio = sample_rate as f64 / REFERENCE_RATE;
    let scale = |n: usize| ((n as f64 * ratio).round() as usize).max(1);
    core::array::from_fn(|k| if k < 8 { scale(COMB_TUNING[k]) } else { scale(COMB_TUNING[k - 8] + STEREO_SPREAD) })
}

/// The combs' feedback g for `size` (Jezar's room mapping).
fn comb_feedback(size: f32) -> f32 {
    size * SCALE_ROOM + OFFSET_ROOM
}

/// The combs' damping pole d for `damping` at the model rate `sample_rate` (Jezar's at 44.1 kHz,
/// the same corner frequency at other rates).
fn damping_pole(damping: f32, sample_rate: f32) -> f32 {
    let pole = damping * SCALE_DAMP;
    if sample_rate as f64 == REFERENCE_RATE {
        pole
    } else {
        (pole as f64).powf(REFERENCE_RATE / sample_rate as f64) as f32
    }
}

/// Reverberation time (s) at `freq_hz` of Freeverb with `settings` at `sample_rate`, from the
/// model's own lengths and coefficients: each of the 16 combs passes `g·|LP(f)|` per round trip
/// of its delay `D` (the damping one-pole is the only filter in its loop); the tail is the sum
/// of the combs, so their decay rates (dB/s) are averaged. `decay_s` does not exist in
/// Freeverb; the allpasses after the combs do not change the decay. Infinite in freeze.
pub fn rt60_at(settings: &ReverbSettings, sample_rate: f32, freq_hz: f32) -> f32 {
    use super::decay::{loop_rate, omega, one_pole_gain, rt60};
    let s = settings.sanitized();
    if s.freeze {
        return f32::INFINITY;
    }
    let fs = super::model_rate(sample_rate);
    let gain = comb_feedback(s.size) as f64 * one_pole_gain(damping_pole(s.damping, fs) as f64, omega(freq_hz, fs as f64));
    let rates = comb_lengths(fs).map(|d| loop_rate(gain, d as f64, fs as f64));
    rt60(rates.iter().sum::<f64>() / rates.len() as f64) as f32
}

/// The 16 comb recursions over a sub-block: on entry `rows[i]` holds the combs' outputs at
/// sample `i`, on exit the values to write back (`f = flush(out·(1−d) + f·d)`,
/// `buf = flush(x + g·f)` per lane, Jezar's `comb::process` with the denormal guard).
#[inline(always)]
fn comb_rows(rows: &mut [[f32; 16]], input: &[f32], state: &mut [f32; 16], fb: f32, damp1: f32, damp2: f32) {
    let (d1, d2, g) = (f32x4::splat(damp1), f32x4::splat(damp2), f32x4::splat(fb));
    let (chunks, _) = state.as_chunks_mut::<4>();
    let mut s: [f32x4; 4] = core::array::from_fn(|j| f32x4::new(chunks[j]));
    for (row, &x) in rows.iter_mut().zip(input) {
        let x = f32x4::splat(x);
        let (lanes, _) = row.as_chunks_mut::<4>();
        for (o, s) in lanes.iter_mut().zip(s.iter_mut()) {
            *s = (f32x4::new(*o) * d2 + *s * d1).flush_denormals();
            *o = (x + *s * g).flush_denormals().to_array();
        }
    }
    for (c, s) in chunks.iter_mut().zip(s) {
        *c = s.to_array();
    }
}

/// One of Jezar's "allpasses" over a whole span (`buf.len() ≤` its delay, so every read is a
/// sample written before the span): `b = buf; buf = flush(x + ½·b); x = b − x`.
#[inline(always)]
fn allpass_span(buf: &mut [f32], x: &mut [f32]) {
    let half = f32x4::splat(ALLPASS_FEEDBACK);
    let (bc, bt) = buf.as_chunks_mut::<4>();
    let (xc, xt) = x.as_chunks_mut::<4>();
    for (b4, x4) in bc.iter_mut().zip(xc.iter_mut()) {
        let (bo, xv) = (f32x4::new(*b4), f32x4::new(*x4));
        *b4 = (xv + bo * half).flush_denormals().to_array();
        *x4 = (bo - xv).to_array();
    }
    for (v, x) in bt.iter_mut().zip(xt.iter_mut()) {
        let bo = *v;
        *v = flush(*x + bo * ALLPASS_FEEDBACK);
        *x = bo - *x;
    }
}

super::reverb_model!(Freeverb);

#[cfg(test)]
mod tests {
    use super::*;

    /// Sum of squares of the `D_k` values each comb holds (the last `D_k` written): its stored
    /// energy.
    fn comb_energies(m: &Freeverb) -> [f64; 16] {
        core::array::from_fn(|k| m.combs.contents(k).iter().map(|&v| (v as f64).powi(2)).sum())
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
        m.render(&x, &x, &mut out.0, &mut out.1);
        m.set_settings(&ReverbSettings { freeze: true, ..s });
        // Let the input glide out (10 ms) and its last samples enter the combs.
        m.render(&x[..2_000], &x[..2_000], &mut out.0[..2_000], &mut out.1[..2_000]);
        let before = comb_energies(&m);
        for _ in 0..10 {
            m.render(&x, &x, &mut out.0, &mut out.1);
        }
        let after = comb_energies(&m);
        for k in 0..16 {
            assert!(before[k] > 0.0);
            assert!((after[k] / before[k] - 1.0).abs() < 1e-12, "comb {k}: {} → {}", before[k], after[k]);
        }
    }
}
