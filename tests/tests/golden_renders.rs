//! The sound does not change by accident: every plugin renders, at defaults and at several
//! non-default settings (mono and stereo, odd block sizes, a switch or glide in mid-stream), the
//! same audio as the renders kept in `tests/fixtures/golden/`.
//!
//! The fixtures were rendered with the code as it stood before the plugin skeleton and the model
//! contract were rewritten (issue 11), and every plugin is held to them bit for bit. A change
//! that is meant to change the sound re-renders them with
//! `FERRITE_BLESS=1 cargo test --release -p ferrite-tests --test golden_renders` and says so in
//! its commit message; nothing else may touch them.

use std::path::PathBuf;

use ferrite_phaser::FerritePhaser;
use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};
use ferrite_plugin_common::settings;
use ferrite_plugin_common::audio_file::{read_wav, write_wav_atomic, Audio};
use ferrite_reverb::FerriteReverb;
use ferrite_ring::FerriteRing;
use ferrite_tests::music_like;
use ferrite_vcf::FerriteVcf;
use nice_plug::prelude::*;

/// Frames rendered per case (0.25 s at 48 kHz): long enough for every fade and glide to finish.
const FRAMES: usize = 12_000;
const SAMPLE_RATE: u32 = 48_000;

/// One render: the settings before the first block, the block size, the channel count, and
/// settings that arrive as automation halfway through (smoothed or declicked by the plugin).
struct Case {
    name: &'static str,
    channels: usize,
    block: usize,
    sets: &'static [&'static str],
    midway: &'static [&'static str],
}

const fn case(
    name: &'static str,
    channels: usize,
    block: usize,
    sets: &'static [&'static str],
    midway: &'static [&'static str],
) -> Case {
    Case { name, channels, block, sets, midway }
}

const RING: &[Case] = &[
    case("ring-defaults", 2, 512, &[], &[]),
    case("ring-parker-square", 2, 97, &["model=parker", "carrier=square", "carrier_freq=733", "drive=9", "mix=0.7"], &[]),
    case("ring-mono-saw-2x", 1, 256, &["carrier=saw", "carrier_freq=41", "oversampling=2x", "output=-3"], &[]),
    case("ring-switches", 2, 128, &["carrier_freq=300"], &["oversampling=4x", "carrier=triangle", "carrier_freq=900", "mix=0.5"]),
    case("ring-sidechain", 2, 64, &["carrier=sidechain"], &[]),
];

const VCF: &[Case] = &[
    case("vcf-defaults", 2, 512, &[], &[]),
    case("vcf-resonant-1x", 2, 61, &["cutoff=12000", "resonance=9.5", "oversampling=1x"], &[]),
    case("vcf-mono-drive-8x", 1, 256, &["cutoff=60", "resonance=0", "oversampling=8x", "drive=18", "mix=0.8"], &[]),
    case("vcf-switches", 2, 128, &["cutoff=800", "resonance=3"], &["oversampling=4x", "cutoff=3000", "output=-6"]),
];

const PHASER: &[Case] = &[
    case("phaser-defaults", 2, 512, &[], &[]),
    case("phaser-static-12", 2, 97, &["stages=12", "freq=300", "spread=1.3", "q=4", "feedback=0.6", "lfo_depth=0"], &[]),
    case("phaser-mono-48", 1, 256, &["stages=48", "spread=1.05", "q=20", "lfo_depth=0.5", "lfo_shape=triangle"], &[]),
    case("phaser-switches", 2, 128, &["stages=8", "lfo_rate=3", "lfo_depth=2"], &["stages=16", "feedback=-0.5", "output=-4"]),
];

const REVERB: &[Case] = &[
    case("reverb-defaults", 2, 512, &[], &[]),
    case("reverb-hall", 2, 97, &["algorithm=hall", "decay=3", "predelay=12", "low_cut=120", "high_cut=9000"], &[]),
    case("reverb-mono-plate", 1, 256, &["algorithm=plate", "decay=1.5", "width=0.4", "mix=0.6"], &[]),
    case("reverb-switches", 2, 128, &["algorithm=freeverb", "size=0.8"], &["algorithm=plate", "predelay=40", "mix=0.3"]),
];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden").join(format!("{name}.wav"))
}

