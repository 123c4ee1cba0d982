//! Throughput of the oversampled ring modulator, measured the way the plugin runs it: a stereo
//! signal in host blocks of 256 samples, both models at every oversampling factor.
//!
//! `cargo bench -p ferrite-dsp --bench ring` prints, per factor, in µs per channel-sample at
//! the host rate:
//! * each model through `RingModulator::process_channel`, one channel at a time (after copying
//!   the modulator into the output, which it processes in place), and through the model's
//!   `process`, both channels at once (the plugin's call, where the
//!   circuit solves the pair in lock-step), and the circuit solver's own cost per channel and
//!   oversampled step (its both-channels figure less Parker's, which is the oversampling
//!   and the buffers plus a model that costs next to nothing);
//! * the circuit solver's mean Newton iterations per step (and the most in one step);
//! * the oversampling alone: one Upsampler + Downsampler round trip, and what the ring spends on
//!   it (two upsamplers, modulator and carrier, plus one downsampler), so the reader can see
//!   which part limits which factor.
//!
//! Each figure is the median of several timed passes over the same signal after an untimed
//! warm-up pass; the state is reset before every pass so each does identical work. A plain
//! harness (`harness = false`, `std::time::Instant`, `black_box`): it measures, it does not
//! assert, so it cannot fail on a slow or busy machine (on a shared one, expect some spread).

use std::hint::black_box;

use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::oversampler::{Downsampler, Upsampler, MAX_FACTOR_LOG2};
use ferrite_dsp::ring::{RingModel, RingModulator, CARRIER_VOLTS_PEAK, MODULATOR_VOLTS_PER_FULL_SCALE};
use ferrite_dsp::solver::SolverStats;

mod common;
use common::median_seconds;

/// Host sample rate, Hz.
const SR: f32 = 48_000.0;
/// Host block size (the plugin's chunk).
const BLOCK: usize = 256;
/// Signal length per channel, host samples (0.5 s).
const LEN: usize = 24_000;
/// Timed passes per figure (the median is reported), after one warm-up pass.
const RUNS: usize = 7;
/// Stereo.
const CHANNELS: usize = 2;

/// The shared full-scale "music-like" test signal; `seed` makes the channels differ.
fn music(seed: u32) -> Vec<f32> {
    ferrite_dsp::analysis::music_like(seed, LEN, SR as f64)
}

/// µs per channel-sample for a pass over `CHANNELS × LEN` host samples.
fn per_channel_sample_us(seconds: f64) -> f64 {
    seconds / (CHANNELS * LEN) as f64 * 1e6
}

/// The inputs and outputs of one pass.
struct Signals {
    /// Modulator per channel, volts.
    modulators: Vec<Vec<f32>>,
    /// The carrier shared by both channels, volts.
    carrier: Vec<f32>,
    /// Output per channel.
    outs: Vec<Vec<f32>>,
}

/// One pass through `RingModulator::process_channel`, channel by channel within each block.
fn pass_per_channel(ring: &mut RingModulator, s: &mut Signals) {
    ring.reset();
    for start in (0..LEN).step_by(BLOCK) {
        let end = (start + BLOCK).min(LEN);
        for (ch, out) in s.outs.iter_mut().enumerate() {
            let (m, c) = (black_box(&s.modulators[ch][start..end]), black_box(&s.carrier[start..end]));
            out[start..end].copy_from_slice(m);
            ring.process_channel(ch, &mut out[start..end], c);
        }
    }
    black_box(&s.outs);
}

/// One pass through the model's `process`, both channels per block.
fn pass_all_channels(ring: &mut RingModulator, s: &mut Signals) {
    ring.reset();
    for start in (0..LEN).step_by(BLOCK) {
        let end = (start + BLOCK).min(LEN);
        let c = [black_box(&s.carrier[start..end]); CHANNELS];
        let mut o: Vec<&mut [f32]> = s.outs.iter_mut().map(|o| &mut o[start..end]).collect();
        for (o, m) in o.iter_mut().zip(&s.modulators) {
            o.copy_from_slice(black_box(&m[start..end]));
        }
        Model::process(ring, &mut o, &c);
    }
    black_box(&s.outs);
}

