//! EMS VCS3 diode-ladder filter: the model of Fontana & Civolani (2010), as given in De Pra &
//! Fontana, "Programming Real-Time Sound in Python", Applied Sciences 10(12), 2020, Algorithm 2
//! (docs/models.md, "VCS3 filter", sums up the equations with their checked signs).
//!
//! # Model
//! Four capacitor voltages `vC1..vC4` of a diode ladder driven by a differential input pair;
//! the output amplifier of gain `K + ½` closes the feedback loop:
//!
//! ```text
//! C dvC1/dt = (I0/2)(u1 + u2)        u1 = tanh((vIN − vOUT)/(2VT))
//! C dvC2/dt = (I0/2)(u3 − u2)        u2 = tanh((vC2 − vC1)/(2γ))
//! C dvC3/dt = (I0/2)(u4 − u3)        u3 = tanh((vC3 − vC2)/(2γ))
//! C dvC4/dt = (I0/2)(−u5 − u4)       u4 = tanh((vC4 − vC3)/(2γ))
//! vOUT = (K + ½)·vC4                 u5 = tanh(vC4/(6γ))
//! ```
//! Constants (the paper): I0 = 30 µA, C = 10 nF, VT = 26 mV, γ = η·VT with η = 1.836.
//!
//! # Normalised form and the cutoff convention
//! With `x_i = vC_i/(2γ)`, `a = vIN/(2VT)`, `β = η·(K + ½)` and `ω = I0/(4Cγ)` the equations
//! read `dx1/dt = ω(u1 + u2)`, … with `u1 = tanh(a − β·x4)`, `u2 = tanh(x2 − x1)`, …,
//! `u5 = tanh(x4/3)`, and `vOUT = (K + ½)·2γ·x4`. The plugin's cutoff (docs/models.md, "VCS3
//! filter") is `f0 = I0/(8π·C·γ)`, i.e. exactly `ω = 2π·f0` (the paper's 30 µA give
//! f0 = 2500.5 Hz).
//!
//! The trapezoidal rule at rate `Fs` (Algorithm 2) is, per sample, with histories `σ_i`:
//!
//! ```text
//! x1 = G(u1 + u2) + σ1     x2 = G(u3 − u2) + σ2     x3 = G(u4 − u3) + σ3     x4 = −G(u5 + u4) + σ4
//! after convergence: σ_i ← 2·x_i − σ_i,           G = I0/(4·C·Fs·2γ) = ω/(2Fs)
//! ```
//! Pre-warping `ω → 2·Fs·tan(π·f0/Fs)` (docs/models.md, "VCS3 filter") turns this into
//! `G = tan(π·f0/Fs)`: the only place the cutoff enters. `Fs` is the model rate (host rate ×
//! oversampling). Cutoffs are clamped to [`MIN_CUTOFF_HZ`] … [`MAX_CUTOFF_FRACTION`]·Fs, below the
//! Nyquist pole of the tangent, and [`Vcf`] also to [`MAX_CUTOFF_HOST_FRACTION`] of the *host*
//! rate, so that the resonance (and a self-oscillation, at 0.973·f0) stays inside the band the
//! host rate carries whatever the oversampling factor: at 44.1 kHz and above the knob's whole
//! range (to 20 kHz) is kept; at 22.05 kHz a cutoff above 10.0 kHz acts as 10.0 kHz.
//!
//! # Linearisation (what the tests check against)
//! With `tanh(x) ≈ x` and `p = s/ω`, the loop is `D(p)·x4 = η·(vIN/2γ)` with
//!
//! ```text
//! D(p) = p⁴ + 19/3·p³ + 35/3·p² + 6·p + 1/3 + β,     vOUT/vIN = β/D(p)
//! ```
//! so the DC gain is `β/(1/3 + β)` (0.7336 at K = 0). The four poles are spread (at K = 0:
//! −0.33 ± 0.23j, −2.32, −3.36 in units of ω), so at K = 0 the −3 dB point is 0.334·f0 and
//! the gain at f0 is −17.5 dB; resonance moves the dominant pair towards ±0.97j. The loop
//! oscillates where
//! `D(jw) = 0`: `w² = 6/(19/3) = 18/19` (at 0.9733·f0) and `β = 11.667·w² − w⁴ − 1/3 = 9.822`,
//! i.e. **K ≈ 4.85**. Above it the filter self-oscillates; the level is set by the tanh
//! currents alone (`|dx/dt| ≤ 2ω`), there is no clipper. The trapezoidal rule is the bilinear
//! transform of this, so with the pre-warp the discrete model has the same threshold and
//! oscillates where `tan(π·f/Fs) = 0.9733·tan(π·f0/Fs)`.
//! [`loop_polynomial`], [`linear_gain`], [`oscillation_threshold`] and
//! [`oscillation_frequency_hz`] compute these; the theory tests below and Ferrite VCF's editor
//! (its response plot) both use them.
//! At DC the model is linear at *any* level (all five currents are equal in magnitude at
//! equilibrium, and tanh is injective), so the output normalisation below is exact.
//!
//! # Solver
//! Newton–Raphson on `F(x) = x − G·φ(x, a) − σ = 0` with the analytic Jacobian
//! (`d_i = 1 − u_i²`)
//!
//! ```text
//!     | 1+G·d2   −G·d2          0              G·β·d1         |
//! J = | −G·d2    1+G(d2+d3)     −G·d3          0              |
//!     | 0        −G·d3          1+G(d3+d4)     −G·d4          |
//!     | 0        0              −G·d4          1+G(d4+d5/3)   |
//! ```
//! symmetric tridiagonal plus the feedback corner `J14`. It is solved by fraction-free
//! elimination from the bottom (x4, then x3) down to a 2×2 system in x1, x2, with a single
//! division (see [`Jacobian`]).
//!
//! **Predictor.** The step's unknowns move with the histories and the input:
//! `F(x_prev; σ, a) ≈ −Δσ − G·d1·Δa·e1` with `Δσ = 2(σ − x_prev)`, so each sample starts from
//! `x_prev + J_prev⁻¹(Δσ + G·d1·Δa·e1)`, reusing the factors of the last Jacobian (no tanh).
//! For small signals this is already the solution; Newton then confirms it in one iteration.
//!
//! **Stopping.** Newton converges quadratically (tanh is smooth), so once a step is below
//! [`STEP_TOLERANCE`] (normalised units, 1 = 95.5 mV) the error left is about its square;
//! that step is applied and the iteration stops. Every step (the predictor's too) is scaled
//! so that no tanh argument moves by more than [`MAX_NEWTON_STEP`] (a trust region: with a
//! loop gain `G·β` up to 150, plain Newton jumps between the two saturated sides of a tanh
//! forever); it halves every 6 iterations as a last resort. [`MAX_NEWTON_ITERATIONS`] bounds
//! the work: on the rare sample that hits it the last (finite) iterate is used and the next
//! sample starts from it; a lane whose iterate is not finite goes back to rest.
//!
//! Convergence over the whole parameter grid is measured by `tests/vcf_convergence.rs` (figures
//! in the README, "Ferrite VCF"). Against `f32::tanh` with a 2·10⁻⁶ tolerance the output error
//! is below −109 dB re peak (test `fast_tanh_response_error_is_small`).
//!
//! # Lock-step lanes
//! A step is a chain of dependent operations (predictor, tanh, factorisation with its
//! division, solve, update) that the processor can hardly overlap with anything: its cost is
//! latency. [`Vcf`] therefore solves its channels in lock-step in one 4-lane `f32` vector (the
//! crate's one lane type: SSE on x86-64, NEON or arrays elsewhere), iterating until every channel has converged; a
//! converged lane is frozen, so each channel computes bit for bit what it would alone
//! (tested). A stereo pair costs little more than one channel.
//!
//! # Levels
//! [`INPUT_VOLTS_PER_FULL_SCALE`] maps samples to volts at the input pair; the output is
//! divided by the small-signal DC gain at K = 0, so a DC or low-frequency signal comes out at
//! the level it went in (0 dB) at K = 0, at any level. With exact zero input and state nothing
//! ever moves, so (like the analog circuit, whose noise starts the oscillation) a deterministic
//! noise floor of [`NOISE_FLOOR_DBFS`] is added to the model input, see [`Vcs3Core::set_noise_floor_volts`].
//!
//! # Denormals and bad input
//! Non-finite input is treated as silence, the input is limited to ±[`RAIL_VOLTS`] and the
//! state to the corresponding normalised range (a supply rail: absurd input cannot wind the
//! integrators up so far that they take seconds to come back). Histories go through
//! [`crate::denormal::flush`], so silence (without the noise floor) ends in exact zeros.

use crate::model::{Model, ProcessSpec};
use crate::simd::{f32x4, horner, LaneOps};
use crate::oversampler::{round_trip_latency, Downsampler, Upsampler};
use crate::solver::SolverStats;

/// Bias current I0 that sets the paper's default cutoff, amperes (Fontana & Civolani 2010).
pub const I0_AMPS: f64 = 30e-6;
/// Ladder capacitance C, farads (Fontana & Civolani 2010).
pub const C_FARADS: f64 = 10e-9;
/// Thermal voltage VT, volts (Fontana & Civolani 2010).
pub const VT_VOLTS: f64 = 0.026;
/// Diode ideality factor η (Fontana & Civolani 2010): γ = η·VT.
pub const ETA: f64 = 1.836;
/// γ = η·VT, volts.
pub const GAMMA_VOLTS: f64 = ETA * VT_VOLTS;

/// Largest oversampling factor (log2): 1×, 2×, 4×, 8×.
pub const MAX_OVERSAMPLING_LOG2: usize = 3;

