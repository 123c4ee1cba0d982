//! Ferrite VCF's real editor driven headless (egui_kittest) as a user drives it, checked
//! through what the host receives (every edit inside a begin/end gesture), and its response
//! curve, as held after a frame, against the numbers of the model's theory (docs/models.md,
//! "VCS3 filter"; `dsp/src/vcf.rs`, "Linearisation").

use std::f64::consts::PI;
use std::sync::Arc;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use ferrite_editor::testing::RecordingHost;
use ferrite_plugin_common::editor_data::{EditorData, METER_CHANNELS};
use ferrite_test_kit::editor::{double_click, drag_up, label_of, set, single_gesture, type_into, EditorUnderTest};
use ferrite_vcf::editor::{ResponseCurve, VcfEditor, HALF_POWER_DB};
use ferrite_vcf::engine::{READOUT_MAX_ITERATIONS, READOUT_MEAN_ITERATIONS};
use ferrite_vcf::params::{OversamplingChoice, VcfParams};
use nice_plug::prelude::*;

type State = EditorUnderTest<VcfEditor, VcfParams>;

fn harness(host: &RecordingHost) -> Harness<'static, State> {
    let params = Arc::new(VcfParams::default());
    let data = Arc::new(EditorData::default());
    let editor = VcfEditor::new(params.clone(), data.clone());
    ferrite_test_kit::editor::harness(editor, params, data, host, ferrite_vcf::params::EDITOR_SIZE)
}

fn curve(h: &Harness<'static, State>) -> ResponseCurve {
    h.state().editor.curve().expect("a curve after a frame").clone()
}

#[test]
fn dragging_the_cutoff_knob_up_raises_it_through_the_host_in_one_gesture() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    let before = h.state().params.cutoff.value();
    drag_up(&mut h, "Cutoff", 5.0, 8);
    let sent = single_gesture(&host.take(), "Cutoff");
    let params = &h.state().params;
    let n = params.cutoff.unmodulated_normalized_value();
    assert!((sent - n).abs() < 1e-6, "{sent} vs {n}");
    let after = params.cutoff.value();
    assert!(after > 1.5 * before, "cutoff {before} → {after}");
    // The curve follows the new cutoff.
    h.run();
    let c = curve(&h);
    assert_eq!(c.key.cutoff_hz, after);
    assert_eq!(c.model_cutoff_hz, after);
}

#[test]
fn double_click_restores_the_default_cutoff() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    set(&h.state().params.cutoff, 5_000.0);
    h.run();
    assert!((h.state().params.cutoff.value() - 5_000.0).abs() < 0.01);
    double_click(&mut h, "Cutoff");
    let params = h.state().params.clone();
    assert_eq!(params.cutoff.value(), 1_000.0);
    let calls = host.take();
    assert_eq!(RecordingHost::gestures(&calls).unwrap(), vec![("Cutoff".to_string(), params.cutoff.default_normalized_value())]);
}

#[test]
fn typed_entry_takes_khz_on_the_cutoff_and_db_on_the_gains() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    type_into(&mut h, "Cutoff", "2 kHz");
    let cutoff = h.state().params.cutoff.value();
    assert!((cutoff - 2_000.0).abs() < 0.5, "{cutoff}");
    type_into(&mut h, "Output", "-6 dB");
    assert_eq!(h.state().params.output.value(), -6.0);
    type_into(&mut h, "Mix", "50%");
    assert!((h.state().params.mix.value() - 0.5).abs() < 1e-6);
    let calls = host.take();
    let last = RecordingHost::gestures(&calls).unwrap();
    assert_eq!(last.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["Cutoff", "Output", "Mix"], "{calls:?}");
    // The value now reads back in the parameter's own form.
    h.get_by_label("Type Cutoff");
    assert_eq!(curve(&h).key.cutoff_hz, cutoff);
}

#[test]
fn the_oversampling_selector_sets_the_factor_and_the_curve_uses_its_model_rate() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    assert_eq!(curve(&h).model_rate, 2.0 * 48_000.0, "the default is 2x");
    h.get_by_label("8x").click();
    h.run();
    assert_eq!(h.state().params.oversampling.value(), OversamplingChoice::X8);
    let calls = host.take();
    assert_eq!(RecordingHost::gestures(&calls).unwrap(), vec![("Oversampling".to_string(), 1.0)]);
    h.run();
    assert_eq!(curve(&h).model_rate, 8.0 * 48_000.0);
    h.get_by_label("1x").click();
    h.run();
    assert_eq!(h.state().params.oversampling.value(), OversamplingChoice::X1);
    h.run();
    assert_eq!(curve(&h).model_rate, 48_000.0);
}

/// The prewarped normalised frequency `w = tan(πf/fs)/tan(πf0/fs)` of `f` on `curve`: the
/// variable the linearised transfer function and its quoted numbers are in.
fn w_of(curve: &ResponseCurve, f: f64) -> f64 {
    let fs = curve.model_rate as f64;
    (PI * f / fs).tan() / (PI * curve.model_cutoff_hz as f64 / fs).tan()
}

