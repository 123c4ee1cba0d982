//! The one SIMD lane type of the models: four `f32` lanes, [`f32x4`] from the `wide` crate
//! (SSE2 on x86-64, NEON on aarch64, plain arrays elsewhere; no target flag needed), plus
//! [`LaneOps`] for the few operations the models need that `wide` does not give in the form
//! they rely on. The phaser, the VCF, the ring circuit and the reverbs all compute on it.
//!
//! Every operation acts on each lane exactly as the scalar operation would: IEEE add, sub,
//! mul, div and sqrt, exactly rounded, with no fused multiply-add (Rust never contracts
//! `a·b + c`), and the shuffles only move lanes. So a lane computes the same bits as scalar
//! code doing the same operations in the same order, on every platform, which is what lets the
//! models check their SIMD paths bit for bit against scalar ones.
//!
//! Why [`LaneOps`] exists next to `wide`:
//! - min/max: the models rely on the SSE rule `a > b ? a : b` (`a < b ? a : b`), under which a
//!   NaN in either operand yields the second (so `x.max_by_gt(zero)` maps NaN to 0). `wide`'s
//!   `max`/`min` return the non-NaN operand instead (one extra compare and blend), and its
//!   `fast_max`/`fast_min` are MAXPS/MINPS on x86 but NaN-propagating on NEON. So
//!   [`LaneOps::max_by_gt`] is `fast_max` where that is MAXPS and compare-and-select elsewhere:
//!   the same results on every platform.
//! - masks from and to bit sets, the lane shuffles the models' layouts need, and the per-lane
//!   denormal flush of [`crate::denormal::flush`] (one integer range test on the bits), which
//!   `wide` does not offer. The shuffles are one SSE instruction each on x86-64 (the array forms
//!   were measured to cost the hall reverb about 20 %) and array moves elsewhere.

use wide::bytemuck::cast;
pub use wide::{f32x4, i32x4};
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::{__m128, _mm_movehl_ps, _mm_movelh_ps, _mm_shuffle_ps};

/// What the models need of [`f32x4`] beyond `wide`'s own operations (module doc). Masks are
/// [`f32x4`] values whose lanes are all ones or all zeros, as `wide`'s comparisons give.
pub trait LaneOps: Copy {
    /// Lane-wise `self > o ? self : o` (SSE `maxps`): a NaN in either operand gives `o`.
    fn max_by_gt(self, o: Self) -> Self;
    /// Lane-wise `self < o ? self : o` (SSE `minps`): a NaN in either operand gives `o`.
    fn min_by_lt(self, o: Self) -> Self;
    /// Mask of the finite lanes (`|x| < ∞`, so false for NaN and ±∞).
    fn finite_mask(self) -> Self;
    /// The mask with lane `i` set where bit `i` of `bits` is (the inverse of `to_bitmask`).
    fn from_bitmask(bits: u32) -> Self;
    /// True when every lane is exactly ±0 (false for NaN).
    fn is_all_zero(self) -> bool;
    /// `[x2, x3, x0, x1]`.
    fn swap_halves(self) -> Self;
    /// `[x1, x0, x3, x2]`.
    fn swap_pairs(self) -> Self;
    /// `[x0, x1, x0, x1]`: the low half in both halves.
    fn low_to_both(self) -> Self;
    /// `[x2, x3, x2, x3]`: the high half in both halves.
    fn high_to_both(self) -> Self;
    /// `[self0, self1, high0, high1]`: the low halves of `self` and `high`, side by side.
    fn low_halves(self, high: Self) -> Self;
    /// [`crate::denormal::flush`] per lane: `x` bit for bit where `10⁻³⁰ ≤ |x|` and `x` is
    /// finite, +0 elsewhere.
    fn flush_denormals(self) -> Self;
}

/// Bits of `1e-30f32`, the flush threshold [`crate::real::Real::FLUSH_BELOW`] (checked in the
/// tests).
const FLUSH_BELOW_BITS: i32 = 0x0DA2_4260;

