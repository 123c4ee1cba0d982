//! The convolver against an f64 direct convolution, block-size independence, channel routing,
//! the work schedule and bad input.

mod common;

use common::*;
use ferrite_dsp::reverb::convolution::{Convolver, HEAD};

/// Host block sizes: the fixed ones of the brief; `0` stands for random sizes 1..=700.
const BLOCKS: [usize; 6] = [1, 7, 64, 511, 4096, 0];

fn sizes_for(block: usize, seed: u32) -> impl FnMut() -> usize {
    let mut rng = Rng::from_small_seed(seed as u64);
    move || if block == 0 { rng.range(1, 700) } else { block }
}

/// Check one IR (mono or stereo) against the direct sum for every block size, and that every
/// block size gives bit-identical output.
fn check_against_direct(ir: &[Vec<f32>], label: &str) {
    let len = ir.iter().map(Vec::len).max().unwrap();
    let total = len + 9000;
    let burst = 3000.min(total / 4);
    let (l, r) = (bursts(total, burst, len / 2 + 100, 11), bursts(total, burst, len / 3 + 50, 23));
    let want_l = direct(&l, &ir[0], total);
    let want_r = direct(&r, ir.last().unwrap(), total);
    let refs: Vec<&[f32]> = ir.iter().map(|c| c.as_slice()).collect();
    let mut first: Option<(Vec<f32>, Vec<f32>)> = None;
    for (i, &block) in BLOCKS.iter().enumerate() {
        let mut conv = Convolver::new(&refs, 4096);
        assert_eq!(conv.latency(), 0);
        let (ol, or) = run(&mut conv, &l, &r, &mut sizes_for(block, 5 + i as u32));
        for (got, want, ch) in [(&ol, &want_l, "L"), (&or, &want_r, "R")] {
            let (energy, peak) = error_db(got, want);
            if block == 1 {
                println!("{label} {ch}: error energy {energy:.1} dB, max {peak:.1} dB");
            }
            assert!(
                energy < -100.0 && peak < -100.0,
                "{label} {ch} block {block}: error energy {energy:.1} dB, max error {peak:.1} dB re peak"
            );
        }
        match &first {
            None => first = Some((ol, or)),
            Some((fl, fr)) => assert!(
                fl.iter().zip(&ol).chain(fr.iter().zip(&or)).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{label}: block {block} output differs from block {}",
                BLOCKS[0]
            ),
        }
    }
}

#[test]
fn matches_direct_convolution_within_minus_100_db_for_every_block_size_and_ir_length() {
    for len in [1, 63, 64, 65, 1000, 66_150] {
        check_against_direct(&[reverb_ir(len, len as u32)], &format!("mono IR of {len}"));
    }
}

#[test]
fn a_3_s_stereo_ir_matches_direct_convolution_and_maps_left_to_left_and_right_to_right() {
    let len = 144_000; // 3 s at 48 kHz
    check_against_direct(&[reverb_ir(len, 1), reverb_ir(len, 2)], "3 s stereo IR");
}

#[test]
fn output_is_bit_identical_for_any_host_block_size_with_a_long_stereo_ir() {
    // (check_against_direct also asserts this for each IR; here over several long periods.)
    let ir = [reverb_ir(100_000, 3), reverb_ir(90_000, 4)];
    let refs: Vec<&[f32]> = ir.iter().map(|c| c.as_slice()).collect();
    let mut rng = Rng::from_small_seed(77);
    let l: Vec<f32> = (0..120_000).map(|_| rng.signed()).collect();
    let r: Vec<f32> = (0..120_000).map(|_| rng.signed()).collect();
    let reference = run(&mut Convolver::new(&refs, 64), &l, &r, &mut || 64);
    for (i, &block) in BLOCKS.iter().enumerate() {
        let got = run(&mut Convolver::new(&refs, 4096), &l, &r, &mut sizes_for(block, 100 + i as u32));
        assert!(got.0.iter().zip(&reference.0).all(|(a, b)| a.to_bits() == b.to_bits()), "L, block {block}");
        assert!(got.1.iter().zip(&reference.1).all(|(a, b)| a.to_bits() == b.to_bits()), "R, block {block}");
    }
}