/// Volts at the model input for a full-scale sample at 0 dB drive. 0.1 f32x4 is 1.92·(2VT): a
/// full-scale sine in the passband drives the input pair into its tanh like a hot line signal
/// into the analog filter (measured at K = 0, f0 = 1 kHz: 5.0 % THD at 250 Hz, 1.2 % at
/// 1 kHz), while −20 dBFS is nearly clean (0.11 % and 0.03 %). Small signal: −40 dBFS is
/// 1 mV, 0.02·(2VT), linear to better than 0.01 dB.
pub const INPUT_VOLTS_PER_FULL_SCALE: f32 = 0.1;

/// Small-signal DC gain vOUT/vIN at K = 0: `β/(1/3 + β)` with `β = η/2` (module doc).
pub const DC_GAIN_AT_K0: f64 = (ETA / 2.0) / (1.0 / 3.0 + ETA / 2.0);

/// Output full scale = vOUT / (INPUT_VOLTS_PER_FULL_SCALE · DC gain at K = 0), so K = 0 has a
/// DC (and low-frequency) gain of exactly 0 dB.
pub const OUTPUT_FULL_SCALE_PER_VOLT: f32 = (1.0 / (INPUT_VOLTS_PER_FULL_SCALE as f64 * DC_GAIN_AT_K0)) as f32;

/// Lowest cutoff the model accepts, Hz (the knob's range starts at 20 Hz).
pub const MIN_CUTOFF_HZ: f32 = 5.0;

/// Highest cutoff as a fraction of the model rate: `tan(π·f/Fs)` has its pole at Nyquist; at
/// 0.46·Fs, `G = tan(0.46π) = 7.9`, the Newton solve still converges in a few iterations at
/// every K (tested).
pub const MAX_CUTOFF_FRACTION: f32 = 0.46;

/// Highest cutoff as a fraction of the host rate (applied by [`Vcf`]): the oversampler's passband
/// edge, 0.4535·fs, rounded up so that 20 kHz at 44.1 kHz is not clamped. Above it an oversampled
/// filter would put its resonance, or its self-oscillation, at or beyond the host's Nyquist,
/// where the decimator removes it and only the aliases of its harmonics inside the model would be
/// heard (at 22.05 kHz, 2×, K = 10: cutoff 20 kHz gave an inharmonic −11.7 dBFS tone at 7.6 kHz).
pub const MAX_CUTOFF_HOST_FRACTION: f32 = 0.4536;

/// Largest resonance K.
pub const MAX_RESONANCE: f32 = 10.0;

/// Newton step size below which the iteration stops, in normalised units (1 = 2γ = 95.5 mV).
/// The error left is about its square (quadratic convergence), far below f32 resolution of the
/// output; measured against an f64 solve (test `fast_tanh_response_error_is_small`).
pub const STEP_TOLERANCE: f32 = 1e-3;

/// Trust region of a Newton step: the largest change of any tanh argument, normalised units.
/// Newton on `x + k·tanh(x) = c` with a large loop gain `k` (here `G·β`, up to 150 at 20 kHz,
/// 1×, K = 10) jumps between the two saturated sides of the tanh forever; limiting the argument
/// change breaks that. Measured on the convergence grid (`tests/vcf_convergence.rs`): 2 converges
/// everywhere in at most 8 iterations at 0 dBFS, 1×; 3 already lets two-cycles through.
pub const MAX_NEWTON_STEP: f32 = 2.0;

/// The trust region halves after this many iterations without convergence (last resort).
const TRUST_HALVING_PERIOD: u32 = 6;

/// Hard cap on Newton iterations per sample (the grid's worst case is 8 at 0 dBFS, 13 at
/// +12 dB drive, both at 20 kHz, 1×, K ≥ 6).
pub const MAX_NEWTON_ITERATIONS: u32 = 24;

/// Input limit, volts (a supply rail: the VCS3 ran on ±9 f32x4 rails, nothing passes more).
pub const RAIL_VOLTS: f32 = 9.0;

/// The noise floor added to the model input, dBFS (peak of a uniform white noise).
pub const NOISE_FLOOR_DBFS: f32 = -140.0;

/// `1/(2VT)`: volts at the input pair to normalised units.
const INV_2VT: f32 = (1.0 / (2.0 * VT_VOLTS)) as f32;
/// State limit in normalised units: the rail in units of 2γ.
const STATE_LIMIT: f32 = (RAIL_VOLTS as f64 / (2.0 * GAMMA_VOLTS)) as f32;
/// 1/3: the last stage's `vC4/(6γ)` in units of 2γ.
const THIRD: f32 = 1.0 / 3.0;

/// Fast tanh: `x·P(x²)/Q(x²)` with cubic P and Q (a [7/6] rational, fitted by iteratively
/// reweighted least squares to the minimax error on [0, 7.5], with P(0) = Q(0) = 1 so the
/// slope at 0 is exactly 1 and small signals are exact), argument clamped to ±7.5 and result
/// to ±1. Odd, monotonic (up to f32 rounding of the quotient, ≤ 5·10⁻⁷, near ±1), |result| ≤ 1. Max abs error vs `f64::tanh`: 1.73·10⁻⁶ (f64
/// evaluation; ≤ 2.0·10⁻⁶ in f32, tested). One division.
#[inline(always)]
pub fn fast_tanh(x: f32) -> f32 {
    fast_tanh_lanes(f32x4::splat(x)).to_array()[0]
}

/// Coefficients of [`fast_tanh`]: `P(s) = 1 + P1·s + P2·s² + P3·s³`, `Q(s) = 1 + Q1·s + …`.
const TANH_P: [f32; 3] = [0.122_589_36, 0.002_236_375_1, 3.729_421_3e-6];
/// See [`TANH_P`].
const TANH_Q: [f32; 3] = [0.455_912_14, 0.020_887_797, 1.378_273_7e-4];
/// Argument clamp of [`fast_tanh`] (the fit's range).
const TANH_CLAMP: f32 = 7.5;

/// [`fast_tanh`] lane by lane (the same operations, so the same results).
#[inline(always)]
fn fast_tanh_lanes(x: f32x4) -> f32x4 {
    let x = x.max_by_gt(f32x4::splat(-TANH_CLAMP)).min_by_lt(f32x4::splat(TANH_CLAMP));
    let s = x * x;
    let p = x * horner(s, &[1.0, TANH_P[0], TANH_P[1], TANH_P[2]]);
    let q = horner(s, &[1.0, TANH_Q[0], TANH_Q[1], TANH_Q[2]]);
    (p / q).max_by_gt(f32x4::splat(-1.0)).min_by_lt(f32x4::splat(1.0))
}

/// The tanh the solver uses; a type parameter so the exact one (tests) costs nothing in the
/// fast path.
trait Saturation {
    fn tanh(x: f32x4) -> f32x4;
}

/// [`fast_tanh`].
struct FastTanh;
impl Saturation for FastTanh {
    #[inline(always)]
    fn tanh(x: f32x4) -> f32x4 {
        fast_tanh_lanes(x)
    }
}

/// `f32::tanh` lane by lane (for measuring what the fast one costs in accuracy).
struct ExactTanh;
impl Saturation for ExactTanh {
    #[inline(always)]
    fn tanh(x: f32x4) -> f32x4 {
        let a = x.to_array();
        f32x4::new([a[0].tanh(), a[1].tanh(), a[2].tanh(), a[3].tanh()])
    }
}

/// The Jacobian factored for solving (module doc, "Solver"), lane by lane: fraction-free
/// elimination of x4 and x3 leaves a 2×2 system in x1, x2; everything is scaled so that one
/// reciprocal `w` serves all four unknowns.
#[derive(Clone, Copy, Debug)]
struct Jacobian {
    /// Diagonal `a1..a4`.
    a: [f32x4; 4],
    /// Off-diagonals `b1 = J12 = J21`, `b2 = J23 = J32`, `b3 = J34 = J43`.
    b: [f32x4; 3],
    /// The feedback corner `c = J14`.
    c: f32x4,
    /// `P3 = a3·a4 − b3²` (x4 eliminated from row 3).
    p3: f32x4,
    /// 2×2 system after eliminating x4, x3: `[[m11, m12], [m21, m22]]`.
    m: [f32x4; 4],
    /// Its determinant `D = m11·m22 − m12·m21` (positive: see [`Jacobian::factor`]).
    det: f32x4,
    /// `1/(a4·P3·D)`.
    w: f32x4,
}

impl Jacobian {
    /// The identity (no Jacobian yet: the predictor then only adds the history change).
    fn identity() -> Jacobian {
        let (one, zero) = (f32x4::splat(1.0), f32x4::splat(0.0));
        Jacobian { a: [one; 4], b: [zero; 3], c: zero, p3: one, m: [one, zero, zero, one], det: one, w: one }
    }

    /// Factor J given its entries. `det J = D/P3`, and with `b_i ≤ 0`, `c ≥ 0`, `a_i ≥ 1 + |…|`
    /// both are positive: `P3 ≥ 1` and `D` is the tridiagonal part's (positive) determinant
    /// plus `c·|b1·b2·b3|·P3`. So J is never singular; only overflow in absurd states can make
    /// `w` non-finite, and the caller checks for that.
    #[inline(always)]
    fn factor(a: [f32x4; 4], b: [f32x4; 3], c: f32x4) -> Jacobian {
        let [a1, a2, a3, a4] = a;
        let [b1, b2, b3] = b;
        let p3 = a3 * a4 - b3 * b3;
        let m11 = a1 * p3;
        let m12 = b1 * p3 + c * b2 * b3;
        let m21 = b1 * p3;
        let m22 = a2 * p3 - b2 * b2 * a4;
        let det = m11 * m22 - m12 * m21;
        let w = f32x4::splat(1.0) / (a4 * p3 * det);
        Jacobian { a, b, c, p3, m: [m11, m12, m21, m22], det, w }
    }

