//! The multi-stage allpass phaser (docs/models.md, "Phaser"): pyo's `Phaser` parameterisation with
//! the formula it intends (Faust's `pf.phaser2_mono`), swept by an LFO, with saturating feedback.
//!
//! # Equations
//!
//! `stages` (1..=48) second-order allpass sections in series. Stage k (k = 0..stages−1) has the
//! centre
//!
//! f_k = clamp(freq_eff · spread^k, 20 Hz, 0.49·sr), freq_eff = freq · 2^(depth · lfo(t)),
//!
//! computed as 2^(log2 freq_eff + k·log2 spread), and
//!
//! r = exp(−π f_k/(q·sr)), a2 = r², a1 = −2r·cos(2π f_k/sr),
//! H_k(z) = (a2 + a1 z⁻¹ + z⁻²) / (1 + a1 z⁻¹ + a2 z⁻²).
//!
//! |H_k| = 1 and its phase falls monotonically from 0 at DC to −2π at Nyquist (−π near f_k), so
//! the chain H = Π H_k is an allpass whose phase reaches −2π·stages. Feedback adds the chain's
//! previous output, through a soft limiter L, to its input:
//!
//! u[n] = x[n] + feedback · L(w[n−1]),  w = H u,  out = (1 − mix)·x + mix·w.
//!
//! For small signals W/X = H / (1 − feedback · z⁻¹ H). At mix ½ the output is ½(1 + H): notches
//! where the chain's phase is an odd multiple of π (one per stage), which the LFO sweeps, all
//! centres together, by ±depth octaves. mix 1 is the pure allpass (vibrato when swept).
//! (pyo's C code takes the cosine of the stage index instead of the frequency, so its notches
//! all sit near DC: its output is not a reference; Faust's phaser2 is the intended formula.)
//!
//! # Structure: each section is a trapezoidal state-variable filter
//!
//! A 2nd-order digital allpass is fixed by its poles p = r·e^{±jθ} (θ = 2π f_k/sr), so the
//! section can be realised by any structure with those poles. Direct forms (DF-I, TDF-II) are
//! allpass when static but not under modulation: measured here with a 20 Hz ±6-octave sweep, a
//! 48-stage DF-I chain turned full-scale noise (0.58 rms) into 16 rms. Each section is instead
//! Simper's trapezoidal SVF (Zavalishin's TPT, "The Art of VA Filter Design" ch. 4; Simper,
//! "Solving the continuous SVF equations using trapezoidal integration", 2013) with allpass
//! output y = x − 2k·bp, whose analog prototype s² + k g s + g² is the bilinear image of the
//! poles above ([`Phaser`]'s `compute_targets` gives g and k): the same H(z) exactly. With zero
//! input one step maps the states by M = [[1 − 2c1, −2a2s], [2a2s, 1 − 2a3s]], and
//! MᵀM = I − (4gk/d²)·vvᵀ (v = (1, −g), d = 1 + g(g + k)): a contraction for every g, k ≥ 0 in a
//! norm that does not depend on them, so no modulation, however fast, can pump energy into a
//! section (the same chain gives at most ~1.8× rms there). It is also the precise form at low
//! frequencies: g and k carry full relative precision where 1 + a1 + a2 ≈ θ² would be lost in
//! f32 (see [`Derived`] for the increment form that keeps the allpass matched).
//!
//! Per section, y = d·x + e with the direct gain d = 1 − 2k·a2s and e from the states only, so
//! the recursive (critical) path of a stage is one multiply and one add. Stages go in pairs
//! (a, b) in the four lanes of an SSE register, [L_a, R_a, L_b, R_b]: both channels and two
//! stages per instruction, and
//!
//! y_b = d_b·y_a + e_b = (d_a·d_b)·x + (d_b·e_a + e_b),
//!
//! so one multiply-add gives y_a and y_b together: the critical path per *pair* is one multiply,
//! one add and one shuffle (~8 cycles without FMA). With feedback that path is the whole chain
//! once per sample; without feedback consecutive samples overlap.
//!
//! # Why it stays bounded: the feedback limiter
//!
//! A static allpass chain has gain 1, so with |feedback| ≤ 0.99 the loop gain is below 1. Two
//! things can still push it past one at ±0.99: modulation (the sections' states cannot gain
//! energy, but the input–output gain of a swept allpass is not exactly 1) and f32 rounding
//! (|H| − 1 of a few 10⁻⁷ per stage, more for high q near Nyquist). So the feedback passes
//! through a cubic soft limiter, as the op-amp of a real phaser saturates: L(w) = S·f(w/S),
//! f(v) = v − (4/27)v³ for |v| ≤ 3/2, ±1 beyond (C¹, slope 1 at 0, deviation (4/27)(w/S)²:
//! 0.2 % at w = 0.25 with S = [`FEEDBACK_SATURATION`] = 2). |feedback·L| ≤ 0.99·S whatever
//! happens in the loop, so the chain's input is bounded by the (clamped) input plus 1.98.
//! Safety nets behind that: the input is sanitised (non-finite → 0, clamped to ±64, subnormals
//! flushed), the states are checked at every control tick (tiny values flushed for the denormal
//! guard; non-finite or absurd values, > 2²⁰, reset the chain), and the output is clamped to
//! ±1024 with NaN → 0, a level never reached from input within ±64 in practice.
//!
//! # Cheap modulation (control rate)
//!
//! Coefficients are recomputed only while something moves (the LFO with depth > 0, a smoothed
//! parameter still ramping, a stage-count crossfade), and then only every [`CONTROL_PERIOD`]
//! samples, at fixed positions of a running sample counter (so the result does not depend on the
//! host's block size). Between two control points (g, k), the SVF's equivalent of (a1, a2), are
//! interpolated linearly per sample and the per-sample coefficients derived from them (one
//! division per pair). The stability region, g > 0 and k > 0, is convex (as the (a1, a2)
//! triangle of a direct form is), so a straight line between two stable pairs stays stable; here
//! every point of it is moreover a contraction. The control-point values come from cheap
//! polynomials in `f32`, vectorised over the lanes: w = f_k/sr = 2^(lf) with
//! lf = log2(freq_eff/sr) + k·log2(spread) ([`exp2_poly`], relative error ≤ 2.5·10⁻⁷), then
//! sinh(π w/(2q)) and sin(π w), cos(π w) ([`SINH_COEFFS`], [`crate::lfo::sin_poly`], relative
//! error ≤ 1.5·10⁻⁷), and two square roots. pyo recomputes every coefficient with libm calls at
//! every sample.
//!
//! # Smoothing and declicking
//!
//! freq and spread (in log2), q (in log2), feedback, depth, mix and the stereo phase ramp
//! linearly over [`SMOOTHING_S`] at control rate; feedback and mix (and the stage crossfade gain)
//! are then interpolated per sample. A change of `stages` crossfades the chain output tapped after
//! the old count into the output after the new count over [`STAGE_FADE_S`] (raised cosine); the
//! chain runs the larger count meanwhile, and stages that join start from silence.

use crate::denormal::flush;
use crate::input::{sanitize_block, RECURSIVE_INPUT_LIMIT};
use crate::lfo::{Lfo, LfoShape};
use crate::model::{Model, ProcessSpec};

/// The most allpass stages.
pub const MAX_STAGES: usize = 48;
/// Stages are processed two at a time.
const MAX_PAIRS: usize = MAX_STAGES / 2;

/// Samples between control points (coefficient, smoother and LFO updates): 0.67 ms at 48 kHz,
/// 75 points per cycle of a 20 Hz LFO; the cost of a coefficient update spread over 32 samples
/// is a few percent of the audio path.
pub const CONTROL_PERIOD: usize = 32;

/// Parameter smoothing time, seconds (the usual ~20 ms that removes zipper noise without
/// audible lag).
pub const SMOOTHING_S: f64 = 0.02;

/// Crossfade time on a change of the stage count, seconds.
pub const STAGE_FADE_S: f64 = 0.015;

/// Lowest stage centre, Hz (docs/models.md, "Phaser").
pub const MIN_CENTRE_HZ: f32 = 20.0;
/// Highest stage centre as a fraction of the sample rate (docs/models.md, "Phaser").
pub const MAX_CENTRE_FRACTION: f32 = 0.49;
/// q range (docs/interfaces.md, "Ferrite Phaser").
pub const Q_MIN: f32 = 0.5;
/// q range (docs/interfaces.md, "Ferrite Phaser").
pub const Q_MAX: f32 = 100.0;
/// |feedback| limit (docs/interfaces.md, "Ferrite Phaser"): the small-signal loop gain stays
/// below one.
pub const FEEDBACK_MAX: f32 = 0.99;
/// Spread range accepted: ratios beyond this put every further stage at a clamp anyway.
pub const SPREAD_MIN: f32 = 0.25;
/// See [`SPREAD_MIN`].
pub const SPREAD_MAX: f32 = 4.0;
/// Largest sweep depth, octaves either side of `freq` (12 octaves peak to peak: more than the
/// audio band).
pub const MAX_DEPTH_OCTAVES: f32 = 6.0;
/// `freq` range, Hz (the stage centres are clamped to [20 Hz, 0.49·sr] afterwards).
pub const FREQ_MIN_HZ: f32 = 20.0;
/// See [`FREQ_MIN_HZ`].
pub const FREQ_MAX_HZ: f32 = 24_000.0;

/// Level S at which the feedback limiter saturates (its output never exceeds S, reached for
/// |w| ≥ 1.5·S): 2 = +6 dBFS, like an op-amp stage with headroom above nominal level, so normal
/// levels pass almost untouched (0.2 % gain change at −12 dBFS).
pub const FEEDBACK_SATURATION: f32 = 2.0;
/// A state beyond this magnitude (or non-finite) resets the chain: with the input within ±64
/// and the feedback within ±1.98, no legitimate signal comes near it.
const STATE_LIMIT: f32 = 1_048_576.0;
/// Last-resort output clamp (+60 dBFS).
const OUTPUT_LIMIT: f32 = 1024.0;

use crate::simd::{f32x4, horner, i32x4, LaneOps};
use wide::bytemuck::cast;

// The lanes ([`f32x4`]) hold [L_a, R_a, L_b, R_b] for a pair of stages (or [L, R, L, R] for a
// signal): both channels of both stages of a pair in one vector.

/// [d_a, d_a·d_b] from the direct gains [d_a, d_b]: the pair's gain from its input to each
/// stage's output.
#[inline(always)]
fn pair_gain(d: f32x4) -> f32x4 {
    d.low_to_both() * f32x4::splat(1.0).low_halves(d.high_to_both())
}

/// 2^x per lane for x in [−126, 0]: [`exp2_poly`] on lanes (the same operations).
#[inline(always)]
fn exp2_lanes(x: f32x4) -> f32x4 {
    let x = x.max_by_gt(f32x4::splat(-126.0)).min_by_lt(f32x4::ZERO);
    // Truncation of the positive x + 128 is its floor.
    let n = (x + f32x4::splat(128.0)).fast_trunc_int() - i32x4::splat(128);
    let f = x - f32x4::from_i32x4(n);
    let scale: f32x4 = cast((n + i32x4::splat(127)) << 23);
    exp2_fraction(f) * scale
}

/// Coefficients of 2^f ≈ Σ cᵢ fⁱ on [0, 1): Chebyshev-node interpolation (near-minimax, fitted
/// for this module). Relative error ≤ 1.0·10⁻⁷ exact, ≤ 1.8·10⁻⁷ evaluated in `f32` (unit test).
#[allow(clippy::excessive_precision)] // the fitted f64 values, rounded to f32 at compile time
const EXP2_COEFFS: [f32; 6] = [
    0.999_999_898_350_024_5,
    0.693_154_489_663_231_3,
    0.240_141_818_201_442_34,
    0.055_860_337_077_245_976,
    0.008_949_590_423_341_58,
    0.001_893_754_058_200_46,
];

