//! Ferrite Ring's editor, headless (egui_kittest): its controls reach the host as gestures,
//! and the products it marks are where the model's output really has its energy.

use std::sync::Arc;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use ferrite_editor::testing::RecordingHost;
use ferrite_editor::EditorApp;
use ferrite_plugin_common::editor_data::EditorData;
use ferrite_plugin_common::host::OfflineHost;
use ferrite_ring::editor::RingEditor;
use ferrite_ring::params::{CarrierChoice, ModelChoice, OversamplingChoice, RingParams};
use ferrite_ring::FerriteRing;
use ferrite_test_kit::editor::{double_click, drag_up, single_gesture, type_into, EditorUnderTest};
use nice_plug::prelude::*;

const SR: f32 = 48_000.0;

type State = EditorUnderTest<RingEditor, RingParams>;

fn harness(params: Arc<RingParams>, data: Arc<EditorData>, host: &RecordingHost) -> Harness<'static, State> {
    let editor = RingEditor::new(params.clone(), data.clone());
    ferrite_test_kit::editor::harness(editor, params, data, host, (760, 480))
}

/// A Ring plugin, activated, with its editor data open.
fn plugin() -> OfflineHost<FerriteRing> {
    let mut host = OfflineHost::<FerriteRing>::new();
    host.activate(FerriteRing::AUDIO_IO_LAYOUTS[0], SR, 512).unwrap();
    host.plugin().editor_data().set_windows(<RingEditor as EditorApp>::WINDOWS);
    host.plugin().editor_data().set_open(true);
    host
}

fn params(host: &mut OfflineHost<FerriteRing>) -> Arc<RingParams> {
    host.plugin().params_arc().clone()
}

#[test]
fn the_controls_reach_the_host_as_gestures() {
    let mut plugin = plugin();
    let params = params(&mut plugin);
    let data = plugin.plugin().editor_data().clone();
    let host = RecordingHost::default();
    let mut h = harness(params.clone(), data, &host);
    h.run_steps(2);

    // Drag the carrier knob up: one gesture, a higher frequency.
    drag_up(&mut h, "Carrier Freq", 5.0, 8);
    assert!(params.carrier_freq.value() > 440.0, "{}", params.carrier_freq.value());
    let sent = single_gesture(&host.take(), "Carrier Freq");
    let v = params.carrier_freq.unmodulated_normalized_value();
    assert!((sent - v).abs() < 1e-6, "{sent} vs {v}");

    // Typed in the form a user reads it.
    type_into(&mut h, "Carrier Freq", "2 kHz");
    assert!((params.carrier_freq.value() - 2000.0).abs() < 0.01, "{}", params.carrier_freq.value());

    // Double-click restores the default (half a second later, so it is not read as the
    // third click of a sequence).
    h.run_steps(30);
    double_click(&mut h, "Carrier Freq");
    assert!((params.carrier_freq.value() - 440.0).abs() < 1e-3, "{}", params.carrier_freq.value());

    // Selectors.
    h.get_by_label("Parker").click();
    h.step();
    h.get_by_label("4x").click();
    h.step();
    h.get_by_label("Sidechain").click();
    h.step();
    h.step();
    assert_eq!(params.model.value(), ModelChoice::Parker);
    assert_eq!(params.oversampling.value(), OversamplingChoice::from_log2(2));
    assert_eq!(params.carrier.value(), CarrierChoice::Sidechain);
    RecordingHost::gestures(&host.take()).unwrap();
    // With the sidechain as carrier, nothing is predicted and the editor says why.
    h.get_by_label("Carrier from the sidechain: products not marked");
}

/// Local maxima of `db` above `floor`, strongest first, as (bin, level).
fn peaks(db: &[f32], floor: f32) -> Vec<(usize, f32)> {
    let mut p: Vec<(usize, f32)> =
        (2..db.len() - 2).filter(|&k| db[k] > floor && db[k] >= db[k - 1] && db[k] > db[k + 1]).map(|k| (k, db[k])).collect();
    p.sort_by(|a, b| b.1.total_cmp(&a.1));
    p
}

