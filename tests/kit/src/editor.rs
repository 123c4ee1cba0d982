//! Driving an editor headless as a user drives it (egui_kittest 0.37), for the editor tests of
//! the kit (`plugins/editor/tests`) and of every plugin (`plugins/*/tests/editor.rs`).
//!
//! Controls are found by their accessible labels: a knob's is the parameter's name, its value
//! readout is a button "Type <name>", the typed-entry field "Value of <name>"; selector options
//! are labelled by their text. Edits reach a [`RecordingHost`], which applies them to the
//! parameters as a host does and records the gestures.
//!
//! Here rather than in `ferrite_editor::testing` so that egui_kittest stays out of
//! `ferrite-editor`: a feature of that crate switched on by the tests would build every plugin
//! differently in the tests than in the bundles (see this crate's manifest).

use std::sync::Arc;

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use ferrite_editor::egui;
use ferrite_editor::{theme, EditorApp};
use ferrite_plugin_common::editor_data::EditorData;
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::Param;

pub use ferrite_editor::testing::{HostCall, RecordingHost};

/// The state of a harness made by [`harness`]: the editor under test, the parameters and the
/// editor data it was built with, and the host context it draws with.
pub struct EditorUnderTest<E, P> {
    /// The editor.
    pub editor: E,
    /// Its parameters (shared with the editor).
    pub params: Arc<P>,
    /// Its audio-to-editor data (shared with the editor).
    pub data: Arc<EditorData>,
    gui: GuiContext,
}

/// A harness that draws `editor` every frame as the plugin window does (the kit's theme, the
/// parameter setter of `host`'s context), `size` logical points, 60 frames a second.
pub fn harness<E: EditorApp, P: Send + Sync + 'static>(
    editor: E,
    params: Arc<P>,
    data: Arc<EditorData>,
    host: &RecordingHost,
    size: (u32, u32),
) -> Harness<'static, EditorUnderTest<E, P>> {
    let state = EditorUnderTest { editor, params, data, gui: host.context() };
    Harness::builder().with_size(egui::vec2(size.0 as f32, size.1 as f32)).with_step_dt(1.0 / 60.0).build_ui_state(
        |ui, state: &mut EditorUnderTest<E, P>| {
            theme::apply(ui.ctx());
            let setter = state.gui.param_setter();
            state.editor.ui(ui, &setter);
        },
        state,
    )
}

/// Sets `param` to `plain` as a host would, outside the editor (through a host context of its
/// own, so the edit is not among the recorded ones).
pub fn set<P: Param>(param: &P, plain: P::Plain) {
    RecordingHost::default().context().param_setter().set_parameter(param, plain);
}

/// Drags the knob labelled `name` up by `moves` pointer moves of `step` points each (a frame
/// after each), then drops it.
pub fn drag_up<S>(h: &mut Harness<'_, S>, name: &str, step: f32, moves: usize) {
    let center = h.get_by_label(name).rect().center();
    h.hover_at(center);
    h.drag_at(center);
    h.run();
    for i in 1..=moves {
        h.hover_at(center - egui::vec2(0.0, step * i as f32));
        h.run();
    }
    h.drop_at(center - egui::vec2(0.0, step * moves as f32));
    h.run();
}

/// Double-clicks the control labelled `name` (two press-release pairs one frame apart).
pub fn double_click<S>(h: &mut Harness<'_, S>, name: &str) {
    let center = h.get_by_label(name).rect().center();
    h.hover_at(center);
    for _ in 0..2 {
        h.drag_at(center);
        h.event(egui::Event::PointerButton {
            pos: center,
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers: egui::Modifiers::NONE,
        });
        h.step();
    }
    h.run();
}

/// Types `text` into the value of the knob labelled `name` as a user does: a click on its
/// readout ("Type <name>") opens the field "Value of <name>" (checked), the text, then Enter.
pub fn type_into<S>(h: &mut Harness<'_, S>, name: &str, text: &str) {
    h.get_by_label(&format!("Type {name}")).click();
    h.run();
    assert!(h.query_by_label(&format!("Value of {name}")).is_some(), "clicking \"Type {name}\" opened no field \"Value of {name}\"");
    h.event(egui::Event::Text(text.to_owned()));
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
}

/// The accessible text of the one node whose label contains `prefix` (a readout or a meter;
/// AccessKit keeps a label widget's text in its value).
pub fn label_of<S>(h: &Harness<'_, S>, prefix: &str) -> String {
    let node = h.get_by_label_contains(prefix);
    node.accesskit_node().label().filter(|l| !l.is_empty()).or_else(|| node.value()).unwrap_or_default()
}

/// Checks that `calls` are gestures on the parameter `name` alone, opened first and closed last
/// (every set inside its begin/end), and returns the last normalised value sent.
pub fn single_gesture(calls: &[HostCall], name: &str) -> f32 {
    assert_eq!(calls.first(), Some(&HostCall::Begin(name.into())), "{calls:?}");
    assert_eq!(calls.last(), Some(&HostCall::End(name.into())), "{calls:?}");
    let last = RecordingHost::gestures(calls).unwrap();
    assert_eq!(last.len(), 1, "{calls:?}");
    assert_eq!(last[0].0, name, "{calls:?}");
    last[0].1
}
