//! `render`, `params` and `--version` of every standalone app (`$FERRITE_BUNDLE_DIR`, built by
//! `cargo xtask bundle`), used the way people script them: help and errors, values typed as the
//! plugins show them, streaming that equals the in-memory render bit for bit, tails that end
//! where the sound does, every input format, outputs that sox reads without a warning, checks
//! before any audio is processed, sidechains at other rates or shorter than the input, batches
//! with a bad file among good ones, signals, and memory that stays flat with the file's length.
//!
//! Inputs in FLAC, AIFF, Ogg Vorbis and MP3 are made with sox (installed by `cargo xtask test`).

use std::path::Path;
use std::process::{Command, Output};

use ferrite_plugin_common::audio_file::{read_audio, Audio, Bits};
use ferrite_plugin_common::cli::FerritePlugin;
use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};
use ferrite_plugin_common::render::{self, RenderOptions, Tail, SILENCE};
use ferrite_plugin_common::settings;
use ferrite_test_kit::TempDir;
use ferrite_tests::{app, music_like, sine};

const RATE: u32 = 48_000;
const APPS: [&str; 4] = ["ferrite-ring", "ferrite-vcf", "ferrite-phaser", "ferrite-reverb"];

fn run(app_name: &str, args: &[&str]) -> Output {
    Command::new(app(app_name)).args(args).output().unwrap_or_else(|e| panic!("run {app_name}: {e}"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn succeeded(out: &Output, what: &str) {
    assert!(out.status.success(), "{what}: {}", stderr(out));
}

/// Failed with `code` and exactly one line on stderr, `NAME: error: ...`, mentioning `mentions`.
fn failed_cleanly(out: &Output, app_name: &str, code: i32, mentions: &str) {
    let text = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{app_name}: exit status; stderr: {text}");
    assert_eq!(text.trim_end().lines().count(), 1, "{app_name}: one line expected, got: {text:?}");
    assert!(text.starts_with(&format!("{app_name}: error: ")), "{text}");
    assert!(text.contains(mentions), "'{mentions}' not in: {text}");
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A float WAV of `channels` (each `frames` long).
fn write_float(path: &Path, channels: &[Vec<f32>]) {
    ferrite_test_kit::wav::write(path, RATE, channels);
}

/// Run sox with `args`; panics with its stderr when it fails.
fn sox(args: &[&str]) -> String {
    let out = Command::new("sox")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("sox is needed (cargo xtask test installs it): {e}"));
    let text = stderr(&out);
    assert!(out.status.success(), "sox {args:?}: {text}");
    text
}

/// No temporary (`.partial-`) file is left in `dir`.
fn no_leftovers(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn every_subcommand_answers_help_and_version_and_refuses_bad_arguments_in_one_line() {
    for name in APPS {
        let help = run(name, &["render", "--help"]);
        succeeded(&help, "render --help");
        let text = String::from_utf8_lossy(&help.stdout);
        for option in ["--out-dir", "--set", "--tail", "--bits", "--sidechain", "--block", "--jobs"] {
            assert!(text.contains(option), "{name}: render --help does not mention {option}:\n{text}");
        }
        let help = run(name, &["params", "--help"]);
        succeeded(&help, "params --help");
        assert!(String::from_utf8_lossy(&help.stdout).contains("--json"));
        let version = format!("{name} {}", env!("CARGO_PKG_VERSION"));
        let out = run(name, &["--version"]);
        succeeded(&out, "--version");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), version);
        let out = run(name, &["render", "--version"]);
        succeeded(&out, "render --version");
        assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));

        failed_cleanly(&run(name, &["render", "a.wav", "b.wav", "--frobnicate"]), name, 2, "--frobnicate");
        failed_cleanly(&run(name, &["render"]), name, 2, "FILE");
        failed_cleanly(&run(name, &["render", "a.wav"]), name, 2, "IN OUT");
        failed_cleanly(&run(name, &["render", "a.wav", "b.wav", "--block", "0"]), name, 2, "--block");
        failed_cleanly(&run(name, &["render", "a.wav", "b.wav", "--tail", "-1"]), name, 2, "--tail");
        failed_cleanly(&run(name, &["render", "a.wav", "b.wav", "--bits", "20"]), name, 2, "--bits");
        failed_cleanly(&run(name, &["params", "--json", "--markdown"]), name, 2, "--markdown");
    }
}

