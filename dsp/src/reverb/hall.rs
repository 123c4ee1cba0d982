//! Feedback-delay-network hall in the style of zita-rev1 (Fons Adriaensen; docs/models.md,
//! "Reverb: FDN hall").
//!
//! Structure per sample, for the 8 lines `k` (processed as `[f32; 8]` lanes):
//!
//! ```text
//! v_k  = delay_k read at d_k(t) = L_k + depth·lfo_k(t)    (allpass-interpolated, unit magnitude)
//! y_k  = F_k(v_k)                                          (per-line gain + low shelf + low-pass)
//! z    = H·y,   H = Sylvester Hadamard / √8 (orthonormal, as three butterfly stages)
//! z_k += c_Lk·ℓ + c_Rk·r                                   (diffused, scaled input)
//! u_k  = A_k(z_k),  A_k(z) = (±0.6 + z^−M_k)/(1 ± 0.6·z^−M_k)   (zita-rev1's per-line diffuser)
//! delay_k ← u_k
//! outL = G·Σ a_k y_k,  outR = G·Σ b_k y_k                  (a, b: Hadamard rows 2 and 4)
//! ```
//!
//! Decay (Jot & Chaigne 1991, absorptive delays; zita-rev1 `Filt1` for the bands): with the
//! per-sample decay `γ = 10^(−3/(T·fs))` for a band whose RT60 is `T`, every delay of `m`
//! samples gets the gain `γ^m`, so every path of `n` samples through the network is attenuated
//! by `γ^n` and the measured RT60 is `T` whatever the path mix. The main delay `L_k` gets
//! `g(T) = 10^(−3·L_k/(T·fs))` through the filter below; the diffuser's internal delay gets
//! `γ_mid^M_k` inside the allpass (`w = z − a·γ^M·w[n−M]`, `u = a·w + γ^M·w[n−M]`, i.e.
//! `A(z/γ)`): lumping its loss into the line gain instead (zita-rev1's `D_k = L_k + M_k`) has
//! the same mean but lets the diffuser ring at its own rate, which lengthened T30 by 5 % at
//! 0.5 s. The filter is
//!
//! ```text
//! s_lo += w_lo·(x − s_lo);  x' = x + (g_lo/g_mid − 1)·s_lo     low shelf at 200 Hz
//! s_hi  = x' + p·(s_hi − x');  y = g_mid·s_hi                   one-pole low-pass, DC gain 1
//! ```
//!
//! with `p` solved so that `|LP(f_hi)| = g_hi/g_mid` exactly at `f_hi` = 5 kHz, i.e.
//! `p = B − √(B² − 1)`, `B = (1 − ρ²cos ω)/(1 − ρ²)`, `ρ = g_hi/g_mid`. The RT60s are
//! `T_mid = decay`, `T_lo = decay` (the plugin has no bass-ratio parameter; the shelf is kept
//! so one can be added without touching the network), and the damping mapping
//! `T_hi = decay·(1 − 0.9·damping)` at 5 kHz (shorter still above, the low-pass keeps falling).
//! With damping 0 the filter is the identity times `g_mid`, so the broadband RT60 is `decay`.
//!
//! `size` ∈ [0, 1] scales the line lengths by 0.5…1.5 of a base set of primes between 32 and 93
//! ms (at 44.1 kHz, rounded at other rates); a change glides at 1/32 sample per sample, a pitch
//! glide of at most 3 %, never a jump. `modulation` ∈ [0, 1] sets the excursion, up to ±8
//! samples at 44.1 kHz (scaled), of eight sub-hertz LFOs at different rates: the slowly moving
//! delays break up the fixed modal pattern that rings metallically in a static FDN. Freeze:
//! every gain 1, no damping, no input (the input glides off over 20 ms); H, the allpasses and
//! the interpolators are lossless (and γ = 1), so the energy is kept up to f32 rounding.
//!
//! Input: true stereo. Each channel goes through its own four series allpasses (Dattorro's input
//! diffusion coefficients 0.75, 0.75, 0.625, 0.625, with different prime lengths per channel),
//! then left feeds the even lines and right the odd ones (one pass of H spreads both over all
//! eight), so a hard-panned source starts on its side and fills both outputs.
//!
//! Solver: the lines and diffusers live frame by frame ([`Frames8`]: the 8 samples of one
//! position are adjacent, so writing all lines is two 4-lane stores). While no glide is in
//! progress `process` works in sub-blocks (no longer than the shortest input diffuser): the
//! input diffusers run along time over the sub-block, the modulation (LFO, delay, the
//! interpolators' read indices and coefficients η, with the division) is computed for the
//! sub-block ahead, and then each sample runs the network with the eight lines as two 4-lane
//! vectors. During glides samples go one by one through the plain scalar path. Both paths do
//! exactly the same f32 operations per sample in the same order, so the output is
//! bit-identical whichever runs (tested).