/// The polynomial part of 2^x, for f in [0, 1), on lanes.
#[inline(always)]
fn exp2_fraction(f: f32x4) -> f32x4 {
    horner(f, &EXP2_COEFFS)
}

/// 2^x for x in [−126, 0] (relative error ≤ 2.5·10⁻⁷): the integer part goes into the exponent
/// bits, the fraction through [`EXP2_COEFFS`]. Truncation of x + 128 (positive) is a floor that
/// needs no SSE4.1. Scalar reference of the lane version [`exp2_lanes`].
#[cfg(test)]
#[inline(always)]
fn exp2_poly(x: f32) -> f32 {
    let x = x.clamp(-126.0, 0.0);
    let n = (x + 128.0) as i32 - 128;
    let f = x - n as f32;
    let c = EXP2_COEFFS;
    let p = ((((c[5] * f + c[4]) * f + c[3]) * f + c[2]) * f + c[1]) * f + c[0];
    p * f32::from_bits(((n + 127) as u32) << 23)
}

/// sin(x) on lanes, x in [−π/2, π/2]: [`crate::lfo::sin_poly`]'s polynomial.
#[inline(always)]
fn sin_lanes(x: f32x4) -> f32x4 {
    x * horner(x * x, &crate::lfo::SIN_COEFFS)
}

/// Coefficients of sinh(x) ≈ x·(c₀ + c₁x² + c₂x⁴ + c₃x⁶ + c₄x⁸) on [0, 1.6] (a/2 ≤ π·0.49/(2·0.5)
/// = 1.54): Chebyshev-node interpolation of sinh(x)/x in x², fitted for this module. Relative
/// error ≤ 5.6·10⁻⁹ exact, ≤ 1.4·10⁻⁷ in `f32` (unit test) — relative at every x, which matters
/// because the damping of a high-q stage is a tiny sinh.
#[allow(clippy::excessive_precision)] // the fitted f64 values, rounded to f32 at compile time
const SINH_COEFFS: [f32; 5] = [
    1.000_000_005_605_041,
    0.166_666_557_228_759_37,
    0.008_333_674_743_658_7,
    0.000_198_040_688_289_274_53,
    2.920_411_947_357_713e-6,
];

/// sinh(x) on lanes, x in [0, 1.6].
#[inline(always)]
fn sinh_lanes(x: f32x4) -> f32x4 {
    x * horner(x * x, &SINH_COEFFS)
}

/// The per-sample coefficients of a pair of SVF allpass sections, derived from (g, k).
///
/// Simper's trapezoidal SVF (v1 = a1s·s1 + a2s·(x − s2), v2 = s2 + a2s·s1 + a3s·(x − s2),
/// s1 ← 2v1 − s1, s2 ← 2v2 − s2, allpass y = x − 2k·v1, with a1s = 1/(1 + g(g + k)),
/// a2s = g·a1s, a3s = g·a2s) is used in increment form, s ← s + 2·(v − s), with
/// c1 = 1 − a1s = g(g + k)/(1 + g(g + k)) stored instead of a1s: c1 carries full relative
/// precision, so the section's damping (1 − r² = 2gk·a1s, a few 10⁻⁶ for q = 100 at 20 Hz) is not
/// lost in the rounding of a number close to 1, and numerator and denominator of the realised
/// H(z) stay matched (a direct-form biquad, or the plain a1s form, loses the allpass property
/// there by up to 2 % per stage in f32).
#[derive(Clone, Copy, Debug, Default)]
struct Derived {
    /// 1 − a1s = g(g + k)/(1 + g(g + k)).
    c1: f32x4,
    /// g·a1s.
    a2s: f32x4,
    /// g²·a1s.
    a3s: f32x4,
    /// −2k.
    nk2: f32x4,
    /// Direct gain of each section, 1 − 2k·a2s (equals the a2 of its H(z)).
    d: f32x4,
    /// [`pair_gain`] of `d`.
    m: f32x4,
}

impl Derived {
    /// From (g, k): one division, the rest multiply-adds.
    #[inline(always)]
    fn from_gk(g: f32x4, k: f32x4) -> Derived {
        let one = f32x4::splat(1.0);
        let gg = g * (g + k);
        let a1s = one / (one + gg);
        let a2s = g * a1s;
        let a3s = g * a2s;
        let nk2 = f32x4::ZERO - (k + k);
        let d = one + nk2 * a2s;
        Derived { c1: gg * a1s, a2s, a3s, nk2, d, m: pair_gain(d) }
    }
}

/// One pair of stages: states and coefficients, together so the per-sample loop walks one array.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(16))]
struct Pair {
    /// First SVF state (Simper's ic1eq, the band-pass integrator) [L_a, R_a, L_b, R_b].
    s1: f32x4,
    /// Second SVF state (ic2eq, the low-pass integrator).
    s2: f32x4,
    /// Outputs of both stages this sample (written only during a stage crossfade, to tap them).
    out: f32x4,
    /// g now (interpolated while moving).
    g: f32x4,
    /// k now.
    k: f32x4,
    /// Per-sample increment of g towards `tg` (0 when static).
    dg: f32x4,
    /// Per-sample increment of k.
    dk: f32x4,
    /// g at the next control point.
    tg: f32x4,
    /// k at the next control point.
    tk: f32x4,
    /// Coefficients derived from (g, k), stored for the static case (derived per sample while
    /// moving).
    c: Derived,
}

impl Pair {
    /// Stop moving: (g, k) at their targets, derived coefficients stored for the static kernel.
    fn settle(&mut self) {
        self.g = self.tg;
        self.k = self.tk;
        self.dg = f32x4::ZERO;
        self.dk = f32x4::ZERO;
        self.c = Derived::from_gk(self.g, self.k);
    }
}

/// A value interpolated linearly per sample between control points (all lanes equal).
#[derive(Clone, Copy, Debug, Default)]
struct Ramp {
    /// Current value.
    v: f32x4,
    /// Per-sample increment.
    step: f32x4,
    /// Value at the next control point.
    end: f32x4,
}

impl Ramp {
    /// Start a new segment towards `end` (snapping the current value to the previous end, so
    /// rounding never accumulates).
    fn retarget(&mut self, end: f32) {
        self.v = self.end;
        self.end = f32x4::splat(end);
        self.step = (self.end - self.v) * f32x4::splat(1.0 / CONTROL_PERIOD as f32);
    }
    fn snap(&mut self, value: f32) {
        self.v = f32x4::splat(value);
        self.end = self.v;
        self.step = f32x4::ZERO;
    }
    #[inline(always)]
    fn advance(&mut self) {
        self.v += self.step;
    }
}

/// A linear ramp at control rate towards a target over a fixed number of control ticks.
#[derive(Clone, Copy, Debug, Default)]
struct Smoother {
    /// Value now (at the next control point after `tick`).
    current: f64,
    /// Where it is going.
    target: f64,
    /// Change per tick.
    step: f64,
    /// Ticks left (0: settled).
    left: u32,
}

impl Smoother {
    fn set_target(&mut self, target: f64, ticks: u32) {
        if target != self.target {
            self.target = target;
            self.left = ticks.max(1);
            self.step = (target - self.current) / self.left as f64;
        }
    }
    fn tick(&mut self) {
        if self.left > 0 {
            self.left -= 1;
            self.current = if self.left == 0 { self.target } else { self.current + self.step };
        }
    }
    fn snap(&mut self) {
        self.current = self.target;
        self.left = 0;
    }
}

/// Where the wet signal is taken from during one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tap {
    /// Even stage count: the last pair's second stage.
    Even,
    /// Odd stage count: the last pair's first stage.
    Odd,
    /// Crossfading from the output after `from` stages to the output after `to` stages.
    Fade { from: usize, to: usize },
}

/// A running stage-count crossfade.
#[derive(Clone, Copy, Debug)]
struct StageFade {
    /// Old stage count.
    from: usize,
    /// New stage count.
    to: usize,
    /// Control segments completed.
    done: u32,
}

/// The per-sample state outside the chain, copied into registers for a segment.
#[derive(Clone, Copy, Debug, Default)]
struct Hot {
    /// Wet output one sample ago (what the feedback feeds back).
    prev_wet: f32x4,
    /// Feedback gain.
    fb: Ramp,
    /// Cubic coefficient of the feedback limiter times the gain, feedback·4/(27 S²).
    fb_cubic: Ramp,
    /// Dry gain, 1 − mix.
    dry: Ramp,
    /// Wet gain, mix.
    wet: Ramp,
    /// Crossfade gain of the new stage count's output.
    fade: Ramp,
}

/// The phaser's parameters (targets: the phaser smooths them internally). Out-of-range values
/// are clamped, NaN is ignored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhaserSettings {
    /// Allpass stages, 1..=[`MAX_STAGES`].
    pub stages: usize,
    /// Centre of the first stage (unswept), Hz.
    pub freq_hz: f32,
    /// Ratio between adjacent stage centres.
    pub spread: f32,
    /// Sharpness of each section ([`Q_MIN`]..[`Q_MAX`]).
    pub q: f32,
    /// Feedback gain, −0.99..0.99.
    pub feedback: f32,
    /// LFO rate, Hz (0..[`crate::lfo::MAX_LFO_RATE_HZ`]).
    pub lfo_rate_hz: f32,
    /// Sweep depth, octaves either side of `freq_hz` (0: static notches).
    pub lfo_depth_octaves: f32,
    /// LFO waveform.
    pub lfo_shape: LfoShape,
    /// Phase of the right channel's LFO relative to the left, degrees.
    pub stereo_phase_deg: f32,
    /// Dry/wet: 0 dry, 0.5 classic notches, 1 pure allpass (vibrato when swept).
    pub mix: f32,
}

impl Default for PhaserSettings {
    /// pyo's defaults (8 stages at 1 kHz, spread 1.1, q 10), no sweep, classic mix.
    fn default() -> Self {
        Self {
            stages: 8,
            freq_hz: 1000.0,
            spread: 1.1,
            q: 10.0,
            feedback: 0.0,
            lfo_rate_hz: 0.5,
            lfo_depth_octaves: 0.0,
            lfo_shape: LfoShape::Sine,
            stereo_phase_deg: 0.0,
            mix: 0.5,
        }
    }
}

/// Reads and writes one frame of a segment.
trait Frame {
    fn load(&self) -> f32x4;
    fn store(&mut self, v: f32x4);
}

impl Frame for (&mut f32, &mut f32) {
    #[inline(always)]
    fn load(&self) -> f32x4 {
        f32x4::new([*self.0, *self.1, *self.0, *self.1])
    }
    #[inline(always)]
    fn store(&mut self, v: f32x4) {
        *self.0 = v.to_array()[0];
        *self.1 = v.to_array()[1];
    }
}

impl Frame for &mut f32 {
    #[inline(always)]
    fn load(&self) -> f32x4 {
        f32x4::splat(**self)
    }
    #[inline(always)]
    fn store(&mut self, v: f32x4) {
        **self = v.to_array()[0];
    }
}

