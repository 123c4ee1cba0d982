//! What the audio thread hands the editor, without locks or allocation on the audio side:
//! input and output meters (peak and mean square per channel, in atomics), the most recent
//! input and output samples (wait-free, lossy windows the editor copies for its spectrum) and a
//! few readouts an engine fills (solver load, LFO phase…). Nothing is written
//! while no editor is open: the skeleton checks [`EditorData::is_open`] once per block.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, AtomicUsize, Ordering};

use atomic_float::AtomicF32;
use wide::f32x8;

/// Channels metered (mono and stereo layouts; more channels fold onto these two).
pub const METER_CHANNELS: usize = 2;

/// Samples kept for the editor (a power of two): 8192 at 48 kHz is 170 ms, enough for a
/// 4096-point spectrum at 60 frames per second.
pub const WINDOW_LEN: usize = 8192;

/// Readout slots an engine may fill for its editor (what each slot means is the effect's own).
pub const READOUTS: usize = 4;

/// Which sample windows an open editor reads. Meters and readouts are fed whenever an editor
/// is open; a window costs the audio thread a store per sample, so it is filled only for an
/// editor that draws from it (a spectrum).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Windows {
    /// The main input's latest samples ([`EditorData::latest_input`]).
    pub input: bool,
    /// The output's latest samples ([`EditorData::latest`]).
    pub output: bool,
}

impl Windows {
    /// No window: meters and readouts only.
    pub const NONE: Windows = Windows { input: false, output: false };
    /// Both windows.
    pub const BOTH: Windows = Windows { input: true, output: true };

    const INPUT_BIT: u8 = 1;
    const OUTPUT_BIT: u8 = 2;

    fn bits(self) -> u8 {
        (if self.input { Self::INPUT_BIT } else { 0 }) | (if self.output { Self::OUTPUT_BIT } else { 0 })
    }
}

/// One tapped signal: meters since the editor last read them, and its latest samples.
struct Tap {
    /// Largest |sample| per channel since the editor last took it.
    peak: [AtomicF32; METER_CHANNELS],
    /// Sum of squares per channel since the editor last took it.
    sum_squares: [AtomicF32; METER_CHANNELS],
    /// Samples summed into `sum_squares` since the editor last took it.
    count: AtomicU32,
    /// The most recent samples (mono sum), as f32 bits, at `index & (WINDOW_LEN − 1)`.
    window: Box<[AtomicU32]>,
    /// Total samples ever written to `window` (wrapping).
    written: AtomicUsize,
}

impl Default for Tap {
    fn default() -> Self {
        Self {
            peak: Default::default(),
            sum_squares: Default::default(),
            count: AtomicU32::new(0),
            window: (0..WINDOW_LEN).map(|_| AtomicU32::new(0)).collect(),
            written: AtomicUsize::new(0),
        }
    }
}

/// Largest |x| and sum of x² of `samples`, eight lanes at a time. A NaN sample leaves the peak
/// alone (`fast_max` keeps its second operand when either is NaN) and makes the sum NaN, which
/// the editor's meter counts as silence.
fn peak_and_squares(samples: &[f32]) -> (f32, f32) {
    let (chunks, rest) = samples.as_chunks::<8>();
    let mut peak = f32x8::ZERO;
    let mut squares = f32x8::ZERO;
    for &chunk in chunks {
        let x = f32x8::new(chunk);
        peak = x.abs().fast_max(peak);
        squares += x * x;
    }
    let peak = peak.to_array().into_iter().chain(rest.iter().map(|x| x.abs())).fold(0.0, f32::max);
    let squares = rest.iter().fold(squares.reduce_add(), |s, &x| s + x * x);
    (peak, squares)
}

