//! One uniformly partitioned segment of the non-uniform convolver, and the state machine that
//! spreads its work over the head sub-blocks of each partition period.
//!
//! A segment of partition size `N` covers the IR taps `[offset, offset + P·N)` as `P` partitions.
//! Both channels travel together as one complex signal `z = x_L + i·x_R` (the "two real FFTs for
//! the price of one complex FFT" packing), so one forward and one inverse complex FFT of size
//! `M = 2N` serve a stereo period. Per period (overlap-save, Wefers 2015, ch. 5):
//!
//! ```text
//! Z      = FFT_M( [x block m−1 | x block m] )                      (window of 2N samples)
//! X_L[k] = Z[k] + Z*[M−k],   X_R[k] = −i·(Z[k] − Z*[M−k])           k = 0..N  (×2 folded into H)
//! Y_c    = Σ_p X_c,m−p · H_c,p                                       (frequency-domain delay line)
//! W[k]   = Y_L[k] + i·Y_R[k],   W[M−k] = Y_L*[k] + i·Y_R*[k]
//! w      = IFFT_M(W);  y_L + i·y_R = w[N..2N]   → added to the output ring at the block's time
//! ```
//!
//! `H_c,p = FFT_M(h_c[offset + p·N ..][..N]) / (2M)` (the 1/M of the unnormalised inverse FFT and
//! the ½ of the channel separation are folded in).
//!
//! # Splitting the FFTs (four-step FFT, Bailey 1990)
//!
//! An FFT of size `M = N1·N2` is computed as `N2` FFTs of size `N1` over the strided columns
//! `x[N2·n1 + c]`, a twiddle `W_M^{c·k1}`, then `N1` FFTs of size `N2` over the rows, which land
//! at `X[k1 + N1·k2]` (natural order):
//!
//! ```text
//! X[k1 + N1·k2] = Σ_c W_N2^{c·k2} · ( W_M^{c·k1} · Σ_n1 x[N2·n1 + c]·W_N1^{n1·k1} )
//! ```
//!
//! Every column and row FFT is an independent task of about `√M·log√M` work, small enough to be
//! scheduled into a time slice. The inverse is the same with inverse sub-FFTs and conjugate
//! twiddles. FFTs of up to [`DIRECT_FFT_MAX`] points are done whole (one task).
//!
//! # The schedule
//!
//! A period of this segment starts at the sub-block step that completes input block `m` (time
//! `t`, a multiple of `N`) and has `S = N/HEAD` slots: the steps at `t, t + HEAD, …, t + N − HEAD`.
//! Its tasks run in a fixed order (forward columns, forward rows, separation, complex MACs in bin
//! chunks per partition, assembly, inverse columns, inverse rows); every task has a work estimate
//! in "units" (weighted flop counts, `Shape::task_units`). Slot `k` runs tasks until
//! the period's cumulative work reaches `⌈total·(k+1)/S⌉`, so every slot does `total/S` units
//! plus at most one task, and the last slot always finishes the period. The result (the output
//! block `[t − N + offset, t + offset)`) is written by the inverse-row tasks into the output ring
//! by the step at `t + N − HEAD` at the latest, which is before it is first read as long as
//! `offset ≥ 2N − HEAD` (the planner guarantees it). The schedule depends only on the count of
//! sub-blocks, never on the host block size, so the output is identical for any block size.
//!
//! **Calibration.** The units start from flop counts (`5·L·log2 L` per FFT of `L` points,
//! 8 flops per complex multiply-add and channel) and were weighted by the time per unit measured
//! per task type (x86-64, rustfft's AVX kernels, 3 s stereo IR): FFT tasks ≈ 0.07 ns/unit, the
//! memory-bound MAC, separation and assembly passes 1.25–2.7× that before weighting. Equal
//! units then mean roughly equal time, which is what "no bursts" needs; the test
//! `work_per_sub_block_is_spread_evenly_for_a_3_s_stereo_ir` checks the units per step and the
//! benchmark the times.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Complex single-precision sample (re = left channel, im = right channel in the time domain).
pub(super) type Cf = Complex<f32>;

