//! Diode ring modulator: the circuit model of Fontana & Bozzo, as given in De Pra & Fontana,
//! "Programming Real-Time Sound in Python", Applied Sciences 10(12), 2020, Algorithm 1
//! (see `shared/design/models.md` §1 for the checked equations).
//!
//! # Circuit
//! The modulator `v_m` enters node 1 through `R_m`; the carrier `v_c` enters the four diode
//! voltages directly; the output is the voltage `v2` across the load `R_a`. Two transformer
//! inductances carry the currents `i1`, `i2`. With `g(v) = 0.17·v⁴` for `v > 0`, else 0
//! (a rectifying diode law), and `g_j = g(v_j)`:
//!
//! ```text
//! C  dv1/dt = i1 − (v1 − v_m)/R_m − g4/2 + g5/2 − g6/2 + g7/2
//! C  dv2/dt = i2 − v2/R_a          + g4/2 − g5/2 − g6/2 + g7/2
//! Cp dv3/dt =    − v3/R_i          + g4 + g5 − g6 − g7
//! L  di1/dt = −v1            L di2/dt = −v2
//! v4 =  v1/2 − v2/2 − v3 − v_c      v5 = −v1/2 + v2/2 − v3 − v_c
//! v6 =  v1/2 + v2/2 + v3 + v_c      v7 = −v1/2 − v2/2 + v3 + v_c
//! ```
//! Constants (the paper's code): C = Cp = 10 nF, L = 0.8 H, R_a = 600 Ω, R_i = 50 Ω, R_m = 80 Ω.
//!
//! # Structure used by the solver
//! Writing the diode voltages as `v_j = a_jᵀ·v + σ_j·v_c` with `v = (v1, v2, v3)`, every diode
//! term is `−Aᵀ g(A v + σ v_c)`: the diode currents are the gradient of the convex potential
//! `Σ_j G(v_j)`, `G(v) = 0.17·max(v,0)⁵/5`. All three nodes are stiff at audio rates (time
//! constants `R_m·C` = 0.8 µs, `R_a·C` = 6 µs, `R_i·Cp` = 0.5 µs), so an explicit scheme is
//! out of the question (forward Euler diverges even at 100× with the rectifying law).
//!
//! # Solver
//! Trapezoidal rule (A-stable, second order) at the oversampled rate `1/h`. The inductor
//! currents are linear in `v` and are eliminated, and each capacitor equation is divided by its
//! `h/(2C)`, which leaves, per step, the 3×3 system
//!
//! ```text
//! F(v) = c ∘ v − q + Aᵀ g(A v + σ v_c) = 0
//! c = (2C/h + 1/R_m + h/2L,  2C/h + 1/R_a + h/2L,  2Cp/h + 1/R_i)
//! q = (s1·2C/h + t1 + v_m/R_m,  s2·2C/h + t2,  s3·2Cp/h)
//! ```
//! where `s` are the trapezoidal histories of the node voltages (`s ← 2v − s`) and `t` those of
//! the currents (`i = t − v·h/2L`, `t ← 2i − t`). `F` is the gradient of a strictly convex
//! function, so the step always has exactly one solution and its Jacobian
//! `diag(c) + Aᵀ diag(g′) A` is symmetric positive definite: Newton's method
//! needs no pivoting (it is solved by Cramer's rule with one division), and with a
//! backtracking line search on that convex function for long steps it converges from any start. Each step starts
//! from a linear extrapolation of the last two solutions; it typically converges in 2–3
//! iterations. A hard iteration cap bounds the work; on the (rare) step that hits it, the last
//! iterate is used, the state stays finite, and the next step recovers.
//!
//! Trapezoidal integration maps the stiff poles close to z = −1, where they ring at the
//! *oversampled* Nyquist frequency; that is in the decimator's stopband at every factor ≥ 2, so
//! it never reaches the output (the accuracy test against the 64× reference checks this).
//!
//! # Symmetries (tested)
//! The map `(v1, v2, v3, v_m, v_c) → (−v1, −v2, v3, −v_m, v_c)` permutes the diodes
//! (4↔5, 6↔7) and leaves the equations invariant, so the output is odd in the modulator; the map
//! `(v1, v3, v_m, v_c) → (−v1, −v3, −v_m, −v_c)` (4↔7, 5↔6) shows it is even under a joint sign
//! change; together: odd in the carrier too. A balanced modulator fed sines at `f_m` and `f_c`
//! therefore only outputs `p·f_m + q·f_c` with *both* `p` and `q` odd: no modulator, no carrier,
//! no DC, no even harmonics of either.

use crate::denormal::flush;
use crate::real::Real;