use super::blocks::{advance_phase, all_finite, allpass_interpolate, allpass_split, parabolic_sine, ring_index, sanitize_input, split_ring, Frames8, Glides, Lanes};
use crate::simd::{f32x4, LaneOps};
use super::ReverbSettings;
use crate::denormal::flush;

/// Rate at which the lengths below are given.
const REFERENCE_RATE: f64 = 44_100.0;
/// Base line lengths at size 0.5, samples at 44.1 kHz: primes from 32 to 93 ms, spaced roughly
/// geometrically so the modal densities of the lines interleave.
const LINE_BASE: [usize; 8] = [1423, 1693, 1999, 2371, 2729, 3137, 3571, 4111];
/// Per-line diffuser allpass lengths, samples at 44.1 kHz (primes, 5–16 ms, shuffled against
/// the line lengths so the total loop lengths stay spread).
const LINE_ALLPASS: [usize; 8] = [431, 641, 293, 571, 227, 701, 359, 503];
/// zita-rev1's per-line diffuser coefficient (alternating sign between lines).
const LINE_ALLPASS_GAIN: f32 = 0.6;
/// Input diffuser lengths, samples at 44.1 kHz: left then right (primes; close to Dattorro's
/// 142/107/379/277 at 29761 Hz scaled to 44.1 kHz, different per channel).
const INPUT_ALLPASS: [[usize; 4]; 2] = [[211, 157, 563, 409], [223, 167, 547, 421]];
/// Dattorro's input diffusion coefficients.
const INPUT_ALLPASS_GAIN: [f32; 4] = [0.75, 0.75, 0.625, 0.625];
/// Line-length factor at size 0 and its span up to size 1 (0.5× … 1.5×).
const SIZE_MIN: f32 = 0.5;
/// See [`SIZE_MIN`].
const SIZE_SPAN: f32 = 1.0;
/// Largest delay excursion at modulation 1, samples at 44.1 kHz.
const MAX_EXCURSION: f32 = 8.0;
/// LFO rates per line, Hz: incommensurate fractions of a hertz.
const LFO_HZ: [f32; 8] = [0.31, 0.37, 0.43, 0.53, 0.59, 0.67, 0.71, 0.79];
/// Low-shelf crossover, Hz (zita-rev1's default).
const LOW_CROSSOVER_HZ: f64 = 200.0;
/// Frequency at which the damped RT60 is specified, Hz.
pub const HIGH_REFERENCE_HZ: f64 = 5_000.0;
/// RT60 below the crossover relative to `decay` (1: no separate bass decay parameter).
const BASS_RATIO: f64 = 1.0;
/// `damping` = 1 makes the RT60 at 5 kHz this fraction shorter than `decay`.
const DAMPING_DEPTH: f64 = 0.9;
/// Smallest per-pass gain ratio of the high band to the mid band (−34 dB), see `set_settings`.
const MIN_HIGH_LOSS: f64 = 0.02;
/// Largest damping low-pass pole: a pole of exactly 1 would hold the line's state for ever.
const MAX_LOWPASS_POLE: f32 = 0.9999;
/// Input scale per fed line: each channel feeds four lines with ±½ (unit total power).
const INPUT_SCALE: f32 = 0.5;
/// Output scale, chosen so that the impulse-response energy per second of RT60 matches
/// Freeverb's (see the level test in `reverb::tests`).
const OUTPUT_GAIN: f32 = 1.69;
/// Signs with which the left output sums the lines: Hadamard row 2 (rows 2 and 4 are
/// orthogonal to each other and to row 1, the diffusers' alternating sign pattern).
const OUT_L: [f32; 8] = [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0];
/// Signs with which the right output sums the lines: Hadamard row 4.
const OUT_R: [f32; 8] = [1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0];
/// Left input per line: the even lines, alternating signs.
const IN_L: [f32; 8] = [INPUT_SCALE, 0.0, -INPUT_SCALE, 0.0, INPUT_SCALE, 0.0, -INPUT_SCALE, 0.0];
/// Right input per line: the odd lines.
const IN_R: [f32; 8] = [0.0, INPUT_SCALE, 0.0, INPUT_SCALE, 0.0, -INPUT_SCALE, 0.0, -INPUT_SCALE];

