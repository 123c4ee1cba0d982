//! No allocation or deallocation on the audio thread: `Convolver::process` at every block size
//! with bad input mixed in, and `ConvolutionReverb::process` while a loader thread builds,
//! sends and collects new convolvers (3 s stereo IRs). A counting global allocator counts only
//! on threads that have switched counting on (a const-initialised thread-local flag), so the
//! loader thread can allocate freely while the audio thread is checked.

use std::sync::atomic::{AtomicBool, Ordering};

use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::reverb::convolution::{ConvolutionReverb, Convolver};
use ferrite_test_kit::alloc::count;
use ferrite_test_kit::Rng;

ferrite_test_kit::counting_allocator!();

/// Uniform in [-1, 1), with NaN, infinities, huge values and subnormals mixed in.
fn nasty(rng: &mut Rng) -> f32 {
    match rng.below(200) {
        0 => f32::NAN,
        1 => f32::INFINITY,
        2 => -1e30,
        3 => 1e-41,
        _ => rng.signed(),
    }
}

fn ir(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::from_small_seed(seed);
    (0..len).map(|i| 0.3 * nasty(&mut rng).clamp(-1.0, 1.0) * 10f32.powf(-3.0 * i as f32 / len as f32)).collect()
}

#[test]
fn the_allocation_counter_detects_an_allocation() {
    let (_, counts) = count(|| std::hint::black_box(vec![1u8; 16]));
    assert!(counts.events() >= 1);
}

#[test]
fn convolver_process_never_allocates_at_any_block_size_even_with_bad_input() {
    let (hl, hr) = (ir(100_000, 1), ir(100_000, 2));
    let mut rng = Rng::from_small_seed(7);
    for block in [1usize, 7, 64, 511, 4096, 10_000] {
        let mut conv = Convolver::new(&[&hl, &hr], block);
        let input: Vec<f32> = (0..block).map(|_| nasty(&mut rng)).collect();
        let (mut ol, mut or) = (vec![0.0f32; block], vec![0.0f32; block]);
        let blocks = (60_000 / block).max(40);
        let ((), counts) = count(|| {
            for _ in 0..blocks {
                conv.process(&input, &input, &mut ol, &mut or);
            }
        });
        let events = counts.events();
        assert_eq!(events, 0, "block {block}: {events} allocator calls");
        assert!(ol.iter().chain(&or).all(|v| v.is_finite()));
    }
}

#[test]
fn switching_convolvers_allocates_and_frees_nothing_on_the_audio_thread() {
    let mut reverb = ConvolutionReverb::prepare(&ProcessSpec::new(48_000.0, 256, 2));
    let mut loader = reverb.take_loader().unwrap();
    let done = AtomicBool::new(false);
    let loads = 5;
    std::thread::scope(|scope| {
        // The background thread: builds 3 s stereo IRs, sends them, frees what comes back.
        let loader_thread = scope.spawn(|| {
            let mut freed = 0;
            for i in 0..loads {
                let (l, r) = (ir(144_000, 10 + i), ir(144_000, 20 + i));
                let mut pending = Some(Box::new(Convolver::new(&[&l, &r], 256)));
                while let Some(c) = pending.take() {
                    if let Err(back) = loader.send(Some(c)) {
                        pending = back;
                        std::thread::sleep(std::time::Duration::from_millis(2));
                    }
                    freed += loader.collect_garbage();
                }
            }
            while freed < loads as usize - 1 && !done.load(Ordering::Relaxed) {
                freed += loader.collect_garbage();
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            freed + loader.collect_garbage()
        });
        // The audio thread (this one): process until every IR has been switched in.
        let mut rng = Rng::from_small_seed(3);
        let (mut ol, mut or) = (vec![0.0f32; 256], vec![0.0f32; 256]);
        let mut total_events = 0;
        let mut switches = 0;
        let mut was_fading = false;
        // Until every IR is in, or a minute has passed: building the IRs takes the loader a
        // while on a loaded machine, so the bound is time, not a block count.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            let input: Vec<f32> = (0..256).map(|_| nasty(&mut rng)).collect();
            ol.copy_from_slice(&input);
            or.copy_from_slice(&input);
            let ((), counts) = count(|| reverb.process(&mut [&mut ol, &mut or], ()));
            total_events += counts.events();
            assert!(ol.iter().chain(&or).all(|v| v.is_finite()));
            if reverb.is_crossfading() && !was_fading {
                switches += 1;
            }
            was_fading = reverb.is_crossfading();
            if switches == loads && !was_fading && loader_thread.is_finished() {
                break;
            }
        }
        done.store(true, Ordering::Relaxed);
        let freed = loader_thread.join().unwrap();
        assert_eq!(total_events, 0, "{total_events} allocator calls on the audio thread");
        assert_eq!(switches, loads, "every IR must be switched in");
        assert_eq!(freed, loads as usize - 1, "every retired convolver must be freed by the loader");
    });
}