impl Tap {
    /// Audio thread only (the single writer), so plain loads and stores of the atomics cannot
    /// lose its own updates; the editor only resets them. The meters are always fed; the
    /// sample window only when `window` is set (an editor that reads it is open).
    fn publish<S: AsRef<[f32]>>(&self, channels: &[S], len: usize, window: bool) {
        let used = channels.len().min(METER_CHANNELS);
        let mut firsts: [&[f32]; METER_CHANNELS] = [&[]; METER_CHANNELS];
        let mut len = len;
        for (slot, samples) in firsts.iter_mut().zip(channels) {
            *slot = samples.as_ref();
            len = len.min(slot.len());
        }
        let firsts = &firsts[..used];
        for (ch, samples) in firsts.iter().enumerate() {
            let (peak, squares) = peak_and_squares(&samples[..len]);
            let stored = self.peak[ch].load(Ordering::Relaxed);
            self.peak[ch].store(stored.max(peak), Ordering::Relaxed);
            self.sum_squares[ch].store(self.sum_squares[ch].load(Ordering::Relaxed) + squares, Ordering::Relaxed);
        }
        self.count.store(self.count.load(Ordering::Relaxed).saturating_add(len as u32), Ordering::Relaxed);
        if !window || used == 0 {
            return;
        }
        let start = self.written.load(Ordering::Relaxed);
        // At most two contiguous runs of the ring per window length written, so no index
        // is masked per sample.
        let mut done = 0;
        while done < len {
            let pos = start.wrapping_add(done) & (WINDOW_LEN - 1);
            let run = (WINDOW_LEN - pos).min(len - done);
            let dst = &self.window[pos..pos + run];
            match firsts {
                [mono] => {
                    for (d, &x) in dst.iter().zip(&mono[done..done + run]) {
                        d.store(x.to_bits(), Ordering::Relaxed);
                    }
                }
                [left, right, ..] => {
                    for ((d, &l), &r) in dst.iter().zip(&left[done..done + run]).zip(&right[done..done + run]) {
                        d.store(((l + r) * 0.5).to_bits(), Ordering::Relaxed);
                    }
                }
                [] => {}
            }
            done += run;
        }
        self.written.store(start.wrapping_add(len), Ordering::Release);
    }

    fn take_meters(&self) -> [MeterReading; METER_CHANNELS] {
        let count = self.count.swap(0, Ordering::Relaxed).max(1) as f32;
        std::array::from_fn(|ch| MeterReading {
            peak: self.peak[ch].swap(0.0, Ordering::Relaxed),
            rms: (self.sum_squares[ch].swap(0.0, Ordering::Relaxed) / count).sqrt(),
        })
    }

    fn latest(&self, out: &mut [f32]) -> bool {
        let n = out.len().min(WINDOW_LEN / 2);
        let end = self.written.load(Ordering::Acquire);
        let start = end.wrapping_sub(n);
        for (i, y) in out[..n].iter_mut().enumerate() {
            *y = f32::from_bits(self.window[start.wrapping_add(i) & (WINDOW_LEN - 1)].load(Ordering::Relaxed));
        }
        // The copy is intact when the writer has not advanced by more than the untouched half.
        let now = self.written.load(Ordering::Acquire);
        now.wrapping_sub(end) <= WINDOW_LEN - n
    }
}

/// Meters, sample windows and readouts shared by the audio thread (writer) and an editor
/// (reader).
pub struct EditorData {
    /// True while an editor is open; the audio thread writes nothing otherwise.
    open: AtomicBool,
    /// The processed output.
    output: Tap,
    /// The main input, before processing.
    input: Tap,
    /// Values an engine reports (carrier level, solver iterations, LFO phase…).
    readouts: [AtomicF32; READOUTS],
    /// The sample rate the plugin was activated at (Hz; 0 before activation).
    sample_rate: AtomicF32,
    /// The latency the plugin reports (samples), updated every block while open.
    latency: AtomicU32,
    /// The [`Windows`] the open editor reads, as bits.
    windows: AtomicU8,
}

impl Default for EditorData {
    fn default() -> Self {
        Self {
            open: AtomicBool::new(false),
            output: Tap::default(),
            input: Tap::default(),
            readouts: Default::default(),
            sample_rate: AtomicF32::new(0.0),
            latency: AtomicU32::new(0),
            windows: AtomicU8::new(0),
        }
    }
}

/// One channel's meter reading.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeterReading {
    /// Largest |sample| since the last reading.
    pub peak: f32,
    /// RMS since the last reading.
    pub rms: f32,
}

impl EditorData {
    /// True while an editor is open.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }

