//! A declicking switch: fades a signal out, lets the owner switch something discrete (a model,
//! an oversampling factor, a waveform) at silence, and fades back in. Used wherever a
//! parameter cannot be smoothed.
//!
//! The fade is a raised cosine (C¹ at both ends, so the gain change itself adds no click),
//! `gain = ½ − ½·cos(π·p/len)`.

/// Where the fade stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    /// Fully open, nothing pending.
    Idle,
    /// Fading out towards a switch.
    Out,
    /// Fading back in after a switch.
    In,
}

/// Fade-out, switch, fade-in.
#[derive(Clone, Debug)]
pub struct SwitchFade {
    /// Fade length in samples (each way).
    len: u32,
    /// Position in the fade: `len` is fully open, 0 is silent.
    pos: u32,
    /// Current direction.
    direction: Direction,
    /// Samples to stay silent after a switch before fading in (e.g. while a new latency fills).
    hold: u32,
}

impl SwitchFade {
    /// A fade of `len` samples each way (at least 1).
    pub fn new(len: u32) -> Self {
        let len = len.max(1);
        Self { len, pos: len, direction: Direction::Idle, hold: 0 }
    }

    /// Ask for a switch: fade out (from wherever the gain is now).
    pub fn request(&mut self) {
        self.direction = Direction::Out;
    }

    /// True while a switch has been requested and not yet made.
    pub fn pending(&self) -> bool {
        self.direction == Direction::Out
    }

    /// Samples until the gain reaches zero (0 when it is there: switch now); `None` when no switch
    /// is pending.
    pub fn samples_to_switch(&self) -> Option<usize> {
        (self.direction == Direction::Out).then_some(self.pos as usize)
    }

    /// Call after switching (at zero gain): stay silent for `hold` samples (for example while a
    /// delay line refills after a latency change, so the fade-in does not start on a
    /// discontinuity), then fade back in.
    pub fn switched(&mut self, hold: u32) {
        self.direction = Direction::In;
        self.hold = hold;
    }

    /// Cancel a pending switch (the setting went back before the switch point): fade back in
    /// from wherever the gain is.
    pub fn cancel(&mut self) {
        if self.direction == Direction::Out {
            self.direction = Direction::In;
        }
    }

    /// Return to fully open immediately (on reset).
    pub fn reset(&mut self) {
        self.pos = self.len;
        self.direction = Direction::Idle;
        self.hold = 0;
    }

    /// True when the gain is 1 and nothing is pending: callers may skip applying it.
    pub fn is_open(&self) -> bool {
        self.direction == Direction::Idle
    }

    /// Write the next `gains.len()` gains.
    pub fn fill(&mut self, gains: &mut [f32]) {
        if self.direction == Direction::Idle {
            gains.fill(1.0);
            return;
        }
        let inv = 1.0 / self.len as f32;
        for g in gains.iter_mut() {
            match self.direction {
                Direction::Out => self.pos = self.pos.saturating_sub(1),
                Direction::In if self.hold > 0 => self.hold -= 1,
                Direction::In => {
                    self.pos = (self.pos + 1).min(self.len);
                    if self.pos == self.len {
                        self.direction = Direction::Idle;
                    }
                }
                Direction::Idle => {}
            }
            *g = 0.5 - 0.5 * (core::f32::consts::PI * self.pos as f32 * inv).cos();
        }
    }
}

#[cfg(test)]
mod hold_tests {
    use super::*;

    #[test]
    fn a_hold_keeps_the_gain_at_zero_before_fading_in() {
        let mut f = SwitchFade::new(8);
        f.request();
        f.fill(&mut [0.0; 8]);
        f.switched(5);
        let mut g = [1.0; 13];
        f.fill(&mut g);
        assert!(g[..5].iter().all(|&x| x == 0.0), "{g:?}");
        assert!(g[5] > 0.0 && g[12] == 1.0, "{g:?}");
    }

    #[test]
    fn cancelling_a_pending_switch_fades_back_in() {
        let mut f = SwitchFade::new(8);
        f.request();
        f.fill(&mut [0.0; 3]);
        f.cancel();
        assert!(!f.pending());
        let mut g = [0.0; 8];
        f.fill(&mut g);
        assert_eq!(g[7], 1.0);
        assert!(f.is_open());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fades_out_to_exact_silence_then_back_to_unity_smoothly() {
        let mut f = SwitchFade::new(64);
        f.request();
        assert_eq!(f.samples_to_switch(), Some(64));
        let mut out = vec![0.0; 64];
        f.fill(&mut out);
        assert_eq!(*out.last().unwrap(), 0.0);
        assert_eq!(f.samples_to_switch(), Some(0));
        f.switched(0);
        let mut back = vec![0.0; 64];
        f.fill(&mut back);
        assert_eq!(*back.last().unwrap(), 1.0);
        assert!(f.is_open());
        // Monotone, and no step larger than the raised cosine's steepest slope (π/2 per len).
        let all: Vec<f32> = [1.0].iter().chain(&out).chain(&back).copied().collect();
        for w in all.windows(2) {
            assert!((w[1] - w[0]).abs() <= core::f32::consts::FRAC_PI_2 / 64.0 + 1e-6);
        }
    }
}
