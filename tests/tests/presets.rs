//! The factory presets, measured the way a listener would judge them:
//!
//! - every plugin has at least eight, with distinct names, in categories, and each is a valid
//!   preset that sets its `output` level;
//! - **levels are matched**: through each preset the reference signal (the shared music-like
//!   test signal, stereo, 4 s, peaking at −6 dBFS) comes out with the same RMS as it went in,
//!   within ±1 dB, and never above 0 dBFS, so switching presets, or the effect in and out,
//!   does not jump in loudness;
//! - each sounds as its name says, by a proxy measured on the audio: the Ring's sidebands at
//!   the input's frequency ± the carrier's, its tremolo's rate; the VCF's low-pass attenuation
//!   above the cutoff and its self-oscillation at the cutoff; the Phaser's vibrato (no dry
//!   signal left) and its notches; the Reverb's decay times, in the order of the preset names'
//!   promise (room < plate < hall < cathedral < ambient < pad).

use ferrite_dsp::analysis::{crossing_frequency, rms, schroeder_rt60, tone_amplitude};
use ferrite_plugin_common::audio_file::Audio;
use ferrite_plugin_common::cli::FerritePlugin;
use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};
use ferrite_plugin_common::presets::{self, FactoryPreset};
use ferrite_plugin_common::render::run_offline;
use ferrite_plugin_common::settings;
use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;

const RATE: u32 = 48_000;
/// The reference signal's length, seconds.
const REFERENCE_SECONDS: f64 = 4.0;
/// The loudness match every preset must meet, dB.
const LEVEL_TOLERANCE_DB: f64 = 1.0;

/// The reference signal: stereo music-like material peaking at −6 dBFS.
fn reference() -> Vec<Vec<f32>> {
    ferrite_tests::music_like(2, (REFERENCE_SECONDS * RATE as f64) as usize, RATE as f32, 0.5, 7)
}

/// The factory preset `name` of `P`.
fn preset<P: FerritePlugin>(name: &str) -> &'static FactoryPreset {
    P::factory_presets().iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no factory preset '{name}'"))
}

/// `input` (and `sidechain`) through `P` set to `preset`, as `render --preset` does, with
/// `tail` seconds after the input.
fn render<P: FerritePlugin>(
    preset: &FactoryPreset,
    input: &[Vec<f32>],
    sidechain: Option<&[Vec<f32>]>,
    tail: f64,
) -> Vec<Vec<f32>> {
    let mut host = OfflineHost::<P>::new();
    let settings = presets::complete(host.params().as_ref(), preset.text)
        .unwrap_or_else(|e| panic!("preset '{}': {e:#}", preset.name));
    settings::apply(host.params().as_ref(), &settings);
    host.activate(layout_for_channels::<P>(input.len()).expect("layout"), RATE as f32, 512).unwrap();
    if settings.iter().any(|s| s.id == "note_gate" && s.normalized > 0.5) {
        // A preset that sounds only while a key is held (Ferrite VCF's note gate) is heard as
        // it is played: A4 held from the start.
        let key = Key::Number(69);
        host.push_event(NoteEvent::NoteOn { timing: 0, voice_id: VoiceID::Wildcard, channel: Channel::Number(0), key, velocity: 0.8 });
    }
    let audio = Audio { sample_rate: RATE, channels: input.to_vec() };
    let sc = sidechain.map(|c| Audio { sample_rate: RATE, channels: c.to_vec() });
    run_offline(&mut host, &audio, sc.as_ref(), 512, tail).unwrap().channels
}

