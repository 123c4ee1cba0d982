//! One small deterministic random generator for every test and bench (tests must reproduce).

/// xorshift64* (Vigna): fast, dependency-free, good enough for test signals and fuzzing.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose state is `seed` itself (0 becomes 1, the state may not be 0).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// A generator for a small seed (1, 2, 3...): the seed is spread over all 64 bits first,
    /// so that neighbouring seeds give unrelated sequences from the first draw on.
    pub fn from_small_seed(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1), 24 bits (every value exact in `f32`).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in [-1, 1), 24 bits.
    pub fn signed(&mut self) -> f32 {
        self.unit() * 2.0 - 1.0
    }

    /// Uniform in [0, 1), 53 bits.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [-1, 1), 53 bits.
    pub fn signed_f64(&mut self) -> f64 {
        self.unit_f64() * 2.0 - 1.0
    }

    /// Uniform in `0..n` (0 for `n` = 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut rng = Rng::from_small_seed(1);
        for _ in 0..10_000 {
            assert!((0.0..1.0).contains(&rng.unit()));
            assert!((-1.0..1.0).contains(&rng.signed()));
            assert!((0.0..1.0).contains(&rng.unit_f64()));
            assert!((-1.0..1.0).contains(&rng.signed_f64()));
            assert!(rng.below(7) < 7);
            assert!((3..=5).contains(&rng.range(3, 5)));
        }
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn the_same_seed_gives_the_same_sequence() {
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
        // The published first output of xorshift64* from state 1.
        assert_eq!(Rng::new(0).next_u64(), Rng::new(1).next_u64());
    }
}
