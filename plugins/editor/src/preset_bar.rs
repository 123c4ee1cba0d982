//! The preset bar every editor shows above its own contents: the current preset's name with a
//! mark when a control has moved since it was loaded, previous and next, a menu of every preset
//! by category (the factory presets, then the user's), and saving the current sound as a user
//! preset (see `ferrite_plugin_common::presets` for the format and the folder).
//!
//! A preset change is one edit of all parameters as the host sees it: a gesture is begun on
//! every parameter, every value is set, then every gesture is ended, so a host that records
//! undo by gesture groups it into one step, and automation records all of it. The name of the
//! last preset loaded or saved is kept in the plugin state ([`PresetName`]), so a project
//! reopens showing it.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use egui::{RichText, Ui};
use ferrite_plugin_common::presets::{self, FactoryPreset, PresetEntry, Source};
use nice_plug::params::persist::PersistentField;
use nice_plug::prelude::{ParamPtr, ParamSetter, Params};

use crate::theme;

/// The last preset loaded or saved, kept in the plugin state (`#[persist = "preset"]`); empty
/// for none.
#[derive(Clone, Debug, Default)]
pub struct PresetName(Arc<RwLock<String>>);

impl PresetName {
    /// The name (empty for none).
    pub fn get(&self) -> String {
        self.0.read().map(|n| n.clone()).unwrap_or_default()
    }

    /// Sets the name.
    pub fn set_name(&self, name: &str) {
        if let Ok(mut n) = self.0.write() {
            name.clone_into(&mut n);
        }
    }
}

impl PersistentField<'_, String> for PresetName {
    fn set(&self, new_value: String) {
        // A state from elsewhere may hold anything: keep a name a preset could have.
        let name: String = new_value.chars().filter(|c| !c.is_control()).take(presets::MAX_NAME_CHARS).collect();
        self.set_name(&name);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&String) -> R,
    {
        f(&self.get())
    }
}

/// Where a plugin's presets come from, for its editor.
#[derive(Clone)]
pub struct PresetSource {
    /// The plugin's parameters.
    pub params: Arc<dyn Params>,
    /// Its factory presets.
    pub factory: &'static [FactoryPreset],
    /// Its user preset folder (`None`: user presets cannot be saved).
    pub user_dir: Option<PathBuf>,
    /// The current preset's name, in the plugin state.
    pub current: PresetName,
}

impl PresetSource {
    /// The presets of the plugin whose app is `cli_name`, in its user folder under the XDG
    /// data folder.
    pub fn new(cli_name: &str, params: Arc<dyn Params>, factory: &'static [FactoryPreset], current: PresetName) -> Self {
        Self { params, factory, user_dir: presets::user_dir(cli_name), current }
    }
}

/// The bar's state while the editor is open.
pub struct PresetBar {
    source: PresetSource,
    /// Every parameter, in the plugin's order (collected once).
    ptrs: Vec<ParamPtr>,
    /// The presets, factory then user (re-read when the menu opens and after a save).
    entries: Vec<PresetEntry>,
    /// The normalized values the current preset sets, in `ptrs` order (for the modified mark).
    loaded: Option<Vec<f32>>,
    /// The name being typed for a save, while the save field is open.
    saving: Option<String>,
    /// The last error or confirmation, shown in the bar.
    message: Option<(String, bool)>,
}

impl PresetBar {
    /// The bar for `source`, showing the preset the state names (if it still exists).
    pub fn new(source: PresetSource) -> Self {
        let ptrs = source.params.param_map().into_iter().map(|(_, ptr, _)| ptr).collect();
        let mut bar = Self { source, ptrs, entries: Vec::new(), loaded: None, saving: None, message: None };
        bar.refresh();
        let name = bar.source.current.get();
        if !name.is_empty() {
            bar.loaded = presets::find(&bar.entries, &name).ok().and_then(|e| bar.values_of(&e).ok());
        }
        bar
    }

    /// Re-reads the user presets.
    pub fn refresh(&mut self) {
        self.entries = self
            .source
            .factory
            .iter()
            .map(|p| PresetEntry { name: p.name.to_owned(), category: p.category.to_owned(), source: Source::Factory })
            .collect();
        if let Some(dir) = &self.source.user_dir {
            self.entries.extend(presets::list_user(dir));
        }
    }

    /// The presets listed, factory then user.
    pub fn entries(&self) -> &[PresetEntry] {
        &self.entries
    }

    /// The current preset's name (empty for none).
    pub fn current(&self) -> String {
        self.source.current.get()
    }

    /// The last message shown (text, whether it is an error).
    pub fn message(&self) -> Option<&(String, bool)> {
        self.message.as_ref()
    }

    /// Whether a parameter differs from what the current preset set (false without a preset).
    pub fn modified(&self) -> bool {
        self.loaded.as_ref().is_some_and(|values| {
            self.ptrs.iter().zip(values).any(|(ptr, &v)| {
                // SAFETY: the pointers point into `source.params`, which the bar keeps alive.
                (unsafe { ptr.unmodulated_normalized_value() } - v).abs() > 1e-5
            })
        })
    }

