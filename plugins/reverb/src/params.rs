//! Ferrite Reverb's parameters: IDs, ranges, units, defaults and smoothing (docs/interfaces.md,
//! "Ferrite Reverb"), and the impulse response, which is state rather than a parameter.

use ferrite_plugin_common::params::{db_param, fraction_param, parse_hz, SMOOTHING_MS};
use nice_plug::prelude::*;

use crate::ir::IrSlot;
use crate::loader::IrLoading;

/// Which reverb runs.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgorithmChoice {
    /// Jezar's Freeverb.
    #[id = "freeverb"]
    #[name = "Freeverb"]
    Freeverb,
    /// An 8-line feedback delay network in the zita-rev1 style.
    #[id = "hall"]
    #[name = "Hall"]
    Hall,
    /// Dattorro's figure-8 plate.
    #[id = "plate"]
    #[name = "Plate"]
    Plate,
    /// Partitioned convolution with the loaded impulse response.
    #[id = "convolution"]
    #[name = "Convolution"]
    Convolution,
}

/// Longest predelay, ms.
pub const MAX_PREDELAY_MS: f32 = 500.0;

#[derive(Params)]
pub struct ReverbParams {
    /// The reverb algorithm (switching crossfades).
    #[id = "algorithm"]
    pub algorithm: EnumParam<AlgorithmChoice>,
    /// RT60 in seconds (hall and plate: the measured decay time).
    #[id = "decay"]
    pub decay: FloatParam,
    /// Room size: Freeverb's feedback; scales the hall's and plate's delay network.
    #[id = "size"]
    pub size: FloatParam,
    /// High-frequency damping in the feedback paths.
    #[id = "damping"]
    pub damping: FloatParam,
    /// Delay before the reverb, ms.
    #[id = "predelay"]
    pub predelay: FloatParam,
    /// Stereo width of the wet signal (0 mono, 1 full).
    #[id = "width"]
    pub width: FloatParam,
    /// Depth of the slow delay modulation (hall, plate).
    #[id = "modulation"]
    pub modulation: FloatParam,
    /// Infinite sustain: the tail holds and no new input enters.
    #[id = "freeze"]
    pub freeze: BoolParam,
    /// High-pass on the wet signal, Hz.
    #[id = "low_cut"]
    pub low_cut: FloatParam,
    /// Low-pass on the wet signal, Hz.
    #[id = "high_cut"]
    pub high_cut: FloatParam,
    /// Dry/wet, 0 (dry) to 1 (wet).
    #[id = "mix"]
    pub mix: FloatParam,
    /// Output gain, dB.
    #[id = "output"]
    pub output: FloatParam,
    /// The convolution's impulse response (file path and samples), saved with the project.
    #[persist = "impulse_response"]
    pub impulse_response: IrSlot,
    /// The editor window's size, saved with the project.
    #[persist = "editor-size"]
    pub editor_size: ferrite_editor::EditorSize,
    /// The last preset loaded or saved in the editor, so a project reopens showing it.
    #[persist = "preset"]
    pub preset: ferrite_editor::PresetName,
    /// Not a parameter: the background side of the IR hand-over, replaced at every activation
    /// (shared here because the background task and the engine both reach the parameters).
    pub ir_loading: IrLoading,
}

/// A frequency parameter with a log-like knob and log-domain smoothing.
fn hz_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Skewed { min, max, factor: FloatRange::skew_factor(-2.0) })
        .with_smoother(SmoothingStyle::Logarithmic(SMOOTHING_MS))
        .with_unit(" Hz")
        .with_value_to_string(formatters::v2s_f32_rounded(0))
        .with_string_to_value(parse_hz())
}

impl Default for ReverbParams {
    fn default() -> Self {
        Self {
            algorithm: EnumParam::new("Algorithm", AlgorithmChoice::Hall),
            decay: FloatParam::new("Decay", 2.0, FloatRange::Skewed { min: 0.1, max: 30.0, factor: FloatRange::skew_factor(-2.0) })
                .with_smoother(SmoothingStyle::Logarithmic(SMOOTHING_MS))
                .with_unit(" s")
                .with_value_to_string(formatters::v2s_f32_rounded(2)),
            size: fraction_param("Size", 0.5),
            damping: fraction_param("Damping", 0.5),
            predelay: FloatParam::new("Predelay", 10.0, FloatRange::Skewed { min: 0.0, max: MAX_PREDELAY_MS, factor: FloatRange::skew_factor(-1.5) })
                // Longer than the others: a moving predelay is a moving read position, heard as
                // a brief pitch glide, so it glides slowly.
                .with_smoother(SmoothingStyle::Linear(100.0))
                .with_unit(" ms")
                .with_value_to_string(formatters::v2s_f32_rounded(1)),
            width: fraction_param("Width", 1.0),
            modulation: fraction_param("Modulation", 0.3),
            freeze: BoolParam::new("Freeze", false),
            low_cut: hz_param("Low Cut", 20.0, 20.0, 2_000.0),
            high_cut: hz_param("High Cut", 16_000.0, 1_000.0, 20_000.0),
            mix: fraction_param("Mix", 0.3),
            output: db_param("Output", 0.0, -36.0, 12.0),
            impulse_response: IrSlot::default(),
            editor_size: ferrite_editor::EditorSize::new(crate::editor::DEFAULT_SIZE, crate::editor::MIN_SIZE),
            preset: ferrite_editor::PresetName::default(),
            ir_loading: IrLoading::default(),
        }
    }
}