/// One sample through the chain of `pairs`, input `u` ([L, R, L, R]); returns the last pair's
/// output [y_a, y_b]. `TAPS` also stores each pair's output (for the stage crossfade).
#[inline(always)]
fn chain<const MOVING: bool, const TAPS: bool>(pairs: &mut [Pair], u: f32x4) -> f32x4 {
    let mut x = u;
    let mut y = u;
    for p in pairs.iter_mut() {
        let c = if MOVING {
            p.g += p.dg;
            p.k += p.dk;
            Derived::from_gk(p.g, p.k)
        } else {
            p.c
        };
        let (s1, s2) = (p.s1, p.s2);
        // From the past only: v1 = s1 + t1, t1 = u1 + a2s·x_in with u1 = −c1·s1 − a2s·s2, and
        // y = x_in − 2k·v1 = d·x_in + nk2·(s1 + u1); then the second stage's share of the first's:
        // q = [e_a, e_b + d_b·e_a] with e = nk2·(s1 + u1).
        let u1 = f32x4::ZERO - c.c1 * s1 - c.a2s * s2;
        let e = c.nk2 * (s1 + u1);
        let q = e + c.d * f32x4::ZERO.low_halves(e);
        // The critical path: [y_a, y_b] = [d_a, d_a·d_b]·x + q.
        y = c.m * x + q;
        if TAPS {
            p.out = y;
        }
        // State update with the stages' inputs [x, y_a] (trapezoidal integrators).
        let x_in = x.low_halves(y);
        let t1 = u1 + c.a2s * x_in;
        let t2 = c.a2s * s1 + c.a3s * (x_in - s2);
        p.s1 = s1 + (t1 + t1);
        p.s2 = s2 + (t2 + t2);
        x = y.high_to_both();
    }
    y
}

/// The output after `stages` stages this sample, from the pairs' stored outputs (`TAPS` mode).
#[inline(always)]
fn tap_after(pairs: &[Pair], stages: usize) -> f32x4 {
    let i = stages.saturating_sub(1);
    match pairs.get(i / 2) {
        Some(p) if i.is_multiple_of(2) => p.out.low_to_both(),
        Some(p) => p.out.high_to_both(),
        None => f32x4::ZERO,
    }
}

/// One control segment (at most [`CONTROL_PERIOD`] frames) through the phaser.
#[inline(always)]
fn run_segment<const MOVING: bool, const FEEDBACK: bool, const TAPS: bool, F: Frame>(
    pairs: &mut [Pair],
    hot: &mut Hot,
    tap: Tap,
    frames: impl Iterator<Item = F>,
) {
    let mut h = *hot;
    let limit = f32x4::splat(1.5 * FEEDBACK_SATURATION);
    for mut frame in frames {
        let x = frame.load();
        h.dry.advance();
        h.wet.advance();
        let u = if FEEDBACK {
            h.fb.advance();
            h.fb_cubic.advance();
            // feedback·L(w) = w·(feedback − feedback·(4/27)·w²/S²) on the clamped w.
            let w = h.prev_wet.max_by_gt(f32x4::ZERO - limit).min_by_lt(limit);
            x + w * (h.fb.v - h.fb_cubic.v * (w * w))
        } else {
            x
        };
        let y = chain::<MOVING, TAPS>(pairs, u);
        let wet = match tap {
            Tap::Even => y.high_to_both(),
            Tap::Odd => y.low_to_both(),
            Tap::Fade { from, to } => {
                h.fade.advance();
                let old = tap_after(pairs, from);
                old + h.fade.v * (tap_after(pairs, to) - old)
            }
        };
        h.prev_wet = wet;
        frame.store(h.dry.v * x + h.wet.v * wet);
    }
    *hot = h;
}

/// Pairs needed for `stages` stages.
#[inline]
fn pairs_for(stages: usize) -> usize {
    stages.div_ceil(2).min(MAX_PAIRS)
}

/// NaN → 0, clamp to ±[`OUTPUT_LIMIT`].
#[inline]
fn guard_output(x: &mut [f32]) {
    for v in x.iter_mut() {
        if v.is_nan() {
            *v = 0.0;
        } else if v.abs() > OUTPUT_LIMIT {
            *v = OUTPUT_LIMIT.copysign(*v);
        }
    }
}

/// The multi-stage allpass phaser, stereo (or mono), processing in place.
#[derive(Clone, Debug)]
pub struct Phaser {
    /// Sample rate, Hz.
    sample_rate: f32,
    /// The stage pairs (always [`MAX_PAIRS`] long; only the active ones are processed).
    pairs: Vec<Pair>,
    /// Per-sample state outside the chain.
    hot: Hot,
    /// The latest (sanitised) settings: the smoothers' targets.
    settings: PhaserSettings,
    /// log2 freq_hz, smoothed.
    freq_log2: Smoother,
    /// log2 spread, smoothed.
    spread_log2: Smoother,
    /// log2 q, smoothed.
    q_log2: Smoother,
    /// Feedback gain, smoothed.
    feedback: Smoother,
    /// Sweep depth, octaves, smoothed.
    depth: Smoother,
    /// Mix, smoothed.
    mix: Smoother,
    /// Right-channel LFO offset, cycles, smoothed.
    stereo_cycles: Smoother,
    /// Control ticks of a smoothing ramp at this sample rate.
    smoothing_ticks: u32,
    /// Control ticks of a stage crossfade.
    fade_ticks: u32,
    /// The sweep oscillator (left phase; the right one reads it at an offset).
    lfo: Lfo,
    /// Samples processed since the last control tick, 0..CONTROL_PERIOD.
    pos: usize,
    /// Stage count in use (the crossfade's source while one runs).
    stages: usize,
    /// Running stage crossfade, if any.
    stage_fade: Option<StageFade>,
    /// Wet tap for the current segment.
    tap: Tap,
    /// Coefficients are being interpolated in the current segment.
    moving: bool,
    /// [log2(freq_L/sr), log2(freq_R/sr), log2 spread, π/(2q)] the targets were computed from:
    /// when a control point gives the same values, nothing is recomputed.
    last_params: [f32; 4],
    /// Control ticks at which coefficients were recomputed (diagnostics, tests).
    coefficient_updates: u64,
    /// Times the state guard reset the chain (diagnostics, tests).
    guard_resets: u64,
}

impl Model for Phaser {
    /// Settings are set between blocks with [`Phaser::set_settings`].
    type Control<'a> = ();

    /// A phaser at `spec.sample_rate` with default settings. It works in place without
    /// block-sized buffers, so any block length is fine; one or two channels.
    fn prepare(spec: &ProcessSpec) -> Self {
        Phaser::new(spec.sample_rate)
    }

    fn reset(&mut self) {
        Phaser::reset(self);
    }

    /// One channel: mono (both lanes carry it, with the left channel's LFO); two: stereo (the
    /// common length). Channels beyond two are silenced.
    fn process(&mut self, audio: &mut [&mut [f32]], _: ()) {
        match audio {
            [] => {}
            [mono] => self.process_mono(mono),
            [left, right, rest @ ..] => {
                self.process_stereo(left, right);
                for ch in rest {
                    ch.fill(0.0);
                }
            }
        }
    }

    fn memory_bytes(&self) -> usize {
        Phaser::memory_bytes(self)
    }
}

impl Phaser {
    /// A phaser for `sample_rate` Hz with default settings (see [`Model::prepare`]).
    fn new(sample_rate: f32) -> Self {
        let mut p = Self {
            sample_rate: 48_000.0,
            pairs: vec![Pair::default(); MAX_PAIRS],
            hot: Hot::default(),
            settings: PhaserSettings::default(),
            freq_log2: Smoother::default(),
            spread_log2: Smoother::default(),
            q_log2: Smoother::default(),
            feedback: Smoother::default(),
            depth: Smoother::default(),
            mix: Smoother::default(),
            stereo_cycles: Smoother::default(),
            smoothing_ticks: 1,
            fade_ticks: 1,
            lfo: Lfo::new(sample_rate),
            pos: 0,
            stages: 8,
            stage_fade: None,
            tap: Tap::Even,
            moving: false,
            last_params: [0.0; 4],
            coefficient_updates: 0,
            guard_resets: 0,
        };
        let s = p.settings;
        p.set_settings(&s);
        p.set_sample_rate(sample_rate);
        p
    }

    /// Take the sample rate (22.05 to 192 kHz and beyond); resets the state.
    fn set_sample_rate(&mut self, sample_rate: f32) {
        self.sample_rate = if sample_rate.is_finite() && sample_rate >= 1000.0 { sample_rate } else { 48_000.0 };
        let ticks_per_s = self.sample_rate as f64 / CONTROL_PERIOD as f64;
        self.smoothing_ticks = ((SMOOTHING_S * ticks_per_s).round() as u32).max(1);
        self.fade_ticks = ((STAGE_FADE_S * ticks_per_s).round() as u32).max(2);
        self.lfo.set_sample_rate(self.sample_rate);
        self.reset();
    }

    /// The sample rate, Hz.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Clear all state, snap every smoother to its target, restart the LFO at phase 0.
    pub fn reset(&mut self) {
        for p in self.pairs.iter_mut() {
            *p = Pair::default();
        }
        self.hot = Hot::default();
        for s in [
            &mut self.freq_log2,
            &mut self.spread_log2,
            &mut self.q_log2,
            &mut self.feedback,
            &mut self.depth,
            &mut self.mix,
            &mut self.stereo_cycles,
        ] {
            s.snap();
        }
        self.lfo.reset_phase(0.0);
        self.pos = 0;
        self.stages = self.settings.stages;
        self.stage_fade = None;
        self.tap = if self.stages.is_multiple_of(2) { Tap::Even } else { Tap::Odd };
        // Coefficients and gains at the present instant...
        let np = pairs_for(self.stages);
        self.last_params = self.control_params();
        self.compute_targets(0, np);
        for p in self.pairs.iter_mut().take(np) {
            p.settle();
        }
        self.moving = false;
        let fb = self.feedback.current as f32;
        self.hot.fb.snap(fb);
        self.hot.fb_cubic.snap(fb * Self::cubic_factor());
        self.hot.dry.snap(1.0 - self.mix.current as f32);
        self.hot.wet.snap(self.mix.current as f32);
        self.hot.fade.snap(0.0);
        // ...then the first segment's targets.
        self.tick();
    }

    /// Set the targets (call per block, or per sub-block at parameter events). Values are
    /// clamped to their ranges; NaN leaves the previous value.
    pub fn set_settings(&mut self, s: &PhaserSettings) {
        fn sane(v: f32, lo: f32, hi: f32, old: f32) -> f32 {
            if v.is_nan() {
                old
            } else {
                v.clamp(lo, hi)
            }
        }
        let old = self.settings;
        let new = PhaserSettings {
            stages: s.stages.clamp(1, MAX_STAGES),
            freq_hz: sane(s.freq_hz, FREQ_MIN_HZ, FREQ_MAX_HZ, old.freq_hz),
            spread: sane(s.spread, SPREAD_MIN, SPREAD_MAX, old.spread),
            q: sane(s.q, Q_MIN, Q_MAX, old.q),
            feedback: sane(s.feedback, -FEEDBACK_MAX, FEEDBACK_MAX, old.feedback),
            lfo_rate_hz: sane(s.lfo_rate_hz, 0.0, crate::lfo::MAX_LFO_RATE_HZ, old.lfo_rate_hz),
            lfo_depth_octaves: sane(s.lfo_depth_octaves, 0.0, MAX_DEPTH_OCTAVES, old.lfo_depth_octaves),
            lfo_shape: s.lfo_shape,
            stereo_phase_deg: sane(s.stereo_phase_deg, -360.0, 360.0, old.stereo_phase_deg),
            mix: sane(s.mix, 0.0, 1.0, old.mix),
        };
        self.settings = new;
        let t = self.smoothing_ticks;
        self.freq_log2.set_target((new.freq_hz as f64).log2(), t);
        self.spread_log2.set_target((new.spread as f64).log2(), t);
        self.q_log2.set_target((new.q as f64).log2(), t);
        self.feedback.set_target(new.feedback as f64, t);
        self.depth.set_target(new.lfo_depth_octaves as f64, t);
        self.mix.set_target(new.mix as f64, t);
        self.stereo_cycles.set_target(new.stereo_phase_deg as f64 / 360.0, t);
        self.lfo.set_rate_hz(new.lfo_rate_hz);
        self.lfo.set_shape(new.lfo_shape);
    }

