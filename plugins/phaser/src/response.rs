//! What the editor draws: the phaser's small-signal response at one instant, from the equations
//! of docs/models.md, "Phaser" (the same ones `ferrite_dsp::phaser::theory` and the model's
//! theory tests use; the stage centres and coefficients come from that module).
//!
//! Stage k is H_k = e^{−2jω}·conj(D_k)/D_k with D_k(e^{jω}) = 1 + a1 e^{−jω} + a2 e^{−2jω}, so the
//! chain H = e^{jΦ} is an allpass of phase Φ = Σ (−2ω − 2 arg D_k): one `atan2` per stage and
//! frequency (arg D_k lies in (−π, π), being the sum of two arguments in (−π/2, π/2), so Φ needs
//! no unwrapping). The wet path with feedback g is W = H/(1 − g e^{−jω} H) = e^{jΦ}/c,
//! c = 1 − g e^{j(Φ−ω)}: |W| = 1/|c|, its phase Ψ = Φ − arg c (arg c in (−π/2, π/2)). The
//! output is (1 − mix) + mix·W. Its notches are where the wet path is in antiphase with the dry
//! signal, Ψ = −(2m+1)π (with no feedback, the chain's phase: `theory::theory_notches`); at
//! mix ½ without feedback they are exact zeros, otherwise dips.

use ferrite_dsp::phaser::theory::{centres, coeffs};
use ferrite_dsp::phaser::{FEEDBACK_MAX, MAX_STAGES, Q_MAX, Q_MIN, SPREAD_MAX, SPREAD_MIN};
use std::f64::consts::{PI, TAU};

/// The settings a response is computed from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResponseSettings {
    /// Allpass stages.
    pub stages: usize,
    /// The first stage's centre now (freq·2^(depth·lfo)), Hz, before the clamp.
    pub centre_hz: f64,
    /// Ratio between adjacent stage centres.
    pub spread: f64,
    /// Quality of each stage.
    pub q: f64,
    /// Feedback gain.
    pub feedback: f64,
    /// Dry/wet.
    pub mix: f64,
    /// Sample rate, Hz.
    pub sample_rate: f64,
}

impl ResponseSettings {
    /// Clamped to the ranges the model clamps to.
    fn sane(self) -> Self {
        Self {
            stages: self.stages.clamp(1, MAX_STAGES),
            spread: self.spread.clamp(SPREAD_MIN as f64, SPREAD_MAX as f64),
            q: self.q.clamp(Q_MIN as f64, Q_MAX as f64),
            feedback: self.feedback.clamp(-FEEDBACK_MAX as f64, FEEDBACK_MAX as f64),
            mix: self.mix.clamp(0.0, 1.0),
            sample_rate: if self.sample_rate.is_finite() && self.sample_rate >= 1000.0 { self.sample_rate } else { 48_000.0 },
            ..self
        }
    }
}

/// The response at one frequency.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// The chain's (unwrapped) phase Φ, radians.
    pub chain_phase: f64,
    /// The wet path's (unwrapped) phase Ψ, radians.
    pub wet_phase: f64,
    /// |W|.
    pub wet_mag: f64,
    /// |(1 − mix) + mix·W|.
    pub out_mag: f64,
}

/// A chain ready to evaluate: its stages' (a1, a2).
#[derive(Clone, Debug)]
pub struct Chain {
    coeffs: Vec<(f64, f64)>,
    feedback: f64,
    mix: f64,
    sample_rate: f64,
}

impl Chain {
    /// The chain for `s` (stage centres and coefficients from `ferrite_dsp::phaser::theory`).
    pub fn new(s: &ResponseSettings) -> Self {
        let s = s.sane();
        let coeffs = centres(s.stages, s.centre_hz, s.spread, s.sample_rate)
            .into_iter()
            .map(|f| coeffs(f, s.q, s.sample_rate))
            .collect();
        Self { coeffs, feedback: s.feedback, mix: s.mix, sample_rate: s.sample_rate }
    }

    /// The response at `f` Hz.
    pub fn at(&self, f: f64) -> Point {
        self.at_omega(TAU * f / self.sample_rate)
    }