/// 1/√8, the orthonormal Hadamard's scale.
const HADAMARD_SCALE: f32 = 0.353_553_38;
/// Longest sub-block of the block-wise path, samples (also capped per rate by `max_sub`).
const SUB_BLOCK: usize = 64;

/// Line `k`'s delay (samples, the glides' target) for `size` at the model rate `fs`.
fn line_length(k: usize, size: f32, fs: f64) -> f64 {
    let ratio = fs / REFERENCE_RATE;
    let size_factor = (SIZE_MIN + SIZE_SPAN * size) as f64;
    (LINE_BASE[k] as f64 * size_factor * ratio).round().max(2.0)
}

/// Line `k`'s diffuser allpass delay (samples) at the model rate `fs`.
fn line_allpass_length(k: usize, fs: f64) -> usize {
    ((LINE_ALLPASS[k] as f64 * (fs / REFERENCE_RATE)).round() as usize).max(2)
}

/// The low shelf's one-pole coefficient at the model rate `fs`.
fn shelf_coeff(fs: f64) -> f32 {
    (1.0 - (-core::f64::consts::TAU * LOW_CROSSOVER_HZ / fs).exp()) as f32
}

/// The decay coefficients of one line.
#[derive(Clone, Copy, Debug)]
struct LineDecay {
    /// Mid-band gain per pass through the line.
    gain_mid: f32,
    /// Low-shelf gain (0: none).
    shelf_gain: f32,
    /// Damping low-pass pole.
    lowpass_pole: f32,
    /// `γ_mid^M` on the diffuser's internal delay.
    allpass_loss: f32,
}

/// The coefficients that make a line of `target` samples with a diffuser of `m` samples decay
/// at `decay_s` in the mids and `decay_s·(1 − 0.9·damping)` at 5 kHz (sanitised settings `s`,
/// model rate `fs`); lossless in freeze.
fn line_decay(s: &ReverbSettings, fs: f64, target: f64, m: f64) -> LineDecay {
    if s.freeze {
        return LineDecay { gain_mid: 1.0, shelf_gain: 0.0, lowpass_pole: 0.0, allpass_loss: 1.0 };
    }
    let cos_hi = (core::f64::consts::TAU * HIGH_REFERENCE_HZ / fs).cos();
    // The diffuser's internal delay carries the mid-band loss γ_mid^M; the filter makes
    // up the rest, so the whole loop (L + M samples) decays at each band's own RT60.
    let t_mid = s.decay_s as f64;
    let gain = |rt60: f64| 10f64.powf(-3.0 * (target + m) / (rt60 * fs) + 3.0 * m / (t_mid * fs));
    let allpass_loss = 10f64.powf(-3.0 * m / (t_mid * fs)) as f32;
    let t = s.decay_s as f64;
    let g_mid = gain(t);
    let g_lo = gain(t * BASS_RATIO);
    // The extra high-frequency loss per pass is floored at −34 dB (ρ ≥ 0.02): with a
    // short decay and full damping it would otherwise underflow, the pole below would
    // round to exactly 1 in f32, and the line would hold its state for ever.
    let rho = (gain(t * (1.0 - DAMPING_DEPTH * s.damping as f64)) / g_mid).max(MIN_HIGH_LOSS);
    let lowpass_pole = if rho >= 1.0 - 1e-9 {
        0.0
    } else {
        let r2 = rho * rho;
        let b = (1.0 - r2 * cos_hi) / (1.0 - r2);
        ((b - (b * b - 1.0).max(0.0).sqrt()) as f32).min(MAX_LOWPASS_POLE)
    };
    LineDecay { gain_mid: g_mid as f32, shelf_gain: (g_lo / g_mid - 1.0) as f32, lowpass_pole, allpass_loss }
}