#[test]
fn values_are_taken_in_the_form_params_and_hosts_show_them() {
    let dir = TempDir::new("render-cli-values");
    let input = dir.join("in.wav");
    write_float(&input, &music_like(2, 9000, RATE as f32, 0.5, 3));
    // Plain value, then the same value as the plugin displays it: the renders must be identical.
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "ferrite-ring",
            &[
                ("mix=0.5", "mix=50%"),
                ("oversampling=8x", "oversampling=8"),
                ("carrier_freq=2000", "carrier_freq=2 kHz"),
                ("drive=-6", "drive=-6 dB"),
            ],
        ),
        ("ferrite-vcf", &[("cutoff=2000", "cutoff=2 kHz"), ("mix=1", "mix=100%"), ("oversampling=4x", "oversampling=4")]),
        ("ferrite-phaser", &[("mix=0.5", "mix=50%"), ("freq=1000", "freq=1 kHz"), ("mix=0", "mix=0%")]),
        ("ferrite-reverb", &[("mix=0.25", "mix=25%"), ("predelay=20", "predelay=20 ms"), ("algorithm=plate", "algorithm=Plate")]),
    ];
    for (name, pairs) in cases {
        for (i, (plain, shown)) in pairs.iter().enumerate() {
            let a = dir.join(format!("{name}-{i}-plain.wav"));
            let b = dir.join(format!("{name}-{i}-shown.wav"));
            succeeded(&run(name, &["render", s(&input), s(&a), "--tail", "0", "--set", plain]), plain);
            succeeded(&run(name, &["render", s(&input), s(&b), "--tail", "0", "--set", shown]), shown);
            assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "{name}: {plain} and {shown} differ");
        }
        let out = dir.join("never.wav");
        failed_cleanly(&run(name, &["render", s(&input), s(&out), "--set", "mix=150%"]), name, 2, "out of range");
        failed_cleanly(&run(name, &["render", s(&input), s(&out), "--set", "mix=-5%"]), name, 2, "out of range");
        failed_cleanly(&run(name, &["render", s(&input), s(&out), "--set", "mix=half"]), name, 2, "invalid value");
        assert!(!out.exists());
    }
}

/// The streaming render of `P` (through files, in blocks) and the in-memory reference, for the
/// same input, settings, block size and tail: equal bit for bit.
fn streaming_equals_memory<P: FerritePlugin>(sets: &[&str], channels: usize, sidechain: bool, block: usize) {
    let dir = TempDir::new("render-cli-stream");
    let frames = 62_413;
    let input = Audio { sample_rate: RATE, channels: music_like(channels, frames, RATE as f32, 0.7, 11) };
    let in_path = dir.join("in.wav");
    write_float(&in_path, &input.channels);
    let sc = sidechain.then(|| Audio { sample_rate: RATE, channels: vec![sine(440.0, 0.8, RATE as f64, frames + 5000)] });
    let sc_path = dir.join("sc.wav");
    if let Some(sc) = &sc {
        write_float(&sc_path, &sc.channels);
    }
    let params = P::default().params();
    let settings: Vec<_> = sets.iter().map(|t| settings::parse_setting(params.as_ref(), t).unwrap()).collect();
    let tail = 0.25;
    let options = RenderOptions {
        settings: settings.clone(),
        sidechain: sidechain.then(|| sc_path.clone()),
        ir: None,
        block,
        tail: Tail::Seconds(tail),
        bits: Bits::Float32,
    };
    let out_path = dir.join("out.wav");
    let report = render::render_file::<P>(&options, &in_path, &out_path, None).unwrap();
    let streamed = read_audio(&out_path).unwrap();

    let mut host = OfflineHost::<P>::new();
    settings::apply(host.params().as_ref(), &settings);
    host.activate(layout_for_channels::<P>(channels).unwrap(), RATE as f32, block).unwrap();
    let memory = render::run_offline(&mut host, &input, sc.as_ref(), block, tail).unwrap();

    let name = P::CLI_NAME;
    assert_eq!(report.output_frames as usize, frames + (tail * RATE as f64) as usize, "{name}");
    assert_eq!(streamed.channels.len(), memory.channels.len(), "{name}");
    for (c, (a, b)) in streamed.channels.iter().zip(&memory.channels).enumerate() {
        assert_eq!(a.len(), b.len(), "{name} channel {c}");
        let first = a.iter().zip(b).position(|(x, y)| x.to_bits() != y.to_bits());
        assert_eq!(first, None, "{name} {sets:?} block {block}: channel {c} differs from sample {first:?}");
    }
    assert!(memory.channels[0].iter().any(|x| x.abs() > 1e-3), "{name}: a silent render proves nothing");
}

