//! A minimal float abstraction so a model can be written once and run both in `f32` (the plugin)
//! and in `f64` (the high-precision reference its accuracy is measured against).

use core::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// The arithmetic the models need, implemented for `f32` and `f64`.
pub trait Real:
    Copy
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + core::fmt::Debug
    + Send
    + Sync
    + 'static
{
    const ZERO: Self;
    const ONE: Self;
    /// The smallest positive normal number.
    const MIN_NORMAL: Self;
    /// State magnitudes below this are flushed to zero by the per-structure denormal guards:
    /// far below audibility (−600 dB in f32), yet high enough that products with filter
    /// coefficients downstream stay normal too.
    const FLUSH_BELOW: Self;
    /// Relative rounding unit, used to scale solver tolerances to the precision.
    const EPSILON: Self;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn abs(self) -> Self;
    fn max(self, other: Self) -> Self;
    fn min(self, other: Self) -> Self;
    fn is_finite(self) -> bool;
}

macro_rules! impl_real {
    ($t:ty, $flush:expr) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const MIN_NORMAL: Self = <$t>::MIN_POSITIVE;
            const FLUSH_BELOW: Self = $flush;
            const EPSILON: Self = <$t>::EPSILON;
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                <$t>::min(self, other)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
        }
    };
}
impl_real!(f32, 1e-30);
impl_real!(f64, 1e-290);