    /// The normalized values `entry` sets, in `ptrs` order.
    fn values_of(&self, entry: &PresetEntry) -> anyhow::Result<Vec<f32>> {
        let text = entry.text(self.source.factory)?;
        let settings = presets::complete(self.source.params.as_ref(), &text)?;
        Ok(settings.into_iter().map(|s| s.normalized).collect())
    }

    /// Loads `entry` as one edit of every parameter (see the module doc).
    pub fn load(&mut self, entry: &PresetEntry, setter: &ParamSetter) {
        let values = match self.values_of(entry) {
            Ok(v) => v,
            Err(e) => {
                self.message = Some((format!("{e:#}"), true));
                return;
            }
        };
        // SAFETY: the pointers point into the plugin's parameters, which outlive the editor;
        // every begin is ended.
        unsafe {
            for ptr in &self.ptrs {
                setter.raw_context.raw_begin_set_parameter(*ptr);
            }
            for (ptr, &v) in self.ptrs.iter().zip(&values) {
                setter.raw_context.raw_set_parameter_normalized(*ptr, v);
            }
            for ptr in &self.ptrs {
                setter.raw_context.raw_end_set_parameter(*ptr);
            }
        }
        self.source.current.set_name(&entry.name);
        self.loaded = Some(values);
        self.message = None;
    }

    /// Loads the preset `delta` places from the current one in the list (wrapping; from the
    /// first or last when no preset is current).
    pub fn step(&mut self, delta: isize, setter: &ParamSetter) {
        self.refresh();
        let n = self.entries.len() as isize;
        if n == 0 {
            return;
        }
        let current = self.current();
        let here = self.entries.iter().position(|e| e.name == current).map(|i| i as isize);
        let next = match here {
            Some(i) => (i + delta).rem_euclid(n),
            None if delta >= 0 => 0,
            None => n - 1,
        };
        let entry = self.entries[next as usize].clone();
        self.load(&entry, setter);
    }

    /// Saves the current sound as the user preset `name`; it becomes the current preset.
    pub fn save(&mut self, name: &str) -> anyhow::Result<PathBuf> {
        let name = presets::check_name(name)?.to_owned();
        let Some(dir) = self.source.user_dir.clone() else {
            anyhow::bail!("no folder for user presets (neither XDG_DATA_HOME nor HOME is set)");
        };
        let text = presets::to_text(self.source.params.as_ref(), &name);
        let path = presets::save_user(&dir, &name, &text)?;
        self.refresh();
        self.source.current.set_name(&name);
        // SAFETY: as in `modified`.
        self.loaded = Some(self.ptrs.iter().map(|p| unsafe { p.unmodulated_normalized_value() }).collect());
        Ok(path)
    }

    /// Draws the bar.
    pub fn ui(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        ui.horizontal(|ui| {
            if ui.small_button("<").on_hover_text("Previous preset").clicked() {
                self.step(-1, setter);
            }
            if ui.small_button(">").on_hover_text("Next preset").clicked() {
                self.step(1, setter);
            }
            let current = self.current();
            // Once per frame: it compares every parameter with the preset's values.
            let modified = self.modified();
            let shown = match (current.is_empty(), modified) {
                (true, _) => "No preset".to_owned(),
                (false, true) => format!("{current} *"),
                (false, false) => current.clone(),
            };
            let menu = ui.menu_button(RichText::new(shown).strong(), |ui| self.menu(ui, setter));
            if menu.response.clicked() {
                self.refresh();
            }
            if modified {
                menu.response.on_hover_text("Changed since the preset was loaded");
            }
            match self.saving.take() {
                None => {
                    if ui.small_button("Save as").on_hover_text("Save the current sound as a user preset").clicked() {
                        self.saving = Some(if current.is_empty() { String::new() } else { current });
                    }
                }
                Some(mut name) => {
                    let field = ui.add(egui::TextEdit::singleline(&mut name).desired_width(160.0).hint_text("Preset name"));
                    let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if ui.small_button("Save").clicked() || enter {
                        match self.save(&name) {
                            Ok(path) => self.message = Some((format!("Saved {}", path.display()), false)),
                            Err(e) => {
                                self.message = Some((format!("{e:#}"), true));
                                self.saving = Some(name);
                            }
                        }
                    } else if !ui.small_button("Cancel").clicked() {
                        self.saving = Some(name);
                    }
                }
            }
            if let Some((text, error)) = &self.message {
                let color = if *error { theme::WARNING } else { theme::DIM_TEXT };
                ui.label(RichText::new(text).small().color(color));
            }
        });
    }

    /// The menu: one submenu per category, in the order categories first appear.
    fn menu(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let mut categories: Vec<String> = Vec::new();
        for e in &self.entries {
            if !categories.contains(&e.category) {
                categories.push(e.category.clone());
            }
        }
        let mut chosen = None;
        for category in &categories {
            ui.menu_button(category.as_str(), |ui| {
                for e in self.entries.iter().filter(|e| &e.category == category) {
                    if ui.button(e.name.as_str()).clicked() {
                        chosen = Some(e.clone());
                        ui.close();
                    }
                }
            });
        }
        if let Some(e) = chosen {
            self.load(&e, setter);
        }
    }
}