/// The curve's value at `f`, interpolated linearly in log frequency between its points.
fn value_at(points: &[(f32, f32)], f: f32) -> f32 {
    let i = points.partition_point(|p| p.0 < f).clamp(1, points.len() - 1);
    let ((f1, v1), (f2, v2)) = (points[i - 1], points[i]);
    let t = (f / f1).ln() / (f2 / f1).ln();
    v1 + t * (v2 - v1)
}

/// Where the curve first falls below `level`, interpolated linearly in log frequency.
fn first_below(points: &[(f32, f32)], level: f32) -> f32 {
    let i = points.iter().position(|p| p.1 < level).expect("the curve falls below the level");
    assert!(i > 0);
    let ((f1, v1), (f2, v2)) = (points[i - 1], points[i]);
    f1 * (f2 / f1).powf((level - v1) / (v2 - v1))
}

#[test]
fn at_k0_the_drawn_curve_has_its_minus_3_db_point_at_0_334_f0_and_minus_17_5_db_at_f0() {
    // docs/models.md and the module doc of dsp/src/vcf.rs: "at K = 0 the −3 dB point is
    // 0.334·f0 and the gain at f0 is −17.5 dB", DC at 0 dB (the output normalisation).
    let host = RecordingHost::default();
    let mut h = harness(&host);
    for (rate, os, f0) in [(48_000.0, OversamplingChoice::X1, 1_000.0), (44_100.0, OversamplingChoice::X2, 6_000.0), (96_000.0, OversamplingChoice::X8, 300.0)] {
        h.state().data.set_rate_and_latency(rate, 0);
        let p = h.state().params.clone();
        set(&p.cutoff, f0);
        set(&p.resonance, 0.0);
        set(&p.oversampling, os);
        h.run();
        let c = curve(&h);
        assert_eq!((c.key.host_rate, c.resonance), (rate, 0.0));
        assert!((c.model_cutoff_hz / f0 - 1.0).abs() < 1e-5, "{} vs {f0}", c.model_cutoff_hz);
        assert!(c.dc_db.abs() < 1e-6, "DC {} dB", c.dc_db);
        assert_eq!(c.peak, None, "K = 0 falls from DC");
        let f3 = first_below(&c.points, -HALF_POWER_DB as f32);
        let w3 = w_of(&c, f3 as f64);
        assert!((w3 - 0.334).abs() < 5e-4, "{rate} Hz {os:?} f0 {f0}: −3 dB at w = {w3:.5}");
        let at_f0 = value_at(&c.points, f0);
        assert!((at_f0 + 17.5).abs() < 0.05, "{rate} Hz {os:?} f0 {f0}: {at_f0:.3} dB at f0");
        // The readouts say the same.
        let readout = label_of(&h, "−3 dB: ");
        let f3_readout = c.minus_3db_hz.unwrap();
        assert!((f3_readout / f3 - 1.0).abs() < 1e-3, "{f3_readout} vs {f3}");
        assert!(readout.contains(&ferrite_vcf::editor::hz_text(f3_readout)), "{readout}");
    }
}

/// The resonance peak of the linearised loop from the loop polynomial's coefficients as the
/// module doc states them, `D(p) = p⁴ + 19/3·p³ + 35/3·p² + 6·p + 1/3 + β`: with `u = w²`,
/// `|D(jw)|² = R² + u·I²`, `R = 1/3 + β − 35/3·u + u²`, `I = 6 − 19/3·u`; the peak is the
/// minimum of that, a root of its derivative `2R·R' + I² + 2u·I·I'` (found by bisection).
/// Returns `(w, gain in dB over the K = 0 DC gain)`.
fn analytic_peak(k: f64) -> (f64, f64) {
    let eta = 1.836;
    let beta = eta * (k + 0.5);
    let (c0, c1, c2, c3) = (1.0 / 3.0, 6.0, 35.0 / 3.0, 19.0 / 3.0);
    let r = |u: f64| c0 + beta - c2 * u + u * u;
    let i = |u: f64| c1 - c3 * u;
    let slope = |u: f64| 2.0 * r(u) * (2.0 * u - c2) + i(u) * i(u) - 2.0 * u * i(u) * c3;
    // |D|² falls from u = 0 while there is a peak, and rises again past it.
    let (mut lo, mut hi) = (1e-6, 1.2);
    assert!(slope(lo) < 0.0 && slope(hi) > 0.0, "K {k}: no resonance peak in (0, 1.2)");
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if slope(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let u = 0.5 * (lo + hi);
    let magnitude = (r(u) * r(u) + u * i(u) * i(u)).sqrt();
    let dc_k0 = (eta / 2.0) / (c0 + eta / 2.0);
    (u.sqrt(), 20.0 * (beta / magnitude / dc_k0).log10())
}

#[test]
fn the_drawn_peak_is_the_linearised_loops_peak_and_nears_0_9733_f0_at_the_threshold() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    for (k, f0, os) in [(1.0, 2_000.0, OversamplingChoice::X1), (3.0, 1_000.0, OversamplingChoice::X2), (4.84, 5_000.0, OversamplingChoice::X4)] {
        let p = h.state().params.clone();
        set(&p.cutoff, f0 as f32);
        set(&p.resonance, k as f32);
        set(&p.oversampling, os);
        h.run();
        let c = curve(&h);
        // The parameter snaps to its 0.01 step: use K as the curve has it.
        assert!((c.resonance as f64 - k).abs() < 1e-5, "{} vs {k}", c.resonance);
        assert!((c.model_cutoff_hz as f64 / f0 - 1.0).abs() < 1e-5);
        assert!(!c.oscillating);
        // The drawn peak: the curve's highest point.
        let &(f_peak, db_peak) = c.points.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
        assert_eq!(c.peak, Some((f_peak, db_peak)), "the marked peak is the curve's maximum");
        let (w_expected, db_expected) = analytic_peak(c.resonance as f64);
        let w = w_of(&c, f_peak as f64);
        assert!((w / w_expected - 1.0).abs() < 1e-4, "K {k}: peak at w = {w:.6}, expected {w_expected:.6}");
        assert!((db_peak as f64 - db_expected).abs() < 0.01, "K {k}: peak {db_peak:.3} dB, expected {db_expected:.3} dB");
        assert_eq!(label_of(&h, "Self-oscillation: "), format!("Self-oscillation: no: K {k:.2} < 4.85"));
        if k == 4.84 {
            // Just below the threshold K_c ≈ 4.85 the peak sits at the oscillation frequency
            // w ≈ 0.9733 (the theory test's numbers), and it is very high.
            assert!((w - 0.9733).abs() < 1e-3, "w {w}");
            assert!(db_peak > 40.0, "{db_peak} dB");
            let f_osc = c.oscillation_hz as f64;
            assert!((w_of(&c, f_osc) - 0.9733).abs() < 1e-4, "the osc marker at w = {}", w_of(&c, f_osc));
        }
    }
}

