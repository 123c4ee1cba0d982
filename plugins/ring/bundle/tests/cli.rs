//! The `ferrite-ring` binary's command line (docs/interfaces.md, "Command line"): `params`,
//! `render` on every supported WAV format, and every kind of bad input failing cleanly — one line
//! on stderr, a non-zero exit, and nothing written or touched.

use std::path::Path;
use std::process::{Command, Output};

use ferrite_test_kit::hound;
use ferrite_test_kit::wav::{write_with, Format};
use ferrite_test_kit::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_ferrite-ring");

/// A fresh, empty folder for one test, removed afterwards.
fn scratch(name: &str) -> TempDir {
    TempDir::new(&format!("ring-cli-{name}"))
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run ferrite-ring")
}

fn write_wav(path: &Path, channels: u16, rate: u32, bits: u16, float: bool, frames: usize) {
    let format = Format { channels, sample_rate: rate, bits, float };
    write_with(path, format, frames, |i, _| 0.5 * (i as f64 * 0.05).sin());
}

/// The run failed cleanly: non-zero exit, exactly one line on stderr naming the problem.
fn assert_clean_failure(out: &Output, mentions: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success; stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected, got: {stderr:?}");
    assert!(stderr.starts_with("ferrite-ring: error: "), "{stderr}");
    assert!(stderr.contains(mentions), "'{mentions}' not named in: {stderr}");
}

#[test]
fn params_lists_every_interface_id_with_range_unit_and_default() {
    let out = run(&["params"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for id in ["model", "carrier", "carrier_freq", "carrier_level", "drive", "mix", "output", "oversampling"] {
        assert!(text.lines().any(|l| l.starts_with(&format!("{id} "))), "{id} missing:\n{text}");
    }
    assert!(text.contains("circuit | parker"));
    assert!(text.contains("sine | triangle | square | saw | sidechain"));
    assert!(text.contains("1x | 2x | 4x | 8x | 16x | 32x"));
    assert!(text.contains("0.1 to 10000") && text.contains("Hz"));
}

#[test]
fn render_reads_every_supported_format_and_writes_aligned_float_wav() {
    let dir = scratch("formats");
    for (bits, float) in [(16, false), (24, false), (32, false), (32, true), (8, false)] {
        for channels in [1u16, 2] {
            let input = dir.join(format!("in-{bits}-{float}-{channels}.wav"));
            let output = dir.join(format!("out-{bits}-{float}-{channels}.wav"));
            write_wav(&input, channels, 44_100, bits, float, 5000);
            let out = run(&["render", input.to_str().unwrap(), output.to_str().unwrap(), "--set", "drive=6"]);
            assert!(out.status.success(), "{bits}-bit: {}", String::from_utf8_lossy(&out.stderr));
            let r = hound::WavReader::open(&output).unwrap();
            let spec = r.spec();
            assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample), (channels, 44_100, 32));
            assert_eq!(spec.sample_format, hound::SampleFormat::Float);
            assert_eq!(r.duration(), 5000, "time-aligned output as long as the input");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("realtime"), "final line with the realtime factor: {stderr}");
        }
    }
}

