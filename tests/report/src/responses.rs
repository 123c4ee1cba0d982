//! The models' responses, measured on the models themselves (`ferrite_dsp`, the code the
//! plugins run) and drawn over what their theory predicts, the same theory the plugins'
//! editors draw and the theory tests check:
//!
//! * **VCF**: the magnitude response of [`Vcf`] at the plugin's default 2× oversampling, from
//!   its response to a −60 dBFS impulse with the noise floor off (the model is odd and, that
//!   small, linear to far below a 0.01 dB error), against the linearised transfer function
//!   [`linear_gain`] at the model rate, for a few cutoffs and resonances below the
//!   self-oscillation threshold (above it there is no linear response to measure).
//! * **Phaser**: the output magnitude of a static [`Phaser`] (LFO depth 0, mix ½) from its
//!   impulse response, against `½·(1 + H/(1 − feedback·z⁻¹·H))` from the stages' H(z)
//!   ([`theory::chain_response`]), and the notch frequencies found in the measurement (local
//!   minima, refined by a parabola) against [`theory::theory_notches`].
//! * **Reverb**: RT60 per octave band of the hall, the plate and Freeverb at the plugin's
//!   defaults, measured from a unit impulse's stereo response: each octave band filtered out in
//!   the frequency domain (zero phase, 1/3-octave cosine skirts), its Schroeder backward
//!   integral of `l² + r²`, a least-squares line from −5 to −25 dB (T20) extrapolated to
//!   60 dB; against the decay each model's parameters ask for at that frequency
//!   (`rt60_at`, which the editor draws).

use std::path::Path;

use ferrite_dsp::analysis::schroeder_rt60;
use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::phaser::{theory, Phaser, PhaserSettings};
use ferrite_dsp::reverb::{freeverb, hall, plate, ReverbSettings};
use ferrite_dsp::vcf::{linear_gain, model_cutoff_hz, Vcf, VcfControl};
use plotters::prelude::*;
use realfft::RealFftPlanner;

use crate::plot::{self, colour, frequency_chart, legend_line, log_frequencies, Result};

/// The host rate every response is measured at, Hz.
pub const SAMPLE_RATE: f32 = 48_000.0;

/// |FFT| of `x` zero-padded to `n` (a power of two), bins 0..=n/2.
fn magnitude_spectrum(x: &[f32], n: usize) -> Vec<f64> {
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut input = vec![0.0f64; n];
    for (i, &v) in input.iter_mut().zip(x) {
        *i = v as f64;
    }
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut input, &mut spectrum).expect("FFT sizes match");
    spectrum.iter().map(|c| c.norm()).collect()
}

/// `spectrum` (bins of `bin_hz`) at `f`, linearly interpolated between bins.
fn at(spectrum: &[f64], bin_hz: f64, f: f64) -> f64 {
    let x = f / bin_hz;
    let i = (x.floor() as usize).min(spectrum.len() - 2);
    let t = x - i as f64;
    spectrum[i] * (1.0 - t) + spectrum[i + 1] * t
}

fn db(x: f64) -> f64 {
    20.0 * x.max(1e-12).log10()
}

// ---- VCF ----

/// One measured VCF response.
#[derive(Clone, Debug)]
pub struct VcfResponse {
    pub cutoff_hz: f32,
    pub resonance: f32,
    /// (Hz, dB) measured and predicted, at the same frequencies.
    pub measured: Vec<(f64, f64)>,
    pub theory: Vec<(f64, f64)>,
}

impl VcfResponse {
    /// The largest |measured − theory| in dB between `lo` and `hi` Hz, where the theory is
    /// above [`VCF_FLOOR_DB`] (below it the stop band is at f32's rounding, not the model's);
    /// None if it is below that everywhere there.
    pub fn worst_deviation_db(&self, lo: f64, hi: f64) -> Option<f64> {
        self.measured
            .iter()
            .zip(&self.theory)
            .filter(|((f, _), (_, t))| *f >= lo && *f <= hi && *t > VCF_FLOOR_DB)
            .map(|((_, m), (_, t))| (m - t).abs())
            .reduce(f64::max)
    }
}

