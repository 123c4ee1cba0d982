//! Diode ring modulator: the circuit model of Fontana & Bozzo, as given in De Pra & Fontana,
//! "Programming Real-Time Sound in Python", Applied Sciences 10(12), 2020, Algorithm 1
//! (docs/models.md, "Ring: circuit", sums up the equations, constants and traps).
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
//! `diag(c) + Aᵀ diag(g′) A` is symmetric positive definite.
//!
//! **Coordinates.** The solver works in `u = (x, y, r)` with `x = (v1 − v2)/2`,
//! `y = (v1 + v2)/2`, `r = v3 + v_c`; its x and y equations are the difference and the sum of
//! those of nodes 1 and 2, and every equation is divided by `k`:
//!
//! ```text
//! F(u) = L·u − Q + D(u),   L = [[a, b, 0], [b, a, 0], [0, 0, γ]],   p_j = max(v_j, 0)
//! v4 = x − r,  v5 = −x − r,  v6 = y + r,  v7 = r − y
//! D(u) = (p4⁴ − p5⁴,  p6⁴ − p7⁴,  p6⁴ + p7⁴ − p4⁴ − p5⁴)
//! a = (c1 + c2)/k,  b = (c1 − c2)/k,  γ = c3/k,  Q = ((q1 − q2)/k, (q1 + q2)/k, (q3 + c3·v_c)/k)
//! ```
//! Each diode voltage is then one addition, the carrier enters the right-hand side only, the
//! coupling of x and y is the constant `b`, diodes 4 and 5 act on the x equation and 6 and 7 on
//! the y equation, and the diode law needs no multiply by `k`. `F` is still the gradient of a
//! convex potential, `Φ = ½uᵀLu − Q·u + Σ p_j⁵/5`. The change of coordinates is linear, so
//! Newton's iterates and the line search on `Φ` are the same as in node voltages (up to
//! rounding), and the tolerance and the line-search threshold are still measured in node
//! voltages: `max |Δv_i| = max(|Δx| + |Δy|, |Δr|)`.
//!
//! **Newton.** The Jacobian needs no pivoting: it is solved by Cramer's rule (independent
//! cofactors, short dependency chains, one division). It is used divided by 4, which saves the
//! factor 4 of `g′ = 4p³` in every diode and costs nothing: it comes back in the numerator of
//! the division. Long steps go through a backtracking (Armijo) line search on `Φ`, with which
//! Newton converges from any start. A hard iteration cap bounds the work; on the (rare) step
//! that hits it, the last iterate is used and the next step recovers.
//!
//! **Predictor.** Every step solves the same system with a new right-hand side `Q`, and the
//! solution moves with it as `du = J⁻¹·dQ` (implicit function theorem). So each step starts
//! from the last solution plus `J⁻¹·(Q − Q_last)`, with `J⁻¹` kept from the last Newton
//! iteration of the step before (its cofactors times the inverse determinant that iteration
//! computed anyway). Unlike an extrapolation of past solutions this uses the step's new
//! inputs, which the stiff nodes follow within the step, and leaves only the second-order
//! change of `J` to Newton. `Q − Q_last` is formed from the last solution directly,
//! `κ∘u_last + e` with `e` from the histories before their last update and the inputs, rather
//! than through the updated histories: the same value up to rounding, on a shorter dependency
//! chain.
//!
//! **Tolerance.** Newton converges quadratically here (`g` is C³), so after a step of size `δ`
//! the error left is about `M·δ²` with `M = |g″/g′| ≲ 3/|v|`: stopping once `δ` is below the
//! tolerance (relative to the node voltages plus 1 mV) leaves an error of about its square and
//! saves the confirming iteration.
//!
//! **Denormals and absurd input.** The histories, which integrate small increments, are
//! flushed (below `FLUSH_BELOW`, exactly zero); the rest of the state is recomputed every step
//! and goes through a cheaper rounding of tiny values to zero. Either way no state is ever
//! subnormal and silence brings it to exactly zero (docs/models.md, "Denormal guards"). Non-finite
//! input is treated as silence; a step that still fails (a non-finite solution, possible only from
//! overflow in absurd states) puts the circuit back at rest.
//!
//! Trapezoidal integration maps the stiff poles close to z = −1, where they ring at the
//! *oversampled* Nyquist frequency; that is in the decimator's stopband at every factor ≥ 2, so
//! it never reaches the output (the accuracy test against the 64× reference checks this).
//!
//! # Lock-step lanes
//! With the predictor, a step takes one Newton iteration at the plugin's default 8×: a chain of
//! dependent operations (predictor, diode law, cofactors, division, update) some 90 cycles
//! long, which the processor can hardly overlap with anything, since a step's first iterate
//! needs the last step's solution. The speed of one circuit is therefore set by latency, not
//! by the amount of arithmetic. Two circuits whose steps are independent, such as the channels
//! of a stereo pair, are solved together in one SIMD vector, which overlaps their chains:
//! [`process_lanes`]
//! takes circuits in groups of [`LOCK_STEP_CIRCUITS`] that iterate until all of them have
//! converged.
//!
//! The layout makes all four `f32` lanes of an SSE vector useful for a pair. Each vector holds
//! the x-equation quantity of circuits 0 and 1 in its low half and the y-equation quantity in
//! its high half (`x0 x1 | y0 y1`), or the r-equation quantity in both halves
//! (`r0 r1 | r0 r1`). The x and y halves of the system mirror each other (diodes 4 and 5 against
//! 6 and 7), so one vector operation does the x and the y work of both circuits, and the few
//! cross terms take a swap of the halves. An iteration of the pair costs about as many
//! instructions as a scalar iteration of one circuit.
//!
//! Every lane computes exactly what its circuit alone would: IEEE operations lane by lane (no
//! fused multiply-add), shuffles only within a circuit's own lanes, and the sum of the two
//! halves is the same in both (addition is commutative). A circuit that has converged is frozen
//! (masked) while its neighbour iterates; in the first iteration, where every circuit is still
//! active, no masking is needed. So the results are bit-identical to one circuit at a time,
//! whatever the grouping and the block size (tested). SSE2 is part of the x86-64 baseline: no
//! target-cpu flag is needed; elsewhere the lane type uses NEON or plain arrays. The `f64`
//! reference runs one circuit at a time.
//!
//! [`process_lanes`]: DiodeRingCircuit::process_lanes
//!
//! # Symmetries (tested)
//! The map `(v1, v2, v3, v_m, v_c) → (−v1, −v2, v3, −v_m, v_c)` permutes the diodes
//! (4↔5, 6↔7) and leaves the equations invariant, so the output is odd in the modulator; the map
//! `(v1, v3, v_m, v_c) → (−v1, −v3, −v_m, −v_c)` (4↔7, 5↔6) shows it is even under a joint sign
//! change; together: odd in the carrier too. A balanced modulator fed sines at `f_m` and `f_c`
//! therefore only outputs `p·f_m + q·f_c` with *both* `p` and `q` odd: no modulator, no carrier,
//! no DC, no even harmonics of either.

use core::array::from_fn;

use crate::real::Real;
use crate::solver::SolverStats;

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

