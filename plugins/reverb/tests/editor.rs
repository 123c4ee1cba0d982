//! Ferrite Reverb's editor driven headless as a user drives it (egui_kittest): controls found by
//! their accessible labels, every edit checked through what the host receives; the impulse
//! response loader with good, corrupt and unsupported files, drops and clearing; and the drawn
//! decay curve against the numbers the reverb theory tests use.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use ferrite_editor::egui;
use ferrite_editor::testing::{HostCall, RecordingHost};
use ferrite_plugin_common::editor_data::EditorData;
use ferrite_reverb::editor::{one_line, ReverbEditor, DAMPING_REFERENCE_HZ, DEFAULT_SIZE, PLOT_LOW_HZ};
use ferrite_reverb::ir::IrData;
use ferrite_reverb::params::{AlgorithmChoice, ReverbParams};
use ferrite_test_kit::editor::{double_click, drag_up, set, single_gesture, type_into, EditorUnderTest};
use nice_plug::params::persist::PersistentField;
use nice_plug::prelude::*;

type State = EditorUnderTest<ReverbEditor, ReverbParams>;

fn harness(host: &RecordingHost) -> Harness<'static, State> {
    let params = Arc::new(ReverbParams::default());
    let data = Arc::new(EditorData::default());
    let editor = ReverbEditor::new(params.clone(), data.clone());
    ferrite_test_kit::editor::harness(editor, params, data, host, DEFAULT_SIZE)
}

/// A fresh folder under the system's temporary directory.
fn temp_folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrite-reverb-editor-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a decaying-noise IR: `channels` channels of `seconds` at `rate`, 16-bit.
fn write_ir(path: &Path, channels: u16, rate: u32, seconds: f32) {
    let spec = hound::WavSpec { channels, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let n = (seconds * rate as f32) as usize;
    let mut state = 1u32;
    for i in 0..n {
        for _ in 0..channels {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (state >> 8) as f32 / 8_388_608.0 - 1.0;
            let x = noise * (-6.9 * i as f32 / n as f32).exp();
            w.write_sample((x * 20_000.0) as i16).unwrap();
        }
    }
    w.finalize().unwrap();
}

fn ir_path(params: &ReverbParams) -> Option<String> {
    params.impulse_response.map(|ir| ir.as_ref().map(|ir| ir.path.clone()))
}

#[test]
fn every_parameter_has_its_control() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    for name in ["Decay", "Size", "Damping", "Predelay", "Width", "Modulation", "Low Cut", "High Cut", "Mix", "Output"] {
        h.get_by_label(name);
        h.get_by_label(&format!("Type {name}"));
    }
    for choice in ["Freeverb", "Hall", "Plate", "Convolution", "Freeze"] {
        h.get_by_label(choice);
    }
    h.get_by_label_contains("In meter: ");
    h.get_by_label_contains("Out meter: ");
    h.get_by_label("Decay time against frequency");
    // Units are shown with the values.
    for (name, text) in [("Decay", "2.00 s"), ("Predelay", "10.0 ms"), ("High Cut", "16000 Hz"), ("Mix", "30%"), ("Output", "0.0 dB")] {
        assert_eq!(h.get_by_label(name).value().as_deref(), Some(text), "{name}");
    }
    assert!(host.take().is_empty(), "drawing alone must not edit anything");
}

#[test]
fn dragging_the_decay_knob_up_raises_it_inside_one_gesture() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    let before = h.state().params.decay.unmodulated_normalized_value();
    drag_up(&mut h, "Decay", 4.0, 10);
    let sent = single_gesture(&host.take(), "Decay");
    let after = h.state().params.decay.unmodulated_normalized_value();
    assert_eq!(sent, after);
    // 40 points up at 200 points per full range, less egui's drag threshold.
    assert!(after > before + 0.15 && after <= before + 0.2 + 1e-6, "{before} → {after}");
}

#[test]
fn double_click_restores_the_default() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    set(&h.state().params.damping, 0.9);
    h.run();
    double_click(&mut h, "Damping");
    assert_eq!(h.state().params.damping.value(), 0.5);
    assert_eq!(RecordingHost::gestures(&host.take()).unwrap(), vec![("Damping".to_string(), 0.5)]);
}

#[test]
fn typed_values_go_through_the_parameters_own_text_forms() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    type_into(&mut h, "Mix", "50%");
    assert!((h.state().params.mix.value() - 0.5).abs() < 1e-6, "{}", h.state().params.mix.value());
    type_into(&mut h, "Output", "-6 dB");
    assert_eq!(h.state().params.output.value(), -6.0);
    type_into(&mut h, "Predelay", "25 ms");
    assert!((h.state().params.predelay.value() - 25.0).abs() < 1e-3, "{}", h.state().params.predelay.value());
    let calls = host.take();
    let names: Vec<String> = RecordingHost::gestures(&calls).unwrap().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["Mix", "Output", "Predelay"]);
}