impl LaneOps for f32x4 {
    #[inline(always)]
    fn max_by_gt(self, o: Self) -> Self {
        #[cfg(target_feature = "sse")]
        return self.fast_max(o);
        #[cfg(not(target_feature = "sse"))]
        return self.simd_gt(o).select(self, o);
    }
    #[inline(always)]
    fn min_by_lt(self, o: Self) -> Self {
        #[cfg(target_feature = "sse")]
        return self.fast_min(o);
        #[cfg(not(target_feature = "sse"))]
        return self.simd_lt(o).select(self, o);
    }
    #[inline(always)]
    fn finite_mask(self) -> Self {
        self.abs().simd_lt(f32x4::splat(f32::INFINITY))
    }
    #[inline(always)]
    fn from_bitmask(bits: u32) -> Self {
        let lane = |i: u32| -((bits >> i & 1) as i32);
        cast(i32x4::new([lane(0), lane(1), lane(2), lane(3)]))
    }
    #[inline(always)]
    fn is_all_zero(self) -> bool {
        !self.simd_ne(f32x4::ZERO).any()
    }
    #[inline(always)]
    fn swap_halves(self) -> Self {
        #[cfg(target_arch = "x86_64")]
        return shuffle::<0b01_00_11_10>(self, self);
        #[cfg(not(target_arch = "x86_64"))]
        {
            let [a, b, c, d] = self.to_array();
            f32x4::new([c, d, a, b])
        }
    }
    #[inline(always)]
    fn swap_pairs(self) -> Self {
        #[cfg(target_arch = "x86_64")]
        return shuffle::<0b10_11_00_01>(self, self);
        #[cfg(not(target_arch = "x86_64"))]
        {
            let [a, b, c, d] = self.to_array();
            f32x4::new([b, a, d, c])
        }
    }
    #[inline(always)]
    fn low_to_both(self) -> Self {
        self.low_halves(self)
    }
    #[inline(always)]
    fn high_to_both(self) -> Self {
        #[cfg(target_arch = "x86_64")]
        return high_to_low(self, self);
        #[cfg(not(target_arch = "x86_64"))]
        {
            let [.., c, d] = self.to_array();
            f32x4::new([c, d, c, d])
        }
    }
    #[inline(always)]
    fn low_halves(self, high: Self) -> Self {
        #[cfg(target_arch = "x86_64")]
        return low_to_high(self, high);
        #[cfg(not(target_arch = "x86_64"))]
        {
            let ([a, b, ..], [c, d, ..]) = (self.to_array(), high.to_array());
            f32x4::new([a, b, c, d])
        }
    }
    /// One integer range test on the magnitude's bits: for non-negative floats the bit
    /// patterns order like the values, so `10⁻³⁰ ≤ |x| ≤ f32::MAX` (which also excludes ±∞
    /// and every NaN, whose magnitudes' patterns lie above `f32::MAX`'s) is
    /// `bits(|x|) − bits(10⁻³⁰) < bits(MAX) − bits(10⁻³⁰) + 1` unsigned, done as a signed
    /// compare after offsetting by 2³¹.
    #[inline(always)]
    fn flush_denormals(self) -> Self {
        const OFFSET: i32 = i32::MIN.wrapping_sub(FLUSH_BELOW_BITS);
        const LIMIT: i32 = (0x7F7F_FFFFi32 - FLUSH_BELOW_BITS + 1) ^ i32::MIN;
        let bits: i32x4 = cast(self);
        let shifted = (bits & i32x4::splat(0x7FFF_FFFF)) + i32x4::splat(OFFSET);
        let keep = i32x4::splat(LIMIT).simd_gt(shifted);
        cast(bits & keep)
    }
}

// The lane shuffles on x86-64: `wide` has no constant shuffles for `f32x4`, and the array
// forms elsewhere are not always compiled to one instruction. SAFETY (the three `unsafe`
// blocks below): the intrinsics need SSE, which is part of the x86-64 baseline, and touch no
// memory.

/// SHUFPS: `[a[I & 3], a[I >> 2 & 3], b[I >> 4 & 3], b[I >> 6 & 3]]`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn shuffle<const I: i32>(a: f32x4, b: f32x4) -> f32x4 {
    let (a, b): (__m128, __m128) = (a.into(), b.into());
    unsafe { _mm_shuffle_ps::<I>(a, b) }.into()
}

/// MOVLHPS: `[a0, a1, b0, b1]`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn low_to_high(a: f32x4, b: f32x4) -> f32x4 {
    let (a, b): (__m128, __m128) = (a.into(), b.into());
    unsafe { _mm_movelh_ps(a, b) }.into()
}

/// MOVHLPS: `[b2, b3, a2, a3]`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn high_to_low(a: f32x4, b: f32x4) -> f32x4 {
    let (a, b): (__m128, __m128) = (a.into(), b.into());
    unsafe { _mm_movehl_ps(a, b) }.into()
}