/// Hard cap on Newton iterations per time step: bounds the worst-case cost per sample.
pub const MAX_NEWTON_ITERATIONS: u32 = 24;

/// Default relative Newton step tolerance. The error left is about its square (module doc,
/// "Tolerance"): measured against an f64 solve to 1e-9, the f32 solver error is below −119 dB
/// at 1× to 16× with +12 dB drive, far below the model's own discretisation error.
pub const DEFAULT_STEP_TOLERANCE: f64 = 1e-3;

/// Cap on step halvings per Newton iteration (2⁻¹² is far below any useful step).
const MAX_BACKTRACKS: u32 = 12;

/// Lanes of the widest lane vector (see [`SolverReal`]); a circuit takes two of them.
const MAX_LANES: usize = 4;

/// Most circuits [`DiodeRingCircuit::process_lanes`] solves in lock-step (in `f32`; the `f64`
/// reference solves one at a time).
pub const LOCK_STEP_CIRCUITS: usize = MAX_LANES / 2;

/// Number of values [`DiodeRingCircuit::state`] returns.
pub const STATE_LEN: usize = 11;

/// The float types the circuit can be solved in, each with its lane vector (module doc,
/// "Lock-step lanes"): `f32` puts two circuits in one SSE2 vector on x86-64 (four plain `f32`
/// lanes elsewhere), `f64` (the reference) one circuit in two plain lanes.
pub trait SolverReal: Real {
    /// The lane vector the solver runs on.
    type Lanes: lanes::LaneVector<Scalar = Self>;
}

impl SolverReal for f32 {
    type Lanes = crate::simd::f32x4;
}

impl SolverReal for f64 {
    type Lanes = lanes::Portable<f64, 2>;
}

/// Per-rate coefficients of the scaled system (module doc, "Solver"): every equation divided by
/// the diode coefficient k, in the coordinates u = (x, y, r).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Coefficients<T> {
    /// `(c1 + c2)/k`: the linear part's diagonal in x and in y.
    lin_xy: T,
    /// `(c1 − c2)/k`: the linear part's (constant) coupling of x and y.
    lin_coupling: T,
    /// `c3/k`: the linear part of the r equation.
    lin_r: T,
    /// `2C/(h·k)`: weight of the voltage histories of nodes 1 and 2 in the right-hand side.
    hist_c: T,
    /// `2Cp/(h·k)`: weight of the voltage history of node 3 in the right-hand side.
    hist_cp: T,
    /// `1/k`: weight of the current histories in the right-hand side.
    inv_k: T,
    /// `1/(R_m·k)`: weight of the modulator in the right-hand side.
    mod_gain: T,
    /// `2h/L`: the current histories' step per unit of x or y (`t ← t − v·h/L`, `v1 ∓ v2 = 2x, 2y`).
    current_step: T,
    /// `4(2C/h − h/2L)/k`: how the next right-hand side in x and y moves with this step's x and y.
    kappa_xy: T,
    /// `4Cp/(h·k)`: how the next right-hand side in r moves with this step's r.
    kappa_r: T,
    /// Relative convergence tolerance on the Newton step.
    tolerance: T,
    /// Newton steps longer than this (volts) go through the line search.
    line_search_above: T,
}

/// The circuit, integrated with the trapezoidal rule at a fixed step.
#[derive(Clone, Debug)]
pub struct DiodeRingCircuit<T: Real> {
    /// Component values the coefficients were derived from.
    constants: CircuitConstants,
    /// Per-rate coefficients of the scaled system.
    coef: Coefficients<T>,
    /// Trapezoidal histories of the node voltages as `(s1 − s2, s1 + s2, s3)`.
    s: [T; 3],
    /// Trapezoidal histories of the inductor currents as `(t1 − t2, t1 + t2)`.
    t: [T; 2],
    /// Solution of the last step in solver coordinates `(x, y, r)`.
    u: [T; 3],
    /// The last step's share of the next right-hand side change (predictor).
    dq_base: [T; 3],
    /// Inverse Jacobian of the last Newton iteration: `(xx, yy, xy, xr, yr, rr)`.
    jinv: [T; 6],
    /// Solver statistics.
    stats: SolverStats,
}

impl<T: SolverReal> DiodeRingCircuit<T> {
    /// A circuit integrated at `step_rate` steps per second (the oversampled rate).
    pub fn new(constants: CircuitConstants, step_rate: f64) -> Self {
        let zero = T::ZERO;
        let mut circuit = Self {
            constants,
            coef: Coefficients {
                lin_xy: zero,
                lin_coupling: zero,
                lin_r: zero,
                hist_c: zero,
                hist_cp: zero,
                inv_k: zero,
                mod_gain: zero,
                current_step: zero,
                kappa_xy: zero,
                kappa_r: zero,
                // Step tolerance; the resulting error is about its square (module doc).
                tolerance: T::from_f64(DEFAULT_STEP_TOLERANCE),
                line_search_above: T::from_f64(0.05),
            },
            s: [zero; 3],
            t: [zero; 2],
            u: [zero; 3],
            dq_base: [zero; 3],
            jinv: [zero; 6],
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
        let c1 = two_c_over_h + 1.0 / k.r_m + h_over_2l;
        let c2 = two_c_over_h + 1.0 / k.r_a + h_over_2l;
        let c3 = two_cp_over_h + 1.0 / k.r_i;
        let inv_k = 1.0 / k.diode_k;
        let coef = &mut self.coef;
        coef.lin_xy = T::from_f64((c1 + c2) * inv_k);
        coef.lin_coupling = T::from_f64((c1 - c2) * inv_k);
        coef.lin_r = T::from_f64(c3 * inv_k);
        coef.hist_c = T::from_f64(two_c_over_h * inv_k);
        coef.hist_cp = T::from_f64(two_cp_over_h * inv_k);
        coef.inv_k = T::from_f64(inv_k);
        coef.mod_gain = T::from_f64(inv_k / k.r_m);
        coef.current_step = T::from_f64(4.0 * h_over_2l);
        coef.kappa_xy = T::from_f64(4.0 * (two_c_over_h - h_over_2l) * inv_k);
        coef.kappa_r = T::from_f64(2.0 * two_cp_over_h * inv_k);
        self.reset();
    }

    /// Override the relative Newton tolerance (the reference uses a much tighter one).
    pub fn set_tolerance(&mut self, tolerance: T) {
        self.coef.tolerance = tolerance;
    }

    /// Zero all state: the circuit at rest.
    pub fn reset(&mut self) {
        let zero = T::ZERO;
        self.s = [zero; 3];
        self.t = [zero; 2];
        self.u = [zero; 3];
        self.dq_base = [zero; 3];
        // No Jacobian yet: the first step predicts "no change" (and then converges from rest).
        self.jinv = [zero; 6];
    }

    /// Return and clear the solver statistics.
    pub fn take_stats(&mut self) -> SolverStats {
        core::mem::take(&mut self.stats)
    }

    /// Every state variable that decays with the signal, for tests (denormal and finiteness
    /// checks). The cached inverse Jacobian is left out: it tends to a constant, not to zero.
    pub fn state(&self) -> [T; STATE_LEN] {
        let (s, t, u, d) = (self.s, self.t, self.u, self.dq_base);
        [s[0], s[1], s[2], t[0], t[1], u[0], u[1], u[2], d[0], d[1], d[2]]
    }

    /// Advance one step with modulator `v_m` and carrier `v_c` (volts, at the end of the step);
    /// returns the output voltage v2. The same arithmetic as [`Self::process_lanes`], so the
    /// results are bit-identical.
    #[inline]
    pub fn step(&mut self, v_m: T, v_c: T) -> T {
        let mut kernel = Kernel::<T::Lanes>::load(from_fn(|c| (c == 0).then_some(&*self)));
        // This circuit's lanes (the first of each half); the others stay at rest.
        let n = <T::Lanes as LaneVector>::LANES / 2;
        let lanes = |x: T| T::Lanes::from_fn(|l| if l % n == 0 { x } else { T::ZERO });
        let y = kernel.step(lanes(v_m), lanes(v_c)).to_array()[0];
        kernel.store(0, self);
        let [count, ..] = kernel.take_counts();
        self.stats.steps += 1;
        self.stats.iterations += count.iterations;
        self.stats.max_iterations = self.stats.max_iterations.max(count.max_iterations);
        self.stats.cap_hits += count.cap_hits;
        y
    }

    /// Advance every given circuit over its own block. Circuits are taken in groups of
    /// [`LOCK_STEP_CIRCUITS`] (in `f32`) that share every Newton iteration until all of them
    /// have converged (module doc, "Lock-step lanes"). Each circuit's arithmetic is exactly
    /// that of the circuit alone, so the results are bit-identical to processing them one at a
    /// time, whatever the grouping and the block size. Only the common length of a group's
    /// slices is processed.
    pub fn process_lanes<'a>(blocks: impl IntoIterator<Item = LaneBlock<'a, T>>)
    where
        T: 'a,
    {
        let width = (<T::Lanes as LaneVector>::LANES / 2).clamp(1, LOCK_STEP_CIRCUITS);
        let mut group: [Option<LaneBlock<'a, T>>; LOCK_STEP_CIRCUITS] = [const { None }; LOCK_STEP_CIRCUITS];
        let mut filled = 0;
        for block in blocks {
            if let Some(slot) = group.get_mut(filled) {
                *slot = Some(block);
                filled += 1;
            }
            if filled >= width {
                run_group(&mut group[..filled]);
                filled = 0;
            }
        }
        if filled > 0 {
            run_group(&mut group[..filled]);
        }
    }
}

/// One circuit's share of a lock-step run, for [`DiodeRingCircuit::process_lanes`].
pub struct LaneBlock<'a, T: Real> {
    /// The circuit whose state advances.
    pub circuit: &'a mut DiodeRingCircuit<T>,
    /// Modulator voltage per step.
    pub modulator: &'a [T],
    /// Carrier voltage per step.
    pub carrier: &'a [T],
    /// Receives the output voltage per step.
    pub out: &'a mut [T],
}