/// The lowest gain the VCF figure shows and compares, dB.
pub const VCF_FLOOR_DB: f64 = -60.0;

/// The cutoffs (Hz) and resonances the report measures: below the oscillation threshold K ≈ 4.85.
pub const VCF_CASES: [(f32, f32); 6] = [(200.0, 0.0), (1_000.0, 0.0), (5_000.0, 0.0), (200.0, 4.0), (1_000.0, 4.0), (5_000.0, 4.0)];
/// The plugin's default oversampling (2×), log2.
pub const VCF_OVERSAMPLING_LOG2: usize = 1;

/// Measures the VCF at `cutoff_hz` and resonance `k` (mono, the plugin's default 2×) at `points`
/// log-spaced frequencies from 20 Hz to 20 kHz.
pub fn vcf(cutoff_hz: f32, k: f32, points: usize) -> VcfResponse {
    const LEN: usize = 1 << 16;
    const BLOCK: usize = 256;
    const AMPLITUDE: f32 = 1e-3;
    let mut vcf = Vcf::prepare(&ProcessSpec::new(SAMPLE_RATE, BLOCK, 1));
    vcf.set_oversampling_log2(VCF_OVERSAMPLING_LOG2);
    vcf.set_noise_floor(false);
    vcf.reset();
    let mut y = vec![0.0f32; LEN];
    y[0] = AMPLITUDE;
    let (cut, res) = ([cutoff_hz; BLOCK], [k; BLOCK]);
    for block in y.chunks_mut(BLOCK) {
        let n = block.len();
        vcf.process(&mut [block], VcfControl { cutoff_hz: &cut[..n], resonance: &res[..n] });
    }
    let spectrum = magnitude_spectrum(&y, LEN);
    let bin = SAMPLE_RATE as f64 / LEN as f64;
    let fs = vcf.model_rate();
    let f0 = model_cutoff_hz(cutoff_hz, fs) as f64;
    let freqs: Vec<f64> = log_frequencies(20.0, 20_000.0, points).collect();
    VcfResponse {
        cutoff_hz,
        resonance: k,
        measured: freqs.iter().map(|&f| (f, db(at(&spectrum, bin, f) / AMPLITUDE as f64))).collect(),
        theory: freqs.iter().map(|&f| (f, db(linear_gain(f, f0, k as f64, fs as f64)))).collect(),
    }
}

/// One PNG: the VCF's measured responses with the theory over them, and the difference below.
pub fn plot_vcf(responses: &[VcfResponse], path: &Path) -> Result<()> {
    plot::png(path, (1400, 1000), |root| {
        let (top, bottom) = root.split_vertically(700);
        let caption = format!("Ferrite VCF: measured magnitude response ({}× oversampling, 48 kHz) and the linearised theory", 1 << VCF_OVERSAMPLING_LOG2);
        let mut chart = frequency_chart(&top, (&caption, plot::TITLE), 50, 20.0..20_000.0, VCF_FLOOR_DB..24.0, ("frequency, Hz", "gain, dB"))?;
        for (i, r) in responses.iter().enumerate() {
            let style = colour(i).mix(0.75).stroke_width(6);
            chart
                .draw_series(LineSeries::new(r.measured.iter().copied().filter(|p| p.1 > VCF_FLOOR_DB), style))?
                .label(format!("measured: cutoff {} Hz, K = {}", r.cutoff_hz, r.resonance))
                .legend(legend_line(style));
        }
        for (i, r) in responses.iter().enumerate() {
            let series = chart.draw_series(LineSeries::new(r.theory.iter().copied().filter(|p| p.1 > VCF_FLOOR_DB), BLACK.stroke_width(1)))?;
            if i == 0 {
                series.label("linearised theory (linear_gain)").legend(legend_line(BLACK.stroke_width(1)));
            }
        }
        plot::draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)?;

        let worst = responses.iter().filter_map(|r| r.worst_deviation_db(20.0, 20_000.0)).fold(0.01, f64::max) * 1.5;
        let caption = format!("measured − theory, where the theory is above {VCF_FLOOR_DB} dB");
        let mut diff = frequency_chart(&bottom, (&caption, plot::CAPTION), 50, 20.0..20_000.0, -worst..worst, ("frequency, Hz", "difference, dB"))?;
        for (i, r) in responses.iter().enumerate() {
            let points = r.measured.iter().zip(&r.theory).filter(|(_, t)| t.1 > VCF_FLOOR_DB).map(|(m, t)| (m.0, m.1 - t.1));
            diff.draw_series(LineSeries::new(points, colour(i).stroke_width(2)))?;
        }
        Ok(())
    })
}

