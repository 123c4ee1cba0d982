//! Whole-plugin cost: Ferrite Ring's own `process` (as a host calls it), stereo at 48 kHz with
//! 512-sample blocks, per model and oversampling factor, in µs per channel-sample.
//!
//! `cargo bench -p ferrite-ring --bench process`

use std::hint::black_box;
use std::time::Instant;

use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};
use ferrite_plugin_common::settings::{apply, parse_setting};
use ferrite_ring::FerriteRing;

const SR: f32 = 48_000.0;
const BLOCK: usize = 512;
/// Audio per measurement run, seconds.
const SECONDS: f32 = 1.0;
const RUNS: usize = 5;

fn main() {
    let frames = (SR * SECONDS) as usize;
    let input: Vec<Vec<f32>> =
        (0..2).map(|seed| ferrite_dsp::analysis::music_like(seed, frames, SR as f64)).collect();
    println!("Ferrite Ring process(), stereo, {SR} Hz, blocks of {BLOCK}, drive +6 dB; median of {RUNS} runs");
    println!("{:<8} {:>6} {:>22}", "model", "factor", "µs per channel-sample");
    for model in ["circuit", "parker"] {
        for os in ["1x", "2x", "4x", "8x", "16x", "32x"] {
            let mut host = OfflineHost::<FerriteRing>::new();
            let settings: Vec<_> = [format!("model={model}"), format!("oversampling={os}"), "drive=6".to_owned()]
                .iter()
                .map(|s| parse_setting(host.params().as_ref(), s).unwrap())
                .collect();
            apply(host.params().as_ref(), &settings);
            host.activate(layout_for_channels::<FerriteRing>(2).unwrap(), SR, BLOCK).unwrap();
            let mut times = Vec::with_capacity(RUNS);
            for run in 0..=RUNS {
                let start = Instant::now();
                for pos in (0..frames).step_by(BLOCK) {
                    let len = BLOCK.min(frames - pos);
                    let (main, _) = host.buffers_mut();
                    for (buf, src) in main.iter_mut().zip(&input) {
                        buf[..len].copy_from_slice(&src[pos..pos + len]);
                    }
                    black_box(host.process(len));
                }
                // The first run warms caches and the branch predictors; it is not counted.
                if run > 0 {
                    times.push(start.elapsed().as_secs_f64());
                }
            }
            times.sort_by(f64::total_cmp);
            let per_sample = times[RUNS / 2] / (frames * 2) as f64 * 1e6;
            println!("{model:<8} {os:>6} {per_sample:>22.3}");
        }
    }
}
