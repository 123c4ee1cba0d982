//! Ferrite Reverb rendered through its own `process` (the offline host): width, the tail,
//! algorithm switching, and the impulse response as plugin state (loading, bad files, the
//! convolution itself through the plugin).

use std::path::Path;

use ferrite_dsp::analysis::{db, rms};
use ferrite_plugin_common::cli::FerritePlugin;
use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};
use ferrite_plugin_common::settings;
use ferrite_reverb::FerriteReverb;
use ferrite_test_kit::{Rng, TempDir};
use ferrite_tests::{music_like, render};
use nice_plug::prelude::*;

const SR: u32 = 48_000;

/// `channels` as a 32-bit float WAV.
fn write_wav(path: &Path, channels: &[Vec<f32>], rate: u32) {
    ferrite_test_kit::wav::write(path, rate, channels);
}

/// Normalised cross-correlation of two signals at lag 0.
fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum();
    let ea: f64 = a.iter().map(|&x| (x as f64).powi(2)).sum();
    let eb: f64 = b.iter().map(|&x| (x as f64).powi(2)).sum();
    dot / (ea * eb).sqrt().max(1e-300)
}

#[test]
fn width_one_decorrelates_the_channels_and_width_zero_is_mono() {
    // The same white noise in both channels: any difference between the outputs is the
    // reverb's (white, so no tone in the input dominates the measurement).
    let mut rng = Rng::new(7);
    let mono: Vec<f32> = (0..SR as usize * 2).map(|_| 0.5 * rng.signed()).collect();
    let x = vec![mono.clone(), mono];
    for algorithm in ["freeverb", "hall", "plate"] {
        let alg = format!("algorithm={algorithm}");
        let wide = render::<FerriteReverb>(&x, SR, &[&alg, "mix=1", "width=1"], 512);
        let tail = SR as usize / 2..;
        let rho = correlation(&wide[0][tail.clone()], &wide[1][tail.clone()]);
        assert!(rho.abs() < 0.3, "{algorithm}: width 1 leaves the channels correlated (rho = {rho:.3})");
        let narrow = render::<FerriteReverb>(&x, SR, &[&alg, "mix=1", "width=0"], 512);
        assert!(narrow[0] == narrow[1], "{algorithm}: width 0 is not mono");
    }
}

#[test]
fn the_tail_continues_after_the_input_stops_and_decays_to_exact_silence() {
    let sr = SR as usize;
    let mut x = music_like(2, sr * 8, SR as f32, 0.5, 3);
    for c in &mut x {
        c[sr / 2..].fill(0.0);
    }
    for algorithm in ["freeverb", "hall", "plate"] {
        let alg = format!("algorithm={algorithm}");
        let y = render::<FerriteReverb>(&x, SR, &[&alg, "mix=1", "decay=1"], 512);
        let after = db(rms(&y[0][sr..sr + sr / 4]), 1.0);
        assert!(after > -50.0, "{algorithm}: no tail 0.5 s after the input stopped ({after:.1} dBFS)");
        assert!(y.iter().flatten().all(|s| s.is_finite() && (*s == 0.0 || s.abs() >= f32::MIN_POSITIVE)), "{algorithm}: subnormal output");
        let end = &y[0][7 * sr..];
        assert!(end.iter().all(|&s| s.abs() < 1e-6), "{algorithm}: still sounding 7 s after the input stopped (decay 1 s)");
    }
}

/// Render `x` through an offline host, changing parameter `id` to the plain value `value` at
/// sample `at` (a block boundary of `block`) as host automation does (the smoother glides).
fn render_with_change(x: &[Vec<f32>], sets: &[&str], block: usize, at: usize, id: &str, value: &str) -> Vec<Vec<f32>> {
    let mut host = OfflineHost::<FerriteReverb>::new();
    let parsed: Vec<_> = sets.iter().map(|s| settings::parse_setting(host.params().as_ref(), s).unwrap()).collect();
    settings::apply(host.params().as_ref(), &parsed);
    let change = settings::parse_setting(host.params().as_ref(), &format!("{id}={value}")).unwrap();
    let layout = layout_for_channels::<FerriteReverb>(x.len()).unwrap();
    host.activate(layout, SR as f32, block).unwrap();
    let mut out = vec![Vec::new(); x.len()];
    let mut pos = 0;
    while pos < x[0].len() {
        let n = block.min(x[0].len() - pos);
        if pos == at {
            let index = host.param_ptrs().iter().position(|(p, _)| *p == change.id).unwrap();
            host.set_normalized(index, change.normalized);
        }
        let (main, _) = host.buffers_mut();
        for (buf, src) in main.iter_mut().zip(x) {
            buf[..n].copy_from_slice(&src[pos..pos + n]);
        }
        host.process(n);
        let (main, _) = host.buffers_mut();
        for (o, buf) in out.iter_mut().zip(main.iter()) {
            o.extend_from_slice(&buf[..n]);
        }
        pos += n;
    }
    out
}