#[test]
fn the_streaming_render_equals_the_in_memory_render_bit_for_bit() {
    for block in [512, 37] {
        streaming_equals_memory::<ferrite_ring::FerriteRing>(&["oversampling=8x", "carrier=sidechain"], 2, true, block);
        streaming_equals_memory::<ferrite_ring::FerriteRing>(&["carrier_freq=300"], 1, false, block);
        streaming_equals_memory::<ferrite_vcf::FerriteVcf>(&["cutoff=900", "resonance=3"], 2, false, block);
        streaming_equals_memory::<ferrite_phaser::FerritePhaser>(&["stages=12"], 2, false, block);
        streaming_equals_memory::<ferrite_reverb::FerriteReverb>(&["algorithm=plate", "decay=1"], 2, false, block);
    }
}

/// Per frame, the loudest channel.
fn frame_peaks(audio: &Audio) -> Vec<f32> {
    (0..audio.frames()).map(|i| audio.channels.iter().map(|c| c[i].abs()).fold(0.0, f32::max)).collect()
}

#[test]
fn the_default_tail_ends_where_the_output_falls_silent() {
    let dir = TempDir::new("render-cli-tail");
    let input = dir.join("in.wav");
    let frames = RATE as usize / 2;
    write_float(&input, &music_like(2, frames, RATE as f32, 0.9, 5));

    // A reverb: rendered past the input until its tail is below -120 dBFS, and cut there.
    for algorithm in ["freeverb", "hall", "plate"] {
        let out = dir.join(format!("{algorithm}.wav"));
        let run_out = run("ferrite-reverb", &["render", s(&input), s(&out), "--set", &format!("algorithm={algorithm}")]);
        succeeded(&run_out, algorithm);
        let audio = read_audio(&out).unwrap();
        let peaks = frame_peaks(&audio);
        assert!(audio.frames() > frames + RATE as usize / 2, "{algorithm}: the tail was cut short ({} frames)", audio.frames());
        assert!(*peaks.last().unwrap() > SILENCE, "{algorithm}: the file must end where the sound does, not after silence");
        let last_loud = peaks.iter().rposition(|&p| p > 1e-3).unwrap();
        assert!(last_loud > frames, "{algorithm}: no tail after the input");
        // Falling: the last 50 ms are within 20 dB of -120 dBFS.
        let end = &peaks[peaks.len() - RATE as usize / 20..];
        assert!(end.iter().all(|&p| p < 1e-5), "{algorithm}: the end is not near silence");
    }
    // A ring modulator has no tail: the output is as long as the input.
    let out = dir.join("ring.wav");
    succeeded(&run("ferrite-ring", &["render", s(&input), s(&out)]), "ring");
    assert_eq!(read_audio(&out).unwrap().frames(), frames);
    // A self-oscillating filter sounds forever: capped, and said so in one line.
    let out = dir.join("vcf.wav");
    let result = run("ferrite-vcf", &["render", s(&input), s(&out), "--set", "resonance=9", "--set", "oversampling=1x"]);
    succeeded(&result, "vcf");
    let cap = render::MAX_AUTO_TAIL_SECONDS;
    assert_eq!(read_audio(&out).unwrap().frames(), frames + (cap * RATE as f64) as usize);
    let warnings: Vec<String> = stderr(&result).lines().filter(|l| l.contains("warning")).map(str::to_owned).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("--tail") && warnings[0].contains(&format!("{cap} s")), "{}", warnings[0]);
    // --tail sets the length exactly, also for a frozen reverb.
    let out = dir.join("frozen.wav");
    succeeded(&run("ferrite-reverb", &["render", s(&input), s(&out), "--set", "freeze=on", "--tail", "1.5"]), "frozen");
    assert_eq!(read_audio(&out).unwrap().frames(), frames + 3 * RATE as usize / 2);
}

