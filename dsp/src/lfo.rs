//! A low-frequency oscillator for modulation effects (the phaser's sweep, and any later chorus,
//! flanger or tremolo), evaluated at a control rate.
//!
//! Phase φ is kept in cycles, in [0, 1), as an `f64` (a 20 Hz LFO at 192 kHz advances by
//! 1.04·10⁻⁴ cycle per sample; in `f64` a day of running loses no audible precision). Every shape
//! is 0 and rising at φ = 0 and reaches +1 in the first half cycle (at φ = ¼ except the saw, at
//! 7/16), so shapes can be switched and a phase offset means the same thing for all of them:
//!
//! - [`LfoShape::Sine`]: sin(2πφ), from an odd degree-9 polynomial ([`sin_poly`]).
//! - [`LfoShape::Triangle`]: 4φ, 2 − 4φ, 4φ − 4 on the quarters.
//! - [`LfoShape::Square`]: a smooth square, P(3·sin 2πφ) with P(v) = v(27 + v²)/(27 + 9v²), the
//!   [3/2] Padé approximant of tanh, which reaches exactly ±1 with zero slope at v = ±3: a flat
//!   top without a step, so the swept notches glide from one end to the other.
//! - [`LfoShape::Saw`]: rises linearly over 7/8 of the cycle and returns along a half cosine over
//!   the remaining 1/8: continuous, so nothing it modulates ever jumps.
//!
//! Tempo sync ([`Lfo::set_phase`]): the host transport gives the phase the LFO should have. A
//! small error (up to [`SYNC_SNAP_CYCLES`]) is removed smoothly, exponentially with time constant
//! [`SYNC_TIME_CONSTANT_S`] (the LFO briefly runs a little fast or slow, which is inaudible); a
//! larger one means the transport was relocated and the phase snaps. A shape change crossfades
//! the old shape into the new one over [`SHAPE_FADE_S`].
//!
//! The oscillator is meant to be read every few dozen samples (the phaser reads it every 32):
//! [`Lfo::advance`] moves it by any number of samples at once and [`Lfo::value_at`] evaluates it
//! at an offset (the stereo phase), so it costs nothing per sample.

/// The fastest rate the phaser accepts, Hz. Faster than any musical sweep (a 1/32 note at
/// 150 BPM is 20 Hz) and still 34 control points per cycle at 22.05 kHz with a 32-sample
/// control period.
pub const MAX_LFO_RATE_HZ: f32 = 20.0;

/// A sync error larger than this (cycles, i.e. 45°) is a transport relocation: the phase snaps.
/// Smaller errors (host jitter, tempo ramps, rounding of the position) are corrected smoothly.
pub const SYNC_SNAP_CYCLES: f64 = 0.125;

/// Time constant of the smooth sync correction, seconds: short enough that the LFO locks to the
/// transport within a beat, long enough that the correction is a slight, inaudible change of
/// rate rather than a jump.
pub const SYNC_TIME_CONSTANT_S: f64 = 0.05;

/// Duration of the crossfade between the old and the new shape, seconds (the same ~20 ms as the
/// phaser's parameter smoothing).
pub const SHAPE_FADE_S: f64 = 0.02;

/// Coefficients of sin(x) ≈ x·(c₀ + c₁x² + c₂x⁴ + c₃x⁶ + c₄x⁸) on [−π/2, π/2]: Chebyshev-node
/// interpolation of sin(x)/x in x² (near-minimax; fitted for this crate). Relative error
/// ≤ 6.7·10⁻⁹ in exact arithmetic, ≤ 1.5·10⁻⁷ evaluated in `f32` (checked by a unit test).
#[allow(clippy::excessive_precision)] // the fitted f64 values, rounded to f32 at compile time
pub(crate) const SIN_COEFFS: [f32; 5] = [
    0.999_999_995_698_809_2,
    -0.166_666_579_478_460_1,
    0.008_333_050_170_671_89,
    -0.000_198_090_174_086_856_15,
    2.605_107_635_344_975_5e-6,
];

