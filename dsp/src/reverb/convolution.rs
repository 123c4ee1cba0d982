//! Zero-latency, non-uniformly partitioned FFT convolution for the convolution reverb of Ferrite
//! Reverb (docs/models.md, "Reverb: convolution"), with a lock-free hand-over of new impulse
//! responses to the audio thread.
//!
//! # Equations
//!
//! Per channel `y[n] = Σ_{k<L} h[k]·x[n−k]`: a mono IR is applied to both channels, a stereo IR
//! maps left → left and right → right. The IR is split in time into
//!
//! ```text
//! [0, B)                               head: direct-form FIR (B = HEAD = 64 taps)
//! [B, o_1)                             segment 0: P_0 partitions of N_0 = B
//! [o_1, o_2)                           segment 1: P_1 partitions of N_1 = 2^a·B
//! …                                    each segment: uniformly partitioned overlap-save
//! [o_{S−1}, L)                         last segment: partitions of N_max ≤ MAX_PARTITION
//! ```
//!
//! (Gardner, "Efficient convolution without input-output delay", JAES 43(3), 1995; the uniformly
//! partitioned segments and their frequency-domain delay lines as in Wefers, "Partitioned
//! convolution algorithms for real-time auralization", 2015.) The head FIR makes the whole
//! convolver **zero latency** ([`Convolver::latency`] is 0), so the plugin's latency does not
//! change with the algorithm or the IR.
//!
//! # Timing and the work schedule
//!
//! Input is collected in head sub-blocks of `B` samples whatever the host block size. The step
//! that completes sub-block `j` (time `t = (j+1)·B`) runs every segment's slot for this step,
//! then reads the output ring for `[t, t + B)`. Segment `s` (partition size `N`, offset `o`)
//! has periods of `N` samples; the period that starts at `t ≡ 0 (mod N)` convolves the window
//! `x[t−2N, t)` and adds the output block `[t − N + o, t + o)`. Its FFT / complex-MAC / IFFT work
//! is cut into small tasks (column and row FFTs of a four-step FFT, bin chunks of the MACs) and
//! spread over the `N/B` steps `t, t + B, …, t + N − B` in equal shares of estimated work (see
//! the `segment` submodule for the task list, the rule and its calibration). The last share
//! completes by `t + N − B`, so the block is ready in time whenever `o ≥ 2N − B`; the planner
//! builds segments that way.
//! Segment 0 (`N = B`, `o = B`) has one slot: it finishes in the step that needs it. Because the
//! schedule is a function of the sub-block count only, the output is bit-identical for any host
//! block size, and the CPU load per step is flat: each segment adds `W_s·B/N_s` units (plus at
//! most one task) to every step, where pyo's CvlVerb does a whole partition's multiply-adds in
//! the one callback that completes it.
//!
//! # Choice of partitions
//!
//! Sizes are powers of two times `B` up to [`MAX_PARTITION`]; the planner tries every increasing
//! subset of sizes, places each new size at the first offset `≥ 2N − B` reachable with whole
//! partitions of the previous size, and keeps the plan with the least estimated work per sample
//! (the same work units the scheduler spreads). A 3 s stereo IR at 48 kHz gets
//! `B×6 | 256×6 | 1024×14 | 8192×16` partitions.
//!
//! # FFTs
//!
//! The FFTs are rustfft's complex FFTs (the engine under realfft): both channels are packed
//! into one complex signal `x_L + i·x_R` and separated in the frequency domain, so one complex
//! FFT does the work of two real ones, and complex sub-FFTs are what the four-step split needs.
//! Partition spectra are computed in f64 at construction. Accuracy against an f64 direct sum:
//! about −134 dB relative error energy for a 3 s IR (tests/convolution.rs).
//!
//! # Robustness
//!
//! Input samples, and IR samples at construction, go through [`crate::input::sanitize`]
//! (non-finite or |x| < 10⁻³⁰ → 0) clamped to ±[`CONVOLUTION_INPUT_LIMIT`] (10⁴, +80 dBFS). Every
//! product is then below 10⁸ and every sum (at most 2·16384 FFT points or a few million taps) far below f32::MAX, so
//! the output is finite by construction; a step whose output is nonetheless non-finite resets
//! the convolver (silence) as a last line of defence. The convolution has no feedback: after the
//! input stops, every buffer holds exact zeros once the IR and two of the longest partitions
//! have passed, so no subnormal can linger (and subnormal input is flushed).

mod handover;
mod ir;
mod segment;

