//! Ferrite VCF's parameters: IDs, ranges, units, defaults and smoothing (docs/interfaces.md,
//! "Ferrite VCF").

use ferrite_plugin_common::params::{db_param, fraction_param, SMOOTHING_MS};
use nice_plug::prelude::*;

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
            .with_value_to_string(formatters::v2s_f32_rounded(1)),
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
        }
    }
}
