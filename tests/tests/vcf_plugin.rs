//! Ferrite VCF rendered through its own `process` (the offline host), checked against what the
//! model's equations and the parameter conventions of docs/models.md, "VCS3 filter" imply.

use ferrite_dsp::analysis::{crossing_frequency, db, rms, tone_amplitude};
use ferrite_tests::{note_off, note_on, pitch_bend, render, render_with_notes, sine};
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

// ---------------------------------------------------------------------------------------------
// Note input: key tracking and the pitch wheel
// ---------------------------------------------------------------------------------------------

/// The self-oscillation's frequency (Hz) over the last half second of a 1.5-s render from a
/// click, with `sets` and the note events `events` (sample, event).
fn oscillation_hz(sets: &[&str], events: &[(usize, nice_plug::prelude::NoteEvent<()>)]) -> f64 {
    let sr = 48_000;
    let mut x = vec![0.0f32; 3 * sr / 2];
    x[10] = 0.1; // a click starts the oscillation at once instead of from the noise floor
    let mut all = vec!["resonance=8", "oversampling=4x"];
    all.extend_from_slice(sets);
    let y = render_with_notes::<FerriteVcf>(std::slice::from_ref(&x), sr as u32, &all, 512, events);
    let last = &y[0][sr..];
    crossing_frequency(last, sr as f64)
}

#[test]
fn with_full_key_tracking_the_cutoff_moves_one_octave_per_octave() {
    // K = 8 oscillates just below f0; f0 is cutoff · 2^((key − key_ref)/12) at 100 % tracking,
    // so the oscillation moves by exactly the key's interval (measured on the audio).
    let at_ref = oscillation_hz(&["cutoff=500", "key_track=1"], &[(0, note_on(60))]);
    let no_note = oscillation_hz(&["cutoff=500", "key_track=1"], &[]);
    assert!((at_ref / no_note - 1.0).abs() < 1e-3, "the reference key {at_ref:.2} Hz, no note {no_note:.2} Hz");
    for key in [48u8, 55, 67, 72, 84] {
        let f = oscillation_hz(&["cutoff=500", "key_track=1"], &[(0, note_on(key))]);
        let want = 2f64.powf((key as f64 - 60.0) / 12.0);
        let ratio = f / at_ref;
        eprintln!("key {key}: {f:.2} Hz, ratio {ratio:.4} (expected {want:.4})");
        assert!((ratio / want - 1.0).abs() < 0.01, "key {key}: oscillation {f:.2} Hz is {ratio:.4} × the reference's, expected {want:.4}");
    }
    // Half tracking: half the interval; another reference key: that key leaves the cutoff as set.
    let half = oscillation_hz(&["cutoff=500", "key_track=0.5"], &[(0, note_on(84))]);
    assert!((half / at_ref / 2.0 - 1.0).abs() < 0.01, "50 % tracking, two octaves up: {half:.2} Hz");
    let a4 = oscillation_hz(&["cutoff=500", "key_track=1", "key_ref=A4"], &[(0, note_on(69))]);
    assert!((a4 / no_note - 1.0).abs() < 1e-3, "key_ref A4 played at A4: {a4:.2} Hz, not {no_note:.2} Hz");
}

#[test]
fn the_last_note_is_held_after_its_release_and_legato_falls_back_to_held_keys() {
    let at_ref = oscillation_hz(&["cutoff=500", "key_track=1"], &[]);
    let octave = |events: &[(usize, nice_plug::prelude::NoteEvent<()>)]| oscillation_hz(&["cutoff=500", "key_track=1"], events) / at_ref;
    // 72 played and released: still 72.
    let held = octave(&[(0, note_on(72)), (20_000, note_off(72))]);
    assert!((held / 2.0 - 1.0).abs() < 0.01, "after release: {held:.4} × the reference");
    // 72 held, 84 played and released: back to 72.
    let legato = octave(&[(0, note_on(72)), (10_000, note_on(84)), (20_000, note_off(84))]);
    assert!((legato / 2.0 - 1.0).abs() < 0.01, "legato fallback: {legato:.4} × the reference");
}

#[test]
fn the_pitch_wheel_moves_the_cutoff_by_its_range_whatever_the_tracking() {
    let centre = oscillation_hz(&["cutoff=500"], &[]);
    for (range, wheel, semitones) in [(2, 1.0, 2.0 * 8191.0 / 8192.0), (2, 0.0, -2.0), (12, 0.0, -12.0), (7, 1.0, 7.0 * 8191.0 / 8192.0)] {
        let set = format!("bend_range={range}");
        let f = oscillation_hz(&["cutoff=500", &set], &[(0, pitch_bend(wheel))]);
        let want = 2f64.powf(semitones / 12.0);
        assert!((f / centre / want - 1.0).abs() < 0.01, "range {range}, wheel {wheel}: {:.4} × the centre's, expected {want:.4}", f / centre);
    }
    // Centred again: exactly the unbent cutoff.
    let back = oscillation_hz(&["cutoff=500"], &[(0, pitch_bend(1.0)), (24_000, pitch_bend(0.5))]);
    assert!((back / centre - 1.0).abs() < 1e-3, "wheel back at the centre: {back:.2} Hz, not {centre:.2} Hz");
}