#[test]
fn switching_the_algorithm_crossfades_without_a_click() {
    let x = music_like(2, SR as usize * 2, SR as f32, 0.5, 9);
    let at = SR as usize;
    for (from, to) in [("hall", "plate"), ("plate", "freeverb"), ("freeverb", "hall")] {
        let from_set = format!("algorithm={from}");
        let y = render_with_change(&x, &[&from_set, "mix=1"], 256, at, "algorithm", to);
        // The largest step between samples around the switch must be of the size the wet
        // signal makes on its own before the switch.
        let step = |s: &[f32]| s.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0f32, f32::max);
        let before = step(&y[0][at - 4800..at]);
        let around = step(&y[0][at..at + 4800]);
        assert!(around <= 2.0 * before, "{from} -> {to}: step {around} around the switch vs {before} before");
        assert!(rms(&y[0][at + 4800..at + 9600]) > 0.01, "{from} -> {to}: silent after the switch");
    }
}

/// While a control that the models or the cut filters follow glides, the engine follows it every
/// 32 samples from the change on, and once it rests the rest of a block is one span: so 512-sample
/// host blocks give the same output, bit for bit, as 32-sample blocks across a glide of each such
/// control (a span that missed a step of the glide, or ran past one, would not).
#[test]
fn gliding_controls_are_followed_every_32_samples_whatever_the_block() {
    let x = music_like(2, 24_576, SR as f32, 0.5, 13);
    // A boundary of both block sizes; the glides (20 ms) end well inside the render.
    let at = 8_192;
    for (set, id, value) in [
        ("algorithm=hall", "decay", "6"),
        ("algorithm=hall", "size", "0.9"),
        ("algorithm=plate", "damping", "0.9"),
        ("algorithm=plate", "low_cut", "800"),
        ("algorithm=freeverb", "high_cut", "2000"),
        ("algorithm=hall", "modulation", "1"),
    ] {
        let sets = [set, "mix=1"];
        let long = render_with_change(&x, &sets, 512, at, id, value);
        let short = render_with_change(&x, &sets, 32, at, id, value);
        assert!(long == short, "{set}, {id} -> {value}: 512-sample blocks differ from 32-sample ones");
        let unchanged = render_with_change(&x, &sets, 512, x[0].len(), id, value);
        assert!(long != unchanged, "{set}, {id} -> {value}: the change is not heard");
    }
}

#[test]
fn a_bad_impulse_response_file_is_refused_and_the_previous_one_stays() {
    let dir = TempDir::new("reverb-bad-ir");
    let good = dir.join("good.wav");
    let mut ir = vec![0.0f32; 4800];
    ir[0] = 1.0;
    ir[2400] = 0.5;
    write_wav(&good, &[ir], 44_100);
    let empty = dir.join("empty.wav");
    write_wav(&empty, &[Vec::new()], 48_000);
    let silent = dir.join("silent.wav");
    write_wav(&silent, &[vec![0.0; 100]], 48_000);
    let nan = dir.join("nan.wav");
    write_wav(&nan, &[vec![0.5, f32::NAN, 0.1]], 48_000);
    let long = dir.join("long.wav");
    write_wav(&long, &[vec![0.01; 8_000 * 31]], 8_000);
    let corrupt = dir.join("corrupt.wav");
    let mut bytes = std::fs::read(&good).unwrap();
    bytes.truncate(30);
    std::fs::write(&corrupt, bytes).unwrap();
    let garbage = dir.join("garbage.wav");
    let mut rng = Rng::new(4);
    std::fs::write(&garbage, (0..4000).map(|_| rng.next_u64() as u8).collect::<Vec<u8>>()).unwrap();
    let missing = dir.join("missing.wav");

    let mut plugin = FerriteReverb::default();
    plugin.load_impulse_response(&good).unwrap();
    let params = plugin.params();
    let state_before = params.serialize_fields();
    for (path, mention) in [
        (&empty, "empty"),
        (&silent, "silent"),
        (&nan, "non-finite"),
        (&long, "long"),
        (&corrupt, "corrupt.wav"),
        (&garbage, "garbage.wav"),
        (&missing, "missing.wav"),
    ] {
        let err = plugin.load_impulse_response(path).expect_err("a bad IR was accepted");
        let msg = format!("{err:#}");
        assert!(msg.contains(mention), "{}: message {msg:?} does not mention {mention:?}", path.display());
        assert!(!msg.contains('\n'), "{}: the message is not one line: {msg:?}", path.display());
    }
    assert_eq!(params.serialize_fields(), state_before, "a refused IR changed the stored one");
}

/// Render an impulse at sample 10 through the convolution with the IR in `path` (mono, 48 kHz
/// host, 64-frame blocks, the wet filters wide open) and return the first `blocks` blocks.
fn impulse_through_convolution(path: &Path, blocks: usize) -> Vec<f32> {
    let mut host = OfflineHost::<FerriteReverb>::new();
    host.plugin().load_impulse_response(path).unwrap();
    for s in ["algorithm=convolution", "mix=1", "predelay=0", "low_cut=20", "high_cut=20000"] {
        let p = settings::parse_setting(host.params().as_ref(), s).unwrap();
        settings::apply(host.params().as_ref(), &[p]);
    }
    host.activate(layout_for_channels::<FerriteReverb>(1).unwrap(), SR as f32, 64).unwrap();
    let mut y = Vec::new();
    for b in 0..blocks {
        let (main, _) = host.buffers_mut();
        main[0][..64].fill(0.0);
        if b == 0 {
            main[0][10] = 1.0;
        }
        host.process(64);
        y.extend_from_slice(&host.buffers_mut().0[0][..64]);
    }
    y
}

