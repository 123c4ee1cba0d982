//! Ferrite VCF rendered through its own `process` (the offline host), checked against what the
//! model's equations and the parameter conventions of docs/models.md, "VCS3 filter" imply.

use ferrite_dsp::analysis::{db, rms, tone_amplitude};
use ferrite_tests::{render, sine};
use ferrite_vcf::FerriteVcf;

/// Gain in dB of the plugin for a quiet sine at `freq`, measured on the second half.
fn small_signal_gain_db(freq: f64, sr: u32, sets: &[&str]) -> f64 {
    let n = sr as usize;
    let amp = 0.001; // −60 dBFS: far below the tanh stages' knee.
    let x = sine(freq, amp, sr as f64, n);
    let y = render::<FerriteVcf>(std::slice::from_ref(&x), sr, sets, 512);
    let half = n / 2;
    db(tone_amplitude(&y[0][half..], freq, sr as f64), amp)
}

#[test]
fn cutoff_is_the_same_frequency_at_every_sample_rate_and_oversampling_factor() {
    // The cutoff is f0 pre-warped for the bilinear transform at the model's rate, so the
    // response *at f0* is that of the analog prototype whatever the rate: the same gain at 44.1
    // and 96 kHz and at every oversampling factor.
    for (f0, k) in [(500.0, "0"), (3000.0, "2"), (9000.0, "3.5")] {
        let cutoff = format!("cutoff={f0}");
        let resonance = format!("resonance={k}");
        let mut gains = Vec::new();
        for sr in [44_100, 96_000] {
            for os in ["1x", "2x", "4x", "8x"] {
                let os_set = format!("oversampling={os}");
                gains.push((sr, os, small_signal_gain_db(f0, sr, &[&cutoff, &resonance, &os_set])));
            }
        }
        let reference = gains[0].2;
        for (sr, os, g) in &gains {
            assert!((g - reference).abs() < 0.1, "f0 {f0} Hz, K {k}: gain at f0 is {g:.3} dB at {sr} Hz {os}, {reference:.3} dB at 44.1 kHz 1x");
        }
    }
}

#[test]
fn small_signal_dc_gain_is_unity_at_zero_resonance() {
    // The output is normalised so that K = 0 passes low frequencies at 0 dB.
    let g = small_signal_gain_db(20.0, 48_000, &["cutoff=5000", "resonance=0"]);
    assert!(g.abs() < 0.05, "gain at 20 Hz with a 5 kHz cutoff: {g:.3} dB");
}

#[test]
fn high_resonance_self_oscillates_from_silence_at_a_bounded_level() {
    let sr = 48_000;
    let silence = vec![vec![0.0f32; 3 * sr as usize]; 2];
    let y = render::<FerriteVcf>(&silence, sr, &["cutoff=1000", "resonance=8"], 512);
    let last = &y[0][2 * sr as usize..];
    let level = db(rms(last), 1.0);
    let peak = last.iter().fold(0.0f32, |a, &b| a.max(b.abs()));
    assert!(level > -30.0, "no sustained oscillation: {level:.1} dBFS");
    assert!(peak.is_finite() && peak < 8.0, "oscillation not bounded by the model's saturation: peak {peak}");
    // The tone sits just below f0 (the linearised loop's phase condition gives 0.97·f0 at the
    // threshold): find the strongest bin between 0.5·f0 and 1.5·f0.
    let best = (500..=1500).step_by(5).map(|f| (f, tone_amplitude(last, f as f64, sr as f64))).max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    assert!((850..=1050).contains(&best.0), "oscillation at {} Hz for a 1 kHz cutoff", best.0);
}

#[test]
fn below_the_oscillation_threshold_the_output_decays_to_silence() {
    let sr = 48_000;
    let mut x = vec![0.0f32; 2 * sr as usize];
    x[100] = 1.0;
    let y = render::<FerriteVcf>(std::slice::from_ref(&x), sr, &["cutoff=1000", "resonance=4"], 512);
    // Only the −140 dBFS noise floor remains.
    let level = db(rms(&y[0][sr as usize..]), 1.0);
    assert!(level < -100.0, "ringing after 1 s at K = 4: {level:.1} dBFS");
}

