//! Ferrite Phaser's real editor driven headless (egui_kittest) as a user drives it, checked
//! through what the host receives, and its drawn response checked against the model's theory.

use std::sync::Arc;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use ferrite_dsp::model::ProcessSpec;
use ferrite_dsp::phaser::theory::{centres, theory_notches};
use ferrite_editor::testing::RecordingHost;
use ferrite_phaser::editor::{PhaserEditor, SYNC_TOGGLE};
use ferrite_phaser::engine::{readout, PhaserEngine};
use ferrite_phaser::params::{PhaserParams, ShapeChoice, SyncChoice};
use ferrite_plugin_common::editor_data::EditorData;
use ferrite_plugin_common::effect::{Engine, NoteState, ProcessIo, TransportInfo};
use ferrite_test_kit::editor::{double_click, drag_up, set, single_gesture, type_into, EditorUnderTest};
use nice_plug::prelude::*;

type State = EditorUnderTest<PhaserEditor, PhaserParams>;

fn harness(host: &RecordingHost) -> Harness<'static, State> {
    let params = Arc::new(PhaserParams::default());
    let data = Arc::new(EditorData::default());
    let editor = PhaserEditor::new(params.clone(), data.clone());
    ferrite_test_kit::editor::harness(editor, params, data, host, (1400, 900))
}

#[test]
fn dragging_the_freq_knob_up_raises_it_inside_one_gesture() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    let before = h.state().params.freq.unmodulated_normalized_value();
    drag_up(&mut h, "Freq", 5.0, 8);
    let sent = single_gesture(&host.take(), "Freq");
    let after = h.state().params.freq.unmodulated_normalized_value();
    assert!((sent - after).abs() < 1e-6, "{sent} vs {after}");
    // 40 points up at 200 points per full range, less egui's drag threshold.
    assert!(after - before > 0.15 && after - before <= 0.2, "{before} → {after}");
}

#[test]
fn double_click_restores_the_default_mix() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    set(&h.state().params.mix, 0.9);
    h.run();
    double_click(&mut h, "Mix");
    assert_eq!(h.state().params.mix.value(), 0.5);
    assert_eq!(RecordingHost::gestures(&host.take()).unwrap(), vec![("Mix".to_string(), 0.5)]);
}

#[test]
fn typing_50_percent_sets_the_mix() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    set(&h.state().params.mix, 1.0);
    h.run();
    type_into(&mut h, "Mix", "50%");
    assert!((h.state().params.mix.value() - 0.5).abs() < 1e-6, "{}", h.state().params.mix.value());
    assert_eq!(RecordingHost::gestures(&host.take()).unwrap(), vec![("Mix".to_string(), 0.5)]);
}

#[test]
fn the_shape_selector_and_the_sync_switch_set_their_enums() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    h.get_by_label("Triangle").click();
    h.run();
    assert_eq!(h.state().params.lfo_shape.value(), ShapeChoice::Triangle);
    h.get_by_label("Saw").click();
    h.run();
    assert_eq!(h.state().params.lfo_shape.value(), ShapeChoice::Saw);
    let calls = host.take();
    assert_eq!(RecordingHost::gestures(&calls).unwrap(), vec![("LFO Shape".to_string(), 1.0)], "{calls:?}");

    // Sync on: a quarter note; the tempo the engine follows and the period are shown.
    h.get_by_label(SYNC_TOGGLE).click();
    h.run();
    assert_eq!(h.state().params.lfo_sync.value(), SyncChoice::Quarter);
    let calls = host.take();
    let quarter = h.state().params.lfo_sync.preview_normalized(SyncChoice::Quarter);
    assert_eq!(RecordingHost::gestures(&calls).unwrap(), vec![("LFO Sync".to_string(), quarter)]);
    h.state().data.set_readout(readout::TEMPO, 128.0);
    h.state().data.set_readout(readout::TEMPO_FROM_HOST, 1.0);
    h.run();
    h.get_by_label("Tempo: 128.0 BPM");
    // One beat at 128 BPM: 0.469 s, 2.133 Hz.
    h.get_by_label("LFO: 1/4 = 0.469 s, 2.133 Hz");
    // Sync off again: free.
    h.get_by_label(SYNC_TOGGLE).click();
    h.run();
    assert_eq!(h.state().params.lfo_sync.value(), SyncChoice::Free);
    h.get_by_label("Tempo: free (not synced)");
}

