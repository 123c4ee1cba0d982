//! Throughput of the phaser, measured the way the plugin runs it: a stereo music-like signal at
//! 48 kHz in host blocks of 256 samples, `set_settings` once per block.
//!
//! `cargo bench --bench phaser` prints µs per stereo frame (both channels of one sample) for:
//! (a) 8 stages with the LFO running (depth 2 octaves, 1 Hz, stereo 90°, feedback 0.5): the
//!     coefficient path at control rate plus the per-sample interpolation (target ≤ 0.05 µs);
//! (b) 48 static stages, feedback 0 and 0.5 (target ≤ 0.15 µs);
//! (c) 8 static stages, feedback 0 and 0.5;
//! and, for reference, 48 stages with the LFO running, and the mono path.
//!
//! Each figure is the median of several timed passes over the same signal after an untimed
//! warm-up pass; the phaser is reset before each pass so every pass does identical work. A plain
//! harness (`harness = false`, `std::time::Instant`, `black_box`): it measures, it does not
//! assert, so it cannot fail on a slow or busy machine (on a shared one, expect some spread).

use std::hint::black_box;

use ferrite_dsp::lfo::LfoShape;
use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::phaser::{Phaser, PhaserSettings};

mod common;
use common::median_seconds;

/// Host sample rate, Hz.
const SR: f32 = 48_000.0;
/// Host block size.
const BLOCK: usize = 256;
/// Signal length per channel, samples (1 s).
const LEN: usize = 48_000;
/// Timed passes per figure (the median is reported), after one warm-up pass.
const RUNS: usize = 9;

/// µs per stereo frame of one stereo pass with `settings`.
fn stereo_us(settings: &PhaserSettings, input: &[Vec<f32>; 2], out: &mut [Vec<f32>; 2]) -> f64 {
    let mut phaser = Phaser::prepare(&ProcessSpec::new(SR, BLOCK, 2));
    phaser.set_settings(settings);
    phaser.reset();
    let seconds = median_seconds(RUNS, || {
        phaser.reset();
        out[0].copy_from_slice(&input[0]);
        out[1].copy_from_slice(&input[1]);
        let [l, r] = out;
        for (lb, rb) in l.chunks_mut(BLOCK).zip(r.chunks_mut(BLOCK)) {
            phaser.set_settings(black_box(settings));
            phaser.process(&mut [black_box(lb), black_box(rb)], ());
        }
        black_box(&out);
    });
    seconds / LEN as f64 * 1e6
}

/// µs per mono sample of one mono pass with `settings`.
fn mono_us(settings: &PhaserSettings, input: &[f32], out: &mut [f32]) -> f64 {
    let mut phaser = Phaser::prepare(&ProcessSpec::new(SR, BLOCK, 2));
    phaser.set_settings(settings);
    phaser.reset();
    let seconds = median_seconds(RUNS, || {
        phaser.reset();
        out.copy_from_slice(input);
        for b in out.chunks_mut(BLOCK) {
            phaser.set_settings(black_box(settings));
            phaser.process(&mut [black_box(b)], ());
        }
        black_box(&out);
    });
    seconds / LEN as f64 * 1e6
}

fn main() {
    let input =
        [ferrite_dsp::analysis::music_like(1, LEN, SR as f64), ferrite_dsp::analysis::music_like(2, LEN, SR as f64)];
    let mut out = [vec![0.0f32; LEN], vec![0.0f32; LEN]];
    let base = PhaserSettings {
        stages: 8,
        freq_hz: 600.0,
        spread: 1.3,
        q: 4.0,
        feedback: 0.0,
        lfo_rate_hz: 1.0,
        lfo_depth_octaves: 0.0,
        lfo_shape: LfoShape::Sine,
        stereo_phase_deg: 90.0,
        mix: 0.5,
    };
    let sweeping = |stages: usize, feedback: f32| PhaserSettings { stages, feedback, lfo_depth_octaves: 2.0, ..base };
    let fixed = |stages: usize, feedback: f32| PhaserSettings { stages, feedback, ..base };

    println!(
        "phaser: stereo at {SR} Hz in blocks of {BLOCK}, {LEN} frames of a music-like signal; median of {RUNS} passes"
    );
    println!("µs per stereo frame (targets: (a) ≤ 0.050, (b) ≤ 0.150)");
    let cases: [(&str, PhaserSettings); 7] = [
        ("(a) 8 stages, LFO 1 Hz 2 oct, fb 0.5", sweeping(8, 0.5)),
        ("(b) 48 static stages, fb 0", fixed(48, 0.0)),
        ("(b) 48 static stages, fb 0.5", fixed(48, 0.5)),
        ("(c) 8 static stages, fb 0", fixed(8, 0.0)),
        ("(c) 8 static stages, fb 0.5", fixed(8, 0.5)),
        ("    48 stages, LFO 1 Hz 2 oct, fb 0.5", sweeping(48, 0.5)),
        ("    8 stages, LFO 1 Hz 2 oct, fb 0", sweeping(8, 0.0)),
    ];
    for (name, settings) in cases.iter() {
        println!("{name:<40} {:>7.4}", stereo_us(settings, &input, &mut out));
    }
    let mut mono_out = vec![0.0f32; LEN];
    println!(
        "{:<40} {:>7.4}  (µs per mono sample)",
        "    mono, 8 stages, LFO, fb 0.5",
        mono_us(&sweeping(8, 0.5), &input[0], &mut mono_out)
    );
}