    /// Solve `J·δ = r`.
    #[inline(always)]
    fn solve(&self, r: [f32x4; 4]) -> [f32x4; 4] {
        let [_, _, a3, a4] = self.a;
        let [_, b2, b3] = self.b;
        let [m11, m12, m21, m22] = self.m;
        let (c, p3, det, w) = (self.c, self.p3, self.det, self.w);
        // Row 3 without x4: b2·a4·δ2 + P3·δ3 = R3.
        let r3 = r[2] * a4 - b3 * r[3];
        // The 2×2 right-hand side (row 1 without x4 and x3, row 2 without x3).
        let q1 = r[0] * p3 + c * (b3 * r[2] - a3 * r[3]);
        let q2 = r[1] * p3 - b2 * r3;
        // δ1 = n1/D, δ2 = n2/D.
        let n1 = m22 * q1 - m12 * q2;
        let n2 = m11 * q2 - m21 * q1;
        let a4p3 = a4 * p3;
        // δ3 = (R3 − b2·a4·δ2)/P3 = n3/(P3·D).
        let n3 = r3 * det - b2 * a4 * n2;
        // δ4 = (r4 − b3·δ3)/a4 = (r4·P3·D − b3·n3)/(a4·P3·D).
        let n4 = r[3] * p3 * det - b3 * n3;
        [n1 * a4p3 * w, n2 * a4p3 * w, n3 * a4 * w, n4 * w]
    }

    /// Lanes of `new` where `mask` is set, of `self` elsewhere.
    #[inline(always)]
    fn select(&self, mask: f32x4, new: &Jacobian) -> Jacobian {
        let s = |n: f32x4, o: f32x4| f32x4::select(mask, n, o);
        Jacobian {
            a: [s(new.a[0], self.a[0]), s(new.a[1], self.a[1]), s(new.a[2], self.a[2]), s(new.a[3], self.a[3])],
            b: [s(new.b[0], self.b[0]), s(new.b[1], self.b[1]), s(new.b[2], self.b[2])],
            c: s(new.c, self.c),
            p3: s(new.p3, self.p3),
            m: [s(new.m[0], self.m[0]), s(new.m[1], self.m[1]), s(new.m[2], self.m[2]), s(new.m[3], self.m[3])],
            det: s(new.det, self.det),
            w: s(new.w, self.w),
        }
    }
}

/// Scale a Newton step (uniformly per lane, keeping its direction) so that no tanh argument
/// moves by more than `trust`: `β·δ4`, `δ2 − δ1`, `δ3 − δ2`, `δ4 − δ3` (the fifth, `δ4/3`, is
/// covered by the first since β ≥ η/2 > 1/3). Returns the step and its largest component
/// (NaN where the step is not finite, so that the convergence test fails there).
#[inline(always)]
fn limit_step(d: [f32x4; 4], beta: f32x4, trust: f32x4) -> ([f32x4; 4], f32x4) {
    let finite = d[0].finite_mask() & d[1].finite_mask() & d[2].finite_mask() & d[3].finite_mask();
    let moves = (beta * d[3].abs()).max_by_gt((d[1] - d[0]).abs()).max_by_gt((d[2] - d[1]).abs()).max_by_gt((d[3] - d[2]).abs());
    let clip = moves.simd_gt(trust);
    // Usually no lane needs scaling: then skip the division (scaling by 1 is exact, so the
    // result is the same either way).
    let d = if clip.to_bitmask() == 0 {
        d
    } else {
        let scale = f32x4::select(clip, trust / moves, f32x4::splat(1.0));
        [d[0] * scale, d[1] * scale, d[2] * scale, d[3] * scale]
    };
    let big = d[0].abs().max_by_gt(d[1].abs()).max_by_gt(d[2].abs()).max_by_gt(d[3].abs());
    (d, f32x4::select(finite, big, f32x4::splat(f32::NAN)))
}

/// Lanes in the solver's vector: up to four channels solved in lock-step.
const LANES: usize = 4;

/// The solver for up to [`LANES`] channels in lock-step (module doc, "Lock-step lanes"):
/// lane `i` is channel `i`; every lane computes exactly what it would alone.
#[derive(Clone, Debug)]
struct Kernel {
    /// Lanes in use (1..=4); the others run on zero input and stay at rest.
    used: usize,
    /// `G = tan(π·f0/Fs)` per lane.
    g: f32x4,
    /// `β = η·(K + ½)` per lane.
    beta: f32x4,
    /// `(K + ½)·2γ`: volts of output per normalised unit of x4.
    out_gain: f32x4,
    /// Newton stops after a step below this (normalised units).
    tolerance: f32x4,
    /// Peak of the input noise floor, normalised units (0 = off).
    noise_amp: f32x4,
    /// Solution of the last step (normalised capacitor voltages).
    x: [f32x4; 4],
    /// Trapezoidal histories σ.
    sigma: [f32x4; 4],
    /// Factors of the last Jacobian (predictor).
    jac: Jacobian,
    /// `1 − u1²` at the last solution (predictor: how F1 moves with the input).
    d1: f32x4,
    /// Normalised input of the last step (predictor).
    a_prev: f32x4,
    /// xorshift32 state of each lane's noise floor.
    noise_state: [u32; LANES],
    /// Seeds the noise restarts from on reset (so output is reproducible).
    noise_seed: [u32; LANES],
    /// Per-lane solver statistics.
    stats: [SolverStats; LANES],
}

impl Kernel {
    /// A kernel at rest with `used` lanes, G = 0, K = 0, noise off.
    fn new(used: usize) -> Self {
        let zero = f32x4::splat(0.0);
        let mut k = Kernel {
            used: used.clamp(1, LANES),
            g: zero,
            beta: zero,
            out_gain: zero,
            tolerance: f32x4::splat(STEP_TOLERANCE),
            noise_amp: zero,
            x: [zero; 4],
            sigma: [zero; 4],
            jac: Jacobian::identity(),
            d1: f32x4::splat(1.0),
            a_prev: zero,
            noise_state: [1; LANES],
            noise_seed: [1; LANES],
            stats: [SolverStats::default(); LANES],
        };
        k.set_resonance(0.0);
        k
    }

    /// Set K (already validated) for every lane.
    #[inline(always)]
    fn set_resonance(&mut self, k: f32) {
        self.beta = f32x4::splat((ETA as f32) * (k + 0.5));
        self.out_gain = f32x4::splat((k + 0.5) * (2.0 * GAMMA_VOLTS) as f32);
    }

    /// Zero the state of every lane; the noise restarts.
    fn reset(&mut self) {
        let zero = f32x4::splat(0.0);
        self.x = [zero; 4];
        self.sigma = [zero; 4];
        self.jac = Jacobian::identity();
        self.d1 = f32x4::splat(1.0);
        self.a_prev = zero;
        self.noise_state = self.noise_seed;
    }

    /// The next noise floor sample of every lane, normalised units.
    #[inline(always)]
    fn noise(&mut self) -> f32x4 {
        let mut n = [0.0f32; LANES];
        for (v, s) in n.iter_mut().zip(self.noise_state.iter_mut()) {
            let mut x = *s;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *s = x;
            // Uniform in [−1, 1): the top 24 bits as a signed fraction.
            *v = (x >> 8) as f32 * (1.0 / 8_388_608.0) - 1.0;
        }
        f32x4::new(n) * self.noise_amp
    }