/// sin(x) for x in [−π/2, π/2] (odd polynomial, relative error ≤ 1.5·10⁻⁷ in `f32`). Plain
/// arithmetic, so LLVM vectorises it when it is applied to the lanes of an array.
#[inline(always)]
pub fn sin_poly(x: f32) -> f32 {
    let x2 = x * x;
    let p = SIN_COEFFS[4];
    let p = p * x2 + SIN_COEFFS[3];
    let p = p * x2 + SIN_COEFFS[2];
    let p = p * x2 + SIN_COEFFS[1];
    let p = p * x2 + SIN_COEFFS[0];
    x * p
}

/// sin(2πφ) for any phase in cycles (reduced to [−¼, ¼] by the sine's symmetries first).
#[inline]
pub fn sin_cycles(phase: f64) -> f32 {
    let t = wrap01(phase);
    // sin(2πt) = sin(2πt) on [0, ¼), sin(π − 2πt) on [¼, ¾), sin(2πt − 2π) on [¾, 1).
    let reduced = if t < 0.25 {
        t
    } else if t < 0.75 {
        0.5 - t
    } else {
        t - 1.0
    };
    sin_poly((core::f64::consts::TAU * reduced) as f32)
}

/// `x` wrapped into [0, 1). Non-finite input gives 0.
#[inline]
pub fn wrap01(x: f64) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    let w = x - x.floor();
    // x − floor(x) can round up to exactly 1.0 for tiny negative x.
    if w >= 1.0 {
        0.0
    } else {
        w
    }
}

/// `x` wrapped into [−½, ½): the shortest signed distance between two phases.
#[inline]
fn wrap_half(x: f64) -> f64 {
    wrap01(x + 0.5) - 0.5
}

/// The LFO waveforms. All are 0 and rising at phase 0, reach +1 in the first half, continuous.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LfoShape {
    /// sin(2πφ).
    #[default]
    Sine,
    /// Linear up and down.
    Triangle,
    /// Smooth square: flat tops joined by sine-like transitions (no step).
    Square,
    /// Rising ramp with a short (1/8 cycle) half-cosine return instead of a step.
    Saw,
}

/// Fraction of the saw's cycle spent on the return.
const SAW_RETURN: f64 = 0.125;

impl LfoShape {
    /// The waveform at `phase` (cycles; any value, wrapped), in [−1, 1].
    pub fn value(self, phase: f64) -> f32 {
        let t = wrap01(phase);
        match self {
            // The polynomial can exceed 1 by an ulp.
            LfoShape::Sine => sin_cycles(t).clamp(-1.0, 1.0),
            LfoShape::Triangle => {
                let v = if t < 0.25 {
                    4.0 * t
                } else if t < 0.75 {
                    2.0 - 4.0 * t
                } else {
                    4.0 * t - 4.0
                };
                v as f32
            }
            LfoShape::Square => {
                let v = 3.0 * sin_cycles(t);
                // [3/2] Padé approximant of tanh: exactly ±1 with zero slope at v = ±3.
                (v * (27.0 + v * v) / (27.0 + 9.0 * v * v)).clamp(-1.0, 1.0)
            }
            LfoShape::Saw => {
                let rise = 1.0 - SAW_RETURN;
                // Shifted so that the ramp crosses 0 (rising) at phase 0.
                let u = wrap01(t + 0.5 * rise);
                if u < rise {
                    (-1.0 + 2.0 * u / rise) as f32
                } else {
                    // cos(πs) for s from 0 to 1, via sin(π/2 − πs) with the argument in [−π/2, π/2].
                    let s = (u - rise) / SAW_RETURN;
                    sin_poly((core::f64::consts::PI * (0.5 - s)) as f32).clamp(-1.0, 1.0)
                }
            }
        }
    }
}

