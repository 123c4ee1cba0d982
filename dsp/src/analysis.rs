//! Measurement helpers shared by the tests and benchmarks: the amplitude of a tone in a signal
//! and RMS levels. Not used on the audio thread.

/// Amplitude of the sinusoidal component at `freq` Hz in `x`, measured with a 4-term
/// Blackman–Harris window (sidelobes ≤ −92 dB) as a single-bin DFT, so `freq` need not fall on an
/// FFT bin. Components closer than about 4·fs/len to `freq` leak into the result.
pub fn tone_amplitude(x: &[f32], freq: f64, sample_rate: f64) -> f64 {
    let n = x.len();
    if n < 2 {
        return 0.0;
    }
    const A: [f64; 4] = [0.35875, 0.48829, 0.14128, 0.01168];
    let (mut re, mut im, mut wsum) = (0.0f64, 0.0f64, 0.0f64);
    let step = core::f64::consts::TAU * freq / sample_rate;
    let wstep = core::f64::consts::TAU / (n - 1) as f64;
    for (i, &s) in x.iter().enumerate() {
        let t = wstep * i as f64;
        let w = A[0] - A[1] * t.cos() + A[2] * (2.0 * t).cos() - A[3] * (3.0 * t).cos();
        let phase = step * i as f64;
        re += w * s as f64 * phase.cos();
        im -= w * s as f64 * phase.sin();
        wsum += w;
    }
    2.0 * (re * re + im * im).sqrt() / wsum
}

/// Root-mean-square level of `x`.
pub fn rms(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&s| (s as f64) * (s as f64)).sum::<f64>() / x.len() as f64).sqrt()
}

/// `20·log10(a / reference)`, with −400 dB for silence.
pub fn db(a: f64, reference: f64) -> f64 {
    if a <= 0.0 || reference <= 0.0 {
        -400.0
    } else {
        20.0 * (a / reference).log10()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tone_amplitude_measures_a_known_sine_and_ignores_a_distant_one() {
        let sr = 48_000.0;
        let x: Vec<f32> = (0..48_000)
            .map(|i| {
                let t = i as f64 / sr;
                (0.5 * (core::f64::consts::TAU * 1000.3 * t).sin() + 0.25 * (core::f64::consts::TAU * 5000.0 * t).cos()) as f32
            })
            .collect();
        assert!((tone_amplitude(&x, 1000.3, sr) - 0.5).abs() < 1e-4);
        assert!((tone_amplitude(&x, 5000.0, sr) - 0.25).abs() < 1e-4);
        assert!(tone_amplitude(&x, 3000.0, sr) < 1e-6);
    }
}
