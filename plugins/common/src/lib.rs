//! What every Ferrite plugin shares, written once:
//!
//! - [`effect`]: the plugin skeleton. A plugin crate implements [`effect::Engine`] (its audio)
//!   and [`effect::Effect`] (its descriptor); [`effect::EffectPlugin`] is the nice-plug plugin
//!   for CLAP, VST3, the standalone and `render`.
//! - [`output`]: the output stage every engine ends with (latency-aligned dry path, mix, output
//!   gain, switch fade, finite guard).
//! - [`editor_data`]: meters and sample windows from the audio thread to an editor, lock-free.
//! - [`host`]: an offline host that drives a plugin's own `Plugin::process` (the same code a DAW
//!   runs), used by `render`, by the tests and by benchmarks.
//! - [`notes`]: the note state (last-note priority, pitch wheel) the skeleton keeps for effects
//!   that take note input, and the pitch glide their engines use.
//! - [`params`]: dB and mix parameters, smoothing time, per-sample parameter buffers.
//! - [`presets`]: factory presets compiled in, user presets as files in the XDG data folder,
//!   found by name for `render --preset`, the standalone and the editors.
//! - [`settings`]: `ID=VALUE` parsing against a plugin's parameters (plain values, range
//!   checked), for `--set`, presets and the standalone.
//! - [`audio_file`]: decoding every input format (symphonia), streamed; WAV writing (float or
//!   dithered integer) into a temporary file renamed into place when complete.
//! - [`render`]: the offline render, streamed in blocks, with tails, sidechains and batches.
//! - [`cli`]: the `render` and `params` commands and the standalone launcher, i.e. each plugin's
//!   whole `main`.
//! - [`headless`]: the standalone app without its editor window (`--no-editor`, or no display).
//! - [`standalone`]: the guard around nice-plug's standalone wrapper (JACK server loss,
//!   signals, several instances on one server, sidechain connections, messages).
//! - [`clap_export`]: the CLAP export ([`export_clap!`]): nice-plug's wrapper plus preset
//!   discovery and the `preset-load` extension, so hosts list and load Ferrite's presets.
//! - [`record`]: the standalone's `--record FILE` and `--record-inputs FILE`: the audio
//!   thread's wait-free tap and the writer thread that keeps the WAV files valid.
//! - [`vst3`]: the VST3 export ([`export_vst3!`]): nice-plug's wrapper behind a guard on the
//!   buffers hosts pass to `process`.

pub mod audio_file;
pub mod clap_export;
pub mod cli;
pub mod editor_data;
pub mod effect;
pub mod headless;
pub mod host;
pub mod notes;
pub mod output;
pub mod params;
pub mod presets;
pub mod record;
pub mod render;
pub mod settings;
pub mod standalone;
pub mod vst3;

pub use cli::main;
pub use settings::apply_startup_settings;

use nice_plug::prelude::{AudioIOLayout, PortNames};
use std::num::NonZeroU32;

/// The vendor every Ferrite plugin reports (docs/interfaces.md, "Products").
pub const VENDOR: &str = "Ferrite Audio";
/// The vendor's web site.
pub const URL: &str = "https://ferrite-audio.org";
/// The vendor's contact address.
pub const EMAIL: &str = "info@ferrite-audio.org";

/// Stereo in/out, then mono in/out, without auxiliary ports: the layouts of every Ferrite
/// effect without a sidechain. Port names are left to nice-plug's defaults ("Input", "Output")
/// on purpose: nice-plug 0.4.2's `main_output_name()` returns `names.main_input`.
pub const STEREO_AND_MONO: &[AudioIOLayout] = &[
    AudioIOLayout {
        main_input_channels: NonZeroU32::new(2),
        main_output_channels: NonZeroU32::new(2),
        names: PortNames::const_default(),
        ..AudioIOLayout::const_default()
    },
    AudioIOLayout {
        main_input_channels: NonZeroU32::new(1),
        main_output_channels: NonZeroU32::new(1),
        names: PortNames::const_default(),
        ..AudioIOLayout::const_default()
    },
];