#[test]
fn the_algorithm_selector_and_the_freeze_toggle_set_their_parameters() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    h.get_by_label("Plate").click();
    h.run();
    assert_eq!(h.state().params.algorithm.value(), AlgorithmChoice::Plate);
    h.get_by_label("Convolution").click();
    h.run();
    assert_eq!(h.state().params.algorithm.value(), AlgorithmChoice::Convolution);
    h.get_by_label("Freeze").click();
    h.run();
    assert!(h.state().params.freeze.value());
    let calls = host.take();
    assert_eq!(
        RecordingHost::gestures(&calls).unwrap(),
        vec![("Algorithm".to_string(), 1.0), ("Freeze".to_string(), 1.0)],
        "{calls:?}"
    );
    assert_eq!(calls.iter().filter(|c| matches!(c, HostCall::Begin(_))).count(), 3);
}

#[test]
fn with_convolution_and_no_ir_the_editor_says_so() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    set(&h.state().params.algorithm, AlgorithmChoice::Convolution);
    h.run();
    h.get_by_label_contains("No impulse response is loaded: the convolution is silent");
    // With another algorithm it is not an alarm.
    set(&h.state().params.algorithm, AlgorithmChoice::Hall);
    h.run();
    assert!(h.query_by_label_contains("the convolution is silent").is_none());
}