pub use handover::{ConvolutionReverb, ConvolverLoader, CROSSFADE_SECONDS};
pub use ir::{normalize_ir, resample_ir};

use crate::input::CONVOLUTION_INPUT_LIMIT;
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;
use segment::{touched, Cf, Rings, Segment, Shape};

/// Head sub-block size and direct-form FIR length (samples). 64 taps cost 2·64 multiply-adds
/// per stereo frame (vectorised across outputs), and 64 is the smallest host block common in
/// practice, so at 64-frame host blocks every callback runs exactly one step.
pub const HEAD: usize = 64;

/// Largest partition size. A 16384-sample partition already works on 32768-point FFT buffers of
/// 256 KB each; longer ones would leave the L2 cache of common CPUs, which the flop-based cost
/// model of the planner does not see, for a MAC saving that no longer matters.
pub const MAX_PARTITION: usize = 16384;

/// Zero-latency stereo convolver for one impulse response (built off the audio thread).
pub struct Convolver {
    /// IR length in samples (the longest channel).
    ir_len: usize,
    /// Head FIR taps per IR channel, reversed (`taps[k] = h[T−1−k]`), `T = min(L, HEAD)`.
    head: Vec<Vec<f32>>,
    /// Per-channel FIR history: `[last HEAD−1 samples | current sub-block]`.
    hist: [Vec<f32>; 2],
    /// Samples of the current sub-block collected so far (0..HEAD).
    pos: usize,
    /// Completed sub-block steps (wrapping; all ring lengths are powers of two).
    steps: usize,
    /// Input history of all segments, `re` = left, `im` = right (power-of-two length).
    input: Vec<Cf>,
    /// Output accumulator of all segments, left (power-of-two length).
    out_l: Vec<f32>,
    /// Output accumulator of all segments, right.
    out_r: Vec<f32>,
    /// Segment output for the current sub-block, left (read from `out_l` at each step).
    sub_l: Vec<f32>,
    /// Segment output for the current sub-block, right.
    sub_r: Vec<f32>,
    /// The uniformly partitioned segments, shortest partitions first.
    segments: Vec<Segment>,
    /// Work units done by the latest step (instrumentation for the work-spreading test).
    last_step_units: u64,
}

/// A partition plan: `(partition size, offset, partitions)` per segment.
type Plan = Vec<(usize, usize, usize)>;

/// The partition plan for an IR of `len` samples: `(partition size, offset, partitions)` per
/// segment (see the module doc, "Choice of partitions").
fn plan_segments(len: usize) -> Plan {
    if len <= HEAD {
        return Vec::new();
    }
    let sizes: Vec<usize> = (1..).map(|s| HEAD << s).take_while(|&n| n <= MAX_PARTITION).collect();
    let mut best: Option<(f64, Plan)> = None;
    'subsets: for mask in 0u32..(1 << sizes.len()) {
        let mut plan = Vec::new();
        let (mut n, mut offset) = (HEAD, HEAD);
        for (i, &next) in sizes.iter().enumerate() {
            if mask & (1 << i) == 0 {
                continue;
            }
            let need = 2 * next - HEAD;
            let p = need.saturating_sub(offset).div_ceil(n).max(1);
            if offset + p * n >= len {
                // The IR ends before this size could start: a smaller subset covers this plan.
                continue 'subsets;
            }
            plan.push((n, offset, p));
            offset += p * n;
            n = next;
        }
        plan.push((n, offset, (len - offset).div_ceil(n)));
        let cost: f64 = plan.iter().map(|&(n, _, p)| Shape::new(n, p).period_units() as f64 / n as f64).sum();
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, plan));
        }
    }
    best.map(|(_, p)| p).unwrap_or_default()
}

/// Reversed-tap direct-form FIR over a linear history: `out[i] = Σ_k taps[k]·hist[start+i+k]`.
/// Eight outputs are computed together, each as its own sum in tap order, so the compiler
/// vectorises across outputs and every output is bit-identical to the scalar remainder loop.
#[inline]
fn head_fir(taps: &[f32], hist: &[f32], start: usize, out: &mut [f32]) {
    let t = taps.len();
    let mut i0 = start;
    let mut chunks = out.chunks_exact_mut(8);
    for o in &mut chunks {
        let mut acc = [0.0f32; 8];
        if let Some(win) = hist.get(i0..i0 + t + 7) {
            for (k, &h) in taps.iter().enumerate() {
                let x = &win[k..k + 8];
                for j in 0..8 {
                    acc[j] += h * x[j];
                }
            }
        }
        o.copy_from_slice(&acc);
        i0 += 8;
    }
    for o in chunks.into_remainder() {
        let mut acc = 0.0f32;
        if let Some(win) = hist.get(i0..i0 + t) {
            for (&h, &x) in taps.iter().zip(win) {
                acc += h * x;
            }
        }
        *o = acc;
        i0 += 1;
    }
}

