//! Shared helpers for Ferrite's cross-crate tests that need the plugins or the DSP crate: test
//! signals and offline rendering through the plugins' own `process` (via
//! `ferrite_plugin_common::host::OfflineHost`). The helpers that need neither (the per-thread
//! allocation counter, the random generator, WAV writing, temporary folders) are in
//! `ferrite-test-kit`, which every crate's tests can use.

use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};
use ferrite_plugin_common::settings;
use ferrite_plugin_common::audio_file::Audio;
use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;

/// `channels` channels of `frames` samples of the shared music-like test signal
/// (`ferrite_dsp::analysis::music_like`), peaking at `peak`; `seed` varies the material.
pub fn music_like(channels: usize, frames: usize, sample_rate: f32, peak: f32, seed: u64) -> Vec<Vec<f32>> {
    (0..channels)
        .map(|c| {
            let seed = (seed as u32).wrapping_mul(31).wrapping_add(c as u32);
            ferrite_dsp::analysis::music_like(seed, frames, sample_rate as f64).into_iter().map(|x| x * peak).collect()
        })
        .collect()
}

/// A sine of `freq` Hz at amplitude `amp`, `frames` long.
pub fn sine(freq: f64, amp: f64, sample_rate: f64, frames: usize) -> Vec<f32> {
    (0..frames).map(|i| (amp * (std::f64::consts::TAU * freq * i as f64 / sample_rate).sin()) as f32).collect()
}

/// An offline host of `P` with `sets` (`ID=VALUE`) applied, activated for `channels` main
/// channels at `sample_rate` with blocks of up to `block`: the set-up [`render_with_sidechain`]
/// and [`render_with_notes`] share. Panics on a bad setting or an unsupported channel count.
fn activated_host<P: Plugin>(channels: usize, sample_rate: u32, sets: &[&str], block: usize) -> OfflineHost<P> {
    let mut host = OfflineHost::<P>::new();
    let parsed: Vec<_> = sets.iter().map(|s| settings::parse_setting(host.params().as_ref(), s).unwrap()).collect();
    settings::apply(host.params().as_ref(), &parsed);
    let layout = layout_for_channels::<P>(channels).expect("layout");
    host.activate(layout, sample_rate as f32, block).unwrap();
    host
}

/// Render `input` through plugin `P` offline with `sets` (`ID=VALUE`), exactly as the
/// `render` command does (latency compensated, output as long as the input).
pub fn render<P: Plugin>(input: &[Vec<f32>], sample_rate: u32, sets: &[&str], block: usize) -> Vec<Vec<f32>> {
    render_with_sidechain::<P>(input, None, sample_rate, sets, block)
}

/// [`render`] with a sidechain input.
pub fn render_with_sidechain<P: Plugin>(
    input: &[Vec<f32>],
    sidechain: Option<&[Vec<f32>]>,
    sample_rate: u32,
    sets: &[&str],
    block: usize,
) -> Vec<Vec<f32>> {
    let mut host = activated_host::<P>(input.len(), sample_rate, sets, block);
    let audio = Audio { sample_rate, channels: input.to_vec() };
    let sc = sidechain.map(|c| Audio { sample_rate, channels: c.to_vec() });
    ferrite_plugin_common::render::run_offline(&mut host, &audio, sc.as_ref(), block, 0.0).unwrap().channels
}

/// A note-on of `key` (MIDI number, 60 = C4) at velocity 0.8, channel 1, at the start of a block
/// (see [`render_with_notes`] for where it lands).
pub fn note_on(key: u8) -> NoteEvent<()> {
    NoteEvent::NoteOn { timing: 0, voice_id: VoiceID::Wildcard, channel: Channel::Number(0), key: Key::Number(key), velocity: 0.8 }
}

/// A note-off of `key`, channel 1.
pub fn note_off(key: u8) -> NoteEvent<()> {
    NoteEvent::NoteOff { timing: 0, voice_id: VoiceID::Wildcard, channel: Channel::Number(0), key: Key::Number(key), velocity: 0.0 }
}

/// A pitch-wheel position, channel 1: `value` 0 (full down) … 0.5 (centre) … 1 (full up), as
/// nice-plug normalizes the 14-bit MIDI value.
pub fn pitch_bend(value: f32) -> NoteEvent<()> {
    NoteEvent::MidiPitchBend { timing: 0, channel: 0, value }
}

/// Render `input` through plugin `P` with `sets` (`ID=VALUE`) in blocks of `block`, each
/// `(sample, event)` of `events` delivered in the block holding `sample` at its offset there.
/// The output is raw: not latency compensated, as long as the input.
pub fn render_with_notes<P: Plugin<SysExMessage = ()>>(
    input: &[Vec<f32>],
    sample_rate: u32,
    sets: &[&str],
    block: usize,
    events: &[(usize, NoteEvent<()>)],
) -> Vec<Vec<f32>> {
    let mut host = activated_host::<P>(input.len(), sample_rate, sets, block);
    let frames = input.first().map_or(0, Vec::len);
    let mut output = vec![Vec::with_capacity(frames); input.len()];
    let mut start = 0;
    while start < frames {
        let len = block.min(frames - start);
        for &(at, event) in events.iter().filter(|(at, _)| (start..start + len).contains(at)) {
            host.push_event(with_timing(event, (at - start) as u32));
        }
        let (main, _) = host.buffers_mut();
        for (buf, x) in main.iter_mut().zip(input) {
            buf[..len].copy_from_slice(&x[start..start + len]);
        }
        host.process(len);
        let (main, _) = host.buffers_mut();
        for (out, buf) in output.iter_mut().zip(main.iter()) {
            out.extend_from_slice(&buf[..len]);
        }
        start += len;
    }
    output
}

