//! Dattorro's plate (J. Dattorro, "Effect Design Part 1: Reverberator and Other Filters",
//! JAES 45(9), 1997, Fig. 1 and Table 2; docs/models.md, "Reverb: Dattorro plate"), at any
//! sample rate.
//!
//! All lengths are the paper's, in samples at its reference rate 29761 Hz, scaled to the rate.
//! Allpass convention (coefficient `g`, delay `M`): `w[n] = x[n] − g·w[n−M]`,
//! `y[n] = g·w[n] + w[n−M]`, i.e. `A(z) = (g + z^−M)/(1 + g·z^−M)`.
//!
//! ```text
//! x    = (L + R)/2                                   mono input, as published
//! x    = bandwidth one-pole (pole 1 − 0.9995 at 29761 Hz)
//! x    = A₀.₇₅[142] A₀.₇₅[107] A₀.₆₂₅[379] A₀.₆₂₅[277] x      input diffusion
//! left half:  x + decay·end_R → A₋₀.₇₀[672 ± exc] → D[4453] → damping one-pole → ·decay
//!             → A_dd2[1800] → D[3720] → end_L
//! right half: x + decay·end_L → A₋₀.₇₀[908 ± exc] → D[4217] → damping one-pole → ·decay
//!             → A_dd2[2656] → D[3163] → end_R
//! (as published; the `·decay` multipliers are refined below, "Decay from RT60")
//! dd2 = clamp(decay + 0.15, 0.25, 0.5)              decay diffusion 2
//! L = 0.6·( +D4453(266) + D4453(2974) − A1800(1913) + D3720(1996) − D4217(1990) − A2656(187) − D3163(1066))
//! R = 0.6·( +D4217(353) + D4217(3627) − A2656(1228) + D3163(2673) − D4453(2111) − A1800(335) − D3720(121))
//! ```
//!
//! `X(t)` reads line `X` `t` samples after its input; for the allpasses the tap reads the
//! internal signal `w`. The tap A1800(1913) lies beyond that allpass's 1800-sample delay (a
//! known quirk of the published table): the memory is longer than 1800, so it reads `w`
//! delayed by 1913, a well-defined signal, which is what most implementations do.
//!
//! Decay from RT60 (Jot & Chaigne 1991, absorptive delays): with the per-sample decay
//! `γ = 10^(−3/(RT60·fs))`, every delay of `m` samples in the tank gets the gain `γ^m`, the
//! allpasses' internal delays included (`w[n] = x[n] − g·γ^M·w[n−M]`, `y = g·w + γ^M·w[n−M]`,
//! i.e. `A(z/γ)`). Then every path of `n` samples through the tank is attenuated by exactly `γ^n`:
//! the tank's response is the lossless tank's response times `γ^n`, so the measured RT60 is the
//! set one at any decay. Dattorro's single `decay` multiplier twice per half is the special case
//! that lumps all of a half's loss into two points: it has the same loop gain, but when a round
//! trip (0.73 s) is longer than the RT60 the lumped steps and the allpasses' own ringing
//! (0.7 per 672 samples ≈ 0.44 s RT60 of their own) make the measured T30 27 % too long at
//! 0.5 s. So the segment multipliers are `γ^4453` after the first delay and `γ^3720` at the end
//! of the left half (likewise right), and each output tap reading `t` samples into a line is
//! weighted by `γ^t` (the loss a continuously absorptive line has there). All of this is the
//! identity at γ = 1 (freeze); at RT60 = 8 s it differs from the paper's uniform `decay` by
//! less than 0.8 dB per element. `decay` in the diffusion-2 formula is the paper's uniform
//! `γ^(S/4)` with `S = 672 + 4453 + 1800 + 3720 + 908 + 4217 + 2656 + 3163` the round trip.
//! Freeze: γ = 1, damping pole 0, input off (glides over 20 ms); every element is then lossless (the
//! modulated reads use allpass interpolation, unit magnitude).
//!
//! Modulation: the 672 and 908 allpasses' delays move by ±`modulation`·16 samples at
//! 29761 Hz (scaled), driven by a 1 Hz LFO in quadrature between the halves; Dattorro's
//! excursion 16 is the maximum. `damping` 0..1 sets the damping one-poles' pole
//! `0.9·damping` at 29761 Hz (mapped to the rate as `p^(29761/fs)`: corner ≈ 500 Hz at 1,
//! none at 0). `size` 0..1 scales the four tank delays and their output taps by 0.75…1.25
//! (1 at size 0.5 = the published plate); changes glide at 1/32 sample per sample.
//!
//! Solver: while no glide is in progress `process` works in sub-blocks no longer than the
//! shortest distance any stage reads back (`max_sub`), so every stage can run over the whole
//! sub-block in turn, reading samples written before it: the tank ends, the first delays'
//! outputs and the modulated reads' indices and coefficients are gathered first; one loop then
//! runs the five short recursions (bandwidth, the two interpolators, the two dampings), whose
//! latencies overlap there; the allpasses, delay writes and output taps then run along time
//! over contiguous spans (taps last, as they may reach into the sub-block). During glides
//! samples go one by one through the scalar path. Both paths do exactly the same f32
//! operations per sample in the same order, so the output is bit-identical whichever runs
//! (tested).

