//! Second-order Butterworth high- and low-pass sections (Q = 1/√2), from R. Bristow-Johnson's
//! "Cookbook formulae for audio EQ biquad filter coefficients", in transposed direct form II,
//! for two channels with shared coefficients, computed side by side in two lanes of one
//! [`f32x4`] (lane 0 left, lane 1 right; each lane computes what scalar code would, bit for bit).
//! Used for the reverb's low and high cut.

use crate::simd::{f32x4, LaneOps};

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
    /// The two state values, each with the left channel in lane 0 and the right in lane 1
    /// (lanes 2 and 3 stay zero).
    state: [f32x4; 2],
}

impl Biquad {
    /// A section of `kind` with no corner set yet (it outputs silence until [`Biquad::set`]).
    pub fn new(kind: BiquadKind) -> Self {
        Self { kind, b: [0.0; 3], a: [0.0; 2], corner_hz: f32::NAN, state: [f32x4::ZERO; 2] }
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

    /// One stereo sample: `x` holds the left input in lane 0 and the right in lane 1, the result
    /// the outputs in the same lanes (lanes 2 and 3 give zero for zero input). A non-finite
    /// output (only reachable through non-finite or overflowing input) is replaced by zero and
    /// leaves zero state, so the filter can never stay stuck at NaN; subnormal state is flushed.
    #[inline(always)]
    pub(crate) fn tick(&mut self, x: f32x4) -> f32x4 {
        let [b0, b1, b2] = self.b.map(f32x4::splat);
        let [a1, a2] = self.a.map(f32x4::splat);
        let [s0, s1] = self.state;
        let y = b0 * x + s0;
        // The scalar section's order of operations (the golden renders hold the reverb to its
        // bits). `flush_denormals` also turns non-finite lanes into +0.
        self.state = [(b1 * x - a1 * y + s1).flush_denormals(), (b2 * x - a2 * y).flush_denormals()];
        y & y.finite_mask()
    }

    /// `first` then `second` over a stereo span, in place (the common length of `left` and
    /// `right`). The same as calling [`Self::tick`] on each in turn, sample by sample, but with
    /// the coefficients and the state in registers for the whole span instead of going through
    /// memory every sample.
    pub fn cascade(first: &mut Biquad, second: &mut Biquad, left: &mut [f32], right: &mut [f32]) {
        let (mut f, mut s) = (*first, *second);
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let [y_l, y_r, _, _] = s.tick(f.tick(f32x4::new([*l, *r, 0.0, 0.0]))).to_array();
            (*l, *r) = (y_l, y_r);
        }
        (first.state, second.state) = (f.state, s.state);
    }

    /// Clear the state.
    pub fn reset(&mut self) {
        self.state = [f32x4::ZERO; 2];
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
            let y = f.tick(f32x4::new([x, 0.0, 0.0, 0.0])).to_array()[0];
            if i > 24_000 {
                peak = peak.max(y.abs());
            }
        }
        let want = magnitude(&f, 3_000.0, sr);
        assert!((peak - want).abs() < 2e-3 * want + 1e-5, "{peak} vs {want}");
    }

    #[test]
    fn the_channels_are_independent_and_each_lane_is_the_scalar_recursion() {
        let sr = 48_000.0;
        for kind in [BiquadKind::HighPass, BiquadKind::LowPass] {
            let mut f = Biquad::new(kind);
            f.set(700.0, sr);
            let (b, a) = (f.b, f.a);
            let mut scalar = [[0f32; 2]; 2];
            for i in 0..2_000 {
                let x = [(i as f32 * 0.031).sin(), if i % 97 == 0 { 1.0 } else { 0.0 }];
                let y = f.tick(f32x4::new([x[0], x[1], 0.0, 0.0])).to_array();
                for ch in 0..2 {
                    // Transposed direct form II, one channel, as written in the cookbook.
                    let s = &mut scalar[ch];
                    let want = b[0] * x[ch] + s[0];
                    s[0] = crate::denormal::flush(b[1] * x[ch] - a[0] * want + s[1]);
                    s[1] = crate::denormal::flush(b[2] * x[ch] - a[1] * want);
                    assert_eq!(y[ch].to_bits(), want.to_bits(), "{kind:?}, channel {ch}, sample {i}");
                }
                assert_eq!([y[2], y[3]], [0.0, 0.0]);
            }
        }
    }

    #[test]
    fn a_cascade_over_a_span_is_the_two_sections_sample_by_sample() {
        let sr = 44_100.0;
        let (mut hp, mut lp) = (Biquad::new(BiquadKind::HighPass), Biquad::new(BiquadKind::LowPass));
        hp.set(120.0, sr);
        lp.set(6_000.0, sr);
        let (mut hp2, mut lp2) = (hp, lp);
        let mut left: Vec<f32> = (0..300).map(|i| ((i * 7919) % 201) as f32 / 100.0 - 1.0).collect();
        let mut right: Vec<f32> = (0..300).map(|i| (i as f32 * 0.2).cos()).collect();
        let want: Vec<[f32; 4]> =
            left.iter().zip(&right).map(|(&l, &r)| lp2.tick(hp2.tick(f32x4::new([l, r, 0.0, 0.0]))).to_array()).collect();
        // In uneven spans: the state carries over.
        let (mut done, mut len) = (0, 1);
        while done < left.len() {
            let end = (done + len).min(left.len());
            Biquad::cascade(&mut hp, &mut lp, &mut left[done..end], &mut right[done..end]);
            done = end;
            len = len * 3 + 1;
        }
        for (i, w) in want.iter().enumerate() {
            assert_eq!([left[i].to_bits(), right[i].to_bits()], [w[0].to_bits(), w[1].to_bits()], "sample {i}");
        }
        assert_eq!(hp.state.map(|v| v.to_array()), hp2.state.map(|v| v.to_array()));
        assert_eq!(lp.state.map(|v| v.to_array()), lp2.state.map(|v| v.to_array()));
    }

    #[test]
    fn non_finite_input_never_sticks() {
        let mut f = Biquad::new(BiquadKind::HighPass);
        f.set(100.0, 48_000.0);
        let y = f.tick(f32x4::new([0.25, f32::NAN, 0.0, 0.0])).to_array();
        assert!(y[0].is_finite() && y[0] != 0.0, "the left channel goes on: {y:?}");
        assert_eq!(y[1], 0.0);
        assert!(f.tick(f32x4::splat(0.5)).to_array().iter().all(|v| v.is_finite()));
        // Non-finite corner: 1 kHz.
        f.set(f32::INFINITY, 48_000.0);
        assert_eq!(f.corner_hz, 1_000.0);
    }
}