/// Bins per separation, MAC and assembly task: big enough that the per-task overhead is
/// negligible, small enough (512·16 = 8192 units) to stay well below a slot's budget of the
/// large segments (≈ 20 000 units at N = 16384).
const BIN_CHUNK: usize = 512;

/// FFT sizes (complex points) up to this are computed whole as a single task: at 512 points one
/// FFT is ≈ 23 000 units, about a tenth of the mean work of a sub-block step with a long IR,
/// so it cannot make a burst, while splitting it would only add overhead.
const DIRECT_FFT_MAX: usize = 512;

/// A vector of `len` copies of `value`, written element by element into freshly `malloc`ed
/// memory. `vec![0.0; n]` would come from `calloc`, whose large blocks are mapped lazily: the
/// first write to each page would then page-fault on the audio thread. Writing here commits
/// every page while we are still off the audio thread.
pub(super) fn touched<T: Clone>(len: usize, value: T) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    v.resize(len, value);
    v
}

/// Work estimate of a complex FFT of `len` points: the classic `5·len·log2(len)` flop count of a
/// radix-2 FFT (Cooley–Tukey; the same count Wefers uses for partitioning cost models).
pub(super) fn fft_units(len: usize) -> u64 {
    if len < 2 {
        0
    } else {
        5 * len as u64 * len.trailing_zeros() as u64
    }
}

/// Units per bin of a stereo complex multiply-accumulate: 2 channels × 8 flops, weighted ×1.25
/// because it streams the delay line and the spectra from beyond L2 (measured ≈ 0.09 ns/unit
/// against ≈ 0.07 ns/unit for the FFT tasks; see the calibration note in the module doc).
const MAC_UNITS_PER_BIN: u64 = 20;
/// Units per bin of the channel separation: measured ≈ 2× the cost of a flop-equivalent FFT
/// unit per its 8 flops (it writes the cold delay-line slot and reads Z backwards).
const SEPARATE_UNITS_PER_BIN: u64 = 16;
/// Units per bin of the assembly (writes W forwards and backwards and clears 4 accumulators):
/// measured ≈ 2.7× its 8 flops.
const ASSEMBLE_UNITS_PER_BIN: u64 = 22;

/// The phases of one period, in execution order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Column FFTs of the forward transform (or the whole FFT in direct mode).
    FwdColumns,
    /// Row FFTs of the forward transform (none in direct mode).
    FwdRows,
    /// Z → X_L, X_R into the newest delay-line slot.
    Separate,
    /// Y_c += X_c,m−p · H_c,p, one (partition, bin chunk) per task.
    Mac,
    /// Y_L, Y_R → W (full spectrum), clearing the accumulators.
    Assemble,
    /// Column FFTs of the inverse transform (or the whole inverse FFT in direct mode).
    InvColumns,
    /// Row FFTs of the inverse transform, adding the valid half into the output ring.
    InvRows,
    /// Period complete; nothing left to do until the next one starts.
    Done,
}

impl Phase {
    /// The phase after this one.
    fn next(self) -> Phase {
        match self {
            Phase::FwdColumns => Phase::FwdRows,
            Phase::FwdRows => Phase::Separate,
            Phase::Separate => Phase::Mac,
            Phase::Mac => Phase::Assemble,
            Phase::Assemble => Phase::InvColumns,
            Phase::InvColumns => Phase::InvRows,
            Phase::InvRows | Phase::Done => Phase::Done,
        }
    }
}

/// The sizes of a segment and the task list they imply; shared by the planner's cost model and
/// the scheduler, so the plan optimises exactly what the schedule spreads.
#[derive(Clone, Copy, Debug)]
pub(super) struct Shape {
    /// Partition size N (samples).
    pub n: usize,
    /// FFT size M = 2N (complex points).
    pub m: usize,
    /// Column FFT size of the four-step split (M in direct mode).
    pub n1: usize,
    /// Row FFT size of the four-step split (1 in direct mode).
    pub n2: usize,
    /// Number of partitions P.
    pub partitions: usize,
    /// Bin chunks per pass over the N+1 bins.
    pub chunks: usize,
}