#[test]
fn notes_without_tracking_change_nothing_bit_for_bit() {
    // The defaults (no tracking, wheel centred) leave the cutoff untouched, even with notes
    // splitting the chunks mid-block: what the golden renders rely on.
    let sr = 48_000;
    let x = sine(220.0, 0.5, sr as f64, sr);
    let plain = render_with_notes::<FerriteVcf>(std::slice::from_ref(&x), sr as u32, &["resonance=3"], 512, &[]);
    let events = [(1000, note_on(72)), (1001, note_on(40)), (7777, note_off(72)), (20_000, pitch_bend(0.5)), (30_001, note_off(40))];
    let played = render_with_notes::<FerriteVcf>(std::slice::from_ref(&x), sr as u32, &["resonance=3"], 512, &events);
    let first = plain[0].iter().zip(&played[0]).position(|(a, b)| a.to_bits() != b.to_bits());
    assert!(first.is_none(), "notes changed the output without key tracking (from sample {first:?})");
}

#[test]
fn the_note_gate_lets_the_filter_sound_only_while_a_key_is_held() {
    // Self-oscillating at K = 8 with the gate on: silent before the first note; from the
    // note-on the output ramps linearly over GATE_ATTACK_MS to exactly the ungated oscillation,
    // which it then is bit for bit while the key is held; after the release it ramps down over
    // GATE_RELEASE_MS to exact silence. The oscillation itself runs on under the closed gate.
    use ferrite_plugin_common::notes::ms_to_samples;
    use ferrite_vcf::engine::{GATE_ATTACK_MS, GATE_RELEASE_MS};
    let sr = 48_000usize;
    let mut x = vec![0.0f32; 2 * sr];
    x[10] = 0.1;
    let (on, off) = (24_000, 60_000);
    let attack = ms_to_samples(GATE_ATTACK_MS, sr as f32) as usize;
    let release = ms_to_samples(GATE_RELEASE_MS, sr as f32) as usize;
    // The ramp adds its step once per sample: after n steps its rounding error is at most
    // n · ε (the gain and the oscillation are both at most 1 in magnitude).
    let ramp_error = |n: usize| n as f32 * f32::EPSILON;
    let events = [(on, note_on(60)), (off, note_off(60))];
    let base = ["resonance=8", "oversampling=4x"];
    let free = render_with_notes::<FerriteVcf>(std::slice::from_ref(&x), sr as u32, &base, 512, &[])[0].clone();
    let gated_sets = [base[0], base[1], "note_gate=on"];
    let gated = render_with_notes::<FerriteVcf>(std::slice::from_ref(&x), sr as u32, &gated_sets, 512, &events)[0].clone();
    assert!(rms(&free[on..off]) > 0.05, "the filter does not oscillate: RMS {}", rms(&free[on..off]));

    assert!(gated[..on].iter().all(|&y| y == 0.0), "sound before the first note");
    for i in 0..attack {
        let want = free[on + i] * (i + 1) as f32 / attack as f32;
        assert!((gated[on + i] - want).abs() <= ramp_error(attack), "attack sample {i}: {} instead of {want}", gated[on + i]);
    }
    let first = (on + attack..off).find(|&i| gated[i].to_bits() != free[i].to_bits());
    assert!(first.is_none(), "with the key held the output is not the ungated oscillation (from sample {first:?})");
    for i in 0..release {
        let want = free[off + i] * (release - 1 - i) as f32 / release as f32;
        assert!((gated[off + i] - want).abs() <= ramp_error(release), "release sample {i}: {} instead of {want}", gated[off + i]);
    }
    assert!(gated[off + release..].iter().all(|&y| y == 0.0), "sound after the release time");

    // The gate closes only the filter: at mix 0 (dry only) it changes nothing, bit for bit.
    let dry = render_with_notes::<FerriteVcf>(std::slice::from_ref(&x), sr as u32, &["mix=0"], 512, &[]);
    let dry_gated = render_with_notes::<FerriteVcf>(std::slice::from_ref(&x), sr as u32, &["mix=0", "note_gate=on"], 512, &events);
    assert!(dry[0].iter().zip(&dry_gated[0]).all(|(a, b)| a.to_bits() == b.to_bits()), "the gate changed the dry signal");
}