    /// Tempo sync: the LFO phase (cycles) the host transport implies for the next sample to be
    /// processed. Small errors are corrected smoothly, a relocation snaps (see [`Lfo::set_phase`]).
    pub fn sync_lfo_phase(&mut self, phase_cycles: f64) {
        // The LFO already stands at the next control point, (CONTROL_PERIOD − pos) samples ahead.
        let ahead = (CONTROL_PERIOD - self.pos) as f64 * self.lfo.rate_hz() as f64 / self.sample_rate as f64;
        self.lfo.set_phase(phase_cycles + ahead);
    }

    /// The LFO phase (left channel) at the next sample, cycles: for a GUI.
    pub fn lfo_phase(&self) -> f64 {
        let behind = (CONTROL_PERIOD - self.pos) as f64 * self.lfo.rate_hz() as f64 / self.sample_rate as f64;
        crate::lfo::wrap01(self.lfo.phase() - behind)
    }

    /// The LFO's value for the left and right channels (mono: the left), in [−1, 1], at the
    /// next control point (at most [`CONTROL_PERIOD`] samples ahead; the coefficients glide there
    /// linearly). The first stage then sits at freq·2^(depth·value) (clamped to
    /// [[`MIN_CENTRE_HZ`], [`MAX_CENTRE_FRACTION`]·sr]) and stage k at spread^k times that: with
    /// the settings this gives the chain's response now (for a GUI; O(1)).
    pub fn lfo_values(&self) -> [f32; 2] {
        let (l, r) = self.lfo.stereo_values(self.stereo_cycles.current * 360.0);
        [l, r]
    }

    /// Heap and inline memory of this phaser, bytes.
    pub fn memory_bytes(&self) -> usize {
        core::mem::size_of::<Self>() + self.pairs.capacity() * core::mem::size_of::<Pair>()
    }

    /// Process a stereo block in place (the common length of both slices).
    fn process_stereo(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        sanitize_block(left, RECURSIVE_INPUT_LIMIT);
        sanitize_block(right, RECURSIVE_INPUT_LIMIT);
        {
            let (mut l, mut r) = (&mut *left, &mut *right);
            // Each pass consumes at least one sample: at most n passes.
            while !l.is_empty() {
                let seg = (CONTROL_PERIOD - self.pos).min(l.len());
                let (lh, lt) = l.split_at_mut(seg);
                let (rh, rt) = r.split_at_mut(seg.min(r.len()));
                self.run(lh.iter_mut().zip(rh.iter_mut()));
                self.finish_segment(seg);
                l = lt;
                r = rt;
            }
        }
        guard_output(left);
        guard_output(right);
    }

    /// Process a mono block in place (both lanes carry the signal; the left channel's LFO).
    fn process_mono(&mut self, x: &mut [f32]) {
        sanitize_block(x, RECURSIVE_INPUT_LIMIT);
        {
            let mut rest = &mut *x;
            while !rest.is_empty() {
                let seg = (CONTROL_PERIOD - self.pos).min(rest.len());
                let (head, tail) = rest.split_at_mut(seg);
                self.run(head.iter_mut());
                self.finish_segment(seg);
                rest = tail;
            }
        }
        guard_output(x);
    }

    /// Run one segment with the kernel matching the segment's state.
    fn run<F: Frame>(&mut self, frames: impl Iterator<Item = F>) {
        let np = self.active_pairs();
        let Some(pairs) = self.pairs.get_mut(..np) else { return };
        let feedback = !(self.hot.fb.v.is_all_zero() && self.hot.fb.step.is_all_zero());
        let (hot, tap) = (&mut self.hot, self.tap);
        match (self.moving, feedback, matches!(tap, Tap::Fade { .. })) {
            (true, true, true) => run_segment::<true, true, true, F>(pairs, hot, tap, frames),
            (true, true, false) => run_segment::<true, true, false, F>(pairs, hot, tap, frames),
            (true, false, true) => run_segment::<true, false, true, F>(pairs, hot, tap, frames),
            (true, false, false) => run_segment::<true, false, false, F>(pairs, hot, tap, frames),
            (false, true, true) => run_segment::<false, true, true, F>(pairs, hot, tap, frames),
            (false, true, false) => run_segment::<false, true, false, F>(pairs, hot, tap, frames),
            (false, false, true) => run_segment::<false, false, true, F>(pairs, hot, tap, frames),
            (false, false, false) => run_segment::<false, false, false, F>(pairs, hot, tap, frames),
        }
    }

    fn finish_segment(&mut self, seg: usize) {
        self.pos += seg;
        if self.pos >= CONTROL_PERIOD {
            self.pos = 0;
            self.tick();
        }
    }

    /// Pairs processed in the current segment.
    fn active_pairs(&self) -> usize {
        match self.stage_fade {
            Some(f) => pairs_for(f.from.max(f.to)),
            None => pairs_for(self.stages),
        }
    }

    /// feedback·(4/27)/S²: the limiter's cubic coefficient per unit of feedback.
    fn cubic_factor() -> f32 {
        4.0 / 27.0 / (FEEDBACK_SATURATION * FEEDBACK_SATURATION)
    }

    /// The values the coefficients depend on, at the next control point.
    fn control_params(&self) -> [f32; 4] {
        let sr = self.sample_rate as f64;
        let depth = self.depth.current;
        let (vl, vr) = if depth != 0.0 {
            let (l, r) = self.lfo.stereo_values(self.stereo_cycles.current * 360.0);
            (l as f64, r as f64)
        } else {
            (0.0, 0.0)
        };
        let base = self.freq_log2.current - sr.log2();
        let q = self.q_log2.current.exp2();
        [
            (base + depth * vl) as f32,
            (base + depth * vr) as f32,
            self.spread_log2.current as f32,
            (core::f64::consts::PI / (2.0 * q)) as f32,
        ]
    }

    /// Coefficient targets (g, k) of pairs `from..to` from `last_params`.
    ///
    /// The section's poles p = r·e^{±jθ} (r = e^{−a}, a = π w/q, θ = 2π w, w = f_k/sr) are mapped
    /// to the SVF's analog prototype s² + k g s + g² through the bilinear transform
    /// s = (z − 1)/(z + 1), which realises exactly the H(z) of docs/models.md, "Phaser":
    /// g = |p − 1|/|p + 1|, k = 2(1 − r²)/(|p − 1||p + 1|). With
    /// |p ∓ 1|² = 4r·(sinh²(a/2) + sin²(θ/2)) and 4r·(cosh²(a/2) − sin²(θ/2)), 1 − r² = 2r sinh a:
    /// g = √(N/M), k = 2 sinh(a/2) cosh(a/2)/√(N·M), N = sh² + sn², M = sh² + cs²
    /// (sh = sinh(a/2), sn = sin(π w), cs = cos(π w)). Sums of squares, no cancellation: full relative precision
    /// even for a 20 Hz, q = 100 stage at 192 kHz, where 1 + a1 + a2 would lose every digit.
    fn compute_targets(&mut self, from: usize, to: usize) {
        let [bl, br, sl, half_damping] = self.last_params;
        let lo = (MIN_CENTRE_HZ as f64 / self.sample_rate as f64).log2() as f32;
        let hi = (MAX_CENTRE_FRACTION as f64).log2() as f32;
        let base = f32x4::new([bl, br, bl, br]);
        let (lo, hi, sl) = (f32x4::splat(lo), f32x4::splat(hi), f32x4::splat(sl));
        let one = f32x4::splat(1.0);
        for (i, p) in self.pairs.iter_mut().enumerate().take(to).skip(from) {
            let k = (2 * i) as f32;
            // log2(f_k/sr) = log2(freq_eff/sr) + k·log2(spread), clamped; w = f_k/sr.
            let lf = (base + f32x4::new([k, k, k + 1.0, k + 1.0]) * sl).max_by_gt(lo).min_by_lt(hi);
            let w = exp2_lanes(lf);
            let sh = sinh_lanes(w * f32x4::splat(half_damping));
            let pi = f32x4::splat(core::f32::consts::PI);
            let sn = sin_lanes(w * pi);
            // cos(πw) = sin(π(½ − w)); ½ − w is exact for w ≥ ¼ (Sterbenz), so near Nyquist M
            // does not come from 1 − sn², which would cancel.
            let cs = sin_lanes((f32x4::splat(0.5) - w) * pi);
            let (sh2, sn2) = (sh * sh, sn * sn);
            let n = sh2 + sn2;
            let m = sh2 + cs * cs;
            p.tg = (n / m).sqrt();
            p.tk = ((sh + sh) * (one + sh2).sqrt()) / (n * m).sqrt();
        }
    }

    /// The control tick at the end of every [`CONTROL_PERIOD`] samples: advance smoothers, LFO
    /// and stage fade to the next control point, update coefficient targets and per-sample ramps,
    /// guard the states.
    fn tick(&mut self) {
        for s in [
            &mut self.freq_log2,
            &mut self.spread_log2,
            &mut self.q_log2,
            &mut self.feedback,
            &mut self.depth,
            &mut self.mix,
            &mut self.stereo_cycles,
        ] {
            s.tick();
        }
        self.lfo.advance(CONTROL_PERIOD as u32);

        // Stage count: finish or start a crossfade.
        let active_before = self.active_pairs();
        if let Some(f) = &mut self.stage_fade {
            f.done += 1;
            if f.done >= self.fade_ticks {
                self.stages = f.to;
                self.stage_fade = None;
            }
        }
        if self.stage_fade.is_none() && self.settings.stages != self.stages {
            self.stage_fade = Some(StageFade { from: self.stages, to: self.settings.stages, done: 0 });
            self.hot.fade.snap(0.0);
        }
        let np = self.active_pairs();
        // Pairs joining now start from silence (their old states are stale).
        let joining = active_before.min(np)..np;
        for p in self.pairs.iter_mut().take(np).skip(active_before) {
            p.s1 = f32x4::ZERO;
            p.s2 = f32x4::ZERO;
        }
        match self.stage_fade {
            Some(f) => {
                let x = (f.done + 1) as f64 / self.fade_ticks as f64;
                let g = 0.5 - 0.5 * (core::f64::consts::PI * x).cos();
                self.hot.fade.retarget(g as f32);
                self.tap = Tap::Fade { from: f.from, to: f.to };
            }
            None => self.tap = if self.stages.is_multiple_of(2) { Tap::Even } else { Tap::Odd },
        }

        // Coefficients: recompute only when the values they depend on moved.
        let params = self.control_params();
        let changed = params != self.last_params;
        if self.moving {
            for p in self.pairs.iter_mut().take(np) {
                p.g = p.tg;
                p.k = p.tk;
            }
        }
        if changed {
            self.last_params = params;
            self.compute_targets(0, np);
            self.coefficient_updates += 1;
            let inv = f32x4::splat(1.0 / CONTROL_PERIOD as f32);
            for (i, p) in self.pairs.iter_mut().enumerate().take(np) {
                if joining.contains(&i) {
                    p.g = p.tg;
                    p.k = p.tk;
                }
                p.dg = (p.tg - p.g) * inv;
                p.dk = (p.tk - p.k) * inv;
            }
            self.moving = true;
        } else {
            if !joining.is_empty() {
                self.compute_targets(joining.start, joining.end);
            }
            let was_moving = self.moving;
            for (i, p) in self.pairs.iter_mut().enumerate().take(np) {
                if was_moving || joining.contains(&i) {
                    p.settle();
                }
            }
            self.moving = false;
        }

        // Per-sample gains.
        let fb = self.feedback.current as f32;
        self.hot.fb.retarget(fb);
        self.hot.fb_cubic.retarget(fb * Self::cubic_factor());
        self.hot.dry.retarget(1.0 - self.mix.current as f32);
        self.hot.wet.retarget(self.mix.current as f32);

        self.guard_states(np);
    }

