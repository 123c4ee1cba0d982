//! Denormal (subnormal) protection, at two levels (docs/models.md, "Denormal guards").
//!
//! Recursive structures decay into subnormal floats once their input stops, and on x86 each
//! operation on a subnormal can cost around a hundred normal ones: the classic "CPU jumps when the
//! music stops". Hosts may or may not set flush-to-zero for us, and none sets
//! denormals-are-zero (which also treats subnormal *inputs* as zero), so we guard twice:
//!
//! 1. [`ScopedFlushDenormals`]: sets FTZ and DAZ on the current thread for the duration of a
//!    `process` call and restores the host's flags afterwards (x86/x86_64 MXCSR bits 15 and 6,
//!    AArch64 FPCR.FZ bit 24, which covers both inputs and results there). A no-op elsewhere.
//! 2. [`flush`]: per-structure guard applied to every recursive state variable, so that state
//!    never *holds* a subnormal even on a platform or thread without the flags.

/// Flush `x` to zero when its magnitude is below [`Real::FLUSH_BELOW`] (10⁻³⁰ in f32, well
/// above the subnormal range so that downstream products stay normal too), or when it is not
/// finite, which a recursive state must never keep either. Compiles to a compare and a select.
///
/// [`Real::FLUSH_BELOW`]: crate::real::Real::FLUSH_BELOW
#[inline(always)]
pub fn flush<T: crate::real::Real>(x: T) -> T {
    if x.abs() >= T::FLUSH_BELOW && x.is_finite() {
        x
    } else {
        T::ZERO
    }
}

/// True when `x` is a subnormal number (non-zero and smaller than the smallest normal).
pub fn is_subnormal_f32(x: f32) -> bool {
    x != 0.0 && x.abs() < f32::MIN_POSITIVE
}

/// True when `x` is a subnormal number (non-zero and smaller than the smallest normal).
pub fn is_subnormal_f64(x: f64) -> bool {
    x != 0.0 && x.abs() < f64::MIN_POSITIVE
}

/// Enables flush-to-zero and denormals-are-zero on this thread until dropped, then restores the
/// previous floating-point control state exactly.
pub struct ScopedFlushDenormals {
    /// The control register value to restore on drop.
    #[allow(dead_code)]
    saved: usize,
}

impl ScopedFlushDenormals {
    /// Set FTZ+DAZ (where the architecture has them) and remember the previous state.
    #[inline]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let saved = arch::read();
        arch::write(arch::with_flush_bits(saved));
        Self { saved }
    }
}

impl Drop for ScopedFlushDenormals {
    #[inline]
    fn drop(&mut self) {
        arch::write(self.saved);
    }
}

#[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
mod arch {
    /// MXCSR flush-to-zero (bit 15) and denormals-are-zero (bit 6).
    const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

    #[inline]
    pub fn read() -> usize {
        let mut csr: u32 = 0;
        // SAFETY: `stmxcsr` stores the 32-bit MXCSR register to the given address, which is a
        // valid, aligned local. SSE is part of the x86_64 baseline.
        unsafe {
            core::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags));
        }
        csr as usize
    }

    #[inline]
    pub fn write(value: usize) {
        let csr = value as u32;
        // SAFETY: loads a value previously read from MXCSR (with at most the FTZ/DAZ bits
        // changed), which is always a valid MXCSR value.
        unsafe {
            core::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags));
        }
    }

    #[inline]
    pub fn with_flush_bits(value: usize) -> usize {
        value | FTZ_DAZ as usize
    }
}

#[cfg(target_arch = "aarch64")]
mod arch {
    /// FPCR.FZ: flush subnormal inputs and outputs to zero.
    const FZ: usize = 1 << 24;

    #[inline]
    pub fn read() -> usize {
        let fpcr: usize;
        // SAFETY: reading FPCR has no side effects.
        unsafe { core::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack)) };
        fpcr
    }

    #[inline]
    pub fn write(value: usize) {
        // SAFETY: writes back a previously read FPCR value with at most the FZ bit changed.
        unsafe { core::arch::asm!("msr fpcr, {}", in(reg) value, options(nomem, nostack)) };
    }

    #[inline]
    pub fn with_flush_bits(value: usize) -> usize {
        value | FZ
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64")))]
mod arch {
    #[inline]
    pub fn read() -> usize {
        0
    }
    #[inline]
    pub fn write(_value: usize) {}
    #[inline]
    pub fn with_flush_bits(value: usize) -> usize {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_zeroes_subnormals_and_non_finite_values_and_keeps_normals() {
        assert_eq!(flush(1.0e-39f32), 0.0);
        assert_eq!(flush(-1.0e-39f32), 0.0);
        assert_eq!(flush(f32::NAN), 0.0);
        assert_eq!(flush(f32::INFINITY), 0.0);
        assert_eq!(flush(f32::MIN_POSITIVE), 0.0);
        assert_eq!(flush(2e-30f32), 2e-30);
        assert_eq!(flush(-0.5f32), -0.5);
        assert_eq!(flush(1.0e-310f64), 0.0);
    }

    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    #[test]
    fn scoped_guard_flushes_subnormal_results_and_restores_the_previous_state() {
        // black_box keeps the compiler from folding the arithmetic at compile time.
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        let before = std::hint::black_box(tiny) * std::hint::black_box(0.25f32);
        assert!(is_subnormal_f32(before), "without the guard the product is subnormal");
        {
            let _guard = ScopedFlushDenormals::new();
            let during = std::hint::black_box(tiny) * std::hint::black_box(0.25f32);
            assert_eq!(during, 0.0, "FTZ must flush the subnormal result");
        }
        let after = std::hint::black_box(tiny) * std::hint::black_box(0.25f32);
        assert!(is_subnormal_f32(after), "the previous state must be restored");
    }
}
