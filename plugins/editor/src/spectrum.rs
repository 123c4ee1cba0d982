//! A spectrum analyser on the editor thread: the audio thread only copies samples into
//! [`EditorData`]'s window; the window function, the FFT (realfft) and the dB conversion all
//! run here, once per editor frame.

use std::sync::Arc;

use egui::{Color32, Painter, Pos2, Shape, Stroke};
use ferrite_plugin_common::editor_data::EditorData;
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use crate::plot::PlotMap;

/// The lowest level shown (dBFS).
pub const FLOOR_DB: f32 = -120.0;
/// How fast the displayed spectrum falls (dB per second); it rises at once.
pub const FALL_DB_PER_SECOND: f32 = 60.0;
/// How fast the peak-hold trace falls (dB per second).
pub const HOLD_FALL_DB_PER_SECOND: f32 = 6.0;

/// A Hann-windowed FFT of the latest samples with fast attack, slow release and peak hold.
pub struct Spectrum {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// 2 / Σ window: scales a bin so a full-scale sine reads 0 dBFS.
    scale: f32,
    samples: Vec<f32>,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    sample_rate: f32,
    /// The displayed level per bin (dBFS).
    pub db: Vec<f32>,
    /// The held peak per bin (dBFS).
    pub hold: Vec<f32>,
}