/// Component values of the circuit (the paper's code).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CircuitConstants {
    /// Node capacitances C of nodes 1 and 2, farads.
    pub c: f64,
    /// Node capacitance Cp of node 3, farads.
    pub c_p: f64,
    /// Transformer inductance L, henries.
    pub l: f64,
    /// Load resistor R_a, ohms.
    pub r_a: f64,
    /// Resistor R_i at node 3, ohms.
    pub r_i: f64,
    /// Source resistance of the modulator R_m, ohms.
    pub r_m: f64,
    /// Diode law coefficient: g(v) = k·v⁴ for v > 0, amperes per volt⁴.
    pub diode_k: f64,
}

impl Default for CircuitConstants {
    fn default() -> Self {
        // De Pra & Fontana 2020, Algorithm 1 (the paper's code).
        Self { c: 10e-9, c_p: 10e-9, l: 0.8, r_a: 600.0, r_i: 50.0, r_m: 80.0, diode_k: 0.17 }
    }
}

/// Solver statistics, accumulated until [`DiodeRingCircuit::take_stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SolverStats {
    /// Number of time steps solved.
    pub steps: u64,
    /// Total Newton iterations over those steps.
    pub iterations: u64,
    /// Largest number of iterations any one step needed.
    pub max_iterations: u32,
    /// Steps that stopped at the iteration cap without meeting the tolerance.
    pub cap_hits: u64,
}

/// Hard cap on Newton iterations per time step: bounds the worst-case cost per sample.
pub const MAX_NEWTON_ITERATIONS: u32 = 24;

/// Default relative Newton step tolerance. The error left is about its square (see `step`):
/// measured against an f64 solve to 1e-9, the f32 solver error is below −119 dB at 1× to 16×
/// with +12 dB drive, far below the model's own discretisation error.
pub const DEFAULT_STEP_TOLERANCE: f64 = 1e-3;

/// The circuit, integrated with the trapezoidal rule at a fixed step.
#[derive(Clone, Debug)]
pub struct DiodeRingCircuit<T: Real> {
    /// Component values the coefficients were derived from.
    constants: CircuitConstants,
    /// `c` of the module doc: the linear (diagonal) part of the scaled system.
    diag: [T; 3],
    /// `2C/h` and `2Cp/h`: convert voltage histories into the currents of the scaled system.
    two_c_over_h: T,
    two_cp_over_h: T,
    /// `h/(2L)`: the trapezoidal inductor coefficient.
    h_over_2l: T,
    /// `1/R_m`: the modulator's conductance into node 1.
    g_m: T,
    /// Diode law coefficient k of g(v) = k·v⁴.
    diode_k: T,
    /// Trapezoidal histories of v1, v2, v3.
    s: [T; 3],
    /// Trapezoidal histories of i1, i2.
    t: [T; 2],
    /// Solution of the last step (warm start).
    v: [T; 3],
    /// Solution of the step before (for the linear-extrapolation predictor).
    v_prev: [T; 3],
    /// Relative convergence tolerance on the Newton step.
    tolerance: T,
    /// Newton steps longer than this (volts) go through the line search.
    line_search_above: T,
    /// Solver statistics.
    stats: SolverStats,
}

/// Cap on step halvings per Newton iteration (2⁻¹² is far below any useful step).
const MAX_BACKTRACKS: u32 = 12;

impl<T: Real> DiodeRingCircuit<T> {
    /// A circuit integrated at `step_rate` steps per second (the oversampled rate).
    pub fn new(constants: CircuitConstants, step_rate: f64) -> Self {
        let mut circuit = Self {
            constants,
            diag: [T::ZERO; 3],
            two_c_over_h: T::ZERO,
            two_cp_over_h: T::ZERO,
            h_over_2l: T::ZERO,
            g_m: T::ZERO,
            diode_k: T::from_f64(constants.diode_k),
            s: [T::ZERO; 3],
            t: [T::ZERO; 2],
            v: [T::ZERO; 3],
            v_prev: [T::ZERO; 3],
            // Step tolerance; the resulting error is about its square (see `step`).
            tolerance: T::from_f64(DEFAULT_STEP_TOLERANCE),
            line_search_above: T::from_f64(0.05),
            stats: SolverStats::default(),
        };
        circuit.set_step_rate(step_rate);
        circuit
    }

    /// Change the integration rate (e.g. when the oversampling factor changes). Resets the state.
    pub fn set_step_rate(&mut self, step_rate: f64) {
        let k = &self.constants;
        let h = 1.0 / step_rate.max(1.0);
        let two_c_over_h = 2.0 * k.c / h;
        let two_cp_over_h = 2.0 * k.c_p / h;
        let h_over_2l = h / (2.0 * k.l);
        self.two_c_over_h = T::from_f64(two_c_over_h);
        self.two_cp_over_h = T::from_f64(two_cp_over_h);
        self.h_over_2l = T::from_f64(h_over_2l);
        self.g_m = T::from_f64(1.0 / k.r_m);
        self.diag = [
            T::from_f64(two_c_over_h + 1.0 / k.r_m + h_over_2l),
            T::from_f64(two_c_over_h + 1.0 / k.r_a + h_over_2l),
            T::from_f64(two_cp_over_h + 1.0 / k.r_i),
        ];
        self.reset();
    }

