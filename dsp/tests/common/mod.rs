//! Shared helpers of the convolution tests.
#![allow(dead_code)]

use ferrite_dsp::reverb::convolution::Convolver;

pub use ferrite_test_kit::Rng;

/// A reverb-like IR: a unit direct tap, then noise decaying by 60 dB over `len` samples.
pub fn reverb_ir(len: usize, seed: u32) -> Vec<f32> {
    let mut rng = Rng::from_small_seed(seed as u64);
    (0..len).map(|i| if i == 0 { 1.0 } else { 0.5 * rng.signed() * 10f32.powf(-3.0 * i as f32 / len as f32) }).collect()
}

/// Test input: noise in [0, burst) and a second burst in [at, at + burst); zeros elsewhere.
pub fn bursts(len: usize, burst: usize, at: usize, seed: u32) -> Vec<f32> {
    let mut rng = Rng::from_small_seed(seed as u64 | 1 << 32);
    (0..len).map(|i| if i < burst || (i >= at && i < at + burst) { rng.signed() } else { 0.0 }).collect()
}

/// Direct convolution in f64, only over the non-zero input samples.
pub fn direct(x: &[f32], h: &[f32], out_len: usize) -> Vec<f64> {
    let mut y = vec![0.0f64; out_len];
    for (n, &xv) in x.iter().enumerate() {
        if xv == 0.0 {
            continue;
        }
        let xv = xv as f64;
        for (k, &hv) in h.iter().enumerate() {
            match y.get_mut(n + k) {
                Some(o) => *o += xv * hv as f64,
                None => break,
            }
        }
    }
    y
}

/// Run `conv` over the stereo input in blocks whose sizes come from `sizes` (cycled).
pub fn run(conv: &mut Convolver, l: &[f32], r: &[f32], sizes: &mut dyn FnMut() -> usize) -> (Vec<f32>, Vec<f32>) {
    let len = l.len();
    let (mut ol, mut or) = (vec![0.0f32; len], vec![0.0f32; len]);
    let mut start = 0;
    while start < len {
        let end = (start + sizes().max(1)).min(len);
        conv.process(&l[start..end], &r[start..end], &mut ol[start..end], &mut or[start..end]);
        start = end;
    }
    (ol, or)
}

/// (relative error energy in dB, max abs error relative to the peak in dB).
pub fn error_db(got: &[f32], want: &[f64]) -> (f64, f64) {
    let (mut e, mut p, mut emax, mut peak) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (&g, &w) in got.iter().zip(want) {
        let d = g as f64 - w;
        e += d * d;
        p += w * w;
        emax = emax.max(d.abs());
        peak = peak.max(w.abs());
    }
    (10.0 * (e / p).log10(), 20.0 * (emax / peak).log10())
}
