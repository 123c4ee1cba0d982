//! What a plugin costs around its model: the model alone (`ferrite-dsp`, `process` on the
//! host's blocks) against the whole plugin's own `process` as a host calls it (the plugin
//! skeleton `EffectPlugin` with the plugin's engine: input sanitising, parameter smoothing,
//! dry path, mix, output gain, switch fade, finite guard, idle detection), same settings, same
//! input (stereo noise-like music at −12 dBFS, 48 kHz, blocks of 512). The difference is the
//! overhead; `cargo bench -p ferrite-clap-host-tests --bench hosted` adds the CLAP wrapper.
//!
//! - Ferrite Phaser with 1 and 8 static stages (its defaults otherwise): the phaser's engine is
//!   the skeleton and nothing else (sanitise, the model, output gain, guard).
//! - Ferrite Reverb's Freeverb, hall and plate at the plugin's defaults: the engine adds
//!   predelay, the low and high cut, width and the mix to the model.
//!
//! Each figure is the fastest of 30 passes of 94 blocks, the model's and the plugin's passes
//! taking turns. `cargo bench -p ferrite-tests --bench
//! overhead`

use std::hint::black_box;
use std::time::Instant;

use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::phaser::{Phaser, PhaserSettings};
use ferrite_dsp::reverb::freeverb::Freeverb;
use ferrite_dsp::reverb::hall::Hall;
use ferrite_dsp::reverb::plate::Plate;
use ferrite_dsp::reverb::ReverbSettings;
use ferrite_plugin_common::effect::{Effect, EffectPlugin};
use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};

const SR: f32 = 48_000.0;
const BLOCK: usize = 512;
const BLOCKS: usize = 94;
const PASSES: usize = 30;

/// µs per stereo frame of two ways of processing the same blocks, `a(k)` and `b(k)` for block
/// `k`: the fastest of [`PASSES`] passes of [`BLOCKS`] blocks each, the passes of the two taking
/// turns, so that a machine whose speed drifts (a shared virtual machine) slows both alike.
fn per_frame_pair(mut a: impl FnMut(usize), mut b: impl FnMut(usize)) -> (f64, f64) {
    let time = |f: &mut dyn FnMut(usize)| {
        let started = Instant::now();
        for k in 0..BLOCKS {
            f(k);
        }
        started.elapsed().as_secs_f64() * 1e6 / (BLOCKS * BLOCK) as f64
    };
    let (mut best_a, mut best_b) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..PASSES {
        best_a = best_a.min(time(&mut a));
        best_b = best_b.min(time(&mut b));
    }
    (best_a, best_b)
}

/// The model alone (each block copied in, `set` as an engine sets the settings every block, then
/// `process` in place) against the whole plugin with `settings` (parameter ID, normalized value).
fn compare<M, E>(model: &mut M, mut set: impl FnMut(&mut M), input: &[Vec<f32>], settings: &[(&str, f32)]) -> (f64, f64)
where
    M: for<'a> Model<Control<'a> = ()>,
    E: Effect,
{
    let mut host = OfflineHost::<EffectPlugin<E>>::new();
    host.activate(layout_for_channels::<EffectPlugin<E>>(2).expect("stereo"), SR, BLOCK).expect("activate");
    for &(id, normalized) in settings {
        let index = host.param_ptrs().iter().position(|(i, _)| i == id).unwrap_or_else(|| panic!("no parameter {id}"));
        host.set_normalized(index, normalized);
    }
    let (mut l, mut r) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    per_frame_pair(
        |k| {
            l.copy_from_slice(&input[0][k * BLOCK..(k + 1) * BLOCK]);
            r.copy_from_slice(&input[1][k * BLOCK..(k + 1) * BLOCK]);
            set(model);
            model.process(&mut [&mut l[..], &mut r[..]], ());
            black_box((&l, &r));
        },
        |k| {
            let (main, _) = host.buffers_mut();
            for (buf, src) in main.iter_mut().zip(input) {
                buf[..BLOCK].copy_from_slice(&src[k * BLOCK..(k + 1) * BLOCK]);
            }
            black_box(host.process(BLOCK));
        },
    )
}

fn row(name: &str, (model, plugin): (f64, f64)) {
    println!("| {name} | {model:.4} | {plugin:.4} | {:.4} |", plugin - model);
}

fn main() {
    let input = ferrite_tests::music_like(2, BLOCK * BLOCKS, SR, 0.25, 3);
    let spec = ProcessSpec::new(SR, BLOCK, 2);
    println!("| µs per stereo frame | model alone | whole plugin | overhead |");
    println!("|---|---|---|---|");

    for stages in [1usize, 8] {
        // The plugin's defaults (freq 800 Hz, spread 1.1, Q 2, mix 50 %) with the LFO at rest.
        let settings = PhaserSettings { stages, freq_hz: 800.0, spread: 1.1, q: 2.0, lfo_depth_octaves: 0.0, ..Default::default() };
        let mut phaser = Phaser::prepare(&spec);
        phaser.set_settings(&settings);
        phaser.reset();
        let figures = compare::<_, ferrite_phaser::PhaserEffect>(
            &mut phaser,
            |p| p.set_settings(black_box(&settings)),
            &input,
            &[("stages", (stages as f32 - 1.0) / 47.0), ("lfo_depth", 0.0)],
        );
        row(&format!("Ferrite Phaser, {stages} static stage(s)"), figures);
    }

    // The plugin's defaults: decay 2 s, size 50 %, damping 50 %, modulation 30 %. The algorithm
    // parameter's normalized values: freeverb 0, hall 1/3, plate 2/3 (convolution 1).
    let settings = ReverbSettings { decay_s: 2.0, size: 0.5, damping: 0.5, modulation: 0.3, freeze: false };
    type Reverb = ferrite_reverb::ReverbEffect;
    let figures = compare::<_, Reverb>(&mut Freeverb::prepare(&spec), |m| m.set_settings(black_box(&settings)), &input, &[("algorithm", 0.0)]);
    row("Ferrite Reverb, freeverb", figures);
    let figures = compare::<_, Reverb>(&mut Hall::prepare(&spec), |m| m.set_settings(black_box(&settings)), &input, &[("algorithm", 1.0 / 3.0)]);
    row("Ferrite Reverb, hall", figures);
    let figures = compare::<_, Reverb>(&mut Plate::prepare(&spec), |m| m.set_settings(black_box(&settings)), &input, &[("algorithm", 2.0 / 3.0)]);
    row("Ferrite Reverb, plate", figures);
}
