//! Cost of the zero-latency convolver the way Ferrite Reverb runs it: a 3 s stereo IR at
//! 48 kHz (L→L, R→R), a stereo music-like signal, host blocks of 64, 256 and 1024 frames.
//!
//! `cargo bench --bench convolution` prints per block size:
//! * µs per stereo frame (median of several passes over 2 s of signal, after a warm-up pass);
//! * callback times of further passes, each callback timed with `Instant`, to show whether the
//!   work comes in bursts (pyo's CvlVerb does a whole partition's multiply-adds in the one
//!   callback that completes it): the mean callback; "slot max": the callbacks are grouped by
//!   their position within the period of the longest partition (the schedule repeats with that
//!   period), the median of each group taken over the periods, and the largest such median
//!   reported, with its ratio to the mean. That figure is what the schedule does, free of the
//!   OS preempting the thread; the raw 99.9th percentile and the single worst callback (which
//!   on a shared machine mostly measure preemption) are printed too;
//! * the partition plan and the memory used.
//!
//! The target is ≤ 1 µs per stereo frame at 64-frame blocks. A plain harness
//! (`harness = false`, `std::time::Instant`, `black_box`): it measures, it never asserts.

use std::hint::black_box;
use std::time::Instant;

use ferrite_dsp::analysis::music_like;
use ferrite_dsp::reverb::convolution::Convolver;

mod common;
use common::{median, median_of};

/// Sample rate, Hz.
const SR: f64 = 48_000.0;
/// IR length: 3 s.
const IR_LEN: usize = 144_000;
/// Signal length per pass: 2 s (several periods of the longest partitions).
const LEN: usize = 96_000;
/// Timed passes per figure (median reported), after one warm-up pass.
const RUNS: usize = 5;
/// Passes whose callbacks are timed one by one.
const CB_PASSES: usize = 3;

/// A reverb-like IR channel: noise decaying by 60 dB over the IR.
fn ir(seed: u64) -> Vec<f32> {
    let mut rng = ferrite_test_kit::Rng::from_small_seed(seed);
    (0..IR_LEN).map(|i| 0.3 * rng.signed() * 10f32.powf(-3.0 * i as f32 / IR_LEN as f32)).collect()
}

/// One pass over the signal in blocks of `block`; returns every callback's time in seconds.
fn pass(conv: &mut Convolver, l: &[f32], r: &[f32], out: &mut [Vec<f32>; 2], block: usize, times: &mut Vec<f64>) {
    times.clear();
    let [ol, or] = out;
    for start in (0..LEN).step_by(block) {
        let end = (start + block).min(LEN);
        let t0 = Instant::now();
        conv.process(black_box(&l[start..end]), black_box(&r[start..end]), &mut ol[start..end], &mut or[start..end]);
        times.push(t0.elapsed().as_secs_f64());
    }
    black_box(&out);
}

fn main() {
    let (hl, hr) = (ir(1), ir(2));
    let l = music_like(1, LEN, SR);
    let r = music_like(2, LEN, SR);
    let mut out = [vec![0.0f32; LEN], vec![0.0f32; LEN]];
    let mut conv = Convolver::new(&[&hl, &hr], 1024);
    println!(
        "convolver: 3 s stereo IR ({IR_LEN} samples per channel) at {SR} Hz, {LEN} frames per pass, median of {RUNS} passes"
    );
    println!(
        "partitions (size, first tap, count): {:?}; memory {:.1} MB",
        conv.segments(),
        conv.memory_bytes() as f64 / 1e6
    );
    println!(
        "times in µs; \"slot max\": largest per-slot median callback time, \"/mean\": its ratio to the mean callback"
    );
    println!(
        "{:>6} | {:>9} | {:>8} | {:>8} {:>6} | {:>8} {:>8}",
        "block", "per frame", "mean cb", "slot max", "/mean", "p99.9", "worst"
    );
    let mut times = Vec::new();
    for block in [64usize, 256, 1024] {
        let total = median_of(RUNS, || {
            conv.reset();
            let t0 = Instant::now();
            pass(&mut conv, &l, &r, &mut out, block, &mut times);
            t0.elapsed().as_secs_f64()
        });
        let per_frame = total / LEN as f64 * 1e6;
        // Callback statistics over `CB_PASSES` further passes, each from reset; the first two
        // periods of the longest partitions (partly idle after a reset) are left out.
        let longest = conv.segments().iter().map(|s| s.0).max().unwrap_or(64);
        let per_period = (longest / block).max(1);
        let skip = 2 * per_period;
        let mut by_slot: Vec<Vec<f64>> = vec![Vec::new(); per_period];
        let mut all = Vec::new();
        for _ in 0..CB_PASSES {
            conv.reset();
            pass(&mut conv, &l, &r, &mut out, block, &mut times);
            for (i, &t) in times.iter().enumerate().skip(skip) {
                by_slot[i % per_period].push(t);
                all.push(t);
            }
        }
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        let slot_max = by_slot.into_iter().map(median).fold(0.0f64, f64::max);
        all.sort_by(f64::total_cmp);
        let worst = all[all.len() - 1];
        let p999 = all[((all.len() as f64 * 0.999) as usize).min(all.len() - 1)];
        println!(
            "{:>6} | {:>9.3} | {:>8.2} | {:>8.2} {:>6.2} | {:>8.2} {:>8.2}",
            block,
            per_frame,
            mean * 1e6,
            slot_max * 1e6,
            slot_max / mean,
            p999 * 1e6,
            worst * 1e6,
        );
    }
}