    /// The editor calls this when it opens (`true`) and closes (`false`).
    pub fn set_open(&self, open: bool) {
        self.open.store(open, Ordering::Relaxed);
    }

    /// The editor, before it opens: which sample windows it reads (none unless set).
    pub fn set_windows(&self, windows: Windows) {
        self.windows.store(windows.bits(), Ordering::Relaxed);
    }

    /// Audio thread: publish the first `len` samples of `channels` (a processed block): the
    /// output meters, and the output window if the editor reads it.
    pub fn publish(&self, channels: &[&mut [f32]], len: usize) {
        let window = self.windows.load(Ordering::Relaxed) & Windows::OUTPUT_BIT != 0;
        self.output.publish(channels, len, window);
    }

    /// Audio thread: publish the first `len` samples of the input block, before processing:
    /// the input meters, and the input window if the editor reads it.
    pub fn publish_input(&self, channels: &[&mut [f32]], len: usize) {
        let window = self.windows.load(Ordering::Relaxed) & Windows::INPUT_BIT != 0;
        self.input.publish(channels, len, window);
    }

    /// Audio thread (engine): set readout `slot` (ignored past [`READOUTS`]).
    pub fn set_readout(&self, slot: usize, value: f32) {
        if let Some(r) = self.readouts.get(slot) {
            r.store(value, Ordering::Relaxed);
        }
    }

    /// Editor: the last value written to readout `slot` (0 if none or out of range).
    pub fn readout(&self, slot: usize) -> f32 {
        self.readouts.get(slot).map_or(0.0, |r| r.load(Ordering::Relaxed))
    }

    /// Sets the sample rate (at activation) and the latency (per block while open).
    pub fn set_rate_and_latency(&self, sample_rate: f32, latency: u32) {
        self.sample_rate.store(sample_rate, Ordering::Relaxed);
        self.latency.store(latency, Ordering::Relaxed);
    }

    /// The sample rate of the running plugin (Hz), or 48 kHz before the first activation.
    pub fn sample_rate(&self) -> f32 {
        let rate = self.sample_rate.load(Ordering::Relaxed);
        if rate > 0.0 { rate } else { 48_000.0 }
    }

    /// The latency the plugin reports (samples).
    pub fn latency(&self) -> u32 {
        self.latency.load(Ordering::Relaxed)
    }

    /// Editor: the output meters since the last call (and start new ones).
    pub fn take_meters(&self) -> [MeterReading; METER_CHANNELS] {
        self.output.take_meters()
    }

    /// Editor: the input meters since the last call (and start new ones).
    pub fn take_input_meters(&self) -> [MeterReading; METER_CHANNELS] {
        self.input.take_meters()
    }

    /// Editor: copy the most recent `out.len()` (at most half the window) output samples into
    /// `out`, oldest first. Returns false (and leaves `out` unspecified) when the audio thread
    /// overwrote part of them during the copy; the editor then tries again next frame.
    pub fn latest(&self, out: &mut [f32]) -> bool {
        self.output.latest(out)
    }