/// Steps gathered per chunk in [`run_group`]: the inputs are first laid out lane by lane in a
/// small stack buffer, so that each step loads them with one vector load.
const CHUNK: usize = 64;

/// Run one group (at most the lock-step width; all `Some`) over the common length of its
/// slices.
fn run_group<'a, T: SolverReal>(group: &mut [Option<LaneBlock<'a, T>>]) {
    let circuits = <T::Lanes as LaneVector>::LANES / 2;
    let used = group.len().min(circuits);
    let group = &mut group[..used];
    let mut len = usize::MAX;
    for b in group.iter().flatten() {
        len = len.min(b.modulator.len()).min(b.carrier.len()).min(b.out.len());
    }
    if len == usize::MAX || len == 0 {
        return;
    }
    let circuit = |c: usize| group.get(c).and_then(Option::as_ref).map(|b| &*b.circuit);
    let mut kernel = Kernel::<T::Lanes>::load(from_fn(circuit));
    let mut start = 0;
    while start < len {
        let n = (len - start).min(CHUNK);
        // Each circuit's inputs in both of its lanes; lanes without a circuit get zero input,
        // so they stay exactly at rest.
        let mut modulators = [[T::ZERO; MAX_LANES]; CHUNK];
        let mut carriers = [[T::ZERO; MAX_LANES]; CHUNK];
        for (c, b) in group.iter().enumerate() {
            if let Some(b) = b {
                let inputs = b.modulator[start..start + n].iter().zip(&b.carrier[start..start + n]);
                for ((m_lanes, c_lanes), (&m, &v)) in modulators.iter_mut().zip(carriers.iter_mut()).zip(inputs) {
                    (m_lanes[c], m_lanes[c + circuits]) = (m, m);
                    (c_lanes[c], c_lanes[c + circuits]) = (v, v);
                }
            }
        }
        let mut outs = [[T::ZERO; MAX_LANES]; CHUNK];
        for ((o, m), c) in outs[..n].iter_mut().zip(&modulators).zip(&carriers) {
            *o = kernel.step(T::Lanes::from_array(m), T::Lanes::from_array(c)).to_array();
        }
        // The statistics too, every chunk: the kernel counts in floats, exact only so far.
        let counts = kernel.take_counts();
        for ((c, b), count) in group.iter_mut().enumerate().zip(counts) {
            if let Some(b) = b {
                for (y, o) in b.out[start..start + n].iter_mut().zip(&outs) {
                    *y = o[c];
                }
                let stats = &mut b.circuit.stats;
                stats.steps += n as u64;
                stats.iterations += count.iterations;
                stats.max_iterations = stats.max_iterations.max(count.max_iterations);
                stats.cap_hits += count.cap_hits;
            }
        }
        start += n;
    }
    for (c, b) in group.iter_mut().enumerate() {
        if let Some(b) = b {
            kernel.store(c, b.circuit);
        }
    }
}

/// The lock-step solver: the state and coefficients of up to `V::LANES / 2` circuits for the
/// duration of one block (loaded from and stored back to the circuits around it). Circuit `c`
/// occupies lane `c` of the low half and lane `c` of the high half of every vector: "xy"
/// vectors hold its x-equation quantity low and its y-equation quantity high, "r" vectors hold
/// the same r-equation quantity in both halves (module doc, "Lock-step lanes").
struct Kernel<V: LaneVector> {
    /// `lin_xy | lin_xy`: see [`Coefficients::lin_xy`].
    lin_xy: V,
    /// `lin_coupling | lin_coupling`: see [`Coefficients::lin_coupling`].
    lin_coupling: V,
    /// See [`Coefficients::lin_r`].
    lin_r: V,
    /// See [`Coefficients::hist_c`].
    hist_c: V,
    /// See [`Coefficients::hist_cp`].
    hist_cp: V,
    /// See [`Coefficients::inv_k`].
    inv_k: V,
    /// See [`Coefficients::mod_gain`].
    mod_gain: V,
    /// See [`Coefficients::current_step`].
    current_step: V,
    /// See [`Coefficients::kappa_xy`].
    kappa_xy: V,
    /// See [`Coefficients::kappa_r`].
    kappa_r: V,
    /// See [`Coefficients::tolerance`].
    tolerance: V,
    /// See [`Coefficients::line_search_above`].
    line_search_above: V,
    /// Voltage histories `s1 − s2 | s1 + s2`.
    s_xy: V,
    /// Voltage history `s3`.
    s_r: V,
    /// Current histories `t1 − t2 | t1 + t2`.
    t_xy: V,
    /// Last solution `x | y`.
    u_xy: V,
    /// Last solution `r`.
    u_r: V,
    /// Predictor base, x and y equations: see [`DiodeRingCircuit::dq_base`].
    dq_xy: V,
    /// Predictor base, r equation.
    dq_r: V,
    /// Inverse Jacobian `xx | yy`.
    j_diag: V,
    /// Inverse Jacobian `xy`.
    j_xy: V,
    /// Inverse Jacobian `xr | yr`.
    j_r: V,
    /// Inverse Jacobian `rr`.
    j_rr: V,
    /// Lanes that hold a circuit. The others see zero input and stay exactly at rest, so they
    /// never need a second iteration; they are neither counted nor stored.
    used: V::Mask,
    /// Newton iterations since the last [`Self::take_counts`] (exact: at most 24 per step).
    iterations: V,
    /// Most iterations of any one step since then.
    max_iterations: V,
    /// Steps that hit the iteration cap since then.
    cap_hits: V,
}