/// Flush a non-finite or tiny input or IR sample to zero and clamp it to
/// ±[`CONVOLUTION_INPUT_LIMIT`].
#[inline(always)]
fn sanitize(x: f32) -> f32 {
    crate::input::sanitize(x, CONVOLUTION_INPUT_LIMIT)
}

impl Convolver {
    /// Build a convolver for `ir` (1 channel: applied to both; 2 channels: L→L, R→R; further
    /// channels are ignored; channels of unequal length are zero-padded), sampled at the rate
    /// it will run at. Allocates everything `process` needs; call it off the audio thread.
    /// `max_block` is accepted for uniformity with the other models: any block length works,
    /// because processing runs in internal sub-blocks of [`HEAD`] samples.
    pub fn new(ir: &[&[f32]], max_block: usize) -> Self {
        let _ = max_block;
        let channels: Vec<Vec<f32>> = ir.iter().take(2).map(|c| c.iter().map(|&x| sanitize(x)).collect()).collect();
        let ir_len = channels.iter().map(|c| c.len()).max().unwrap_or(0);
        let taps = ir_len.min(HEAD);
        let head =
            channels.iter().map(|c| (0..taps).rev().map(|k| c.get(k).copied().unwrap_or(0.0)).collect()).collect();
        let plan = plan_segments(ir_len);
        let mut planner = FftPlanner::<f32>::new();
        let segments: Vec<Segment> =
            plan.iter().map(|&(n, offset, p)| Segment::new(&channels, n, offset, p, HEAD, &mut planner)).collect();
        let n_max = plan.iter().map(|s| s.0).max().unwrap_or(HEAD);
        // Input span: a window of 2N read until N − B after it ends, while N more samples arrive.
        let in_len = (3 * n_max + HEAD).next_power_of_two();
        // Output span: from the read position to the furthest block a period writes (t + o).
        let out_len = plan.iter().map(|&(n, o, _)| o + n).max().unwrap_or(HEAD).next_power_of_two() * 2;
        Self {
            ir_len,
            head,
            hist: [vec![0.0; 2 * HEAD - 1], vec![0.0; 2 * HEAD - 1]],
            pos: 0,
            steps: 0,
            input: touched(in_len, Complex::new(0.0, 0.0)),
            out_l: touched(out_len, 0.0),
            out_r: touched(out_len, 0.0),
            sub_l: vec![0.0; HEAD],
            sub_r: vec![0.0; HEAD],
            segments,
            last_step_units: 0,
        }
    }

    /// Latency in samples: always 0 (the head FIR answers immediately).
    pub fn latency(&self) -> u32 {
        0
    }

    /// IR length in samples (0 for an empty IR, which outputs silence).
    pub fn ir_len(&self) -> usize {
        self.ir_len
    }

    /// Heap memory held, in bytes.
    pub fn memory_bytes(&self) -> usize {
        let f = core::mem::size_of::<f32>();
        self.head.iter().map(|h| h.capacity() * f).sum::<usize>()
            + self.hist.iter().map(|h| h.capacity() * f).sum::<usize>()
            + self.input.capacity() * core::mem::size_of::<Cf>()
            + (self.out_l.capacity() + self.out_r.capacity() + self.sub_l.capacity() + self.sub_r.capacity()) * f
            + self.segments.iter().map(Segment::memory_bytes).sum::<usize>()
    }

    /// The partitioning: `(partition size, first IR tap, partitions)` per segment (allocates:
    /// for tests and diagnostics, not for the audio thread).
    pub fn segments(&self) -> Vec<(usize, usize, usize)> {
        self.segments.iter().map(|s| (s.partition_size(), s.offset(), s.partitions())).collect()
    }

    /// Work units (≈ flops, see the `segment` module) done by the most recent sub-block step.
    /// Instrumentation for tests and benchmarks.
    pub fn last_step_work(&self) -> u64 {
        self.last_step_units
    }

