//! Measurement helpers shared by the tests and benchmarks: the amplitude of a tone in a signal,
//! a frequency from zero crossings, RMS levels and reverberation time. Not used on the audio
//! thread.

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

/// Calls `f` with the time (seconds) of each rising zero crossing of `x`, in order: linearly
/// interpolated between the samples around it, with hysteresis (a crossing counts only after
/// the signal has been below −5 % of its peak since the last one, so noise or a flat stretch
/// around zero is not counted twice). Allocates nothing.
fn for_each_rising_crossing(x: &[f32], sample_rate: f64, mut f: impl FnMut(f64)) {
    let threshold = 0.05 * x.iter().fold(0.0f32, |a, &b| a.max(b.abs()));
    let mut armed = false;
    for (i, w) in x.windows(2).enumerate() {
        if w[0] < -threshold {
            armed = true;
        }
        if armed && w[0] < 0.0 && w[1] >= 0.0 {
            f((i as f64 + w[0] as f64 / (w[0] as f64 - w[1] as f64)) / sample_rate);
            armed = false;
        }
    }
}

/// Times (seconds) of the rising zero crossings of `x`, linearly interpolated between samples,
/// with hysteresis: a crossing counts only after the signal has been below −5 % of its peak
/// since the last one (so noise or a flat stretch around zero is not counted twice). Empty for
/// silence or a signal that never goes below zero and back. Allocates the returned `Vec`; for
/// just the frequency, [`crossing_frequency`] allocates nothing.
pub fn rising_crossings(x: &[f32], sample_rate: f64) -> Vec<f64> {
    let mut out = Vec::new();
    for_each_rising_crossing(x, sample_rate, |t| out.push(t));
    out
}

/// The mean frequency of `x` (Hz) from its [`rising_crossings`]: their count less one over the
/// time from the first to the last. 0 when there are fewer than three (silence, DC, or less
/// than two periods). Allocates nothing.
pub fn crossing_frequency(x: &[f32], sample_rate: f64) -> f64 {
    let (mut count, mut first, mut last) = (0usize, 0.0f64, 0.0f64);
    for_each_rising_crossing(x, sample_rate, |t| {
        if count == 0 {
            first = t;
        }
        last = t;
        count += 1;
    });
    if count > 2 {
        (count - 1) as f64 / (last - first)
    } else {
        0.0
    }
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

/// RT60 (s) from the Schroeder backward integral of `energy` (per sample, at `sr`): a
/// least-squares line through the decay curve from `from_db` to `to_db`, extrapolated to
/// −60 dB. None for silence, or a slope that is not a decay. (The backward integral of a
/// response cut short always falls away at its end: the response must be long enough for its
/// own decay to reach `to_db`, which the callers' lengths see to.)
pub fn schroeder_rt60(energy: &[f64], sr: f64, from_db: f64, to_db: f64) -> Option<f64> {
    let mut edc = vec![0.0f64; energy.len()];
    let mut acc = 0.0f64;
    for (e, &x) in edc.iter_mut().zip(energy).rev() {
        acc += x;
        *e = acc;
    }
    let total = *edc.first()?;
    if total <= 0.0 {
        return None;
    }
    let (mut sx, mut sy, mut sxx, mut sxy, mut n) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &e) in edc.iter().enumerate() {
        let level = 10.0 * (e / total).log10();
        if level <= from_db && level >= to_db {
            let t = i as f64 / sr;
            sx += t;
            sy += level;
            sxx += t * t;
            sxy += t * level;
            n += 1.0;
        }
    }
    let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    (n >= 2.0 && slope < 0.0).then_some(-60.0 / slope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schroeder_rt60_recovers_the_decay_of_an_exponential_tail() {
        // Noise whose energy falls 60 dB in 1.3 s.
        let sr = 48_000.0;
        let rt60 = 1.3;
        let mut state = 0x1234_5678u32;
        let energy: Vec<f64> = (0..(3.0 * sr) as usize)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let x = state as f64 / u32::MAX as f64 - 0.5;
                x * x * 10f64.powf(-6.0 * i as f64 / sr / rt60)
            })
            .collect();
        let got = schroeder_rt60(&energy, sr, -5.0, -25.0).unwrap();
        assert!((got / rt60 - 1.0).abs() < 0.02, "measured {got} s, made {rt60} s");
        // Silence has none.
        assert_eq!(schroeder_rt60(&vec![0.0; 1000], sr, -5.0, -25.0), None);
    }

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

    #[test]
    fn crossing_frequency_measures_a_known_sine_and_gives_zero_without_crossings() {
        let sr = 48_000.0;
        let f = 437.3;
        let x: Vec<f32> = (0..48_000)
            .map(|i| (0.5 * (core::f64::consts::TAU * f * i as f64 / sr + 0.3).sin()) as f32)
            .collect();
        let got = crossing_frequency(&x, sr);
        assert!(
            (got / f - 1.0).abs() < 1e-5,
            "measured {got} Hz, made {f} Hz"
        );
        // One crossing per period, a period apart.
        let t = rising_crossings(&x, sr);
        assert!(
            (t.len() as f64 - f).abs() <= 1.0,
            "{} crossings in a second of {f} Hz",
            t.len()
        );
        assert!(t.windows(2).all(|w| ((w[1] - w[0]) * f - 1.0).abs() < 1e-4));
        // Noise riding on the sine (below the hysteresis) does not add crossings.
        let mut state = 0x2468_ACE1u32;
        let noisy: Vec<f32> = x
            .iter()
            .map(|&s| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                s + 0.01 * (state as f32 / u32::MAX as f32 - 0.5)
            })
            .collect();
        assert!((crossing_frequency(&noisy, sr) / f - 1.0).abs() < 1e-3);
        // Silence and DC (of either sign) have no rising crossings, and so frequency 0.
        for level in [0.0f32, 0.5, -0.5] {
            let dc = vec![level; 4800];
            assert!(rising_crossings(&dc, sr).is_empty(), "DC {level}");
            assert_eq!(crossing_frequency(&dc, sr), 0.0, "DC {level}");
        }
        assert_eq!(crossing_frequency(&[], sr), 0.0);
    }
}
