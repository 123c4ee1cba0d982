//! Ferrite Ring's parameters: IDs, ranges, units, defaults and smoothing (docs/interfaces.md,
//! "Ferrite Ring").

use ferrite_plugin_common::params::{bend_range_param, db_param, fraction_param, parse_hz, parse_with_unit, SMOOTHING_MS};
use nice_plug::prelude::*;

/// Which diode ring model runs.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelChoice {
    /// Fontana–Bozzo circuit with transformers, solved implicitly.
    #[id = "circuit"]
    #[name = "Circuit"]
    Circuit,
    /// Parker's static diode network.
    #[id = "parker"]
    #[name = "Parker"]
    Parker,
}

/// Where the carrier comes from.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CarrierChoice {
    #[id = "sine"]
    #[name = "Sine"]
    Sine,
    #[id = "triangle"]
    #[name = "Triangle"]
    Triangle,
    #[id = "square"]
    #[name = "Square"]
    Square,
    #[id = "saw"]
    #[name = "Saw"]
    Saw,
    /// The auxiliary (sidechain) input is the carrier.
    #[id = "sidechain"]
    #[name = "Sidechain"]
    Sidechain,
}

ferrite_plugin_common::oversampling_choice! {
    /// Oversampling factor of the model.
    pub enum OversamplingChoice { X1 = "1x", X2 = "2x", X4 = "4x", X8 = "8x", X16 = "16x", X32 = "32x" }
}

/// The default oversampling factor: the lowest whose output stays within −60 dB of the 64×
/// f64 reference with +12 dB drive (see `ferrite_dsp::ring::DEFAULT_OVERSAMPLING_LOG2`).
pub const DEFAULT_OVERSAMPLING: OversamplingChoice = OversamplingChoice::from_log2(ferrite_dsp::ring::DEFAULT_OVERSAMPLING_LOG2);

#[derive(Params)]
pub struct RingParams {
    /// Circuit model or Parker's model.
    #[id = "model"]
    pub model: EnumParam<ModelChoice>,
    /// Carrier waveform, or the sidechain input.
    #[id = "carrier"]
    pub carrier: EnumParam<CarrierChoice>,
    /// Carrier frequency, Hz (smoothed in the log-frequency domain).
    #[id = "carrier_freq"]
    pub carrier_freq: FloatParam,
    /// Carrier level relative to 0.8 V peak, dB.
    #[id = "carrier_level"]
    pub carrier_level: FloatParam,
    /// Input gain into the circuit relative to 0.4 V per full scale, dB.
    #[id = "drive"]
    pub drive: FloatParam,
    /// Dry/wet, 0 (dry) to 1 (wet).
    #[id = "mix"]
    pub mix: FloatParam,
    /// Output gain, dB.
    #[id = "output"]
    pub output: FloatParam,
    /// Oversampling factor of the model.
    #[id = "oversampling"]
    pub oversampling: EnumParam<OversamplingChoice>,
    /// Whether the internal carrier follows the played note: once a note has been played, the
    /// carrier is the note's frequency (A4 = 440 Hz, the pitch wheel applied) times
    /// [`Self::carrier_ratio`], and [`Self::carrier_freq`] is not used; off (the default), it
    /// is [`Self::carrier_freq`] as without note input.
    #[id = "note_follow"]
    pub note_follow: BoolParam,
    /// The carrier's frequency over the note's when following notes, 0.25 to 16 (smoothed in the
    /// log-frequency domain).
    #[id = "carrier_ratio"]
    pub carrier_ratio: FloatParam,
    /// Portamento when following notes: the carrier moves to a new note linearly in pitch over
    /// this time, ms (0: at once).
    #[id = "carrier_glide"]
    pub carrier_glide: FloatParam,
    /// Pitch-wheel range when following notes, semitones for a full throw.
    #[id = "bend_range"]
    pub bend_range: IntParam,
    /// The editor window's size, kept with the project.
    #[persist = "editor-size"]
    pub editor_size: ferrite_editor::EditorSize,
    /// The last preset loaded or saved in the editor, so a project reopens showing it.
    #[persist = "preset"]
    pub preset: ferrite_editor::PresetName,
}

impl Default for RingParams {
    fn default() -> Self {
        Self {
            model: EnumParam::new("Model", ModelChoice::Circuit),
            carrier: EnumParam::new("Carrier", CarrierChoice::Sine),
            carrier_freq: FloatParam::new(
                "Carrier Freq",
                440.0,
                // Skewed so the middle of the knob is ~200 Hz across five decades.
                FloatRange::Skewed { min: 0.1, max: 10_000.0, factor: FloatRange::skew_factor(-2.5) },
            )
            .with_smoother(SmoothingStyle::Logarithmic(SMOOTHING_MS))
            .with_unit(" Hz")
            .with_value_to_string(formatters::v2s_f32_rounded(2))
            .with_string_to_value(parse_hz()),
            carrier_level: db_param("Carrier Level", 0.0, -36.0, 12.0),
            drive: db_param("Drive", 0.0, -24.0, 24.0),
            mix: fraction_param("Mix", 1.0),
            output: db_param("Output", 0.0, -36.0, 12.0),
            oversampling: EnumParam::new("Oversampling", DEFAULT_OVERSAMPLING),
            note_follow: BoolParam::new("Note Follow", false),
            carrier_ratio: FloatParam::new(
                "Carrier Ratio",
                1.0,
                // Skewed so 1 sits near the middle of the knob (0.25 … 16 is 2 octaves down, 4 up).
                FloatRange::Skewed { min: 0.25, max: 16.0, factor: FloatRange::skew_factor(-2.0) },
            )
            .with_smoother(SmoothingStyle::Logarithmic(SMOOTHING_MS))
            .with_unit(" ×")
            .with_value_to_string(formatters::v2s_f32_rounded(3))
            .with_string_to_value(parse_with_unit(&[("×", 1.0), ("x", 1.0)])),
            carrier_glide: FloatParam::new(
                "Carrier Glide",
                0.0,
                FloatRange::Skewed { min: 0.0, max: 2000.0, factor: FloatRange::skew_factor(-2.0) },
            )
            .with_unit(" ms")
            .with_value_to_string(formatters::v2s_f32_rounded(1))
            .with_string_to_value(parse_with_unit(&[("ms", 1.0), ("s", 1000.0)])),
            bend_range: bend_range_param(),
            editor_size: ferrite_editor::EditorSize::new(crate::editor::DEFAULT_SIZE, crate::editor::MIN_SIZE),
            preset: ferrite_editor::PresetName::default(),
        }
    }
}