/// Reverberation time (s) at `freq_hz` of the hall with `settings` at `sample_rate`, from the
/// coefficients the model itself runs with ([`Hall::set_settings`] computes them with the same
/// function): each line's loop (its delay and its diffuser, `L + M` samples; the diffusers,
/// the interpolators and the Hadamard matrix are lossless, up to the `γ^M` the diffuser carries)
/// passes `gain_mid·γ^M·|shelf(f)|·|LP(f)|`, and the lines' decay rates (dB/s) are averaged.
/// By design this is `decay_s` towards DC and `decay_s·(1 − 0.9·damping)` at 5 kHz (up to the
/// −34 dB floor on the extra loss per pass). Infinite in freeze.
pub fn rt60_at(settings: &ReverbSettings, sample_rate: f32, freq_hz: f32) -> f32 {
    use super::decay::{loop_rate, omega, one_pole_gain, rt60};
    let s = settings.sanitized();
    if s.freeze {
        return f32::INFINITY;
    }
    let fs = super::model_rate(sample_rate) as f64;
    let w = omega(freq_hz, fs);
    // The low shelf `1 + g·c/(1 − (1 − c)·e^−jω)`.
    let c = shelf_coeff(fs) as f64;
    let (re, im) = (1.0 - (1.0 - c) * w.cos(), (1.0 - c) * w.sin());
    let den = (re * re + im * im).max(f64::MIN_POSITIVE);
    let (lp_re, lp_im) = (c * re / den, -c * im / den);
    let rates = (0..8).map(|k| {
        let (target, m) = (line_length(k, s.size, fs), line_allpass_length(k, fs) as f64);
        let line = line_decay(&s, fs, target, m);
        let g = line.shelf_gain as f64;
        let shelf = ((1.0 + g * lp_re).powi(2) + (g * lp_im).powi(2)).sqrt();
        let gain = line.gain_mid as f64 * line.allpass_loss as f64 * shelf * one_pole_gain(line.lowpass_pole as f64, w);
        loop_rate(gain, target + m, fs)
    });
    rt60(rates.sum::<f64>() / 8.0) as f32
}

/// In-place orthonormal 8-point Hadamard transform (three butterfly stages, then 1/√8).
#[inline(always)]
fn hadamard8(v: &mut [f32; 8]) {
    let mut h = 1;
    while h < 8 {
        let mut i = 0;
        while i < 8 {
            for j in i..i + h {
                let (a, b) = (v[j], v[j + h]);
                v[j] = a + b;
                v[j + h] = a - b;
            }
            i += 2 * h;
        }
        h *= 2;
    }
    for x in v.iter_mut() {
        *x *= HADAMARD_SCALE;
    }
}

/// Per-sub-block working memory of the hall's block-wise path (no state: overwritten before
/// every use), on the heap so no call zeroes or moves it on the stack.
#[derive(Clone)]
struct HallScratch {
    /// Per sample and line: flat index of the interpolator's newer sample.
    newer: [[i32; 8]; SUB_BLOCK],
    /// Per sample and line: flat index of the interpolator's older sample.
    older: [[i32; 8]; SUB_BLOCK],
    /// Per sample and line: the interpolator's coefficient η.
    eta: [[f32; 8]; SUB_BLOCK],
    /// Per sample and line: flat index of the line diffuser's delayed sample.
    ap_index: [[i32; 8]; SUB_BLOCK],
}

/// The 8-line FDN hall.
#[derive(Clone)]
pub struct Hall {
    /// Sample rate, Hz.
    sample_rate: f32,
    /// Main delay memory of the 8 lines (frame by frame: one row of 8 per position).
    lines: Frames8,
    /// Per-line diffuser allpass memory (frame by frame).
    line_allpasses: Frames8,
    /// Input diffuser memory (lanes 0–3 left, 4–7 right).
    input_allpasses: Lanes,
    /// Running write position shared by all memories.
    pos: usize,
    /// Line lengths, excursion and input gain, gliding to their targets.
    glides: Glides<8>,
    /// Diffuser allpass lengths at this rate, samples.
    line_allpass_len: [usize; 8],
    /// `γ^M` of each diffuser's internal delay (absorptive delay, see the module doc).
    line_allpass_loss: [f32; 8],
    /// Diffuser allpass coefficients (±0.6).
    line_allpass_gain: [f32; 8],
    /// Input diffuser lengths at this rate, samples (left 0–3, right 4–7).
    input_allpass_len: [usize; 8],
    /// Allpass-interpolator output states.
    interp: [f32; 8],
    /// Low-shelf one-pole states.
    shelf: [f32; 8],
    /// Low-pass one-pole states.
    lowpass: [f32; 8],
    /// Mid-band loop gain per line.
    gain_mid: [f32; 8],
    /// Low-shelf boost g_lo/g_mid − 1 per line.
    shelf_gain: [f32; 8],
    /// Low-shelf one-pole coefficient (1 − e^(−2π·200/fs)).
    shelf_coeff: f32,
    /// Low-pass pole per line.
    lowpass_pole: [f32; 8],
    /// LFO phases in [−1, 1).
    phase: [f32; 8],
    /// LFO phase increments per sample.
    phase_inc: [f32; 8],
    /// Last settings applied (sanitised).
    settings: ReverbSettings,
    /// Longest sub-block at this rate: no longer than the shortest input diffuser, so the
    /// block-wise diffusers read only samples written before the sub-block.
    max_sub: usize,
    /// Working memory of the block-wise path.
    scratch: Box<HallScratch>,
    /// A copy of the input of an in-place `process` call (see [`super::StereoInput`]).
    input: super::StereoInput,
}

