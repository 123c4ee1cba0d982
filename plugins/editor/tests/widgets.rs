//! The kit's controls driven headless as a user drives them (egui_kittest), checked through
//! what the host receives: every edit inside a begin/end gesture, values through the
//! parameters' own text conversions.

use std::sync::Arc;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use ferrite_editor::egui;
use ferrite_editor::testing::RecordingHost;
use ferrite_editor::widgets::{Knob, Selector, Toggle};
use ferrite_editor::EditorApp;
use ferrite_plugin_common::editor_data::EditorData;
use ferrite_test_kit::editor::{double_click, drag_up, set, single_gesture, type_into, EditorUnderTest};
use nice_plug::prelude::*;

#[derive(Enum, Debug, PartialEq, Clone, Copy)]
enum Shape {
    Sine,
    Triangle,
    Square,
}

#[derive(Params)]
struct TestParams {
    #[id = "gain"]
    gain: FloatParam,
    #[id = "freq"]
    freq: FloatParam,
    #[id = "mix"]
    mix: FloatParam,
    #[id = "shape"]
    shape: EnumParam<Shape>,
    #[id = "sync"]
    sync: BoolParam,
}

impl Default for TestParams {
    fn default() -> Self {
        Self {
            gain: FloatParam::new("Gain", 0.0, FloatRange::Linear { min: -24.0, max: 24.0 })
                .with_unit(" dB")
                .with_value_to_string(formatters::v2s_f32_rounded(1)),
            freq: FloatParam::new("Frequency", 1000.0, FloatRange::Skewed { min: 20.0, max: 20_000.0, factor: FloatRange::skew_factor(-2.0) })
                .with_value_to_string(formatters::v2s_f32_hz_then_khz(1))
                .with_string_to_value(formatters::s2v_f32_hz_then_khz()),
            mix: FloatParam::new("Mix", 1.0, FloatRange::Linear { min: 0.0, max: 1.0 })
                .with_unit("%")
                .with_value_to_string(formatters::v2s_f32_percentage(0))
                .with_string_to_value(formatters::s2v_f32_percentage()),
            shape: EnumParam::new("Shape", Shape::Sine),
            sync: BoolParam::new("Sync", false),
        }
    }
}

/// The kit's controls, one of each kind, as an editor lays them out.
struct Controls(Arc<TestParams>);

impl EditorApp for Controls {
    fn ui(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        ui.horizontal(|ui| {
            ui.add(Knob::new(&self.0.gain, setter));
            ui.add(Knob::new(&self.0.freq, setter));
            ui.add(Knob::new(&self.0.mix, setter));
        });
        ui.add(Selector::new(&self.0.shape, setter));
        ui.add(Toggle::new(&self.0.sync, setter));
    }
}

type State = EditorUnderTest<Controls, TestParams>;

fn harness(host: &RecordingHost) -> Harness<'static, State> {
    let params = Arc::new(TestParams::default());
    ferrite_test_kit::editor::harness(Controls(params.clone()), params, Arc::new(EditorData::default()), host, (500, 300))
}

#[test]
fn dragging_a_knob_up_raises_it_inside_one_gesture() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    drag_up(&mut h, "Gain", 5.0, 10);
    let sent = single_gesture(&host.take(), "Gain");
    // 50 points up at 200 points per full range, minus egui's drag threshold: about a quarter.
    let v = h.state().params.gain.unmodulated_normalized_value();
    assert!((sent - v).abs() < 1e-6, "{sent} vs {v}");
    assert!(v > 0.7 && v <= 0.75, "{v}");
}

#[test]
fn shift_drags_ten_times_finer() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    let center = h.get_by_label("Mix").rect().center();
    // Mix starts at 100 %: drag down.
    h.hover_at(center);
    h.drag_at(center);
    h.run();
    h.event_modifiers(egui::Event::PointerMoved(center + egui::vec2(0.0, 20.0)), egui::Modifiers::SHIFT);
    h.run();
    h.event_modifiers(egui::Event::PointerMoved(center + egui::vec2(0.0, 40.0)), egui::Modifiers::SHIFT);
    h.run();
    h.drop_at(center + egui::vec2(0.0, 40.0));
    h.run();
    let v = h.state().params.mix.unmodulated_normalized_value();
    assert!((1.0 - 40.0 / 2000.0 - 1e-6..1.0).contains(&v), "{v}");
    RecordingHost::gestures(&host.take()).unwrap();
}

#[test]
fn double_click_restores_the_default() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    set(&h.state().params.gain, 12.0);
    h.run();
    assert_eq!(h.state().params.gain.value(), 12.0);
    double_click(&mut h, "Gain");
    assert_eq!(h.state().params.gain.value(), 0.0);
    let calls = host.take();
    assert_eq!(RecordingHost::gestures(&calls).unwrap(), vec![("Gain".to_string(), 0.5)]);
}

#[test]
fn typed_values_go_through_the_parameters_own_text_forms() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    type_into(&mut h, "Gain", "-6 dB");
    assert_eq!(h.state().params.gain.value(), -6.0);
    type_into(&mut h, "Frequency", "2 kHz");
    assert!((h.state().params.freq.value() - 2000.0).abs() < 0.5, "{}", h.state().params.freq.value());
    type_into(&mut h, "Mix", "50%");
    assert!((h.state().params.mix.value() - 0.5).abs() < 1e-6, "{}", h.state().params.mix.value());
    let calls = host.take();
    let last = RecordingHost::gestures(&calls).unwrap();
    assert_eq!(last.len(), 3, "{calls:?}");
}

#[test]
fn text_that_does_not_parse_changes_nothing_and_stays_open() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    type_into(&mut h, "Mix", "loud");
    assert_eq!(h.state().params.mix.value(), 1.0);
    assert!(host.take().is_empty());
    // The field is still there, still holding the text, for the user to fix.
    assert!(h.query_by_label("Type Mix").is_none());
    let field = h.get_by_label("Value of Mix");
    assert_eq!(field.value().as_deref(), Some("loud"));
    assert!(field.is_focused());
    // Escape gives up and shows the value again.
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(h.query_by_label("Value of Mix").is_none());
    h.get_by_label("Type Mix");
}

#[test]
fn the_wheel_steps_a_knob_one_percent_a_notch() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    let center = h.get_by_label("Gain").rect().center();
    h.hover_at(center);
    h.run();
    h.event(egui::Event::MouseWheel { unit: egui::MouseWheelUnit::Line, delta: egui::vec2(0.0, 3.0), modifiers: egui::Modifiers::NONE, phase: egui::TouchPhase::Move, source: egui::MouseWheelSource::Wheel });
    h.run_steps(30);
    let v = h.state().params.gain.unmodulated_normalized_value();
    assert!((v - 0.53).abs() < 1e-5, "{v}");
    RecordingHost::gestures(&host.take()).unwrap();
}

#[test]
fn selectors_and_toggles_set_their_parameters() {
    let host = RecordingHost::default();
    let mut h = harness(&host);
    h.run();
    h.get_by_label("Square").click();
    h.run();
    assert_eq!(h.state().params.shape.value(), Shape::Square);
    h.get_by_label("Sync").click();
    h.run();
    assert!(h.state().params.sync.value());
    let calls = host.take();
    assert_eq!(RecordingHost::gestures(&calls).unwrap(), vec![("Shape".to_string(), 1.0), ("Sync".to_string(), 1.0)]);
}
