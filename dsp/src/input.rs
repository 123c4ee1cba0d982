//! Input sanitising, written once: every model and every plugin runs outside audio through
//! [`sanitize`] before it reaches a model, with the limit that fits its purpose.
//!
//! Non-finite samples (NaN, ±∞) become silence, magnitudes below 10⁻³⁰ (subnormals included)
//! become zero so no subnormal enters a recursive structure even without DAZ, and everything
//! else is clamped to ±limit. Hostile input therefore gives bounded, finite output, and the
//! limits are far above anything musical.

use crate::denormal::flush;

/// What a plugin accepts from its host: ±16 (+24 dBFS). Nothing musical is that loud, and it
/// bounds how hard any model's solver can be pushed.
pub const PLUGIN_INPUT_LIMIT: f32 = 16.0;

/// What a recursive network (the phaser's feedback loop, the reverbs' delay networks) accepts
/// when it is used on its own: ±100 (+40 dBFS). Low enough that a frozen or 100 s tail of it
/// stays far from f32 overflow, so even 1e30 in gives a bounded output that decays like any other.
pub const RECURSIVE_INPUT_LIMIT: f32 = 100.0;

/// What the convolution accepts (input and impulse response samples): ±10⁴. Convolution is
/// linear and has no feedback, so the only concern is that its FFT sums stay finite.
pub const CONVOLUTION_INPUT_LIMIT: f32 = 1.0e4;

/// A sidechain used as a carrier: ±1.5 full scale (about a band-limited square's Gibbs peak). A
/// carrier only needs to switch the ring's diodes, and a runaway sidechain must not make the
/// solver work arbitrarily hard.
pub const CARRIER_INPUT_LIMIT: f32 = 1.5;

/// Non-finite → 0, |x| < 10⁻³⁰ → 0, otherwise clamped to ±`limit`.
#[inline(always)]
pub fn sanitize(x: f32, limit: f32) -> f32 {
    flush(x).clamp(-limit, limit)
}

/// [`sanitize`] every sample of `block` in place.
#[inline]
pub fn sanitize_block(block: &mut [f32], limit: f32) {
    for x in block {
        *x = sanitize(*x, limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_become_silence_or_the_limit() {
        for limit in [PLUGIN_INPUT_LIMIT, RECURSIVE_INPUT_LIMIT, CONVOLUTION_INPUT_LIMIT] {
            assert_eq!(sanitize(f32::NAN, limit), 0.0);
            assert_eq!(sanitize(f32::INFINITY, limit), 0.0);
            assert_eq!(sanitize(f32::NEG_INFINITY, limit), 0.0);
            assert_eq!(sanitize(1e30, limit), limit);
            assert_eq!(sanitize(-1e30, limit), -limit);
            assert_eq!(sanitize(1e-40, limit), 0.0);
            assert_eq!(sanitize(-1e-31, limit), 0.0);
        }
    }

    #[test]
    fn ordinary_samples_pass_unchanged() {
        for x in [0.0f32, 1e-29, -0.25, 0.999, 1.0, -15.9, 16.0] {
            assert_eq!(sanitize(x, PLUGIN_INPUT_LIMIT).to_bits(), x.to_bits());
        }
    }
}
