//! Preparing an impulse response for the convolver (background thread only: these allocate).
//!
//! * [`resample_ir`]: sample-rate conversion with rubato's synchronous FFT resampler
//!   (`FftFixedIn`, f64). Its anti-aliasing filter is a Blackman–Harris² windowed sinc of
//!   `fft_size_in` input samples centred on sample `fft_size_in/2`, so it is linear phase with a
//!   delay of exactly `fft_size_out/2` output samples whenever `fft_size_in` is even (we make it
//!   so); that many leading output samples are dropped, so an impulse at input sample `n` lands at
//!   `n·to/from` with no fractional shift. The filter length is at least [`MIN_FILTER_LEN`] input
//!   samples (passband flat to well under 0.01 dB at 1 kHz, cutoff near 0.9·Nyquist of the lower
//!   rate).
//! * [`normalize_ir`]: unit energy gain. A stationary broadband input (white noise, and roughly
//!   dense music) comes out of a convolution with `h` at `Σ h²` times its power, so scaling the
//!   IR to `Σ h² = 1` (mean over the channels, one gain for all so the stereo image is kept)
//!   makes the wet signal as loud as the dry one at the mix control's "wet = dry" point,
//!   whatever the IR's length or recording level.

use rubato::{FftFixedIn, Resampler};

/// Minimum resampler filter length in input samples (longer filters: sharper, flatter passband).
const MIN_FILTER_LEN: usize = 2048;

/// Resample IR channels from `from_hz` to `to_hz` (integer rates from 1 Hz to 10 MHz). The result
/// has `round(len·to/from)` samples per channel and no added delay. Equal rates return a copy.
pub fn resample_ir(channels: &[Vec<f32>], from_hz: f64, to_hz: f64) -> Result<Vec<Vec<f32>>, String> {
    let valid = |r: f64| (1.0..=1.0e7).contains(&r) && r.fract() == 0.0;
    if !valid(from_hz) || !valid(to_hz) {
        return Err(format!("unsupported sample rates {from_hz} Hz → {to_hz} Hz (integer rates up to 10 MHz)"));
    }
    if channels.is_empty() {
        return Ok(Vec::new());
    }
    let (from, to) = (from_hz as usize, to_hz as usize);
    let len = channels.iter().map(Vec::len).max().unwrap_or(0);
    let out_len = (len as f64 * to_hz / from_hz).round() as usize;
    if from == to {
        return Ok(channels
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.resize(len, 0.0);
                c
            })
            .collect());
    }
    let gcd = {
        let (mut a, mut b) = (from, to);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    let unit_in = from / gcd;
    // An even number of rational units, at least MIN_FILTER_LEN input samples.
    let units = MIN_FILTER_LEN.div_ceil(unit_in).max(1).next_multiple_of(2);
    let chunk = units * unit_in;
    let mut resampler = FftFixedIn::<f64>::new(from, to, chunk, 1, channels.len()).map_err(|e| e.to_string())?;
    let delay = resampler.output_delay();
    let needed = delay + out_len;

    let mut input: Vec<Vec<f64>> = vec![vec![0.0; chunk]; channels.len()];
    let mut output: Vec<Vec<f64>> = vec![Vec::with_capacity(needed + 2 * chunk * to / from); channels.len()];
    let mut out_buf = resampler.output_buffer_allocate(true);
    let mut pos = 0;
    // Each pass consumes `chunk` input samples (zeros past the end) and yields output; the cap
    // is the passes needed for `needed` output samples plus a margin.
    let max_passes = needed / (chunk * to / from).max(1) + 4;
    for _ in 0..max_passes {
        if output[0].len() >= needed {
            break;
        }
        for (buf, ch) in input.iter_mut().zip(channels) {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = ch.get(pos + i).map_or(0.0, |&x| if x.is_finite() { x as f64 } else { 0.0 });
            }
        }
        pos += chunk;
        let (_, produced) = resampler.process_into_buffer(&input, &mut out_buf, None).map_err(|e| e.to_string())?;
        for (o, b) in output.iter_mut().zip(&out_buf) {
            o.extend_from_slice(&b[..produced]);
        }
    }
    if output[0].len() < needed {
        return Err("resampler produced too little output".into());
    }
    Ok(output.into_iter().map(|o| o[delay..needed].iter().map(|&x| x as f32).collect()).collect())
}

/// Scale the IR so that its energy gain is 1 (mean over channels of `Σ h²`, one gain for all
/// channels; see the module doc). Non-finite samples are set to 0 first. Returns the gain
/// applied (1 for a silent IR, which is left as is).
pub fn normalize_ir(channels: &mut [Vec<f32>]) -> f32 {
    for c in channels.iter_mut() {
        for x in c.iter_mut() {
            if !x.is_finite() {
                *x = 0.0;
            }
        }
    }
    if channels.is_empty() {
        return 1.0;
    }
    let energy: f64 = channels.iter().map(|c| c.iter().map(|&x| x as f64 * x as f64).sum::<f64>()).sum::<f64>()
        / channels.len() as f64;
    if !(energy > 0.0 && energy.is_finite()) {
        return 1.0;
    }
    let gain = (1.0 / energy.sqrt()) as f32;
    for c in channels.iter_mut() {
        for x in c.iter_mut() {
            *x *= gain;
        }
    }
    gain
}
