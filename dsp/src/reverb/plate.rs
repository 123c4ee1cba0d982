//! Dattorro's plate (J. Dattorro, "Effect Design Part 1: Reverberator and Other Filters",
//! JAES 45(9), 1997, Fig. 1 and Table 2; models.md §4), at any sample rate.
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

use super::blocks::{advance_phase, all_finite, allpass_interpolate, allpass_split, glide, parabolic_sine, sanitize_input, Lanes, LanesView};
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
/// true = left output). Dattorro Table 2, signs as in models.md.
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
/// Largest glide of a tank length or tap, samples per sample.
const LENGTH_GLIDE: f32 = 1.0 / 32.0;
/// Time for the modulation depth to glide over its full range, seconds.
const DEPTH_GLIDE_S: f32 = 0.1;
/// Time for the input gain to glide on or off when freeze toggles, seconds.
const INPUT_GLIDE_S: f32 = 0.02;

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
    /// Current tank-delay lengths (0–3) and delay-tap offsets (4–13), samples (glide).
    length: [f32; 14],
    /// Their targets for the current size (integers).
    length_target: [f32; 14],
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
    /// Current excursion, samples (glides).
    depth: f32,
    /// Excursion for the current `modulation`, samples.
    depth_target: f32,
    /// Largest excursion change per sample.
    depth_step: f32,
    /// Current input gain (glides).
    input_gain: f32,
    /// 1, or 0 in freeze.
    input_gain_target: f32,
    /// Largest input-gain change per sample.
    input_gain_step: f32,
    /// Last settings applied (sanitised).
    settings: ReverbSettings,
}

impl Plate {
    /// Allocate every line for the largest size and excursion at `sample_rate` (Hz, clamped to
    /// 8 kHz..768 kHz).
    pub fn new(sample_rate: f32) -> Self {
        let sample_rate = if sample_rate.is_finite() { sample_rate.clamp(8_000.0, 768_000.0) } else { 48_000.0 };
        let ratio = sample_rate as f64 / REFERENCE_RATE;
        let scale = |n: usize| ((n as f64 * ratio).round() as usize).max(2);
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
        let mut plate = Self {
            sample_rate,
            input_allpasses: Lanes::new(4, scale(INPUT_ALLPASS[2])),
            input_allpass_len,
            tank_allpasses: Lanes::new(4, max_tank_ap),
            mod_len,
            allpass_len,
            allpass_tap,
            delays: Lanes::new(4, max_delay),
            length: [0.0; 14],
            length_target: [0.0; 14],
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
            depth: 0.0,
            depth_target: 0.0,
            depth_step: EXCURSION * ratio as f32 / (DEPTH_GLIDE_S * sample_rate),
            input_gain: 1.0,
            input_gain_target: 1.0,
            input_gain_step: 1.0 / (INPUT_GLIDE_S * sample_rate),
            settings: ReverbSettings::default(),
        };
        plate.set_settings(&ReverbSettings::default());
        plate.snap();
        plate
    }

    /// Jump every glide to its target.
    fn snap(&mut self) {
        self.length = self.length_target;
        self.depth = self.depth_target;
        self.input_gain = self.input_gain_target;
    }

