//! The hand-over of convolvers to the audio side: silence without an IR, click-free equal-power
//! crossfades of the expected length, retired convolvers returned (never dropped) when the
//! return queue is full.

use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::reverb::convolution::{ConvolutionReverb, ConvolverLoader, CROSSFADE_SECONDS};

const SR: f32 = 48_000.0;

/// A 100 Hz full-scale sine, `len` samples from sample `start`.
fn sine(start: usize, len: usize) -> Vec<f32> {
    (start..start + len).map(|n| (core::f64::consts::TAU * 100.0 * n as f64 / SR as f64).sin() as f32).collect()
}

/// Process `len` samples of the sine in blocks of `block`, returning the left output.
fn run(rev: &mut ConvolutionReverb, clock: &mut usize, len: usize, block: usize) -> Vec<f32> {
    let x = sine(*clock, len);
    *clock += len;
    let (mut l, mut r) = (vec![0.0f32; len], vec![0.0f32; len]);
    for s in (0..len).step_by(block) {
        let e = (s + block).min(len);
        l[s..e].copy_from_slice(&x[s..e]);
        r[s..e].copy_from_slice(&x[s..e]);
        rev.process(&mut [&mut l[s..e], &mut r[s..e]], ());
    }
    assert!(l.iter().zip(&r).all(|(a, b)| a == b), "mono IR must give equal channels");
    l
}

/// Load a one-tap IR of gain `g`, retrying while the queue is full.
fn load(loader: &mut ConvolverLoader, g: f32) {
    loader.load(&[&[g]]).map_err(|_| "queue full").unwrap();
}

#[test]
fn without_an_ir_the_output_is_silence() {
    let mut rev = ConvolutionReverb::prepare(&ProcessSpec::new(SR, 512, 2));
    assert!(!rev.has_ir());
    assert_eq!(rev.latency(), 0);
    let mut clock = 0;
    let y = run(&mut rev, &mut clock, 2000, 100);
    assert!(y.iter().all(|&v| v == 0.0));
}

#[test]
fn switching_irs_crossfades_over_20_ms_without_a_discontinuity() {
    let mut rev = ConvolutionReverb::prepare(&ProcessSpec::new(SR, 512, 2));
    let mut loader = rev.take_loader().unwrap();
    let fade = (CROSSFADE_SECONDS * SR).round() as usize;
    let mut clock = 0;
    load(&mut loader, 1.0);
    let mut y = run(&mut rev, &mut clock, 3000, 64);
    assert!(rev.has_ir());
    let x = sine(0, 3000);
    // Faded in from silence over exactly `fade` samples, then the identity IR.
    assert!(y[fade..].iter().zip(&x[fade..]).all(|(a, b)| (a - b).abs() < 1e-6));
    assert!((y[fade - 200] - x[fade - 200]).abs() > 1e-3, "the fade-in must take {fade} samples");
    // Switch to an inverting IR at half gain: a hard switch would jump by up to 1.5.
    load(&mut loader, -0.5);
    let start = clock;
    y.extend(run(&mut rev, &mut clock, 3000, 64));
    let x = sine(0, clock);
    assert!(y[start + fade..].iter().zip(&x[start + fade..]).all(|(a, b)| (a + 0.5 * b).abs() < 1e-6));
    // No step larger than the sine's own slope (2π·100/48000 ≈ 0.013) plus the envelope's.
    let max_step = y.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0f32, f32::max);
    assert!(max_step < 0.02, "largest sample-to-sample step {max_step}");
    // The retired convolver comes back to the loader, which frees it.
    assert_eq!(loader.collect_garbage(), 1);
    assert!(loader.clear());
    let z = run(&mut rev, &mut clock, 2000, 64);
    assert!(!rev.has_ir());
    assert!(z[fade..].iter().all(|&v| v == 0.0));
    assert_eq!(loader.collect_garbage(), 1);
}

#[test]
fn a_full_return_queue_keeps_retired_convolvers_until_there_is_room() {
    let mut rev = ConvolutionReverb::prepare(&ProcessSpec::new(SR, 512, 2));
    let mut loader = rev.take_loader().unwrap();
    let mut clock = 0;
    let loads = 14;
    let mut sent = 0;
    // Never collect garbage: the return queue (8) fills up; the audio side must hold the
    // next retired convolver and stop accepting new ones instead of dropping anything.
    for _ in 0..200 {
        if sent < loads && loader.load(&[&[sent as f32 + 1.0]]).is_ok() {
            sent += 1;
        }
        run(&mut rev, &mut clock, 1024, 256);
    }
    assert_eq!(sent, loads, "the loader's queue must have drained");
    assert!(loader.pending() > 0, "with the return queue full no new IR may be taken");
    // Now collect: everything comes back and the last IR ends up current.
    let mut freed = 0;
    for _ in 0..200 {
        freed += loader.collect_garbage();
        run(&mut rev, &mut clock, 1024, 256);
    }
    freed += loader.collect_garbage();
    assert_eq!(freed, loads - 1);
    let y = run(&mut rev, &mut clock, 1000, 100);
    let x = sine(clock - 1000, 1000);
    assert!(y.iter().zip(&x).all(|(a, b)| (a - loads as f32 * b).abs() < 1e-4));
}