impl<V: LaneVector> Kernel<V> {
    /// Gather the circuits into lanes (`x`/`y` pairs and duplicated `r` values, see the struct
    /// doc); missing circuits copy circuit 0's coefficients (any finite values would do) and
    /// start at rest.
    #[inline(always)]
    fn load(c: [Option<&DiodeRingCircuit<V::Scalar>>; LOCK_STEP_CIRCUITS]) -> Self {
        const { assert!(V::LANES % 2 == 0 && V::LANES / 2 <= LOCK_STEP_CIRCUITS && V::LANES <= MAX_LANES) };
        let zero = V::Scalar::ZERO;
        let n = V::LANES / 2;
        type Circuit<S> = DiodeRingCircuit<S>;
        let coef = |f: fn(&Coefficients<V::Scalar>) -> V::Scalar| {
            V::from_fn(|l| c[l % n].or(c[0]).map_or(zero, |c| f(&c.coef)))
        };
        // A pair `low | high` of state values, and one value in both halves.
        let pair = |f: fn(&Circuit<V::Scalar>) -> [V::Scalar; 2]| V::from_fn(|l| c[l % n].map_or(zero, |c| f(c)[l / n]));
        let both = |f: fn(&Circuit<V::Scalar>) -> V::Scalar| V::from_fn(|l| c[l % n].map_or(zero, f));
        let used = V::Mask::circuits(c.iter().take(n).take_while(|c| c.is_some()).count());
        Self {
            lin_xy: coef(|c| c.lin_xy),
            lin_coupling: coef(|c| c.lin_coupling),
            lin_r: coef(|c| c.lin_r),
            hist_c: coef(|c| c.hist_c),
            hist_cp: coef(|c| c.hist_cp),
            inv_k: coef(|c| c.inv_k),
            mod_gain: coef(|c| c.mod_gain),
            current_step: coef(|c| c.current_step),
            kappa_xy: coef(|c| c.kappa_xy),
            kappa_r: coef(|c| c.kappa_r),
            tolerance: coef(|c| c.tolerance),
            line_search_above: coef(|c| c.line_search_above),
            s_xy: pair(|c| [c.s[0], c.s[1]]),
            s_r: both(|c| c.s[2]),
            t_xy: pair(|c| c.t),
            u_xy: pair(|c| [c.u[0], c.u[1]]),
            u_r: both(|c| c.u[2]),
            dq_xy: pair(|c| [c.dq_base[0], c.dq_base[1]]),
            dq_r: both(|c| c.dq_base[2]),
            j_diag: pair(|c| [c.jinv[0], c.jinv[1]]),
            j_xy: both(|c| c.jinv[2]),
            j_r: pair(|c| [c.jinv[3], c.jinv[4]]),
            j_rr: both(|c| c.jinv[5]),
            used,
            iterations: V::splat_f64(0.0),
            max_iterations: V::splat_f64(0.0),
            cap_hits: V::splat_f64(0.0),
        }
    }

    /// Write the state of circuit `c` back.
    #[inline(always)]
    fn store(&self, c: usize, circuit: &mut DiodeRingCircuit<V::Scalar>) {
        let n = V::LANES / 2;
        let c = c.min(n - 1);
        let low = |v: V| v.to_array()[c];
        let high = |v: V| v.to_array()[c + n];
        circuit.s = [low(self.s_xy), high(self.s_xy), low(self.s_r)];
        circuit.t = [low(self.t_xy), high(self.t_xy)];
        circuit.u = [low(self.u_xy), high(self.u_xy), low(self.u_r)];
        circuit.dq_base = [low(self.dq_xy), high(self.dq_xy), low(self.dq_r)];
        let (j_diag, j_r) = (self.j_diag, self.j_r);
        circuit.jinv = [low(j_diag), high(j_diag), low(self.j_xy), low(j_r), high(j_r), low(self.j_rr)];
    }

    /// The solver statistics per circuit since the last call (`steps` left at 0), and restart
    /// counting.
    #[inline(always)]
    fn take_counts(&mut self) -> [SolverStats; LOCK_STEP_CIRCUITS] {
        let (iterations, max_iterations, cap_hits) =
            (self.iterations.to_array(), self.max_iterations.to_array(), self.cap_hits.to_array());
        let zero = V::splat_f64(0.0);
        (self.iterations, self.max_iterations, self.cap_hits) = (zero, zero, zero);
        from_fn(|c| SolverStats {
            steps: 0,
            iterations: iterations[c].to_f64() as u64,
            max_iterations: max_iterations[c].to_f64() as u32,
            cap_hits: cap_hits[c].to_f64() as u64,
        })
    }

    /// The convex potential Φ/k (both halves), whose gradient is the residual F.
    #[inline(always)]
    fn potential(&self, u_xy: V, u_r: V, q_xy: V, q_r: V) -> V {
        let p5 = |v: V| {
            let p = v.pos();
            let p2 = p * p;
            p2 * p2 * p
        };
        let signed_r = u_r.neg_low();
        let diodes = p5(u_xy + signed_r) + p5(signed_r - u_xy);
        let b2 = self.lin_coupling + self.lin_coupling;
        let quadratic =
            self.lin_xy * (u_xy * u_xy).sum_halves() + b2 * (u_xy * u_xy.swap_halves()) + self.lin_r * (u_r * u_r);
        let linear = (q_xy * u_xy).sum_halves() + q_r * u_r;
        V::splat_f64(0.5) * quadratic - linear + V::splat_f64(0.2) * diodes.sum_halves()
    }

