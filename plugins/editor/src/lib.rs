//! The editor kit every Ferrite plugin draws with (egui through nice-plug-egui).
//!
//! - [`window`]: the editor window ([`FerriteEditor`]): resizable, its size kept in the
//!   plugin state ([`EditorSize`]), HiDPI through the host's scale factor; opens and closes
//!   the audio thread's [`EditorData`](ferrite_plugin_common::editor_data::EditorData) path.
//! - [`widgets`]: a knob, a selector for enum parameters and a toggle, each wrapping every
//!   edit in the host's begin/end gesture so hosts record automation.
//! - [`meter`]: peak and RMS meters with peak hold.
//! - [`preset_bar`]: the preset bar above every editor (name with a modified mark, previous and
//!   next, a menu by category, save), a preset change being one host-visible edit.
//! - [`plot`]: a plot area with a log-frequency axis and a dB (or seconds) axis.
//! - [`spectrum`]: a windowed FFT (realfft) of the audio thread's latest samples, computed on
//!   the editor thread.
//! - [`theme`]: the one look all four editors share.
//! - [`testing`]: a recording host context for headless editor tests.
//!
//! Nothing here runs on the audio thread.

pub mod meter;
pub mod plot;
pub mod preset_bar;
pub mod testing;
pub mod spectrum;
pub mod theme;
pub mod widgets;
pub mod window;

pub use egui;
pub use nice_plug_egui;
pub use preset_bar::{PresetName, PresetSource};
pub use window::{EditorApp, EditorSize, FerriteEditor};