    /// Editor: as [`EditorData::latest`], for the input.
    pub fn latest_input(&self, out: &mut [f32]) -> bool {
        self.input.latest(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meters_report_peak_and_rms_of_what_was_published() {
        let data = EditorData::default();
        let mut left = vec![0.5f32; 100];
        let mut right = vec![-0.25f32; 100];
        left[10] = -0.9;
        data.publish(&[&mut left[..], &mut right[..]], 100);
        let [l, r] = data.take_meters();
        assert_eq!(l.peak, 0.9);
        assert_eq!(r.peak, 0.25);
        let rms_l = ((99.0 * 0.25 + 0.81) / 100.0f32).sqrt();
        assert!((l.rms - rms_l).abs() < 1e-6, "{} vs {rms_l}", l.rms);
        assert!((r.rms - 0.25).abs() < 1e-6);
        // Taken: the next reading starts from zero.
        assert_eq!(data.take_meters()[0], MeterReading::default());
    }

    #[test]
    fn the_window_holds_the_latest_samples_in_order() {
        let data = EditorData::default();
        data.set_windows(Windows::BOTH);
        let mut total = 0usize;
        for block in 0..40 {
            let mut x: Vec<f32> = (0..333).map(|i| (block * 333 + i) as f32).collect();
            let len = x.len();
            data.publish(&[&mut x[..]], len);
            total += 333;
        }
        let mut out = vec![0.0; 1000];
        assert!(data.latest(&mut out));
        for (i, &y) in out.iter().enumerate() {
            assert_eq!(y, (total - 1000 + i) as f32);
        }
    }

    #[test]
    fn windows_are_filled_only_when_the_editor_reads_them() {
        let data = EditorData::default();
        let mut left: Vec<f32> = (0..600).map(|i| i as f32).collect();
        let mut right: Vec<f32> = (0..600).map(|i| -(i as f32) * 3.0).collect();
        data.publish_input(&[&mut left[..], &mut right[..]], 600);
        data.publish(&[&mut left[..], &mut right[..]], 600);
        // Meters are fed, windows not.
        assert_eq!(data.take_input_meters()[1].peak, 599.0 * 3.0);
        let mut out = vec![1.0; 100];
        assert!(data.latest(&mut out));
        assert!(out.iter().all(|&y| y == 0.0));
        assert!(data.latest_input(&mut out));
        assert!(out.iter().all(|&y| y == 0.0));

        data.set_windows(Windows { input: false, output: true });
        data.publish_input(&[&mut left[..], &mut right[..]], 600);
        data.publish(&[&mut left[..], &mut right[..]], 600);
        assert!(data.latest_input(&mut out));
        assert!(out.iter().all(|&y| y == 0.0));
        assert!(data.latest(&mut out));
        // The stereo window holds the mono sum (l + r) / 2 of the last 100 frames.
        for (k, &y) in out.iter().enumerate() {
            let i = (500 + k) as f32;
            assert_eq!(y, (i - 3.0 * i) * 0.5);
        }
    }

    #[test]
    fn the_window_wraps_across_the_end_of_the_ring() {
        let data = EditorData::default();
        data.set_windows(Windows::BOTH);
        // Blocks of 1000 never line up with 8192: writes cross the ring's end mid-block.
        let mut next = 0u32;
        for _ in 0..30 {
            let mut x: Vec<f32> = (0..1000).map(|i| (next + i) as f32).collect();
            next += 1000;
            data.publish(&[&mut x[..]], 1000);
        }
        let mut out = vec![0.0; WINDOW_LEN / 2];
        assert!(data.latest(&mut out));
        for (k, &y) in out.iter().enumerate() {
            assert_eq!(y, (next as usize - WINDOW_LEN / 2 + k) as f32);
        }
    }

    #[test]
    fn meters_sum_blocks_of_any_length() {
        // Lengths around the eight-lane split, and a block shorter than its channel slices.
        let data = EditorData::default();
        let mut expect_sq = 0.0f64;
        let mut expect_peak = 0.0f32;
        let mut count = 0usize;
        for len in [0usize, 1, 7, 8, 9, 15, 17, 64, 100] {
            let mut x: Vec<f32> = (0..len + 5).map(|i| ((i * 7919 + len) % 13) as f32 / 13.0 - 0.5).collect();
            for &v in &x[..len] {
                expect_sq += f64::from(v * v);
                expect_peak = expect_peak.max(v.abs());
            }
            count += len;
            data.publish(&[&mut x[..]], len);
        }
        let [m, _] = data.take_meters();
        assert_eq!(m.peak, expect_peak);
        let rms = (expect_sq / count as f64).sqrt() as f32;
        assert!((m.rms - rms).abs() < 1e-6 * rms, "{} vs {rms}", m.rms);
    }

    #[test]
    fn meters_ignore_nan_in_the_peak_and_see_infinity() {
        let data = EditorData::default();
        let mut x = vec![0.25f32; 37];
        x[3] = f32::NAN;
        x[20] = -0.5;
        x[36] = f32::NAN;
        data.publish(&[&mut x[..]], 37);
        let [m, _] = data.take_meters();
        assert_eq!(m.peak, 0.5);
        assert!(m.rms.is_nan());
        x[9] = f32::NEG_INFINITY;
        data.publish(&[&mut x[..]], 37);
        assert_eq!(data.take_meters()[0].peak, f32::INFINITY);
    }
}