fn stereo_rms(x: &[Vec<f32>]) -> f64 {
    (x.iter().map(|c| rms(c).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

/// What every plugin's factory presets must be, and their levels; `sidechain`: a preset whose
/// name is listed gets the second reference signal as its sidechain.
fn check_presets<P: FerritePlugin>(sidechain_presets: &[&str]) {
    let factory = P::factory_presets();
    let plugin = P::CLI_NAME;
    assert!(factory.len() >= 8, "{plugin}: {} factory presets, at least 8 wanted", factory.len());
    let mut problems = Vec::new();
    let input = reference();
    let side = ferrite_tests::music_like(2, input[0].len(), RATE as f32, 0.5, 8);
    let input_rms = stereo_rms(&input);
    for (i, p) in factory.iter().enumerate() {
        assert!(!p.category.is_empty(), "{plugin}: '{}' has no category", p.name);
        assert!(presets::check_name(p.name).is_ok(), "{plugin}: '{}' is not a valid preset name", p.name);
        assert!(
            factory[..i].iter().all(|q| !q.name.eq_ignore_ascii_case(p.name)),
            "{plugin}: two presets are called '{}'",
            p.name
        );
        assert!(
            p.text.lines().any(|l| l.trim_start().starts_with("output")),
            "{plugin}: '{}' does not set its output level",
            p.name
        );
        let sc = sidechain_presets.contains(&p.name).then_some(side.as_slice());
        let out = render::<P>(p, &input, sc, 0.0);
        assert!(out.iter().flatten().all(|y| y.is_finite()), "{plugin}: '{}' gives non-finite output", p.name);
        let level = 20.0 * (stereo_rms(&out) / input_rms).log10();
        let peak = out.iter().flatten().fold(0.0f32, |m, y| m.max(y.abs()));
        eprintln!("{plugin}: '{}': {level:+.2} dB, peak {:.2} dBFS", p.name, 20.0 * (peak as f64).log10());
        if level.abs() > LEVEL_TOLERANCE_DB || peak > 1.0 {
            problems.push(format!(
                "'{}': {level:+.2} dB against the reference (±{LEVEL_TOLERANCE_DB} dB wanted), peak {:.2} dBFS",
                p.name,
                20.0 * (peak as f64).log10()
            ));
        }
    }
    assert!(problems.is_empty(), "{plugin}: levels not matched:\n{}", problems.join("\n"));
}

#[test]
fn ring_presets_are_level_matched() {
    check_presets::<ferrite_ring::FerriteRing>(&["Sidechain Cross-Mod"]);
}

#[test]
fn vcf_presets_are_level_matched() {
    check_presets::<ferrite_vcf::FerriteVcf>(&[]);
}

#[test]
fn phaser_presets_are_level_matched() {
    check_presets::<ferrite_phaser::FerritePhaser>(&[]);
}

#[test]
fn reverb_presets_are_level_matched() {
    check_presets::<ferrite_reverb::FerriteReverb>(&[]);
}

/// A mono-in-both-channels sine, `seconds` long.
fn sine(freq: f64, amp: f64, seconds: f64) -> Vec<Vec<f32>> {
    let s = ferrite_tests::sine(freq, amp, RATE as f64, (seconds * RATE as f64) as usize);
    vec![s.clone(), s]
}

/// The carrier frequency a preset sets.
fn value_of(preset: &FactoryPreset, id: &str) -> f64 {
    preset
        .text
        .lines()
        .filter_map(|l| l.split('#').next()?.split_once('='))
        .find(|(k, _)| k.trim() == id)
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("'{}' sets no numeric {id}", preset.name))
}

#[test]
fn ring_presets_put_their_sidebands_where_the_carrier_says() {
    use ferrite_ring::FerriteRing;
    let f_in = 1000.0;
    // Sine carriers fully wet: the input's frequency gives way to f ± carrier.
    for name in ["Metallic Voice", "Bell"] {
        let p = preset::<FerriteRing>(name);
        let fc = value_of(p, "carrier_freq");
        let out = render::<FerriteRing>(p, &sine(f_in, 0.3, 1.0), None, 0.0);
        let x = &out[0][RATE as usize / 2..];
        let at = |f: f64| tone_amplitude(x, f, RATE as f64);
        let (lower, upper, carried) = (at(f_in - fc), at(f_in + fc), at(f_in));
        assert!(
            lower > 10.0 * carried && upper > 10.0 * carried,
            "{name}: sidebands {lower:.4} and {upper:.4} at {f_in} ∓ {fc} Hz, input frequency {carried:.4}: not a ring modulator"
        );
        assert!((lower / upper - 1.0).abs() < 0.2, "{name}: sidebands {lower:.4} and {upper:.4} should be equal");
    }
    // The tremolo: the envelope of a steady tone pulses at the carrier's rate.
    let p = preset::<FerriteRing>("Sub-Audio Tremolo");
    let rate = value_of(p, "carrier_freq");
    let out = render::<FerriteRing>(p, &sine(f_in, 0.3, 3.0), None, 0.0);
    let frame = RATE as usize / 200;
    let envelope: Vec<f32> = out[0][RATE as usize / 2..].chunks_exact(frame).map(|c| rms(c) as f32).collect();
    let env_rate = 200.0;
    let mean = envelope.iter().map(|&e| e as f64).sum::<f64>() / envelope.len() as f64;
    let centred: Vec<f32> = envelope.iter().map(|&e| (e as f64 - mean) as f32).collect();
    let at_rate = tone_amplitude(&centred, rate, env_rate);
    // The strongest pulsation, on a 0.5 Hz grid from 1 to 30 Hz, is at the carrier's rate (the
    // diode ring half switches, so its odd harmonics are there too, weaker).
    let strongest = (2..=60).map(|k| k as f64 * 0.5).max_by(|a, b| {
        tone_amplitude(&centred, *a, env_rate).total_cmp(&tone_amplitude(&centred, *b, env_rate))
    });
    assert_eq!(strongest, Some(rate), "tremolo: the envelope pulses fastest at {strongest:?} Hz, the carrier is {rate} Hz");
    assert!(at_rate > 0.2 * mean, "tremolo: envelope swing {at_rate:.4} on a mean of {mean:.4} is no tremolo");
}

#[test]
fn vcf_presets_filter_and_sing_at_their_cutoff() {
    use ferrite_vcf::FerriteVcf;
    // Low-pass: a tone two octaves above the cutoff is cut far more than one an octave below.
    for name in ["Gentle Low-Pass", "Dark Muffle", "Warm Ladder"] {
        let p = preset::<FerriteVcf>(name);
        let fc = value_of(p, "cutoff");
        let gain = |f: f64| {
            let out = render::<FerriteVcf>(p, &sine(f, 0.05, 0.5), None, 0.0);
            tone_amplitude(&out[0][RATE as usize / 4..], f, RATE as f64) / 0.05
        };
        let (below, above) = (gain(fc / 2.0), gain((fc * 4.0).min(20_000.0)));
        assert!(
            20.0 * (above / below).log10() < -24.0,
            "{name}: two octaves above the {fc} Hz cutoff only {:.1} dB below an octave under it",
            20.0 * (above / below).log10()
        );
    }
    // Self-oscillation: after a short burst, the filter goes on singing, tuned to A4 (the
    // preset's promise; its cutoff is set above 440 Hz, where the ladder's oscillation lands
    // there), within 1 % (a sixth of a semitone).
    let p = preset::<FerriteVcf>("Self-Oscillating Sine");
    let mut burst = sine(440.0, 0.3, 2.0);
    for c in &mut burst {
        c[RATE as usize / 100..].fill(0.0);
    }
    let out = render::<FerriteVcf>(p, &burst, None, 0.0);
    let late = &out[0][RATE as usize..];
    assert!(rms(late) > 0.01, "the self-oscillating preset died away: {:.5} RMS a second after the burst", rms(late));
    let freq = crossing_frequency(late, RATE as f64);
    assert!((freq / 440.0 - 1.0).abs() < 0.01, "self-oscillation at {freq:.1} Hz, not A4 (440 Hz)");
}

#[test]
fn the_gated_sine_voice_sings_the_held_key_and_is_silent_otherwise() {
    // Played into silence, as on a MIDI track of its own: nothing before the first key; A5 held
    // sings at 880 Hz within 1 % (one octave above the preset's A4); silence again once the
    // 30-ms release after the key-up has passed.
    use ferrite_tests::{note_off, note_on, render_with_notes};
    use ferrite_vcf::FerriteVcf;
    let p = preset::<FerriteVcf>("Gated Sine Voice");
    let sets: Vec<&str> = p.text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    let rate = RATE as usize;
    let silence = vec![vec![0.0f32; 2 * rate]; 2];
    let (on, off) = (rate / 2, 3 * rate / 2);
    let out = render_with_notes::<FerriteVcf>(&silence, RATE, &sets, 512, &[(on, note_on(81)), (off, note_off(81))]);
    assert!(out[0][..on].iter().all(|&y| y == 0.0), "sound before the first key");
    let held = &out[0][rate..off];
    assert!(rms(held) > 0.01, "A5 held: only {:.5} RMS", rms(held));
    let f = crossing_frequency(held, RATE as f64);
    assert!((f / 880.0 - 1.0).abs() < 0.01, "A5 held sings at {f:.1} Hz, not 880 Hz");
    assert!(out[0][off + rate / 20..].iter().all(|&y| y == 0.0), "sound 50 ms after the key-up");
}

#[test]
fn the_vibrato_preset_leaves_no_dry_signal_and_the_phasers_cut_notches() {
    use ferrite_phaser::FerritePhaser;
    let input = reference();
    // Vibrato (mix 100 %, no feedback): an all-pass chain, so the level is the input's, but the
    // dry signal itself is gone (the output is not the input delayed or scaled).
    let p = preset::<FerritePhaser>("Vibrato");
    let out = render::<FerritePhaser>(p, &input, None, 0.0);
    let (x, y) = (&input[0][RATE as usize..], &out[0][RATE as usize..]);
    let dot: f64 = x.iter().zip(y).map(|(&a, &b)| a as f64 * b as f64).sum();
    let corr = dot / (rms(x) * rms(y) * x.len() as f64);
    assert!(corr.abs() < 0.7, "Vibrato: correlation with the dry input {corr:.3}: the dry signal is still there");
    // The half-wet presets cut notches: white noise through them loses some frequencies far
    // more than others (a flat response would not).
    let noise: Vec<f32> = {
        let mut rng = ferrite_test_kit::Rng::new(3);
        (0..RATE as usize).map(|_| 0.3 * rng.signed()).collect()
    };
    for name in ["Classic 4-Stage", "Deep 48-Stage", "Hollow Negative"] {
        let p = preset::<FerritePhaser>(name);
        let out = render::<FerritePhaser>(p, &[noise.clone(), noise.clone()], None, 0.0);
        let gains: Vec<f64> = (1..40)
            .map(|k| 100.0 * k as f64)
            .map(|f| tone_amplitude(&out[0], f, RATE as f64) / tone_amplitude(&noise, f, RATE as f64).max(1e-12))
            .collect();
        let (lo, hi) = gains.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &g| (lo.min(g), hi.max(g)));
        assert!(20.0 * (hi / lo).log10() > 12.0, "{name}: the response spans only {:.1} dB", 20.0 * (hi / lo).log10());
    }
}

#[test]
fn reverb_presets_decay_in_the_order_their_names_promise() {
    use ferrite_reverb::FerriteReverb;
    let order = ["Small Room", "Drum Room", "Vocal Plate", "Concert Hall", "Cathedral", "Long Ambient", "Frozen Pad"];
    let mut times = Vec::new();
    for name in order {
        let p = preset::<FerriteReverb>(name);
        let mut impulse = vec![vec![0.0f32; RATE as usize / 10]; 2];
        impulse[0][0] = 1.0;
        impulse[1][0] = 1.0;
        // Long enough for the decay to fall 25 dB (T20 from −5 dB) in the longest preset.
        let decay = value_of(p, "decay");
        let out = render::<FerriteReverb>(p, &impulse, None, (decay * 0.6).max(1.0));
        let energy: Vec<f64> = (0..out[0].len()).map(|i| (out[0][i] as f64).powi(2) + (out[1][i] as f64).powi(2)).collect();
        let rt = schroeder_rt60(&energy, RATE as f64, -5.0, -25.0).unwrap_or_else(|| panic!("{name}: no decay"));
        assert!(
            (rt / decay - 1.0).abs() < 0.35,
            "{name}: RT60 {rt:.2} s, the preset's decay is {decay} s"
        );
        eprintln!("{name}: RT60 {rt:.2} s for a decay of {decay} s");
        times.push((name, rt));
    }
    for w in times.windows(2) {
        assert!(w[0].1 < w[1].1, "{} ({:.2} s) should decay faster than {} ({:.2} s)", w[0].0, w[0].1, w[1].0, w[1].1);
    }
}

#[test]
fn a_preset_sets_every_parameter_and_a_saved_preset_reads_back_the_same() {
    use ferrite_reverb::FerriteReverb;
    let plugin = FerriteReverb::default();
    let params = plugin.params();
    // A preset that names only two parameters still sets all of them.
    let settings = presets::complete(params.as_ref(), "decay = 5\nmix = 0.5\n").unwrap();
    assert_eq!(settings.len(), params.param_map().len());
    // Every factory preset, applied, saved as text and read back: the same values.
    for p in FerriteReverb::factory_presets() {
        let settings = presets::complete(params.as_ref(), p.text).unwrap();
        settings::apply(params.as_ref(), &settings);
        let text = presets::to_text(params.as_ref(), p.name);
        let back = presets::complete(params.as_ref(), &text).unwrap();
        for (a, b) in settings.iter().zip(&back) {
            assert_eq!(a.id, b.id);
            assert!((a.normalized - b.normalized).abs() <= 1e-6, "'{}': {} {} read back as {}", p.name, a.id, a.normalized, b.normalized);
        }
        assert!(presets::matches(params.as_ref(), &back), "'{}' does not match itself after saving", p.name);
    }
}