    /// Re-allocate for a new sample rate (not real-time safe), keeping the settings.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        let settings = self.settings;
        *self = Self::new(sample_rate);
        self.set_settings(&settings);
        self.snap();
    }

    /// The sample rate, Hz.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Apply the settings: tank lengths and taps from `size`, the tank gain from `decay_s`
    /// (and the loop length), the damping pole, the excursion, freeze. Two `powf`, no
    /// allocation: fine once per block.
    pub fn set_settings(&mut self, settings: &ReverbSettings) {
        let s = settings.sanitized();
        self.settings = s;
        let fs = self.sample_rate as f64;
        let ratio = fs / REFERENCE_RATE;
        let size_factor = (SIZE_MIN + SIZE_SPAN * s.size) as f64;
        let mut loop_samples = 0.0;
        for k in 0..4 {
            let len = (TANK_DELAY[k] as f64 * size_factor * ratio).round();
            self.length_target[k] = len as f32;
            loop_samples += len;
        }
        for (i, &(_, offset, _, _)) in DELAY_TAPS.iter().enumerate() {
            self.length_target[4 + i] = (offset as f64 * size_factor * ratio).round().max(1.0) as f32;
        }
        loop_samples += (self.mod_len[0] + self.mod_len[1]) as f64 + (self.allpass_len[0] + self.allpass_len[1]) as f64;
        // Per-sample decay γ (1 in freeze): `γ^n` is the loss of n samples of tank.
        let log_gamma = if s.freeze { 0.0 } else { -3.0 * core::f64::consts::LN_10 / (s.decay_s as f64 * fs) };
        let loss = |samples: f64| (log_gamma * samples).exp();
        for k in 0..4 {
            self.segment_gain[k] = loss(self.length_target[k] as f64) as f32;
        }
        let ap_lengths = [self.mod_len[0], self.mod_len[1], self.allpass_len[0] as f32, self.allpass_len[1] as f32];
        for (g, &m) in self.allpass_loss.iter_mut().zip(&ap_lengths) {
            *g = loss(m as f64) as f32;
        }
        for (i, &(_, _, sign, _)) in DELAY_TAPS.iter().enumerate() {
            self.delay_tap_gain[i] = sign * loss(self.length_target[4 + i] as f64) as f32;
        }
        for (i, &(_, _, sign, _)) in ALLPASS_TAPS.iter().enumerate() {
            self.allpass_tap_gain[i] = sign * loss(self.allpass_tap[i] as f64) as f32;
        }
        self.decay = loss(loop_samples / 4.0) as f32;
        if s.freeze {
            self.damping_pole = 0.0;
            self.input_gain_target = 0.0;
        } else {
            self.damping_pole = (DAMPING_MAX_POLE * s.damping as f64).powf(REFERENCE_RATE / fs) as f32;
            self.input_gain_target = 1.0;
        }
        self.diffusion2 = (self.decay + 0.15).clamp(0.25, 0.5);
        self.depth_target = s.modulation * EXCURSION * ratio as f32;
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
        self.snap();
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
    pub fn process(&mut self, in_l: &[f32], in_r: &[f32], out_l: &mut [f32], out_r: &mut [f32]) {
        let len = in_l.len().min(in_r.len()).min(out_l.len()).min(out_r.len());
        let (in_l, in_r) = (&in_l[..len], &in_r[..len]);
        let (out_l, out_r) = (&mut out_l[..len], &mut out_r[..len]);
        let (gain, dd2) = (self.segment_gain, self.diffusion2);
        {
            let mut input_allpasses = self.input_allpasses.view();
            let mut tank_allpasses = self.tank_allpasses.view();
            let mut delays = self.delays.view();
            for (((&xl, &xr), yl), yr) in in_l.iter().zip(in_r).zip(out_l.iter_mut()).zip(out_r.iter_mut()) {
                let pos = self.pos;
                self.input_gain = glide(self.input_gain, self.input_gain_target, self.input_gain_step);
                self.depth = glide(self.depth, self.depth_target, self.depth_step);
                for (l, &t) in self.length.iter_mut().zip(&self.length_target) {
                    *l = glide(*l, t, LENGTH_GLIDE);
                }

                // Bandwidth and input diffusion.
                let x = (sanitize_input(xl) + sanitize_input(xr)) * (0.5 * self.input_gain);
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
                let end_l = read_linear(&delays, 1, pos, self.length[1]) * gain[1];
                let end_r = read_linear(&delays, 3, pos, self.length[3]) * gain[3];
                let lfo = [parabolic_sine(self.phase), parabolic_sine(advance_phase(self.phase, 0.5))];
                self.phase = advance_phase(self.phase, self.phase_inc);
                let feed = [x + end_r, x + end_l];
                for half in 0..2 {
                    // Modulated allpass (decay diffusion 1), allpass-interpolated read.
                    let (n, eta) = allpass_split(self.mod_len[half] + self.depth * lfo[half]);
                    let newer = tank_allpasses.read(half, pos, n);
                    let older = tank_allpasses.read(half, pos, n + 1);
                    let interpolated = flush(allpass_interpolate(eta, newer, older, self.interp[half]));
                    self.interp[half] = interpolated;
                    let dm = interpolated * self.allpass_loss[half];
                    let w = flush(feed[half] - MOD_ALLPASS_GAIN * dm);
                    tank_allpasses.write(half, pos, w);
                    delays.write(2 * half, pos, flush(MOD_ALLPASS_GAIN * w + dm));
                    // First delay, damping, decay.
                    let a = read_linear(&delays, 2 * half, pos, self.length[2 * half]);
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
                    let v = self.delay_tap_gain[i] * read_linear(&delays, line, pos, self.length[4 + i]);
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
                *yl = l * (OUTPUT_GAIN * LEVEL);
                *yr = r * (OUTPUT_GAIN * LEVEL);
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