    /// Advance every circuit one step with modulator `v_m` and carrier `v_c` (each circuit's
    /// value in both of its lanes); returns the outputs in the low half.
    #[inline(always)]
    fn step(&mut self, v_m: V, v_c: V) -> V {
        let zero = V::splat_f64(0.0);
        let one = V::splat_f64(1.0);
        let half = V::splat_f64(0.5);
        // Non-finite input cannot be integrated; treat it as silence so the state stays valid.
        let v_m = V::select(v_m.is_finite(), v_m, zero);
        let v_c = V::select(v_c.is_finite(), v_c, zero);

        // Right-hand side Q of the scaled system, from the histories and the inputs:
        // `q_x | q_y` = (s1 ∓ s2)·2C/(hk) + (t1 ∓ t2)/k + v_m/(R_m·k), and q_r.
        let m = v_m * self.mod_gain;
        let c_in = v_c * self.lin_r;
        let q_xy = (self.s_xy * self.hist_c + self.t_xy * self.inv_k) + m;
        let q_r = self.s_r * self.hist_cp + c_in;

        // Predictor: the solution moves with Q as du = J⁻¹·dQ (module doc). dQ is formed from
        // the last solution directly (not through the updated histories), which keeps the
        // chain from one step's solution to the next step's first iterate short.
        let (x0, r0) = (self.u_xy, self.u_r);
        let dq_xy = self.kappa_xy * x0 + (m - self.dq_xy);
        let dq_r = self.kappa_r * r0 + (c_in - self.dq_r);
        let mut u_xy = x0 + ((self.j_diag * dq_xy + self.j_xy * dq_xy.swap_halves()) + self.j_r * dq_r);
        let mut u_r = r0 + ((self.j_r * dq_xy).sum_halves() + self.j_rr * dq_r);

        let b = self.lin_coupling;
        // The Jacobian is used divided by 4 (see below): its linear part, exactly.
        let quarter = V::splat_f64(0.25);
        let (h_xy, h_b, h_r) = (quarter * self.lin_xy, quarter * b, quarter * self.lin_r);
        let h_bb = h_b * h_b;
        let (mut j_diag, mut j_xy, mut j_r, mut j_rr) = (self.j_diag, self.j_xy, self.j_r, self.j_rr);
        let mut active = self.used;
        let mut converged = V::Mask::circuits(0);
        let mut iterations = zero;
        let mut pass = 0;
        while pass < MAX_NEWTON_ITERATIONS && active.any() {
            pass += 1;
            // In the first pass every used lane is active and the unused ones sit exactly at
            // rest (their step is zero), so no lane needs masking: the common case (one pass)
            // runs without the selects.
            let masked = pass > 1;
            iterations = iterations + V::select(active, one, zero);
            // Diode voltages `v4 | v6` = `x − r | y + r` and `v5 | v7` = `−x − r | r − y`,
            // rectified: p = max(v, 0); g/k = p⁴ and g'/(4k) = p³.
            let signed_r = u_r.neg_low();
            let p_a = (u_xy + signed_r).pos();
            let p_b = (signed_r - u_xy).pos();
            let (sq_a, sq_b) = (p_a * p_a, p_b * p_b);
            let (g_a, g_b) = (sq_a * sq_a, sq_b * sq_b);
            let (a_a, a_b) = (p_a * sq_a, p_b * sq_b);
            // Negated residual −F: `−F_x | −F_y` and −F_r.
            let nf_xy = (q_xy - (self.lin_xy * u_xy + b * u_xy.swap_halves())) + (g_b - g_a);
            let g_sum = g_a + g_b; // g4 + g5 | g6 + g7
            let nf_r = (q_r - self.lin_r * u_r) + (g_sum - g_sum.swap_halves()).low_to_both();
            // H = J/4, the Jacobian divided by 4 (symmetric positive definite; the x–y coupling
            // is the constant b/4): it needs no multiply by 4 per diode, and the factor comes
            // back for free in the division, J⁻¹ = adj(H)/(4·det H).
            let a_sum = a_a + a_b; // a4 + a5 | a6 + a7
            let h_diag = h_xy + a_sum; // hxx | hyy
            let h_rr = h_r + a_sum.sum_halves();
            let h_cross = (a_b - a_a).neg_high(); // hxr = a5 − a4 | hyr = a6 − a7
            // Cramer's rule: independent cofactors (short dependency chains), one division.
            let (h_diag_swap, h_cross_swap) = (h_diag.swap_halves(), h_cross.swap_halves());
            let c_diag = h_diag_swap * h_rr - h_cross_swap * h_cross_swap; // c00 | c11
            let c_r = h_b * h_cross_swap - h_diag_swap * h_cross; // c02 | c12
            let c_xy = h_cross * h_cross_swap - h_b * h_rr; // c01
            let c_rr = h_diag * h_diag_swap - h_bb; // c22
            // det H expanded along its last row: h_rr, the entry that is ready last, enters
            // through one multiply-add.
            let inv = quarter / (h_rr * c_rr + (h_cross * c_r).sum_halves());
            let d_xy = ((c_diag * nf_xy + c_xy * nf_xy.swap_halves()) + c_r * nf_r) * inv;
            let d_r = ((c_r * nf_xy).sum_halves() + c_rr * nf_r) * inv;
            // Keep the inverse Jacobian for the next step's predictor.
            let new_j = [c_diag * inv, c_xy * inv, c_r * inv, c_rr * inv];
            for (j, new) in [&mut j_diag, &mut j_xy, &mut j_r, &mut j_rr].into_iter().zip(new_j) {
                *j = if masked { V::select(active, new, *j) } else { new };
            }

            // The largest change of a node voltage, the unit of the tolerance and of the line
            // search: max(|dx + dy|, |dy − dx|, |dr|) = max(|dx| + |dy|, |dr|), also in
            // floating point.
            let largest = d_xy.abs().sum_halves().max(d_r.abs());
            // A NaN step (possible only from overflow in absurd states) is abandoned.
            let finite = largest.is_finite();
            // Long steps are globalised by a backtracking (Armijo) line search on the convex
            // potential Φ whose gradient is F: from an iterate where the linearisation thinks a
            // diode is off, the full Newton step can overshoot deep into the steep v⁴ region,
            // and halving until Φ decreases keeps every iterate bounded and convergent. Short
            // steps (the normal case, near the solution) skip it: Newton is reliable there and
            // Φ differences would drown in rounding. Per circuit: one circuit's search never
            // changes another's step.
            let search = active.and(finite).and(largest.gt(self.line_search_above));
            // Circuits whose step was taken in full (the convergence test needs a full step).
            let full = if search.any() {
                let slope = -((nf_xy * d_xy).sum_halves() + nf_r * d_r); // ∇Φ·Δ < 0
                let phi0 = self.potential(u_xy, u_r, q_xy, q_r);
                let armijo = V::splat_f64(1e-4);
                let mut alpha = one;
                let mut open = search;
                let mut tries = 0;
                while tries < MAX_BACKTRACKS {
                    tries += 1;
                    let phi = self.potential(u_xy + alpha * d_xy, u_r + alpha * d_r, q_xy, q_r);
                    open = open.and_not(phi.le(phi0 + armijo * alpha * slope));
                    if !open.any() {
                        break;
                    }
                    alpha = V::select(open, alpha * half, alpha);
                }
                u_xy = V::select(active, u_xy + alpha * d_xy, u_xy);
                u_r = V::select(active, u_r + alpha * d_r, u_r);
                alpha.eq(one)
            } else {
                // Full steps everywhere: no multiply (and in the first pass no select) on the
                // critical path.
                if masked {
                    u_xy = V::select(active, u_xy + d_xy, u_xy);
                    u_r = V::select(active, u_r + d_r, u_r);
                } else {
                    u_xy = u_xy + d_xy;
                    u_r = u_r + d_r;
                }
                active
            };

            // Newton converges quadratically here (g is C³), so after a step of size δ the
            // remaining error is about M·δ² with M = |g''/g'| ≲ 3/|v|: stopping once δ is
            // below `tolerance` (a square root of the target error) saves the confirming
            // iteration. Relative to the size of the node voltages (max(|x + y|, |y − x|,
            // |v3|) = max(|x| + |y|, |r − v_c|)) plus 1 mV so silence converges too.
            let size = u_xy.abs().sum_halves().max((u_r - v_c).abs());
            let bound = self.tolerance * (size + V::splat_f64(1e-3));
            let done = active.and(full).and(largest.le(bound));
            converged = converged.or(done);
            active = active.and_not(done).and(finite);
        }

        self.iterations = self.iterations + iterations;
        self.max_iterations = iterations.max(self.max_iterations);
        self.cap_hits = self.cap_hits + V::select(self.used.and_not(converged), one, zero);

        // State updates, each through a denormal guard (docs/models.md, "Denormal guards") so that
        // decaying state never turns subnormal and comes to rest exactly. The histories, which
        // integrate small increments, use the flush (a compare: values below FLUSH_BELOW become 0,
        // others are untouched); the rest is recomputed every step and uses the cheaper
        // `round_tiny`. Both from the unflushed solution: flushing it first would stop the
        // histories from decaying (s ← 2v − s only alternates once v is zero).
        // What this step contributes to the next step's dQ (see the predictor), subtracted
        // there: this step's right-hand side, less the next one's terms in the old histories.
        let two_hist_c = self.hist_c + self.hist_c;
        self.dq_xy = (two_hist_c * self.s_xy + m).round_tiny();
        self.dq_r = (self.kappa_r * (self.s_r + v_c) + c_in).round_tiny();
        // Trapezoidal updates with v1 ∓ v2 = 2x | 2y and v3 = r − v_c: s ← 2v − s gives
        // `s1 ∓ s2` ← 4·(x | y) − (s1 ∓ s2); i = t − v·h/2L, t ← 2i − t = t − v·h/L.
        let v3 = u_r - v_c;
        self.s_xy = (V::splat_f64(4.0) * u_xy - self.s_xy).flush_tiny();
        self.s_r = ((v3 + v3) - self.s_r).flush_tiny();
        self.t_xy = (self.t_xy - self.current_step * u_xy).flush_tiny();
        self.u_xy = u_xy.round_tiny();
        self.u_r = u_r.round_tiny();
        self.j_diag = j_diag.round_tiny();
        self.j_xy = j_xy.round_tiny();
        self.j_r = j_r.round_tiny();
        self.j_rr = j_rr.round_tiny();
        // The output v2 = y − x, in the low half.
        let out = (u_xy.swap_halves() - u_xy).round_tiny();

        // A step that failed outright (a non-finite solution, possible only from overflow in
        // absurd states) puts its circuit back at rest, so no state is ever left non-finite and
        // the next step starts afresh. The branch is never taken in practice, so the test
        // costs no latency.
        let failed = self.used.and_not((u_xy.abs().sum_halves() + v3.abs()).is_finite());
        if failed.any() {
            let rest = |x: &mut V| *x = V::select(failed, zero, *x);
            [&mut self.s_xy, &mut self.s_r, &mut self.t_xy, &mut self.u_xy, &mut self.u_r]
                .into_iter()
                .chain([&mut self.dq_xy, &mut self.dq_r, &mut self.j_diag, &mut self.j_xy, &mut self.j_r, &mut self.j_rr])
                .for_each(rest);
            return V::select(failed, zero, out);
        }
        out
    }
}

