//! Throughput of the oversampled VCS3 filter, measured the way the plugin runs it: a stereo
//! music-like signal at 48 kHz in host blocks of 256 samples, per-sample parameter slices.
//!
//! `cargo bench --bench vcf` prints, per oversampling factor, cutoff and resonance, the cost in
//! µs per channel-sample at the host rate (the whole `Vcf::process`: oversampling, model,
//! decimation) and the Newton solver's mean (and worst) iterations per model-rate step. The
//! target is 0.1 µs per channel-sample at 1×.
//!
//! Each figure is the median of several timed passes over the same signal after an untimed
//! warm-up pass; the state is reset before every pass so each does identical work. A plain
//! harness (`harness = false`, `std::time::Instant`, `black_box`): it measures, it does not
//! assert (on a shared machine, expect some spread).

use std::hint::black_box;

use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::vcf::{Vcf, VcfControl, MAX_OVERSAMPLING_LOG2};

mod common;
use common::median_seconds;

/// Host sample rate, Hz.
const SR: f32 = 48_000.0;
/// Host block size.
const BLOCK: usize = 256;
/// Signal length per channel, host samples (0.25 s).
const LEN: usize = 12_000;
/// Timed passes per figure (the median is reported), after one warm-up pass.
const RUNS: usize = 5;
/// Stereo.
const CHANNELS: usize = 2;

/// One pass: reset, then the whole signal block by block (in place on a copy of the input).
fn pass(vcf: &mut Vcf, input: &[Vec<f32>], work: &mut [Vec<f32>], cutoff: &[f32], resonance: &[f32]) {
    vcf.reset();
    for (w, x) in work.iter_mut().zip(input) {
        w.copy_from_slice(x);
    }
    for start in (0..LEN).step_by(BLOCK) {
        let end = (start + BLOCK).min(LEN);
        let (l, r) = work.split_at_mut(1);
        let mut chans: [&mut [f32]; CHANNELS] = [&mut l[0][start..end], &mut r[0][start..end]];
        vcf.process(&mut chans, VcfControl { cutoff_hz: black_box(&cutoff[..end - start]), resonance: black_box(&resonance[..end - start]) });
    }
    black_box(&work);
}

fn main() {
    let input: Vec<Vec<f32>> =
        (0..CHANNELS as u32).map(|c| ferrite_dsp::analysis::music_like(c + 1, LEN, SR as f64)).collect();
    let mut work = input.clone();
    let cutoffs = [200.0f32, 2_000.0, 10_000.0, 18_000.0];
    let resonances = [0.0f32, 4.0, 9.0];
    println!(
        "VCS3 filter: {CHANNELS} channels at {SR} Hz in blocks of {BLOCK}, {LEN} samples of a music-like signal \
         at 0 dBFS; median of {RUNS} passes"
    );
    println!("µs per channel-sample (host rate) | mean Newton iterations per model step (worst)");
    print!("{:>6} {:>6} |", "factor", "K");
    for c in cutoffs {
        print!(" {:>17}", format!("{c} Hz"));
    }
    println!(" | {:>7}", "mean µs");
    let mut vcf = Vcf::prepare(&ProcessSpec::new(SR, BLOCK, CHANNELS));
    for factor_log2 in 0..=MAX_OVERSAMPLING_LOG2 {
        vcf.set_oversampling_log2(factor_log2);
        for k in resonances {
            print!("{:>5}× {:>6} |", 1 << factor_log2, k);
            let mut sum = 0.0;
            for c in cutoffs {
                let (cut, res) = (vec![c; BLOCK], vec![k; BLOCK]);
                let secs = median_seconds(RUNS, || pass(&mut vcf, &input, &mut work, &cut, &res));
                let us = secs / (CHANNELS * LEN) as f64 * 1e6;
                sum += us;
                vcf.reset_stats();
                pass(&mut vcf, &input, &mut work, &cut, &res);
                let s = vcf.stats();
                print!(" {:>6.3} {:>5.2} ({:>2})", us, s.mean_iterations(), s.max_iterations);
            }
            println!(" | {:>7.3}", sum / cutoffs.len() as f64);
        }
    }
}
