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