    /// Advance every lane by one sample with inputs `volts`; returns vOUT per lane.
    #[inline(always)]
    fn step<S: Saturation>(&mut self, volts: f32x4) -> f32x4 {
        let zero = f32x4::splat(0.0);
        let rail = f32x4::splat(RAIL_VOLTS);
        let v = f32x4::select(volts.finite_mask(), volts, zero).max_by_gt(-rail).min_by_lt(rail);
        let a = v * f32x4::splat(INV_2VT) + self.noise();
        let (g, beta) = (self.g, self.beta);
        let s = self.sigma;
        let xp = self.x;
        let two = f32x4::splat(2.0);

        // Predictor: x_prev + J⁻¹(Δσ + G·d1·Δa·e1), Δσ = 2(σ − x_prev), through the same trust
        // region as the Newton steps (after a jump of the input the last Jacobian, perhaps
        // from deep saturation, can overshoot).
        let r = [
            two * (s[0] - xp[0]) + g * self.d1 * (a - self.a_prev),
            two * (s[1] - xp[1]),
            two * (s[2] - xp[2]),
            two * (s[3] - xp[3]),
        ];
        let (dp, big) = limit_step(self.jac.solve(r), beta, f32x4::splat(MAX_NEWTON_STEP));
        let ok = big.finite_mask();
        let mut x = [
            f32x4::select(ok, xp[0] + dp[0], xp[0]),
            f32x4::select(ok, xp[1] + dp[1], xp[1]),
            f32x4::select(ok, xp[2] + dp[2], xp[2]),
            f32x4::select(ok, xp[3] + dp[3], xp[3]),
        ];

        let used_bits = (1u32 << self.used) - 1;
        let mut active_bits = used_bits;
        let mut converged_bits = 0u32;
        let mut counts = [0u32; LANES];
        let mut jac = self.jac;
        let mut d1 = self.d1;
        let mut trust = f32x4::splat(MAX_NEWTON_STEP);
        let one = f32x4::splat(1.0);
        let third = f32x4::splat(THIRD);
        let mut iteration = 0;
        while iteration < MAX_NEWTON_ITERATIONS {
            // The trust region halves every TRUST_HALVING_PERIOD iterations: a last resort
            // against two-cycles between the saturated sides of a tanh.
            if iteration > 0 && iteration % TRUST_HALVING_PERIOD == 0 {
                trust *= f32x4::splat(0.5);
            }
            iteration += 1;
            for (l, c) in counts.iter_mut().enumerate() {
                *c += (active_bits >> l) & 1;
            }
            let u1 = S::tanh(a - beta * x[3]);
            let u2 = S::tanh(x[1] - x[0]);
            let u3 = S::tanh(x[2] - x[1]);
            let u4 = S::tanh(x[3] - x[2]);
            let u5 = S::tanh(x[3] * third);
            let f = [
                x[0] - g * (u1 + u2) - s[0],
                x[1] - g * (u3 - u2) - s[1],
                x[2] - g * (u4 - u3) - s[2],
                x[3] + g * (u5 + u4) - s[3],
            ];
            let d1_new = one - u1 * u1;
            let gd2 = g * (one - u2 * u2);
            let gd3 = g * (one - u3 * u3);
            let gd4 = g * (one - u4 * u4);
            let gd5 = g * (one - u5 * u5) * third;
            let a_diag = [one + gd2, one + gd2 + gd3, one + gd3 + gd4, one + gd4 + gd5];
            let new = Jacobian::factor(a_diag, [zero - gd2, zero - gd3, zero - gd4], g * beta * d1_new);
            let (delta, big) = limit_step(new.solve(f), beta, trust);
            let x_new = [x[0] - delta[0], x[1] - delta[1], x[2] - delta[2], x[3] - delta[3]];
            if active_bits == used_bits {
                // Every lane in use is still iterating (always so in the first iteration).
                x = x_new;
                jac = new;
                d1 = d1_new;
            } else {
                // Freeze the lanes that have converged, so each lane computes exactly what it
                // would alone.
                let m = f32x4::from_bitmask(active_bits);
                x = [
                    f32x4::select(m, x_new[0], x[0]),
                    f32x4::select(m, x_new[1], x[1]),
                    f32x4::select(m, x_new[2], x[2]),
                    f32x4::select(m, x_new[3], x[3]),
                ];
                jac = jac.select(m, &new);
                d1 = f32x4::select(m, d1_new, d1);
            }
            // Converged: step below tolerance (false for NaN). A NaN step ends the lane too.
            let done = big.simd_le(self.tolerance).to_bitmask() & active_bits;
            let failed = big.is_nan().to_bitmask() & active_bits;
            converged_bits |= done;
            active_bits &= !(done | failed);
            if active_bits == 0 {
                break;
            }
        }

        // Lanes whose iterate is not finite (only from absurd states) go back to rest.
        let finite = x[0].finite_mask().to_bitmask() & x[1].finite_mask().to_bitmask() & x[2].finite_mask().to_bitmask() & x[3].finite_mask().to_bitmask();
        let limit = f32x4::splat(STATE_LIMIT);
        let mut sigma = [zero; 4];
        if finite & used_bits == used_bits {
            for i in 0..4 {
                x[i] = flush_lanes(x[i].max_by_gt(-limit).min_by_lt(limit));
                sigma[i] = flush_history((two * x[i] - s[i]).max_by_gt(-limit).min_by_lt(limit));
            }
        } else {
            let keep = f32x4::from_bitmask(finite);
            let identity = Jacobian::identity();
            jac = identity.select(keep, &jac);
            d1 = f32x4::select(keep, d1, one);
            for i in 0..4 {
                x[i] = f32x4::select(keep, x[i], zero).max_by_gt(-limit).min_by_lt(limit);
                sigma[i] = f32x4::select(keep, flush_history((two * x[i] - s[i]).max_by_gt(-limit).min_by_lt(limit)), zero);
            }
        }
        self.x = x;
        self.sigma = sigma;
        self.jac = jac;
        self.d1 = d1;
        self.a_prev = a;

        for (l, (st, &c)) in self.stats.iter_mut().zip(&counts).enumerate().take(self.used) {
            st.steps += 1;
            st.iterations += c as u64;
            st.max_iterations = st.max_iterations.max(c);
            st.cap_hits += ((converged_bits >> l) & 1 ^ 1) as u64;
        }
        self.out_gain * x[3]
    }
}

/// [`crate::denormal::flush`] lane by lane: magnitudes below `FLUSH_BELOW` (and non-finite
/// values) become exactly zero.
#[inline(always)]
fn flush_lanes(x: f32x4) -> f32x4 {
    let keep = x.abs().simd_ge(f32x4::splat(<f32 as crate::real::Real>::FLUSH_BELOW)) & x.finite_mask();
    f32x4::select(keep, x, f32x4::splat(0.0))
}

/// The histories' flush threshold, normalised units (10⁻²⁰ · 95 mV: −400 dB). Higher than
/// [`crate::real::Real::FLUSH_BELOW`], which flushes the solution: a history whose solution
/// has been flushed to zero would otherwise alternate in sign (`σ ← 2·0 − σ`, the
/// trapezoidal rule's Nyquist mode) forever instead of reaching zero.
const HISTORY_FLUSH_BELOW: f32 = 1e-20;

/// Flush a history lane by lane: below [`HISTORY_FLUSH_BELOW`] (or not finite) → zero.
#[inline(always)]
fn flush_history(x: f32x4) -> f32x4 {
    let keep = x.abs().simd_ge(f32x4::splat(HISTORY_FLUSH_BELOW)) & x.finite_mask();
    f32x4::select(keep, x, f32x4::splat(0.0))
}

/// One channel of the VCS3 filter at the model rate (no oversampling).
#[derive(Clone, Debug)]
pub struct Vcs3Core {
    /// The solver, with one lane in use.
    kernel: Kernel,
    /// Model rate, Hz (host rate × oversampling).
    sample_rate: f32,
    /// Last cutoff given (Hz, before clamping): `G` is recomputed only when it changes.
    cutoff_hz: f32,
    /// Resonance K as given (clamped to 0..=10).
    resonance: f32,
    /// Use `f32::tanh` instead of [`fast_tanh`] (accuracy tests).
    exact_tanh: bool,
}

impl Vcs3Core {
    /// A filter at rest, running at `sample_rate_hz` (the model rate), cutoff
    /// [`DEFAULT_CUTOFF_HZ`], K = 0, noise floor off.
    pub fn new(sample_rate_hz: f32) -> Self {
        let mut core =
            Self { kernel: Kernel::new(1), sample_rate: 44_100.0, cutoff_hz: DEFAULT_CUTOFF_HZ, resonance: 0.0, exact_tanh: false };
        core.set_sample_rate(sample_rate_hz);
        core
    }

    /// Change the model rate (keeps the cutoff in Hz; resets the state).
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        self.sample_rate = sanitize_rate(sample_rate_hz);
        self.kernel.g = f32x4::splat(cutoff_to_g(self.cutoff_hz, self.sample_rate));
        self.reset();
    }

    /// Model rate, Hz.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Set the cutoff f0 in Hz (pre-warped, clamped to [`MIN_CUTOFF_HZ`] …
    /// [`MAX_CUTOFF_FRACTION`]·Fs). Costs a `tan` only when the value changes; NaN is ignored.
    #[inline]
    pub fn set_cutoff_hz(&mut self, cutoff_hz: f32) {
        if cutoff_hz.to_bits() != self.cutoff_hz.to_bits() && !cutoff_hz.is_nan() {
            self.cutoff_hz = cutoff_hz;
            self.kernel.g = f32x4::splat(cutoff_to_g(cutoff_hz, self.sample_rate));
        }
    }

    /// Set the resonance K (clamped to 0 … 10; NaN is ignored).
    #[inline]
    pub fn set_resonance(&mut self, k: f32) {
        if !k.is_nan() {
            self.resonance = k.clamp(0.0, MAX_RESONANCE);
            self.kernel.set_resonance(self.resonance);
        }
    }

    /// Resonance K in use.
    pub fn resonance(&self) -> f32 {
        self.resonance
    }

    /// The integrator gain `G = tan(π·f0/Fs)` in use.
    pub fn g(&self) -> f32 {
        self.kernel.g.to_array()[0]
    }

    /// Peak of the deterministic white noise added to the model input, volts (0 = off, the
    /// default of the bare core; [`Vcf`] uses [`NOISE_FLOOR_DBFS`]). It lets self-oscillation
    /// start from silence, as circuit noise does in the analog filter. `seed` selects the
    /// sequence. Restarts the noise.
    pub fn set_noise_floor_volts(&mut self, peak_volts: f32, seed: u32) {
        let amp = if peak_volts.is_finite() { peak_volts.abs() * INV_2VT } else { 0.0 };
        self.kernel.noise_amp = f32x4::splat(amp);
        self.kernel.noise_seed = [seed | 1; LANES];
        self.kernel.noise_state = self.kernel.noise_seed;
    }

    /// Solve with `f32::tanh` instead of [`fast_tanh`] (for accuracy tests; slower).
    pub fn set_exact_tanh(&mut self, exact: bool) {
        self.exact_tanh = exact;
    }

    /// Override the Newton step tolerance (reference runs use a tighter one).
    pub fn set_tolerance(&mut self, tolerance: f32) {
        self.kernel.tolerance = f32x4::splat(tolerance);
    }

    /// Back to rest (state zero; parameters and statistics kept; the noise restarts).
    pub fn reset(&mut self) {
        self.kernel.reset();
    }

    /// Solver statistics since the last [`Self::reset_stats`].
    pub fn stats(&self) -> SolverStats {
        self.kernel.stats[0]
    }

    /// Clear the statistics.
    pub fn reset_stats(&mut self) {
        self.kernel.stats = [SolverStats::default(); LANES];
    }

    /// The normalised state `(x1..x4, σ1..σ4)`, for tests (denormal and finiteness checks).
    pub fn state(&self) -> [f32; 8] {
        let (x, s) = (&self.kernel.x, &self.kernel.sigma);
        let l = |v: &f32x4| v.to_array()[0];
        [l(&x[0]), l(&x[1]), l(&x[2]), l(&x[3]), l(&s[0]), l(&s[1]), l(&s[2]), l(&s[3])]
    }

    /// Advance one sample with input `x_volts`; returns vOUT in volts.
    #[inline]
    pub fn tick(&mut self, x_volts: f32) -> f32 {
        let v = f32x4::new([x_volts, 0.0, 0.0, 0.0]);
        let y = if self.exact_tanh { self.kernel.step::<ExactTanh>(v) } else { self.kernel.step::<FastTanh>(v) };
        y.to_array()[0]
    }
}

/// A finite model rate in a sane range (44.1 kHz for nonsense).
fn sanitize_rate(rate: f32) -> f32 {
    if rate.is_finite() && rate > 0.0 {
        rate.clamp(1_000.0, 4.0e6)
    } else {
        44_100.0
    }
}