#[test]
fn the_marked_products_are_where_the_output_has_its_energy() {
    // The theory tests' case: input 317 Hz into a 1931 Hz carrier (mutually prime, so every
    // product is distinct). The model's output holds only |m·fc ± n·fm| with m, n odd.
    for model in ["circuit", "parker"] {
        let mut plugin = plugin();
        let params = params(&mut plugin);
        let index = |id: &str| plugin.param_ptrs().iter().position(|(i, _)| i == id).unwrap();
        let (freq, model_index) = (index("carrier_freq"), index("model"));
        plugin.set_normalized(freq, params.carrier_freq.preview_normalized(1931.0));
        plugin.set_normalized(model_index, if model == "parker" { 1.0 } else { 0.0 });
        let data = plugin.plugin().editor_data().clone();
        let mut t = 0usize;
        // A second of input: the carrier smoother and the transformer's high-pass settle.
        for _ in 0..(SR as usize / 512) {
            let (main, _) = plugin.buffers_mut();
            for ch in main.iter_mut() {
                for (i, s) in ch[..512].iter_mut().enumerate() {
                    *s = 0.9 * (2.0 * std::f32::consts::PI * 317.0 * (t + i) as f32 / SR).sin();
                }
            }
            t += 512;
            plugin.process(512);
        }
        let host = RecordingHost::default();
        let mut h = harness(params.clone(), data, &host);
        h.run_steps(3);
        let editor = &h.state().editor;
        let fm = editor.input_hz.expect("the input tone is read");
        assert!((fm - 317.0).abs() < 1.0, "{model}: input read as {fm} Hz");
        let marked = &editor.products;
        let near = |f: f32, tol: f32| marked.iter().any(|p| (p.freq - f).abs() < tol);
        assert!(near(1931.0 - 317.0, 2.0) && near(1931.0 + 317.0, 2.0), "{model}: {marked:?}");
        // Nothing marked at the inputs or the even-order products.
        for f in [317.0, 1931.0, 2.0 * 1931.0 - 317.0, 1931.0 + 2.0 * 317.0] {
            assert!(!near(f, 2.0), "{model}: {f} Hz marked");
        }
        // The output's strongest components (within 40 dB of the largest) all sit on marks.
        let spectrum = editor.spectrum();
        let found = peaks(&spectrum.db, -80.0);
        let top = found[0].1;
        let bin = spectrum.bin_hz(1);
        let strong: Vec<_> = found.iter().filter(|(_, l)| *l > top - 40.0).collect();
        assert!(strong.len() >= 2, "{model}: {strong:?}");
        for &&(k, level) in &strong {
            let f = k as f32 * bin;
            assert!(near(f, 1.5 * bin), "{model}: a component at {f:.0} Hz ({:.1} dB) is not marked; marks {:?}", level - top, marked.iter().map(|p| p.freq).collect::<Vec<_>>());
        }
    }
}

#[test]
fn note_follow_swaps_the_carrier_knob_for_ratio_glide_and_bend_range() {
    let mut plugin = plugin();
    let params = params(&mut plugin);
    let data = plugin.plugin().editor_data().clone();
    let host = RecordingHost::default();
    let mut h = harness(params.clone(), data, &host);
    h.run_steps(2);
    assert!(h.query_by_label("Carrier Ratio").is_none());
    h.get_by_label("Carrier Freq");
    h.get_by_label("Note Follow").click();
    h.run_steps(2);
    assert!(params.note_follow.value());
    assert!(h.query_by_label("Carrier Freq").is_none(), "the carrier frequency knob is shown while following notes");
    for name in ["Carrier Ratio", "Carrier Glide", "Bend Range"] {
        h.get_by_label(name);
    }
    type_into(&mut h, "Carrier Ratio", "2 ×");
    assert!((params.carrier_ratio.value() - 2.0).abs() < 1e-4, "{}", params.carrier_ratio.value());
    type_into(&mut h, "Carrier Glide", "150 ms");
    assert!((params.carrier_glide.value() - 150.0).abs() < 0.01, "{}", params.carrier_glide.value());
    RecordingHost::gestures(&host.take()).unwrap();
}