fn peak_in(y: &[f32], range: std::ops::Range<usize>) -> usize {
    range.clone().max_by(|&a, &b| y[a].abs().total_cmp(&y[b].abs())).unwrap()
}

#[test]
fn convolution_through_the_plugin_applies_the_loaded_impulse_response() {
    let dir = TempDir::new("reverb-conv");
    // Two impulses (0 and 30 ms) at the host rate: the wet signal is the IR itself, scaled.
    let path = dir.join("ir48.wav");
    let mut ir = vec![0.0f32; 4800];
    ir[0] = 1.0;
    ir[1440] = 0.5;
    write_wav(&path, &[ir], 48_000);
    let y = impulse_through_convolution(&path, 40);
    let (direct, echo) = (peak_in(&y, 0..200), peak_in(&y, 1000..2000));
    // Direct sound at 10 (the convolution adds no latency), the echo 1440 later at half the level.
    assert_eq!((direct, echo), (10, 1450), "direct sound at {direct}, echo at {echo}");
    let ratio = y[echo] / y[direct];
    assert!((ratio - 0.5).abs() < 1e-3, "echo/direct {ratio}");

    // The same IR recorded at 44.1 kHz is resampled to the host rate: the echo (at 1323
    // samples = 30 ms) still lands 30 ms after the direct sound.
    let path = dir.join("ir44.wav");
    let mut ir = vec![0.0f32; 4410];
    ir[0] = 1.0;
    ir[1323] = 0.5;
    write_wav(&path, &[ir], 44_100);
    let y = impulse_through_convolution(&path, 40);
    let (direct, echo) = (peak_in(&y, 0..200), peak_in(&y, 1000..2000));
    assert_eq!((direct, echo), (10, 1450), "resampled IR: direct sound at {direct}, echo at {echo}");
}

/// A bounded fuzz of impulse-response loading: valid IR files with random bytes changed,
/// truncated or repeated. Each load either fails with a one-line message or succeeds; a loaded
/// IR then activates and renders finite, bounded audio. Rounds: `FERRITE_FUZZ_ROUNDS` (default
/// 100); a longer run: `FERRITE_FUZZ_ROUNDS=3000 cargo test --release -p ferrite-tests --test
/// reverb_plugin ir_loading`.
#[test]
fn ir_loading_survives_mutated_files() {
    let rounds: usize = std::env::var("FERRITE_FUZZ_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(100);
    let dir = TempDir::new("reverb-ir-fuzz");
    let mut rng = Rng::new(0x1F0);
    let valid_path = dir.join("valid.wav");
    let ir: Vec<Vec<f32>> = (0..2).map(|_| (0..2000).map(|i| rng.signed() * (-(i as f32) / 400.0).exp()).collect()).collect();
    write_wav(&valid_path, &ir, 44_100);
    let valid = std::fs::read(&valid_path).unwrap();
    let path = dir.join("mutated.wav");
    let mut loaded = 0;
    for round in 0..rounds {
        let mut bytes = valid.clone();
        match rng.below(3) {
            0 => {
                for _ in 0..1 + rng.below(6) {
                    let i = rng.below(bytes.len());
                    bytes[i] = rng.next_u64() as u8;
                }
            }
            1 => bytes.truncate(rng.below(bytes.len())),
            _ => {
                let a = rng.below(bytes.len());
                let b = (a + 1 + rng.below(200)).min(bytes.len());
                let chunk = bytes[a..b].to_vec();
                bytes.splice(b..b, chunk);
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        let mut host = OfflineHost::<FerriteReverb>::new();
        match host.plugin().load_impulse_response(&path) {
            Err(e) => assert!(!format!("{e:#}").contains('\n'), "round {round}: multi-line error {e:#}"),
            Ok(()) => {
                loaded += 1;
                let p = settings::parse_setting(host.params().as_ref(), "algorithm=convolution").unwrap();
                settings::apply(host.params().as_ref(), &[p]);
                host.activate(layout_for_channels::<FerriteReverb>(2).unwrap(), SR as f32, 256).unwrap();
                for _ in 0..20 {
                    let (main, _) = host.buffers_mut();
                    for c in main.iter_mut() {
                        for s in c[..256].iter_mut() {
                            *s = rng.signed();
                        }
                    }
                    host.process(256);
                    let (main, _) = host.buffers_mut();
                    assert!(main.iter().all(|c| c[..256].iter().all(|y| y.is_finite() && y.abs() < 1e4)), "round {round}: bad output");
                }
            }
        }
    }
    eprintln!("IR loading fuzz: {rounds} mutated files, {loaded} loaded");
}
