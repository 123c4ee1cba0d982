//! With static parameters, every plugin's output does not depend on the host block size.

use ferrite_ring::FerriteRing;
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