#[test]
fn an_impulse_returns_the_ir_with_zero_latency_on_both_channels_for_a_mono_ir() {
    let ir = reverb_ir(20_000, 9);
    let mut conv = Convolver::new(&[&ir], 512);
    let mut x = vec![0.0f32; 30_000];
    x[0] = 1.0;
    let (ol, or) = run(&mut conv, &x, &x, &mut || 512);
    for (n, (&a, &b)) in ol.iter().zip(&or).enumerate() {
        let want = ir.get(n).copied().unwrap_or(0.0);
        assert!((a - want).abs() < 1e-6 && (b - want).abs() < 1e-6, "n={n}: {a} {b} vs {want}");
    }
}

#[test]
fn a_stereo_ir_keeps_the_channels_apart() {
    let (hl, hr) = (reverb_ir(5000, 5), reverb_ir(5000, 6));
    let mut conv = Convolver::new(&[&hl, &hr], 64);
    let mut x = vec![0.0f32; 8000];
    x[10] = 1.0;
    let zeros = vec![0.0f32; 8000];
    let (ol, or) = run(&mut conv, &x, &zeros, &mut || 64);
    assert!(or.iter().all(|&v| v.abs() < 1e-6), "right output from left input");
    assert!((ol[10 + 4000] - hl[4000]).abs() < 1e-6);
}

#[test]
fn work_per_sub_block_is_spread_evenly_for_a_3_s_stereo_ir() {
    let ir = [reverb_ir(144_000, 7), reverb_ir(144_000, 8)];
    let refs: Vec<&[f32]> = ir.iter().map(|c| c.as_slice()).collect();
    let mut conv = Convolver::new(&refs, HEAD);
    let longest = conv.segments().iter().map(|s| s.0).max().unwrap();
    assert!(longest >= 4096, "a 3 s IR should use long partitions: {:?}", conv.segments());
    let (mut inp, mut out) = (vec![0.0f32; HEAD], vec![0.0f32; HEAD]);
    let mut rng = Rng::from_small_seed(3);
    let mut work = Vec::new();
    // Warm up two of the longest periods (the first periods are partly idle), then record four.
    let steps = 6 * longest / HEAD;
    for s in 0..steps {
        inp.iter_mut().for_each(|v| *v = rng.signed());
        let (o2, i2) = (&mut out.clone(), inp.clone());
        conv.process(&inp, &i2, &mut out, o2);
        if s >= 2 * longest / HEAD {
            work.push(conv.last_step_work());
        }
    }
    let mean = work.iter().sum::<u64>() as f64 / work.len() as f64;
    let max = *work.iter().max().unwrap() as f64;
    let min = *work.iter().min().unwrap() as f64;
    println!("segments {:?}: work per step mean {mean:.0}, max {max}, min {min}", conv.segments());
    assert!(mean > 0.0);
    assert!(max / mean <= 1.5, "max/mean {:.2}", max / mean);
    assert!(min / mean >= 0.5, "min/mean {:.2}", min / mean);
}

#[test]
fn non_finite_and_huge_input_give_finite_output_and_the_convolver_recovers() {
    let ir = reverb_ir(10_000, 12);
    let mut conv = Convolver::new(&[&ir], 256);
    let mut fresh = Convolver::new(&[&ir], 256);
    let mut rng = Rng::from_small_seed(5);
    let bad: Vec<f32> = (0..4096)
        .map(|i| match i % 5 {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => -1e30,
            3 => 1e-41,
            _ => f32::NEG_INFINITY,
        })
        .collect();
    let zeros = vec![0.0f32; 4096];
    let (ol, or) = run(&mut conv, &bad, &bad, &mut || 256);
    assert!(ol.iter().chain(&or).all(|v| v.is_finite()));
    let _ = run(&mut fresh, &zeros, &zeros, &mut || 256);
    // Let the clamped spikes' reverb die out (IR length plus the longest period), in silence.
    let quiet = vec![0.0f32; 40_000];
    let (ql, _) = run(&mut conv, &quiet, &quiet, &mut || 256);
    assert!(ql.iter().all(|v| v.is_finite()));
    let _ = run(&mut fresh, &quiet, &quiet, &mut || 256);
    let x: Vec<f32> = (0..20_000).map(|_| rng.signed()).collect();
    let (a, _) = run(&mut conv, &x, &x, &mut || 256);
    let (b, _) = run(&mut fresh, &x, &x, &mut || 256);
    let peak = b.iter().fold(0.0f32, |p, v| p.max(v.abs()));
    let diff = a.iter().zip(&b).fold(0.0f32, |p, (x, y)| p.max((x - y).abs()));
    assert!(diff <= 1e-6 * peak, "after bad input: max difference {diff} vs peak {peak}");
}