#[test]
fn tail_and_preset_are_honoured() {
    let dir = scratch("tail");
    let input = dir.join("in.wav");
    write_wav(&input, 2, 48_000, 16, false, 4800);
    let preset = dir.join("p.preset");
    std::fs::write(&preset, "# a preset\nmodel = parker\ncarrier = square\n\ndrive = 3 dB\n").unwrap();
    let output = dir.join("out.wav");
    let out = run(&["render", input.to_str().unwrap(), output.to_str().unwrap(), "--preset", preset.to_str().unwrap(), "--tail", "0.5"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(hound::WavReader::open(&output).unwrap().duration(), 4800 + 24_000);
}

#[test]
fn every_kind_of_bad_input_fails_cleanly_and_writes_nothing() {
    let dir = scratch("bad");
    let good = dir.join("good.wav");
    write_wav(&good, 2, 48_000, 16, false, 2000);
    let three = dir.join("three.wav");
    write_wav(&three, 3, 48_000, 16, false, 2000);
    let garbage = dir.join("garbage.wav");
    std::fs::write(&garbage, b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk").unwrap();
    let truncated = dir.join("truncated.wav");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let empty = dir.join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let bad_preset = dir.join("bad.preset");
    std::fs::write(&bad_preset, "drive = 6\nnonsense\n").unwrap();
    let out = dir.join("out.wav");
    let (g, o) = (good.to_str().unwrap(), out.to_str().unwrap());

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["render", g, o, "--set", "nosuch=1"], "unknown parameter 'nosuch'"),
        (vec!["render", g, o, "--set", "drive=99"], "out of range"),
        (vec!["render", g, o, "--set", "carrier_freq=0"], "out of range"),
        (vec!["render", g, o, "--set", "drive=loud"], "invalid value"),
        (vec!["render", g, o, "--set", "model=transistor"], "invalid value"),
        (vec!["render", g, o, "--set", "drive"], "ID=VALUE"),
        (vec!["render", g, o, "--set", "drive=nan"], "drive"),
        (vec!["render", "/nonexistent/in.wav", o], "cannot read"),
        (vec!["render", garbage.to_str().unwrap(), o], "garbage.wav"),
        (vec!["render", truncated.to_str().unwrap(), o], "truncated.wav"),
        (vec!["render", empty.to_str().unwrap(), o], "empty.wav"),
        (vec!["render", three.to_str().unwrap(), o], "3 channels"),
        (vec!["render", g, g], "is the input"),
        (vec!["render", g, o, "--ir", g], "impulse response"),
        (vec!["render", g, o, "--preset", bad_preset.to_str().unwrap()], "line 2"),
        (vec!["render", g, o, "--preset", "/nonexistent.preset"], "cannot read preset"),
        (vec!["render", g, o, "--block", "0"], "--block"),
        (vec!["render", g, o, "--tail", "-1"], "--tail"),
        (vec!["render", g, o, "--frobnicate"], "unexpected argument '--frobnicate'"),
        (vec!["render", g], "render takes IN OUT"),
        (vec!["render", g, dir.path().to_str().unwrap()], "folder"),
    ];
    for (args, mentions) in cases {
        let result = run(&args);
        assert_clean_failure(&result, mentions);
        assert!(!out.exists(), "{args:?} wrote an output");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().contains("partial")).collect();
        assert!(leftovers.is_empty(), "{args:?} left a temporary file");
    }
    assert_eq!(std::fs::read(&good).unwrap(), bytes, "the input must never be touched");
}

/// Writes a float WAV whose channel `c` is `f(c, frame)`.
fn write_channels(path: &Path, channels: u16, frames: usize, f: impl Fn(u16, usize) -> f32) {
    write_with(path, Format::float(channels, 48_000), frames, |i, c| f(c, i) as f64);
}

#[test]
fn a_stereo_sidechain_on_a_mono_input_feeds_its_left_channel() {
    let dir = scratch("sidechain");
    let input = dir.join("in.wav");
    write_wav(&input, 1, 48_000, 16, false, 4800);
    let carrier = |i: usize| 0.8 * (i as f32 * 0.013).sin();
    let mono_sc = dir.join("mono-sc.wav");
    write_channels(&mono_sc, 1, 4800, |_, i| carrier(i));
    // The right channel is different on purpose: it must not reach the mono carrier.
    let stereo_sc = dir.join("stereo-sc.wav");
    write_channels(&stereo_sc, 2, 4800, |c, i| if c == 0 { carrier(i) } else { 0.3 });
    let three_sc = dir.join("three-sc.wav");
    write_channels(&three_sc, 3, 4800, |_, i| carrier(i));

    let render = |sc: &Path, out: &Path| run(&["render", input.to_str().unwrap(), out.to_str().unwrap(), "--set", "carrier=sidechain", "--sidechain", sc.to_str().unwrap()]);
    let (from_mono, from_stereo) = (dir.join("from-mono.wav"), dir.join("from-stereo.wav"));
    for (sc, out) in [(&mono_sc, &from_mono), (&stereo_sc, &from_stereo)] {
        let result = render(sc, out);
        assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    }
    let samples = |p: &Path| hound::WavReader::open(p).unwrap().into_samples::<f32>().map(Result::unwrap).collect::<Vec<_>>();
    let (a, b) = (samples(&from_mono), samples(&from_stereo));
    assert!(a.iter().map(|s| s * s).sum::<f32>() > 1.0, "the sidechain carrier must modulate the input");
    assert_eq!(a, b, "a stereo sidechain on a mono input must act as its left channel");

    let out = dir.join("from-three.wav");
    assert_clean_failure(&render(&three_sc, &out), "3 channels; use 1 or 2");
    assert!(!out.exists());
}

#[test]
fn a_failed_render_leaves_an_existing_output_untouched() {
    let dir = scratch("existing");
    let input = dir.join("in.wav");
    write_wav(&input, 1, 48_000, 16, false, 1000);
    let output = dir.join("out.wav");
    std::fs::write(&output, b"precious").unwrap();
    let result = run(&["render", input.to_str().unwrap(), output.to_str().unwrap(), "--set", "mix=2"]);
    assert_clean_failure(&result, "mix");
    assert_eq!(std::fs::read(&output).unwrap(), b"precious");
}