use super::blocks::{advance_phase, all_finite, allpass_interpolate, allpass_split, parabolic_sine, sanitize_input, split_ring, Glides, Lanes, LanesView};
use crate::simd::{f32x4, flush_in_lanes};
use super::ReverbSettings;
use crate::denormal::flush;

/// Dattorro's reference sample rate, Hz.
const REFERENCE_RATE: f64 = 29_761.0;
/// Input diffuser lengths (Dattorro Table 1).
const INPUT_ALLPASS: [usize; 4] = [142, 107, 379, 277];
/// Input diffusion 1 and 2 (Dattorro Table 1).
const INPUT_ALLPASS_GAIN: [f32; 4] = [0.75, 0.75, 0.625, 0.625];
/// Bandwidth one-pole pole, 1 − 0.9995 (Dattorro Table 1, `bandwidth` = 0.9995).
const BANDWIDTH_POLE: f64 = 0.0005;
/// Modulated tank allpasses (left, right).
const MOD_ALLPASS: [usize; 2] = [672, 908];
/// Decay diffusion 1 with the sign the figure gives the tank allpasses.
const MOD_ALLPASS_GAIN: f32 = -0.70;
/// Maximum excursion of the modulated allpasses, samples at 29761 Hz (Dattorro: 16).
const EXCURSION: f32 = 16.0;
/// LFO rate, Hz.
const LFO_HZ: f32 = 1.0;
/// Tank delays: left first, left second, right first, right second.
const TANK_DELAY: [usize; 4] = [4453, 3720, 4217, 3163];
/// Decay-diffusion-2 allpasses (left, right).
const TANK_ALLPASS: [usize; 2] = [1800, 2656];
/// Output taps into the tank delays: (delay index into `TANK_DELAY`, offset at 29761 Hz, sign,
/// true = left output). Dattorro Table 2, signs as in docs/models.md, "Reverb: Dattorro plate".
const DELAY_TAPS: [(usize, f32, f32, bool); 10] = [
    (0, 266.0, 1.0, true),
    (0, 2974.0, 1.0, true),
    (1, 1996.0, 1.0, true),
    (2, 1990.0, -1.0, true),
    (3, 1066.0, -1.0, true),
    (2, 353.0, 1.0, false),
    (2, 3627.0, 1.0, false),
    (3, 2673.0, 1.0, false),
    (0, 2111.0, -1.0, false),
    (1, 121.0, -1.0, false),
];
/// Output taps into the decay-diffusion-2 allpasses' internal lines: (0 = 1800, 1 = 2656,
/// offset at 29761 Hz, sign, true = left output).
const ALLPASS_TAPS: [(usize, usize, f32, bool); 4] =
    [(0, 1913, -1.0, true), (1, 187, -1.0, true), (1, 1228, -1.0, false), (0, 335, -1.0, false)];
/// Dattorro's output gain.
const OUTPUT_GAIN: f32 = 0.6;
/// Extra output scale so the impulse-response energy per second of RT60 matches Freeverb's
/// (see the level test in `reverb::tests`).
const LEVEL: f32 = 3.0;
/// Damping pole at 29761 Hz for damping = 1.
const DAMPING_MAX_POLE: f64 = 0.9;
/// Tank-length factor at size 0 and its span to size 1 (0.75 … 1.25).
const SIZE_MIN: f32 = 0.75;
/// See [`SIZE_MIN`].
const SIZE_SPAN: f32 = 0.5;

/// Linear-interpolated read `d` (≥ 1) samples back; exact when `d` is an integer. Used for the
/// size-scaled tank delays and taps, whose lengths are integers except while gliding.
#[inline(always)]
fn read_linear(lanes: &LanesView<'_>, lane: usize, pos: usize, d: f32) -> f32 {
    let n = d as usize;
    let f = d - n as f32;
    let a = lanes.read(lane, pos, n);
    let b = lanes.read(lane, pos, n + 1);
    a + f * (b - a)
}