impl Spectrum {
    /// An analyser of `size` points (a power of two, at most half of the editor window).
    pub fn new(size: usize) -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(size);
        let window: Vec<f32> =
            (0..size).map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / size as f32).cos()).collect();
        let scale = 2.0 / window.iter().sum::<f32>();
        let bins = size / 2 + 1;
        Self {
            input: fft.make_input_vec(),
            output: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
            window,
            scale,
            samples: vec![0.0; size],
            sample_rate: 48_000.0,
            db: vec![FLOOR_DB; bins],
            hold: vec![FLOOR_DB; bins],
        }
    }

    /// Points in the transform.
    pub fn size(&self) -> usize {
        self.window.len()
    }

    /// The frequency of bin `k` (Hz).
    pub fn bin_hz(&self, k: usize) -> f32 {
        k as f32 * self.sample_rate / self.size() as f32
    }

    /// Takes the latest output samples from `data` and analyses them; `dt` is the time since
    /// the last frame. False (and nothing changed) when the copy was torn.
    pub fn update(&mut self, data: &EditorData, sample_rate: f32, dt: f32) -> bool {
        let mut samples = std::mem::take(&mut self.samples);
        let ok = data.latest(&mut samples);
        if ok {
            self.analyze(&samples, sample_rate, dt);
        }
        self.samples = samples;
        ok
    }

    /// As [`Spectrum::update`], for the input window.
    pub fn update_input(&mut self, data: &EditorData, sample_rate: f32, dt: f32) -> bool {
        let mut samples = std::mem::take(&mut self.samples);
        let ok = data.latest_input(&mut samples);
        if ok {
            self.analyze(&samples, sample_rate, dt);
        }
        self.samples = samples;
        ok
    }

    /// Analyses `samples` (the transform's size; shorter is zero-padded) taken at `sample_rate`.
    pub fn analyze(&mut self, samples: &[f32], sample_rate: f32, dt: f32) {
        self.sample_rate = if sample_rate.is_finite() && sample_rate > 0.0 { sample_rate } else { 48_000.0 };
        for (i, x) in self.input.iter_mut().enumerate() {
            let s = samples.get(i).copied().unwrap_or(0.0);
            *x = if s.is_finite() { s * self.window[i] } else { 0.0 };
        }
        if self.fft.process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch).is_err() {
            return;
        }
        let fall = FALL_DB_PER_SECOND * dt.clamp(0.0, 1.0);
        let hold_fall = HOLD_FALL_DB_PER_SECOND * dt.clamp(0.0, 1.0);
        for ((c, db), hold) in self.output.iter().zip(self.db.iter_mut()).zip(self.hold.iter_mut()) {
            let level = 20.0 * (c.norm() * self.scale).max(1e-7).log10();
            *db = level.max(*db - fall).max(FLOOR_DB);
            *hold = db.max(*hold - hold_fall);
        }
    }

    /// The strongest component above `min_hz` (Hz, from a parabola through the peak bin and
    /// its neighbours), or `None` below `min_db`.
    pub fn peak_frequency(&self, min_hz: f32, min_db: f32) -> Option<f32> {
        let first = ((min_hz / self.bin_hz(1)).ceil() as usize).max(1);
        let last = self.db.len().saturating_sub(2);
        let (k, &level) = self.db.iter().enumerate().take(last + 1).skip(first).max_by(|a, b| a.1.total_cmp(b.1))?;
        if level < min_db {
            return None;
        }
        let (a, b, c) = (self.db[k - 1], level, self.db[k + 1]);
        let denom = a - 2.0 * b + c;
        let offset = if denom.abs() > 1e-9 { (0.5 * (a - c) / denom).clamp(-0.5, 0.5) } else { 0.0 };
        Some((k as f32 + offset) * self.bin_hz(1))
    }

    /// Draws `levels` (one of [`Spectrum::db`], [`Spectrum::hold`]) on `map`: each screen
    /// column shows the loudest bin that falls in it.
    pub fn draw(&self, painter: &Painter, map: &PlotMap, levels: &[f32], stroke: Stroke, fill: Option<Color32>) {
        let mut points: Vec<Pos2> = Vec::with_capacity(map.rect.width() as usize + 2);
        for (k, &level) in levels.iter().enumerate().skip(1) {
            let f = self.bin_hz(k);
            if f < map.axes.f_lo {
                continue;
            }
            if f > map.axes.f_hi {
                break;
            }
            let p = map.point(f, level);
            match points.last_mut() {
                Some(last) if (p.x - last.x).abs() < 1.0 => last.y = last.y.min(p.y),
                _ => points.push(p),
            }
        }
        let points = crate::plot::simplify(&points, crate::plot::CURVE_TOLERANCE);
        if let Some(fill) = fill {
            crate::plot::fill_under(painter, &points, map.rect.bottom(), fill);
        }
        if points.len() > 1 {
            painter.add(Shape::line(points, stroke));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, amp: f32, rate: f32, n: usize) -> Vec<f32> {
        (0..n).map(|i| amp * (2.0 * std::f32::consts::PI * freq * i as f32 / rate).sin()).collect()
    }

    #[test]
    fn a_sine_reads_its_level_and_frequency() {
        let mut s = Spectrum::new(4096);
        // 1 kHz at −6 dBFS, 48 kHz.
        s.analyze(&sine(1000.0, 0.5, 48_000.0, 4096), 48_000.0, 0.0);
        let f = s.peak_frequency(20.0, -100.0).unwrap();
        assert!((f - 1000.0).abs() < 2.0, "{f}");
        let k = (1000.0 / s.bin_hz(1)).round() as usize;
        let peak = s.db[k - 1..=k + 1].iter().fold(FLOOR_DB, |a, &b| a.max(b));
        // Hann scalloping loss is at most 1.42 dB between bins.
        assert!(peak <= -6.02 + 0.01 && peak > -6.02 - 1.43, "{peak}");
        // Far from the tone: the window's sidelobes are below −90 dB.
        assert!(s.db[k * 4] < -90.0, "{}", s.db[k * 4]);
    }

    #[test]
    fn the_display_falls_slowly_and_the_hold_slower() {
        let mut s = Spectrum::new(1024);
        s.analyze(&sine(3000.0, 1.0, 48_000.0, 1024), 48_000.0, 0.0);
        let k = 64; // 3 kHz at 46.875 Hz per bin
        let loud = s.db[k];
        s.analyze(&[0.0; 1024], 48_000.0, 0.5);
        assert!((s.db[k] - (loud - 30.0)).abs() < 1e-3, "{} vs {loud}", s.db[k]);
        assert!((s.hold[k] - (loud - 3.0)).abs() < 1e-3, "{} vs {loud}", s.hold[k]);
    }

    #[test]
    fn silence_and_garbage_stay_at_the_floor() {
        let mut s = Spectrum::new(1024);
        let mut junk = vec![f32::NAN; 1024];
        junk[3] = f32::INFINITY;
        s.analyze(&junk, f32::NAN, 1.0);
        assert!(s.db.iter().all(|&d| d == FLOOR_DB));
        assert!(s.peak_frequency(20.0, -100.0).is_none());
    }
}