#[test]
fn the_browser_lists_folders_and_audio_files_and_loads_the_one_picked() {
    let dir = temp_folder("browse");
    std::fs::create_dir(dir.join("More IRs")).unwrap();
    std::fs::write(dir.join("notes.txt"), "not audio").unwrap();
    write_ir(&dir.join("Hall A.wav"), 2, 48_000, 1.5);
    write_ir(&dir.join("More IRs").join("room.WAV"), 1, 44_100, 0.5);
    // Listed by name (their contents are not read until one is opened).
    std::fs::write(dir.join("plate.flac"), "").unwrap();
    std::fs::write(dir.join("cave.AIFF"), "").unwrap();
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    h.get_by_label("Load IR…").click();
    h.run();
    h.get_by_label("Open");
    h.get_by_label("Cancel").click();
    h.run();
    assert!(h.query_by_label("Open").is_none(), "Cancel closes the browser");

    h.state_mut().editor.open_browser(dir.clone());
    h.run();
    h.get_by_label("More IRs/");
    h.get_by_label("plate.flac");
    h.get_by_label("cave.AIFF");
    assert!(h.query_by_label("notes.txt").is_none(), "only folders and audio files are listed");
    // Into the folder and back up.
    h.get_by_label("More IRs/").click();
    h.run();
    h.get_by_label("room.WAV");
    h.get_by_label("Parent folder").click();
    h.run();
    h.get_by_label("Hall A.wav").click();
    h.run();
    assert_eq!(h.get_by_label("IR file path").value().as_deref(), Some(dir.join("Hall A.wav").display().to_string().as_str()));
    h.get_by_label("Open").click();
    h.run();
    assert!(h.query_by_label("Open").is_none(), "a successful load closes the browser");
    assert_eq!(ir_path(&h.state().params), Some(dir.join("Hall A.wav").display().to_string()));
    h.get_by_label("Impulse response: Hall A.wav");
    h.get_by_label("Length: 1.50 s");
    h.get_by_label("Channels: 2");
    h.get_by_label("Rate: 48000 Hz");
    h.get_by_label("IR waveform");
    let summary = h.state().editor.ir_summary().unwrap();
    assert!(summary.envelope.iter().any(|&(lo, hi)| lo <= -0.99 || hi >= 0.99), "normalised waveform");
    // The IR is in the state, so it is saved with the project.
    let saved = h.state().params.serialize_fields();
    assert!(saved.get("impulse_response").is_some_and(|s| s.contains("Hall A.wav")));
    assert!(host.take().is_empty(), "loading an IR is state, not a parameter edit");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_typed_path_loads_and_bad_files_show_the_render_error_and_keep_the_ir() {
    let dir = temp_folder("typed");
    let good = dir.join("good.wav");
    write_ir(&good, 1, 44_100, 0.5);
    let corrupt = dir.join("corrupt.wav");
    std::fs::write(&corrupt, b"RIFF\x24\x00\x00\x00WAVEfmt garbage garbage garbage").unwrap();
    let surround = dir.join("surround.wav");
    write_ir(&surround, 3, 48_000, 0.2);
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    let open_typed = |h: &mut Harness<'static, State>, path: &Path| {
        h.state_mut().editor.open_browser(dir.clone());
        h.run();
        h.get_by_label("IR file path").click();
        h.run();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.event(egui::Event::Text(path.display().to_string()));
        h.run();
        h.key_press(egui::Key::Enter);
        h.run();
    };
    open_typed(&mut h, &good);
    assert_eq!(ir_path(&h.state().params), Some(good.display().to_string()));
    h.get_by_label("Impulse response: good.wav");
    h.get_by_label("Length: 0.50 s");
    let generation = h.state().params.impulse_response.generation();

    for bad in [&corrupt, &surround] {
        open_typed(&mut h, bad);
        // The same validation and the same one-line message as `render --ir`.
        let expected = one_line(&IrData::from_file(bad).unwrap_err());
        assert!(!expected.contains('\n'));
        h.get_by_label(&format!("IR error: {expected}"));
        assert_eq!(h.state().editor.ir_error(), Some(expected.as_str()));
        // The browser stays open to pick another file, and the old IR stays.
        h.get_by_label("Open");
        assert_eq!(ir_path(&h.state().params), Some(good.display().to_string()));
        assert_eq!(h.state().params.impulse_response.generation(), generation);
        h.get_by_label("Impulse response: good.wav");
        h.get_by_label("Cancel").click();
        h.run();
    }
    assert!(h.state().editor.ir_error().unwrap().contains("3 channels; mono or stereo is supported"));
    // Clear removes it (and the error).
    h.get_by_label("Clear IR").click();
    h.run();
    assert_eq!(ir_path(&h.state().params), None);
    assert!(h.query_by_label_contains("IR error").is_none());
    assert!(h.query_by_label_contains("Impulse response: ").is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_file_dropped_on_the_window_is_loaded() {
    let dir = temp_folder("drop");
    let good = dir.join("plate.wav");
    write_ir(&good, 2, 96_000, 0.25);
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    h.input_mut().dropped_files.push(Arc::new(Dropped(good.clone())));
    h.run();
    assert_eq!(ir_path(&h.state().params), Some(good.display().to_string()));
    h.get_by_label("Rate: 96000 Hz");
    // A bad drop keeps it.
    h.input_mut().dropped_files.push(Arc::new(Dropped(dir.join("missing.wav"))));
    h.run();
    assert_eq!(ir_path(&h.state().params), Some(good.display().to_string()));
    h.get_by_label_contains("IR error: cannot load impulse response");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The curve's RT60 at `f` (a point of the curve).
fn at(curve: &[(f32, f32)], f: f32) -> f32 {
    curve.iter().find(|p| p.0 == f).unwrap_or_else(|| panic!("{f} Hz is not on the curve")).1
}

/// The curve's RT60 near `f` (the nearest point).
fn near(curve: &[(f32, f32)], f: f32) -> f32 {
    curve.iter().min_by(|a, b| (a.0 / f).ln().abs().total_cmp(&(b.0 / f).ln().abs())).unwrap().1
}

fn curve_after_frame(h: &mut Harness<'static, State>) -> Vec<(f32, f32)> {
    h.run();
    h.state().editor.decay_curve().to_vec()
}

#[test]
fn the_hall_curve_is_the_designed_rt60_at_low_frequencies_and_at_5_khz() {
    // reverb::tests::hall_decays_at_the_designed_rt60_in_the_low_mid_and_5_khz_bands: the hall
    // is designed for RT60 = decay at low frequencies and decay·(1 − 0.9·damping) at 5 kHz.
    let host = RecordingHost::default();
    let mut h = harness(&host);
    for decay in [2.0f32, 8.0] {
        for damping in [0.0f32, 0.5, 1.0] {
            set(&h.state().params.decay, decay);
            set(&h.state().params.damping, damping);
            let curve = curve_after_frame(&mut h);
            let high = at(&curve, DAMPING_REFERENCE_HZ);
            let want_high = decay * (1.0 - 0.9 * damping);
            // f32 coefficients: a relative error of order 1e-6.
            assert!((high / want_high - 1.0).abs() < 1e-4, "decay {decay} damping {damping}: 5 kHz {high} vs {want_high}");
            let low = at(&curve, PLOT_LOW_HZ);
            // The low-pass is still slightly active at 20 Hz with full damping (corner near
            // 400 Hz): exactly `decay` only towards DC, so 20 Hz is within 1 %.
            assert!(low <= decay * (1.0 + 1e-4) && low > decay * 0.99, "decay {decay} damping {damping}: 20 Hz {low}");
            // Damping never lengthens the highs.
            assert!(curve.windows(2).all(|w| w[1].1 <= w[0].1 * (1.0 + 1e-5)), "not falling: {curve:?}");
        }
    }
    // With a short decay and full damping the hall floors the extra high-frequency loss per
    // pass at −34 dB (its longer lines would otherwise need more): the curve shows what the
    // model does, a 5 kHz time longer than the design's.
    set(&h.state().params.decay, 0.5);
    set(&h.state().params.damping, 1.0);
    let curve = curve_after_frame(&mut h);
    assert!(at(&curve, DAMPING_REFERENCE_HZ) > 0.05 * 1.2, "{curve:?}");
}

#[test]
fn the_plate_curve_is_flat_at_the_decay_without_damping_and_falls_with_it() {
    // reverb::tests::hall_and_plate_measured_t30_is_the_set_decay_within_10_percent (damping 0:
    // T30 = decay) and damping_makes_high_frequencies_decay_faster_than_lows (damping 1: the
    // 4–8 kHz band at least twice as fast as 200–800 Hz).
    let host = RecordingHost::default();
    let mut h = harness(&host);
    set(&h.state().params.algorithm, AlgorithmChoice::Plate);
    set(&h.state().params.damping, 0.0);
    for decay in [0.5f32, 2.0, 8.0] {
        set(&h.state().params.decay, decay);
        let curve = curve_after_frame(&mut h);
        assert!(curve.iter().all(|p| (p.1 / decay - 1.0).abs() < 1e-4), "decay {decay}: {curve:?}");
    }
    set(&h.state().params.decay, 2.0);
    set(&h.state().params.damping, 1.0);
    let curve = curve_after_frame(&mut h);
    let (low, high) = (near(&curve, 400.0), near(&curve, 5_657.0));
    assert!(60.0 / high > 2.0 * 60.0 / low, "plate damping 1: {low} s at 400 Hz, {high} s at 5.7 kHz");
}

#[test]
fn the_freeverb_curve_follows_size_and_damping_as_its_combs_do() {
    // Freeverb has no RT60 parameter: room 0.75 gives about 2.4 s (measured T30, the theory
    // tests' `freeverb_settings`), between the RT60s of its shortest and longest comb
    // (−3·D/(fs·log10 g), the formula of the engine's tail); damping 0 leaves the highs within
    // 1.25× of the lows' rate, damping 1 makes them at least twice as fast.
    let host = RecordingHost::default();
    let mut h = harness(&host);
    set(&h.state().params.algorithm, AlgorithmChoice::Freeverb);
    set(&h.state().params.size, 0.75);
    set(&h.state().params.damping, 0.0);
    let curve = curve_after_frame(&mut h);
    let g = 0.28f32 * 0.75 + 0.7;
    let rt = |d: f32| -3.0 * (d / 44_100.0) / g.log10();
    let low = near(&curve, 400.0);
    assert!(low > rt(1116.0) && low < rt(1617.0 + 23.0), "{low} s");
    assert!((low - 2.4).abs() < 0.24, "{low} s vs the measured ≈ 2.4 s");
    assert!(60.0 / near(&curve, 5_657.0) < 1.25 * 60.0 / low);
    // Decay does nothing to Freeverb.
    set(&h.state().params.decay, 10.0);
    assert_eq!(curve_after_frame(&mut h), curve);
    set(&h.state().params.damping, 1.0);
    let curve = curve_after_frame(&mut h);
    assert!(60.0 / near(&curve, 5_657.0) > 2.0 * 60.0 / near(&curve, 400.0));
}

#[test]
fn freeze_draws_an_infinite_decay_and_convolution_none() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    set(&h.state().params.freeze, true);
    let curve = curve_after_frame(&mut h);
    assert!(!curve.is_empty() && curve.iter().all(|p| p.1 == f32::INFINITY), "{curve:?}");
    set(&h.state().params.freeze, false);
    set(&h.state().params.algorithm, AlgorithmChoice::Convolution);
    assert!(curve_after_frame(&mut h).is_empty());
}

#[test]
fn turning_the_damping_knob_redraws_the_curve() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    let before = curve_after_frame(&mut h);
    drag_up(&mut h, "Damping", 6.0, 10);
    let after = curve_after_frame(&mut h);
    let damping = h.state().params.damping.value();
    assert!(damping > 0.7, "{damping}");
    let want = 2.0 * (1.0 - 0.9 * damping);
    assert!((at(&after, DAMPING_REFERENCE_HZ) / want - 1.0).abs() < 1e-4);
    assert!(at(&after, DAMPING_REFERENCE_HZ) < at(&before, DAMPING_REFERENCE_HZ));
    RecordingHost::gestures(&host.take()).unwrap();
}