impl Shape {
    /// The shape of a segment of `partitions` partitions of `n` samples (`n` a power of two).
    pub fn new(n: usize, partitions: usize) -> Self {
        let m = 2 * n;
        let (n1, n2) = if m <= DIRECT_FFT_MAX {
            (m, 1)
        } else {
            // N1 ≤ N2, both powers of two, as close to √M as possible (N2 is then even).
            let n1 = 1usize << (m.trailing_zeros() / 2);
            (n1, m / n1)
        };
        Self { n, m, n1, n2, partitions, chunks: (n + 1).div_ceil(BIN_CHUNK) }
    }

    /// True when the FFTs are done whole.
    fn direct(&self) -> bool {
        self.n2 == 1
    }

    /// Number of tasks in `phase`.
    fn tasks(&self, phase: Phase) -> usize {
        match phase {
            Phase::FwdColumns | Phase::InvColumns => {
                if self.direct() {
                    1
                } else {
                    self.n2
                }
            }
            Phase::FwdRows | Phase::InvRows => {
                if self.direct() {
                    0
                } else {
                    self.n1
                }
            }
            Phase::Separate | Phase::Assemble => self.chunks,
            Phase::Mac => self.chunks * self.partitions,
            Phase::Done => 0,
        }
    }

    /// Bins in chunk `c`.
    fn chunk_bins(&self, c: usize) -> usize {
        (self.n + 1 - c * BIN_CHUNK).min(BIN_CHUNK)
    }

    /// Work estimate of task `index` of `phase` (gathers and scatters count 2 units per point,
    /// a complex twiddle multiply 6).
    fn task_units(&self, phase: Phase, index: usize) -> u64 {
        let bins = |c: usize| self.chunk_bins(c % self.chunks) as u64;
        match phase {
            Phase::FwdColumns | Phase::InvColumns => {
                if self.direct() {
                    fft_units(self.m) + 2 * self.m as u64
                } else {
                    fft_units(self.n1) + 8 * self.n1 as u64
                }
            }
            Phase::FwdRows | Phase::InvRows => fft_units(self.n2) + 4 * self.n2 as u64,
            Phase::Separate => SEPARATE_UNITS_PER_BIN * bins(index),
            Phase::Assemble => ASSEMBLE_UNITS_PER_BIN * bins(index),
            Phase::Mac => MAC_UNITS_PER_BIN * bins(index),
            Phase::Done => 0,
        }
    }

    /// Total work of one period.
    pub fn period_units(&self) -> u64 {
        let mut total = 0;
        let mut phase = Phase::FwdColumns;
        while phase != Phase::Done {
            total += (0..self.tasks(phase)).map(|i| self.task_units(phase, i)).sum::<u64>();
            phase = phase.next();
        }
        total
    }

    /// Total number of tasks of one period (the cap of every scheduling loop).
    fn period_tasks(&self) -> usize {
        let mut total = 0;
        let mut phase = Phase::FwdColumns;
        while phase != Phase::Done {
            total += self.tasks(phase);
            phase = phase.next();
        }
        total
    }
}

/// The FFT plans a segment needs.
struct Plans {
    /// Forward FFT of size N1 (M in direct mode).
    fwd1: Arc<dyn Fft<f32>>,
    /// Inverse FFT of size N1 (M in direct mode).
    inv1: Arc<dyn Fft<f32>>,
    /// Forward FFT of size N2.
    fwd2: Arc<dyn Fft<f32>>,
    /// Inverse FFT of size N2.
    inv2: Arc<dyn Fft<f32>>,
}

/// The ring buffers a segment reads its input from and adds its output to (owned by the
/// convolver, shared by all segments).
pub(super) struct Rings<'a> {
    /// Input history, `re` = left, `im` = right; length a power of two.
    pub input: &'a [Cf],
    /// Output accumulator, left channel; length a power of two.
    pub out_l: &'a mut [f32],
    /// Output accumulator, right channel; same length as `out_l`.
    pub out_r: &'a mut [f32],
}