#[test]
fn every_input_format_decodes_and_every_output_satisfies_sox() {
    let dir = TempDir::new("render-cli-formats");
    let frames = 24_000;
    let source = dir.join("source.wav");
    write_float(&source, &[sine(440.0, 0.5, RATE as f64, frames), sine(660.0, 0.4, RATE as f64, frames)]);
    let f64_wav = dir.join("f64.wav");
    sox(&[s(&source), "-e", "floating-point", "-b", "64", s(&f64_wav)]);
    let i24_wav = dir.join("i24.wav");
    sox(&[s(&source), "-b", "24", s(&i24_wav)]);
    let reference = dir.join("reference.wav");
    succeeded(&run("ferrite-vcf", &["render", s(&source), s(&reference), "--tail", "0"]), "reference");
    let reference = read_audio(&reference).unwrap();
    // Lossless inputs: exactly the input's length, and (but for 24-bit rounding) the same render.
    for (input, tolerance) in [(f64_wav, 0.0), (i24_wav.clone(), 1e-5)] {
        let out = dir.join("out.wav");
        succeeded(&run("ferrite-vcf", &["render", s(&input), s(&out), "--tail", "0"]), s(&input));
        let audio = read_audio(&out).unwrap();
        assert_eq!(audio.frames(), frames, "{}", input.display());
        let err = audio.channels.iter().flatten().zip(reference.channels.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(err <= tolerance, "{}: differs from the float input's render by {err}", input.display());
    }
    for ext in ["flac", "aiff", "ogg", "mp3"] {
        let input = dir.join(format!("in.{ext}"));
        sox(&[s(&i24_wav), s(&input)]);
        let out = dir.join(format!("out-{ext}.wav"));
        succeeded(&run("ferrite-vcf", &["render", s(&input), s(&out), "--tail", "0"]), ext);
        let audio = read_audio(&out).unwrap();
        match ext {
            "flac" | "aiff" => assert_eq!(audio.frames(), frames, "{ext}"),
            // Lossy codecs may add the encoder's padding.
            _ => assert!((frames..frames + 4096).contains(&audio.frames()), "{ext}: {} frames", audio.frames()),
        }
        assert!(audio.channels[0].iter().any(|x| x.abs() > 0.1), "{ext}: silent");
    }
    // Outputs: 32-bit float, 24 and 16-bit with TPDF dither; sox reads each without a word.
    for bits in ["32", "24", "16"] {
        let out = dir.join(format!("bits-{bits}.wav"));
        succeeded(&run("ferrite-vcf", &["render", s(&source), s(&out), "--tail", "0", "--bits", bits]), bits);
        let said = sox(&["-V2", s(&out), "-n", "stat"]);
        assert!(!said.to_lowercase().contains("warn"), "{bits}-bit: sox warns: {said}");
        let audio = read_audio(&out).unwrap();
        assert_eq!(audio.frames(), frames);
        let lsb = match bits {
            "32" => 0.0,
            "24" => 1.0 / (1 << 23) as f32,
            _ => 1.0 / (1 << 15) as f32,
        };
        let err = audio.channels.iter().flatten().zip(reference.channels.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        // Rounding (half an LSB) plus TPDF dither (under one LSB).
        assert!(err <= 1.5 * lsb, "{bits}-bit: error {err} is more than 1.5 LSB");
        if bits != "32" {
            assert!(err > 0.5 * lsb, "{bits}-bit: no dither");
        }
    }
}

#[test]
fn everything_that_can_fail_fails_before_any_audio_is_processed_naming_the_users_paths() {
    let dir = TempDir::new("render-cli-checks");
    let good = dir.join("good.wav");
    write_float(&good, &music_like(2, 4800, RATE as f32, 0.5, 1));
    let empty = dir.join("no-samples.wav");
    write_float(&empty, &[Vec::new(), Vec::new()]);
    let truncated = dir.join("truncated.wav");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() - 1000]).unwrap();
    let existing = dir.join("existing.wav");
    std::fs::write(&existing, b"keep me").unwrap();
    let missing_folder = dir.join("no-such-folder").join("out.wav");
    for name in APPS {
        for (args, mentions) in [
            (vec!["render", s(&good), s(&missing_folder)], s(&missing_folder)),
            (vec!["render", s(&empty), s(&existing)], "no audio"),
            (vec!["render", s(&truncated), s(&existing)], "truncated.wav"),
            (vec!["render", "/nonexistent/in.flac", s(&existing)], "/nonexistent/in.flac"),
            (vec!["render", s(&good), s(&good)], "is the input"),
            (vec!["render", s(&good), dir.path().to_str().unwrap()], "folder"),
        ] {
            failed_cleanly(&run(name, &args), name, 2, mentions);
        }
        assert!(!missing_folder.parent().unwrap().exists());
        assert_eq!(std::fs::read(&existing).unwrap(), b"keep me", "{name}: an existing output was touched");
        assert_eq!(std::fs::read(&good).unwrap(), bytes, "{name}: the input was touched");
        no_leftovers(dir.path());
    }
    // The convolution reverb without an impulse response would render a silent wet path.
    failed_cleanly(
        &run("ferrite-reverb", &["render", s(&good), s(&existing), "--set", "algorithm=convolution"]),
        "ferrite-reverb",
        2,
        "--ir",
    );
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep me");
}

