//! What a silent instance costs once it is idle (plugins/common/src/effect.rs, "Idle"), against
//! what it costs while sounding: every plugin at its defaults, stereo, 48 kHz, blocks of 512,
//! its own `process` as a host calls it. Active: music-like input; idle: silence after the
//! tail has passed. Each figure is the fastest of 15 runs of one second of audio.
//!
//! `cargo bench -p ferrite-tests --bench idle`

use std::hint::black_box;
use std::time::Instant;

use ferrite_plugin_common::effect::{Effect, EffectPlugin};
use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};
use nice_plug::prelude::*;

const SR: f32 = 48_000.0;
const BLOCK: usize = 512;
const RUNS: usize = 15;

/// Fastest time, µs per block, to process `input` (per channel, whole blocks) `RUNS` times.
fn time_blocks<E: Effect>(host: &mut OfflineHost<EffectPlugin<E>>, input: &[Vec<f32>]) -> f64 {
    let blocks = input[0].len() / BLOCK;
    let mut best = f64::INFINITY;
    for _ in 0..RUNS {
        let started = Instant::now();
        for b in 0..blocks {
            let (main, aux) = host.buffers_mut();
            for (buf, src) in main.iter_mut().zip(input) {
                buf[..BLOCK].copy_from_slice(&src[b * BLOCK..(b + 1) * BLOCK]);
            }
            for buf in aux.iter_mut().flatten() {
                buf[..BLOCK].copy_from_slice(&input[0][b * BLOCK..(b + 1) * BLOCK]);
            }
            black_box(host.process(BLOCK));
        }
        best = best.min(started.elapsed().as_secs_f64() * 1e6 / blocks as f64);
    }
    best
}

fn measure<E: Effect>() {
    let music = ferrite_tests::music_like(2, SR as usize, SR, 0.8, 1);
    let silence = vec![vec![0.0f32; SR as usize]; 2];
    let mut active = OfflineHost::<EffectPlugin<E>>::new();
    active.activate(layout_for_channels::<EffectPlugin<E>>(2).unwrap(), SR, BLOCK).unwrap();
    let sounding = time_blocks(&mut active, &music);
    let mut idle = OfflineHost::<EffectPlugin<E>>::new();
    idle.activate(layout_for_channels::<EffectPlugin<E>>(2).unwrap(), SR, BLOCK).unwrap();
    // Until idle (at most a minute of silence).
    for _ in 0..60 {
        if idle.plugin().is_idle() {
            break;
        }
        time_blocks(&mut idle, &silence);
    }
    assert!(idle.plugin().is_idle(), "{} never went idle", E::NAME);
    let resting = time_blocks(&mut idle, &silence);
    println!(
        "| {} | {:.2} µs | {:.3} µs | {:.1} % |",
        E::NAME,
        sounding,
        resting,
        100.0 * resting / sounding
    );
}

fn main() {
    println!("| plugin (defaults) | sounding, per block | idle, per block | idle / sounding |");
    println!("|---|---|---|---|");
    measure::<ferrite_ring::RingEffect>();
    measure::<ferrite_vcf::VcfEffect>();
    measure::<ferrite_phaser::PhaserEffect>();
    measure::<ferrite_reverb::ReverbEffect>();
}