// ---- Phaser ----

/// One measured phaser configuration.
#[derive(Clone, Debug)]
pub struct PhaserResponse {
    pub label: String,
    pub settings: PhaserSettings,
    /// (Hz, dB) measured and predicted, at the same frequencies.
    pub measured: Vec<(f64, f64)>,
    pub theory: Vec<(f64, f64)>,
    /// Every predicted notch between 30 Hz and 0.45·sr, Hz, with the nearest measured one.
    pub notches: Vec<(f64, Option<f64>)>,
}

/// The configurations the report measures: the plugin's defaults (pyo's: 8 stages from 1 kHz,
/// spread 1.1, q 10) and a wide one. Both without feedback: with feedback the minima are not
/// zeros and not where the chain's phase is an odd multiple of π, so there are no notches to
/// compare (the magnitude theory holds with feedback too).
pub fn phaser_cases() -> Vec<(String, PhaserSettings)> {
    let base = PhaserSettings { lfo_depth_octaves: 0.0, mix: 0.5, ..PhaserSettings::default() };
    vec![
        ("8 stages from 1 kHz, spread 1.1, q 10 (defaults)".to_owned(), base),
        (
            "6 stages from 100 Hz, spread 2.5, q 1".to_owned(),
            PhaserSettings { stages: 6, freq_hz: 100.0, spread: 2.5, q: 1.0, ..base },
        ),
    ]
}

/// Measures a static phaser configuration (mono) at `points` log-spaced frequencies from 20 Hz
/// to 20 kHz, and its notches.
pub fn phaser(label: &str, settings: &PhaserSettings, points: usize) -> PhaserResponse {
    const LEN: usize = 1 << 17;
    const BLOCK: usize = 4096;
    // Small enough that the feedback's soft limiter is linear to ~1e-6.
    const AMPLITUDE: f32 = 1e-2;
    let sr = SAMPLE_RATE as f64;
    let mut phaser = Phaser::prepare(&ProcessSpec::new(SAMPLE_RATE, BLOCK, 1));
    phaser.set_settings(settings);
    phaser.reset();
    let mut y = vec![0.0f32; LEN];
    y[0] = AMPLITUDE;
    for block in y.chunks_mut(BLOCK) {
        phaser.set_settings(settings);
        phaser.process(&mut [block], ());
    }
    let spectrum: Vec<f64> = magnitude_spectrum(&y, LEN).iter().map(|m| m / AMPLITUDE as f64).collect();
    let bin = sr / LEN as f64;

    let centres = theory::centres(settings.stages, settings.freq_hz as f64, settings.spread as f64, sr);
    let q = settings.q as f64;
    let (mix, fb) = (settings.mix as f64, settings.feedback as f64);
    // out/in = (1 − mix) + mix·H/(1 − fb·z⁻¹·H) (module doc of ferrite_dsp::phaser).
    let predicted = |f: f64| {
        let w = core::f64::consts::TAU * f / sr;
        let h = theory::chain_response(&centres, q, sr, w);
        let zh = (w.cos() * h.0 + w.sin() * h.1, w.cos() * h.1 - w.sin() * h.0); // e^{−jω}·H
        let den = (1.0 - fb * zh.0, -fb * zh.1);
        let d2 = den.0 * den.0 + den.1 * den.1;
        let wet = ((h.0 * den.0 + h.1 * den.1) / d2, (h.1 * den.0 - h.0 * den.1) / d2);
        let out = (1.0 - mix + mix * wet.0, mix * wet.1);
        (out.0 * out.0 + out.1 * out.1).sqrt()
    };

    // Measured notches: local minima of the magnitude, 20 dB or more below the dry level,
    // refined by a parabola through the three bins (the magnitude squared is quadratic near a
    // notch).
    let p2: Vec<f64> = spectrum.iter().map(|m| m * m).collect();
    let mut measured_notches = Vec::new();
    for k in 1..p2.len() - 1 {
        let (a, b, c) = (p2[k - 1], p2[k], p2[k + 1]);
        if b < 0.01 && b <= a && b < c {
            let den = a - 2.0 * b + c;
            let d = if den > 0.0 { (0.5 * (a - c) / den).clamp(-1.0, 1.0) } else { 0.0 };
            measured_notches.push((k as f64 + d) * bin);
        }
    }
    let notches = theory::theory_notches(&centres, q, sr)
        .into_iter()
        .filter(|&f| (30.0..=0.45 * sr).contains(&f))
        .map(|f| (f, measured_notches.iter().copied().min_by(|a, b| (a - f).abs().total_cmp(&(b - f).abs()))))
        .collect();

    let freqs: Vec<f64> = log_frequencies(20.0, 20_000.0, points).collect();
    PhaserResponse {
        label: label.to_owned(),
        settings: *settings,
        measured: freqs.iter().map(|&f| (f, db(at(&spectrum, bin, f)))).collect(),
        theory: freqs.iter().map(|&f| (f, db(predicted(f)))).collect(),
        notches,
    }
}