    /// The response at ω (rad/sample).
    pub fn at_omega(&self, w: f64) -> Point {
        let (s1, c1) = w.sin_cos();
        let (s2, c2) = (2.0 * s1 * c1, c1 * c1 - s1 * s1);
        let phi: f64 = self
            .coeffs
            .iter()
            .map(|&(a1, a2)| {
                // D = 1 + a1 e^{−jω} + a2 e^{−2jω}
                let (re, im) = (1.0 + a1 * c1 + a2 * c2, -(a1 * s1 + a2 * s2));
                -2.0 * w - 2.0 * im.atan2(re)
            })
            .sum();
        let x = phi - w;
        let (c_re, c_im) = (1.0 - self.feedback * x.cos(), -self.feedback * x.sin());
        let c2 = c_re * c_re + c_im * c_im;
        let wet_mag = 1.0 / c2.sqrt();
        let wet_phase = phi - c_im.atan2(c_re);
        let (o_re, o_im) =
            (1.0 - self.mix + self.mix * wet_mag * wet_phase.cos(), self.mix * wet_mag * wet_phase.sin());
        Point { chain_phase: phi, wet_phase, wet_mag, out_mag: (o_re * o_re + o_im * o_im).sqrt() }
    }

    /// The notches between `f_lo` and `f_hi` Hz, ascending: the frequencies where the wet phase
    /// Ψ crosses an odd multiple of π, bracketed on the grid of `points` (at `freqs`, ascending)
    /// and refined to full precision (regula falsi, Illinois variant). Any number of notches
    /// between two grid points is found: each is bracketed by its own target phase.
    pub fn notches(&self, freqs: &[f64], points: &[Point]) -> Vec<f64> {
        let mut out = Vec::new();
        let to_w = |f: f64| TAU * f / self.sample_rate;
        for i in 0..freqs.len().saturating_sub(1) {
            let (pa, pb) = (points[i].wet_phase, points[i + 1].wet_phase);
            let (lo, hi) = (pa.min(pb), pa.max(pb));
            // Odd multiples t = (2n+1)π with lo < t ≤ hi (each crossing counted once).
            let first = ((lo / PI - 1.0) / 2.0).floor() as i64 + 1;
            let mut n = first;
            while ((2 * n + 1) as f64) * PI <= hi {
                let t = ((2 * n + 1) as f64) * PI;
                if t > lo {
                    let f = self.solve(to_w(freqs[i]), to_w(freqs[i + 1]), pa - t, pb - t, t);
                    out.push(f * self.sample_rate / TAU);
                }
                n += 1;
            }
        }
        // Within one grid interval a falling phase meets its targets from the highest
        // frequency down.
        out.sort_by(f64::total_cmp);
        out
    }

    /// ω in [a, b] where Ψ(ω) = t, given Ψ(a) − t = fa and Ψ(b) − t = fb of opposite signs (or
    /// one zero).
    fn solve(&self, mut a: f64, mut b: f64, mut fa: f64, mut fb: f64, t: f64) -> f64 {
        if fa == 0.0 {
            return a;
        }
        if fb == 0.0 {
            return b;
        }
        let mut side = 0;
        for _ in 0..100 {
            let c = (a * fb - b * fa) / (fb - fa);
            let c = if c > a.min(b) && c < a.max(b) { c } else { 0.5 * (a + b) };
            let fc = self.at_omega(c).wet_phase - t;
            if fc == 0.0 || (b - a).abs() <= 1e-14 * c {
                return c;
            }
            if (fc > 0.0) == (fb > 0.0) {
                b = c;
                fb = fc;
                if side == -1 {
                    fa *= 0.5;
                }
                side = -1;
            } else {
                a = c;
                fa = fc;
                if side == 1 {
                    fb *= 0.5;
                }
                side = 1;
            }
        }
        (a * fb - b * fa) / (fb - fa)
    }
}

/// The response on a log-frequency grid, in dB, with its notches: what the editor draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Curves {
    /// The settings it was computed from.
    pub settings: Option<ResponseSettings>,
    /// Grid frequencies, Hz (ascending, log-spaced).
    pub freqs: Vec<f64>,
    /// Output magnitude (dry and wet as mixed), dB (floored at [`FLOOR_DB`]).
    pub output_db: Vec<f32>,
    /// Wet path magnitude |W|, dB.
    pub wet_db: Vec<f32>,
    /// Notch frequencies within the grid's range, Hz, ascending.
    pub notches: Vec<f64>,
}

/// The lowest value a curve takes, dB (an exact notch is −∞).
pub const FLOOR_DB: f32 = -120.0;

fn db(x: f64) -> f32 {
    if x > 0.0 { ((20.0 * x.log10()) as f32).max(FLOOR_DB) } else { FLOOR_DB }
}