fn main() {
    // +6 dB of drive on a full-scale signal, in volts; a 0.8 V 440 Hz sine carrier shared by
    // both channels (the plugin's internal oscillator).
    let drive = 10f32.powf(6.0 / 20.0) * MODULATOR_VOLTS_PER_FULL_SCALE;
    let mut s = Signals {
        modulators: (0..CHANNELS as u32).map(|c| music(c + 1).iter().map(|&x| x * drive).collect()).collect(),
        carrier: (0..LEN).map(|i| CARRIER_VOLTS_PEAK * (std::f32::consts::TAU * 440.0 * i as f32 / SR).sin()).collect(),
        outs: vec![vec![0.0f32; LEN]; CHANNELS],
    };

    println!(
        "ring modulator: {CHANNELS} channels at {SR} Hz in blocks of {BLOCK}, {LEN} samples of a music-like modulator \
         (+6 dB drive) and a 0.8 V 440 Hz carrier; median of {RUNS} passes"
    );
    println!(
        "µs per channel-sample (host rate); \"solver/step\": the circuit's own cost (its both-channels \
         figure less Parker's) in ns per channel and oversampled step"
    );
    println!("{:>6} | {:^41} | {:^18} | {:^21}", "", "circuit", "parker", "oversampling alone");
    println!(
        "{:>6} | {:>8} {:>9} {:>11} {:>6} {:>3} | {:>8} {:>9} | {:>10} {:>10}",
        "factor", "process", "channels", "solver/step", "iters", "max", "process", "channels", "round trip", "in ring"
    );
    let mut ring = RingModulator::prepare(&ProcessSpec::new(SR, BLOCK, CHANNELS));
    for factor_log2 in 0..=MAX_FACTOR_LOG2 {
        let factor = 1usize << factor_log2;
        ring.set_oversampling_log2(factor_log2);
        let mut times = [[0.0f64; 2]; 2];
        for (mi, model) in [RingModel::Circuit, RingModel::Parker].into_iter().enumerate() {
            ring.set_model(model);
            times[mi][0] = per_channel_sample_us(median_seconds(RUNS, || pass_per_channel(&mut ring, &mut s)));
            times[mi][1] = per_channel_sample_us(median_seconds(RUNS, || pass_all_channels(&mut ring, &mut s)));
        }
        // Solver statistics over one more (untimed) pass of the circuit.
        ring.set_model(RingModel::Circuit);
        for ch in 0..CHANNELS {
            ring.take_solver_stats(ch);
        }
        pass_all_channels(&mut ring, &mut s);
        let mut stats = SolverStats::default();
        for ch in 0..CHANNELS {
            stats.merge(&ring.take_solver_stats(ch));
        }

        // The oversampling alone: one round trip, and the ring's share (two up, one down).
        let mut up_m = Upsampler::new(MAX_FACTOR_LOG2, BLOCK);
        let mut up_c = Upsampler::new(MAX_FACTOR_LOG2, BLOCK);
        let mut down = Downsampler::new(MAX_FACTOR_LOG2, BLOCK);
        up_m.set_factor_log2(factor_log2);
        up_c.set_factor_log2(factor_log2);
        down.set_factor_log2(factor_log2);
        let mut block_out = [0.0f32; BLOCK];
        let round_trip = per_channel_sample_us(median_seconds(RUNS, || {
            for m in &s.modulators {
                for chunk in m.chunks(BLOCK) {
                    let up = up_m.process(black_box(chunk));
                    down.process(up, &mut block_out[..chunk.len()]);
                    black_box(&block_out);
                }
            }
        }));
        let in_ring = per_channel_sample_us(median_seconds(RUNS, || {
            for m in &s.modulators {
                for (m, c) in m.chunks(BLOCK).zip(s.carrier.chunks(BLOCK)) {
                    black_box(up_c.process(black_box(c)));
                    let up = up_m.process(black_box(m));
                    down.process(up, &mut block_out[..m.len()]);
                    black_box(&block_out);
                }
            }
        }));

        println!(
            "{:>5}× | {:>8.3} {:>9.3} {:>11.1} {:>6.3} {:>3} | {:>8.3} {:>9.3} | {:>10.3} {:>10.3}",
            factor,
            times[0][0],
            times[0][1],
            (times[0][1] - times[1][1]) * 1e3 / factor as f64,
            stats.mean_iterations(),
            stats.max_iterations,
            times[1][0],
            times[1][1],
            round_trip,
            in_ring,
        );
    }
}
