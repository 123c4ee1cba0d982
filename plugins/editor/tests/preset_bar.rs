//! The preset bar (`ferrite_editor::preset_bar`), driven as the editor drives it and checked
//! through what the host receives: a preset change is one edit of every parameter (every
//! gesture begun before any value is set, every one ended after), previous and next wrap, the
//! modified mark follows the controls, a saved preset is a user preset file that loads back to
//! the same sound, and the current preset's name survives the plugin state.

use std::sync::Arc;

use ferrite_editor::preset_bar::{PresetBar, PresetName, PresetSource};
use ferrite_editor::testing::{HostCall, RecordingHost};
use ferrite_plugin_common::presets::{FactoryPreset, Source};
use ferrite_test_kit::TempDir;
use nice_plug::params::persist::{deserialize_field, serialize_field, PersistentField};
use nice_plug::prelude::*;

#[derive(Enum, Debug, PartialEq, Clone, Copy)]
enum Shape {
    Sine,
    Square,
}

#[derive(Params)]
struct TestParams {
    #[id = "gain"]
    gain: FloatParam,
    #[id = "freq"]
    freq: FloatParam,
    #[id = "shape"]
    shape: EnumParam<Shape>,
}

impl Default for TestParams {
    fn default() -> Self {
        Self {
            gain: FloatParam::new("Gain", 0.0, FloatRange::Linear { min: -24.0, max: 24.0 }).with_unit(" dB"),
            freq: FloatParam::new("Frequency", 1000.0, FloatRange::Linear { min: 20.0, max: 20_000.0 }).with_unit(" Hz"),
            shape: EnumParam::new("Shape", Shape::Sine),
        }
    }
}

const FACTORY: &[FactoryPreset] = &[
    FactoryPreset { name: "Loud", category: "Level", text: "gain = 12\n" },
    FactoryPreset { name: "Square", category: "Shape", text: "shape = square\nfreq = 440\n" },
    FactoryPreset { name: "Quiet", category: "Level", text: "gain = -12\n" },
];

fn bar(dir: &TempDir) -> (Arc<TestParams>, PresetName, PresetBar) {
    let params = Arc::new(TestParams::default());
    let name = PresetName::default();
    let source = PresetSource { params: params.clone(), factory: FACTORY, user_dir: Some(dir.join("presets")), current: name.clone() };
    (params, name, PresetBar::new(source))
}

#[test]
fn a_preset_change_is_one_edit_of_every_parameter() {
    let dir = TempDir::new("preset-bar-load");
    let (params, name, mut bar) = bar(&dir);
    let host = RecordingHost::default();
    let context = host.context();
    let setter = context.param_setter();
    params.gain.smoothed.reset(0.0);

    // From the default sound to "Square": every parameter set, unnamed ones to their defaults.
    bar.step(1, &setter);
    assert_eq!(name.get(), "Loud");
    bar.step(1, &setter);
    assert_eq!(name.get(), "Square");
    assert_eq!((params.gain.value(), params.freq.value(), params.shape.value()), (0.0, 440.0, Shape::Square));
    let calls = host.take();
    let last_load = &calls[calls.len() - 9..];
    let kinds: Vec<u8> = last_load
        .iter()
        .map(|c| match c {
            HostCall::Begin(_) => 0,
            HostCall::Set(..) => 1,
            HostCall::End(_) => 2,
        })
        .collect();
    assert_eq!(kinds, [0, 0, 0, 1, 1, 1, 2, 2, 2], "begin all, set all, end all: {last_load:?}");
    assert_eq!(calls.len(), 18, "two loads of three parameters, nothing else: {calls:?}");

    // Previous and next wrap around the list.
    bar.step(1, &setter);
    assert_eq!(name.get(), "Quiet");
    bar.step(1, &setter);
    assert_eq!(name.get(), "Loud");
    bar.step(-1, &setter);
    assert_eq!(name.get(), "Quiet");
    assert_eq!(params.gain.value(), -12.0);
    assert!(!bar.modified());

    // Moving a control marks the preset modified; moving it back clears the mark.
    setter.begin_set_parameter(&params.gain);
    setter.set_parameter(&params.gain, 3.0);
    setter.end_set_parameter(&params.gain);
    assert!(bar.modified());
    setter.begin_set_parameter(&params.gain);
    setter.set_parameter(&params.gain, -12.0);
    setter.end_set_parameter(&params.gain);
    assert!(!bar.modified());
}

#[test]
fn a_saved_preset_is_a_user_file_that_loads_back_the_same_sound() {
    let dir = TempDir::new("preset-bar-save");
    let (params, name, mut bar) = bar(&dir);
    let host = RecordingHost::default();
    let context = host.context();
    let setter = context.param_setter();
    setter.set_parameter(&params.gain, 7.5);
    setter.set_parameter(&params.freq, 1234.5);
    setter.set_parameter(&params.shape, Shape::Square);
    assert!(bar.save("bad/name").is_err(), "a name that cannot be a file is refused");
    let path = bar.save("My Sound").unwrap();
    assert_eq!(path, dir.join("presets/My Sound.preset"));
    assert_eq!(name.get(), "My Sound");
    assert!(!bar.modified());
    let user = bar.entries().iter().find(|e| e.name == "My Sound").expect("listed after saving");
    assert_eq!((user.category.as_str(), &user.source), ("User", &Source::User(path.clone())));

    // Somewhere else, then back: the same values.
    bar.step(1, &setter);
    assert_eq!(name.get(), "Loud");
    let entry = bar.entries().iter().find(|e| e.name == "My Sound").unwrap().clone();
    bar.load(&entry, &setter);
    assert_eq!((params.gain.value(), params.shape.value()), (7.5, Shape::Square));
    assert!((params.freq.value() - 1234.5).abs() < 0.01, "{}", params.freq.value());

    // A broken file gives a message, and the sound stays as it was.
    std::fs::write(&path, "gain = 99\n").unwrap();
    bar.load(&entry, &setter);
    let (message, error) = bar.message().expect("a message");
    assert!(*error && message.contains("out of range"), "{message}");
    assert_eq!(params.gain.value(), 7.5);
}

#[test]
fn the_current_preset_survives_the_state_and_a_new_editor_window() {
    let dir = TempDir::new("preset-bar-state");
    let (params, name, mut bar) = bar(&dir);
    let host = RecordingHost::default();
    let context = host.context();
    bar.step(1, &context.param_setter());
    let saved = name.map(|n| serialize_field(n).unwrap());
    let restored = PresetName::default();
    restored.set(deserialize_field(&saved).unwrap());
    assert_eq!(restored.get(), "Loud");
    // A hostile state cannot put control characters or an endless name in the bar.
    restored.set(format!("a\u{7}b\n{}", "x".repeat(500)));
    assert_eq!(restored.get().chars().count(), 64);
    assert!(restored.get().starts_with("abx"));

    // A window opened later shows the preset and whether it was changed meanwhile.
    setter_gain(&context, &params, 1.0);
    let source = PresetSource { params: params.clone(), factory: FACTORY, user_dir: None, current: name.clone() };
    let reopened = PresetBar::new(source);
    assert_eq!(reopened.current(), "Loud");
    assert!(reopened.modified());
}

fn setter_gain(context: &nice_plug::context::gui::GuiContext, params: &TestParams, value: f32) {
    let setter = context.param_setter();
    setter.begin_set_parameter(&params.gain);
    setter.set_parameter(&params.gain, value);
    setter.end_set_parameter(&params.gain);
}
