//! Small pieces the three algorithmic reverbs share: input sanitising, power-of-two delay memory
//! (indexing with a mask instead of a modulo), the allpass-interpolated fractional read used by
//! the modulated delays, a cheap sine-like LFO, and the bounded glide used for delay lengths
//! and gains.

use crate::denormal::flush;

/// Input samples are clamped to ±100 (+40 dBFS) before they enter a recursive network: far above
/// any sane signal, yet low enough that a frozen or 100 s tail of it stays far from f32
/// overflow, so "huge" input (1e30) gives a bounded output that decays like any other.
pub const INPUT_LIMIT: f32 = 100.0;

/// Non-finite → 0, clamp to ±[`INPUT_LIMIT`], and flush magnitudes below 10⁻³⁰ (subnormal inputs
/// included) to zero, so no subnormal ever enters a network even without DAZ.
#[inline(always)]
pub fn sanitize_input(x: f32) -> f32 {
    flush(x).clamp(-INPUT_LIMIT, INPUT_LIMIT)
}

/// True when every sample of both outputs is finite: the per-block last-resort guard.
#[inline]
pub fn all_finite(a: &[f32], b: &[f32]) -> bool {
    // A sum of products with 0 is NaN exactly when some element is NaN or ±inf.
    let mut acc = 0.0f32;
    for (&x, &y) in a.iter().zip(b) {
        acc += x * 0.0 + y * 0.0;
    }
    acc == 0.0
}

/// Delay memory for `lanes` lines of equal power-of-two capacity in one allocation. All lines
/// share the owner's running write position, so a read `d` samples back is
/// `lane·stride + ((pos − d) & mask)`: no modulo, no per-line index, and one mask for all.
#[derive(Clone, Debug)]
pub struct Lanes {
    /// The samples of all lines, line `k` at `k·stride .. (k+1)·stride`.
    buf: Vec<f32>,
    /// Capacity of one line (a power of two).
    stride: usize,
    /// `stride − 1`.
    mask: usize,
    /// Number of lines; `buf.len() == lanes·stride` always.
    lanes: usize,
}

impl Lanes {
    /// `lanes` lines, each able to hold at least `max_delay + 2` samples (a fractional read at
    /// `max_delay` touches `max_delay + 1`).
    pub fn new(lanes: usize, max_delay: usize) -> Self {
        let stride = (max_delay + 2).next_power_of_two();
        let lanes = lanes.max(1);
        Self { buf: vec![0.0; lanes * stride], stride, mask: stride - 1, lanes }
    }

    /// A borrowed view for the duration of one `process` call: its length, stride and mask live
    /// in locals, so the compiler need not reload them after every store into the samples
    /// (which it must assume could alias the owning struct's fields).
    #[inline(always)]
    pub fn view(&mut self) -> LanesView<'_> {
        LanesView { buf: &mut self.buf, stride: self.stride, mask: self.mask, lanes: self.lanes }
    }

    /// Bounds-checked read (for tests and diagnostics; `process` uses [`Self::view`]).
    pub fn peek(&self, lane: usize, pos: usize, delay: usize) -> f32 {
        let i = lane * self.stride + (pos.wrapping_sub(delay) & self.mask);
        if lane < self.lanes {
            self.buf.get(i).copied().unwrap_or(0.0)
        } else {
            0.0
        }
    }

    /// Largest delay a read may use (the capacity less the sample a fractional read adds).
    pub fn max_delay(&self) -> usize {
        self.stride - 2
    }

    /// Clear all lines.
    pub fn reset(&mut self) {
        self.buf.fill(0.0);
    }

    /// Every sample of state, for tests that look for subnormals.
    pub fn samples(&self) -> &[f32] {
        &self.buf
    }

    /// Heap memory held, bytes.
    pub fn memory_bytes(&self) -> usize {
        self.buf.capacity() * core::mem::size_of::<f32>()
    }
}

/// [`Lanes`] borrowed for one block; same layout, `buf.len() == lanes·stride`.
pub struct LanesView<'a> {
    /// The samples of all lines.
    buf: &'a mut [f32],
    /// Capacity of one line (a power of two).
    stride: usize,
    /// `stride − 1`.
    mask: usize,
    /// Number of lines.
    lanes: usize,
}

impl LanesView<'_> {
    /// The sample of line `lane` written `delay` samples before position `pos` (`delay` is taken
    /// modulo the capacity). An out-of-range lane cannot occur in the models (fixed loops) and
    /// reads 0 rather than panic.
    #[inline(always)]
    pub fn read(&self, lane: usize, pos: usize, delay: usize) -> f32 {
        if lane >= self.lanes {
            return 0.0;
        }
        let i = lane * self.stride + (pos.wrapping_sub(delay) & self.mask);
        debug_assert!(i < self.buf.len());
        // SAFETY: `lane < lanes` (checked above; the models' loops use constant lane counts, so
        // the check folds away) and `(…) & mask < stride`, hence `i < lanes·stride`, which is
        // `buf.len()`: `new` allocates exactly that and nothing ever resizes `buf`.
        unsafe { *self.buf.get_unchecked(i) }
    }

    /// Store `x` (flushed by the caller) in line `lane` at position `pos`.
    #[inline(always)]
    pub fn write(&mut self, lane: usize, pos: usize, x: f32) {
        if lane >= self.lanes {
            return;
        }
        let i = lane * self.stride + (pos & self.mask);
        debug_assert!(i < self.buf.len());
        // SAFETY: as in `read`: `lane < lanes` and `pos & mask < stride`, so `i < buf.len()`.
        unsafe { *self.buf.get_unchecked_mut(i) = x }
    }
}