    /// Denormal guard and safety net, once per control tick: flush tiny state values to zero;
    /// reset the chain if a state is non-finite or absurdly large.
    fn guard_states(&mut self, np: usize) {
        let mut ok = true;
        let mut check = |v: &mut f32x4| {
            let mut a = v.to_array();
            for x in a.iter_mut() {
                ok &= x.abs() <= STATE_LIMIT;
                *x = flush(*x);
            }
            *v = f32x4::new(a);
        };
        for p in self.pairs.iter_mut().take(np) {
            check(&mut p.s1);
            check(&mut p.s2);
        }
        check(&mut self.hot.prev_wet);
        if !ok {
            self.guard_resets += 1;
            for p in self.pairs.iter_mut() {
                p.s1 = f32x4::ZERO;
                p.s2 = f32x4::ZERO;
            }
            self.hot.prev_wet = f32x4::ZERO;
        }
    }
}

/// The phaser's small-signal theory in f64, straight from the H(z) of docs/models.md, "Phaser":
/// what the tests below check the rendered output against, and what an editor draws.
pub mod theory {
    /// Stage centres, Hz: freq·spread^k clamped to [20 Hz, 0.49·sr].
    pub fn centres(stages: usize, freq: f64, spread: f64, sr: f64) -> Vec<f64> {
        (0..stages).map(|k| (freq * spread.powi(k as i32)).clamp(20.0, 0.49 * sr)).collect()
    }

    /// (a1, a2) of a stage.
    pub fn coeffs(f: f64, q: f64, sr: f64) -> (f64, f64) {
        let r = (-core::f64::consts::PI * f / (q * sr)).exp();
        (-2.0 * r * (core::f64::consts::TAU * f / sr).cos(), r * r)
    }

    /// Unwrapped phase of the chain at ω (rad/sample). Each stage is
    /// H = e^{−2jω}·conj(D)/D with D(e^{jω}) = (1 − p e^{−jω})(1 − p̄ e^{−jω}); both factors have a
    /// positive real part (|p| < 1), so their arguments need no unwrapping.
    pub fn chain_phase(cs: &[f64], q: f64, sr: f64, w: f64) -> f64 {
        cs.iter()
            .map(|&f| {
                let r = (-core::f64::consts::PI * f / (q * sr)).exp();
                let th = core::f64::consts::TAU * f / sr;
                let arg = |ang: f64| {
                    // 1 − r·e^{j(ang − ω)}
                    let (re, im) = (1.0 - r * (ang - w).cos(), -r * (ang - w).sin());
                    im.atan2(re)
                };
                -2.0 * w - 2.0 * (arg(th) + arg(-th))
            })
            .sum()
    }

    /// Complex response of the chain at ω.
    pub fn chain_response(cs: &[f64], q: f64, sr: f64, w: f64) -> (f64, f64) {
        let mut h = (1.0, 0.0);
        for &f in cs {
            let (a1, a2) = coeffs(f, q, sr);
            let z1 = ((-w).cos(), (-w).sin());
            let z2 = ((-2.0 * w).cos(), (-2.0 * w).sin());
            let num = (a2 + a1 * z1.0 + z2.0, a1 * z1.1 + z2.1);
            let den = (1.0 + a1 * z1.0 + a2 * z2.0, a1 * z1.1 + a2 * z2.1);
            let d2 = den.0 * den.0 + den.1 * den.1;
            let ratio = ((num.0 * den.0 + num.1 * den.1) / d2, (num.1 * den.0 - num.0 * den.1) / d2);
            h = (h.0 * ratio.0 - h.1 * ratio.1, h.0 * ratio.1 + h.1 * ratio.0);
        }
        h
    }

    /// The notches of ½(1 + H): where the (monotonically falling) chain phase is −(2m+1)π.
    pub fn theory_notches(cs: &[f64], q: f64, sr: f64) -> Vec<f64> {
        (0..cs.len())
            .map(|m| {
                let target = -((2 * m + 1) as f64) * core::f64::consts::PI;
                let (mut lo, mut hi) = (0.0, core::f64::consts::PI);
                for _ in 0..80 {
                    let mid = 0.5 * (lo + hi);
                    if chain_phase(cs, q, sr, mid) > target {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                0.5 * (lo + hi) * sr / core::f64::consts::TAU
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::theory::{centres, chain_response, theory_notches};
    use super::*;
    use realfft::RealFftPlanner;

    const SR: f32 = 48_000.0;

    fn settings(stages: usize, freq_hz: f32, spread: f32, q: f32) -> PhaserSettings {
        PhaserSettings {
            stages,
            freq_hz,
            spread,
            q,
            feedback: 0.0,
            lfo_rate_hz: 0.0,
            lfo_depth_octaves: 0.0,
            lfo_shape: LfoShape::Sine,
            stereo_phase_deg: 0.0,
            mix: 0.5,
        }
    }

    fn phaser(sr: f32, s: &PhaserSettings) -> Phaser {
        let mut p = Phaser::new(sr);
        p.set_settings(s);
        p.reset();
        p
    }

    /// Process `x` (mono) in blocks of `block`.
    fn render_mono(p: &mut Phaser, x: &[f32], block: usize) -> Vec<f32> {
        let mut y = x.to_vec();
        for b in y.chunks_mut(block) {
            p.process_mono(b);
        }
        y
    }

    fn render_stereo(p: &mut Phaser, l: &[f32], r: &[f32], block: usize) -> (Vec<f32>, Vec<f32>) {
        let (mut yl, mut yr) = (l.to_vec(), r.to_vec());
        for (bl, br) in yl.chunks_mut(block).zip(yr.chunks_mut(block)) {
            p.process_stereo(bl, br);
        }
        (yl, yr)
    }

    /// Full-scale white noise, uniform in [−1, 1).
    fn noise(seed: u32, len: usize) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9) | 1;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s as f64 / 2_147_483_648.0 - 1.0) as f32
            })
            .collect()
    }

    /// Upper bound of the chain's group delay, samples: a conjugate pole pair at radius r delays
    /// by at most 2(1 + r)/(1 − r).
    fn group_delay_bound(cs: &[f64], q: f64, sr: f64) -> f64 {
        cs.iter()
            .map(|&f| {
                let r = (-core::f64::consts::PI * f / (q * sr)).exp();
                2.0 * (1.0 + r) / (1.0 - r)
            })
            .sum()
    }

    /// |FFT|² of `h` zero-padded to `n`, and the bin spacing in Hz.
    fn power_spectrum(h: &[f32], n: usize, sr: f64) -> (Vec<f64>, f64) {
        let mut planner = RealFftPlanner::<f64>::new();
        let fft = planner.plan_fft_forward(n);
        let mut input = vec![0.0f64; n];
        for (i, &v) in input.iter_mut().zip(h) {
            *i = v as f64;
        }
        let mut spec = fft.make_output_vec();
        fft.process(&mut input, &mut spec).unwrap();
        (spec.iter().map(|c| c.norm_sqr()).collect(), sr / n as f64)
    }

    /// Measured notch frequencies of an impulse response: local minima of |H|² below 0.05,
    /// refined by a parabola through the three bins around each (|H|² ≈ (φ − π)²/4 is quadratic
    /// near a notch).
    fn measured_notches(p2: &[f64], bin_hz: f64) -> Vec<f64> {
        let mut out = Vec::new();
        for k in 1..p2.len() - 1 {
            let (a, b, c) = (p2[k - 1], p2[k], p2[k + 1]);
            if b < 0.05 && b <= a && b < c {
                let den = a - 2.0 * b + c;
                let d = if den > 0.0 { 0.5 * (a - c) / den } else { 0.0 };
                out.push((k as f64 + d.clamp(-1.0, 1.0)) * bin_hz);
            }
        }
        out
    }

    fn nearest(list: &[f64], f: f64) -> Option<(f64, usize)> {
        list.iter().enumerate().map(|(i, &g)| (g, i)).min_by(|a, b| (a.0 - f).abs().total_cmp(&(b.0 - f).abs()))
    }

    /// Render the mono impulse response of a static configuration.
    fn impulse_response(sr: f32, s: &PhaserSettings, len: usize, amplitude: f32) -> Vec<f32> {
        let mut p = phaser(sr, s);
        let mut x = vec![0.0f32; len];
        x[0] = amplitude;
        render_mono(&mut p, &x, 4096)
    }

    /// Impulse-response length and FFT size for a configuration: the response must have decayed
    /// (group delay plus 40 time constants of the slowest pole) and the FFT must resolve the
    /// phase to ≤ 0.5 rad per bin so the parabola fits the notch.
    fn lengths(cs: &[f64], q: f64, sr: f64) -> (usize, usize) {
        let gd = group_delay_bound(cs, q, sr);
        let slowest =
            cs.iter().map(|&f| 1.0 / (1.0 - (-core::f64::consts::PI * f / (q * sr)).exp())).fold(0.0, f64::max);
        let len = ((gd + 40.0 * slowest) as usize).next_power_of_two().clamp(8192, 1 << 19);
        let fft = ((core::f64::consts::TAU * gd / 0.5) as usize).next_power_of_two().max(len).min(1 << 21);
        (len, fft)
    }

    // ---- 1. Static notches ----

    fn check_notches(sr: f32, stages: usize, freq: f32, spread: f32, q: f32) -> usize {
        let srd = sr as f64;
        let cs = centres(stages, freq as f64, spread as f64, srd);
        let theory = theory_notches(&cs, q as f64, srd);
        let (len, n) = lengths(&cs, q as f64, srd);
        let h = impulse_response(sr, &settings(stages, freq, spread, q), len, 1.0);
        assert!(h[len - 64..].iter().all(|v| v.abs() < 1e-5), "impulse response not decayed: len {len}");
        let (p2, bin) = power_spectrum(&h, n, srd);
        let measured = measured_notches(&p2, bin);
        let (lo, hi) = (30.0, 0.45 * srd);
        let in_band = |f: f64| f >= lo && f <= hi;
        let tag = format!("sr {sr} stages {stages} freq {freq} spread {spread} q {q}");
        let mut checked = 0;
        // Every theoretical notch has a measured one within 1 % (and within a quarter of the
        // distance to its neighbours, so dense notch combs cannot match the wrong one)...
        for (i, &f) in theory.iter().enumerate() {
            if !in_band(f) {
                continue;
            }
            let spacing = [i.checked_sub(1).map(|j| theory[j]), theory.get(i + 1).copied()]
                .into_iter()
                .flatten()
                .map(|g| (g - f).abs())
                .fold(f64::INFINITY, f64::min);
            let tol = (0.01 * f).min(0.25 * spacing);
            let (g, _) = nearest(&measured, f).unwrap_or((f64::NAN, 0));
            assert!((g - f).abs() <= tol, "{tag}: notch {i} theory {f:.3} Hz measured {g:.3} Hz (tol {tol:.3})");
            checked += 1;
        }
        // ...and every measured notch in the band is one of them.
        for &g in measured.iter().filter(|&&g| in_band(g * 1.02) && in_band(g / 1.02)) {
            let (f, _) = nearest(&theory, g).unwrap_or((f64::NAN, 0));
            assert!((g - f).abs() <= 0.01 * f, "{tag}: spurious measured notch at {g:.3} Hz (nearest theory {f:.3})");
        }
        checked
    }

    #[test]
    fn static_notches_of_the_rendered_output_match_the_transfer_function_within_one_percent() {
        let mut total = 0;
        for stages in [1, 4, 12, 48] {
            for spread in [1.0, 1.1, 1.5] {
                for q in [0.5, 2.0, 10.0] {
                    total += check_notches(SR, stages, 400.0, spread, q);
                }
            }
        }
        // Other sample rates, and a low-frequency start where f32 coefficient precision matters.
        for sr in [22_050.0, 192_000.0] {
            total += check_notches(sr, 4, 300.0, 1.5, 2.0);
            total += check_notches(sr, 12, 1000.0, 1.1, 10.0);
        }
        total += check_notches(SR, 6, 60.0, 1.4, 4.0);
        assert!(total > 300, "checked {total} notches");
    }

