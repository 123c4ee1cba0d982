//! IR preparation: resampling keeps the passband response and the timing, the length rule,
//! error cases; normalisation gives unit energy gain.

use ferrite_dsp::analysis::tone_amplitude;
use ferrite_dsp::reverb::convolution::{normalize_ir, resample_ir};

/// `0.5·sin(1 kHz) + 0.25·sin(10 kHz)` (plus `0.25·sin(30 kHz)` when the rate allows) at `sr`.
fn tones(sr: f64, len: usize, with_30k: bool) -> Vec<f32> {
    let w = |f: f64, n: usize| (core::f64::consts::TAU * f * n as f64 / sr).sin();
    (0..len)
        .map(|n| {
            (0.5 * w(1000.0, n) + 0.25 * w(10_000.0, n) + if with_30k { 0.25 * w(30_000.0, n) } else { 0.0 }) as f32
        })
        .collect()
}

/// The middle 80 % (the ends hold the resampler's edge transients).
fn middle(x: &[f32]) -> &[f32] {
    &x[x.len() / 10..x.len() * 9 / 10]
}

fn db(a: f64, b: f64) -> f64 {
    20.0 * (a / b).log10()
}

#[test]
fn resampling_keeps_the_passband_tone_levels_within_0_05_db() {
    let x = tones(44_100.0, 44_100, false);
    for to in [48_000.0, 96_000.0, 22_050.0] {
        let y = resample_ir(std::slice::from_ref(&x), 44_100.0, to).unwrap();
        for f in [1000.0, 10_000.0] {
            let want = tone_amplitude(middle(&x), f, 44_100.0);
            let got = tone_amplitude(middle(&y[0]), f, to);
            println!("44.1 kHz → {to} Hz, {f} Hz: {:+.5} dB", db(got, want));
            assert!(db(got, want).abs() < 0.05, "{to} Hz, {f} Hz: {:.4} dB", db(got, want));
        }
    }
}

#[test]
fn downsampling_removes_content_above_the_new_nyquist_frequency() {
    let x = tones(96_000.0, 96_000, true);
    let y = resample_ir(&[x], 96_000.0, 44_100.0).unwrap();
    let m = middle(&y[0]);
    assert!(db(tone_amplitude(m, 1000.0, 44_100.0), 0.5).abs() < 0.05);
    // 30 kHz would alias to 14.1 kHz.
    let alias = tone_amplitude(m, 44_100.0 - 30_000.0, 44_100.0);
    assert!(db(alias, 0.25) < -80.0, "alias at {:.1} dB", db(alias, 0.25));
}

/// Position (samples, fractional) of a linear-phase pulse near sample `peak`: its spectrum at
/// `f` Hz is `A·e^{−iω·τ}` with `A > 0` in the passband, so after removing the phase of the
/// integer `peak`, what remains is `−ω·(τ − peak)`, small and free of wrapping.
fn pulse_position(x: &[f32], peak: usize, f: f64, sr: f64) -> f64 {
    let w = core::f64::consts::TAU * f / sr;
    let (re, im) = x.iter().enumerate().fold((0.0, 0.0), |(re, im), (n, &v)| {
        let t = w * (n as f64 - peak as f64);
        (re + v as f64 * t.cos(), im - v as f64 * t.sin())
    });
    peak as f64 - f64::atan2(im, re) / w
}

#[test]
fn an_impulse_at_n_lands_at_n_times_to_over_from() {
    for (n, to) in [(1470usize, 48_000.0), (1470, 96_000.0), (1000, 48_000.0), (1234, 22_050.0)] {
        let mut x = vec![0.0f32; 8000];
        x[n] = 1.0;
        let y = resample_ir(&[x], 44_100.0, to).unwrap();
        let want = n as f64 * to / 44_100.0;
        let peak = y[0].iter().enumerate().fold((0, 0.0f32), |b, (i, &v)| if v > b.1 { (i, v) } else { b }).0;
        assert_eq!(peak, want.round() as usize, "{n} → {to} Hz");
        for f in [500.0, 1000.0, 5000.0] {
            let got = pulse_position(&y[0], peak, f, to);
            println!("impulse {n} → {to} Hz, at {f} Hz: position error {:+.6}", got - want);
            assert!((got - want).abs() < 0.001, "{n} → {to} Hz at {f} Hz: position {got:.5}, want {want:.5}");
        }
    }
}

#[test]
fn the_resampled_length_is_the_rounded_length_times_the_ratio() {
    for len in [1usize, 2, 147, 1000, 44_101] {
        for (from, to) in [(44_100.0, 48_000.0), (48_000.0, 44_100.0), (96_000.0, 22_050.0), (48_000.0, 48_000.0)] {
            let y = resample_ir(&[vec![0.1; len], vec![0.2; len / 2]], from, to).unwrap();
            let want = (len as f64 * to / from).round() as usize;
            assert_eq!((y.len(), y[0].len(), y[1].len()), (2, want, want), "{len} at {from} → {to}");
        }
    }
}

#[test]
fn unsupported_sample_rates_are_an_error() {
    for (from, to) in
        [(0.0, 48_000.0), (44_100.5, 48_000.0), (f64::NAN, 48_000.0), (48_000.0, f64::INFINITY), (-1.0, 2.0)]
    {
        assert!(resample_ir(&[vec![1.0]], from, to).is_err(), "{from} → {to}");
    }
}

#[test]
fn normalisation_gives_unit_energy_gain_with_one_gain_for_both_channels() {
    let mut s = 1u32;
    let mut noise = || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        s as f32 / 2_147_483_648.0 - 1.0
    };
    let mut ir = vec![(0..5000).map(|_| 3.0 * noise()).collect::<Vec<f32>>(), (0..5000).map(|_| noise()).collect()];
    ir[0][10] = f32::NAN;
    let ratio_before = ir[1][100] / ir[0][100];
    let gain = normalize_ir(&mut ir);
    assert!(gain > 0.0 && gain < 1.0);
    let energy: f64 = ir.iter().map(|c| c.iter().map(|&x| (x as f64).powi(2)).sum::<f64>()).sum::<f64>() / 2.0;
    assert!((energy - 1.0).abs() < 1e-5, "{energy}");
    assert_eq!(ir[0][10], 0.0);
    assert!((ir[1][100] / ir[0][100] - ratio_before).abs() < 1e-5);
    let mut silent = vec![vec![0.0f32; 10]];
    assert_eq!(normalize_ir(&mut silent), 1.0);
}