    /// Override the relative Newton tolerance (the reference uses a much tighter one).
    pub fn set_tolerance(&mut self, tolerance: T) {
        self.tolerance = tolerance;
    }

    /// Zero all state: the circuit at rest.
    pub fn reset(&mut self) {
        self.s = [T::ZERO; 3];
        self.t = [T::ZERO; 2];
        self.v = [T::ZERO; 3];
        self.v_prev = [T::ZERO; 3];
    }

    /// Return and clear the solver statistics.
    pub fn take_stats(&mut self) -> SolverStats {
        core::mem::take(&mut self.stats)
    }

    /// Every state variable, for tests (denormal and finiteness checks).
    pub fn state(&self) -> [T; 11] {
        let (s, t, v, p) = (self.s, self.t, self.v, self.v_prev);
        [s[0], s[1], s[2], t[0], t[1], v[0], v[1], v[2], p[0], p[1], p[2]]
    }

    /// The convex potential Φ(v) = Σ c_i v_i²/2 − q·v + Σ_j k·max(v_j, 0)⁵/5, whose gradient is
    /// the residual F of the module doc.
    #[inline]
    fn potential(&self, v: &[T; 3], q: &[T; 3], v_c: T) -> T {
        let half = T::from_f64(0.5);
        let x = half * (v[0] - v[1]);
        let y = half * (v[0] + v[1]);
        let r = v[2] + v_c;
        let g5 = |u: T| {
            let p = u.max(T::ZERO);
            let p2 = p * p;
            p2 * p2 * p
        };
        let diodes = g5(x - r) + g5(-x - r) + g5(y + r) + g5(-y + r);
        half * (self.diag[0] * v[0] * v[0] + self.diag[1] * v[1] * v[1] + self.diag[2] * v[2] * v[2])
            - (q[0] * v[0] + q[1] * v[1] + q[2] * v[2])
            + self.diode_k * T::from_f64(0.2) * diodes
    }

