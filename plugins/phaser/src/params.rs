//! Ferrite Phaser's parameters: IDs, ranges, units and defaults (docs/interfaces.md, "Ferrite
//! Phaser").
//!
//! The sweep parameters (`freq`, `spread`, `q`, `feedback`, the LFO's depth, `mix`) are not
//! smoothed here: [`ferrite_dsp::phaser::Phaser`] smooths them itself at its control rate, in
//! the domain each one needs (log frequency for `freq` and `spread`), so coefficients are only
//! recomputed while something moves. Only `output` is smoothed by the plugin.

use std::sync::Arc;

use ferrite_editor::EditorSize;
use ferrite_plugin_common::params::{db_param, fraction_param, parse_hz};
use nice_plug::prelude::*;

/// The editor's default size, logical points.
pub const EDITOR_SIZE: (u32, u32) = (860, 580);
/// The smallest editor size, logical points.
pub const EDITOR_MIN_SIZE: (u32, u32) = (700, 580);

/// LFO waveform.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeChoice {
    #[id = "sine"]
    #[name = "Sine"]
    Sine,
    #[id = "triangle"]
    #[name = "Triangle"]
    Triangle,
    /// A smoothed square (continuous, so the notches glide between two positions).
    #[id = "square"]
    #[name = "Square"]
    Square,
    /// A rising saw with a short rounded return.
    #[id = "saw"]
    #[name = "Saw"]
    Saw,
}

/// LFO rate: free (`lfo_rate` in Hz) or a note value synced to the host tempo (`4/1` is four
/// bars of 4/4, `D` dotted, `T` triplet).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncChoice {
    #[id = "free"]
    #[name = "Free"]
    Free,
    #[id = "4/1"]
    #[name = "4/1"]
    Bars4,
    #[id = "2/1"]
    #[name = "2/1"]
    Bars2,
    #[id = "1/1"]
    #[name = "1/1"]
    Whole,
    #[id = "1/2"]
    #[name = "1/2"]
    Half,
    #[id = "1/2d"]
    #[name = "1/2D"]
    HalfDotted,
    #[id = "1/2t"]
    #[name = "1/2T"]
    HalfTriplet,
    #[id = "1/4"]
    #[name = "1/4"]
    Quarter,
    #[id = "1/4d"]
    #[name = "1/4D"]
    QuarterDotted,
    #[id = "1/4t"]
    #[name = "1/4T"]
    QuarterTriplet,
    #[id = "1/8"]
    #[name = "1/8"]
    Eighth,
    #[id = "1/8d"]
    #[name = "1/8D"]
    EighthDotted,
    #[id = "1/8t"]
    #[name = "1/8T"]
    EighthTriplet,
    #[id = "1/16"]
    #[name = "1/16"]
    Sixteenth,
    #[id = "1/16d"]
    #[name = "1/16D"]
    SixteenthDotted,
    #[id = "1/16t"]
    #[name = "1/16T"]
    SixteenthTriplet,
}

impl SyncChoice {
    /// Length of one LFO cycle in quarter-note beats, or `None` for the free rate.
    pub fn beats_per_cycle(self) -> Option<f64> {
        let (whole_notes, factor) = match self {
            Self::Free => return None,
            Self::Bars4 => (4.0, 1.0),
            Self::Bars2 => (2.0, 1.0),
            Self::Whole => (1.0, 1.0),
            Self::Half => (0.5, 1.0),
            Self::HalfDotted => (0.5, 1.5),
            Self::HalfTriplet => (0.5, 2.0 / 3.0),
            Self::Quarter => (0.25, 1.0),
            Self::QuarterDotted => (0.25, 1.5),
            Self::QuarterTriplet => (0.25, 2.0 / 3.0),
            Self::Eighth => (0.125, 1.0),
            Self::EighthDotted => (0.125, 1.5),
            Self::EighthTriplet => (0.125, 2.0 / 3.0),
            Self::Sixteenth => (0.0625, 1.0),
            Self::SixteenthDotted => (0.0625, 1.5),
            Self::SixteenthTriplet => (0.0625, 2.0 / 3.0),
        };
        Some(whole_notes * 4.0 * factor)
    }
}