impl Curves {
    /// Computes the curves of `s` on `n` log-spaced points from `f_lo` to `f_hi` Hz (the top
    /// limited to just below Nyquist), reusing the vectors.
    pub fn compute(&mut self, s: &ResponseSettings, f_lo: f64, f_hi: f64, n: usize, notches: bool) {
        let chain = Chain::new(s);
        let f_hi = f_hi.min(0.4999 * chain.sample_rate);
        let n = n.max(2);
        self.freqs.clear();
        self.freqs.extend((0..n).map(|i| f_lo * (f_hi / f_lo).powf(i as f64 / (n - 1) as f64)));
        let points: Vec<Point> = self.freqs.iter().map(|&f| chain.at(f)).collect();
        self.output_db.clear();
        self.output_db.extend(points.iter().map(|p| db(p.out_mag)));
        self.wet_db.clear();
        self.wet_db.extend(points.iter().map(|p| db(p.wet_mag)));
        self.notches = if notches { chain.notches(&self.freqs, &points) } else { Vec::new() };
        self.settings = Some(*s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrite_dsp::phaser::theory::{chain_phase, chain_response, theory_notches};

    fn settings(stages: usize, centre_hz: f64, spread: f64, q: f64) -> ResponseSettings {
        ResponseSettings { stages, centre_hz, spread, q, feedback: 0.0, mix: 0.5, sample_rate: 48_000.0 }
    }

    #[test]
    fn the_chain_is_the_theory_modules_chain() {
        for s in [settings(8, 800.0, 1.1, 2.0), settings(48, 150.0, 1.05, 40.0), settings(3, 30.0, 1.9, 0.5)] {
            let chain = Chain::new(&s);
            let cs = centres(s.stages, s.centre_hz, s.spread, s.sample_rate);
            for i in 0..300 {
                let w = PI * (i as f64 + 0.5) / 300.0;
                let p = chain.at_omega(w);
                let phase = chain_phase(&cs, s.q, s.sample_rate, w);
                assert!((p.chain_phase - phase).abs() < 1e-9 * phase.abs().max(1.0), "{s:?} ω {w}: {} vs {phase}", p.chain_phase);
                let (hr, hi) = chain_response(&cs, s.q, s.sample_rate, w);
                let out = 0.5 * ((1.0 + hr).powi(2) + hi * hi).sqrt();
                assert!((p.out_mag - out).abs() < 1e-9, "{s:?} ω {w}: |out| {} vs {out}", p.out_mag);
                assert!((p.wet_mag - 1.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn feedback_gives_h_over_one_minus_g_delayed_h() {
        let s = ResponseSettings { feedback: -0.7, mix: 0.3, ..settings(4, 500.0, 1.3, 2.0) };
        let chain = Chain::new(&s);
        let cs = centres(s.stages, s.centre_hz, s.spread, s.sample_rate);
        for i in 0..200 {
            let w = PI * (i as f64 + 0.5) / 200.0;
            let (hr, hi) = chain_response(&cs, s.q, s.sample_rate, w);
            let (zr, zi) = (w.cos(), -w.sin());
            let (lr, li) = (s.feedback * (zr * hr - zi * hi), s.feedback * (zr * hi + zi * hr));
            let (dr, di) = (1.0 - lr, -li);
            let d2 = dr * dr + di * di;
            let (er, ei) = ((hr * dr + hi * di) / d2, (hi * dr - hr * di) / d2);
            let p = chain.at_omega(w);
            assert!((p.wet_mag - (er * er + ei * ei).sqrt()).abs() < 1e-9);
            let (or, oi) = (1.0 - s.mix + s.mix * er, s.mix * ei);
            assert!((p.out_mag - (or * or + oi * oi).sqrt()).abs() < 1e-9);
            let d = p.wet_phase - ei.atan2(er);
            assert!((d - TAU * (d / TAU).round()).abs() < 1e-9, "wet phase {} vs {}", p.wet_phase, ei.atan2(er));
        }
    }

    #[test]
    fn notches_are_the_theory_tests_notches() {
        for s in [
            settings(8, 800.0, 1.1, 2.0),
            settings(12, 400.0, 1.5, 10.0),
            settings(48, 400.0, 1.0, 10.0),
            settings(48, 150.0, 1.1, 100.0),
            settings(1, 1000.0, 1.0, 4.0),
            ResponseSettings { sample_rate: 22_050.0, ..settings(12, 1000.0, 1.1, 10.0) },
        ] {
            let mut c = Curves::default();
            c.compute(&s, 20.0, 20_000.0, 512, true);
            let cs = centres(s.stages, s.centre_hz, s.spread, s.sample_rate);
            let top = 20_000f64.min(0.4999 * s.sample_rate);
            let theory: Vec<f64> =
                theory_notches(&cs, s.q, s.sample_rate).into_iter().filter(|&f| f >= 20.0 && f <= top).collect();
            assert_eq!(c.notches.len(), theory.len(), "{s:?}: {:?} vs {theory:?}", c.notches);
            for (a, b) in c.notches.iter().zip(&theory) {
                assert!((a / b - 1.0).abs() < 1e-9, "{s:?}: notch {a} vs theory {b}");
            }
        }
    }
}
