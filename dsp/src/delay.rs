//! A fixed-capacity integer delay line. Used to delay dry signals by exactly the latency of an
//! oversampled wet path, so that dry/wet mixing is phase-aligned.

/// Circular delay line whose capacity is fixed at construction; `process` never allocates.
#[derive(Clone, Debug)]
pub struct DelayLine {
    /// Ring buffer of past input samples; its length is the largest delay plus one.
    buffer: Vec<f32>,
    /// Index where the next input sample is written.
    write: usize,
    /// Current delay in samples, always `< buffer.len()`.
    delay: usize,
}

impl DelayLine {
    /// A delay line able to delay by up to `max_delay` samples.
    pub fn new(max_delay: usize) -> Self {
        Self { buffer: vec![0.0; max_delay + 1], write: 0, delay: 0 }
    }

    /// Set the delay (clamped to the capacity) and clear the history, so no stale audio from
    /// another delay setting can come out.
    pub fn set_delay(&mut self, delay: usize) {
        self.delay = delay.min(self.buffer.len() - 1);
        self.reset();
    }

    /// The current delay in samples.
    pub fn delay(&self) -> usize {
        self.delay
    }

    /// Clear the history.
    pub fn reset(&mut self) {
        self.buffer.fill(0.0);
        self.write = 0;
    }

    /// Delay `block` in place.
    pub fn process(&mut self, block: &mut [f32]) {
        if self.delay == 0 {
            return;
        }
        let len = self.buffer.len();
        for x in block.iter_mut() {
            self.buffer[self.write] = *x;
            let read = if self.write >= self.delay {
                self.write - self.delay
            } else {
                self.write + len - self.delay
            };
            *x = self.buffer[read];
            self.write += 1;
            if self.write == len {
                self.write = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_an_impulse_by_exactly_the_set_delay_across_blocks() {
        let mut d = DelayLine::new(100);
        d.set_delay(37);
        let mut signal = vec![0.0f32; 200];
        signal[5] = 1.0;
        for chunk in signal.chunks_mut(7) {
            d.process(chunk);
        }
        let peak = signal.iter().position(|&x| x == 1.0).unwrap();
        assert_eq!(peak, 42);
        assert_eq!(signal.iter().filter(|&&x| x != 0.0).count(), 1);
    }

    #[test]
    fn delay_is_clamped_to_capacity() {
        let mut d = DelayLine::new(4);
        d.set_delay(1000);
        assert_eq!(d.delay(), 4);
    }
}