/// `event` moved to `timing`.
fn with_timing(mut event: NoteEvent<()>, timing: u32) -> NoteEvent<()> {
    match &mut event {
        NoteEvent::NoteOn { timing: t, .. } | NoteEvent::NoteOff { timing: t, .. } | NoteEvent::MidiPitchBend { timing: t, .. } => *t = timing,
        _ => panic!("with_timing: not a note or pitch-bend event"),
    }
    event
}

/// The frequency of the strongest component of `x` between `lo` and `hi` Hz: the largest of
/// 400 log-spaced [`ferrite_dsp::analysis::tone_amplitude`] probes, refined by a golden-section
/// search between its neighbours (to a small fraction of the window's resolution).
pub fn peak_frequency(x: &[f32], sample_rate: f64, lo: f64, hi: f64) -> f64 {
    use ferrite_dsp::analysis::tone_amplitude;
    let points = 400;
    let at = |i: usize| lo * (hi / lo).powf(i as f64 / (points - 1) as f64);
    let amp = |f: f64| tone_amplitude(x, f, sample_rate);
    let best = (0..points).max_by(|&a, &b| amp(at(a)).total_cmp(&amp(at(b)))).unwrap_or(0);
    let (mut a, mut b) = (at(best.saturating_sub(1)), at((best + 1).min(points - 1)));
    let r = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..40 {
        let (c, d) = (b - r * (b - a), a + r * (b - a));
        if amp(c) >= amp(d) {
            b = d;
        } else {
            a = c;
        }
    }
    0.5 * (a + b)
}

/// Where `cargo xtask bundle` put the bundles and the standalone apps: `$FERRITE_BUNDLE_DIR`
/// (set by `cargo xtask test`), else `target/bundled`.
pub fn bundle_dir() -> std::path::PathBuf {
    match std::env::var_os("FERRITE_BUNDLE_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bundled"),
    }
}

/// The standalone app `name` (`ferrite-ring`) in [`bundle_dir`]; panics, saying how to build it,
/// when it is missing.
pub fn app(name: &str) -> std::path::PathBuf {
    let path = bundle_dir().join(name);
    assert!(path.is_file(), "no {} ; build the bundles first: cargo xtask bundle", path.display());
    path
}

/// Calls `$callback!(name, Type)` once per plugin: the one list of the plugins that the
/// cross-crate tests run over (the `name` is the package name with underscores). A new plugin is
/// added here, and to this crate's dependencies.
#[macro_export]
macro_rules! for_each_plugin {
    ($callback:ident) => {
        $callback!(ferrite_ring, ferrite_ring::FerriteRing);
        $callback!(ferrite_vcf, ferrite_vcf::FerriteVcf);
        $callback!(ferrite_phaser, ferrite_phaser::FerritePhaser);
        $callback!(ferrite_reverb, ferrite_reverb::FerriteReverb);
    };
}

/// `docs/parameters.md` as the plugins define it now: a header, then every plugin's
/// `params --markdown` section, in the order of [`for_each_plugin!`].
pub fn parameters_doc() -> String {
    let mut doc = String::from(PARAMETERS_DOC_HEADER);
    macro_rules! section {
        ($name:ident, $plugin:ty) => {
            doc.push('\n');
            doc.push_str(&ferrite_plugin_common::cli::params_markdown::<$plugin>());
        };
    }
    for_each_plugin!(section);
    doc
}

/// The text above the generated sections of `docs/parameters.md`.
const PARAMETERS_DOC_HEADER: &str = "\
# Parameters

<!-- Generated: do not edit. Each section is `target/bundled/ferrite-X params --markdown`;
     regenerate the whole file with
     FERRITE_BLESS=1 cargo test --release -p ferrite-tests --test parameters_doc -->

Every parameter of every Ferrite plugin, exactly as the plugins define it: the ID that `--set`,
presets, `params` and saved host projects use, the display name, the kind, the range, the unit
and the default (plain values, written exactly; the default also as the plugin displays it).
Enums and booleans take the value IDs listed. A \"skewed\" float spreads its range unevenly over
the host's control (more resolution at the low end).

This file is checked: `cargo test --release -p ferrite-tests --test parameters_doc` fails when
it and the plugins differ, so an ID, range or default cannot change without this file (and the
review of it) changing too. The host-level tests (`tests/clap-host`, `tests/vst3`) check what
CLAP and VST3 hosts see against the same definitions (`ferrite-X params --json`).
";