/// The drawn output curve's notches: local minima of |out|² (from the dB the editor holds)
/// refined by a parabola through the three points around each, in log frequency (|out|² is
/// quadratic in the phase near a notch), as the model's theory test measures rendered notches.
fn drawn_notches(freqs: &[f64], db: &[f32]) -> Vec<f64> {
    let p2: Vec<f64> = db.iter().map(|&d| 10f64.powf(d as f64 / 10.0)).collect();
    let mut out = Vec::new();
    for k in 1..p2.len() - 1 {
        let (a, b, c) = (p2[k - 1], p2[k], p2[k + 1]);
        if b < 0.05 && b <= a && b < c {
            let den = a - 2.0 * b + c;
            let d = if den > 0.0 { (0.5 * (a - c) / den).clamp(-1.0, 1.0) } else { 0.0 };
            let step = (freqs[k + 1] / freqs[k]).ln();
            out.push(freqs[k] * (d * step).exp());
        }
    }
    out
}

/// Every theoretical notch in the band has a drawn one within 1 % and within a quarter of the
/// distance to its neighbours (the theory test's criterion), and every drawn one is one of them.
fn check_against_theory(drawn: &[f64], theory: &[f64], tag: &str) -> usize {
    let in_band = |f: f64| (30.0..=19_000.0).contains(&f);
    let nearest = |list: &[f64], f: f64| list.iter().copied().min_by(|a, b| (a - f).abs().total_cmp(&(b - f).abs()));
    let mut checked = 0;
    for (i, &f) in theory.iter().enumerate() {
        if !in_band(f) {
            continue;
        }
        let spacing = [i.checked_sub(1).map(|j| theory[j]), theory.get(i + 1).copied()]
            .into_iter()
            .flatten()
            .map(|g| (g - f).abs())
            .fold(f64::INFINITY, f64::min);
        let tol = (0.01 * f).min(0.25 * spacing);
        let g = nearest(drawn, f).unwrap_or(f64::NAN);
        assert!((g - f).abs() <= tol, "{tag}: notch {i} theory {f:.3} Hz drawn {g:.3} Hz (tol {tol:.3})");
        checked += 1;
    }
    for &g in drawn.iter().filter(|&&g| in_band(g)) {
        let f = nearest(theory, g).unwrap_or(f64::NAN);
        assert!((g - f).abs() <= 0.01 * f, "{tag}: drawn notch at {g:.3} Hz is no theoretical one (nearest {f:.3})");
    }
    checked
}