#[test]
fn standalone_rejects_a_bad_set_before_opening_any_device() {
    let result = run(&["--backend", "dummy", "--set", "drive=1000"]);
    assert_clean_failure(&result, "out of range");
    assert_eq!(result.status.code(), Some(2));
}

// The standalone's behaviour on the dummy backend (SIGINT/SIGTERM), without its backend or
// device, and on a real JACK server is tested for every app in tests/tests/standalone.rs.

/// `run` with `XDG_DATA_HOME` pointing into `dir`, so user presets are looked for there.
fn run_with_data_home(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).env("XDG_DATA_HOME", dir).output().expect("run ferrite-ring")
}

#[test]
fn presets_are_taken_by_name_factory_or_user_and_listed() {
    let dir = scratch("presets");
    let input = dir.join("in.wav");
    write_wav(&input, 2, 48_000, 16, false, 4800);
    let (i, o) = (input.to_str().unwrap(), dir.join("out.wav"));
    let render = |preset: &str, out: &Path| {
        run_with_data_home(dir.path(), &["render", i, out.to_str().unwrap(), "--preset", preset, "--tail", "0"])
    };
    let read = |path: &Path| -> Vec<f32> { hound::WavReader::open(path).unwrap().samples::<f32>().map(|s| s.unwrap()).collect() };

    // A factory preset by name, in any case, is the same as its settings given with --set.
    let out = render("metallic voice", &o);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let by_set = dir.join("set.wav");
    let sets = ["carrier=sine", "carrier_freq=30", "mix=1", "output=0.2"];
    let mut args = vec!["render", i, by_set.to_str().unwrap()];
    for s in &sets {
        args.extend(["--set", s]);
    }
    assert!(run_with_data_home(dir.path(), &args).status.success());
    assert_eq!(read(&o), read(&by_set), "the factory preset 'Metallic Voice' is not its own settings");

    // A user preset in $XDG_DATA_HOME/ferrite/presets/ring/ is found by name and listed; it is
    // taken before a factory preset of the same name.
    let user_dir = dir.join("ferrite/presets/ring");
    std::fs::create_dir_all(&user_dir).unwrap();
    std::fs::write(user_dir.join("My Tone.preset"), "carrier_freq = 30\n").unwrap();
    std::fs::write(user_dir.join("Metallic Voice.preset"), "carrier_freq = 31\n").unwrap();
    std::fs::write(user_dir.join("notes.txt"), "not a preset\n").unwrap();
    let mine = dir.join("mine.wav");
    assert!(render("My Tone", &mine).status.success());
    let shadowed = dir.join("shadowed.wav");
    assert!(render("Metallic Voice", &shadowed).status.success());
    assert_ne!(read(&shadowed), read(&o), "the user's 'Metallic Voice' was not taken first");
    // Parameters a preset does not name take their defaults: `My Tone` is the default sound at 30 Hz.
    let default_30 = dir.join("default30.wav");
    assert!(run_with_data_home(dir.path(), &["render", i, default_30.to_str().unwrap(), "--set", "carrier_freq=30"])
        .status
        .success());
    assert_eq!(read(&mine), read(&default_30));

    let list = run_with_data_home(dir.path(), &["params", "--presets"]);
    assert!(list.status.success());
    let text = String::from_utf8_lossy(&list.stdout);
    for name in ["Sub-Audio Tremolo", "Metallic Voice", "Bell", "Square-Carrier Fuzz", "Sidechain Cross-Mod", "My Tone"] {
        assert!(text.contains(name), "params --presets does not list '{name}':\n{text}");
    }
    assert!(!text.contains("notes"), "a file that is not a preset is listed:\n{text}");
    assert!(text.contains(user_dir.to_str().unwrap()), "the user preset folder is not named:\n{text}");
    assert!(text.contains("a user preset of this name is taken first"), "{text}");

    // An unknown name fails in one line listing the presets, and writes nothing.
    let missing = dir.join("missing.wav");
    let out = render("No Such Sound", &missing);
    assert_clean_failure(&out, "no preset 'No Such Sound' (presets: Sub-Audio Tremolo,");
    assert!(!missing.exists());
}

#[test]
fn standalone_rejects_an_unknown_preset_before_opening_any_device() {
    let result = run(&["--backend", "dummy", "--preset", "No Such Sound"]);
    assert_clean_failure(&result, "no preset 'No Such Sound'");
    assert_eq!(result.status.code(), Some(2));
}