/// The level of `freq` Hz in `x` (a single DFT bin with a Hann window), linear.
fn tone_level(x: &[f32], freq: f64) -> f64 {
    let n = x.len() as f64;
    let (mut re, mut im) = (0.0, 0.0);
    for (i, &v) in x.iter().enumerate() {
        let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n).cos();
        let ph = std::f64::consts::TAU * freq * i as f64 / f64::from(RATE);
        re += w * f64::from(v) * ph.cos();
        im += w * f64::from(v) * ph.sin();
    }
    4.0 * (re * re + im * im).sqrt() / n
}

#[test]
fn a_sidechain_at_another_rate_is_resampled_and_a_short_one_padded_with_silence() {
    let dir = TempDir::new("render-cli-sidechain");
    let frames = RATE as usize;
    let input = dir.join("in.wav");
    write_float(&input, &[sine(100.0, 0.5, RATE as f64, frames)]);
    // A 1 kHz carrier written at 44.1 kHz: resampled, it still modulates at 1 kHz.
    let sc = dir.join("sc-44k.wav");
    ferrite_test_kit::wav::write(&sc, 44_100, &[sine(1000.0, 0.8, 44_100.0, 44_100)]);
    let out = dir.join("out.wav");
    let result = run("ferrite-ring", &["render", s(&input), s(&out), "--sidechain", s(&sc), "--set", "carrier=sidechain"]);
    succeeded(&result, "44.1 kHz sidechain");
    let audio = read_audio(&out).unwrap();
    let y = &audio.channels[0][4800..frames - 4800];
    let (lower, upper) = (tone_level(y, 900.0), tone_level(y, 1100.0));
    // Played at the wrong rate the carrier would sit at 1088 Hz and its products elsewhere.
    let wrong = tone_level(y, 1188.0);
    assert!(lower > 0.01 && upper > 0.01 && wrong < 0.1 * lower.min(upper), "900: {lower}, 1100: {upper}, 1188: {wrong}");
    assert!(!stderr(&result).contains("warning"), "{}", stderr(&result));

    // A sidechain of half the input's length: the rest is silence, and the user is told.
    let short = dir.join("short.wav");
    write_float(&short, &[sine(1000.0, 0.8, RATE as f64, frames / 2)]);
    let out = dir.join("padded.wav");
    let result = run("ferrite-ring", &["render", s(&input), s(&out), "--sidechain", s(&short), "--set", "carrier=sidechain"]);
    succeeded(&result, "short sidechain");
    let text = stderr(&result);
    let warnings: Vec<&str> = text.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("short.wav") && warnings[0].contains("padded with silence"), "{}", warnings[0]);
    let audio = read_audio(&out).unwrap();
    assert_eq!(audio.frames(), frames);
    let second_half = &audio.channels[0][frames / 2 + 4800..];
    assert!(second_half.iter().all(|x| x.abs() < 1e-4), "no carrier, no output");
}