/// [`crate::denormal::flush`] of one value through the lanes (for serial recursions: it stays
/// in the vector unit, four single-cycle operations, where the scalar one branches).
#[inline(always)]
pub fn flush_in_lanes(x: f32) -> f32 {
    f32x4::splat(x).flush_denormals().to_array()[0]
}

/// Horner evaluation `((c[N−1]·x + c[N−2])·x + …)·x + c[0]` on lanes, in that order (so the
/// same bits as the scalar loop written the same way).
#[inline(always)]
pub fn horner<const N: usize>(x: f32x4, c: &[f32; N]) -> f32x4 {
    let mut acc = f32x4::splat(c[N - 1]);
    let mut i = N - 1;
    while i > 0 {
        i -= 1;
        acc = acc * x + f32x4::splat(c[i]);
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::denormal::flush;

    #[test]
    fn flush_denormals_is_the_scalar_flush_bit_for_bit() {
        assert_eq!(1e-30f32.to_bits() as i32, FLUSH_BELOW_BITS);
        assert_eq!(<f32 as crate::real::Real>::FLUSH_BELOW, 1e-30);
        let mut values = vec![
            0.0f32, -0.0, 1e-30, -1e-30, 9.999_999e-31, 1.000_001e-30, 1e-40, -1e-45, f32::MIN_POSITIVE, f32::MAX, f32::MIN,
            f32::INFINITY, f32::NEG_INFINITY, f32::NAN, -f32::NAN, 1.0, -3.5, 1e30,
        ];
        values.push(f32::from_bits(0x7FC0_0001));
        values.push(f32::from_bits(0xFF80_0001));
        let mut state = 1u32;
        for _ in 0..100_000 {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            values.push(f32::from_bits(state));
        }
        for chunk in values.chunks_exact(4) {
            let x: [f32; 4] = chunk.try_into().unwrap();
            let lanes = f32x4::new(x).flush_denormals().to_array();
            for (p, &v) in lanes.iter().zip(&x) {
                assert_eq!(p.to_bits(), flush(v).to_bits(), "{v:e} ({:#x})", v.to_bits());
            }
            assert_eq!(flush_in_lanes(x[0]).to_bits(), flush(x[0]).to_bits());
        }
    }

    #[test]
    fn min_and_max_follow_the_sse_rule_with_nan() {
        let nan = f32::NAN;
        let a = f32x4::new([nan, 1.0, 2.0, -0.0]);
        let b = f32x4::new([3.0, nan, 1.0, 0.0]);
        let bits = |v: f32x4| v.to_array().map(f32::to_bits);
        assert_eq!(bits(a.max_by_gt(b)), [3.0f32.to_bits(), nan.to_bits(), 2.0f32.to_bits(), 0.0f32.to_bits()]);
        assert_eq!(bits(a.min_by_lt(b)), [3.0f32.to_bits(), nan.to_bits(), 1.0f32.to_bits(), 0.0f32.to_bits()]);
        // The compare-and-select form used where MAXPS/MINPS are not available gives the same.
        assert_eq!(bits(a.simd_gt(b).select(a, b)), bits(a.max_by_gt(b)));
        assert_eq!(bits(a.simd_lt(b).select(a, b)), bits(a.min_by_lt(b)));
    }

    #[test]
    fn masks_and_shuffles_move_the_right_lanes() {
        let x = f32x4::new([1.0, 2.0, 3.0, 4.0]);
        let y = f32x4::new([5.0, 6.0, 7.0, 8.0]);
        assert_eq!(x.swap_halves().to_array(), [3.0, 4.0, 1.0, 2.0]);
        assert_eq!(x.swap_pairs().to_array(), [2.0, 1.0, 4.0, 3.0]);
        assert_eq!(x.low_to_both().to_array(), [1.0, 2.0, 1.0, 2.0]);
        assert_eq!(x.high_to_both().to_array(), [3.0, 4.0, 3.0, 4.0]);
        assert_eq!(x.low_halves(y).to_array(), [1.0, 2.0, 5.0, 6.0]);
        for bits in 0..16 {
            assert_eq!(f32x4::from_bitmask(bits).to_bitmask(), bits);
        }
        let inf = f32::INFINITY;
        assert_eq!(f32x4::new([1.0, inf, -inf, f32::NAN]).finite_mask().to_bitmask(), 0b0001);
        assert!(f32x4::new([0.0, -0.0, 0.0, 0.0]).is_all_zero());
        assert!(!f32x4::new([0.0, f32::NAN, 0.0, 0.0]).is_all_zero());
    }
}