use lanes::{LaneMask, LaneVector};

/// Lane vectors: the element-wise arithmetic of the lock-step solver, plus the few shuffles
/// its layout needs (exchanging and summing the two halves). Every arithmetic operation acts on
/// each lane exactly as the scalar operation would (IEEE add, sub, mul, div; compare-and-select
/// for max and rectification), and every shuffle stays within a circuit's two lanes, so a
/// circuit's result never depends on its neighbours or on its position. Comparisons produce
/// masks.
mod lanes {
    use crate::real::Real;
    use core::array::from_fn;
    use core::ops::{Add, Div, Mul, Neg, Sub};

    /// A per-lane condition (always the same in both lanes of a circuit).
    pub trait LaneMask: Copy {
        /// Both lanes of the first `n` circuits set.
        fn circuits(n: usize) -> Self;
        /// Lane-wise `self && other`.
        fn and(self, other: Self) -> Self;
        /// Lane-wise `self && !other`.
        fn and_not(self, other: Self) -> Self;
        /// Lane-wise `self || other`.
        fn or(self, other: Self) -> Self;
        /// Any lane set.
        fn any(self) -> bool;
    }

    /// `LANES` values of one float type side by side: `LANES / 2` circuits, each with one lane
    /// in the low half and one in the high half.
    pub trait LaneVector:
        Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
    {
        /// The element type.
        type Scalar: Real;
        /// The comparison result.
        type Mask: LaneMask;
        /// Number of lanes (even).
        const LANES: usize;
        /// Lane `l` set to `f(l)`.
        fn from_fn(f: impl FnMut(usize) -> Self::Scalar) -> Self;
        /// The first `LANES` values of `a`.
        #[inline(always)]
        fn from_array(a: &[Self::Scalar; super::MAX_LANES]) -> Self {
            Self::from_fn(|l| a[l])
        }
        /// The lanes, padded with zeros up to [`super::MAX_LANES`].
        fn to_array(self) -> [Self::Scalar; super::MAX_LANES];
        /// Every lane set to `x`.
        #[inline(always)]
        fn splat_f64(x: f64) -> Self {
            let x = Self::Scalar::from_f64(x);
            Self::from_fn(|_| x)
        }
        /// The halves exchanged: `low | high` → `high | low`.
        fn swap_halves(self) -> Self;
        /// `low | high` → `low + high | high + low` (the same value in both halves, since
        /// addition is commutative).
        #[inline(always)]
        fn sum_halves(self) -> Self {
            self + self.swap_halves()
        }
        /// The low half copied into the high half.
        fn low_to_both(self) -> Self;
        /// The low half negated (exactly: a sign flip).
        fn neg_low(self) -> Self;
        /// The high half negated (exactly: a sign flip).
        fn neg_high(self) -> Self;
        /// `x > 0 ? x : 0` (so NaN gives 0).
        fn pos(self) -> Self;
        /// `|x|`.
        fn abs(self) -> Self;
        /// `self > other ? self : other`.
        fn max(self, other: Self) -> Self;
        /// `self <= other`.
        fn le(self, other: Self) -> Self::Mask;
        /// `self > other`.
        fn gt(self, other: Self) -> Self::Mask;
        /// `self == other`.
        fn eq(self, other: Self) -> Self::Mask;
        /// Neither NaN nor infinite.
        fn is_finite(self) -> Self::Mask;
        /// `a` in the lanes where `mask` is set, else `b`.
        fn select(mask: Self::Mask, a: Self, b: Self) -> Self;
        /// `|x| ≥ FLUSH_BELOW ? x : 0`: [`crate::denormal::flush`] without its non-finite half
        /// (NaN becomes 0, infinities pass; the kernel checks for them once per step instead).
        fn flush_tiny(self) -> Self;
        /// A denormal guard in two additions where [`crate::denormal::flush`] needs five
        /// operations: `(x + C) − C` with `C = FLUSH_BELOW/EPSILON` (about 8·10⁻²⁴ in `f32`).
        /// Values below about `FLUSH_BELOW/2` become exactly 0, others move by less than that
        /// (not at all above about `C`), so nothing is ever subnormal. NaN and infinities pass
        /// through. Only for values recomputed every step: in a history that integrates small
        /// increments, the rounding could stall the decay.
        #[inline(always)]
        fn round_tiny(self) -> Self {
            let c = Self::splat_f64((Self::Scalar::FLUSH_BELOW / Self::Scalar::EPSILON).to_f64());
            (self + c) - c
        }
    }

