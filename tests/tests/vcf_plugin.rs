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