/// The cutoff f0 the model uses for `cutoff_hz` at model rate `sample_rate`: clamped to
/// [`MIN_CUTOFF_HZ`] … [`MAX_CUTOFF_FRACTION`]·Fs (+∞ to the top, −∞ to the bottom). NaN is
/// the caller's to filter (the model ignores it).
pub fn model_cutoff_hz(cutoff_hz: f32, sample_rate: f32) -> f32 {
    let f = if cutoff_hz.is_finite() { cutoff_hz } else if cutoff_hz > 0.0 { f32::MAX } else { 0.0 };
    f.clamp(MIN_CUTOFF_HZ, MAX_CUTOFF_FRACTION * sample_rate)
}

/// `G = tan(π·f0/Fs)` with f0 clamped by [`model_cutoff_hz`].
fn cutoff_to_g(cutoff_hz: f32, sample_rate: f32) -> f32 {
    let f = model_cutoff_hz(cutoff_hz, sample_rate);
    (core::f64::consts::PI * f as f64 / sample_rate as f64).tan() as f32
}

/// `(p + a)·q` for polynomials in `p` given as coefficients, lowest power first (`q` of degree
/// at most 3).
const fn times_p_plus(a: f64, q: [f64; 5]) -> [f64; 5] {
    [a * q[0], a * q[1] + q[0], a * q[2] + q[1], a * q[3] + q[2], a * q[4] + q[3]]
}

/// `q − r`, coefficient by coefficient.
const fn minus(q: [f64; 5], r: [f64; 5]) -> [f64; 5] {
    [q[0] - r[0], q[1] - r[1], q[2] - r[2], q[3] - r[3], q[4] - r[4]]
}

/// Coefficients `[c0, c1, c2, c3, c4]` of `D0(p) = c4·p⁴ + c3·p³ + c2·p² + c1·p + c0`, the
/// linearised loop polynomial without the feedback term (module doc, "Linearisation"), derived
/// from the linearised ladder: with `tanh x ≈ x` and `p = s/ω`, per unit `x4`,
/// `x3 = (p + 4/3)·x4`, `x2 = (p + 2)·x3 − x4`, `x1 = (p + 2)·x2 − x3` and
/// `D0 = (p + 1)·x1 − x2`. The whole loop is `D(p) = D0(p) + β`. (`[1/3, 6, 35/3, 19/3, 1]`.)
pub const fn loop_polynomial() -> [f64; 5] {
    let x4 = [1.0, 0.0, 0.0, 0.0, 0.0];
    let x3 = times_p_plus(4.0 / 3.0, x4);
    let x2 = minus(times_p_plus(2.0, x3), x4);
    let x1 = minus(times_p_plus(2.0, x2), x3);
    minus(times_p_plus(1.0, x1), x2)
}

/// Small-signal gain (full scale in → full scale out, as [`Vcf`] scales it) of the linearised
/// discrete model at `f` Hz for cutoff `f0` Hz, resonance `k` and model rate `fs`: `β/|D(p)|`
/// (module doc, "Linearisation") with the bilinear, pre-warped `p = j·tan(πf/fs)/tan(πf0/fs)`,
/// over the K = 0 DC gain [`DC_GAIN_AT_K0`]. Takes `f0` and `k` as given (see
/// [`model_cutoff_hz`] for the clamp the model applies to the cutoff). For `k` at or above the
/// oscillation threshold the linear system is unstable and this is only the magnitude of its
/// transfer function on the unit circle, not a steady-state response.
pub fn linear_gain(f: f64, f0: f64, k: f64, fs: f64) -> f64 {
    let c = loop_polynomial();
    let beta = ETA * (k + 0.5);
    let w = (core::f64::consts::PI * f / fs).tan() / (core::f64::consts::PI * f0 / fs).tan();
    // D(jw): real part c0 + β − c2·w² + w⁴, imaginary part c1·w − c3·w³.
    let re = c[0] + beta - c[2] * w * w + c[4] * w.powi(4);
    let im = c[1] * w - c[3] * w.powi(3);
    beta / (re * re + im * im).sqrt() / DC_GAIN_AT_K0
}

/// The analytic oscillation threshold of the linearised loop (module doc): the resonance `K`
/// where `D(jw) = 0` has a real solution, and that `w` (the oscillation frequency over the
/// cutoff, before the bilinear warp): `K ≈ 4.85`, `w ≈ 0.9733`.
pub fn oscillation_threshold() -> (f64, f64) {
    let c = loop_polynomial();
    // Im D(jw) = 0 → w² = c1/c3; Re D(jw) = 0 → β = c2·w² − w⁴ − c0.
    let w2 = c[1] / c[3];
    let beta = c[2] * w2 - w2 * w2 - c[0];
    (beta / ETA - 0.5, w2.sqrt())
}

/// The frequency (Hz) at which the discrete model at rate `fs` oscillates at the threshold for
/// cutoff `f0`: `tan(π·f/fs) = w·tan(π·f0/fs)` with `w` from [`oscillation_threshold`].
pub fn oscillation_frequency_hz(f0: f64, fs: f64) -> f64 {
    let (_, w) = oscillation_threshold();
    (w * (core::f64::consts::PI * f0 / fs).tan()).atan() * fs / core::f64::consts::PI
}

/// Largest piece of a host block processed at once, host samples: at 8× it needs 2048
/// model-rate samples per channel buffer; larger pieces would only cost memory.
pub const MAX_CHUNK: usize = 256;

/// Cutoff used until the first parameter arrives, Hz (the paper's 30 µA: 2.5 kHz).
pub const DEFAULT_CUTOFF_HZ: f32 = 2_500.0;

/// Most channels [`Vcf`] processes (stereo).
pub const MAX_CHANNELS: usize = 2;

/// One channel's oversampling chain and buffers.
struct VcfChannel {
    /// Interpolates the input (volts) to the model rate.
    up: Upsampler,
    /// Decimates the model output back to the host rate.
    down: Downsampler,
    /// Model input at the model rate (copied out of the upsampler).
    input: Vec<f32>,
    /// Model output at the model rate, before decimation.
    wet: Vec<f32>,
}

/// The VCS3 filter for up to [`MAX_CHANNELS`] channels with 1×–8× oversampling, in
/// full-scale units: samples × [`INPUT_VOLTS_PER_FULL_SCALE`] into the model, vOUT ×
/// [`OUTPUT_FULL_SCALE_PER_VOLT`] out. The channels are solved in lock-step in one SIMD
/// vector (module doc). Parameters arrive per host sample and are held over the oversampled
/// sub-steps.
pub struct Vcf {
    /// Host sample rate, Hz.
    host_rate: f32,
    /// Largest piece processed at once (host samples); longer blocks are split.
    chunk: usize,
    /// Oversampling factor, log2.
    factor_log2: usize,
    /// Per-channel oversampling chains.
    channels: Vec<VcfChannel>,
    /// The model: lane `i` is channel `i`.
    kernel: Kernel,
    /// `G` per host sample of the current piece (one `tan` per change, shared by the channels).
    g: Vec<f32>,
    /// The cutoff (Hz) `last_g` was computed from.
    last_cutoff: f32,
    /// Whether `last_g` belongs to `last_cutoff` at the current model rate.
    g_valid: bool,
    /// `G` for `last_cutoff`.
    last_g: f32,
    /// Last resonance seen (held when the caller's slice is shorter than the block).
    last_resonance: f32,
}

impl Vcf {
    /// Select the oversampling factor 2^`k` (clamped to 0..=3). Resets the filter state; the
    /// latency becomes [`Self::latency`].
    pub fn set_oversampling_log2(&mut self, k: usize) {
        self.factor_log2 = k.min(MAX_OVERSAMPLING_LOG2);
        for ch in &mut self.channels {
            ch.up.set_factor_log2(self.factor_log2);
            ch.down.set_factor_log2(self.factor_log2);
        }
        self.apply_rate();
    }

    /// The oversampling factor, log2.
    pub fn oversampling_log2(&self) -> usize {
        self.factor_log2
    }

    /// The model rate, Hz (host rate × oversampling factor).
    pub fn model_rate(&self) -> f32 {
        self.host_rate * (1u32 << self.factor_log2) as f32
    }

    /// Latency in host samples (the oversampler's round trip; 0 at 1×).
    pub fn latency(&self) -> u32 {
        round_trip_latency(self.factor_log2)
    }

    /// Turn the input noise floor ([`NOISE_FLOOR_DBFS`]) on (the default) or off. Off, exact
    /// silence stays exact silence, self-oscillation needs an input to start, and the output is
    /// exactly odd in the input. Restarts the noise sequences.
    pub fn set_noise_floor(&mut self, enabled: bool) {
        let volts = if enabled { 10f32.powf(NOISE_FLOOR_DBFS / 20.0) * INPUT_VOLTS_PER_FULL_SCALE } else { 0.0 };
        self.kernel.noise_amp = f32x4::splat(volts * INV_2VT);
        // Different (fixed) sequences per channel, as independent circuits would have.
        self.kernel.noise_seed = core::array::from_fn(|c| 0x9E37_79B9u32.wrapping_mul(c as u32 + 1) | 1);
        self.kernel.noise_state = self.kernel.noise_seed;
    }

    /// Clear all state (oversamplers and model) without changing any setting.
    pub fn reset(&mut self) {
        for ch in &mut self.channels {
            ch.up.reset();
            ch.down.reset();
        }
        self.kernel.reset();
    }

    /// Solver statistics summed over the channels since the last [`Self::reset_stats`].
    pub fn stats(&self) -> SolverStats {
        let mut total = SolverStats::default();
        for s in self.kernel.stats.iter().take(self.channels.len()) {
            total.merge(s);
        }
        total
    }

    /// Clear the solver statistics.
    pub fn reset_stats(&mut self) {
        self.kernel.stats = [SolverStats::default(); LANES];
    }


