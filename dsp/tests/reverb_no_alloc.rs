//! `process` and `set_settings` of the three algorithmic reverbs never allocate (nor free): a
//! counting global allocator (possible only in its own test binary) counts every allocator call
//! made on this thread while they run.

use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::reverb::freeverb::Freeverb;
use ferrite_dsp::reverb::hall::Hall;
use ferrite_dsp::reverb::plate::Plate;
use ferrite_dsp::reverb::ReverbSettings;
use ferrite_test_kit::alloc::count;

ferrite_test_kit::counting_allocator!();

#[test]
fn process_and_set_settings_never_allocate() {
    let sr = 48_000.0;
    let n = 4096;
    let input: Vec<f32> = (0..n).map(|i| ((i * 7919) % 2000) as f32 / 1000.0 - 1.0).collect();
    let (mut out_l, mut out_r) = (vec![0.0f32; n], vec![0.0f32; n]);
    let spec = ProcessSpec::new(sr, n, 2);
    let mut freeverb = Freeverb::prepare(&spec);
    let mut hall = Hall::prepare(&spec);
    let mut plate = Plate::prepare(&spec);
    let ((), counts) = count(|| {
        for (b, block) in [1usize, 7, 64, 256, 4096].into_iter().cycle().take(40).enumerate() {
            let s = ReverbSettings {
                decay_s: 0.1 + b as f32 * 0.5,
                size: (b % 3) as f32 / 2.0,
                damping: (b % 5) as f32 / 4.0,
                modulation: (b % 2) as f32,
                freeze: b % 7 == 3,
            };
            let (l, r) = (&mut out_l[..block], &mut out_r[..block]);
            let feed = |l: &mut [f32], r: &mut [f32]| {
                l.copy_from_slice(&input[..block]);
                r.copy_from_slice(&input[..block]);
            };
            freeverb.set_settings(&s);
            feed(l, r);
            freeverb.process(&mut [&mut *l, &mut *r], ());
            hall.set_settings(&s);
            feed(l, r);
            hall.process(&mut [&mut *l, &mut *r], ());
            plate.set_settings(&s);
            feed(l, r);
            plate.process(&mut [&mut *l, &mut *r], ());
            // One channel: both inputs, the mean of both outputs.
            plate.process(&mut [&mut *l], ());
        }
        freeverb.reset();
        hall.reset();
        plate.reset();
    });
    assert_eq!(counts.allocs, 0, "process/set_settings/reset allocated {} times", counts.allocs);
    assert_eq!(counts.frees, 0, "process/set_settings/reset freed {} times", counts.frees);
    // The counter itself works: an allocation inside the window is seen.
    assert_eq!(count(|| drop(std::hint::black_box(vec![0u8; 16]))).1.allocs, 1);
}
