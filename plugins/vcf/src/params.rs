//! Ferrite VCF's parameters: IDs, ranges, units, defaults and smoothing (docs/interfaces.md,
//! "Ferrite VCF").

use ferrite_editor::EditorSize;
use ferrite_plugin_common::params::{bend_range_param, db_param, fraction_param, key_param, parse_hz, SMOOTHING_MS};
use nice_plug::prelude::*;

/// The editor's default size (logical points).
pub const EDITOR_SIZE: (u32, u32) = (760, 480);
/// The editor's smallest size (logical points).
pub const EDITOR_MIN_SIZE: (u32, u32) = (600, 460);

ferrite_plugin_common::oversampling_choice! {
    /// Oversampling factor of the filter model.
    pub enum OversamplingChoice { X1 = "1x", X2 = "2x", X4 = "4x", X8 = "8x" }
}

#[derive(Params)]
pub struct VcfParams {
    /// Cutoff: the model's f0 in Hz, pre-warped so it is the same at every rate (docs/models.md,
    /// "VCS3 filter"); smoothed in the log-frequency domain so sweeps sound even.
    #[id = "cutoff"]
    pub cutoff: FloatParam,
    /// The model's feedback gain K, 0 to 10 (self-oscillation starts at K ≈ 4.85; see the README).
    #[id = "resonance"]
    pub resonance: FloatParam,
    /// Input gain into the model, dB (0 dB puts full scale at the model's nominal input level).
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
    /// Key tracking: how far the cutoff follows the played note, 0 to 1 (shown 0 to 100 %); at
    /// 1 the cutoff moves one octave per octave, around [`Self::key_ref`]. Glided by the engine
    /// (`KEY_GLIDE_MS`), so not smoothed here. 0 (the default) leaves the cutoff as set.
    #[id = "key_track"]
    pub key_track: FloatParam,
    /// The key at which tracking leaves the cutoff as set (MIDI key, 60 = C4, shown "60 key"; a
    /// note name can be typed); also what tracking assumes before any note is played.
    #[id = "key_ref"]
    pub key_ref: IntParam,
    /// Pitch-wheel range, semitones for a full throw: the cutoff moves by the bend whatever the
    /// key tracking (as a synth's filter follows its pitch wheel).
    #[id = "bend_range"]
    pub bend_range: IntParam,
    /// Note gate: the filter's output sounds only while a key is held (opening over
    /// `GATE_ATTACK_MS`, closing over `GATE_RELEASE_MS` after the last release), so a
    /// self-oscillating filter plays like a synth voice. The dry signal is not gated. Off (the
    /// default), notes never change the level.
    #[id = "note_gate"]
    pub note_gate: BoolParam,
    /// The editor window's size, kept in the plugin state.
    #[persist = "editor-size"]
    pub editor_size: EditorSize,
    /// The last preset loaded or saved in the editor, so a project reopens showing it.
    #[persist = "preset"]
    pub preset: ferrite_editor::PresetName,
}

impl Default for VcfParams {
    fn default() -> Self {
        Self {
            cutoff: FloatParam::new(
                "Cutoff",
                1000.0,
                // Skewed so the knob is close to logarithmic over the three decades.
                FloatRange::Skewed { min: 20.0, max: 20_000.0, factor: FloatRange::skew_factor(-2.0) },
            )
            .with_smoother(SmoothingStyle::Logarithmic(SMOOTHING_MS))
            .with_unit(" Hz")
            .with_value_to_string(formatters::v2s_f32_rounded(1))
            .with_string_to_value(parse_hz()),
            resonance: FloatParam::new("Resonance", 1.0, FloatRange::Linear { min: 0.0, max: 10.0 })
                .with_smoother(SmoothingStyle::Linear(SMOOTHING_MS))
                .with_step_size(0.01)
                .with_value_to_string(formatters::v2s_f32_rounded(2)),
            drive: db_param("Drive", 0.0, -24.0, 24.0),
            mix: fraction_param("Mix", 1.0),
            output: db_param("Output", 0.0, -36.0, 12.0),
            // 2x: the tanh stages' harmonics alias audibly at 1x with a hot input, and 2x costs
            // about twice 1x (README, benchmarks).
            oversampling: EnumParam::new("Oversampling", OversamplingChoice::X2),
            // The engine glides the cutoff factor this sets, so the parameter itself is not smoothed.
            key_track: fraction_param("Key Track", 0.0).with_smoother(SmoothingStyle::None),
            key_ref: key_param("Key Ref", 60),
            bend_range: bend_range_param(),
            note_gate: BoolParam::new("Note Gate", false),
            editor_size: EditorSize::new(EDITOR_SIZE, EDITOR_MIN_SIZE),
            preset: ferrite_editor::PresetName::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_parse_in_hz_and_khz_and_the_shown_text_round_trips() {
        let parse_hz = parse_hz();
        for (text, hz) in [("440", 440.0), ("1000.0 Hz", 1000.0), ("2 kHz", 2000.0), ("2kHz", 2000.0), (" 2.5 K ", 2500.0), ("15k", 15_000.0), ("20 hz", 20.0)] {
            assert_eq!(parse_hz(text), Some(hz), "{text}");
        }
        for text in ["", "k", "loud", "2 MHz", "inf", "NaN Hz"] {
            assert_eq!(parse_hz(text), None, "{text}");
        }
        let p = VcfParams::default();
        for plain in [20.0f32, 1000.0, 12_345.6, 20_000.0] {
            let n = p.cutoff.preview_normalized(plain);
            let text = p.cutoff.normalized_value_to_string(n, true);
            let back = p.cutoff.string_to_normalized_value(&text).unwrap();
            assert!((p.cutoff.preview_plain(back) - plain).abs() < 0.05, "{text}");
        }
    }
}