#[derive(Params)]
pub struct PhaserParams {
    /// Number of second-order allpass stages (each adds one notch pair's worth of phase).
    #[id = "stages"]
    pub stages: IntParam,
    /// Centre of the first stage, Hz (the sweep's centre when the LFO runs).
    #[id = "freq"]
    pub freq: FloatParam,
    /// Ratio between adjacent stage centres.
    #[id = "spread"]
    pub spread: FloatParam,
    /// Quality of each stage: higher gives narrower notches.
    #[id = "q"]
    pub q: FloatParam,
    /// Feedback of the chain output into its input.
    #[id = "feedback"]
    pub feedback: FloatParam,
    /// Free-running LFO rate, Hz (used when `lfo_sync` is free).
    #[id = "lfo_rate"]
    pub lfo_rate: FloatParam,
    /// Tempo sync of the LFO (a note value), or free.
    #[id = "lfo_sync"]
    pub lfo_sync: EnumParam<SyncChoice>,
    /// Sweep depth in octaves either side of `freq` (0 = static notches: manual mode).
    #[id = "lfo_depth"]
    pub lfo_depth: FloatParam,
    /// LFO waveform.
    #[id = "lfo_shape"]
    pub lfo_shape: EnumParam<ShapeChoice>,
    /// Phase offset between the left and right LFOs, degrees.
    #[id = "stereo_phase"]
    pub stereo_phase: FloatParam,
    /// Dry/wet: 0.5 is the classic equal dry + wet notches, 1 the pure allpass (vibrato).
    #[id = "mix"]
    pub mix: FloatParam,
    /// Output gain, dB.
    #[id = "output"]
    pub output: FloatParam,
    /// The editor window's size, kept in the plugin state.
    #[persist = "editor-size"]
    pub editor_size: EditorSize,
    /// The last preset loaded or saved in the editor, so a project reopens showing it.
    #[persist = "preset"]
    pub preset: ferrite_editor::PresetName,
}

impl Default for PhaserParams {
    fn default() -> Self {
        Self {
            stages: IntParam::new("Stages", 8, IntRange::Linear { min: 1, max: 48 }),
            freq: FloatParam::new(
                "Freq",
                800.0,
                FloatRange::Skewed { min: 20.0, max: 20_000.0, factor: FloatRange::skew_factor(-2.0) },
            )
            .with_unit(" Hz")
            .with_value_to_string(formatters::v2s_f32_rounded(1))
            .with_string_to_value(parse_hz()),
            spread: FloatParam::new(
                "Spread",
                1.1,
                FloatRange::SymmetricalSkewed { min: 0.5, max: 2.0, factor: 1.0, center: 1.0 },
            )
            .with_unit(" ×")
            .with_step_size(0.001)
            .with_value_to_string(formatters::v2s_f32_rounded(3)),
            q: FloatParam::new("Q", 2.0, FloatRange::Skewed { min: 0.5, max: 100.0, factor: FloatRange::skew_factor(-2.0) })
                .with_value_to_string(formatters::v2s_f32_rounded(2)),
            feedback: FloatParam::new("Feedback", 0.0, FloatRange::Linear { min: -0.99, max: 0.99 })
                .with_step_size(0.01)
                .with_value_to_string(Arc::new(|v| format!("{:.0}%", v * 100.0)))
                .with_string_to_value(Arc::new(|s| {
                    s.trim().trim_end_matches('%').trim().parse::<f32>().ok().map(|v| v / 100.0)
                })),
            lfo_rate: FloatParam::new(
                "LFO Rate",
                0.5,
                FloatRange::Skewed { min: 0.01, max: 20.0, factor: FloatRange::skew_factor(-2.0) },
            )
            .with_unit(" Hz")
            .with_value_to_string(formatters::v2s_f32_rounded(3))
            .with_string_to_value(parse_hz()),
            lfo_sync: EnumParam::new("LFO Sync", SyncChoice::Free),
            lfo_depth: FloatParam::new("LFO Depth", 1.5, FloatRange::Linear { min: 0.0, max: 5.0 })
                .with_unit(" oct")
                .with_step_size(0.01)
                .with_value_to_string(formatters::v2s_f32_rounded(2)),
            lfo_shape: EnumParam::new("LFO Shape", ShapeChoice::Sine),
            stereo_phase: FloatParam::new("Stereo Phase", 90.0, FloatRange::Linear { min: 0.0, max: 360.0 })
                .with_unit("°")
                .with_step_size(1.0)
                .with_value_to_string(formatters::v2s_f32_rounded(0)),
            mix: fraction_param("Mix", 0.5),
            output: db_param("Output", 0.0, -36.0, 12.0),
            editor_size: EditorSize::new(EDITOR_SIZE, EDITOR_MIN_SIZE),
            preset: ferrite_editor::PresetName::default(),
        }
    }
}
