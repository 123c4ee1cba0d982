//! What subnormal input costs, for every plugin at its defaults (stereo, 44.1 kHz as
//! clap-validator runs it, 512-sample blocks): the plugin's own `process` as a host calls it,
//! on a thread whose FTZ/DAZ flags are off (a host's default), fed white noise in ±1 (every
//! input port, sidechains included) against random subnormals in ±`f32::MIN_POSITIVE` (what
//! clap-validator's `process-audio-denormals` feeds) and against silence. The inputs are made
//! before timing. Three instances, one per input, process block by block in turn, so that load
//! from elsewhere on the machine falls on all three alike; each figure is the fastest of the runs.
//!
//! `cargo bench -p ferrite-tests --bench denormals`

use std::hint::black_box;
use std::time::Instant;

use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};
use ferrite_test_kit::Rng;
use nice_plug::prelude::*;

const SR: f32 = 44_100.0;
const BLOCK: usize = 512;
const SECONDS: f32 = 1.0;
const RUNS: usize = 15;

/// The fastest run: what the code costs when nothing else on the machine gets in the way.
fn best(v: &[f64]) -> f64 {
    v.iter().cloned().fold(f64::INFINITY, f64::min)
}

/// One input signal for every channel of every port.
#[derive(Clone, Copy)]
enum Input {
    Noise,
    Subnormal,
    Silence,
}

fn signal(kind: Input, frames: usize, rng: &mut Rng) -> Vec<f32> {
    (0..frames)
        .map(|_| match kind {
            Input::Noise => rng.signed(),
            // Subnormals made from their bits, so making them costs no subnormal arithmetic.
            Input::Subnormal => {
                let mantissa = (rng.next_u64() as u32) & 0x007f_ffff;
                let sign = if rng.next_u64() & 1 == 0 { 0 } else { 0x8000_0000 };
                f32::from_bits(sign | mantissa.max(1))
            }
            Input::Silence => 0.0,
        })
        .collect()
}

/// Copies block `pos..pos + len` of `input` into every input channel of `host` (main ports
/// first, then the sidechain's channels, taking the signals cyclically) and times `process`.
fn block<P: Plugin>(host: &mut OfflineHost<P>, input: &[Vec<f32>], pos: usize, len: usize) -> f64 {
    let (main, aux) = host.buffers_mut();
    let channels = main.iter_mut().chain(aux.iter_mut().flatten());
    for (buf, src) in channels.zip(input.iter().cycle()) {
        buf[..len].copy_from_slice(&src[pos..pos + len]);
    }
    let start = Instant::now();
    black_box(host.process(len));
    start.elapsed().as_secs_f64()
}

fn main() {
    let frames = (SR * SECONDS) as usize;
    let mut rng = Rng::new(0x5eed_d0e5);
    let inputs: Vec<Vec<Vec<f32>>> = [Input::Noise, Input::Subnormal, Input::Silence]
        .iter()
        .map(|&kind| (0..4).map(|_| signal(kind, frames, &mut rng)).collect())
        .collect();
    println!(
        "Subnormal input, stereo {SR} Hz, blocks of {BLOCK}, defaults; µs per channel-sample, best of {RUNS} runs, the inputs' blocks interleaved"
    );
    println!("{:<16} {:>10} {:>10} {:>10} {:>18}", "plugin", "noise", "subnormal", "silence", "subnormal / noise");
    macro_rules! bench {
        ($krate:ident, $plugin:ty) => {{
            // One instance per input, processed block by block in turn, so that whatever else the
            // machine does falls on all three alike.
            let mut hosts: Vec<OfflineHost<$plugin>> = inputs
                .iter()
                .map(|_| {
                    let mut host = OfflineHost::<$plugin>::new();
                    host.activate(layout_for_channels::<$plugin>(2).unwrap(), SR, BLOCK).unwrap();
                    host
                })
                .collect();
            let mut times = vec![Vec::new(); inputs.len()];
            // The first run warms caches and branch predictors; it is not counted.
            for run in 0..=RUNS {
                let mut total = vec![0.0; inputs.len()];
                for (i, pos) in (0..frames).step_by(BLOCK).enumerate() {
                    let len = BLOCK.min(frames - pos);
                    // Which input goes first rotates from block to block.
                    for k in 0..inputs.len() {
                        let j = (i + k) % inputs.len();
                        total[j] += block(&mut hosts[j], &inputs[j], pos, len);
                    }
                }
                if run > 0 {
                    for (t, total) in times.iter_mut().zip(total) {
                        t.push(total);
                    }
                }
            }
            let per = |t: &Vec<f64>| best(t) / (frames * 2) as f64 * 1e6;
            let (noise, sub, silence) = (per(&times[0]), per(&times[1]), per(&times[2]));
            println!(
                "{:<16} {:>10.4} {:>10.4} {:>10.4} {:>18.2}",
                <$plugin as Plugin>::NAME,
                noise,
                sub,
                silence,
                sub / noise
            );
        }};
    }
    ferrite_tests::for_each_plugin!(bench);
}