/// Split a fractional delay `d` (≥ 1.5) into the integer part `n` and the allpass-interpolation
/// coefficient η = (1 − α)/(1 + α) with α = d − n kept in [0.5, 1.5), so |η| ≤ 1/3 and the
/// interpolator's pole is well inside the unit circle (Dattorro 1997, "Effect Design Part 1",
/// §5: allpass interpolation has unit magnitude, so modulation neither damps the loop nor
/// changes its RT60, and a frozen loop stays lossless). Returns `(n, η)`.
#[inline(always)]
pub fn allpass_split(d: f32) -> (usize, f32) {
    let d = d.max(1.5);
    let n = (d - 0.5) as usize; // truncation = floor for positive values
    let alpha = d - n as f32;
    (n, (1.0 - alpha) / (1.0 + alpha))
}

/// One step of the first-order allpass interpolator
/// `y[n] = η·(x[n−N] − y[n−1]) + x[n−N−1]`, given the two samples read and the previous output.
#[inline(always)]
pub fn allpass_interpolate(eta: f32, newer: f32, older: f32, previous: f32) -> f32 {
    eta * (newer - previous) + older
}

/// A sine-like LFO shape from a phase in [−1, 1): `4p(1 − |p|)`, which has the sine's peaks
/// (±1 at p = ±½), zeros and a continuous slope at the wrap, at the cost of two multiplies.
/// Its harmonics (−30 dB) are irrelevant for a sub-hertz delay modulation.
#[inline(always)]
pub fn parabolic_sine(phase: f32) -> f32 {
    4.0 * phase * (1.0 - phase.abs())
}

/// Advance an LFO phase in [−1, 1) by `increment` (2·f/fs per sample, < 2) and wrap.
#[inline(always)]
pub fn advance_phase(phase: f32, increment: f32) -> f32 {
    let p = phase + increment;
    if p >= 1.0 {
        p - 2.0
    } else {
        p
    }
}

/// Move `current` towards `target` by at most `step`; lands exactly on `target`.
#[inline(always)]
pub fn glide(current: f32, target: f32, step: f32) -> f32 {
    current + (target - current).clamp(-step, step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allpass_interpolation_of_an_integer_delay_is_exact() {
        // d integer → α = 1 → η = 0 → y = x[n − d].
        let (n, eta) = allpass_split(7.0);
        assert_eq!((n, eta), (6, 0.0));
        assert_eq!(allpass_interpolate(eta, 3.0, -2.0, 5.0), -2.0);
    }

    #[test]
    fn allpass_split_keeps_alpha_in_range_and_the_pole_small() {
        for i in 0..1000 {
            let d = 1.5 + i as f32 * 0.0137;
            let (n, eta) = allpass_split(d);
            let alpha = d - n as f32;
            assert!((0.5..1.5).contains(&alpha) || (alpha - 1.5).abs() < 1e-5, "d {d} α {alpha}");
            assert!(eta.abs() <= 1.0 / 3.0 + 1e-6);
        }
    }

    #[test]
    fn parabolic_sine_has_sine_peaks_zeros_and_is_continuous_at_the_wrap() {
        assert_eq!(parabolic_sine(0.5), 1.0);
        assert_eq!(parabolic_sine(-0.5), -1.0);
        assert_eq!(parabolic_sine(0.0), 0.0);
        assert!(parabolic_sine(0.999_999).abs() < 1e-5 && parabolic_sine(-1.0) == 0.0);
    }

    #[test]
    fn sanitize_input_maps_bad_values_to_safe_ones() {
        assert_eq!(sanitize_input(f32::NAN), 0.0);
        assert_eq!(sanitize_input(f32::INFINITY), 0.0);
        assert_eq!(sanitize_input(1e30), INPUT_LIMIT);
        assert_eq!(sanitize_input(-1e30), -INPUT_LIMIT);
        assert_eq!(sanitize_input(1e-40), 0.0);
        assert_eq!(sanitize_input(0.25), 0.25);
        assert!(all_finite(&[0.0, 1.0], &[2.0, 3.0]));
        assert!(!all_finite(&[0.0, f32::NAN], &[2.0, 3.0]));
        assert!(!all_finite(&[0.0, 1.0], &[f32::NEG_INFINITY, 3.0]));
    }
}