    // ---- 2. Wet only: allpass ----

    #[test]
    fn wet_only_output_has_unit_magnitude_at_every_frequency() {
        for (stages, q, spread) in [(1, 0.5, 1.1), (8, 10.0, 1.1), (48, 2.0, 1.1), (48, 10.0, 1.0), (6, 100.0, 1.3)] {
            let s = PhaserSettings { mix: 1.0, ..settings(stages, 500.0, spread, q) };
            let cs = centres(stages, 500.0, spread as f64, SR as f64);
            let (len, _) = lengths(&cs, q as f64, SR as f64);
            let h = impulse_response(SR, &s, len, 1.0);
            let (p2, bin) = power_spectrum(&h, len, SR as f64);
            let mut worst = 0.0f64;
            for (k, &v) in p2.iter().enumerate() {
                let f = k as f64 * bin;
                if f > 10.0 && f < 0.49 * SR as f64 {
                    worst = worst.max((v.sqrt() - 1.0).abs());
                }
            }
            // f32 rounding of the coefficients and in the recursion leaves a few 10⁻⁷ per stage
            // (the increment form keeps numerator and denominator matched; see `Derived`):
            // 2·10⁻⁵ (0.0002 dB) for up to 48 stages.
            assert!(worst < 2e-5, "stages {stages} q {q}: max ||H| − 1| = {worst:e}");
        }
    }

    #[test]
    fn small_signal_feedback_response_is_h_over_one_minus_feedback_delayed_h() {
        let sr = SR as f64;
        for fb in [0.7f32, -0.7] {
            let (stages, freq, spread, q) = (4, 500.0f32, 1.3f32, 2.0f32);
            let s = PhaserSettings { mix: 1.0, feedback: fb, ..settings(stages, freq, spread, q) };
            let amp = 1e-3f32;
            let len = 1 << 16;
            let h = impulse_response(SR, &s, len, amp);
            let cs = centres(stages, freq as f64, spread as f64, sr);
            let mut worst = 0.0f64;
            for i in 1..200 {
                let f = 20.0 * (1000.0f64).powf(i as f64 / 200.0);
                let w = core::f64::consts::TAU * f / sr;
                let (hr, hi) = chain_response(&cs, q as f64, sr, w);
                // W/X = H / (1 − fb·e^{−jω}·H)
                let (zr, zi) = (w.cos(), -w.sin());
                let (lr, li) = (fb as f64 * (zr * hr - zi * hi), fb as f64 * (zr * hi + zi * hr));
                let (dr, di) = (1.0 - lr, -li);
                let d2 = dr * dr + di * di;
                let (er, ei) = ((hr * dr + hi * di) / d2, (hi * dr - hr * di) / d2);
                let (mut mr, mut mi) = (0.0, 0.0);
                for (n, &v) in h.iter().enumerate() {
                    let ph = w * n as f64;
                    mr += v as f64 * ph.cos();
                    mi -= v as f64 * ph.sin();
                }
                let (mr, mi) = (mr / amp as f64, mi / amp as f64);
                worst = worst.max(((mr - er).powi(2) + (mi - ei).powi(2)).sqrt() / (er * er + ei * ei).sqrt());
            }
            assert!(worst < 1e-3, "feedback {fb}: relative error {worst:e}");
        }
    }

    #[test]
    fn mix_zero_passes_the_input_unchanged() {
        let s = PhaserSettings {
            mix: 0.0,
            feedback: 0.8,
            lfo_depth_octaves: 2.0,
            lfo_rate_hz: 3.0,
            ..settings(12, 700.0, 1.2, 5.0)
        };
        let x = crate::analysis::music_like(3, 20_000, SR as f64);
        let mut p = phaser(SR, &s);
        assert_eq!(render_mono(&mut p, &x, 100), x);
    }

    #[test]
    fn mono_equals_a_stereo_channel_fed_the_same_signal() {
        let s =
            PhaserSettings { feedback: 0.6, lfo_depth_octaves: 1.5, lfo_rate_hz: 2.0, ..settings(9, 700.0, 1.2, 5.0) };
        let x = crate::analysis::music_like(4, 20_000, SR as f64);
        let mono = render_mono(&mut phaser(SR, &s), &x, 256);
        let (l, r) = render_stereo(&mut phaser(SR, &s), &x, &x, 256);
        assert_eq!(mono, l);
        assert_eq!(l, r);
    }

    // ---- 3. LFO ----

    /// Times (s) of the nulls of a tone's envelope: I/Q demodulation with an 8 ms Hann window
    /// every 0.25 ms, local minima below `threshold`, refined by a parabola. Also returns the
    /// envelope minimum.
    fn tone_nulls(y: &[f32], f0: f64, sr: f64, threshold: f64) -> (Vec<f64>, f64) {
        let win = (0.008 * sr) as usize;
        let hop = (0.00025 * sr) as usize;
        let w: Vec<f64> =
            (0..win).map(|i| 0.5 - 0.5 * (core::f64::consts::TAU * i as f64 / win as f64).cos()).collect();
        let wsum: f64 = w.iter().sum();
        let env: Vec<f64> = (0..(y.len() - win) / hop)
            .map(|j| {
                let (mut re, mut im) = (0.0, 0.0);
                for (i, &wi) in w.iter().enumerate() {
                    let n = j * hop + i;
                    let ph = core::f64::consts::TAU * f0 * n as f64 / sr;
                    re += wi * y[n] as f64 * ph.cos();
                    im += wi * y[n] as f64 * ph.sin();
                }
                2.0 * (re * re + im * im).sqrt() / wsum
            })
            .collect();
        let mut nulls = Vec::new();
        for j in 1..env.len() - 1 {
            let (a, b, c) = (env[j - 1], env[j], env[j + 1]);
            if b < threshold && b <= a && b < c {
                let den = a - 2.0 * b + c;
                let d = if den > 0.0 { (0.5 * (a - c) / den).clamp(-1.0, 1.0) } else { 0.0 };
                // Window centre.
                nulls.push(((j as f64 + d) * hop as f64 + 0.5 * win as f64) / sr);
            }
        }
        (nulls, env.iter().copied().fold(f64::INFINITY, f64::min))
    }

    /// Single-stage notch frequency for centre `f`.
    fn notch_of(f: f64, q: f64, sr: f64) -> f64 {
        theory_notches(&[f], q, sr)[0]
    }

    /// Distance between phases (cycles), modulo 1.
    fn phase_dist(a: f64, b: f64) -> f64 {
        let d = crate::lfo::wrap01(a - b);
        d.min(1.0 - d)
    }

    /// Check that every null is where the LFO value crosses `level` (phases given), and that
    /// there are as many as expected.
    fn check_crossings(nulls: &[f64], phase_at: impl Fn(f64) -> f64, expected: &[f64], t0: f64, t1: f64, tag: &str) {
        let mut count = 0;
        for &t in nulls.iter().filter(|&&t| t > t0 && t < t1) {
            let ph = phase_at(t);
            let err = expected.iter().map(|&e| phase_dist(ph, e)).fold(f64::INFINITY, f64::min);
            assert!(err < 0.01, "{tag}: null at {t:.4} s is at LFO phase {ph:.4}, expected one of {expected:?}");
            count += 1;
        }
        // Crossings expected in (t0, t1), counted from the phase path.
        let mut want = 0;
        let steps = ((t1 - t0) * 10_000.0) as usize;
        for i in 0..steps {
            let (a, b) = (phase_at(t0 + i as f64 / 10_000.0), phase_at(t0 + (i + 1) as f64 / 10_000.0));
            for &e in expected {
                let (da, db) = (crate::lfo::wrap01(a - e), crate::lfo::wrap01(b - e));
                if db < da {
                    want += 1; // wrapped past e
                }
            }
        }
        assert_eq!(count, want, "{tag}: {count} nulls, {want} crossings expected");
    }

    #[test]
    fn lfo_sweeps_the_notch_at_the_configured_rate_and_depth_with_the_stereo_offset() {
        let (sr, f, q, depth, rate, offset_deg) = (SR as f64, 1000.0, 4.0, 1.0, 1.25, 90.0);
        let s = PhaserSettings {
            lfo_rate_hz: rate as f32,
            lfo_depth_octaves: depth as f32,
            stereo_phase_deg: offset_deg as f32,
            ..settings(1, f as f32, 1.0, q as f32)
        };
        let len = (3.2 * sr) as usize;
        let level = 0.5f64;
        // The tone sits where the notch is when the LFO is at `level`: nulls at sin(2πφ) = ½,
        // i.e. φ = 1/12 and 5/12.
        let tone = |lvl: f64| notch_of(f * (depth * lvl).exp2(), q, sr);
        let f0 = tone(level);
        let x: Vec<f32> = (0..len).map(|n| (core::f64::consts::TAU * f0 * n as f64 / sr).sin() as f32).collect();
        let (l, r) = render_stereo(&mut phaser(SR, &s), &x, &x, 256);
        let expected = [1.0 / 12.0, 5.0 / 12.0];
        let (nl, _) = tone_nulls(&l, f0, sr, 0.3);
        check_crossings(&nl, |t| rate * t, &expected, 0.05, 3.1, "left");
        let (nr, _) = tone_nulls(&r, f0, sr, 0.3);
        check_crossings(&nr, |t| rate * t + offset_deg / 360.0, &expected, 0.05, 3.1, "right");

        // Depth: a tone inside the sweep (LFO at ±0.9) is nulled twice per cycle; one just
        // outside (±1.1) never is, and its deepest dip is the static response with the notch at
        // the end of the sweep, freq·2^±depth (where the LFO dwells).
        for sign in [1.0, -1.0] {
            let inside = tone(0.9 * sign);
            let x: Vec<f32> =
                (0..len).map(|n| (core::f64::consts::TAU * inside * n as f64 / sr).sin() as f32).collect();
            let y = render_mono(&mut phaser(SR, &s), &x, 256);
            let (nulls, _) = tone_nulls(&y, inside, sr, 0.3);
            let a = (0.9f64).asin() / core::f64::consts::TAU;
            let expected = if sign > 0.0 { [a, 0.5 - a] } else { [0.5 + a, 1.0 - a] };
            check_crossings(&nulls, |t| rate * t, &expected, 0.05, 3.1, "inside the sweep");

            let outside = tone(1.1 * sign);
            let x: Vec<f32> =
                (0..len).map(|n| (core::f64::consts::TAU * outside * n as f64 / sr).sin() as f32).collect();
            let y = render_mono(&mut phaser(SR, &s), &x, 256);
            let (nulls, min_env) = tone_nulls(&y, outside, sr, 0.3);
            let cs = [f * (depth * sign).exp2()];
            let (hr, hi) = chain_response(&cs, q, sr, core::f64::consts::TAU * outside / sr);
            let closest = 0.5 * ((1.0 + hr).powi(2) + hi * hi).sqrt();
            assert!(closest > 0.35, "test tone too close to the sweep end: {closest}");
            assert!(nulls.is_empty(), "a tone outside the sweep is nulled at {nulls:?}");
            assert!(
                (min_env - closest).abs() < 0.02,
                "deepest dip {min_env:.4}, static response at the sweep end {closest:.4}"
            );
        }
    }