/// One segment: its spectra, delay line, buffers and scheduling state.
pub(super) struct Segment {
    /// Sizes and task list.
    shape: Shape,
    /// IR offset of the first partition (samples); ≥ 2N − HEAD.
    offset: usize,
    /// Slots per period, N / HEAD (a power of two).
    slices: usize,
    /// FFT plans (no allocation when used with `scratch`).
    plans: Plans,
    /// Four-step twiddles `W_M^{c·k1}` at `[c·N1 + k1]` (empty in direct mode).
    twiddles: Vec<Cf>,
    /// Gather buffer for one column or row.
    line: Vec<Cf>,
    /// Scratch for the in-place FFTs.
    scratch: Vec<Cf>,
    /// Four-step intermediate (after the column FFTs), `[c·N1 + k1]`.
    mid: Vec<Cf>,
    /// Spectrum Z after the forward transform, then W before the inverse one (natural order).
    spec: Vec<Cf>,
    /// Partition spectra per IR channel, real parts, `[p·(N+1) + k]`.
    h_re: Vec<Vec<f32>>,
    /// Partition spectra per IR channel, imaginary parts.
    h_im: Vec<Vec<f32>>,
    /// Frequency-domain delay line per channel (P slots of N+1 bins), real parts.
    fdl_re: [Vec<f32>; 2],
    /// Frequency-domain delay line per channel, imaginary parts.
    fdl_im: [Vec<f32>; 2],
    /// Spectral accumulators Y_L, Y_R, real parts.
    acc_re: [Vec<f32>; 2],
    /// Spectral accumulators, imaginary parts.
    acc_im: [Vec<f32>; 2],
    /// Delay-line slot holding the newest spectrum.
    newest: usize,
    /// Current phase of the running period.
    phase: Phase,
    /// Next task within `phase`.
    index: usize,
    /// Units done so far in the running period.
    done: u64,
    /// Units of a whole period.
    total: u64,
    /// Tasks of a whole period (loop cap).
    max_tasks: usize,
    /// Input-ring position of the running period's 2N-sample window.
    window_start: usize,
    /// Output-ring position where the running period's N output samples go.
    out_start: usize,
}

impl Segment {
    /// Build a segment of `partitions` partitions of `n` samples starting at IR tap `offset`,
    /// from the (sanitised) IR channels `ir`.
    pub fn new(
        ir: &[Vec<f32>],
        n: usize,
        offset: usize,
        partitions: usize,
        head: usize,
        planner: &mut FftPlanner<f32>,
    ) -> Self {
        let shape = Shape::new(n, partitions);
        let m = shape.m;
        let plans = Plans {
            fwd1: planner.plan_fft_forward(shape.n1),
            inv1: planner.plan_fft_inverse(shape.n1),
            fwd2: planner.plan_fft_forward(shape.n2),
            inv2: planner.plan_fft_inverse(shape.n2),
        };
        let scratch_len = [&plans.fwd1, &plans.inv1, &plans.fwd2, &plans.inv2]
            .iter()
            .map(|p| p.get_inplace_scratch_len())
            .max()
            .unwrap_or(0);
        let twiddles = if shape.direct() {
            Vec::new()
        } else {
            let mut t = Vec::with_capacity(m);
            for c in 0..shape.n2 {
                for k1 in 0..shape.n1 {
                    let phi = -core::f64::consts::TAU * (c * k1) as f64 / m as f64;
                    t.push(Cf::new(phi.cos() as f32, phi.sin() as f32));
                }
            }
            t
        };

        // Partition spectra, computed in f64 for accuracy (off the audio thread).
        let bins = n + 1;
        let mut planner64 = FftPlanner::<f64>::new();
        let fft64 = planner64.plan_fft_forward(m);
        let scale = 1.0 / (2.0 * m as f64);
        let mut h_re = Vec::with_capacity(ir.len());
        let mut h_im = Vec::with_capacity(ir.len());
        let mut buf = vec![Complex::<f64>::new(0.0, 0.0); m];
        for ch in ir {
            let mut re = vec![0.0f32; partitions * bins];
            let mut im = vec![0.0f32; partitions * bins];
            for p in 0..partitions {
                buf.iter_mut().for_each(|b| *b = Complex::new(0.0, 0.0));
                let start = offset + p * n;
                for (i, b) in buf.iter_mut().take(n).enumerate() {
                    b.re = ch.get(start + i).copied().unwrap_or(0.0) as f64 * scale;
                }
                fft64.process(&mut buf);
                for k in 0..bins {
                    re[p * bins + k] = buf[k].re as f32;
                    im[p * bins + k] = buf[k].im as f32;
                }
            }
            h_re.push(re);
            h_im.push(im);
        }
        let zeros = || touched(partitions * bins, 0.0f32);
        let acc = || touched(bins, 0.0f32);
        Self {
            shape,
            offset,
            slices: n / head,
            plans,
            twiddles,
            line: touched(shape.n1.max(shape.n2), Cf::new(0.0, 0.0)),
            scratch: touched(scratch_len, Cf::new(0.0, 0.0)),
            mid: if shape.direct() { Vec::new() } else { touched(m, Cf::new(0.0, 0.0)) },
            spec: touched(m, Cf::new(0.0, 0.0)),
            h_re,
            h_im,
            fdl_re: [zeros(), zeros()],
            fdl_im: [zeros(), zeros()],
            acc_re: [acc(), acc()],
            acc_im: [acc(), acc()],
            newest: 0,
            phase: Phase::Done,
            index: 0,
            done: 0,
            total: shape.period_units(),
            max_tasks: shape.period_tasks(),
            window_start: 0,
            out_start: 0,
        }
    }

