//! Parameter building blocks every Ferrite plugin uses the same way: dB gains, the dry/wet mix,
//! their smoothing time, and filling per-sample buffers from a smoother.

use std::sync::Arc;

use nice_plug::prelude::*;

/// Smoothing time of continuous parameters: long enough that automating them never zippers,
/// short enough to feel immediate.
pub const SMOOTHING_MS: f32 = 20.0;

/// A dB parameter smoothed linearly in dB (perceptually even) and shown with one decimal.
pub fn db_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_smoother(SmoothingStyle::Linear(SMOOTHING_MS))
        .with_step_size(0.1)
        .with_unit(" dB")
        .with_value_to_string(formatters::v2s_f32_rounded(1))
}

/// A 0-to-1 parameter shown as a percentage in hosts (the plain value, used on the command line
/// and in presets, stays 0 to 1 as docs/interfaces.md, "Parameters" fixes it), smoothed linearly.
pub fn fraction_param(name: &str, default: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min: 0.0, max: 1.0 })
        .with_smoother(SmoothingStyle::Linear(SMOOTHING_MS))
        .with_value_to_string(Arc::new(|v| format!("{:.0}%", v * 100.0)))
        .with_string_to_value(Arc::new(|s| s.trim().trim_end_matches('%').trim().parse::<f32>().ok().map(|v| v / 100.0)))
}

/// Fill `out` with the parameter's smoothed values mapped through `map`, calling `map` once per
/// sample while the smoother moves and once per block otherwise (so dB-to-gain and similar
/// conversions cost nothing while a knob rests).
pub fn fill_mapped(param: &FloatParam, out: &mut [f32], map: impl Fn(f32) -> f32) {
    if param.smoothed.is_smoothing() {
        param.smoothed.next_block(out, out.len());
        for v in out.iter_mut() {
            *v = map(*v);
        }
    } else {
        out.fill(map(param.smoothed.next()));
    }
}

/// Non-finite samples become silence; finite ones are clamped to ±`limit`. Every plugin runs
/// its input through this before its model, so no model ever sees NaN, infinities or absurd
/// values.
#[inline(always)]
pub fn sanitize(x: f32, limit: f32) -> f32 {
    if x.is_finite() {
        x.clamp(-limit, limit)
    } else {
        0.0
    }
}

/// Input samples are clamped to ±16 (+24 dBFS) before a model sees them: nothing musical is
/// that loud, and it bounds how hard any model's solver can be pushed.
pub const INPUT_LIMIT: f32 = 16.0;