impl Hall {
    /// Allocate every line for the largest size and excursion at `sample_rate` (Hz, clamped to
    /// 8 kHz..768 kHz).
    pub(crate) fn new(sample_rate: f32) -> Self {
        let sample_rate = super::model_rate(sample_rate);
        let ratio = sample_rate as f64 / REFERENCE_RATE;
        let scale = |n: usize| ((n as f64 * ratio).round() as usize).max(2);
        let max_line = ((*LINE_BASE.iter().max().unwrap_or(&1) as f64) * (SIZE_MIN + SIZE_SPAN) as f64 * ratio
            + MAX_EXCURSION as f64 * ratio)
            .ceil() as usize
            + 4;
        let line_allpass_len: [usize; 8] = core::array::from_fn(|k| line_allpass_length(k, sample_rate as f64));
        let input_allpass_len: [usize; 8] = core::array::from_fn(|k| scale(INPUT_ALLPASS[k / 4][k % 4]));
        let phase_inc = core::array::from_fn(|k| 2.0 * LFO_HZ[k] / sample_rate);
        // Spread the initial LFO phases so the lines do not move together.
        let phase = core::array::from_fn(|k| -1.0 + 2.0 * k as f32 / 8.0);
        let max_sub = input_allpass_len.iter().copied().min().unwrap_or(1).clamp(1, SUB_BLOCK);
        let mut hall = Self {
            input: super::StereoInput::default(),
            scratch: Box::new(HallScratch {
                newer: [[0; 8]; SUB_BLOCK],
                older: [[0; 8]; SUB_BLOCK],
                eta: [[0.0; 8]; SUB_BLOCK],
                ap_index: [[0; 8]; SUB_BLOCK],
            }),
            max_sub,
            sample_rate,
            lines: Frames8::new(max_line),
            line_allpasses: Frames8::new(*line_allpass_len.iter().max().unwrap_or(&2)),
            input_allpasses: Lanes::new(8, *input_allpass_len.iter().max().unwrap_or(&2)),
            pos: 0,
            glides: Glides::new(sample_rate, MAX_EXCURSION * ratio as f32),
            line_allpass_len,
            line_allpass_loss: [1.0; 8],
            line_allpass_gain: core::array::from_fn(|k| if k % 2 == 0 { LINE_ALLPASS_GAIN } else { -LINE_ALLPASS_GAIN }),
            input_allpass_len,
            interp: [0.0; 8],
            shelf: [0.0; 8],
            lowpass: [0.0; 8],
            gain_mid: [0.0; 8],
            shelf_gain: [0.0; 8],
            shelf_coeff: shelf_coeff(sample_rate as f64),
            lowpass_pole: [0.0; 8],
            phase,
            phase_inc,
            settings: ReverbSettings::default(),
        };
        hall.apply_settings(ReverbSettings::default().sanitized());
        hall.glides.snap();
        hall
    }

