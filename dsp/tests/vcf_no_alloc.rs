//! `Vcf::process` never allocates (nor frees): a counting global allocator around the real one,
//! checked over every oversampling factor, odd block lengths, blocks longer than the prepared
//! size, mono and stereo, parameter automation and bad input.

use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::vcf::{Vcf, VcfControl, MAX_OVERSAMPLING_LOG2};
use ferrite_test_kit::alloc::count;

// Counts only this test thread's allocator calls: the harness's other threads allocate at times
// of their own (a counter shared by all threads failed 1 run in 2 of the bare binary, at a random
// factor), which says nothing about `Vcf::process`, a single-threaded call that can only
// allocate on the calling thread.
ferrite_test_kit::counting_allocator!();

#[test]
fn vcf_process_does_not_allocate() {
    let n = 1_500;
    let music = ferrite_dsp::analysis::music_like(1, n, 48_000.0);
    let cutoff: Vec<f32> = (0..n).map(|i| 20.0 + 19_980.0 * ((i % 300) as f32 / 300.0)).collect();
    let resonance: Vec<f32> = (0..n).map(|i| (i % 11) as f32).collect();
    let mut vcf = Vcf::prepare(&ProcessSpec::new(48_000.0, 256, 2));
    let (mut l, mut r) = (music.clone(), music.clone());
    l[100] = f32::NAN;
    r[200] = 1e30;
    for k in 0..=MAX_OVERSAMPLING_LOG2 {
        vcf.set_oversampling_log2(k);
        let ((), counts) = count(|| {
            // Stereo in odd blocks, one block longer than max_block, then mono.
            for (start, len) in [(0usize, 1usize), (1, 7), (8, 300), (308, 1000)] {
                let end = start + len;
                vcf.process(&mut [&mut l[start..end], &mut r[start..end]], VcfControl { cutoff_hz: &cutoff[start..end], resonance: &resonance[start..end] });
            }
            vcf.process(&mut [&mut l[..64]], VcfControl { cutoff_hz: &cutoff[..64], resonance: &resonance[..64] });
            vcf.process(&mut [&mut l[..64], &mut r[..64]], VcfControl { cutoff_hz: &[], resonance: &[] });
            let _ = vcf.stats();
            vcf.reset_stats();
            vcf.reset();
        });
        assert_eq!(counts.allocs, 0, "Vcf::process allocated at {}x", 1 << k);
        assert_eq!(counts.frees, 0, "Vcf::process freed at {}x", 1 << k);
    }
}