/// Render `case` through plugin `P` as a host would: settings before activation, blocks of
/// `case.block`, the midway settings as normalized automation between two blocks. The input
/// is the shared music-like signal; a sidechain (where the plugin has one) gets a 700 Hz sine.
fn render<P: Plugin>(case: &Case) -> Vec<Vec<f32>> {
    let mut host = OfflineHost::<P>::new();
    let parse = |host: &OfflineHost<P>, sets: &[&str]| -> Vec<settings::Setting> {
        sets.iter().map(|s| settings::parse_setting(host.params().as_ref(), s).unwrap()).collect()
    };
    let before = parse(&host, case.sets);
    settings::apply(host.params().as_ref(), &before);
    let midway = parse(&host, case.midway);
    let layout = layout_for_channels::<P>(case.channels).expect("layout");
    host.activate(layout, SAMPLE_RATE as f32, case.block).unwrap();
    let input = music_like(case.channels, FRAMES, SAMPLE_RATE as f32, 0.8, 7);
    let mut out = vec![Vec::with_capacity(FRAMES); case.channels];
    let mut pos = 0;
    let mut automated = false;
    while pos < FRAMES {
        if !automated && pos >= FRAMES / 2 {
            automated = true;
            for s in &midway {
                let index = host.param_ptrs().iter().position(|(id, _)| *id == s.id).unwrap();
                host.set_normalized(index, s.normalized);
            }
        }
        let n = case.block.min(FRAMES - pos);
        let (main, aux) = host.buffers_mut();
        for (buf, src) in main.iter_mut().zip(&input) {
            buf[..n].copy_from_slice(&src[pos..pos + n]);
        }
        for port in aux.iter_mut() {
            for buf in port.iter_mut() {
                for (i, s) in buf[..n].iter_mut().enumerate() {
                    let t = (pos + i) as f64 / SAMPLE_RATE as f64;
                    *s = (0.5 * (std::f64::consts::TAU * 700.0 * t).sin()) as f32;
                }
            }
        }
        assert!(!matches!(host.process(n), ProcessStatus::Error(_)), "{}: process failed", case.name);
        let (main, _) = host.buffers_mut();
        for (o, buf) in out.iter_mut().zip(main.iter()) {
            o.extend_from_slice(&buf[..n]);
        }
        pos += n;
    }
    out
}

/// Compare with the fixture bit for bit (or write it, when blessing).
fn check<P: Plugin>(cases: &[Case]) {
    let bless = std::env::var_os("FERRITE_BLESS").is_some();
    for case in cases {
        let got = render::<P>(case);
        let path = fixture(case.name);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            write_wav_atomic(&path, &Audio { sample_rate: SAMPLE_RATE, channels: got }).unwrap();
            continue;
        }
        let want = read_wav(&path).unwrap_or_else(|e| panic!("{}: cannot read the fixture: {e:#}", case.name));
        assert_eq!(want.channels.len(), got.len(), "{}: channel count", case.name);
        for (ch, (w, g)) in want.channels.iter().zip(&got).enumerate() {
            assert_eq!(w.len(), g.len(), "{}: length of channel {ch}", case.name);
            let first = w.iter().zip(g).position(|(a, b)| a.to_bits() != b.to_bits());
            if let Some(i) = first {
                let peak = w.iter().fold(0f32, |m, x| m.max(x.abs()));
                let worst = w.iter().zip(g).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
                panic!(
                    "{}: channel {ch} differs from the fixture from sample {i} on ({} vs {}); worst difference {worst:e} = {:.1} dB below the fixture's peak",
                    case.name,
                    w[i],
                    g[i],
                    20.0 * (peak / worst.max(1e-30)).log10()
                );
            }
        }
    }
}

#[test]
fn ferrite_ring_renders_match_the_fixtures_bit_for_bit() {
    check::<FerriteRing>(RING);
}

#[test]
fn ferrite_vcf_renders_match_the_fixtures_bit_for_bit() {
    check::<FerriteVcf>(VCF);
}

#[test]
fn ferrite_phaser_renders_match_the_fixtures_bit_for_bit() {
    check::<FerritePhaser>(PHASER);
}

#[test]
fn ferrite_reverb_renders_match_the_fixtures_bit_for_bit() {
    check::<FerriteReverb>(REVERB);
}