/// Strongest component of `x` on a 10 Hz grid between `lo` and `hi` Hz: (frequency, amplitude).
fn strongest_tone(x: &[f32], sr: f64, lo: u32, hi: u32) -> (f64, f64) {
    (lo..=hi).step_by(10).map(|f| (f as f64, tone_amplitude(x, f as f64, sr))).max_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or((0.0, 0.0))
}

#[test]
fn at_22050_hz_a_cutoff_above_the_usable_range_acts_as_its_top() {
    // docs/models.md, "VCS3 filter": the cutoff is clamped to MAX_CUTOFF_HOST_FRACTION of the
    // host rate (10.0 kHz at 22.05 kHz) whatever the oversampling factor, so the resonance and a
    // self-oscillation stay inside the band the host rate carries. Before that clamp, at 2x a
    // 11 kHz cutoff oscillated at the host's Nyquist (−6 dBFS there) and 20 kHz, oscillating above
    // it, left only an inharmonic alias (−11.7 dBFS at 7.6 kHz). Every cutoff above the top must
    // render exactly like it, bounded, at every factor.
    let sr = 22_050;
    let frames = 2 * sr as usize;
    let silence = vec![vec![0.0f32; frames]; 1];
    let render_at = |cutoff: &str, os: &str| {
        render::<FerriteVcf>(&silence, sr, &[&format!("cutoff={cutoff}"), "resonance=10", &format!("oversampling={os}")], 512)
    };
    for os in ["1x", "2x", "4x", "8x"] {
        let top = render_at("10100", os); // just above the clamp (10.0 kHz)
        let last = &top[0][sr as usize..];
        let peak = last.iter().fold(0.0f32, |a, &b| a.max(b.abs()));
        let (f, amp) = strongest_tone(last, sr as f64, 100, 11_000);
        // Everything away from the oscillation (±300 Hz): aliases of its harmonics, if any.
        let (f_other, other) = strongest_tone_outside(last, sr as f64, 100, 11_000, f, 300.0);
        eprintln!(
            "22.05 kHz {os}: K 10, cutoff at the top: oscillation {f} Hz at {:.1} dBFS, peak {peak:.2}, strongest other component {f_other} Hz at {:.1} dB below it",
            db(amp, 1.0),
            db(amp, other)
        );
        assert!(peak.is_finite() && peak < 8.0, "{os}: peak {peak}");
        for cutoff in ["11000", "15000", "20000"] {
            let above = render_at(cutoff, os);
            let first = above[0].iter().zip(&top[0]).position(|(a, b)| a.to_bits() != b.to_bits());
            assert!(first.is_none(), "{os}: cutoff {cutoff} Hz does not render exactly like the top of the usable range (from sample {first:?})");
        }
        if os == "8x" {
            // At 8x the oscillation at the top is one clean tone just below f0 (its harmonics,
            // from 28 kHz up, fold back only beyond the model's 88 kHz Nyquist and land in the
            // decimator's stopband). At 1x and 2x the harmonics of a saturated 9.4-9.7 kHz
            // oscillation alias inside the model (2x: the 5th at 4.2 kHz, 11 dB below the
            // tone); docs/models.md, "VCS3 filter", gives the figures.
            assert!((9_000.0..=10_000.0).contains(&f), "{os}: oscillation at {f} Hz, expected just below 10.0 kHz");
            assert!(db(amp, other) > 100.0, "{os}: a component at {f_other} Hz only {:.1} dB below the oscillation", db(amp, other));
        }
    }
}

/// Strongest component between `lo` and `hi` Hz farther than `guard` Hz from `away`.
fn strongest_tone_outside(x: &[f32], sr: f64, lo: u32, hi: u32, away: f64, guard: f64) -> (f64, f64) {
    (lo..=hi)
        .step_by(10)
        .map(|f| f as f64)
        .filter(|f| (f - away).abs() > guard)
        .map(|f| (f, tone_amplitude(x, f, sr)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0.0, 0.0))
}