/// One PNG: each configuration's measured magnitude with its theory over it, and below it the
/// error of each measured notch frequency against the predicted one.
pub fn plot_phaser(responses: &[PhaserResponse], path: &Path) -> Result<()> {
    plot::png(path, (1400, 1000), |root| {
        let (top, bottom) = root.split_vertically(680);
        let caption = ("Ferrite Phaser: measured magnitude (static, mix ½) and the theory's notches", plot::TITLE);
        let mut chart = frequency_chart(&top, caption, 50, 20.0..20_000.0, -50.0..12.0, ("frequency, Hz", "gain, dB"))?;
        for (i, r) in responses.iter().enumerate() {
            let style = colour(i).mix(0.75).stroke_width(6);
            chart
                .draw_series(LineSeries::new(r.measured.iter().map(|&(f, d)| (f, d.max(-50.0))), style))?
                .label(format!("measured: {}", r.label))
                .legend(legend_line(style));
        }
        for (i, r) in responses.iter().enumerate() {
            let series = chart.draw_series(LineSeries::new(r.theory.iter().map(|&(f, d)| (f, d.max(-50.0))), BLACK.stroke_width(1)))?;
            if i == 0 {
                series.label("theory: ½·(1 + H), H the stages' allpass chain").legend(legend_line(BLACK.stroke_width(1)));
            }
            // The predicted notches, as ticks at the bottom.
            chart.draw_series(r.notches.iter().map(|&(f, _)| PathElement::new(vec![(f, -50.0), (f, -44.0)], colour(i).stroke_width(2))))?;
        }
        plot::draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;

        let errors: Vec<Vec<(f64, f64)>> = responses
            .iter()
            .map(|r| r.notches.iter().filter_map(|&(p, m)| m.map(|m| (p, 100.0 * (m / p - 1.0)))).collect())
            .collect();
        let worst = errors.iter().flatten().map(|e| e.1.abs()).fold(0.1f64, f64::max) * 1.3;
        let caption = ("measured notch frequency against the predicted one", plot::CAPTION);
        let mut err = frequency_chart(&bottom, caption, 50, 20.0..20_000.0, -worst..worst, ("predicted notch, Hz", "error, %"))?;
        err.draw_series(LineSeries::new([(20.0, 0.0), (20_000.0, 0.0)], BLACK.mix(0.4).stroke_width(1)))?;
        for (i, e) in errors.iter().enumerate() {
            err.draw_series(e.iter().map(|&p| Circle::new(p, 6, colour(i).filled())))?;
        }
        Ok(())
    })
}

// ---- Reverb ----

/// Octave band centres, Hz.
pub const OCTAVES: [f64; 8] = [125.0, 250.0, 500.0, 1_000.0, 2_000.0, 4_000.0, 8_000.0, 16_000.0];