#[test]
fn the_drawn_notches_are_the_models_and_move_with_the_lfo() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    let sr = 44_100.0;
    h.state().data.set_rate_and_latency(sr as f32, 0);
    {
        let p = &h.state().params;
        set(&p.stages, 12);
        set(&p.freq, 400.0);
        set(&p.spread, 1.5);
        set(&p.q, 10.0);
        set(&p.lfo_depth, 1.5);
    }
    // The LFO at 0, then at +0.5 (the first stage at 400·2^0.75 Hz), then at −1 (400/2^1.5).
    let mut previous: Vec<f64> = Vec::new();
    for lfo in [0.0f64, 0.5, -1.0] {
        h.state().data.set_readout(readout::LFO_LEFT, lfo as f32);
        h.run();
        let curves = &h.state().editor.curves;
        // The parameters as the editor read them (f32 through the parameters' mappings).
        let s = curves.settings.unwrap();
        let centre = 400.0 * (1.5 * lfo).exp2();
        assert!((s.centre_hz / centre - 1.0).abs() < 1e-5, "lfo {lfo}: centre {} vs {centre}", s.centre_hz);
        assert_eq!((s.stages, s.sample_rate), (12, sr));
        assert!((s.spread - 1.5).abs() < 1e-5 && (s.q - 10.0).abs() < 1e-4, "{s:?}");
        let theory = theory_notches(&centres(12, s.centre_hz, s.spread, sr), s.q, sr);
        let drawn = drawn_notches(&curves.freqs, &curves.output_db);
        let checked = check_against_theory(&drawn, &theory, &format!("lfo {lfo}"));
        assert!(checked >= 9, "lfo {lfo}: only {checked} notches in the band");
        // The marked notches are the theory's to the last digits.
        let in_plot: Vec<f64> = theory.iter().copied().filter(|f| (20.0..=20_000.0).contains(f)).collect();
        assert_eq!(curves.notches.len(), in_plot.len());
        for (a, b) in curves.notches.iter().zip(&in_plot) {
            assert!((a / b - 1.0).abs() < 1e-9, "lfo {lfo}: marked {a} vs theory {b}");
        }
        // And they moved: the lowest notch follows the first stage's centre.
        if let (Some(&now), Some(&before)) = (drawn.first(), previous.first()) {
            assert!((now / before - 1.0).abs() > 0.2, "lfo {lfo}: notch at {now} did not move from {before}");
        }
        previous = drawn;
    }
}

#[test]
fn the_engine_publishes_the_lfo_and_tempo_only_while_the_editor_is_open() {
    let params = PhaserParams::default();
    set(&params.lfo_rate, 1.0);
    set(&params.lfo_depth, 2.0);
    set(&params.stereo_phase, 90.0);
    let sr = 48_000.0f32;
    let spec = ProcessSpec::new(sr, 512, 2);
    let mut engine = PhaserEngine::new(&params, &spec);
    let data = EditorData::default();
    let (mut l, mut r) = (vec![0.0f32; 480], vec![0.0f32; 480]);
    let mut run = |engine: &mut PhaserEngine, editor: Option<&EditorData>, tempo: Option<f64>| {
        let mut main: [&mut [f32]; 2] = [&mut l, &mut r];
        let mut background = |_: ()| {};
        let mut io = ProcessIo {
            main: &mut main,
            sidechain: None,
            transport: TransportInfo { tempo, playing_pos_beats: None },
            background: &mut background,
            editor,
            notes: &NoteState::default(),
        };
        engine.process(&params, &mut io);
    };
    // Closed: nothing written.
    for slot in 0..4 {
        data.set_readout(slot, 42.0);
    }
    for _ in 0..10 {
        run(&mut engine, None, Some(128.0));
    }
    assert!((0..4).all(|s| data.readout(s) == 42.0));
    // Open: 4800 samples in, the LFO (1 Hz sine) stands at the control point 32 samples on.
    run(&mut engine, Some(&data), Some(128.0));
    let phase = (4800.0 + 480.0 + 32.0) / sr as f64;
    let (el, er) = ((std::f64::consts::TAU * phase).sin(), (std::f64::consts::TAU * (phase + 0.25)).sin());
    assert!((data.readout(readout::LFO_LEFT) as f64 - el).abs() < 1e-5, "{} vs {el}", data.readout(readout::LFO_LEFT));
    assert!((data.readout(readout::LFO_RIGHT) as f64 - er).abs() < 1e-5, "{} vs {er}", data.readout(readout::LFO_RIGHT));
    // Free rate: no tempo. Synced: the host's, or 120 BPM assumed.
    assert_eq!(data.readout(readout::TEMPO), 0.0);
    set(&params.lfo_sync, SyncChoice::Eighth);
    run(&mut engine, Some(&data), Some(128.0));
    assert_eq!((data.readout(readout::TEMPO), data.readout(readout::TEMPO_FROM_HOST)), (128.0, 1.0));
    run(&mut engine, Some(&data), None);
    assert_eq!((data.readout(readout::TEMPO), data.readout(readout::TEMPO_FROM_HOST)), (120.0, 0.0));
}