    #[test]
    fn sync_lfo_phase_makes_the_sweep_follow_the_transport() {
        let (sr, f, q, depth, rate) = (SR as f64, 1000.0, 4.0, 1.0, 1.0);
        let s = PhaserSettings {
            lfo_rate_hz: rate as f32,
            lfo_depth_octaves: depth as f32,
            ..settings(1, f as f32, 1.0, q as f32)
        };
        let len = (4.0 * sr) as usize;
        let f0 = notch_of(f * (depth * 0.5f64).exp2(), q, sr);
        let x: Vec<f32> = (0..len).map(|n| (core::f64::consts::TAU * f0 * n as f64 / sr).sin() as f32).collect();
        let expected = [1.0 / 12.0, 5.0 / 12.0];
        // A transport 0.3 cycle ahead (a relocation: snaps) and 3 % faster than the LFO's own rate
        // (small errors every block: corrected smoothly).
        let transport = |t: f64| 0.3 + 1.03 * rate * t;
        let mut p = phaser(SR, &s);
        let mut y = x.clone();
        for (i, b) in y.chunks_mut(256).enumerate() {
            p.sync_lfo_phase(transport((i * 256) as f64 / sr));
            p.process_mono(b);
        }
        let (nulls, _) = tone_nulls(&y, f0, sr, 0.3);
        check_crossings(&nulls, transport, &expected, 0.3, 3.9, "synced");
        // Free-running, the same phaser drifts away from the transport (so the check above can fail).
        let free = render_mono(&mut phaser(SR, &s), &x, 256);
        let (nulls, _) = tone_nulls(&free, f0, sr, 0.3);
        let worst = nulls
            .iter()
            .filter(|&&t| t > 0.3)
            .map(|&t| expected.iter().map(|&e| phase_dist(transport(t), e)).fold(f64::INFINITY, f64::min))
            .fold(0.0, f64::max);
        assert!(worst > 0.05, "free-running LFO unexpectedly follows the transport");
    }

    #[test]
    fn lfo_values_report_the_sweep_position_the_coefficients_use() {
        // Sine LFO at 1 Hz, right channel a quarter cycle ahead.
        let s = PhaserSettings {
            lfo_rate_hz: 1.0,
            lfo_depth_octaves: 2.0,
            stereo_phase_deg: 90.0,
            ..settings(4, 1000.0, 1.2, 3.0)
        };
        let mut p = phaser(SR, &s);
        let x = vec![0.0f32; 4800];
        render_stereo(&mut p, &x, &x, 256);
        // 4800 samples are 150 control periods: the coefficients now glide to the point 32
        // samples on, computed from these values.
        let phase = (4800 + CONTROL_PERIOD) as f64 / SR as f64;
        let [l, r] = p.lfo_values();
        let (el, er) = ((core::f64::consts::TAU * phase).sin(), (core::f64::consts::TAU * (phase + 0.25)).sin());
        assert!((l as f64 - el).abs() < 1e-6, "left {l} vs {el}");
        assert!((r as f64 - er).abs() < 1e-6, "right {r} vs {er}");
        // The same position as the coefficients' own: log2(f/sr) = log2(freq/sr) + depth·value.
        let base = (1000.0f64 / SR as f64).log2();
        assert!((p.last_params[0] as f64 - (base + 2.0 * l as f64)).abs() < 1e-5);
        assert!((p.last_params[1] as f64 - (base + 2.0 * r as f64)).abs() < 1e-5);
    }

    #[test]
    fn coefficients_are_recomputed_only_while_something_moves() {
        let s = settings(12, 700.0, 1.2, 5.0);
        let x = noise(1, 48_000);
        let mut p = phaser(SR, &s);
        let before = p.coefficient_updates;
        render_mono(&mut p, &x, 256);
        assert_eq!(p.coefficient_updates, before, "static settings");
        // LFO at rate > 0 but depth 0: still static.
        p.set_settings(&PhaserSettings { lfo_rate_hz: 5.0, ..s });
        render_mono(&mut p, &x, 256);
        assert_eq!(p.coefficient_updates, before, "depth 0");
        // A parameter change: recomputed for the smoothing time only.
        p.set_settings(&PhaserSettings { lfo_rate_hz: 5.0, freq_hz: 900.0, ..s });
        render_mono(&mut p, &x, 256);
        let n = p.coefficient_updates - before;
        assert_eq!(n, p.smoothing_ticks as u64, "freq ramp");
        // Sweeping: once per control period.
        p.set_settings(&PhaserSettings { lfo_rate_hz: 5.0, freq_hz: 900.0, lfo_depth_octaves: 1.0, ..s });
        let start = p.coefficient_updates;
        render_mono(&mut p, &x, 256);
        assert_eq!(p.coefficient_updates - start, (x.len() / CONTROL_PERIOD) as u64);
    }

    #[test]
    fn a_parameter_jump_is_ramped_over_the_smoothing_time() {
        let s = settings(2, 300.0, 1.0, 5.0);
        let mut p = phaser(SR, &s);
        let g_start = p.pairs[0].g.to_array()[0];
        p.set_settings(&PhaserSettings { freq_hz: 3000.0, ..s });
        let mut trace = Vec::new();
        let mut buf = [0.0f32; 1];
        for _ in 0..(0.03 * SR) as usize {
            p.process_mono(&mut buf);
            trace.push(p.pairs[0].g.to_array()[0]);
        }
        let g_end = *trace.last().unwrap();
        let (g_target, _) = exact_gk(3000.0, 5.0, SR as f64);
        assert!((g_end as f64 / g_target - 1.0).abs() < 1e-5, "reaches the new coefficient: {g_end} vs {g_target}");
        assert!(trace.windows(2).all(|w| w[1] >= w[0]), "moves monotonically");
        // The ramp is linear in log2 freq and g grows roughly exponentially with it, so its
        // steepest step is about ln(g_end/g_start)·g_end per ramp length: no jump.
        let steps = (SMOOTHING_S * SR as f64) as f32;
        let max_step = trace.windows(2).map(|w| w[1] - w[0]).fold(0.0f32, f32::max);
        let bound = 1.5 * (g_end / g_start).ln() * g_end / steps;
        assert!(max_step < bound, "max step {max_step}, bound {bound}");
        // Not there before ~20 ms.
        let at_15ms = trace[(0.015 * SR) as usize];
        assert!(at_15ms < 0.9 * g_end, "{at_15ms} already near {g_end}");
    }

    // ---- 4. Boundedness ----

    /// Bound on |out| for full-scale noise. The chain's input is the input (±1) plus the limited
    /// feedback (±0.99·S = ±1.98), so within ±2.98 and at most ~2.6 rms. A static allpass keeps
    /// that power, and under modulation the SVF sections' state norm cannot grow (the homogeneous
    /// update is a contraction), so the output stays within a small multiple of it: the worst
    /// peak over the grid below is ~11. 16 (+24 dBFS) bounds that with margin and sits 64× below
    /// the last-resort clamp (1024), so the test shows the design, not the clamp, bounds the loop
    /// (for comparison, direct-form sections reached rms 16, peaks ~50, at these settings).
    const NOISE_BOUND: f32 = 16.0;

    #[test]
    fn output_stays_bounded_over_the_parameter_space_at_maximum_lfo_rate() {
        let x = noise(7, 24_000);
        let x2 = noise(8, 24_000);
        let mut worst = 0.0f32;
        for sr in [22_050.0f32, 48_000.0, 192_000.0] {
            for stages in [1, 2, 7, 24, 48] {
                for q in [Q_MIN, Q_MAX] {
                    for feedback in [-FEEDBACK_MAX, FEEDBACK_MAX] {
                        for (freq, spread) in [(20.0, SPREAD_MAX), (20_000.0, SPREAD_MIN), (1000.0, 1.0)] {
                            if sr != SR && stages != 48 && stages != 1 {
                                continue;
                            }
                            let s = PhaserSettings {
                                stages,
                                freq_hz: freq,
                                spread,
                                q,
                                feedback,
                                lfo_rate_hz: crate::lfo::MAX_LFO_RATE_HZ,
                                lfo_depth_octaves: MAX_DEPTH_OCTAVES,
                                lfo_shape: LfoShape::Saw,
                                stereo_phase_deg: 90.0,
                                mix: 1.0,
                            };
                            let mut p = phaser(sr, &s);
                            let (l, r) = render_stereo(&mut p, &x, &x2, 512);
                            let peak = l.iter().chain(&r).fold(0.0f32, |m, v| m.max(v.abs()));
                            assert!(peak.is_finite() && peak <= NOISE_BOUND, "{s:?} sr {sr}: peak {peak}");
                            assert_eq!(p.guard_resets, 0, "{s:?}: the state guard had to step in");
                            worst = worst.max(peak);
                        }
                    }
                }
            }
        }
        assert!(worst > 1.0, "the test should drive the loop hard: worst peak {worst}");
    }