/// One model's decay per octave band.
#[derive(Clone, Debug)]
pub struct ReverbDecay {
    pub model: &'static str,
    pub settings: ReverbSettings,
    /// (band centre Hz, RT60 the parameters ask for there, measured RT60), seconds.
    pub bands: Vec<(f64, f64, f64)>,
    /// (Hz, predicted RT60 s) along the whole band.
    pub curve: Vec<(f64, f64)>,
}

/// The octave band around `centre` of the spectra `l`, `r` (bins of `bin_hz`), back in time:
/// zero phase, flat from a sixth of an octave inside each edge, cosine skirts to a sixth
/// outside. Returns the per-sample energy `l² + r²` of the band.
fn band_energy(spectra: &[Vec<realfft::num_complex::Complex<f64>>; 2], n: usize, bin_hz: f64, centre: f64) -> Vec<f64> {
    let ifft = RealFftPlanner::<f64>::new().plan_fft_inverse(n);
    let mut energy = vec![0.0f64; n];
    for spectrum in spectra {
        let mut band: Vec<_> = spectrum
            .iter()
            .enumerate()
            .map(|(k, &c)| {
                let u = if k == 0 { f64::INFINITY } else { ((k as f64 * bin_hz) / centre).log2().abs() };
                let w = if u <= 0.5 - 1.0 / 6.0 {
                    1.0
                } else if u >= 0.5 + 1.0 / 6.0 {
                    0.0
                } else {
                    (core::f64::consts::FRAC_PI_2 * (u - (0.5 - 1.0 / 6.0)) * 3.0).cos().powi(2)
                };
                c * w
            })
            .collect();
        band[0].im = 0.0;
        band[n / 2].im = 0.0;
        let mut out = ifft.make_output_vec();
        ifft.process(&mut band, &mut out).expect("FFT sizes match");
        for (e, v) in energy.iter_mut().zip(&out) {
            *e += (v / n as f64).powi(2);
        }
    }
    energy
}

/// Measures each algorithmic model's RT60 per octave band from the stereo response to a unit
/// impulse in both inputs (`seconds` long), at the plugin's defaults (decay 2 s, size 0.5,
/// damping 0.5, modulation 0.5; Freeverb, which has no RT60 parameter, at room 0.75).
pub fn reverb(seconds: f64, points: usize) -> Vec<ReverbDecay> {
    let sr = SAMPLE_RATE as f64;
    let len = (seconds * sr) as usize;
    let n = len.next_power_of_two() * 2;
    let defaults = ReverbSettings::default();
    type Rt60At = fn(&ReverbSettings, f32, f32) -> f32;
    let models: [(&str, ReverbSettings, Rt60At); 3] = [
        ("hall", defaults, hall::rt60_at),
        ("plate", defaults, plate::rt60_at),
        ("freeverb (room 0.75)", ReverbSettings { size: 0.75, ..defaults }, freeverb::rt60_at),
    ];
    let spec = ProcessSpec::new(SAMPLE_RATE, 4096, 2);
    models
        .into_iter()
        .map(|(name, settings, rt60_at)| {
            let (mut l, mut r) = (vec![0.0f32; len], vec![0.0f32; len]);
            l[0] = 1.0;
            r[0] = 1.0;
            let mut run = |process: &mut dyn FnMut(&mut [f32], &mut [f32])| {
                for (a, b) in l.chunks_mut(4096).zip(r.chunks_mut(4096)) {
                    process(a, b);
                }
            };
            match name {
                "hall" => {
                    let mut m = hall::Hall::prepare(&spec);
                    m.set_settings(&settings);
                    m.reset();
                    run(&mut |a, b| {
                        m.set_settings(&settings);
                        m.process(&mut [a, b], ());
                    });
                }
                "plate" => {
                    let mut m = plate::Plate::prepare(&spec);
                    m.set_settings(&settings);
                    m.reset();
                    run(&mut |a, b| {
                        m.set_settings(&settings);
                        m.process(&mut [a, b], ());
                    });
                }
                _ => {
                    let mut m = freeverb::Freeverb::prepare(&spec);
                    m.set_settings(&settings);
                    m.reset();
                    run(&mut |a, b| {
                        m.set_settings(&settings);
                        m.process(&mut [a, b], ());
                    });
                }
            }
            let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
            let spectra = [&l, &r].map(|ch| {
                let mut input = vec![0.0f64; n];
                for (i, &v) in input.iter_mut().zip(ch.iter()) {
                    *i = v as f64;
                }
                let mut s = fft.make_output_vec();
                fft.process(&mut input, &mut s).expect("FFT sizes match");
                s
            });
            let bin = sr / n as f64;
            let bands = OCTAVES
                .iter()
                .filter(|&&c| c * 2f64.sqrt() < 0.5 * sr)
                .map(|&c| {
                    let energy = band_energy(&spectra, n, bin, c);
                    let measured = schroeder_rt60(&energy[..len], sr, -5.0, -25.0).unwrap_or(f64::NAN);
                    (c, rt60_at(&settings, SAMPLE_RATE, c as f32) as f64, measured)
                })
                .collect();
            let curve = log_frequencies(60.0, 20_000.0, points).map(|f| (f, rt60_at(&settings, SAMPLE_RATE, f as f32) as f64)).collect();
            ReverbDecay { model: name, settings, bands, curve }
        })
        .collect()
}