    /// Partition size N.
    pub fn partition_size(&self) -> usize {
        self.shape.n
    }

    /// IR offset of the first partition.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Number of partitions.
    pub fn partitions(&self) -> usize {
        self.shape.partitions
    }

    /// Bytes of heap memory held.
    pub fn memory_bytes(&self) -> usize {
        let c = core::mem::size_of::<Cf>();
        let f = core::mem::size_of::<f32>();
        (self.twiddles.capacity()
            + self.line.capacity()
            + self.scratch.capacity()
            + self.mid.capacity()
            + self.spec.capacity())
            * c
            + self.h_re.iter().chain(self.h_im.iter()).map(|v| v.capacity() * f).sum::<usize>()
            + self
                .fdl_re
                .iter()
                .chain(self.fdl_im.iter())
                .chain(self.acc_re.iter())
                .chain(self.acc_im.iter())
                .map(|v| v.capacity() * f)
                .sum::<usize>()
    }

    /// Clear all signal state and stop the running period.
    pub fn reset(&mut self) {
        for v in self
            .fdl_re
            .iter_mut()
            .chain(self.fdl_im.iter_mut())
            .chain(self.acc_re.iter_mut())
            .chain(self.acc_im.iter_mut())
        {
            v.fill(0.0);
        }
        self.newest = 0;
        self.phase = Phase::Done;
        self.index = 0;
        self.done = 0;
    }

    /// Run this segment's share of sub-block step number `step` (1-based count of completed
    /// sub-blocks), which completes the input at ring time `t = step·HEAD`. Returns the units done.
    pub fn run_step(&mut self, step: usize, t: usize, rings: &mut Rings) -> u64 {
        let k = step & (self.slices - 1);
        let mut units = 0;
        if k == 0 {
            // Never needed by construction (the last slot finishes the period), kept so a period
            // can never be left half done.
            units += self.run_until(u64::MAX, rings);
            let n = self.shape.n;
            self.window_start = t.wrapping_sub(2 * n);
            self.out_start = t.wrapping_sub(n).wrapping_add(self.offset);
            self.newest = (self.newest + 1) % self.shape.partitions;
            self.phase = Phase::FwdColumns;
            self.index = 0;
            self.done = 0;
        }
        // Cumulative target of this slot: ⌈total·(k+1)/S⌉ (the last slot reaches `total`).
        let target = (self.total * (k as u64 + 1)).div_ceil(self.slices as u64);
        units + self.run_until(target, rings)
    }

    /// Run tasks until `done ≥ target` or the period is complete (at most one period of tasks).
    fn run_until(&mut self, target: u64, rings: &mut Rings) -> u64 {
        let mut units = 0;
        for _ in 0..=self.max_tasks {
            // Skip empty phases.
            while self.phase != Phase::Done && self.index >= self.shape.tasks(self.phase) {
                self.phase = self.phase.next();
                self.index = 0;
            }
            if self.phase == Phase::Done || self.done >= target {
                break;
            }
            let cost = self.shape.task_units(self.phase, self.index);
            self.run_task(self.phase, self.index, rings);
            self.index += 1;
            self.done += cost;
            units += cost;
        }
        units
    }