/// A control-rate LFO with tempo sync and declicked shape changes.
#[derive(Clone, Debug)]
pub struct Lfo {
    /// Sample rate, Hz: converts the rate to cycles per sample and times the fades.
    sample_rate: f64,
    /// Rate, Hz (0 stops the oscillator where it is).
    rate_hz: f64,
    /// Phase, cycles, in [0, 1).
    phase: f64,
    /// Sync correction not yet applied, cycles (removed exponentially by `advance`).
    pending: f64,
    /// The current shape.
    shape: LfoShape,
    /// The shape being faded out after a change.
    previous_shape: LfoShape,
    /// Samples left in the shape crossfade (0: no fade).
    fade_left: u32,
    /// Length of a shape crossfade, samples.
    fade_len: u32,
    /// Sample count for which `alpha` was computed (the phaser always advances by the same count,
    /// so the `exp` runs once).
    alpha_samples: u32,
    /// Fraction of the pending sync correction applied per `advance(alpha_samples)`.
    alpha: f64,
}

impl Lfo {
    /// A sine LFO at rest (rate 0, phase 0) for `sample_rate` Hz.
    pub fn new(sample_rate: f32) -> Self {
        let mut lfo = Self {
            sample_rate: 48_000.0,
            rate_hz: 0.0,
            phase: 0.0,
            pending: 0.0,
            shape: LfoShape::Sine,
            previous_shape: LfoShape::Sine,
            fade_left: 0,
            fade_len: 1,
            alpha_samples: 0,
            alpha: 0.0,
        };
        lfo.set_sample_rate(sample_rate);
        lfo
    }

