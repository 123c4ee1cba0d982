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
    /// capacity, a NaN taken as 0; the common length of all slices is processed).
    pub fn process(&mut self, input: [&[f32]; 2], delay: &[f32], output: [&mut [f32]; 2]) {
        let mask = self.lines[0].len() - 1;
        let max_delay = (mask - 1) as f32;
        let [out_l, out_r] = output;
        let n = delay.len().min(input[0].len()).min(input[1].len()).min(out_l.len()).min(out_r.len());
        for i in 0..n {
            let w = self.write;
            // `max` ignores a NaN: a NaN delay reads the newest sample.
            let d = delay[i].max(0.0).min(max_delay);
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

    /// [`Self::process`] with the same `delay` for every sample (a predelay at rest), giving
    /// the same output bit for bit, but as block copies and straight runs of interpolation
    /// that vectorise instead of a ring index per sample: each piece of the input is written
    /// first, then read back, in pieces short enough that no read reaches a sample written
    /// later in the same piece.
    pub fn process_constant(&mut self, input: [&[f32]; 2], delay: f32, output: [&mut [f32]; 2]) {
        let len = self.lines[0].len();
        let mask = len - 1;
        let d = delay.max(0.0).min((mask - 1) as f32);
        let whole = d as usize;
        let frac = d - whole as f32;
        // The oldest sample a piece reads is `whole + 1` before its first: a piece of `piece`
        // samples must leave those unwritten (`whole ≤ len − 2`, so `piece ≥ 1`).
        let piece = len - whole - 1;
        let [out_l, out_r] = output;
        let n = input[0].len().min(input[1].len()).min(out_l.len()).min(out_r.len());
        let mut done = 0;
        while done < n {
            let m = piece.min(n - done);
            let w = self.write;
            for (ch, out) in [&mut *out_l, &mut *out_r].into_iter().enumerate() {
                let line = &mut self.lines[ch];
                let x = &input[ch][done..done + m];
                let first = m.min(len - w);
                line[w..w + first].copy_from_slice(&x[..first]);
                line[..m - first].copy_from_slice(&x[first..]);
                // Read sample i of the piece at a = w + i − whole, with b = a − 1 beside it:
                // straight runs between the places where either index wraps.
                let out = &mut out[done..done + m];
                let mut i = 0;
                while i < m {
                    let a = w.wrapping_add(i).wrapping_sub(whole) & mask;
                    if a == 0 {
                        let (x0, x1) = (line[0], line[mask]);
                        out[i] = x0 + (x1 - x0) * frac;
                        i += 1;
                        continue;
                    }
                    let run = (len - a).min(m - i);
                    for ((y, &x0), &x1) in out[i..i + run].iter_mut().zip(&line[a..a + run]).zip(&line[a - 1..a - 1 + run]) {
                        *y = x0 + (x1 - x0) * frac;
                    }
                    i += run;
                }
            }
            self.write = (w + m) & mask;
            done += m;
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
    fn a_constant_gliding_delay_is_the_per_sample_one_bit_for_bit() {
        // Whole and fractional delays, zero, the capacity and beyond, with blocks longer and
        // shorter than the line and write positions at every phase of the ring.
        for delay in [0.0f32, 0.5, 1.0, 10.25, 37.9, 61.0, 62.0, 1e9, -3.0, f32::NAN] {
            let (mut a, mut b) = (StereoGlidingDelay::new(60), StereoGlidingDelay::new(60));
            let mut t = 0usize;
            for block in [1usize, 7, 64, 200, 3, 129, 64, 500] {
                let x: [Vec<f32>; 2] = [0, 1].map(|ch| (t..t + block).map(|i| ((i * 31 + ch * 7) % 97) as f32 - 48.0).collect());
                t += block;
                let (mut al, mut ar, mut bl, mut br) = (vec![0.0; block], vec![0.0; block], vec![0.0; block], vec![0.0; block]);
                a.process([&x[0], &x[1]], &vec![delay; block], [&mut al, &mut ar]);
                b.process_constant([&x[0], &x[1]], delay, [&mut bl, &mut br]);
                for i in 0..block {
                    assert_eq!([al[i].to_bits(), ar[i].to_bits()], [bl[i].to_bits(), br[i].to_bits()], "delay {delay}, sample {i} of a {block}-sample block");
                }
                assert_eq!(a.write, b.write);
            }
        }
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