    /// Execute one task.
    fn run_task(&mut self, phase: Phase, index: usize, rings: &mut Rings) {
        let Shape { n, m, n1, n2, .. } = self.shape;
        match phase {
            Phase::FwdColumns => {
                let mask = rings.input.len() - 1;
                if self.shape.direct() {
                    for (i, v) in self.spec.iter_mut().enumerate() {
                        *v = rings.input[self.window_start.wrapping_add(i) & mask];
                    }
                    self.plans.fwd1.process_with_scratch(&mut self.spec, &mut self.scratch);
                } else {
                    let c = index;
                    let line = &mut self.line[..n1];
                    for (r, v) in line.iter_mut().enumerate() {
                        *v = rings.input[self.window_start.wrapping_add(n2 * r + c) & mask];
                    }
                    self.plans.fwd1.process_with_scratch(line, &mut self.scratch);
                    let tw = &self.twiddles[c * n1..(c + 1) * n1];
                    for ((o, v), w) in self.mid[c * n1..(c + 1) * n1].iter_mut().zip(line.iter()).zip(tw) {
                        *o = v * w;
                    }
                }
            }
            Phase::FwdRows => {
                let r = index;
                let line = &mut self.line[..n2];
                for (c, v) in line.iter_mut().enumerate() {
                    *v = self.mid[c * n1 + r];
                }
                self.plans.fwd2.process_with_scratch(line, &mut self.scratch);
                for (k2, v) in line.iter().enumerate() {
                    self.spec[r + n1 * k2] = *v;
                }
            }
            Phase::Separate => {
                let bins = n + 1;
                let start = index * BIN_CHUNK;
                let len = self.shape.chunk_bins(index);
                let slot = self.newest * bins + start;
                let [l_re, r_re] = &mut self.fdl_re;
                let [l_im, r_im] = &mut self.fdl_im;
                let (l_re, l_im) = (&mut l_re[slot..slot + len], &mut l_im[slot..slot + len]);
                let (r_re, r_im) = (&mut r_re[slot..slot + len], &mut r_im[slot..slot + len]);
                // Bin 0 is its own partner (index M − 0 ≡ 0); every other bin k ≤ N pairs with
                // M − k, read as a reversed slice so the loop has no index arithmetic.
                let skip = usize::from(start == 0);
                if skip == 1 {
                    let z = self.spec[0];
                    (l_re[0], l_im[0], r_re[0], r_im[0]) = (2.0 * z.re, 0.0, 2.0 * z.im, 0.0);
                }
                let (lo, hi) = (start + skip, start + len);
                let fwd = &self.spec[lo..hi];
                let rev = self.spec[m - hi + 1..m - lo + 1].iter().rev();
                let outs = l_re[skip..]
                    .iter_mut()
                    .zip(l_im[skip..].iter_mut())
                    .zip(r_re[skip..].iter_mut().zip(r_im[skip..].iter_mut()));
                for ((&a, b), ((lr, li), (rr, ri))) in fwd.iter().zip(rev).zip(outs) {
                    // s = a + b*, d = a − b*; X_L = s, X_R = −i·d.
                    *lr = a.re + b.re;
                    *li = a.im - b.im;
                    *rr = a.im + b.im;
                    *ri = b.re - a.re;
                }
            }
            Phase::Mac => {
                let bins = n + 1;
                let p = index / self.shape.chunks;
                let c = index % self.shape.chunks;
                let start = c * BIN_CHUNK;
                let len = self.shape.chunk_bins(c);
                let parts = self.shape.partitions;
                let slot = ((self.newest + parts - p) % parts) * bins + start;
                let hoff = p * bins + start;
                let last_ir = self.h_re.len().saturating_sub(1);
                for ch in 0..2 {
                    let hc = ch.min(last_ir);
                    let (Some(h_re), Some(h_im)) = (self.h_re.get(hc), self.h_im.get(hc)) else {
                        return;
                    };
                    mac(
                        &mut self.acc_re[ch][start..start + len],
                        &mut self.acc_im[ch][start..start + len],
                        &self.fdl_re[ch][slot..slot + len],
                        &self.fdl_im[ch][slot..slot + len],
                        &h_re[hoff..hoff + len],
                        &h_im[hoff..hoff + len],
                    );
                }
            }
            Phase::Assemble => {
                let start = index * BIN_CHUNK;
                let len = self.shape.chunk_bins(index);
                let [al_re, ar_re] = &mut self.acc_re;
                let [al_im, ar_im] = &mut self.acc_im;
                let (al_re, al_im) = (&mut al_re[start..start + len], &mut al_im[start..start + len]);
                let (ar_re, ar_im) = (&mut ar_re[start..start + len], &mut ar_im[start..start + len]);
                let accs = al_re.iter().zip(al_im.iter()).zip(ar_re.iter().zip(ar_im.iter()));
                // W[k] = Y_L + i·Y_R for k = start..start+len.
                for (w, ((&a, &b), (&c, &d))) in self.spec[start..start + len].iter_mut().zip(accs.clone()) {
                    *w = Cf::new(a - d, b + c);
                }
                // W[M−k] = Y_L* + i·Y_R* for 0 < k < N, written downwards from M − lo.
                let lo = start.max(1);
                let hi = (start + len).min(n);
                if lo < hi {
                    let mirror = self.spec[m - hi + 1..m - lo + 1].iter_mut().rev();
                    for (w, ((&a, &b), (&c, &d))) in mirror.zip(accs.skip(lo - start)) {
                        *w = Cf::new(a + d, c - b);
                    }
                }
                for v in [al_re, al_im, ar_re, ar_im] {
                    v.fill(0.0);
                }
            }
            Phase::InvColumns => {
                let omask = rings.out_l.len() - 1;
                if self.shape.direct() {
                    self.plans.inv1.process_with_scratch(&mut self.spec, &mut self.scratch);
                    for (i, v) in self.spec[n..].iter().enumerate() {
                        let pos = self.out_start.wrapping_add(i) & omask;
                        rings.out_l[pos] += v.re;
                        rings.out_r[pos] += v.im;
                    }
                } else {
                    let c = index;
                    let line = &mut self.line[..n1];
                    for (r, v) in line.iter_mut().enumerate() {
                        *v = self.spec[n2 * r + c];
                    }
                    self.plans.inv1.process_with_scratch(line, &mut self.scratch);
                    let tw = &self.twiddles[c * n1..(c + 1) * n1];
                    for ((o, v), w) in self.mid[c * n1..(c + 1) * n1].iter_mut().zip(line.iter()).zip(tw) {
                        *o = v * w.conj();
                    }
                }
            }
            Phase::InvRows => {
                let omask = rings.out_l.len() - 1;
                let r = index;
                let line = &mut self.line[..n2];
                for (c, v) in line.iter_mut().enumerate() {
                    *v = self.mid[c * n1 + r];
                }
                self.plans.inv2.process_with_scratch(line, &mut self.scratch);
                // Only w[N..2N) is valid overlap-save output: rows k2 ≥ N2/2 (see module doc).
                for (k2, v) in line.iter().enumerate().skip(n2 / 2) {
                    let pos = self.out_start.wrapping_add(r + n1 * k2 - n) & omask;
                    rings.out_l[pos] += v.re;
                    rings.out_r[pos] += v.im;
                }
            }
            Phase::Done => {}
        }
    }
}

/// `acc += x·h` over split real/imaginary arrays (vectorises with plain SSE2).
#[inline]
fn mac(acc_re: &mut [f32], acc_im: &mut [f32], x_re: &[f32], x_im: &[f32], h_re: &[f32], h_im: &[f32]) {
    let it =
        acc_re.iter_mut().zip(acc_im.iter_mut()).zip(x_re.iter().zip(x_im.iter())).zip(h_re.iter().zip(h_im.iter()));
    for (((ar, ai), (&xr, &xi)), (&hr, &hi)) in it {
        *ar += xr * hr - xi * hi;
        *ai += xr * hi + xi * hr;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_step_split_covers_the_fft_size_with_an_even_row_length() {
        for log in 1..=16 {
            let s = Shape::new(1 << log, 3);
            assert_eq!(s.n1 * s.n2, s.m);
            assert!(s.direct() || (s.n2.is_multiple_of(2) && s.n1 <= s.n2));
        }
    }
}
