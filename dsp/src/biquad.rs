//! Second-order Butterworth high- and low-pass sections (Q = 1/√2), from R. Bristow-Johnson's
//! "Cookbook formulae for audio EQ biquad filter coefficients", in transposed direct form II,
//! for two channels with shared coefficients. Used for the reverb's low and high cut.

use crate::denormal::flush;

/// Which response a [`Biquad`] has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BiquadKind {
    /// Removes what lies below the corner.
    HighPass,
    /// Removes what lies above the corner.
    LowPass,
}

/// A stereo second-order Butterworth section.
#[derive(Clone, Copy, Debug)]
pub struct Biquad {
    /// High- or low-pass.
    kind: BiquadKind,
    /// Feed-forward coefficients.
    b: [f32; 3],
    /// Feedback coefficients (a1, a2; a0 normalised to 1).
    a: [f32; 2],
    /// The corner frequency the coefficients were computed for (NaN before the first `set`),
    /// so setting the same frequency again costs nothing.
    corner_hz: f32,
    /// State per channel (two channels).
    state: [[f32; 2]; 2],
}

impl Biquad {
    /// A section of `kind` with no corner set yet (it outputs silence until [`Biquad::set`]).
    pub fn new(kind: BiquadKind) -> Self {
        Self { kind, b: [0.0; 3], a: [0.0; 2], corner_hz: f32::NAN, state: [[0.0; 2]; 2] }
    }

    /// Set the corner to `hz` (non-finite: 1 kHz; clamped to 10 Hz … 0.45·`sample_rate`).
    /// The same value again costs nothing.
    pub fn set(&mut self, hz: f32, sample_rate: f32) {
        let hz = if hz.is_finite() { hz } else { 1_000.0 };
        if hz == self.corner_hz {
            return;
        }
        self.corner_hz = hz;
        let w = std::f32::consts::TAU * hz.clamp(10.0, 0.45 * sample_rate) / sample_rate;
        let (sin, cos) = w.sin_cos();
        let alpha = sin * std::f32::consts::FRAC_1_SQRT_2;
        let a0 = 1.0 + alpha;
        let (b0, b1) = match self.kind {
            BiquadKind::HighPass => ((1.0 + cos) / 2.0, -(1.0 + cos)),
            BiquadKind::LowPass => ((1.0 - cos) / 2.0, 1.0 - cos),
        };
        self.b = [b0 / a0, b1 / a0, b0 / a0];
        self.a = [-2.0 * cos / a0, (1.0 - alpha) / a0];
    }

    /// One sample of channel `ch` (0 or 1). A non-finite result (only reachable through
    /// non-finite coefficients) clears the state, so the filter can never stay stuck at NaN.
    #[inline(always)]
    pub fn tick(&mut self, ch: usize, x: f32) -> f32 {
        let s = &mut self.state[ch & 1];
        let y = self.b[0] * x + s[0];
        s[0] = flush(self.b[1] * x - self.a[0] * y + s[1]);
        s[1] = flush(self.b[2] * x - self.a[1] * y);
        if y.is_finite() {
            y
        } else {
            *s = [0.0; 2];
            0.0
        }
    }

    /// Clear the state.
    pub fn reset(&mut self) {
        self.state = [[0.0; 2]; 2];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |H(e^jω)| of the section, from its coefficients.
    fn magnitude(f: &Biquad, hz: f32, sample_rate: f32) -> f32 {
        let w = std::f64::consts::TAU * hz as f64 / sample_rate as f64;
        let z1 = (w.cos(), -w.sin());
        let z2 = ((2.0 * w).cos(), -(2.0 * w).sin());
        let num = (f.b[0] as f64 + f.b[1] as f64 * z1.0 + f.b[2] as f64 * z2.0, f.b[1] as f64 * z1.1 + f.b[2] as f64 * z2.1);
        let den = (1.0 + f.a[0] as f64 * z1.0 + f.a[1] as f64 * z2.0, f.a[0] as f64 * z1.1 + f.a[1] as f64 * z2.1);
        ((num.0 * num.0 + num.1 * num.1) / (den.0 * den.0 + den.1 * den.1)).sqrt() as f32
    }

    #[test]
    fn butterworth_sections_are_3_db_down_at_the_corner_and_flat_in_the_passband() {
        let sr = 48_000.0;
        for kind in [BiquadKind::HighPass, BiquadKind::LowPass] {
            let mut f = Biquad::new(kind);
            f.set(1_000.0, sr);
            let corner_db = 20.0 * magnitude(&f, 1_000.0, sr).log10();
            assert!((corner_db + 3.0103).abs() < 0.01, "{kind:?}: {corner_db} dB at the corner");
            let pass = if kind == BiquadKind::HighPass { 10_000.0 } else { 50.0 };
            let pass_db = 20.0 * magnitude(&f, pass, sr).log10();
            assert!(pass_db.abs() < 0.05, "{kind:?}: {pass_db} dB in the passband");
        }
    }

    #[test]
    fn the_filtered_signal_matches_the_magnitude_response() {
        // A 3 kHz sine through a 1 kHz low-pass: the steady-state amplitude is |H(3 kHz)|.
        let sr = 48_000.0;
        let mut f = Biquad::new(BiquadKind::LowPass);
        f.set(1_000.0, sr);
        let mut peak = 0f32;
        for i in 0..48_000 {
            let x = (std::f32::consts::TAU * 3_000.0 * i as f32 / sr).sin();
            let y = f.tick(0, x);
            if i > 24_000 {
                peak = peak.max(y.abs());
            }
        }
        let want = magnitude(&f, 3_000.0, sr);
        assert!((peak - want).abs() < 2e-3 * want + 1e-5, "{peak} vs {want}");
    }

    #[test]
    fn non_finite_input_never_sticks() {
        let mut f = Biquad::new(BiquadKind::HighPass);
        f.set(100.0, 48_000.0);
        assert_eq!(f.tick(1, f32::NAN), 0.0);
        assert!(f.tick(1, 0.5).is_finite());
        // Non-finite corner: 1 kHz.
        f.set(f32::INFINITY, 48_000.0);
        assert_eq!(f.corner_hz, 1_000.0);
    }
}