/// [`read_linear`] for `out.len()` consecutive samples (positions `pos ..`) at a constant
/// delay `d`: the same arithmetic per sample; `scratch` (at least as long as `out`) holds the
/// second tap. For an integer `d` (every settled length) `f = 0` and `a + 0·(b − a)` is `a`
/// exactly: `b − a` is finite and `a` is never −0 (every value the plate stores went through
/// [`flush`], which returns +0 for zeros), so the second read is skipped.
#[inline(always)]
fn read_linear_span(lanes: &LanesView<'_>, lane: usize, pos: usize, d: f32, out: &mut [f32], scratch: &mut [f32]) {
    let n = d as usize;
    let f = d - n as f32;
    if f == 0.0 {
        lanes.read_span(lane, pos.wrapping_sub(n), out);
        return;
    }
    let m = out.len().min(scratch.len());
    let older = &mut scratch[..m];
    lanes.read_span(lane, pos.wrapping_sub(n), out);
    lanes.read_span(lane, pos.wrapping_sub(n + 1), older);
    for (a, &b) in out.iter_mut().zip(older.iter()) {
        *a += f * (b - *a);
    }
}

/// The four tank delays (samples, `TANK_DELAY` order) for `size` at the model rate `fs`.
fn tank_lengths(size: f32, fs: f64) -> [f64; 4] {
    let ratio = fs / REFERENCE_RATE;
    let size_factor = (SIZE_MIN + SIZE_SPAN * size) as f64;
    TANK_DELAY.map(|d| (d as f64 * size_factor * ratio).round())
}

/// A tank allpass's delay (samples) at the model rate `fs`, from its length at 29761 Hz.
fn allpass_length(samples: usize, fs: f64) -> usize {
    ((samples as f64 * (fs / REFERENCE_RATE)).round() as usize).max(2)
}

/// One round trip of the figure-8 (samples) for `size` at the model rate `fs`: the four tank
/// delays, the two modulated allpasses (at their centre) and the two decay-diffusion-2 allpasses.
fn round_trip_samples(size: f32, fs: f64) -> f64 {
    let allpasses = MOD_ALLPASS.iter().chain(&TANK_ALLPASS).map(|&m| allpass_length(m, fs) as f64);
    tank_lengths(size, fs).iter().sum::<f64>() + allpasses.sum::<f64>()
}

/// The damping one-poles' pole for `damping` at the model rate `fs`.
fn damping_pole(damping: f32, fs: f64) -> f32 {
    (DAMPING_MAX_POLE * damping as f64).powf(REFERENCE_RATE / fs) as f32
}

/// Reverberation time (s) at `freq_hz` of the plate with `settings` at `sample_rate`, from the
/// model's own lengths and coefficients: every element of the tank loses `γ` per sample of
/// delay (`γ^S` per round trip of `S` samples, 60 dB per `decay_s`; the allpasses and the
/// interpolated reads are otherwise lossless), and a round trip passes the damping one-pole
/// twice, which adds its loss `|LP(f)|²` per `S` samples. Infinite in freeze.
pub fn rt60_at(settings: &ReverbSettings, sample_rate: f32, freq_hz: f32) -> f32 {
    use super::decay::{loop_rate, omega, one_pole_gain, rt60};
    let s = settings.sanitized();
    if s.freeze {
        return f32::INFINITY;
    }
    let fs = super::model_rate(sample_rate) as f64;
    let lp = one_pole_gain(damping_pole(s.damping, fs) as f64, omega(freq_hz, fs));
    rt60(60.0 / s.decay_s as f64 + loop_rate(lp * lp, round_trip_samples(s.size, fs), fs)) as f32
}

/// Longest sub-block of the block-wise path, samples (also capped per rate by `max_sub`).
const SUB_BLOCK: usize = 64;