    /// Propagate the model rate and invalidate the cached `G`; resets the state.
    fn apply_rate(&mut self) {
        self.g_valid = false;
        self.reset();
    }
}

/// The per-sample controls of [`Vcf`]: `cutoff_hz[i]` and `resonance[i]` are the parameters for
/// host sample `i` (slices should be at least the block long; past their end the last value is
/// held, an empty slice keeps the previous value, NaN entries are ignored).
#[derive(Clone, Copy, Debug)]
pub struct VcfControl<'a> {
    /// Cutoff per host sample, Hz.
    pub cutoff_hz: &'a [f32],
    /// Resonance K per host sample.
    pub resonance: &'a [f32],
}

impl Model for Vcf {
    type Control<'a> = VcfControl<'a>;

    /// Everything for `spec.channels` (≤ [`MAX_CHANNELS`]) channels at `spec.sample_rate`
    /// (22.05–192 kHz and beyond), host blocks of any length (processed in pieces of
    /// `min(max_block, MAX_CHUNK)`) and every factor up to 8×. Starts at 1× with the noise
    /// floor on.
    fn prepare(spec: &ProcessSpec) -> Self {
        let chunk = spec.max_block.clamp(1, MAX_CHUNK);
        let count = spec.channels.min(MAX_CHANNELS);
        let channels = (0..count)
            .map(|_| VcfChannel {
                up: Upsampler::new(MAX_OVERSAMPLING_LOG2, chunk),
                down: Downsampler::new(MAX_OVERSAMPLING_LOG2, chunk),
                input: vec![0.0; chunk << MAX_OVERSAMPLING_LOG2],
                wet: vec![0.0; chunk << MAX_OVERSAMPLING_LOG2],
            })
            .collect();
        let mut vcf = Self {
            host_rate: sanitize_rate(spec.sample_rate),
            chunk,
            factor_log2: 0,
            channels,
            kernel: Kernel::new(count.max(1)),
            g: vec![0.0; chunk],
            last_cutoff: DEFAULT_CUTOFF_HZ,
            g_valid: false,
            last_g: 0.0,
            last_resonance: 0.0,
        };
        vcf.set_noise_floor(true);
        vcf.set_oversampling_log2(0);
        vcf
    }

    fn reset(&mut self) {
        Vcf::reset(self);
    }

    /// Filter `channels` in place (full-scale units) with the per-sample `control`. Any block
    /// length. Channels beyond the prepared count are silenced; only the common length of the
    /// channel slices is processed and anything past it is silenced.
    fn process(&mut self, channels: &mut [&mut [f32]], control: VcfControl<'_>) {
        let VcfControl { cutoff_hz, resonance } = control;
        let count = channels.len().min(self.channels.len());
        let mut len = usize::MAX;
        for ch in channels.iter().take(count) {
            len = len.min(ch.len());
        }
        let len = if count == 0 { 0 } else { len };
        for (i, ch) in channels.iter_mut().enumerate() {
            let from = if i < count { len.min(ch.len()) } else { 0 };
            ch[from..].fill(0.0);
        }
        let model_rate = self.model_rate();
        let k_log2 = self.factor_log2;
        let sub = 1usize << k_log2;
        let mut start = 0;
        // Pieces of at most `chunk` host samples (a bounded loop).
        while start < len {
            let end = (start + self.chunk).min(len);
            let n = end - start;
            let m = (n << k_log2).min(self.chunk << MAX_OVERSAMPLING_LOG2);
            // G per host sample, shared by the channels; tan only when the cutoff changes.
            for (i, g) in self.g.iter_mut().take(n).enumerate() {
                let cutoff = param_at(cutoff_hz, start + i, self.last_cutoff);
                if !self.g_valid || cutoff.to_bits() != self.last_cutoff.to_bits() {
                    self.last_cutoff = cutoff;
                    self.g_valid = true;
                    let top = MAX_CUTOFF_HOST_FRACTION * self.host_rate;
                    self.last_g = cutoff_to_g(if cutoff > top { top } else { cutoff }, model_rate);
                }
                *g = self.last_g;
            }
            // Scale to volts and upsample every channel.
            for (ch, io) in self.channels.iter_mut().zip(channels.iter_mut()) {
                let io = &mut io[start..end];
                for v in io.iter_mut() {
                    *v *= INPUT_VOLTS_PER_FULL_SCALE;
                }
                let up = ch.up.process(io);
                let m = m.min(up.len());
                ch.input[..m].copy_from_slice(&up[..m]);
            }
            // The model, all channels in lock-step.
            let mut resonance_now = self.last_resonance;
            for j in 0..m {
                if j % sub == 0 {
                    let i = j >> k_log2;
                    self.kernel.g = f32x4::splat(self.g.get(i).copied().unwrap_or(self.last_g));
                    resonance_now = param_at(resonance, start + i, resonance_now).clamp(0.0, MAX_RESONANCE);
                    self.kernel.set_resonance(resonance_now);
                }
                let mut lanes = [0.0f32; LANES];
                for (l, ch) in lanes.iter_mut().zip(&self.channels) {
                    *l = ch.input.get(j).copied().unwrap_or(0.0);
                }
                let y = self.kernel.step::<FastTanh>(f32x4::new(lanes)).to_array();
                for (ch, &y) in self.channels.iter_mut().zip(&y) {
                    if let Some(w) = ch.wet.get_mut(j) {
                        *w = y;
                    }
                }
            }
            self.last_resonance = resonance_now;
            // Decimate and scale back to full scale.
            for (ch, io) in self.channels.iter_mut().zip(channels.iter_mut()) {
                let io = &mut io[start..end];
                ch.down.process(&ch.wet[..m], io);
                for v in io.iter_mut() {
                    *v *= OUTPUT_FULL_SCALE_PER_VOLT;
                }
            }
            start = end;
        }
    }

    fn latency(&self) -> u32 {
        Vcf::latency(self)
    }

    fn memory_bytes(&self) -> usize {
        let per_channel = |c: &VcfChannel| (c.input.len() + c.wet.len()) * 4 + c.up.memory_bytes() + c.down.memory_bytes();
        self.channels.iter().map(per_channel).sum::<usize>() + self.g.len() * 4
    }
}

/// `p[i]`, or its last value past the end, or `fallback` for an empty or NaN entry.
#[inline(always)]
fn param_at(p: &[f32], i: usize, fallback: f32) -> f32 {
    let v = match p.get(i) {
        Some(&v) => v,
        None => p.last().copied().unwrap_or(fallback),
    };
    if v.is_nan() {
        fallback
    } else {
        v
    }
}



#[cfg(test)]
mod tests {
    //! Properties derived from the model's own equations (module doc), checked on rendered
    //! audio.
    use super::*;
    use crate::analysis::{db, tone_amplitude};
    use core::f64::consts::{PI, TAU};

    fn sine(f: f64, amp: f64, fs: f64, n: usize) -> Vec<f32> {
        (0..n).map(|i| (amp * (TAU * f * i as f64 / fs).sin()) as f32).collect()
    }

    /// Render `x` through a fresh mono `Vcf` with static parameters.
    fn render(x: &[f32], fs: f32, factor_log2: usize, cutoff: f32, k: f32, noise: bool) -> Vec<f32> {
        let mut vcf = Vcf::prepare(&ProcessSpec::new(fs, 256, 1));
        vcf.set_oversampling_log2(factor_log2);
        vcf.set_noise_floor(noise);
        let mut y = x.to_vec();
        let (c, r) = (vec![cutoff; y.len()], vec![k; y.len()]);
        vcf.process(&mut [&mut y], VcfControl { cutoff_hz: &c, resonance: &r });
        y
    }

