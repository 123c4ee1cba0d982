//! Delay lines of fixed capacity: [`DelayLine`], an integer delay (dry signals delayed by
//! exactly the latency of an oversampled wet path, so dry/wet mixing is phase-aligned), and
//! [`StereoGlidingDelay`], a fractional delay whose length may move every sample (a predelay
//! that glides instead of clicking).

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

/// A stereo delay whose length, in samples, is given per sample and read with linear
/// interpolation, so a moving length glides (heard as a brief pitch bend) instead of clicking.
/// Power-of-two buffers: the read position is masked, not wrapped with a modulo.
#[derive(Clone, Debug)]
pub struct StereoGlidingDelay {
    /// One buffer per channel, a power of two long.
    lines: [Vec<f32>; 2],
    /// Where the next input sample is written.
    write: usize,
}

impl StereoGlidingDelay {
    /// A delay able to reach at least `max_delay` samples.
    pub fn new(max_delay: usize) -> Self {
        let len = (max_delay + 2).next_power_of_two();
        Self { lines: [vec![0.0; len], vec![0.0; len]], write: 0 }
    }

    /// Clear the history.
    pub fn reset(&mut self) {
        for line in &mut self.lines {
            line.fill(0.0);
        }
        self.write = 0;
    }

    /// Delay `input[ch]` into `output[ch]` by `delay[i]` samples at sample `i` (clamped to the
    /// capacity; the common length of all slices is processed).
    pub fn process(&mut self, input: [&[f32]; 2], delay: &[f32], output: [&mut [f32]; 2]) {
        let mask = self.lines[0].len() - 1;
        let max_delay = (mask - 1) as f32;
        let [out_l, out_r] = output;
        let n = delay.len().min(input[0].len()).min(input[1].len()).min(out_l.len()).min(out_r.len());
        for i in 0..n {
            let w = self.write;
            let d = delay[i].clamp(0.0, max_delay);
            let whole = d as usize;
            let frac = d - whole as f32;
            for (ch, out) in [&mut *out_l, &mut *out_r].into_iter().enumerate() {
                let line = &mut self.lines[ch];
                line[w] = input[ch][i];
                let a = line[w.wrapping_sub(whole) & mask];
                let b = line[w.wrapping_sub(whole + 1) & mask];
                out[i] = a + (b - a) * frac;
            }
            self.write = (w + 1) & mask;
        }
    }

    /// Heap memory, bytes.
    pub fn memory_bytes(&self) -> usize {
        self.lines.iter().map(|l| l.len() * 4).sum()
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
    fn gliding_delay_reads_whole_and_fractional_delays_exactly() {
        let mut d = StereoGlidingDelay::new(100);
        let x: Vec<f32> = (0..64).map(|i| i as f32).collect();
        let (mut l, mut r) = (vec![0.0; 64], vec![0.0; 64]);
        // A ramp delayed by 10.25 samples is the ramp minus 10.25 once the line has filled.
        d.process([&x, &x], &[10.25; 64], [&mut l, &mut r]);
        for i in 11..64 {
            assert_eq!(l[i], i as f32 - 10.25);
            assert_eq!(r[i], l[i]);
        }
        // Longer than the capacity: clamped, still finite.
        d.process([&x, &x], &[1e9; 64], [&mut l, &mut r]);
        assert!(l.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn delay_is_clamped_to_capacity() {
        let mut d = DelayLine::new(4);
        d.set_delay(1000);
        let mut signal = [1.0f32, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        d.process(&mut signal);
        assert_eq!(signal, [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    }
}