/// Dattorro's plate reverb.
#[derive(Clone)]
pub struct Plate {
    /// Sample rate, Hz.
    sample_rate: f32,
    /// Input diffuser memory.
    input_allpasses: Lanes,
    /// Input diffuser lengths at this rate.
    input_allpass_len: [usize; 4],
    /// Tank allpass memory: 0 = 672 (mod), 1 = 908 (mod), 2 = 1800, 3 = 2656.
    tank_allpasses: Lanes,
    /// Modulated allpass centre lengths at this rate.
    mod_len: [f32; 2],
    /// Decay-diffusion-2 allpass lengths at this rate.
    allpass_len: [usize; 2],
    /// Allpass-tap offsets at this rate.
    allpass_tap: [usize; 4],
    /// Tank delay memory, in `TANK_DELAY` order.
    delays: Lanes,
    /// Tank-delay lengths (0–3) and delay-tap offsets (4–13), the excursion and the input
    /// gain, gliding to their targets.
    glides: Glides<14>,
    /// Running write position shared by all memories.
    pos: usize,
    /// Bandwidth one-pole state.
    bandwidth: f32,
    /// Bandwidth pole at this rate.
    bandwidth_pole: f32,
    /// Damping one-pole states (left, right).
    damping: [f32; 2],
    /// Damping pole at this rate.
    damping_pole: f32,
    /// Allpass-interpolator states of the modulated reads.
    interp: [f32; 2],
    /// The paper's uniform tank gain `γ^(S/4)` ("decay"), for the diffusion-2 formula.
    decay: f32,
    /// Segment multipliers `γ^length` of the tank delays, in `TANK_DELAY` order.
    segment_gain: [f32; 4],
    /// `γ^M` of the tank allpasses' internal delays: 672, 908, 1800, 2656.
    allpass_loss: [f32; 4],
    /// Continuous-loss weights of the delay taps (`DELAY_TAPS` order, sign included).
    delay_tap_gain: [f32; 10],
    /// Continuous-loss weights of the allpass taps (`ALLPASS_TAPS` order, sign included).
    allpass_tap_gain: [f32; 4],
    /// Decay diffusion 2.
    diffusion2: f32,
    /// LFO phase in [−1, 1).
    phase: f32,
    /// LFO phase increment per sample.
    phase_inc: f32,
    /// Last settings applied (sanitised).
    settings: ReverbSettings,
    /// Longest sub-block at this rate: shorter than every delay a block-wise stage reads
    /// across, and than the distance from the farthest output tap to the line's capacity.
    max_sub: usize,
    /// A copy of the input of an in-place `process` call (see [`super::StereoInput`]).
    input: super::StereoInput,
}

impl Plate {
    /// Allocate every line for the largest size and excursion at `sample_rate` (Hz, clamped to
    /// 8 kHz..768 kHz).
    pub(crate) fn new(sample_rate: f32) -> Self {
        let sample_rate = super::model_rate(sample_rate);
        let ratio = sample_rate as f64 / REFERENCE_RATE;
        let scale = |n: usize| allpass_length(n, sample_rate as f64);
        let input_allpass_len = core::array::from_fn(|k| scale(INPUT_ALLPASS[k]));
        let mod_len = core::array::from_fn(|k| scale(MOD_ALLPASS[k]) as f32);
        let allpass_len = core::array::from_fn(|k| scale(TANK_ALLPASS[k]));
        let allpass_tap = core::array::from_fn(|k| scale(ALLPASS_TAPS[k].1));
        let max_excursion = (EXCURSION as f64 * ratio).ceil() as usize;
        let max_tank_ap = *[
            scale(MOD_ALLPASS[1]) + max_excursion + 2,
            scale(TANK_ALLPASS[1]),
            scale(1913), // the longest allpass tap
        ]
        .iter()
        .max()
        .unwrap_or(&2);
        let max_delay = ((TANK_DELAY[0] as f64) * (SIZE_MIN + SIZE_SPAN) as f64 * ratio).ceil() as usize + 2;
        // The block-wise path's limits (see `max_sub`): the shortest read distance of any
        // stage (input diffusers, the modulated allpasses at full excursion, the fixed tank
        // allpasses, the tank delays at size 0), and the room between the farthest output tap
        // (at size 1) and each memory's capacity.
        let tank_ap_stride = (max_tank_ap + 2).next_power_of_two();
        let delay_stride = (max_delay + 2).next_power_of_two();
        let shortest_tank_delay = TANK_DELAY.iter().map(|&n| (n as f64 * SIZE_MIN as f64 * ratio).round() as usize).min().unwrap_or(1);
        let farthest_tap = DELAY_TAPS.iter().map(|t| (t.1 as f64 * (SIZE_MIN + SIZE_SPAN) as f64 * ratio).round() as usize + 2).max().unwrap_or(0);
        let farthest_ap_tap = ALLPASS_TAPS.iter().map(|t| scale(t.1) + 1).max().unwrap_or(0);
        let max_sub = [
            SUB_BLOCK,
            *input_allpass_len.iter().min().unwrap_or(&1),
            MOD_ALLPASS.iter().map(|&n| scale(n)).min().unwrap_or(0).saturating_sub(max_excursion + 2),
            *allpass_len.iter().min().unwrap_or(&1),
            shortest_tank_delay.saturating_sub(1),
            delay_stride.saturating_sub(farthest_tap),
            tank_ap_stride.saturating_sub(farthest_ap_tap),
        ]
        .into_iter()
        .min()
        .unwrap_or(1)
        .max(1);
        let mut plate = Self {
            input: super::StereoInput::default(),
            max_sub,
            sample_rate,
            input_allpasses: Lanes::new(4, scale(INPUT_ALLPASS[2])),
            input_allpass_len,
            tank_allpasses: Lanes::new(4, max_tank_ap),
            mod_len,
            allpass_len,
            allpass_tap,
            delays: Lanes::new(4, max_delay),
            glides: Glides::new(sample_rate, EXCURSION * ratio as f32),
            pos: 0,
            bandwidth: 0.0,
            bandwidth_pole: BANDWIDTH_POLE.powf(REFERENCE_RATE / sample_rate as f64) as f32,
            damping: [0.0; 2],
            damping_pole: 0.0,
            interp: [0.0; 2],
            decay: 0.5,
            segment_gain: [0.5; 4],
            allpass_loss: [1.0; 4],
            delay_tap_gain: [0.0; 10],
            allpass_tap_gain: [0.0; 4],
            diffusion2: 0.5,
            phase: -1.0,
            phase_inc: 2.0 * LFO_HZ / sample_rate,
            settings: ReverbSettings::default(),
        };
        plate.apply_settings(ReverbSettings::default().sanitized());
        plate.glides.snap();
        plate
    }

