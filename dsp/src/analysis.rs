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

/// A Kaiser window of `len` points with shape `beta` (β = 20: sidelobes near −190 dB, for
/// measuring rejections of 90 dB and more). The modified Bessel function I₀ is summed from its
/// power series until the terms no longer change the sum.
pub fn kaiser_window(len: usize, beta: f64) -> Vec<f64> {
    fn bessel_i0(x: f64) -> f64 {
        let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
        // Terms fall off factorially once k > x/2; 500 terms bound the loop for any sane β.
        while term > 1e-21 * sum && k < 500.0 {
            term *= (x / (2.0 * k)) * (x / (2.0 * k));
            sum += term;
            k += 1.0;
        }
        sum
    }
    let norm = bessel_i0(beta);
    (0..len)
        .map(|n| {
            let t = 2.0 * n as f64 / (len.max(2) - 1) as f64 - 1.0;
            bessel_i0(beta * (1.0 - t * t).max(0.0).sqrt()) / norm
        })
        .collect()
}

/// A deterministic "music-like" test signal of `len` samples at `sample_rate`: six partials from
/// 110 Hz to 10 kHz with falling levels plus some white noise, peak-normalised to 1. `seed`
/// changes the phases and the noise, so channels built from different seeds differ the way a
/// real stereo signal does. Shared by the tests and the benchmarks so they all measure the same
/// kind of material.
pub fn music_like(seed: u32, len: usize, sample_rate: f64) -> Vec<f32> {
    const PARTIALS: [(f64, f64); 6] =
        [(110.0, 0.35), (277.2, 0.25), (659.3, 0.15), (1_864.7, 0.10), (4_435.0, 0.05), (9_956.1, 0.02)];
    let mut noise_state = 0x9E37_79B9u32 ^ seed.wrapping_mul(0x85EB_CA6B);
    let x: Vec<f64> = (0..len)
        .map(|i| {
            let t = i as f64 / sample_rate;
            let tone: f64 = PARTIALS
                .iter()
                .enumerate()
                .map(|(k, &(f, a))| a * (core::f64::consts::TAU * f * t + 0.7 * (k as f64 + 1.0) * seed as f64).sin())
                .sum();
            // xorshift32 white noise in [-1, 1).
            noise_state ^= noise_state << 13;
            noise_state ^= noise_state >> 17;
            noise_state ^= noise_state << 5;
            tone + 0.08 * (noise_state as f64 / 2_147_483_648.0 - 1.0)
        })
        .collect();
    let peak = x.iter().fold(0.0f64, |p, v| p.max(v.abs())).max(f64::MIN_POSITIVE);
    x.into_iter().map(|v| (v / peak) as f32).collect()
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