#[test]
fn at_k_4_85_and_above_the_editor_shows_self_oscillation() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    assert!(!curve(&h).oscillating);
    assert!(label_of(&h, "Self-oscillation: ").starts_with("Self-oscillation: no"));
    // Through the knob's typed entry, as a user would.
    type_into(&mut h, "Resonance", "4.85");
    assert!((h.state().params.resonance.value() - 4.85).abs() < 1e-5);
    h.run();
    let c = curve(&h);
    assert!(c.oscillating && (c.threshold_k - 4.85).abs() < 1e-3, "{c:?}");
    let text = label_of(&h, "Self-oscillation: ");
    assert!(text.starts_with("Self-oscillation: yes: K 4.85 ≥ 4.85, near "), "{text}");
    type_into(&mut h, "Resonance", "4.84");
    assert!(!curve(&h).oscillating);
    RecordingHost::gestures(&host.take()).unwrap();
}

#[test]
fn meters_and_the_solver_load_show_what_the_audio_thread_published() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    assert_eq!(label_of(&h, "Solver load: "), "Solver load: no audio yet");
    let data = h.state().data.clone();
    data.set_readout(READOUT_MEAN_ITERATIONS, 1.25);
    data.set_readout(READOUT_MAX_ITERATIONS, 4.0);
    let mut input = [vec![0.25f32; 256], vec![-0.125f32; 256]];
    let mut output = [vec![0.5f32; 256], vec![0.0f32; 256]];
    let [a, b] = &mut input;
    data.publish_input(&[&mut a[..], &mut b[..]], 256);
    let [a, b] = &mut output;
    data.publish(&[&mut a[..], &mut b[..]], 256);
    h.step();
    assert_eq!(label_of(&h, "Solver load: "), "Solver load: 1.25 iterations/sample (max 4)");
    assert_eq!(label_of(&h, "Input meter: "), "Input meter: -12.0 dB peak");
    assert_eq!(label_of(&h, "Output meter: "), "Output meter: -6.0 dB peak");
    assert_eq!(METER_CHANNELS, 2);
}

#[test]
fn the_editor_size_is_kept_in_the_plugin_state() {
    let params = VcfParams::default();
    params.editor_size.set_size((900, 600));
    let fields = params.serialize_fields();
    let saved = fields.get("editor-size").expect("persisted as editor-size");
    let other = VcfParams::default();
    assert_eq!(other.editor_size.get(), ferrite_vcf::params::EDITOR_SIZE);
    other.deserialize_fields(&[("editor-size".to_string(), saved.clone())].into_iter().collect());
    assert_eq!(other.editor_size.get(), (900, 600));
}


#[test]
fn the_note_knobs_take_percent_note_names_and_semitones() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    type_into(&mut h, "Key Track", "100%");
    assert!((h.state().params.key_track.value() - 1.0).abs() < 1e-6);
    type_into(&mut h, "Key Ref", "A4");
    assert_eq!(h.state().params.key_ref.value(), 69);
    type_into(&mut h, "Bend Range", "12 st");
    assert_eq!(h.state().params.bend_range.value(), 12);
    let calls = host.take();
    let sent = RecordingHost::gestures(&calls).unwrap();
    assert_eq!(sent.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["Key Track", "Key Ref", "Bend Range"], "{calls:?}");
}
