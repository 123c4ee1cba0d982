//! The phaser's processing path never allocates (nor frees): a counting global allocator wraps
//! the system allocator and counts this thread's calls (only this thread's, so the harness's
//! other threads cannot make the test flaky), and every `process_*`, `set_settings` and
//! `sync_lfo_phase` call (static and sweeping settings, feedback, stage-count crossfades, shape
//! changes, odd block lengths, mono and stereo, bad input) runs inside the count.

use ferrite_dsp::lfo::LfoShape;
use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::phaser::{Phaser, PhaserSettings};
use ferrite_test_kit::alloc::count;

ferrite_test_kit::counting_allocator!();

#[test]
fn processing_never_allocates() {
    let sr = 48_000.0;
    let len = 48_000;
    // All buffers and settings are prepared before counting.
    let input_l: Vec<f32> = (0..len).map(|n| (n as f32 * 0.031).sin() * 0.8).collect();
    let input_r: Vec<f32> = (0..len).map(|n| (n as f32 * 0.017).cos() * 0.8).collect();
    let mut left = input_l.clone();
    let mut right = input_r.clone();
    let mut mono = input_l.clone();
    let base = PhaserSettings {
        stages: 8,
        freq_hz: 600.0,
        spread: 1.3,
        q: 4.0,
        feedback: 0.7,
        lfo_rate_hz: 2.0,
        lfo_depth_octaves: 2.0,
        lfo_shape: LfoShape::Sine,
        stereo_phase_deg: 90.0,
        mix: 0.5,
    };
    let variants = [
        base,
        PhaserSettings { stages: 48, lfo_shape: LfoShape::Saw, ..base },
        PhaserSettings { stages: 13, lfo_depth_octaves: 0.0, feedback: 0.0, ..base },
        PhaserSettings { stages: 1, q: 100.0, feedback: -0.99, lfo_rate_hz: 20.0, lfo_shape: LfoShape::Square, ..base },
        PhaserSettings { stages: 30, freq_hz: f32::NAN, spread: 9.0, q: -3.0, lfo_shape: LfoShape::Triangle, ..base },
    ];
    let mut phaser = Phaser::prepare(&ProcessSpec::new(sr, 512, 2));
    phaser.set_settings(&base);
    phaser.reset();
    for (k, bad) in [f32::NAN, f32::INFINITY, 1e30, 1e-40].into_iter().enumerate() {
        let at = 1000 + 9000 * k;
        left[at] = bad;
        right[at + 1] = bad;
        mono[at + 2] = bad;
    }

    let (all_finite, counts) = count(|| {
        let blocks = [1usize, 7, 64, 256, 333, 512, 4096];
        let mut pos = 0;
        let mut i = 0;
        let mut all_finite = true;
        while pos < len {
            let n = blocks[i % blocks.len()].min(len - pos);
            phaser.set_settings(&variants[(i / 5) % variants.len()]);
            if i % 11 == 0 {
                phaser.sync_lfo_phase(0.37 * i as f64);
            }
            let (l, r) = (&mut left[pos..pos + n], &mut right[pos..pos + n]);
            if i % 3 == 0 {
                let m = &mut mono[pos..pos + n];
                phaser.process(&mut [m], ());
                all_finite &= m.iter().all(|v| v.is_finite());
            } else {
                phaser.process(&mut [l, r], ());
                all_finite &= left[pos..pos + n].iter().chain(&right[pos..pos + n]).all(|v| v.is_finite());
            }
            pos += n;
            i += 1;
        }
        all_finite
    });
    assert_eq!(counts.allocs, 0, "allocations during processing");
    assert_eq!(counts.frees, 0, "frees during processing");
    assert!(all_finite);
}
