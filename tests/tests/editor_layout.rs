//! Every editor fits its window: at the size it opens at (the default in its state) and at the
//! smallest size it can be resized to, every control, label and readout it draws lies inside the
//! window. Drawn as the plugin window draws it (the kit's theme, the preset bar above the
//! editor's contents, inside a central panel), with audio played first so the meters and
//! readouts show values. Editors whose controls change with a setting ([`ALTERNATE_SETTINGS`])
//! are checked in that state too.

use std::sync::Arc;

use egui_kittest::kittest::{by, Queryable};
use egui_kittest::Harness;
use ferrite_editor::preset_bar::PresetBar;
use ferrite_editor::testing::RecordingHost;
use ferrite_editor::{egui, theme, EditorApp};
use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};
use nice_plug::prelude::*;

const SR: f32 = 48_000.0;

/// Settings that change which controls an editor shows, checked as well for every plugin that
/// has the parameter: Ferrite Ring's Note Follow swaps the carrier knob for the ratio, glide
/// and bend-range knobs.
const ALTERNATE_SETTINGS: &[&str] = &["note_follow=on"];
const BLOCK: usize = 512;

/// The leaves of `app`'s accessibility tree (the widgets) that reach outside a `w`×`h` window.
fn outside<A: EditorApp>(app: A, presets: Option<PresetBar>, (w, h): (f32, f32)) -> Vec<String> {
    let recorder = RecordingHost::default();
    let gui = recorder.context();
    let mut harness = Harness::builder().with_size(egui::vec2(w, h)).build_ui_state(
        move |ui, (app, presets): &mut (A, Option<PresetBar>)| {
            theme::apply(ui.ctx());
            let setter = gui.param_setter();
            ferrite_editor::window::contents(ui, presets.as_mut(), app, &setter);
        },
        (app, presets),
    );
    harness.run_steps(5);
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(w, h)).expand(0.5);
    let leaves = harness.query_all(by().predicate(|n| n.bounding_box().is_some() && n.children().next().is_none()));
    leaves.filter(|n| !window.contains_rect(n.rect())).map(|n| format!("{n:?} at {:?}", n.rect())).collect()
}

/// A 440 Hz tone through `host` for half a second, so the editor data has something to show.
fn play<P: Plugin>(host: &mut OfflineHost<P>) {
    for block in 0..(SR as usize / 2 / BLOCK) {
        let (main, _) = host.buffers_mut();
        for ch in main.iter_mut() {
            for (i, s) in ch[..BLOCK].iter_mut().enumerate() {
                *s = 0.5 * (std::f32::consts::TAU * 440.0 * (block * BLOCK + i) as f32 / SR).sin();
            }
        }
        host.process(BLOCK);
    }
}

#[test]
fn every_editor_fits_its_window_at_its_default_and_minimum_sizes() {
    let mut problems = Vec::new();
    let mut checked = 0;
    macro_rules! check {
        ($krate:ident, $plugin:ty) => {{
            let mut host = OfflineHost::<$plugin>::new();
            host.activate(layout_for_channels::<$plugin>(2).unwrap(), SR, BLOCK).unwrap();
            let executor = AsyncExecutor::new(Arc::new(|_| ()), Arc::new(|_| ()));
            let editor = host.plugin().editor(executor).expect("every plugin has an editor");
            let data = host.plugin().editor_data().clone();
            data.set_open(true);
            play(&mut host);
            let default = editor.size();
            let (min_w, min_h) = host.plugin().params_arc().editor_size.min();
            let alternates: Vec<_> = ALTERNATE_SETTINGS
                .iter()
                .filter_map(|s| ferrite_plugin_common::settings::parse_setting(host.params().as_ref(), s).ok().map(|p| (*s, p)))
                .collect();
            for state in std::iter::once(None).chain(alternates.iter().map(Some)) {
                if let Some((_, setting)) = state {
                    ferrite_plugin_common::settings::apply(host.params().as_ref(), std::slice::from_ref(setting));
                }
                let with = state.map_or(String::new(), |(text, _)| format!(" with {text}"));
                for (what, size) in [("default", (default.width as f32, default.height as f32)), ("minimum", (min_w as f32, min_h as f32))] {
                    let bar = editor.make_preset_bar();
                    assert!(bar.is_some(), "{} has no preset bar", <$plugin as Plugin>::NAME);
                    let out = outside(editor.make_app(), bar, size);
                    if !out.is_empty() {
                        problems.push(format!(
                            "{}{with} at its {what} size {}×{}: {} widget(s) outside the window:\n  {}",
                            <$plugin as Plugin>::NAME,
                            size.0,
                            size.1,
                            out.len(),
                            out.join("\n  ")
                        ));
                    }
                    checked += 1;
                }
            }
        }};
    }
    ferrite_tests::for_each_plugin!(check);
    // Four plugins at two sizes, and Ferrite Ring with Note Follow on at both.
    assert_eq!(checked, 10);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