    /// Advance one step with modulator `v_m` and carrier `v_c` (volts, at the end of the step);
    /// returns the output voltage v2.
    #[inline]
    pub fn step(&mut self, v_m: T, v_c: T) -> T {
        // Non-finite input cannot be integrated; treat it as silence so the state stays valid.
        let v_m = if v_m.is_finite() { v_m } else { T::ZERO };
        let v_c = if v_c.is_finite() { v_c } else { T::ZERO };

        let q = [
            self.s[0] * self.two_c_over_h + self.t[0] + v_m * self.g_m,
            self.s[1] * self.two_c_over_h + self.t[1],
            self.s[2] * self.two_cp_over_h,
        ];
        let half = T::from_f64(0.5);
        let k = self.diode_k;
        let four_k = k * T::from_f64(4.0);

        // Predictor: linear extrapolation of the last two solutions.
        let mut v = [
            self.v[0] + self.v[0] - self.v_prev[0],
            self.v[1] + self.v[1] - self.v_prev[1],
            self.v[2] + self.v[2] - self.v_prev[2],
        ];

        let mut iterations = 0u32;
        let mut converged = false;
        while iterations < MAX_NEWTON_ITERATIONS {
            iterations += 1;
            // Diode voltages.
            let x = half * (v[0] - v[1]); // v1/2 − v2/2
            let y = half * (v[0] + v[1]); // v1/2 + v2/2
            let r = v[2] + v_c;
            let v4 = x - r;
            let v5 = -x - r;
            let v6 = y + r;
            let v7 = -y + r;
            // g(v) = k·max(v,0)⁴ and g'(v) = 4k·max(v,0)³.
            let p4 = v4.max(T::ZERO);
            let p5 = v5.max(T::ZERO);
            let p6 = v6.max(T::ZERO);
            let p7 = v7.max(T::ZERO);
            let (c4, c5, c6, c7) = (p4 * p4 * p4, p5 * p5 * p5, p6 * p6 * p6, p7 * p7 * p7);
            let (g4, g5, g6, g7) = (k * c4 * p4, k * c5 * p5, k * c6 * p6, k * c7 * p7);
            let (d4, d5, d6, d7) = (four_k * c4, four_k * c5, four_k * c6, four_k * c7);

            // Residual F = c∘v − q + Aᵀg.
            let f0 = self.diag[0] * v[0] - q[0] + half * (g4 - g5 + g6 - g7);
            let f1 = self.diag[1] * v[1] - q[1] + half * (-g4 + g5 + g6 - g7);
            let f2 = self.diag[2] * v[2] - q[2] + (-g4 - g5 + g6 + g7);

            // Jacobian diag(c) + Aᵀ diag(g') A (symmetric positive definite).
            let quarter = T::from_f64(0.25);
            let sum = d4 + d5 + d6 + d7;
            let j00 = self.diag[0] + quarter * sum;
            let j11 = self.diag[1] + quarter * sum;
            let j22 = self.diag[2] + sum;
            let j01 = quarter * (-d4 - d5 + d6 + d7);
            let j02 = half * (-d4 + d5 + d6 - d7);
            let j12 = half * (d4 - d5 + d6 - d7);

            // Cramer's rule on the symmetric 3×3 system J·Δ = −F: the cofactors are independent
            // of each other (short dependency chains) and there is a single division. J is
            // positive definite, so det > 0.
            let a00 = j11 * j22 - j12 * j12;
            let a01 = j02 * j12 - j01 * j22;
            let a02 = j01 * j12 - j11 * j02;
            let a11 = j00 * j22 - j02 * j02;
            let a12 = j01 * j02 - j00 * j12;
            let a22 = j00 * j11 - j01 * j01;
            let inv_det = -T::ONE / (j00 * a00 + j01 * a01 + j02 * a02);
            let d0 = inv_det * (a00 * f0 + a01 * f1 + a02 * f2);
            let d1 = inv_det * (a01 * f0 + a11 * f1 + a12 * f2);
            let d2 = inv_det * (a02 * f0 + a12 * f1 + a22 * f2);

            let largest = d0.abs().max(d1.abs()).max(d2.abs());
            // A NaN step (possible only from overflow in absurd states) is abandoned.
            if !largest.is_finite() {
                break;
            }
            // Long steps are globalised by a backtracking (Armijo) line search on the convex
            // potential Φ whose gradient is F: from an iterate where the linearisation thinks a
            // diode is off, the full Newton step can overshoot deep into the steep v⁴ region,
            // and halving until Φ decreases keeps every iterate bounded and convergent. Short
            // steps (the normal case, near the solution) skip it: Newton is reliable there and
            // Φ differences would drown in rounding.
            let mut alpha = T::ONE;
            if largest > self.line_search_above {
                let slope = f0 * d0 + f1 * d1 + f2 * d2; // ∇Φ·Δ < 0
                let phi0 = self.potential(&v, &q, v_c);
                let mut tries = 0;
                while tries < MAX_BACKTRACKS {
                    let trial = [v[0] + alpha * d0, v[1] + alpha * d1, v[2] + alpha * d2];
                    if self.potential(&trial, &q, v_c) <= phi0 + T::from_f64(1e-4) * alpha * slope {
                        break;
                    }
                    alpha *= half;
                    tries += 1;
                }
            }
            v[0] += alpha * d0;
            v[1] += alpha * d1;
            v[2] += alpha * d2;

            // Newton converges quadratically here (g is C³), so after a step of size δ the
            // remaining error is about M·δ² with M = |g''/g'| ≲ 3/|v|: stopping once δ is
            // below `tolerance` (a square root of the target error) saves the confirming
            // iteration. Relative to the signal size plus 1 mV so silence converges too.
            let size = v[0].abs().max(v[1].abs()).max(v[2].abs());
            if alpha == T::ONE && largest <= self.tolerance * (size + T::from_f64(1e-3)) {
                converged = true;
                break;
            }
        }

        self.stats.steps += 1;
        self.stats.iterations += iterations as u64;
        self.stats.max_iterations = self.stats.max_iterations.max(iterations);
        if !converged {
            self.stats.cap_hits += 1;
        }
        if !(v[0].is_finite() && v[1].is_finite() && v[2].is_finite()) {
            // Never keep a non-finite state: fall back to the previous solution.
            v = self.v;
        }

        // Trapezoidal updates: i = t − v·h/2L, t ← 2i − t; s ← 2v − s. The flush keeps decaying
        // state from ever becoming subnormal (models.md §5).
        let i1 = self.t[0] - v[0] * self.h_over_2l;
        let i2 = self.t[1] - v[1] * self.h_over_2l;
        self.t = [flush(i1 + i1 - self.t[0]), flush(i2 + i2 - self.t[1])];
        self.s = [
            flush(v[0] + v[0] - self.s[0]),
            flush(v[1] + v[1] - self.s[1]),
            flush(v[2] + v[2] - self.s[2]),
        ];
        self.v_prev = self.v;
        self.v = [flush(v[0]), flush(v[1]), flush(v[2])];
        self.v[1]
    }
}