#[test]
fn reset_returns_to_the_state_of_a_fresh_convolver() {
    let ir = reverb_ir(30_000, 13);
    let mut conv = Convolver::new(&[&ir], 64);
    let mut rng = Rng::from_small_seed(9);
    let x: Vec<f32> = (0..50_000).map(|_| rng.signed()).collect();
    let first = run(&mut conv, &x, &x, &mut || 100);
    let _ = run(&mut conv, &x[..777], &x[..777], &mut || 100);
    conv.reset();
    let again = run(&mut conv, &x, &x, &mut || 100);
    assert!(first.0.iter().zip(&again.0).all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
fn an_empty_ir_outputs_silence_and_memory_is_reported() {
    let mut conv = Convolver::new(&[], 64);
    assert_eq!(conv.ir_len(), 0);
    let x = vec![0.5f32; 300];
    let (ol, or) = run(&mut conv, &x, &x, &mut || 77);
    assert!(ol.iter().chain(&or).all(|&v| v == 0.0));
    let ir = reverb_ir(144_000, 1);
    let conv = Convolver::new(&[&ir, &ir], 64);
    let bytes = conv.memory_bytes();
    // At least the spectra of both channels and their delay lines (4 × 2 × 4 bytes per tap).
    assert!(bytes > 4 * 2 * 4 * 144_000, "{bytes}");
    assert!(bytes < 40 * 2 * 4 * 144_000, "{bytes}");
}

#[test]
fn an_absurd_ir_and_absurd_input_still_give_finite_output() {
    let mut ir = reverb_ir(20_000, 21);
    ir[0] = 1e30;
    ir[5000] = f32::NAN;
    ir[15_000] = -f32::MAX;
    let mut conv = Convolver::new(&[&ir], 64);
    let x: Vec<f32> = (0..40_000).map(|i| if i % 3 == 0 { 1e30 } else { -3e38 }).collect();
    let (ol, or) = run(&mut conv, &x, &x, &mut || 333);
    assert!(ol.iter().chain(&or).all(|v| v.is_finite()));
}

#[test]
fn once_the_input_stops_the_output_becomes_exactly_zero_after_the_ir_and_two_periods() {
    let ir = [reverb_ir(50_000, 31), reverb_ir(50_000, 32)];
    let refs: Vec<&[f32]> = ir.iter().map(|c| c.as_slice()).collect();
    let mut conv = Convolver::new(&refs, 64);
    let longest = conv.segments().iter().map(|s| s.0).max().unwrap();
    let mut rng = Rng::from_small_seed(41);
    let mut x: Vec<f32> = (0..20_000).map(|_| rng.signed() * 1e-3).collect();
    x.extend((0..1000).map(|i| 1e-35 * i as f32)); // tiny tail: flushed, not kept as subnormal
                                                   // Round-off of the last non-zero partition products reaches to the end of their output
                                                   // blocks, up to a longest partition past the exact support; two of them are plenty.
    let quiet = 21_000 + 50_000 + 2 * longest;
    x.resize(quiet + 5000, 0.0);
    let (ol, or) = run(&mut conv, &x, &x, &mut || 256);
    assert!(ol[..quiet].iter().any(|&v| v != 0.0));
    assert!(ol[quiet..].iter().chain(&or[quiet..]).all(|&v| v == 0.0), "output must be exactly zero");
}