    #[test]
    fn loop_polynomial_and_dc_gain_match_the_module_doc() {
        let c = loop_polynomial();
        let expected = [1.0 / 3.0, 6.0, 35.0 / 3.0, 19.0 / 3.0, 1.0];
        for (a, b) in c.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{c:?}");
        }
        // DC gain β/(c0 + β) at K = 0 is the normalisation constant.
        assert!((ETA / 2.0 / (c[0] + ETA / 2.0) - DC_GAIN_AT_K0).abs() < 1e-15);
        let (k, w) = oscillation_threshold();
        assert!((k - 4.85).abs() < 0.01 && (w - 0.9733).abs() < 1e-3, "K_c {k}, w {w}");
    }

    #[test]
    fn small_signal_response_matches_the_linearised_transfer_function() {
        let (k_c, _) = oscillation_threshold();
        // K = 6 of the brief is above the threshold K_c ≈ 4.85: the linear system is unstable
        // there and has no steady-state response, so the highest K measured is 4.
        let ks = [0.0, 1.0, 3.0, 4.0];
        assert!(ks.iter().all(|&k| k < k_c));
        let amp = 1e-4; // −80 dBFS
        let mut worst = 0.0f64;
        for fs in [44_100.0f64, 96_000.0] {
            for f0 in [100.0, 1_000.0, 5_000.0, 15_000.0] {
                for k in ks {
                    for ratio in [0.05, 0.25, 0.5, 0.8, 1.0, 1.25, 1.6, 2.0] {
                        let f = f0 * ratio;
                        if f > 0.45 * fs || f < 4.0 {
                            continue;
                        }
                        let h = linear_gain(f, f0, k, fs);
                        if db(h, 1.0) < -20.0 {
                            continue; // the passband and the transition down to −20 dB
                        }
                        // Settle ≥ 12 time constants of the slowest pole (K = 4: 0.039·ω).
                        let settle = ((12.0 / (0.039 * TAU * f0)) * fs) as usize + 2_000;
                        let window = ((40.0 / f).max(0.05) * fs) as usize;
                        let x = sine(f, amp, fs, settle + window);
                        let y = render(&x, fs as f32, 0, f0 as f32, k as f32, false);
                        let measured = tone_amplitude(&y[settle..], f, fs) / amp;
                        let err = db(measured, h);
                        worst = worst.max(err.abs());
                        assert!(
                            err.abs() < 0.1,
                            "fs {fs} f0 {f0} K {k} f {f:.1}: measured {:.3} dB, theory {:.3} dB",
                            db(measured, 1.0),
                            db(h, 1.0)
                        );
                    }
                }
            }
        }
        println!("small-signal response: worst deviation from theory {worst:.4} dB");
    }

    #[test]
    fn self_oscillation_starts_at_the_predicted_k_and_frequency_with_a_bounded_level() {
        let (k_c, w) = oscillation_threshold();
        let fs = 44_100.0f64;
        let f0 = 1_000.0f64;
        let f_pred = oscillation_frequency_hz(f0, fs);
        assert_eq!(f_pred, (w * (PI * f0 / fs).tan()).atan() * fs / PI);
        let n = (2.0 * fs) as usize;
        let run = |k: f64| -> Vec<f32> {
            let mut core = Vcs3Core::new(fs as f32);
            core.set_cutoff_hz(f0 as f32);
            core.set_resonance(k as f32);
            // A ping: 1 µV for one sample, then silence (noise floor off).
            (0..n).map(|i| core.tick(if i == 0 { 1e-6 } else { 0.0 })).collect()
        };
        let rms = |y: &[f32]| crate::analysis::rms(y);
        let seg = (0.1 * fs) as usize;

        // Just below: the ping decays.
        let below = run(k_c - 0.15);
        assert!(rms(&below[n - seg..]) < 1e-3 * rms(&below[..seg]), "below threshold the ping must decay");

        // Just above: it grows into a sustained tone at the predicted frequency.
        let above = run(k_c + 0.3);
        let tail = &above[n - 4 * seg..];
        let (early, late) = (rms(&above[n - 4 * seg..n - 2 * seg]), rms(&above[n - 2 * seg..]));
        println!("above threshold: first 0.1 s rms {:e} f32x4, last {late:e} f32x4", rms(&above[..seg]));
        assert!(late > 100.0 * rms(&above[..seg]), "above threshold the tone must grow");
        assert!((late / early - 1.0).abs() < 0.02, "the tone must be sustained: {early} → {late}");
        // Frequency from the interpolated zero crossings of the tail.
        let mut crossings = Vec::new();
        for i in 1..tail.len() {
            let (a, b) = (tail[i - 1] as f64, tail[i] as f64);
            if a < 0.0 && b >= 0.0 {
                crossings.push(i as f64 - 1.0 + a / (a - b));
            }
        }
        let periods = (crossings.len() - 1) as f64;
        let f_meas = fs * periods / (crossings[crossings.len() - 1] - crossings[0]);
        println!("K_c = {k_c:.4}, predicted {f_pred:.2} Hz, measured {f_meas:.2} Hz just above threshold");
        assert!((f_meas / f_pred - 1.0).abs() < 0.03, "predicted {f_pred}, measured {f_meas}");

        // The level is bounded by the tanh currents alone: |dx4/dt| ≤ 2ω, so over a period
        // 2π/ω_osc the amplitude of x4 is at most 2ω·(2π/ω_osc)/4 = π/w normalised units.
        for k in [k_c + 0.3, 10.0] {
            let y = run(k);
            let peak = y[n / 2..].iter().fold(0.0f32, |a, &b| a.max(b.abs())) as f64;
            let bound = (k + 0.5) * 2.0 * GAMMA_VOLTS * PI / w;
            println!("K = {k:.2}: oscillation peak {peak:.3} f32x4 ({:.1} dBFS), bound {bound:.3} f32x4", db(peak * OUTPUT_FULL_SCALE_PER_VOLT as f64, 1.0));
            assert!(peak > 0.01 && peak <= bound, "K {k}: peak {peak} f32x4, bound {bound} f32x4");
        }
    }

    #[test]
    fn noise_floor_starts_self_oscillation_from_silence_and_only_then() {
        let fs = 48_000.0;
        let silence = vec![0.0f32; 48_000];
        let with_noise = render(&silence, fs, 1, 2_000.0, 8.0, true);
        let without = render(&silence, fs, 1, 2_000.0, 8.0, false);
        assert!(without.iter().all(|&v| v == 0.0), "without the noise floor silence stays silent");
        let late = crate::analysis::rms(&with_noise[40_000..]);
        assert!(late > 0.1, "K = 8: the noise floor must start the oscillation (rms {late})");
        // Below the threshold the noise floor stays far below audibility.
        let quiet = render(&silence, fs, 1, 2_000.0, 3.0, true);
        let peak = quiet.iter().fold(0.0f32, |a, &b| a.max(b.abs()));
        assert!(db(peak as f64, 1.0) < -110.0, "K = 3: noise floor output {} dBFS", db(peak as f64, 1.0));
    }

    #[test]
    fn output_is_odd_in_the_input_and_has_only_odd_harmonics() {
        let fs = 44_100.0;
        let f = 441.0; // an integer number of periods per 0.1 s
        let n = 44_100;
        let x = sine(f, 2.0, fs, n); // +6 dBFS: clearly nonlinear
        for factor_log2 in [0, 1] {
            let y = render(&x, fs as f32, factor_log2, 1_500.0, 2.0, false);
            let neg: Vec<f32> = x.iter().map(|v| -v).collect();
            let yn = render(&neg, fs as f32, factor_log2, 1_500.0, 2.0, false);
            assert!(y.iter().zip(&yn).all(|(a, b)| *a == -*b), "{factor_log2}: out(−x) must equal −out(x) exactly");
            let tail = &y[n / 2..];
            let fund = tone_amplitude(tail, f, fs);
            let h3 = db(tone_amplitude(tail, 3.0 * f, fs), fund);
            assert!(h3 > -60.0, "the drive must be nonlinear enough to show (H3 {h3:.1} dB)");
            for h in [2.0, 4.0, 6.0] {
                let even = db(tone_amplitude(tail, h * f, fs), fund);
                assert!(even < -100.0, "{}x: harmonic {h}: {even:.1} dB", 1 << factor_log2);
            }
        }
    }

    #[test]
    fn fast_tanh_error_is_within_its_documented_bound_and_it_is_odd_and_bounded() {
        let mut worst = 0.0f64;
        let mut prev = -1.0f32;
        for i in -200_000..=200_000 {
            let x = i as f32 * 5e-5;
            let y = fast_tanh(x);
            worst = worst.max((y as f64 - (x as f64).tanh()).abs());
            // Monotonic up to f32 rounding of the quotient near ±1 (a few ulps).
            assert!(y >= prev - 5e-7, "monotonic at {x}: {y} < {prev}");
            assert_eq!(fast_tanh(-x), -y);
            prev = y;
        }
        assert!(worst <= 2.0e-6, "max error {worst:e}");
        for x in [1e30f32, f32::INFINITY, 1e4] {
            assert_eq!(fast_tanh(x), 1.0);
            assert_eq!(fast_tanh(-x), -1.0);
        }
        assert_eq!(fast_tanh(1e-30), 1e-30);
        println!("fast tanh: max abs error {worst:.2e}");
    }

    #[test]
    fn fast_tanh_response_error_is_small() {
        // Against f32::tanh with a tight tolerance, on music at 0 and +12 dBFS, below the
        // oscillation threshold (above it the tone's phase wanders, a sample-wise comparison
        // means nothing).
        let fs = 44_100.0f32;
        let n = 8_000;
        let mut worst = -400.0f64;
        for &(fc, k) in &[(500.0f32, 0.0f32), (2_000.0, 3.0), (8_000.0, 4.0), (18_000.0, 2.0)] {
            for gain in [1.0f32, 4.0] {
                let x = crate::analysis::music_like(3, n, fs as f64);
                let run = |exact: bool| -> Vec<f32> {
                    let mut c = Vcs3Core::new(fs);
                    c.set_exact_tanh(exact);
                    if exact {
                        c.set_tolerance(2e-6);
                    }
                    c.set_cutoff_hz(fc);
                    c.set_resonance(k);
                    x.iter().map(|v| c.tick(v * gain * INPUT_VOLTS_PER_FULL_SCALE)).collect()
                };
                let (r, y) = (run(true), run(false));
                let peak = r.iter().fold(0f32, |a, b| a.max(b.abs())) as f64;
                let err = y.iter().zip(&r).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max) as f64;
                let e = db(err, peak);
                println!("fast tanh vs tanh: fc {fc} K {k} ×{gain}: max error {e:.1} dB re peak");
                worst = worst.max(e);
            }
        }
        assert!(worst < -95.0, "worst {worst:.1} dB");
    }

    #[test]
    fn bad_input_recovers_within_50_ms_and_extreme_automation_stays_bounded() {
        let fs = 44_100.0f32;
        let n = 22_050;
        let music = crate::analysis::music_like(5, n, fs as f64);
        let clean = render(&music, fs, 0, 1_000.0, 3.0, false);
        let bad_from = 4_410;
        let bad_len = 441;
        let ms50 = (0.05 * fs) as usize;
        for (name, bad) in [
            ("NaN", f32::NAN),
            ("inf", f32::INFINITY),
            ("-inf", f32::NEG_INFINITY),
            ("huge", 1e30),
            ("subnormal", 1e-40),
        ] {
            for factor_log2 in [0, 1] {
                let mut x = music.clone();
                x[bad_from..bad_from + bad_len].fill(bad);
                let reference = if factor_log2 == 0 { clean.clone() } else { render(&music, fs, 1, 1_000.0, 3.0, false) };
                let y = render(&x, fs, factor_log2, 1_000.0, 3.0, false);
                assert!(y.iter().all(|v| v.is_finite() && v.abs() < 1e3), "{name}: output must stay finite and bounded");
                // The oversampler's FIR carries non-finite input for its length, then the
                // model state forgets; 50 ms after the burst the output is the clean one.
                let after = bad_from + bad_len + ms50;
                let diff = y[after..].iter().zip(&reference[after..]).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
                assert!(diff < 1e-3, "{name} at {}x: {diff} FS from the clean output 50 ms after", 1 << factor_log2);
            }
        }

        // Cutoff jumping 20 Hz ↔ 20 kHz and K 0 ↔ 10 every sample, +12 dB music.
        for factor_log2 in [0, 1, 3] {
            let mut vcf = Vcf::prepare(&ProcessSpec::new(44_100.0, 64, 2));
            vcf.set_oversampling_log2(factor_log2);
            let mut l: Vec<f32> = music.iter().map(|v| 4.0 * v).collect();
            let mut r = l.clone();
            let cutoff: Vec<f32> = (0..n).map(|i| if i % 2 == 0 { 20.0 } else { 20_000.0 }).collect();
            let res: Vec<f32> = (0..n).map(|i| if i % 3 == 0 { 10.0 } else { 0.0 }).collect();
            for start in (0..n).step_by(64) {
                let end = (start + 64).min(n);
                vcf.process(&mut [&mut l[start..end], &mut r[start..end]], VcfControl { cutoff_hz: &cutoff[start..end], resonance: &res[start..end] });
            }
            let peak = l.iter().chain(&r).fold(0.0f32, |a, &b| a.max(b.abs()));
            println!("extreme automation at {}x: peak {peak:.2} FS, {:?}", 1 << factor_log2, vcf.stats());
            assert!(l.iter().chain(&r).all(|v| v.is_finite()) && peak < 100.0, "peak {peak}");
            // Parameter garbage is ignored or clamped.
            let mut z = vec![0.5f32; 64];
            vcf.process(&mut [&mut z], VcfControl { cutoff_hz: &[f32::NAN, f32::INFINITY, -1.0, 1e30], resonance: &[f32::NAN, -5.0, 1e9] });
            assert!(z.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn silence_after_audio_leaves_no_subnormal_state() {
        let mut core = Vcs3Core::new(44_100.0);
        core.set_cutoff_hz(300.0);
        core.set_resonance(4.0);
        for i in 0..4_410 {
            core.tick(0.1 * (i as f32 * 0.05).sin());
        }
        for _ in 0..441_000 {
            core.tick(0.0);
            assert!(core.state().iter().all(|v| !crate::denormal::is_subnormal_f32(*v) && v.is_finite()));
        }
        assert!(core.state().iter().all(|&v| v == 0.0), "state {:?}", core.state());
    }

    #[test]
    fn output_does_not_depend_on_the_block_size() {
        let fs = 48_000.0;
        let n = 9_000;
        let x: Vec<Vec<f32>> = (0..2).map(|c| crate::analysis::music_like(c, n, fs)).collect();
        for factor_log2 in [0, 1, 3] {
            let mut outputs = Vec::new();
            for block in [1usize, 7, 64, 4096] {
                let mut vcf = Vcf::prepare(&ProcessSpec::new(fs as f32, 512, 2));
                vcf.set_oversampling_log2(factor_log2);
                let (mut l, mut r) = (x[0].clone(), x[1].clone());
                let (c, k) = (vec![3_000.0f32; block], vec![7.0f32; block]);
                for start in (0..n).step_by(block) {
                    let end = (start + block).min(n);
                    vcf.process(&mut [&mut l[start..end], &mut r[start..end]], VcfControl { cutoff_hz: &c, resonance: &k });
                }
                outputs.push((l, r));
            }
            for o in &outputs[1..] {
                assert!(o.0.iter().zip(&outputs[0].0).all(|(a, b)| a.to_bits() == b.to_bits()));
                assert!(o.1.iter().zip(&outputs[0].1).all(|(a, b)| a.to_bits() == b.to_bits()));
            }
        }
    }

    #[test]
    fn stereo_lanes_compute_exactly_what_each_channel_computes_alone() {
        let fs = 44_100.0;
        let n = 6_000;
        let l0 = crate::analysis::music_like(1, n, fs);
        let r0: Vec<f32> = crate::analysis::music_like(2, n, fs).iter().map(|v| 4.0 * v).collect();
        let (c, k) = (vec![12_000.0f32; n], vec![9.0f32; n]);
        let mut stereo = Vcf::prepare(&ProcessSpec::new(44_100.0, 256, 2));
        stereo.set_noise_floor(false);
        let (mut l, mut r) = (l0.clone(), r0.clone());
        stereo.process(&mut [&mut l, &mut r], VcfControl { cutoff_hz: &c, resonance: &k });
        for (x, y) in [(&l0, &l), (&r0, &r)] {
            let mut mono = Vcf::prepare(&ProcessSpec::new(44_100.0, 256, 1));
            mono.set_noise_floor(false);
            let mut m = x.clone();
            mono.process(&mut [&mut m], VcfControl { cutoff_hz: &c, resonance: &k });
            assert!(m.iter().zip(y.iter()).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn dc_gain_at_k0_is_exactly_unity_at_any_level() {
        // At DC the model is linear at any level (module doc), so the normalisation holds for
        // a small and a hot DC input alike.
        for level in [1e-3f32, 1.0, 4.0] {
            let x = vec![level; 44_100];
            let y = render(&x, 44_100.0, 0, 2_000.0, 0.0, false);
            let g = y[44_000] / level;
            assert!((g - 1.0).abs() < 1e-4, "level {level}: DC gain {g}");
        }
    }

    #[test]
    fn limit_step_equals_always_scaling_bit_for_bit() {
        // `limit_step` skips the division when no lane exceeds the trust region; the result
        // must be exactly that of always scaling (by 1 where a lane is inside), clipped or not,
        // including non-finite steps.
        let reference = |d: [f32x4; 4], beta: f32x4, trust: f32x4| -> [f32x4; 4] {
            let moves = (beta * d[3].abs()).max_by_gt((d[1] - d[0]).abs()).max_by_gt((d[2] - d[1]).abs()).max_by_gt((d[3] - d[2]).abs());
            let scale = f32x4::select(moves.simd_gt(trust), trust / moves, f32x4::splat(1.0));
            [d[0] * scale, d[1] * scale, d[2] * scale, d[3] * scale]
        };
        let mut state = 0x2545_F491u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 8) as f32 / 8_388_608.0 - 1.0
        };
        let (mut clipped, mut inside) = (0, 0);
        for case in 0..4_000 {
            let spread = [1e-4f32, 0.05, 0.3, 3.0][case % 4];
            let mut d: [f32x4; 4] = core::array::from_fn(|_| f32x4::new(core::array::from_fn(|_| spread * next())));
            if case % 97 == 0 {
                d[1] = f32x4::new([f32::NAN, 0.0, f32::INFINITY, 1.0]);
            }
            let beta = f32x4::splat(ETA as f32 * (0.5 + 10.0 * next().abs()));
            let trust = f32x4::splat(MAX_NEWTON_STEP * [1.0f32, 0.5, 0.25][case % 3]);
            let (got, _) = limit_step(d, beta, trust);
            let want = reference(d, beta, trust);
            for (g, w) in got.iter().zip(&want) {
                let (g, w) = (g.to_array(), w.to_array());
                for l in 0..4 {
                    assert!(g[l].to_bits() == w[l].to_bits() || (g[l].is_nan() && w[l].is_nan()), "case {case}");
                }
            }
            let moves = (beta * d[3].abs()).max_by_gt((d[1] - d[0]).abs()).max_by_gt((d[2] - d[1]).abs()).max_by_gt((d[3] - d[2]).abs());
            if moves.simd_gt(trust).to_bitmask() == 0 {
                inside += 1;
            } else {
                clipped += 1;
            }
        }
        assert!(clipped > 100 && inside > 100, "both paths exercised: {clipped} clipped, {inside} inside");
    }

    #[test]
    fn cutoffs_at_and_above_nyquist_are_clamped_and_converge() {
        for fs in [22_050.0f32, 44_100.0] {
            let mut core = Vcs3Core::new(fs);
            core.set_cutoff_hz(20_000.0);
            let g_top = core.g();
            assert!((g_top - (PI as f32 * MAX_CUTOFF_FRACTION).tan()).abs() < 1e-3 || fs > 40_000.0);
            core.set_cutoff_hz(1e9);
            assert!((core.g() - (PI as f32 * MAX_CUTOFF_FRACTION).tan()).abs() < 1e-3);
            core.set_resonance(10.0);
            let x = crate::analysis::music_like(9, 4_410, fs as f64);
            for v in x {
                assert!(core.tick(v * INPUT_VOLTS_PER_FULL_SCALE).is_finite());
            }
            assert_eq!(core.stats().cap_hits, 0, "{:?}", core.stats());
        }
    }

    #[test]
    fn the_papers_fixed_point_iteration_diverges_at_high_cutoffs_where_newton_converges() {
        // One step from rest with a 0.2-unit input, K = 0: the plain fixed point of the paper
        // (x ← σ + G·φ(x)) against Newton (the core).
        let fixed_point_converges = |g: f32| -> bool {
            let (a, beta) = (0.2f32, (ETA as f32) * 0.5);
            let mut x = [0.0f32; 4];
            for _ in 0..500 {
                let u1 = (a - beta * x[3]).tanh();
                let u2 = (x[1] - x[0]).tanh();
                let u3 = (x[2] - x[1]).tanh();
                let u4 = (x[3] - x[2]).tanh();
                let u5 = (x[3] / 3.0).tanh();
                let new = [g * (u1 + u2), g * (u3 - u2), g * (u4 - u3), -g * (u5 + u4)];
                let change = new.iter().zip(&x).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
                x = new;
                if change < 1e-7 {
                    return true;
                }
            }
            false
        };
        let fs = 44_100.0f32;
        let g_of = |f: f32| (PI as f32 * f / fs).tan();
        assert!(fixed_point_converges(g_of(0.05 * fs)));
        assert!(!fixed_point_converges(g_of(0.15 * fs)));
        let mut core = Vcs3Core::new(fs);
        core.set_cutoff_hz(0.15 * fs);
        assert!(core.tick(0.2 * 2.0 * VT_VOLTS as f32).is_finite());
        assert_eq!(core.stats().cap_hits, 0);
    }
}