    #[test]
    fn extreme_automation_every_block_stays_bounded() {
        let x = noise(11, 96_000);
        let mut p = Phaser::new(SR);
        let mut seed = 12345u32;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as f32 / u32::MAX as f32
        };
        let mut y = x.clone();
        let shapes = [LfoShape::Sine, LfoShape::Triangle, LfoShape::Square, LfoShape::Saw];
        for b in y.chunks_mut(64) {
            let s = PhaserSettings {
                stages: 1 + (rnd() * 48.0) as usize,
                freq_hz: 20.0 * 1000.0f32.powf(rnd()),
                spread: 0.25 * 16.0f32.powf(rnd()),
                q: 0.5 * 200.0f32.powf(rnd()),
                feedback: 1.98 * rnd() - 0.99,
                lfo_rate_hz: 20.0 * rnd(),
                lfo_depth_octaves: 6.0 * rnd(),
                lfo_shape: shapes[(rnd() * 3.99) as usize],
                stereo_phase_deg: 720.0 * rnd() - 360.0,
                mix: rnd(),
            };
            p.set_settings(&s);
            if rnd() < 0.05 {
                p.sync_lfo_phase(rnd() as f64 * 3.0);
            }
            p.process_mono(b);
        }
        let peak = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(peak.is_finite() && peak <= NOISE_BOUND, "peak {peak}");
        assert_eq!(p.guard_resets, 0);
    }

    #[test]
    fn nan_inf_huge_and_subnormal_input_give_finite_output_and_the_phaser_recovers() {
        let s =
            PhaserSettings { feedback: 0.7, lfo_depth_octaves: 2.0, lfo_rate_hz: 3.0, ..settings(12, 600.0, 1.2, 3.0) };
        let len = 48_000;
        let clean = crate::analysis::music_like(5, len, SR as f64);
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30, -1e30, 1e-40, f32::MAX] {
            let mut x = clean.clone();
            for v in &mut x[4_000..4_400] {
                *v = bad;
            }
            let mut p = phaser(SR, &s);
            let y = render_mono(&mut p, &x, 128);
            assert!(y.iter().all(|v| v.is_finite() && v.abs() <= OUTPUT_LIMIT), "{bad}");
            // Recovered: 0.5 s later the output matches an undisturbed phaser (same LFO state).
            let reference = render_mono(&mut phaser(SR, &s), &clean, 128);
            let tail = 28_000..len;
            let diff: Vec<f32> = y[tail.clone()].iter().zip(&reference[tail.clone()]).map(|(a, b)| a - b).collect();
            let rel = crate::analysis::rms(&diff) / crate::analysis::rms(&reference[tail]);
            assert!(rel < 1e-4, "{bad}: not recovered, relative difference {rel:e}");
        }
    }

    #[test]
    fn a_corrupted_state_is_caught_by_the_guard_and_the_output_stays_finite() {
        let s = PhaserSettings { feedback: 0.5, ..settings(8, 600.0, 1.2, 3.0) };
        let x = crate::analysis::music_like(6, 4_800, SR as f64);
        let mut p = phaser(SR, &s);
        render_mono(&mut p, &x, 64);
        p.pairs[2].s1 = f32x4::splat(f32::NAN);
        let y = render_mono(&mut p, &x, 64);
        assert!(y.iter().all(|v| v.is_finite()));
        assert_eq!(p.guard_resets, 1);
        assert!(crate::analysis::rms(&y[2_000..]) > 0.1, "back to normal output");
    }

    #[test]
    fn silence_after_audio_decays_to_exact_zero_without_subnormal_states() {
        let s =
            PhaserSettings { feedback: 0.7, lfo_depth_octaves: 1.0, lfo_rate_hz: 0.7, ..settings(24, 300.0, 1.1, 4.0) };
        let mut p = phaser(SR, &s);
        let loud = noise(3, 4_800);
        render_mono(&mut p, &loud, 256);
        let mut block = [0.0f32; 256];
        let is_sub = |v: f32| v != 0.0 && v.abs() < f32::MIN_POSITIVE;
        for _ in 0..(20.0 * SR as f64 / 256.0) as usize {
            block.fill(0.0);
            p.process_mono(&mut block);
            assert!(!block.iter().any(|&v| is_sub(v)), "subnormal output");
            for pair in &p.pairs {
                for v in pair.s1.to_array().into_iter().chain(pair.s2.to_array()) {
                    assert!(!is_sub(v), "subnormal state");
                }
            }
        }
        let states_zero = p.pairs.iter().all(|q| q.s1.is_all_zero() && q.s2.is_all_zero());
        assert!(states_zero && block.iter().all(|&v| v == 0.0), "not silent after 20 s");
    }

    // ---- 5. Stage-count changes ----

    fn max_step(y: &[f32]) -> f32 {
        y.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
    }

    /// Render with `stages` switched to the given counts at the given samples (mid-block).
    fn render_with_switches(s: &PhaserSettings, x: &[f32], switches: &[(usize, usize)]) -> Vec<f32> {
        let mut p = phaser(SR, s);
        let mut y = x.to_vec();
        let mut pos = 0;
        for &(at, stages) in switches {
            for b in y[pos..at].chunks_mut(64) {
                p.process_mono(b);
            }
            p.set_settings(&PhaserSettings { stages, ..*s });
            pos = at;
        }
        for b in y[pos..].chunks_mut(64) {
            p.process_mono(b);
        }
        y
    }

    #[test]
    fn changing_the_stage_count_does_not_click() {
        let sr = SR as f64;
        let len = 28_800;
        let tone = |f: f64, n: usize| (0.35 * (core::f64::consts::TAU * f * n as f64 / sr).sin()) as f32;
        let x: Vec<f32> = (0..len).map(|n| tone(150.0, n) + tone(900.0, n)).collect();
        let switches = [(9_613, 12), (19_205, 3)];
        let fade_len = (Phaser::new(SR).fade_ticks as usize * CONTROL_PERIOD) as f32;
        for feedback in [0.0, 0.5] {
            // Wet only, so the output is the crossfade (1 − γ)·a + γ·b of the old and new taps:
            // its step is at most max(|Δa|, |Δb|) + |Δγ|·|b − a|, with the raised cosine's
            // |Δγ| ≤ π/(2·fade length) and |b − a| ≤ |a| + |b|. With feedback the loop also
            // re-settles to the new chain (a bounded transient, not a step), allowed 15 % more.
            let s = PhaserSettings { feedback, mix: 1.0, ..settings(4, 600.0, 1.3, 2.0) };
            let y = render_with_switches(&s, &x, &switches);
            let windows = [4_800..9_600, 14_400..19_200, 24_000..28_800];
            let steady: Vec<f32> = windows.iter().map(|w| max_step(&y[w.clone()])).collect();
            let peak: Vec<f32> =
                windows.iter().map(|w| y[w.clone()].iter().fold(0.0f32, |m, v| m.max(v.abs()))).collect();
            for (i, &(at, _)) in switches.iter().enumerate() {
                let around = max_step(&y[at - 100..at + 2_000]);
                let slack = if feedback == 0.0 { 1.0 } else { 1.15 };
                let bound = slack
                    * (steady[i].max(steady[i + 1])
                        + core::f32::consts::FRAC_PI_2 / fade_len * (peak[i] + peak[i + 1]));
                assert!(
                    around <= bound,
                    "feedback {feedback} switch {i}: max step {around} > bound {bound} (steady {steady:?})"
                );
            }
            // The measure does see a click: an abrupt switch from 4 to 12 stages (at the sample
            // near the switch where the two outputs differ most).
            let a = render_mono(&mut phaser(SR, &s), &x, 64);
            let b = render_mono(&mut phaser(SR, &PhaserSettings { stages: 12, ..s }), &x, 64);
            let at =
                (9_413..9_813).max_by(|&i, &j| (b[i] - a[i - 1]).abs().total_cmp(&(b[j] - a[j - 1]).abs())).unwrap();
            let spliced: Vec<f32> = a[..at].iter().chain(&b[at..]).copied().collect();
            assert!(
                max_step(&spliced[at - 100..at + 100]) > 2.0 * steady[0].max(steady[1]),
                "abrupt switch not detected"
            );
        }
    }

    // ---- 6. Determinism ----

    #[test]
    fn output_is_bit_identical_whatever_the_block_size() {
        let len = 30_000;
        let l = crate::analysis::music_like(8, len, SR as f64);
        let r = crate::analysis::music_like(9, len, SR as f64);
        let fixed = PhaserSettings { feedback: 0.6, ..settings(13, 500.0, 1.25, 5.0) };
        let sweeping = PhaserSettings {
            feedback: -0.7,
            lfo_rate_hz: 3.0,
            lfo_depth_octaves: 2.0,
            lfo_shape: LfoShape::Square,
            stereo_phase_deg: 90.0,
            ..settings(12, 800.0, 1.1, 8.0)
        };
        for s in [fixed, sweeping] {
            let reference = render_stereo(&mut phaser(SR, &s), &l, &r, 1);
            for block in [7, 64, 4096] {
                assert!(render_stereo(&mut phaser(SR, &s), &l, &r, block) == reference, "{s:?} block {block}");
            }
            // Reset restores the initial state exactly.
            let mut p = phaser(SR, &s);
            render_stereo(&mut p, &r, &l, 333);
            p.reset();
            assert!(render_stereo(&mut p, &l, &r, 64) == reference, "after reset");
        }
    }

    // ---- Building blocks ----

    #[test]
    fn exp2_polynomial_is_within_its_documented_relative_error() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = -20.0 * i as f32 / 200_000.0;
            let lanes = exp2_lanes(f32x4::splat(x)).to_array();
            let exact = (x as f64).exp2();
            let scalar = exp2_poly(x);
            assert_eq!(lanes[0], scalar, "lane and scalar versions agree");
            worst = worst.max(((scalar as f64 - exact) / exact).abs());
        }
        assert!(worst <= 2.5e-7, "relative error {worst:e}");
    }

    /// (g, k) of the SVF realising the section with centre `f`, from the well-conditioned
    /// sinh/sin form (see `compute_targets`), in f64.
    fn exact_gk(f: f64, q: f64, sr: f64) -> (f64, f64) {
        let w = f / sr;
        let sh = (core::f64::consts::PI * w / (2.0 * q)).sinh();
        let (sn, cs) = ((core::f64::consts::PI * w).sin(), (core::f64::consts::PI * w).cos());
        let (n, m) = (sh * sh + sn * sn, sh * sh + cs * cs);
        ((n / m).sqrt(), 2.0 * sh * (1.0 + sh * sh).sqrt() / (n * m).sqrt())
    }

    #[test]
    fn control_rate_coefficients_match_the_formula() {
        // Every stage of 48-stage chains, including 20 Hz at q = 100 and 192 kHz (where 1 + a1 + a2
        // is 4·10⁻⁷) and stages clamped at 0.49·sr: the model's f32 (g, k) against f64. The f32
        // log-domain sum log2(f/sr) + k·log2(spread) is good to ~3·10⁻⁶ (a few ulps of numbers below
        // 16), so the tolerance is the change of (g, k) for a 3·10⁻⁶ relative change of the centre,
        // plus 2·10⁻⁶ relative for the polynomials (≤ 2.5·10⁻⁷ each), sqrt and division.
        for (sr, freq, spread, q) in [
            (48_000.0, 30.0, 1.15, 7.0),
            (192_000.0, 20.0, 1.2, 100.0),
            (48_000.0, 20.0, 1.2, 0.5),
            (22_050.0, 500.0, 1.1, 100.0),
        ] {
            let s = settings(48, freq, spread, q);
            let p = phaser(sr, &s);
            let (sr, q) = (sr as f64, q as f64);
            // The clamp uses the same f32 log-domain bounds.
            let cs = centres(48, freq as f64, spread as f64, sr);
            for (i, &f) in cs.iter().enumerate() {
                let pair = &p.pairs[i / 2];
                let lane = 2 * (i % 2);
                let (g, k) = (pair.g.to_array()[lane] as f64, pair.k.to_array()[lane] as f64);
                let (ge, ke) = exact_gk(f, q, sr);
                let (gu, ku) = exact_gk(f * (1.0 + 3e-6), q, sr);
                let (gd, kd) = exact_gk(f * (1.0 - 3e-6), q, sr);
                let tol_g = (gu - ge).abs().max((gd - ge).abs()) + 2e-6 * ge;
                let tol_k = (ku - ke).abs().max((kd - ke).abs()) + 2e-6 * ke;
                assert!((g - ge).abs() <= tol_g, "sr {sr} q {q} stage {i} ({f:.1} Hz): g {g} vs {ge} (tol {tol_g:e})");
                assert!((k - ke).abs() <= tol_k, "sr {sr} q {q} stage {i} ({f:.1} Hz): k {k} vs {ke} (tol {tol_k:e})");
            }
        }
    }

    #[test]
    fn sinh_polynomial_is_within_its_documented_relative_error() {
        let mut worst = 0.0f64;
        for i in 1..=100_000 {
            let x = 1.6 * i as f32 / 100_000.0;
            let v = sinh_lanes(f32x4::splat(x)).to_array()[0] as f64;
            worst = worst.max((v / (x as f64).sinh() - 1.0).abs());
        }
        assert!(worst <= 1.5e-7, "relative error {worst:e}");
    }

    #[test]
    fn the_svf_state_update_never_increases_the_state_norm() {
        // The reason modulation cannot pump energy into a section: with zero input, one step maps
        // (s1, s2) by M = [[1 − 2c1, −2a2s], [2a2s, 1 − 2a3s]] (c1 = 1 − a1s), and MᵀM = I − (4gk/d²)·v vᵀ with
        // v = (1, −g), d = 1 + g(g + k): a contraction for every g, k ≥ 0, in a norm that does not
        // depend on (g, k). Checked here on the derived f32 coefficients over a grid, including
        // per-sample changes of (g, k) between steps.
        let gs = [1e-5f32, 1e-3, 0.05, 0.3, 1.0, 3.0, 30.0];
        let ks = [0.005f32, 0.1, 1.0, 2.0, 4.0];
        let mut state = [0.6f32, -0.8];
        let mut norm = 1.0f32;
        for (i, &g) in gs.iter().cycle().take(200).enumerate() {
            let k = ks[i % ks.len()];
            let c = Derived::from_gk(f32x4::splat(g), f32x4::splat(k));
            let (c1, a2s, a3s) = (c.c1.to_array()[0], c.a2s.to_array()[0], c.a3s.to_array()[0]);
            let (s1, s2) = (state[0], state[1]);
            let t1 = -c1 * s1 - a2s * s2;
            let t2 = a2s * s1 + a3s * (0.0 - s2);
            state = [s1 + (t1 + t1), s2 + (t2 + t2)];
            let n = (state[0] * state[0] + state[1] * state[1]).sqrt();
            assert!(n <= norm * (1.0 + 1e-6), "g {g} k {k}: norm {norm} -> {n}");
            norm = n;
        }
    }

    #[test]
    fn memory_is_small_and_fixed() {
        let p = Phaser::new(SR);
        assert!(p.memory_bytes() < 8_192, "{}", p.memory_bytes());
    }
}