    /// Apply the settings: line-length targets from `size`, per-line gains and filters from
    /// `decay_s` and `damping`, excursion from `modulation`, and freeze. A few `powf`/`sqrt`
    /// per line when the settings changed, nothing otherwise; no allocation: fine once per block.
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
        for k in 0..8 {
            let target = line_length(k, s.size, fs);
            self.glides.length_target[k] = target as f32;
            let line = line_decay(&s, fs, target, self.line_allpass_len[k] as f64);
            self.gain_mid[k] = line.gain_mid;
            self.shelf_gain[k] = line.shelf_gain;
            self.lowpass_pole[k] = line.lowpass_pole;
            self.line_allpass_loss[k] = line.allpass_loss;
        }
        // The interpolators are lossless, so the modulation may keep running in freeze.
        self.glides.depth_target = s.modulation * MAX_EXCURSION * ratio as f32;
        self.glides.input_gain_target = if s.freeze { 0.0 } else { 1.0 };
    }

    /// Clear all state; settings (and the glides' targets) are kept, glides jump to their
    /// targets.
    pub fn reset(&mut self) {
        self.lines.reset();
        self.line_allpasses.reset();
        self.input_allpasses.reset();
        self.pos = 0;
        self.interp = [0.0; 8];
        self.shelf = [0.0; 8];
        self.lowpass = [0.0; 8];
        self.phase = core::array::from_fn(|k| -1.0 + 2.0 * k as f32 / 8.0);
        self.glides.snap();
    }

    /// Heap memory held, bytes.
    pub fn memory_bytes(&self) -> usize {
        self.lines.memory_bytes() + self.line_allpasses.memory_bytes() + self.input_allpasses.memory_bytes()
    }

    /// True when any state value is subnormal (for tests of the denormal guards).
    pub fn has_subnormal_state(&self) -> bool {
        let sub = |x: &f32| crate::denormal::is_subnormal_f32(*x);
        self.lines.samples().iter().any(sub)
            || self.line_allpasses.samples().iter().any(sub)
            || self.input_allpasses.samples().iter().any(sub)
            || self.interp.iter().chain(&self.shelf).chain(&self.lowpass).any(sub)
    }

    /// Wet-only stereo reverb of one block (any length; the common length of the slices).
    ///
    /// While a glide is in progress, samples go one at a time through `Self::sample`;
    /// otherwise sub-blocks of at most `max_sub` samples go through `Self::sub_block`, which
    /// computes the same per-sample arithmetic with the eight lines as lanes of two 4-wide
    /// vectors (SSE2 on x86_64), so the result does not depend on which path or split was taken.
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
                self.sub_block(xl, xr, yl, yr);
                done += b;
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

    /// One sample, the general path (every glide advances).
    fn sample(&mut self, xl: f32, xr: f32) -> (f32, f32) {
        let max_delay = self.lines.max_delay() as f32 - 1.0;
        let mut lines = self.lines.view();
        let mut line_allpasses = self.line_allpasses.view();
        let mut input_allpasses = self.input_allpasses.view();
        let pos = self.pos;
        self.glides.advance_gains();

        // Input diffusion, left and right.
        let mut x = [sanitize_input(xl) * self.glides.input_gain, sanitize_input(xr) * self.glides.input_gain];
        for stage in 0..4 {
            for (ch, xc) in x.iter_mut().enumerate() {
                let lane = ch * 4 + stage;
                let g = INPUT_ALLPASS_GAIN[stage];
                let d = input_allpasses.read(lane, pos, self.input_allpass_len[lane]);
                let w = flush(*xc - g * d);
                input_allpasses.write(lane, pos, w);
                *xc = g * w + d;
            }
        }

        // Line outputs: modulated, allpass-interpolated reads.
        let mut v = [0.0f32; 8];
        for k in 0..8 {
            let length = self.glides.advance_length(k);
            let d = (length + self.glides.depth * parabolic_sine(self.phase[k])).min(max_delay);
            self.phase[k] = advance_phase(self.phase[k], self.phase_inc[k]);
            let (n, eta) = allpass_split(d);
            let newer = lines.read(k, pos, n);
            let older = lines.read(k, pos, n + 1);
            v[k] = allpass_interpolate(eta, newer, older, self.interp[k]);
        }
        // Per-line decay filters.
        let mut y = [0.0f32; 8];
        for k in 0..8 {
            let x0 = flush(v[k]);
            self.interp[k] = x0;
            let shelf = flush(self.shelf[k] + self.shelf_coeff * (x0 - self.shelf[k]));
            self.shelf[k] = shelf;
            let x1 = x0 + self.shelf_gain[k] * shelf;
            let lp = flush(x1 + self.lowpass_pole[k] * (self.lowpass[k] - x1));
            self.lowpass[k] = lp;
            y[k] = self.gain_mid[k] * lp;
        }
        let (mut l, mut r) = (0.0f32, 0.0f32);
        for k in 0..8 {
            l += OUT_L[k] * y[k];
            r += OUT_R[k] * y[k];
        }
        let out = (l * OUTPUT_GAIN, r * OUTPUT_GAIN);

        // Mix, inject, diffuse, write.
        hadamard8(&mut y);
        for k in 0..8 {
            let z = y[k] + IN_L[k] * x[0] + IN_R[k] * x[1];
            let g = self.line_allpass_gain[k];
            let d = line_allpasses.read(k, pos, self.line_allpass_len[k]) * self.line_allpass_loss[k];
            let w = flush(z - g * d);
            line_allpasses.write(k, pos, w);
            lines.write(k, pos, flush(g * w + d));
        }
        self.pos = pos.wrapping_add(1);
        out
    }

    /// `b ≤ max_sub` samples with every glide settled: [`Self::sample`]'s arithmetic with the
    /// input diffusers run over the whole sub-block (`max_sub` is at most their shortest
    /// delay, so each reads only samples written before it) and the eight lines as lanes of
    /// two [`f32x4`]s: the allpass-interpolated reads, the decay filters, the Hadamard
    /// butterflies (pairs, halves, then between the two vectors; `a + b` is commutative and
    /// `a + (−b) = a − b` exactly, so the lane forms give the scalar butterflies' values), the
    /// diffusers and the writes. The output sums stay scalar, in the scalar order.
    #[inline(always)]
    fn sub_block(&mut self, in_l: &[f32], in_r: &[f32], out_l: &mut [f32], out_r: &mut [f32]) {
        let b = in_l.len().min(in_r.len()).min(out_l.len()).min(out_r.len()).min(SUB_BLOCK);
        let max_delay = self.lines.max_delay() as f32 - 1.0;
        let mut lines = self.lines.view();
        let mut line_allpasses = self.line_allpasses.view();
        let mut input_allpasses = self.input_allpasses.view();
        let pos = self.pos;

        // Input diffusion, left and right, over the sub-block.
        let mut x = [[0.0f32; SUB_BLOCK]; 2];
        let mut d = [0.0f32; SUB_BLOCK];
        let mut w = [0.0f32; SUB_BLOCK];
        let (d, w) = (&mut d[..b], &mut w[..b]);
        for (ch, input) in [in_l, in_r].into_iter().enumerate() {
            let x = &mut x[ch][..b];
            for (x, &v) in x.iter_mut().zip(input) {
                *x = sanitize_input(v) * self.glides.input_gain;
            }
            for (stage, &g) in INPUT_ALLPASS_GAIN.iter().enumerate() {
                let lane = ch * 4 + stage;
                input_allpasses.read_span(lane, pos.wrapping_sub(self.input_allpass_len[lane]), d);
                for ((x, &d), w) in x.iter_mut().zip(d.iter()).zip(w.iter_mut()) {
                    *w = flush(*x - g * d);
                    *x = g * *w + d;
                }
                input_allpasses.write_span(lane, pos, w);
            }
        }

        // Per-line constants and states as two quads (lines 0–3, 4–7).
        let quads = |a: &[f32; 8]| {
            let (lo, hi) = a.split_at(4);
            [f32x4::new(lo.try_into().unwrap_or([0.0; 4])), f32x4::new(hi.try_into().unwrap_or([0.0; 4]))]
        };
        let (length, phase_inc, gain_mid) = (quads(&self.glides.length), quads(&self.phase_inc), quads(&self.gain_mid));
        let (shelf_gain, pole) = (quads(&self.shelf_gain), quads(&self.lowpass_pole));
        let (ap_gain, ap_loss) = (quads(&self.line_allpass_gain), quads(&self.line_allpass_loss));
        let (in_l_gain, in_r_gain) = (quads(&IN_L), quads(&IN_R));
        let (mut phase, mut interp, mut shelf, mut lowpass) = (quads(&self.phase), quads(&self.interp), quads(&self.shelf), quads(&self.lowpass));
        let (depth, shelf_coeff, max_d) = (f32x4::splat(self.glides.depth), f32x4::splat(self.shelf_coeff), f32x4::splat(max_delay));
        let (one, two, four) = (f32x4::splat(1.0), f32x4::splat(2.0), f32x4::splat(4.0));
        let pair_signs = f32x4::new([1.0, -1.0, 1.0, -1.0]);
        let half_signs = f32x4::new([1.0, 1.0, -1.0, -1.0]);
        let hadamard_scale = f32x4::splat(HADAMARD_SCALE);
        let ap_len = self.line_allpass_len;

        // The modulation, independent of the signal: per sample and line, the interpolator's
        // two read indices and its coefficient, and the diffusers' read indices.
        let HallScratch { newer, older, eta, ap_index } = &mut *self.scratch;
        let mask = lines.mask();
        let base: [[i32; 4]; 2] = [[0, 1, 2, 3], [4, 5, 6, 7]];
        let ap_mask = line_allpasses.mask();
        let ap_delay: [[i32; 4]; 2] = core::array::from_fn(|h| core::array::from_fn(|j| ap_len[4 * h + j] as i32));
        for i in 0..b {
            let p = pos.wrapping_add(i);
            for h in 0..2 {
                let lfo = four * phase[h] * (one - phase[h].abs());
                let delay = (length[h] + depth * lfo).min_by_lt(max_d);
                let next = phase[h] + phase_inc[h];
                phase[h] = next - (next.simd_ge(one) & two);
                let (nw, ol, e) = split_ring(delay, [p as i32; 4], mask as i32, 3, base[h]);
                newer[i][4 * h..4 * h + 4].copy_from_slice(&nw);
                older[i][4 * h..4 * h + 4].copy_from_slice(&ol);
                eta[i][4 * h..4 * h + 4].copy_from_slice(&e.to_array());
            }
            for h in 0..2 {
                let idx = ring_index([p as i32; 4], ap_delay[h], ap_mask as i32, 3, base[h]);
                ap_index[i][4 * h..4 * h + 4].copy_from_slice(&idx);
            }
        }

        for i in 0..b {
            let p = pos.wrapping_add(i);
            let mut y = [f32x4::ZERO; 2];
            for h in 0..2 {
                // Allpass-interpolated reads.
                let nw: [f32; 4] = core::array::from_fn(|j| lines.at(newer[i][4 * h + j] as usize));
                let ol: [f32; 4] = core::array::from_fn(|j| lines.at(older[i][4 * h + j] as usize));
                let e = f32x4::new(eta[i][4 * h..4 * h + 4].try_into().unwrap_or([0.0; 4]));
                let v = e * (f32x4::new(nw) - interp[h]) + f32x4::new(ol);
                // Decay filters.
                let x0 = v.flush_denormals();
                interp[h] = x0;
                shelf[h] = (shelf[h] + shelf_coeff * (x0 - shelf[h])).flush_denormals();
                let x1 = x0 + shelf_gain[h] * shelf[h];
                lowpass[h] = (x1 + pole[h] * (lowpass[h] - x1)).flush_denormals();
                y[h] = gain_mid[h] * lowpass[h];
            }
            let lanes = [y[0].to_array(), y[1].to_array()];
            let (mut l, mut r) = (0.0f32, 0.0f32);
            for k in 0..8 {
                l += OUT_L[k] * lanes[k / 4][k % 4];
                r += OUT_R[k] * lanes[k / 4][k % 4];
            }
            out_l[i] = l * OUTPUT_GAIN;
            out_r[i] = r * OUTPUT_GAIN;

            // Hadamard butterflies (h = 1, 2 within each quad, h = 4 between them), then 1/√8.
            for y in y.iter_mut() {
                *y = y.swap_pairs() + *y * pair_signs;
                *y = y.swap_halves() + *y * half_signs;
            }
            let z = [(y[0] + y[1]) * hadamard_scale, (y[0] - y[1]) * hadamard_scale];
            // Inject, diffuse, write.
            let (xl, xr) = (f32x4::splat(x[0][i]), f32x4::splat(x[1][i]));
            let mut wu = [(xl, xl); 2];
            for h in 0..2 {
                let z = z[h] + in_l_gain[h] * xl + in_r_gain[h] * xr;
                let dl: [f32; 4] = core::array::from_fn(|j| line_allpasses.at(ap_index[i][4 * h + j] as usize));
                let dl = f32x4::new(dl) * ap_loss[h];
                let w = (z - ap_gain[h] * dl).flush_denormals();
                let u = (ap_gain[h] * w + dl).flush_denormals();
                wu[h] = (w, u);
            }
            line_allpasses.write_lanes(p, wu[0].0, wu[1].0);
            lines.write_lanes(p, wu[0].1, wu[1].1);
        }

        let store = |q: [f32x4; 2], to: &mut [f32; 8]| {
            let (a, b) = to.split_at_mut(4);
            if let (Ok(a), Ok(b)) = (<&mut [f32; 4]>::try_from(a), <&mut [f32; 4]>::try_from(b)) {
                *a = q[0].to_array();
                *b = q[1].to_array();
            }
        };
        store(phase, &mut self.phase);
        store(interp, &mut self.interp);
        store(shelf, &mut self.shelf);
        store(lowpass, &mut self.lowpass);
        self.pos = pos.wrapping_add(b);
    }
}

super::reverb_model!(Hall);
