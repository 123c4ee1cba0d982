//! Parker's static diode ring modulator: J. Parker, "A Simple Digital Model of the Diode-Based
//! Ring-Modulator", Proc. DAFx-11, Paris, 2011 (the model in Surge XT and SuperCollider's
//! `DiodeRingMod`).
//!
//! Each diode is a memoryless piecewise polynomial of its voltage:
//!
//! ```text
//! f(v) = 0                                             v ≤ v_b
//!      = h (v − v_b)² / (2 v_l − 2 v_b)                v_b < v ≤ v_l
//!      = h v − h v_l + h (v_l − v_b)² / (2 v_l − 2 v_b)  v > v_l
//! out  = [f(c + m/2) + f(−c − m/2)] − [f(c − m/2) + f(−c + m/2)]
//! ```
//! with carrier `c` and modulator `m` in volts. Parker's defaults: `v_b = 0.2`, `v_l = 0.6`,
//! `h = 1` (others use `v_l = 0.4`). `f` is C¹, so the output has a discontinuous second
//! derivative and the spectrum falls off slowly: it is run oversampled.
//!
//! Symmetries (tested): swapping `m → −m` swaps the two brackets, so the output is odd in `m`;
//! `c → −c` does the same, so it is odd in `c`. Hence no carrier or modulator leaks through and
//! only `p·f_m + q·f_c` with both `p`, `q` odd appear. For `|c| > v_l + |m|/2` the active diodes
//! are all in their linear region and `out = h·m·sign(c)`: an ideal switching modulator.

/// Parker's diode network with its three shape parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParkerRing {
    /// Diode threshold (bias) voltage v_b: below it the diode does not conduct.
    v_b: f32,
    /// Voltage v_l where the quadratic knee becomes linear.
    v_l: f32,
    /// Slope h of the linear region.
    h: f32,
    /// `h / (2 v_l − 2 v_b)`: the knee's quadratic coefficient, precomputed.
    knee: f32,
    /// `h (v_l − v_b)² / (2 v_l − 2 v_b) − h v_l`: the linear region's offset, precomputed.
    offset: f32,
}

impl Default for ParkerRing {
    fn default() -> Self {
        // Parker's own defaults (DAFx-11).
        Self::new(0.2, 0.6, 1.0)
    }
}

impl ParkerRing {
    /// A network with threshold `v_b`, knee end `v_l > v_b` and slope `h`.
    pub fn new(v_b: f32, v_l: f32, h: f32) -> Self {
        let v_l = v_l.max(v_b + 1e-3);
        let knee = h / (2.0 * v_l - 2.0 * v_b);
        let offset = knee * (v_l - v_b) * (v_l - v_b) - h * v_l;
        Self { v_b, v_l, h, knee, offset }
    }

    /// The diode law f(v).
    #[inline(always)]
    pub fn diode(&self, v: f32) -> f32 {
        if v <= self.v_b {
            0.0
        } else if v <= self.v_l {
            let d = v - self.v_b;
            self.knee * d * d
        } else {
            self.h * v + self.offset
        }
    }

    /// Output for modulator `m` and carrier `c` (volts). Non-finite input yields 0.
    #[inline(always)]
    pub fn process_sample(&self, m: f32, c: f32) -> f32 {
        let half_m = 0.5 * m;
        let out = self.diode(c + half_m) + self.diode(-c - half_m)
            - self.diode(c - half_m)
            - self.diode(-c + half_m);
        if out.is_finite() {
            out
        } else {
            0.0
        }
    }
}