    /// Plain arrays, any float type and even width: the lanes of the `f64` reference.
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct Portable<T, const N: usize>(
        /// The lanes.
        [T; N],
    );

    /// The mask of [`Portable`].
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PortableMask<const N: usize>(
        /// The condition per lane.
        [bool; N],
    );

    macro_rules! portable_binary {
        ($trait:ident, $method:ident, $op:tt) => {
            impl<T: Real, const N: usize> $trait for Portable<T, N> {
                type Output = Self;
                #[inline(always)]
                fn $method(self, other: Self) -> Self {
                    Portable(from_fn(|l| self.0[l] $op other.0[l]))
                }
            }
        };
    }
    portable_binary!(Add, add, +);
    portable_binary!(Sub, sub, -);
    portable_binary!(Mul, mul, *);
    portable_binary!(Div, div, /);

    impl<T: Real, const N: usize> Neg for Portable<T, N> {
        type Output = Self;
        #[inline(always)]
        fn neg(self) -> Self {
            Portable(self.0.map(|x| -x))
        }
    }

    impl<const N: usize> LaneMask for PortableMask<N> {
        #[inline(always)]
        fn circuits(n: usize) -> Self {
            PortableMask(from_fn(|l| l % (N / 2) < n))
        }
        #[inline(always)]
        fn and(self, other: Self) -> Self {
            PortableMask(from_fn(|l| self.0[l] & other.0[l]))
        }
        #[inline(always)]
        fn and_not(self, other: Self) -> Self {
            PortableMask(from_fn(|l| self.0[l] & !other.0[l]))
        }
        #[inline(always)]
        fn or(self, other: Self) -> Self {
            PortableMask(from_fn(|l| self.0[l] | other.0[l]))
        }
        #[inline(always)]
        fn any(self) -> bool {
            self.0.iter().any(|&b| b)
        }
    }

    impl<T: Real, const N: usize> LaneVector for Portable<T, N> {
        type Scalar = T;
        type Mask = PortableMask<N>;
        const LANES: usize = N;
        #[inline(always)]
        fn from_fn(f: impl FnMut(usize) -> T) -> Self {
            Portable(from_fn(f))
        }
        #[inline(always)]
        fn to_array(self) -> [T; super::MAX_LANES] {
            from_fn(|l| self.0.get(l).copied().unwrap_or(T::ZERO))
        }
        #[inline(always)]
        fn swap_halves(self) -> Self {
            Portable(from_fn(|l| self.0[(l + N / 2) % N]))
        }
        #[inline(always)]
        fn low_to_both(self) -> Self {
            Portable(from_fn(|l| self.0[l % (N / 2)]))
        }
        #[inline(always)]
        fn neg_low(self) -> Self {
            Portable(from_fn(|l| if l < N / 2 { -self.0[l] } else { self.0[l] }))
        }
        #[inline(always)]
        fn neg_high(self) -> Self {
            Portable(from_fn(|l| if l < N / 2 { self.0[l] } else { -self.0[l] }))
        }
        #[inline(always)]
        fn pos(self) -> Self {
            Portable(self.0.map(|x| if x > T::ZERO { x } else { T::ZERO }))
        }
        #[inline(always)]
        fn abs(self) -> Self {
            Portable(self.0.map(T::abs))
        }
        #[inline(always)]
        fn max(self, other: Self) -> Self {
            Portable(from_fn(|l| if self.0[l] > other.0[l] { self.0[l] } else { other.0[l] }))
        }
        #[inline(always)]
        fn le(self, other: Self) -> Self::Mask {
            PortableMask(from_fn(|l| self.0[l] <= other.0[l]))
        }
        #[inline(always)]
        fn gt(self, other: Self) -> Self::Mask {
            PortableMask(from_fn(|l| self.0[l] > other.0[l]))
        }
        #[inline(always)]
        fn eq(self, other: Self) -> Self::Mask {
            PortableMask(from_fn(|l| self.0[l] == other.0[l]))
        }
        #[inline(always)]
        fn is_finite(self) -> Self::Mask {
            PortableMask(self.0.map(T::is_finite))
        }
        #[inline(always)]
        fn select(mask: Self::Mask, a: Self, b: Self) -> Self {
            Portable(from_fn(|l| if mask.0[l] { a.0[l] } else { b.0[l] }))
        }
        #[inline(always)]
        fn flush_tiny(self) -> Self {
            Portable(self.0.map(|x| if x.abs() >= T::FLUSH_BELOW { x } else { T::ZERO }))
        }
    }

    /// The shared lanes ([`crate::simd`]): four `f32`, two circuits,
    /// `circuit 0, circuit 1 | circuit 0, circuit 1`. Masks are the same type (all ones or all
    /// zeros per lane, as its comparisons give).
    mod four {
        use super::{LaneMask, LaneVector};
        use crate::simd::{f32x4, LaneOps};

        impl LaneMask for f32x4 {
            #[inline(always)]
            fn circuits(n: usize) -> Self {
                f32x4::new([0.0, 1.0, 0.0, 1.0]).simd_lt(f32x4::splat(n.min(2) as f32))
            }
            #[inline(always)]
            fn and(self, other: Self) -> Self {
                self & other
            }
            #[inline(always)]
            fn and_not(self, other: Self) -> Self {
                self & !other
            }
            #[inline(always)]
            fn or(self, other: Self) -> Self {
                self | other
            }
            #[inline(always)]
            fn any(self) -> bool {
                f32x4::any(self)
            }
        }