    /// Change the sample rate (phase and rate are kept).
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        let sr = if sample_rate.is_finite() && sample_rate > 0.0 { sample_rate as f64 } else { 48_000.0 };
        self.sample_rate = sr;
        self.fade_len = ((SHAPE_FADE_S * sr).round() as u32).max(1);
        self.fade_left = self.fade_left.min(self.fade_len);
        // Forces `advance` to recompute the sync correction factor for the new rate.
        self.alpha_samples = 0;
    }

    /// Rate in Hz, clamped to [0, [`MAX_LFO_RATE_HZ`]] (NaN is ignored). Changing the rate never
    /// moves the phase, so it needs no smoothing.
    pub fn set_rate_hz(&mut self, rate_hz: f32) {
        if !rate_hz.is_nan() {
            self.rate_hz = rate_hz.clamp(0.0, MAX_LFO_RATE_HZ) as f64;
        }
    }

    /// The rate in Hz.
    pub fn rate_hz(&self) -> f32 {
        self.rate_hz as f32
    }

    /// Select the shape; the old one crossfades into the new one over [`SHAPE_FADE_S`].
    pub fn set_shape(&mut self, shape: LfoShape) {
        if shape != self.shape {
            self.previous_shape = self.shape;
            self.shape = shape;
            self.fade_left = self.fade_len;
        }
    }

    /// The current shape.
    pub fn shape(&self) -> LfoShape {
        self.shape
    }

    /// The phase in cycles, [0, 1).
    pub fn phase(&self) -> f64 {
        self.phase
    }

    /// Set the phase at once (on reset, or to start at a chosen point); cancels any sync
    /// correction and shape fade.
    pub fn reset_phase(&mut self, phase_cycles: f64) {
        self.phase = wrap01(phase_cycles);
        self.pending = 0.0;
        self.fade_left = 0;
    }

    /// Tempo sync: the phase the LFO should have now. An error up to [`SYNC_SNAP_CYCLES`] is
    /// removed smoothly by the following `advance` calls; a larger one (transport relocation)
    /// snaps. Non-finite input is ignored.
    pub fn set_phase(&mut self, phase_cycles: f64) {
        if !phase_cycles.is_finite() {
            return;
        }
        let error = wrap_half(phase_cycles - (self.phase + self.pending));
        if error.abs() > SYNC_SNAP_CYCLES {
            self.phase = wrap01(phase_cycles);
            self.pending = 0.0;
        } else {
            self.pending += error;
        }
    }

    /// Move the oscillator forward by `samples` samples (and the sync correction and shape fade
    /// with it). O(1) whatever the count.
    pub fn advance(&mut self, samples: u32) {
        let n = samples as f64;
        let mut phase = self.phase + self.rate_hz / self.sample_rate * n;
        if self.pending != 0.0 {
            if samples != self.alpha_samples {
                self.alpha_samples = samples;
                self.alpha = 1.0 - (-n / (SYNC_TIME_CONSTANT_S * self.sample_rate)).exp();
            }
            let step = self.pending * self.alpha;
            phase += step;
            self.pending -= step;
            // Below a nanocycle the rest is applied at once, so the correction ends.
            if self.pending.abs() < 1e-9 {
                phase += self.pending;
                self.pending = 0.0;
            }
        }
        self.phase = wrap01(phase);
        self.fade_left = self.fade_left.saturating_sub(samples);
    }

    /// The LFO output at the current phase plus `offset_cycles`, in [−1, 1] (during a shape
    /// change, the linear crossfade of both shapes).
    pub fn value_at(&self, offset_cycles: f64) -> f32 {
        let phase = self.phase + offset_cycles;
        let v = self.shape.value(phase);
        if self.fade_left == 0 {
            return v;
        }
        let old = self.previous_shape.value(phase);
        let g = self.fade_left as f32 / self.fade_len as f32;
        v + g * (old - v)
    }

    /// Left and right outputs for a stereo offset of `offset_deg` degrees (the right channel
    /// leads by that much).
    pub fn stereo_values(&self, offset_deg: f64) -> (f32, f32) {
        (self.value(), self.value_at(offset_deg / 360.0))
    }

    /// The LFO output at the current phase.
    pub fn value(&self) -> f32 {
        self.value_at(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPES: [LfoShape; 4] = [LfoShape::Sine, LfoShape::Triangle, LfoShape::Square, LfoShape::Saw];

    #[test]
    fn sine_polynomial_is_within_its_documented_relative_error() {
        let mut worst = 0.0f64;
        for i in 1..=200_000 {
            let x = (core::f64::consts::FRAC_PI_2 * i as f64 / 200_000.0) as f32;
            for x in [x, -x] {
                let exact = (x as f64).sin();
                worst = worst.max(((sin_poly(x) as f64 - exact) / exact).abs());
            }
        }
        assert!(worst <= 1.5e-7, "relative error {worst:e}");
        // And the full-cycle version against std.
        let mut worst_abs = 0.0f64;
        for i in 0..10_000 {
            let p = i as f64 / 10_000.0 * 3.0 - 1.0;
            worst_abs = worst_abs.max((sin_cycles(p) as f64 - (core::f64::consts::TAU * p).sin()).abs());
        }
        assert!(worst_abs <= 2e-7, "absolute error {worst_abs:e}");
    }

    #[test]
    fn every_shape_is_bounded_continuous_zero_and_rising_at_phase_zero_and_positive_in_the_first_half() {
        // Steepest slope of each shape, per cycle: sine 2π, triangle 4, smooth square
        // P'(0)·3·2π = 6π, saw's half-cosine return π/(1/8) = 8π.
        let pi = core::f32::consts::PI;
        for (shape, slope) in SHAPES.into_iter().zip([2.0 * pi, 4.0, 6.0 * pi, 8.0 * pi]) {
            assert!(shape.value(0.0).abs() < 1e-6, "{shape:?}");
            assert!(shape.value(0.01) > 0.0 && shape.value(-0.01) < 0.0, "{shape:?}");
            assert!((1..50).any(|i| shape.value(i as f64 / 100.0) > 0.99), "{shape:?} peaks in the first half");
            let n = 100_000;
            let mut prev = shape.value(0.0);
            let (mut lo, mut hi) = (0.0f32, 0.0f32);
            let mut max_step = 0.0f32;
            for i in 1..=n {
                let v = shape.value(i as f64 / n as f64);
                assert!(v.abs() <= 1.0, "{shape:?} {v}");
                max_step = max_step.max((v - prev).abs());
                lo = lo.min(v);
                hi = hi.max(v);
                prev = v;
            }
            assert!(lo < -0.999 && hi > 0.999, "{shape:?} spans [-1, 1]: {lo} {hi}");
            // Plus two f32 ulps of the values.
            assert!(max_step <= slope / n as f32 + 2.4e-7, "{shape:?} jumps: {max_step}");
        }
    }

    #[test]
    fn advances_at_the_configured_rate_in_any_step_size() {
        let mut a = Lfo::new(48_000.0);
        let mut b = Lfo::new(48_000.0);
        a.set_rate_hz(3.0);
        b.set_rate_hz(3.0);
        for _ in 0..48_000 {
            a.advance(1);
        }
        for _ in 0..1500 {
            b.advance(32);
        }
        // 3 Hz for one second: back to phase 0.
        assert!(wrap_half(a.phase()).abs() < 1e-9, "{}", a.phase());
        assert!(wrap_half(b.phase()).abs() < 1e-9, "{}", b.phase());
        a.advance(4_000);
        assert!((a.phase() - 0.25).abs() < 1e-9);
        assert!((a.value() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn small_sync_errors_are_corrected_smoothly_and_large_ones_snap() {
        let sr = 48_000.0;
        let mut lfo = Lfo::new(sr as f32);
        lfo.set_rate_hz(2.0);
        // Transport 0.05 cycles ahead: corrected over ~50 ms (locked to 0.05·e⁻¹⁰ after 0.5 s),
        // never by more than the exponential allows per step.
        let mut transport = 0.05f64;
        let step = 32u32;
        let mut max_jump = 0.0f64;
        let mut last = lfo.phase();
        for _ in 0..(0.5 * sr / step as f64) as usize {
            lfo.set_phase(transport);
            lfo.advance(step);
            transport += 2.0 * step as f64 / sr;
            let nominal = 2.0 * step as f64 / sr;
            max_jump = max_jump.max(wrap_half(lfo.phase() - last) - nominal);
            last = lfo.phase();
        }
        let alpha = 1.0 - (-(step as f64) / (SYNC_TIME_CONSTANT_S * sr)).exp();
        assert!(max_jump <= 0.05 * alpha + 1e-9, "correction per step {max_jump} > {}", 0.05 * alpha);
        assert!(wrap_half(lfo.phase() - transport).abs() < 1e-4, "locked: {} vs {transport}", lfo.phase());
        // A relocation by 0.4 cycle snaps at once.
        lfo.set_phase(0.9);
        assert!((lfo.phase() - 0.9).abs() < 1e-12);
    }

    #[test]
    fn a_shape_change_crossfades_instead_of_jumping() {
        let mut lfo = Lfo::new(48_000.0);
        lfo.set_rate_hz(1.0);
        lfo.advance(9_000); // phase 0.1875: sine 0.924, square ~1, triangle 0.75
        lfo.set_shape(LfoShape::Triangle);
        let start = lfo.value();
        assert!((start - LfoShape::Sine.value(lfo.phase())).abs() < 1e-6, "starts at the old shape");
        let mut prev = start;
        for _ in 0..40 {
            lfo.advance(32);
            let v = lfo.value();
            assert!((v - prev).abs() < 0.03, "{prev} -> {v}");
            prev = v;
        }
        assert_eq!(lfo.value(), LfoShape::Triangle.value(lfo.phase()), "fade over after 20 ms");
    }
}
