//! What every Ferrite plugin shares, written once:
//!
//! - [`host`]: an offline host that drives a plugin's own `Plugin::process` (the same code a DAW
//!   runs), used by `render`, by the tests and by benchmarks.
//! - [`params`]: dB and mix parameters, smoothing time, per-sample parameter buffers, input
//!   sanitising.
//! - [`settings`]: `ID=VALUE` parsing against a plugin's parameters (plain values, range
//!   checked), for `--set`, presets and the standalone.
//! - [`wav`]: WAV reading (16/24/32-bit integer, 32-bit float) and atomic float WAV writing.
//! - [`cli`]: the `render` and `params` commands and the standalone launcher, i.e. each plugin's
//!   whole `main`.

pub mod cli;
pub mod host;
pub mod params;
pub mod settings;
pub mod wav;

pub use cli::main;
pub use settings::apply_startup_settings;