/// One PNG: RT60 against frequency, each model's prediction as a line and its measured octave
/// bands as dots.
pub fn plot_reverb(decays: &[ReverbDecay], path: &Path) -> Result<()> {
    let top = decays
        .iter()
        .flat_map(|d| d.bands.iter().map(|b| b.2).chain(d.curve.iter().map(|c| c.1)))
        .filter(|v| v.is_finite())
        .fold(1.0f64, f64::max)
        * 1.15;
    plot::png(path, (1400, 800), |root| {
        let caption = ("Ferrite Reverb: decay per octave band (impulse response, T20) and what the parameters ask for", plot::TITLE);
        let descs = ("frequency, Hz (dots: octave bands, measured)", "RT60, s");
        let mut chart = frequency_chart(root, caption, 60, 60.0..20_000.0, 0.0..top, descs)?;
        for (i, d) in decays.iter().enumerate() {
            let style = colour(i).stroke_width(2);
            chart
                .draw_series(LineSeries::new(d.curve.iter().copied(), style))?
                .label(format!("{}: predicted (rt60_at)", d.model))
                .legend(legend_line(style));
            let dots = colour(i).filled();
            chart
                .draw_series(d.bands.iter().filter(|b| b.2.is_finite()).map(|b| Circle::new((b.0, b.2), 7, dots)))?
                .label(format!("{}: measured", d.model))
                .legend(move |(x, y)| Circle::new((x + 12, y), 6, dots));
        }
        plot::draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octave_bands_separate_two_decays() {
        // Two decaying tones, 250 Hz (RT60 2 s) and 4 kHz (0.5 s): each octave band measures
        // its own tone's decay, not the other's.
        let sr = SAMPLE_RATE as f64;
        let len = (3.0 * sr) as usize;
        let tone = |f: f64, rt60: f64, i: usize| {
            let t = i as f64 / sr;
            (core::f64::consts::TAU * f * t).sin() * 10f64.powf(-3.0 * t / rt60)
        };
        let x: Vec<f64> = (0..len).map(|i| tone(250.0, 2.0, i) + tone(4_000.0, 0.5, i)).collect();
        let n = len.next_power_of_two() * 2;
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
        let spectrum = {
            let mut input = vec![0.0; n];
            input[..len].copy_from_slice(&x);
            let mut s = fft.make_output_vec();
            fft.process(&mut input, &mut s).unwrap();
            s
        };
        let zeros = vec![realfft::num_complex::Complex::new(0.0, 0.0); spectrum.len()];
        let spectra = [spectrum, zeros];
        for (centre, rt60) in [(250.0, 2.0), (4_000.0, 0.5)] {
            let e = band_energy(&spectra, n, sr / n as f64, centre);
            let got = schroeder_rt60(&e[..len], sr, -5.0, -25.0).unwrap();
            assert!((got / rt60 - 1.0).abs() < 0.03, "{centre} Hz band: {got} s, made {rt60} s");
        }
    }
}