        impl LaneVector for f32x4 {
            type Scalar = f32;
            type Mask = f32x4;
            const LANES: usize = 4;
            #[inline(always)]
            fn from_fn(f: impl FnMut(usize) -> f32) -> Self {
                f32x4::new(core::array::from_fn(f))
            }
            #[inline(always)]
            fn from_array(a: &[f32; 4]) -> Self {
                f32x4::new(*a)
            }
            #[inline(always)]
            fn to_array(self) -> [f32; 4] {
                f32x4::to_array(self)
            }
            #[inline(always)]
            fn splat_f64(x: f64) -> Self {
                f32x4::splat(x as f32)
            }
            #[inline(always)]
            fn swap_halves(self) -> Self {
                LaneOps::swap_halves(self)
            }
            #[inline(always)]
            fn low_to_both(self) -> Self {
                LaneOps::low_to_both(self)
            }
            #[inline(always)]
            fn neg_low(self) -> Self {
                self ^ f32x4::new([-0.0, -0.0, 0.0, 0.0])
            }
            #[inline(always)]
            fn neg_high(self) -> Self {
                self ^ f32x4::new([0.0, 0.0, -0.0, -0.0])
            }
            #[inline(always)]
            fn pos(self) -> Self {
                // `x > 0 ? x : 0`: NaN gives 0.
                self.max_by_gt(f32x4::ZERO)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                f32x4::abs(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                self.max_by_gt(other)
            }
            #[inline(always)]
            fn le(self, other: Self) -> Self {
                self.simd_le(other)
            }
            #[inline(always)]
            fn gt(self, other: Self) -> Self {
                self.simd_gt(other)
            }
            #[inline(always)]
            fn eq(self, other: Self) -> Self {
                self.simd_eq(other)
            }
            #[inline(always)]
            fn is_finite(self) -> Self {
                self.finite_mask()
            }
            #[inline(always)]
            fn select(mask: Self, a: Self, b: Self) -> Self {
                f32x4::select(mask, a, b)
            }
            #[inline(always)]
            fn flush_tiny(self) -> Self {
                let floor = <f32 as crate::real::Real>::FLUSH_BELOW;
                self.abs().simd_ge(f32x4::splat(floor)) & self
            }
        }
    }
}

#[cfg(test)]
mod lane_tests {
    use super::*;

    /// The oversampled rate of the plugin's default 8× at 44.1 kHz.
    const RATE: f64 = 8.0 * 44_100.0;

    /// The shared music-like signal at `amp` volts peak; `seed` varies phases and noise.
    fn signal(seed: u32, n: usize, amp: f64) -> Vec<f32> {
        crate::analysis::music_like(seed, n, RATE).into_iter().map(|x| x * amp as f32).collect()
    }

    /// One circuit alone, one `step` at a time.
    fn alone(m: &[f32], c: &[f32]) -> (Vec<f32>, DiodeRingCircuit<f32>) {
        let mut circuit = DiodeRingCircuit::<f32>::new(CircuitConstants::default(), RATE);
        let out = m.iter().zip(c).map(|(&m, &c)| circuit.step(m, c)).collect();
        (out, circuit)
    }

    /// `count` circuits in lock-step, in blocks of `block` steps.
    fn together(m: &[Vec<f32>], c: &[Vec<f32>], block: usize) -> (Vec<Vec<f32>>, Vec<DiodeRingCircuit<f32>>) {
        let n = m[0].len();
        let new = |_| DiodeRingCircuit::<f32>::new(CircuitConstants::default(), RATE);
        let mut circuits: Vec<_> = m.iter().map(new).collect();
        let mut outs = vec![vec![0.0f32; n]; m.len()];
        let mut start = 0;
        while start < n {
            let end = (start + block).min(n);
            let lanes = circuits.iter_mut().zip(outs.iter_mut()).zip(m.iter().zip(c));
            DiodeRingCircuit::process_lanes(lanes.map(|((circuit, out), (m, c))| LaneBlock {
                circuit,
                modulator: &m[start..end],
                carrier: &c[start..end],
                out: &mut out[start..end],
            }));
            start = end;
        }
        (outs, circuits)
    }

    fn bits(x: &[f32]) -> Vec<u32> {
        x.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn lock_step_lanes_are_bit_identical_to_one_circuit_at_a_time() {
        let n = 6_000;
        // Up to six circuits: one full group of four plus a partial one. Drive levels up to
        // +24 dB, so some lanes need line searches and extra iterations while others do not.
        let m: Vec<Vec<f32>> = (0..6).map(|k| signal(k, n, 0.4 * (1 << k.min(4)) as f64)).collect();
        let c: Vec<Vec<f32>> = (0..6).map(|k| signal(10 + k, n, 0.8 + 0.4 * k as f64)).collect();
        for count in 1..=6 {
            let (outs, mut circuits) = together(&m[..count], &c[..count], 256);
            for k in 0..count {
                let (out, mut reference) = alone(&m[k], &c[k]);
                assert_eq!(bits(&outs[k]), bits(&out), "{count} lanes: lane {k} differs from the circuit alone");
                assert_eq!(circuits[k].state().map(f32::to_bits), reference.state().map(f32::to_bits));
                assert_eq!(circuits[k].take_stats(), reference.take_stats(), "{count} lanes: lane {k} statistics");
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_the_block_size() {
        let n = 5_000;
        let m: Vec<Vec<f32>> = (0..3).map(|k| signal(k, n, 1.6)).collect();
        let c: Vec<Vec<f32>> = (0..3).map(|k| signal(20 + k, n, 0.8)).collect();
        let (reference, _) = together(&m, &c, n);
        for block in [1, 7, 64, 255, 1000] {
            let (outs, _) = together(&m, &c, block);
            for (a, b) in outs.iter().zip(&reference) {
                assert_eq!(bits(a), bits(b), "block size {block}");
            }
        }
    }

    #[test]
    fn absurd_input_in_one_lane_leaves_it_finite_and_the_others_untouched() {
        let n = 3_000;
        let normal_m = signal(1, n, 1.6);
        let normal_c = signal(2, n, 0.8);
        // Lane 0: non-finite, huge and tiny values in turn; lanes 1 and 2 normal signals.
        let absurd: Vec<f32> = (0..n)
            .map(|i| match (i / 50) % 6 {
                0 => f32::NAN,
                1 => f32::INFINITY,
                2 => f32::MAX * if i % 2 == 0 { 1.0 } else { -1.0 },
                3 => 1e30,
                4 => 1e-40,
                _ => normal_m[i],
            })
            .collect();
        let m = vec![absurd.clone(), normal_m.clone(), normal_c.clone()];
        let c = vec![absurd.iter().rev().copied().collect(), normal_c.clone(), normal_m.clone()];
        let (outs, mut circuits) = together(&m, &c, 128);
        assert!(outs[0].iter().all(|y| y.is_finite()), "lane 0 output must stay finite");
        assert!(circuits[0].state().iter().all(|s| s.is_finite()));
        for k in 1..3 {
            let (out, _) = alone(&m[k], &c[k]);
            assert_eq!(bits(&outs[k]), bits(&out), "lane {k} must not notice lane 0");
        }
        // Lane 0 recovers: after the absurd input, a normal signal gives the normal output once
        // the transformer's transient (time constants up to L/R_m = 10 ms) has died away.
        let mut circuit = circuits.swap_remove(0);
        let long = 40_000;
        let (m, c) = (signal(1, long, 1.6), signal(2, long, 0.8));
        let (expected, _) = alone(&m, &c);
        let mut recovered = 0.0f32;
        for i in 0..long {
            let y = circuit.step(m[i], c[i]);
            if i > 3 * long / 4 {
                recovered = recovered.max((y - expected[i]).abs());
            }
        }
        assert!(recovered < 1e-3, "lane 0 did not recover: {recovered}");
    }
}