#[test]
fn a_batch_renders_every_good_file_and_reports_the_bad_one() {
    let dir = TempDir::new("render-cli-batch");
    let inputs_dir = dir.join("in");
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&inputs_dir).unwrap();
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut inputs = Vec::new();
    for i in 0..3 {
        let p = inputs_dir.join(format!("take{i}.wav"));
        write_float(&p, &music_like(2, 20_000 + 1000 * i, RATE as f32, 0.5, i as u64));
        inputs.push(p);
    }
    let flac = inputs_dir.join("take3.flac");
    sox(&[s(&inputs[0]), "-b", "24", s(&flac)]);
    inputs.push(flac);
    let bad = inputs_dir.join("broken.wav");
    std::fs::write(&bad, b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk").unwrap();
    inputs.insert(1, bad);
    let mut args: Vec<&str> = vec!["render"];
    args.extend(inputs.iter().map(|p| s(p)));
    args.extend(["--out-dir", s(&out_dir), "--set", "algorithm=plate", "--tail", "0.5"]);
    let result = run("ferrite-reverb", &args);
    let text = stderr(&result);
    assert_eq!(result.status.code(), Some(2), "{text}");
    assert!(text.contains("broken.wav") && text.contains("rendered 4 of 5 files"), "{text}");
    let mut written: Vec<String> = std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    written.sort();
    assert_eq!(written, ["take0.wav", "take1.wav", "take2.wav", "take3.wav"]);
    // Each equals the same file rendered alone.
    for take in ["take0", "take2"] {
        let alone = dir.join(format!("{take}-alone.wav"));
        let input = inputs_dir.join(format!("{take}.wav"));
        succeeded(&run("ferrite-reverb", &["render", s(&input), s(&alone), "--set", "algorithm=plate", "--tail", "0.5"]), take);
        assert_eq!(std::fs::read(&alone).unwrap(), std::fs::read(out_dir.join(format!("{take}.wav"))).unwrap(), "{take}");
    }
    no_leftovers(&out_dir);

    // Two inputs that would land on the same output: refused before anything is rendered.
    let clash = run("ferrite-reverb", &["render", s(&inputs[0]), s(&inputs[4]), "--out-dir", s(&dir.join("fresh"))]);
    failed_cleanly(&clash, "ferrite-reverb", 2, "does not exist");
    let fresh = dir.join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    let same_name = inputs_dir.join("take0.flac");
    sox(&[s(&inputs[0]), s(&same_name)]);
    let clash = run("ferrite-reverb", &["render", s(&inputs[0]), s(&same_name), "--out-dir", s(&fresh)]);
    failed_cleanly(&clash, "ferrite-reverb", 2, "both be written");
    assert_eq!(std::fs::read_dir(&fresh).unwrap().count(), 0);
}

#[test]
fn a_signal_stops_the_render_leaving_no_output_and_the_old_file_untouched() {
    let dir = TempDir::new("render-cli-signal");
    let input = dir.join("long.wav");
    // 60 s through the ring at 32x: several seconds of work, so the signal comes mid-render.
    ferrite_test_kit::wav::write_with(&input, ferrite_test_kit::wav::Format { channels: 2, sample_rate: RATE, bits: 16, float: false }, 60 * RATE as usize, |i, c| {
        0.5 * ((i as f64) * 0.01 * (1.0 + c as f64)).sin()
    });
    let out = dir.join("out.wav");
    std::fs::write(&out, b"the previous take").unwrap();
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let child = Command::new(app("ferrite-ring"))
            .args(["render", s(&input), s(&out), "--set", "oversampling=32x"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(700));
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, signal) };
        let result = child.wait_with_output().unwrap();
        assert_eq!(result.status.code(), Some(130), "signal {signal}: {}", stderr(&result));
        assert!(stderr(&result).contains("interrupted"), "{}", stderr(&result));
        assert_eq!(std::fs::read(&out).unwrap(), b"the previous take");
        no_leftovers(dir.path());
    }
}

/// Render `input` with `app_name` and return its peak resident memory, bytes.
fn peak_rss(app_name: &str, input: &Path, output: &Path) -> u64 {
    let child = Command::new(app(app_name))
        .args(["render", s(input), s(output), "--tail", "0"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{app_name} failed on {}", input.display());
    usage.ru_maxrss as u64 * 1024
}

#[test]
fn memory_stays_flat_with_the_files_length() {
    let dir = TempDir::new("render-cli-memory");
    let short = dir.join("short.wav");
    let long = dir.join("long.wav");
    sox(&["-n", "-r", "48000", "-c", "2", "-b", "16", s(&short), "synth", "10", "whitenoise", "vol", "0.5"]);
    sox(&["-n", "-r", "48000", "-c", "2", "-b", "16", s(&long), "synth", "300", "whitenoise", "vol", "0.5"]);
    let out = dir.join("out.wav");
    let small = peak_rss("ferrite-phaser", &short, &out);
    let large = peak_rss("ferrite-phaser", &long, &out);
    let mb = |b: u64| b as f64 / (1 << 20) as f64;
    // 5 minutes of stereo is 110 MB as float: held in memory it would show.
    assert!(large < 64 << 20, "peak memory for 5 minutes: {:.1} MB", mb(large));
    assert!(large < small + (4 << 20), "memory grows with the file: 10 s {:.1} MB, 5 min {:.1} MB", mb(small), mb(large));
}
