//! A bounded fuzz run of every plugin's processing: random sample rates (including odd ones),
//! layouts, maximum and per-call block sizes, parameter values changing at random, and inputs
//! mixing music, silence, full-scale noise, NaN, infinities, huge values and subnormals. The
//! output must always be finite and bounded. Fixed seed, so a failure reproduces; longer runs:
//! `FERRITE_FUZZ_ROUNDS=2000 cargo test --release -p ferrite-tests --test fuzz_models`.

use ferrite_plugin_common::host::OfflineHost;
use ferrite_test_kit::Rng;
use nice_plug::prelude::*;

const SAMPLE_RATES: [f32; 8] = [8_000.0, 22_050.0, 44_100.0, 47_999.0, 96_000.0, 176_400.0, 192_000.0, 384_000.0];

fn fuzz<P: Plugin>(rounds: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    for round in 0..rounds {
        let layout = P::AUDIO_IO_LAYOUTS[rng.below(P::AUDIO_IO_LAYOUTS.len())];
        let sample_rate = SAMPLE_RATES[rng.below(SAMPLE_RATES.len())];
        let max_block = [1, 3, 64, 500, 4096][rng.below(5)];
        let mut host = OfflineHost::<P>::new();
        let n_params = host.param_ptrs().len();
        for p in 0..n_params {
            host.set_normalized(p, rng.unit());
        }
        host.activate(layout, sample_rate, max_block).unwrap();
        let mut processed = 0;
        while processed < 12_000 {
            let len = 1 + rng.below(max_block);
            if rng.below(4) == 0 {
                host.set_normalized(rng.below(n_params), rng.unit());
            }
            let kind = rng.below(6);
            let (main, aux) = host.buffers_mut();
            for buf in main.iter_mut().chain(aux.iter_mut().flatten()) {
                for (i, s) in buf[..len].iter_mut().enumerate() {
                    *s = match kind {
                        0 => 0.0,
                        1 => rng.signed(),
                        2 => (0.001 * (processed + i) as f32).sin(),
                        3 => [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e38, -1e38, 1e-42][rng.below(6)],
                        4 => 1e-39 * rng.signed(),
                        _ => 64.0 * rng.signed(),
                    };
                }
            }
            host.process(len);
            let (main, _) = host.buffers_mut();
            for ch in main.iter() {
                for &y in &ch[..len] {
                    assert!(
                        y.is_finite() && y.abs() < 1e4,
                        "{}: output {y} in round {round} ({sample_rate} Hz, {}, max block {max_block}, input kind {kind})",
                        P::NAME,
                        layout.name()
                    );
                }
            }
            processed += len;
        }
    }
}

fn rounds() -> usize {
    std::env::var("FERRITE_FUZZ_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(100)
}

#[test]
fn ferrite_ring_survives_random_settings_and_hostile_input() {
    fuzz::<ferrite_ring::FerriteRing>(rounds(), 0xF0F0_1234);
}

#[test]
fn ferrite_vcf_survives_random_settings_and_hostile_input() {
    fuzz::<ferrite_vcf::FerriteVcf>(rounds(), 0xF0F0_5678);
}

#[test]
fn ferrite_phaser_survives_random_settings_and_hostile_input() {
    fuzz::<ferrite_phaser::FerritePhaser>(rounds(), 0xF0F0_9ABC);
}

#[test]
fn ferrite_reverb_survives_random_settings_and_hostile_input() {
    fuzz::<ferrite_reverb::FerriteReverb>(rounds(), 0xF0F0_DEF0);
}
