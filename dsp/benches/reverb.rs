//! Throughput of the three algorithmic reverbs at 48 kHz, in µs per stereo frame, the way the
//! plugin runs them: `set_settings` once per block, then `process` on the block.
//!
//! `cargo bench --bench reverb` prints, per model (decay 2 s, modulation 0.5, damping 0.5,
//! size 0.5; Freeverb, which has no RT60 parameter, at room 0.75 ≈ 2.4 s) and block size
//! (64, 256):
//! * `noise`: while full-scale white noise plays;
//! * `tail +1 s`, `+25 s`, `+40 s`: silence in, at those times after the input stopped. Near
//!   +25 s an unguarded 2 s tail would be in the subnormal range (600–900 dB down); by +40 s
//!   the per-structure flushes have taken every state to exact zeros;
//! each with the thread's FTZ/DAZ flags off (the host's default) and on
//! (`ScopedFlushDenormals`). The per-structure guards are meant to keep every tail figure
//! within 1.5× of `noise` even with the flags off.
//!
//! Each figure is the median of several timed passes over 1 s of audio, each from a clone of
//! the same prepared state. A plain harness (`harness = false`, `std::time::Instant`,
//! `black_box`): it measures, it does not assert.

use std::hint::black_box;
use std::time::Instant;

use ferrite_dsp::denormal::ScopedFlushDenormals;
use ferrite_dsp::model::{Model as _, ProcessSpec};
use ferrite_dsp::reverb::freeverb::Freeverb;
use ferrite_dsp::reverb::hall::Hall;
use ferrite_dsp::reverb::plate::Plate;
use ferrite_dsp::reverb::ReverbSettings;

mod common;
use common::median_of;

/// Sample rate, Hz.
const SR: f32 = 48_000.0;
/// Frames per timed pass (1 s).
const LEN: usize = 48_000;
/// Timed passes per figure (the median is reported), after one warm-up pass.
const RUNS: usize = 7;

/// The three models behind one interface.
#[derive(Clone)]
enum Model {
    Freeverb(Freeverb),
    Hall(Hall),
    Plate(Plate),
}

impl Model {
    fn set(&mut self, s: &ReverbSettings) {
        match self {
            Model::Freeverb(m) => m.set_settings(s),
            Model::Hall(m) => m.set_settings(s),
            Model::Plate(m) => m.set_settings(s),
        }
    }
    /// The models process in place: the input is copied into the output first.
    fn process(&mut self, a: &[f32], b: &[f32], c: &mut [f32], d: &mut [f32]) {
        c.copy_from_slice(a);
        d.copy_from_slice(b);
        match self {
            Model::Freeverb(m) => m.process(&mut [c, d], ()),
            Model::Hall(m) => m.process(&mut [c, d], ()),
            Model::Plate(m) => m.process(&mut [c, d], ()),
        }
    }
    /// Process `in_l/in_r` in blocks of `block`, setting the settings before each block.
    fn run(&mut self, s: &ReverbSettings, in_l: &[f32], in_r: &[f32], out: &mut (Vec<f32>, Vec<f32>), block: usize) {
        for start in (0..in_l.len()).step_by(block) {
            let end = (start + block).min(in_l.len());
            self.set(s);
            self.process(black_box(&in_l[start..end]), black_box(&in_r[start..end]), &mut out.0[start..end], &mut out.1[start..end]);
        }
        black_box(&out);
    }
}

/// Deterministic white noise in [−1, 1).
fn noise(seed: u32, len: usize) -> Vec<f32> {
    let mut state = 0x9E37_79B9u32 ^ seed.wrapping_mul(0x85EB_CA6B);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f64 / 2_147_483_648.0 - 1.0) as f32
        })
        .collect()
}

/// Median µs per frame of `RUNS` passes, each over `in_l/in_r` from a clone of `prepared`.
fn time_per_frame(prepared: &Model, s: &ReverbSettings, in_l: &[f32], in_r: &[f32], block: usize, ftz: bool) -> f64 {
    let mut out = (vec![0.0f32; in_l.len()], vec![0.0f32; in_l.len()]);
    let pass = || {
        let mut m = prepared.clone();
        let start = Instant::now();
        if ftz {
            let _guard = ScopedFlushDenormals::new();
            m.run(s, in_l, in_r, &mut out, block);
        } else {
            m.run(s, in_l, in_r, &mut out, block);
        }
        start.elapsed().as_secs_f64()
    };
    median_of(RUNS, pass) / in_l.len() as f64 * 1e6
}

fn main() {
    let noise_l = noise(1, LEN);
    let noise_r = noise(2, LEN);
    let silence = vec![0.0f32; LEN];
    let base = ReverbSettings { decay_s: 2.0, size: 0.5, damping: 0.5, modulation: 0.5, freeze: false };
    let spec = ProcessSpec::new(SR, LEN, 2);
    let models = [
        ("freeverb", Model::Freeverb(Freeverb::prepare(&spec)), ReverbSettings { size: 0.75, ..base }, 0.04),
        ("hall", Model::Hall(Hall::prepare(&spec)), base, 0.06),
        ("plate", Model::Plate(Plate::prepare(&spec)), base, 0.05),
    ];
    println!("algorithmic reverbs at {SR} Hz: µs per stereo frame, median of {RUNS} passes of 1 s");
    println!("(decay 2 s, modulation 0.5, damping 0.5; tail = silence in, at the given time after the noise stopped)");
    println!(
        "{:>9} {:>5} {:>6} | {:>7} {:>8} {:>8} {:>8} | {:>7} {:>8} {:>8} {:>8}",
        "model", "block", "target", "noise", "tail+1s", "tail+25s", "tail+40s", "noise", "tail+1s", "tail+25s", "tail+40s"
    );
    println!("{:>22} | {:^35} | {:^35}", "", "FTZ/DAZ off", "FTZ/DAZ on");
    for (name, fresh, s, target) in models {
        // States: after 1 s of noise (the "playing" state), and 1, 25, 40 s into the tail.
        let mut out = (vec![0.0f32; LEN], vec![0.0f32; LEN]);
        let mut m = fresh.clone();
        m.run(&s, &noise_l, &noise_r, &mut out, 256);
        let playing = m.clone();
        let mut tails = Vec::new();
        for second in 1..=40 {
            m.run(&s, &silence, &silence, &mut out, 4096);
            if [1, 25, 40].contains(&second) {
                tails.push(m.clone());
            }
        }
        for block in [64usize, 256] {
            let mut row = Vec::new();
            for ftz in [false, true] {
                row.push(time_per_frame(&playing, &s, &noise_l, &noise_r, block, ftz));
                for t in &tails {
                    row.push(time_per_frame(t, &s, &silence, &silence, block, ftz));
                }
            }
            println!(
                "{:>9} {:>5} {:>6.3} | {:>7.4} {:>8.4} {:>8.4} {:>8.4} | {:>7.4} {:>8.4} {:>8.4} {:>8.4}",
                name, block, target, row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7]
            );
        }
    }
}
