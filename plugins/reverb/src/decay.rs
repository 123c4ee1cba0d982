//! Reverberation time against frequency for the decay plot, computed from the models' published
//! equations (dsp/src/reverb/{freeverb,hall,plate}.rs module docs; the constants below are
//! copied from there, and the editor tests check the result against the numbers the reverb
//! theory tests use). Computed here rather than read from the models, so the editor does not
//! build delay networks; a change of a model's tuning must be mirrored here (the tests catch a
//! change of the designed decay times).

use ferrite_dsp::reverb::ReverbSettings;

/// |H(e^jω)| of the one-pole low-pass `y[n] = (1 − p)·x[n] + p·y[n−1]` (DC gain 1), the damping
/// filter in every model's loop.
pub fn one_pole_gain(pole: f64, omega: f64) -> f64 {
    (1.0 - pole) / (1.0 - 2.0 * pole * omega.cos() + pole * pole).max(f64::MIN_POSITIVE).sqrt()
}

/// Decay rate (dB/s) of a loop passing `gain` per `loop_samples` samples at `fs`.
pub fn loop_rate(gain: f64, loop_samples: f64, fs: f64) -> f64 {
    if !(gain > 0.0) {
        return f64::INFINITY;
    }
    (-20.0 * gain.log10() * fs / loop_samples.max(1.0)).max(0.0)
}

/// RT60 (s) of a decay of `rate` dB/s (infinite for 0).
pub fn rt60(rate: f64) -> f64 {
    if rate > 0.0 { 60.0 / rate } else { f64::INFINITY }
}

/// The models clamp the rate like this.
fn model_rate(sample_rate: f32) -> f64 {
    if sample_rate.is_finite() { sample_rate.clamp(8_000.0, 768_000.0) as f64 } else { 48_000.0 }
}

/// Freeverb: each of the 16 combs (Jezar's tunings at 44.1 kHz, the right ones 23 samples
/// longer, scaled to the rate) passes `g·|LP(f)|` per round trip of `D` samples, with
/// `g = 0.28·size + 0.7` and the damping pole `(0.4·damping)^(44100/fs)`; the tail is the sum of
/// the combs, so their decay rates are averaged. `decay` does not exist in Freeverb.
pub fn freeverb(s: &ReverbSettings, sample_rate: f32, freq: f32) -> f32 {
    const COMB_TUNING: [usize; 8] = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617];
    const STEREO_SPREAD: usize = 23;
    let s = s.sanitized();
    if s.freeze {
        return f32::INFINITY;
    }
    let fs = model_rate(sample_rate);
    let ratio = fs / 44_100.0;
    let pole32 = s.damping * 0.4;
    let pole = if fs == 44_100.0 { pole32 as f64 } else { (pole32 as f64).powf(44_100.0 / fs) };
    let g = (s.size * 0.28 + 0.7) as f64;
    let omega = core::f64::consts::TAU * freq as f64 / fs;
    let gain = g * one_pole_gain(pole, omega);
    let rates = COMB_TUNING.iter().flat_map(|&d| [d, d + STEREO_SPREAD]).map(|d| {
        let len = ((d as f64 * ratio).round()).max(1.0);
        loop_rate(gain, len, fs)
    });
    rt60(rates.sum::<f64>() / 16.0) as f32
}

/// The FDN hall: each of the 8 lines (main delay `L_k` scaled by `0.5 + size`, diffuser `M_k`)
/// loses exactly `10^(−3·(L+M)/(T·fs))` per pass at mid frequencies (`T = decay`), and its
/// low-pass, solved so that the loss at 5 kHz is that of `T·(1 − 0.9·damping)` (the extra loss
/// per pass floored at −34 dB), takes `|LP(f)|` more; the lines' rates are averaged.
pub fn hall(s: &ReverbSettings, sample_rate: f32, freq: f32) -> f32 {
    const LINE_BASE: [usize; 8] = [1423, 1693, 1999, 2371, 2729, 3137, 3571, 4111];
    const LINE_ALLPASS: [usize; 8] = [431, 641, 293, 571, 227, 701, 359, 503];
    let s = s.sanitized();
    if s.freeze {
        return f32::INFINITY;
    }
    let fs = model_rate(sample_rate);
    let ratio = fs / 44_100.0;
    let size_factor = (0.5 + s.size) as f64;
    let cos_hi = (core::f64::consts::TAU * 5_000.0 / fs).cos();
    let omega = core::f64::consts::TAU * freq as f64 / fs;
    let t = s.decay_s as f64;
    let rates = (0..8).map(|k| {
        let target = (LINE_BASE[k] as f64 * size_factor * ratio).round().max(2.0);
        let m = ((LINE_ALLPASS[k] as f64 * ratio).round()).max(2.0);
        let gain = |rt: f64| 10f64.powf(-3.0 * (target + m) / (rt * fs) + 3.0 * m / (t * fs));
        let g_mid = gain(t);
        let rho = (gain(t * (1.0 - 0.9 * s.damping as f64)) / g_mid).max(0.02);
        let pole = if rho >= 1.0 - 1e-9 {
            0.0
        } else {
            let r2 = rho * rho;
            let b = (1.0 - r2 * cos_hi) / (1.0 - r2);
            ((b - (b * b - 1.0).max(0.0).sqrt()) as f32).min(0.9999) as f64
        };
        let loop_gain = 10f64.powf(-3.0 * (target + m) / (t * fs)) * one_pole_gain(pole, omega);
        loop_rate(loop_gain, target + m, fs)
    });
    rt60(rates.sum::<f64>() / 8.0) as f32
}

/// Dattorro's plate: one round trip of the figure-8 (`S` samples: the four tank delays scaled by
/// `0.75 + 0.5·size`, the two modulated and two decay-diffusion allpasses) loses exactly `γ^S`
/// (`γ` the per-sample decay of `T = decay`) and passes the damping one-pole (pole
/// `(0.9·damping)^(29761/fs)`) twice.
pub fn plate(s: &ReverbSettings, sample_rate: f32, freq: f32) -> f32 {
    const TANK_DELAY: [usize; 4] = [4453, 3720, 4217, 3163];
    const TANK_ALLPASS: [usize; 4] = [672, 908, 1800, 2656];
    let s = s.sanitized();
    if s.freeze {
        return f32::INFINITY;
    }
    let fs = model_rate(sample_rate);
    let ratio = fs / 29_761.0;
    let size_factor = (0.75 + 0.5 * s.size) as f64;
    let loop_samples = TANK_DELAY.iter().map(|&d| (d as f64 * size_factor * ratio).round()).sum::<f64>()
        + TANK_ALLPASS.iter().map(|&d| (d as f64 * ratio).round().max(2.0)).sum::<f64>();
    let pole = (0.9 * s.damping as f64).powf(29_761.0 / fs);
    let omega = core::f64::consts::TAU * freq as f64 / fs;
    let lp = one_pole_gain(pole, omega);
    rt60(60.0 / s.decay_s as f64 + loop_rate(lp * lp, loop_samples, fs)) as f32
}