    /// Clear all signal state (as if freshly built).
    pub fn reset(&mut self) {
        for h in &mut self.hist {
            h.fill(0.0);
        }
        self.input.fill(Complex::new(0.0, 0.0));
        self.out_l.fill(0.0);
        self.out_r.fill(0.0);
        self.sub_l.fill(0.0);
        self.sub_r.fill(0.0);
        for s in &mut self.segments {
            s.reset();
        }
        self.pos = 0;
        self.steps = 0;
        self.last_step_units = 0;
    }

    /// Convolve a stereo block. Any length works; the processed length is the shortest of the
    /// four slices (any extra output is zeroed). Real-time safe: no allocation, no locks.
    pub fn process(&mut self, in_l: &[f32], in_r: &[f32], out_l: &mut [f32], out_r: &mut [f32]) {
        let len = in_l.len().min(in_r.len()).min(out_l.len()).min(out_r.len());
        out_l[len..].fill(0.0);
        out_r[len..].fill(0.0);
        let in_mask = self.input.len() - 1;
        let last_ir = self.head.len().saturating_sub(1);
        let taps = self.head.first().map_or(0, |h| h.len());
        let mut done = 0;
        // Each pass consumes at least one sample, so this runs at most `len` times.
        while done < len {
            let n = (len - done).min(HEAD - self.pos);
            let base = HEAD.wrapping_mul(self.steps);
            for (ch, input) in [&in_l[done..done + n], &in_r[done..done + n]].into_iter().enumerate() {
                let hist = &mut self.hist[ch][HEAD - 1 + self.pos..HEAD - 1 + self.pos + n];
                for (i, (h, &x)) in hist.iter_mut().zip(input).enumerate() {
                    let x = sanitize(x);
                    *h = x;
                    let slot = &mut self.input[base.wrapping_add(self.pos + i) & in_mask];
                    if ch == 0 {
                        slot.re = x;
                    } else {
                        slot.im = x;
                    }
                }
            }
            for ch in 0..2 {
                let (out, sub) = if ch == 0 {
                    (&mut out_l[done..done + n], &self.sub_l)
                } else {
                    (&mut out_r[done..done + n], &self.sub_r)
                };
                match self.head.get(ch.min(last_ir)) {
                    Some(t) => head_fir(t, &self.hist[ch], HEAD - taps + self.pos, out),
                    None => out.fill(0.0),
                }
                for (o, &s) in out.iter_mut().zip(&sub[self.pos..self.pos + n]) {
                    *o += s;
                }
            }
            self.pos += n;
            done += n;
            if self.pos == HEAD {
                self.pos = 0;
                self.step();
            }
        }
    }

    /// One sub-block step: shift the FIR history, run every segment's slot, fetch the segment
    /// output for the next sub-block.
    fn step(&mut self) {
        self.steps = self.steps.wrapping_add(1);
        let t = HEAD.wrapping_mul(self.steps);
        for h in &mut self.hist {
            h.copy_within(HEAD.., 0);
        }
        let mut rings = Rings { input: &self.input, out_l: &mut self.out_l, out_r: &mut self.out_r };
        let mut units = 0;
        for s in &mut self.segments {
            units += s.run_step(self.steps, t, &mut rings);
        }
        self.last_step_units = units;
        let mask = self.out_l.len() - 1;
        let mut finite = true;
        for i in 0..HEAD {
            let p = t.wrapping_add(i) & mask;
            self.sub_l[i] = core::mem::take(&mut self.out_l[p]);
            self.sub_r[i] = core::mem::take(&mut self.out_r[p]);
            finite &= self.sub_l[i].is_finite() && self.sub_r[i].is_finite();
        }
        if !finite {
            self.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_planned_segment_starts_late_enough_for_its_spread_schedule() {
        for len in [65, 100, 1000, 5000, 66_150, 144_000, 500_000] {
            let plan = plan_segments(len);
            let mut next = HEAD;
            for &(n, o, p) in &plan {
                assert_eq!(o, next, "contiguous for {len}: {plan:?}");
                assert!(o + HEAD >= 2 * n, "offset {o} < 2N−B for N={n}");
                next = o + n * p;
            }
            assert!(next >= len && next < len + plan.last().unwrap().0, "{len}: {plan:?}");
        }
        assert!(plan_segments(64).is_empty());
    }

    #[test]
    fn the_audio_side_types_can_be_sent_to_the_audio_thread() {
        fn is_send<T: Send>() {}
        is_send::<Convolver>();
        is_send::<ConvolutionReverb>();
        is_send::<ConvolverLoader>();
    }
}