    /// Apply the settings: tank lengths and taps from `size`, the tank gain from `decay_s`
    /// (and the loop length), the damping pole, the excursion, freeze. A few `exp`/`powf` when the
    /// settings changed, nothing otherwise; no
    /// allocation: fine once per block.
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
        let fs = self.sample_rate as f64;
        let ratio = fs / REFERENCE_RATE;
        let size_factor = (SIZE_MIN + SIZE_SPAN * s.size) as f64;
        for (target, len) in self.glides.length_target.iter_mut().zip(tank_lengths(s.size, fs)) {
            *target = len as f32;
        }
        for (i, &(_, offset, _, _)) in DELAY_TAPS.iter().enumerate() {
            self.glides.length_target[4 + i] = (offset as f64 * size_factor * ratio).round().max(1.0) as f32;
        }
        let loop_samples = round_trip_samples(s.size, fs);
        // Per-sample decay γ (1 in freeze): `γ^n` is the loss of n samples of tank.
        let log_gamma = if s.freeze { 0.0 } else { -3.0 * core::f64::consts::LN_10 / (s.decay_s as f64 * fs) };
        let loss = |samples: f64| (log_gamma * samples).exp();
        for k in 0..4 {
            self.segment_gain[k] = loss(self.glides.length_target[k] as f64) as f32;
        }
        let ap_lengths = [self.mod_len[0], self.mod_len[1], self.allpass_len[0] as f32, self.allpass_len[1] as f32];
        for (g, &m) in self.allpass_loss.iter_mut().zip(&ap_lengths) {
            *g = loss(m as f64) as f32;
        }
        for (i, &(_, _, sign, _)) in DELAY_TAPS.iter().enumerate() {
            self.delay_tap_gain[i] = sign * loss(self.glides.length_target[4 + i] as f64) as f32;
        }
        for (i, &(_, _, sign, _)) in ALLPASS_TAPS.iter().enumerate() {
            self.allpass_tap_gain[i] = sign * loss(self.allpass_tap[i] as f64) as f32;
        }
        self.decay = loss(loop_samples / 4.0) as f32;
        if s.freeze {
            self.damping_pole = 0.0;
            self.glides.input_gain_target = 0.0;
        } else {
            self.damping_pole = damping_pole(s.damping, fs);
            self.glides.input_gain_target = 1.0;
        }
        self.diffusion2 = (self.decay + 0.15).clamp(0.25, 0.5);
        self.glides.depth_target = s.modulation * EXCURSION * ratio as f32;
    }

    /// The tank gain ("decay" in the paper) now in use.
    pub fn tank_decay(&self) -> f32 {
        self.decay
    }

    /// Clear all state; settings are kept, glides jump to their targets.
    pub fn reset(&mut self) {
        self.input_allpasses.reset();
        self.tank_allpasses.reset();
        self.delays.reset();
        self.pos = 0;
        self.bandwidth = 0.0;
        self.damping = [0.0; 2];
        self.interp = [0.0; 2];
        self.phase = -1.0;
        self.glides.snap();
    }

    /// Heap memory held, bytes.
    pub fn memory_bytes(&self) -> usize {
        self.input_allpasses.memory_bytes() + self.tank_allpasses.memory_bytes() + self.delays.memory_bytes()
    }

    /// True when any state value is subnormal (for tests of the denormal guards).
    pub fn has_subnormal_state(&self) -> bool {
        let sub = |x: &f32| crate::denormal::is_subnormal_f32(*x);
        self.input_allpasses.samples().iter().any(sub)
            || self.tank_allpasses.samples().iter().any(sub)
            || self.delays.samples().iter().any(sub)
            || [self.bandwidth].iter().chain(&self.damping).chain(&self.interp).any(sub)
    }

    /// Wet-only stereo reverb of one block (any length; the common length of the slices).
    ///
    /// While a glide is in progress, samples go one at a time through `Self::sample`;
    /// otherwise sub-blocks of at most `max_sub` samples go through `Self::sub_block`, which
    /// computes the same per-sample arithmetic stage by stage, so the result does not depend on
    /// which path or split was taken.
    pub(crate) fn render(&mut self, in_l: &[f32], in_r: &[f32], out_l: &mut [f32], out_r: &mut [f32]) {
        let len = in_l.len().min(in_r.len()).min(out_l.len()).min(out_r.len());
        let (in_l, in_r) = (&in_l[..len], &in_r[..len]);
        let (out_l, out_r) = (&mut out_l[..len], &mut out_r[..len]);
        // Each pass handles at least one sample, so at most `len` passes.
        let mut done = 0;
        while done < len {
            if !super::blocks::per_sample_only() && self.glides.settled() {
                let b = (len - done).min(self.max_sub);
                let r = done..done + b;
                let (xl, xr, yl, yr) = (&in_l[r.clone()], &in_r[r.clone()], &mut out_l[r.clone()], &mut out_r[r]);
                done += b;
                self.sub_block(xl, xr, yl, yr);
            } else {
                (out_l[done], out_r[done]) = self.sample(in_l[done], in_r[done]);
                done += 1;
            }
        }
        if !all_finite(out_l, out_r) {
            self.reset();
            out_l.fill(0.0);
            out_r.fill(0.0);
        }
    }

    /// One sample of the figure-8 tank, the general path (every glide advances).
    fn sample(&mut self, xl: f32, xr: f32) -> (f32, f32) {
        let (gain, dd2) = (self.segment_gain, self.diffusion2);
        let mut input_allpasses = self.input_allpasses.view();
        let mut tank_allpasses = self.tank_allpasses.view();
        let mut delays = self.delays.view();
        let pos = self.pos;
        self.glides.advance_gains();
        for k in 0..self.glides.length.len() {
            self.glides.advance_length(k);
        }

        // Bandwidth and input diffusion.
        let x = (sanitize_input(xl) + sanitize_input(xr)) * (0.5 * self.glides.input_gain);
        self.bandwidth = flush(x + self.bandwidth_pole * (self.bandwidth - x));
        let mut x = self.bandwidth;
        for stage in 0..4 {
            let g = INPUT_ALLPASS_GAIN[stage];
            let d = input_allpasses.read(stage, pos, self.input_allpass_len[stage]);
            let w = flush(x - g * d);
            input_allpasses.write(stage, pos, w);
            x = g * w + d;
        }

        // The tank: both ends are read before either half writes.
        let end_l = read_linear(&delays, 1, pos, self.glides.length[1]) * gain[1];
        let end_r = read_linear(&delays, 3, pos, self.glides.length[3]) * gain[3];
        let lfo = [parabolic_sine(self.phase), parabolic_sine(advance_phase(self.phase, 0.5))];
        self.phase = advance_phase(self.phase, self.phase_inc);
        let feed = [x + end_r, x + end_l];
        for half in 0..2 {
            // Modulated allpass (decay diffusion 1), allpass-interpolated read.
            let (n, eta) = allpass_split(self.mod_len[half] + self.glides.depth * lfo[half]);
            let newer = tank_allpasses.read(half, pos, n);
            let older = tank_allpasses.read(half, pos, n + 1);
            let interpolated = flush(allpass_interpolate(eta, newer, older, self.interp[half]));
            self.interp[half] = interpolated;
            let dm = interpolated * self.allpass_loss[half];
            let w = flush(feed[half] - MOD_ALLPASS_GAIN * dm);
            tank_allpasses.write(half, pos, w);
            delays.write(2 * half, pos, flush(MOD_ALLPASS_GAIN * w + dm));
            // First delay, damping, decay.
            let a = read_linear(&delays, 2 * half, pos, self.glides.length[2 * half]);
            let damped = flush(a + self.damping_pole * (self.damping[half] - a));
            self.damping[half] = damped;
            let t = damped * gain[2 * half];
            // Decay diffusion 2, then the second delay.
            let d = tank_allpasses.read(2 + half, pos, self.allpass_len[half]) * self.allpass_loss[2 + half];
            let w2 = flush(t - dd2 * d);
            tank_allpasses.write(2 + half, pos, w2);
            delays.write(2 * half + 1, pos, flush(dd2 * w2 + d));
        }

        // Output taps.
        let (mut l, mut r) = (0.0f32, 0.0f32);
        for (i, &(line, _, _, left)) in DELAY_TAPS.iter().enumerate() {
            let v = self.delay_tap_gain[i] * read_linear(&delays, line, pos, self.glides.length[4 + i]);
            if left {
                l += v;
            } else {
                r += v;
            }
        }
        for (i, &(ap, _, _, left)) in ALLPASS_TAPS.iter().enumerate() {
            let v = self.allpass_tap_gain[i] * tank_allpasses.read(2 + ap, pos, self.allpass_tap[i]);
            if left {
                l += v;
            } else {
                r += v;
            }
        }
        self.pos = pos.wrapping_add(1);
        (l * (OUTPUT_GAIN * LEVEL), r * (OUTPUT_GAIN * LEVEL))
    }

    /// `b ≤ max_sub` samples with every glide settled: [`Self::sample`]'s arithmetic, stage by
    /// stage over the whole sub-block. Valid because every read of a stage reaches at least
    /// `max_sub` samples back (so it sees samples written before the sub-block, or, for the
    /// output taps, which run after all writes, samples written earlier in it), and because
    /// the only recursions shorter than that (bandwidth, damping, interpolator states) run
    /// sample by sample.
    #[inline(always)]
    fn sub_block(&mut self, in_l: &[f32], in_r: &[f32], out_l: &mut [f32], out_r: &mut [f32]) {
        let b = in_l.len().min(in_r.len()).min(out_l.len()).min(out_r.len()).min(SUB_BLOCK);
        let (gain, dd2) = (self.segment_gain, self.diffusion2);
        let mut input_allpasses = self.input_allpasses.view();
        let mut tank_allpasses = self.tank_allpasses.view();
        let mut delays = self.delays.view();
        let pos = self.pos;
        let mut tmp = [0.0f32; SUB_BLOCK];
        let tmp = &mut tmp[..b];
        let mut tmp2 = [0.0f32; SUB_BLOCK];
        let tmp2 = &mut tmp2[..b];

        // Everything the serial recursions need comes from before the sub-block (every read
        // below reaches ≥ max_sub samples back, and is made before this sub-block writes that
        // memory): the input, the tank ends, the first delays' outputs, the LFO.
        let mut x = [0.0f32; SUB_BLOCK];
        let x = &mut x[..b];
        let in_gain = 0.5 * self.glides.input_gain;
        for ((x, &l), &r) in x.iter_mut().zip(in_l).zip(in_r) {
            *x = (sanitize_input(l) + sanitize_input(r)) * in_gain;
        }
        let mut end = [[0.0f32; SUB_BLOCK]; 2];
        for (e, lane) in end.iter_mut().zip([1, 3]) {
            read_linear_span(&delays, lane, pos, self.glides.length[lane], &mut e[..b], tmp);
            for v in e[..b].iter_mut() {
                *v *= gain[lane];
            }
        }
        let mut a = [[0.0f32; SUB_BLOCK]; 2];
        for (half, a) in a.iter_mut().enumerate() {
            read_linear_span(&delays, 2 * half, pos, self.glides.length[2 * half], &mut a[..b], tmp);
        }
        let mut lfo = [[0.0f32; SUB_BLOCK]; 2];
        let mut phase = self.phase;
        let [lfo0, lfo1] = &mut lfo;
        for (l0, l1) in lfo0[..b].iter_mut().zip(lfo1[..b].iter_mut()) {
            *l0 = parabolic_sine(phase);
            *l1 = parabolic_sine(advance_phase(phase, 0.5));
            phase = advance_phase(phase, self.phase_inc);
        }
        self.phase = phase;
        // The modulated allpasses' read indices and coefficients, four samples at a time.
        let (mut newer, mut older, mut eta) = ([[0i32; SUB_BLOCK]; 2], [[0i32; SUB_BLOCK]; 2], [[0.0f32; SUB_BLOCK]; 2]);
        let mask = tank_allpasses.mask() as i32;
        for half in 0..2 {
            let (mod_len, depth, lane_base) = (f32x4::splat(self.mod_len[half]), f32x4::splat(self.glides.depth), tank_allpasses.base(half) as i32);
            for c in 0..b.div_ceil(4) {
                let lfo4: [f32; 4] = core::array::from_fn(|j| lfo[half][4 * c + j]);
                let d = mod_len + depth * f32x4::new(lfo4);
                let p: [i32; 4] = core::array::from_fn(|j| pos.wrapping_add(4 * c + j) as i32);
                let (n4, o4, e4) = split_ring(d, p, mask, 0, [lane_base; 4]);
                newer[half][4 * c..4 * c + 4].copy_from_slice(&n4);
                older[half][4 * c..4 * c + 4].copy_from_slice(&o4);
                eta[half][4 * c..4 * c + 4].copy_from_slice(&e4.to_array());
            }
        }

        // The five serial recursions (bandwidth, both interpolators, both dampings) are
        // independent of each other within the sub-block: one loop, so their latencies overlap.
        let mut v = [[0.0f32; SUB_BLOCK]; 2];
        let (mut bw, bw_pole) = (self.bandwidth, self.bandwidth_pole);
        let (mut interp, mut damp, pole) = (self.interp, self.damping, self.damping_pole);
        let seg = [gain[0], gain[2]];
        for i in 0..b {
            bw = flush_in_lanes(x[i] + bw_pole * (bw - x[i]));
            x[i] = bw;
            for h in 0..2 {
                let (nw, ol) = (tank_allpasses.at(newer[h][i] as usize), tank_allpasses.at(older[h][i] as usize));
                interp[h] = flush_in_lanes(allpass_interpolate(eta[h][i], nw, ol, interp[h]));
                v[h][i] = interp[h];
                damp[h] = flush_in_lanes(a[h][i] + pole * (damp[h] - a[h][i]));
                a[h][i] = damp[h] * seg[h];
            }
        }
        self.bandwidth = bw;
        self.interp = interp;
        self.damping = damp;

        // Input diffusion.
        for (stage, &g) in INPUT_ALLPASS_GAIN.iter().enumerate() {
            input_allpasses.read_span(stage, pos.wrapping_sub(self.input_allpass_len[stage]), tmp);
            for ((x, &d), w) in x.iter_mut().zip(tmp.iter()).zip(tmp2.iter_mut()) {
                *w = flush(*x - g * d);
                *x = g * *w + d;
            }
            input_allpasses.write_span(stage, pos, tmp2);
        }

        for half in 0..2 {
            // Modulated allpass (decay diffusion 1) around the interpolated reads, then the
            // first delay's input.
            let loss = self.allpass_loss[half];
            let other = &end[1 - half][..b];
            for ((&v, w), ((&x, &e), t)) in v[half].iter().zip(tmp2.iter_mut()).zip(x.iter().zip(other).zip(tmp.iter_mut())) {
                let dm = v * loss;
                *w = flush((x + e) - MOD_ALLPASS_GAIN * dm);
                *t = flush(MOD_ALLPASS_GAIN * *w + dm);
            }
            tank_allpasses.write_span(half, pos, tmp2);
            delays.write_span(2 * half, pos, tmp);
            // Decay diffusion 2 on the damped first-delay output, then the second delay.
            let loss2 = self.allpass_loss[2 + half];
            tank_allpasses.read_span(2 + half, pos.wrapping_sub(self.allpass_len[half]), tmp);
            for ((d, w), &t) in tmp.iter_mut().zip(tmp2.iter_mut()).zip(a[half][..b].iter()) {
                let dl = *d * loss2;
                *w = flush(t - dd2 * dl);
                *d = flush(dd2 * *w + dl);
            }
            tank_allpasses.write_span(2 + half, pos, tmp2);
            delays.write_span(2 * half + 1, pos, tmp);
        }
        let a = &mut a[0][..b];

        // Output taps, after all writes (a tap may reach into this sub-block), summed in the
        // order of `sample`.
        let (l, r) = (&mut out_l[..b], &mut out_r[..b]);
        l.fill(0.0);
        r.fill(0.0);
        for (i, &(line, _, _, left)) in DELAY_TAPS.iter().enumerate() {
            let (d, g) = (self.glides.length[4 + i], self.delay_tap_gain[i]);
            let o = if left { &mut *l } else { &mut *r };
            if d == d.trunc() {
                // Integer length: the interpolation is the identity (see `read_linear_span`).
                delays.accumulate_span(line, pos.wrapping_sub(d as usize), g, o);
            } else {
                read_linear_span(&delays, line, pos, d, a, tmp);
                for (o, &v) in o.iter_mut().zip(a.iter()) {
                    *o += g * v;
                }
            }
        }
        for (i, &(ap, _, _, left)) in ALLPASS_TAPS.iter().enumerate() {
            let o = if left { &mut *l } else { &mut *r };
            tank_allpasses.accumulate_span(2 + ap, pos.wrapping_sub(self.allpass_tap[i]), self.allpass_tap_gain[i], o);
        }
        for o in l.iter_mut().chain(r.iter_mut()) {
            *o *= OUTPUT_GAIN * LEVEL;
        }
        self.pos = pos.wrapping_add(b);
    }
}

super::reverb_model!(Plate);
