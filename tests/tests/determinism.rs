//! With static parameters, every plugin's output does not depend on the host block size.

use ferrite_phaser::FerritePhaser;
use ferrite_reverb::FerriteReverb;
use ferrite_ring::FerriteRing;
use ferrite_vcf::FerriteVcf;
use ferrite_tests::{music_like, render};

#[test]
fn ferrite_ring_output_is_identical_for_every_block_size() {
    let x = music_like(2, 30_000, 48_000.0, 0.9, 1);
    for sets in [
        &["model=circuit", "carrier=square", "carrier_freq=733", "drive=9", "mix=0.7"][..],
        &["model=parker", "carrier=saw", "carrier_freq=41", "oversampling=2x"][..],
        &["model=circuit", "oversampling=1x", "carrier=triangle"][..],
    ] {
        let reference = render::<FerriteRing>(&x, 48_000, sets, 4096);
        for block in [1, 7, 64, 512, 1000] {
            let y = render::<FerriteRing>(&x, 48_000, sets, block);
            assert!(y == reference, "{sets:?}: block {block} differs from block 4096");
        }
    }
}

#[test]
fn ferrite_vcf_output_is_identical_for_every_block_size() {
    let x = music_like(2, 30_000, 48_000.0, 0.9, 3);
    for sets in [
        &["cutoff=800", "resonance=3", "drive=6", "mix=0.8"][..],
        &["cutoff=12000", "resonance=9.5", "oversampling=1x"][..],
        &["cutoff=60", "resonance=0", "oversampling=8x", "drive=18"][..],
    ] {
        let reference = render::<FerriteVcf>(&x, 48_000, sets, 4096);
        for block in [1, 7, 64, 512, 1000] {
            let y = render::<FerriteVcf>(&x, 48_000, sets, block);
            assert!(y == reference, "{sets:?}: block {block} differs from block 4096");
        }
    }
}

#[test]
fn ferrite_phaser_output_is_identical_for_every_block_size() {
    let x = music_like(2, 30_000, 48_000.0, 0.9, 4);
    // Static notches, and the free-running LFO (its control rate counts samples, not blocks).
    for sets in [
        &["stages=12", "freq=300", "spread=1.3", "q=4", "feedback=0.6", "lfo_depth=0"][..],
        &["stages=8", "lfo_rate=3", "lfo_depth=2", "feedback=-0.5", "stereo_phase=180"][..],
        &["stages=48", "spread=1.05", "q=20", "lfo_depth=0.5", "lfo_shape=triangle"][..],
    ] {
        let reference = render::<FerritePhaser>(&x, 48_000, sets, 4096);
        for block in [1, 7, 64, 512, 1000] {
            let y = render::<FerritePhaser>(&x, 48_000, sets, block);
            assert!(y == reference, "{sets:?}: block {block} differs from block 4096");
        }
    }
}

#[test]
fn ferrite_reverb_output_is_identical_for_every_block_size() {
    let x = music_like(2, 30_000, 48_000.0, 0.9, 5);
    for sets in [
        &["algorithm=freeverb", "size=0.8", "width=0.7", "predelay=12.5"][..],
        &["algorithm=hall", "decay=3", "modulation=0.6", "low_cut=120"][..],
        &["algorithm=plate", "decay=1.2", "damping=0.2", "high_cut=6000"][..],
    ] {
        let reference = render::<FerriteReverb>(&x, 48_000, sets, 4096);
        for block in [1, 7, 64, 512, 1000] {
            let y = render::<FerriteReverb>(&x, 48_000, sets, block);
            assert!(y == reference, "{sets:?}: block {block} differs from block 4096");
        }
    }
}
