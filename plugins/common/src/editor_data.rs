//! What the audio thread hands the editor, without locks or allocation on the audio side:
//! input and output meters (peak and mean square per channel, in atomics), the most recent
//! input and output samples (wait-free, lossy windows the editor copies for its spectrum) and a
//! few readouts an engine fills (solver load, LFO phase…). Nothing is written
//! while no editor is open: the skeleton checks [`EditorData::is_open`] once per block.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use atomic_float::AtomicF32;

/// Channels metered (mono and stereo layouts; more channels fold onto these two).
pub const METER_CHANNELS: usize = 2;

/// Samples kept for the editor (a power of two): 8192 at 48 kHz is 170 ms, enough for a
/// 4096-point spectrum at 60 frames per second.
pub const WINDOW_LEN: usize = 8192;

/// Readout slots an engine may fill for its editor (what each slot means is the effect's own).
pub const READOUTS: usize = 4;

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

impl Tap {
    /// Audio thread only (the single writer), so plain loads and stores of the atomics cannot
    /// lose its own updates; the editor only resets them.
    fn publish<S: AsRef<[f32]>>(&self, channels: &[S], len: usize) {
        let used = channels.len().min(METER_CHANNELS);
        for (ch, samples) in channels.iter().take(used).enumerate() {
            let samples = samples.as_ref();
            let samples = &samples[..len.min(samples.len())];
            let (peak, squares) = samples.iter().fold((0f32, 0f32), |(p, s), &x| (p.max(x.abs()), s + x * x));
            let stored = self.peak[ch].load(Ordering::Relaxed);
            self.peak[ch].store(stored.max(peak), Ordering::Relaxed);
            self.sum_squares[ch].store(self.sum_squares[ch].load(Ordering::Relaxed) + squares, Ordering::Relaxed);
        }
        self.count.store(self.count.load(Ordering::Relaxed).saturating_add(len as u32), Ordering::Relaxed);
        let start = self.written.load(Ordering::Relaxed);
        let scale = 1.0 / used.max(1) as f32;
        for i in 0..len {
            let x: f32 = channels.iter().take(used).map(|c| c.as_ref().get(i).copied().unwrap_or(0.0)).sum::<f32>() * scale;
            self.window[start.wrapping_add(i) & (WINDOW_LEN - 1)].store(x.to_bits(), Ordering::Relaxed);
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

    /// Audio thread: publish the first `len` samples of `channels` (a processed block).
    pub fn publish(&self, channels: &[&mut [f32]], len: usize) {
        self.output.publish(channels, len);
    }

    /// Audio thread: publish the first `len` samples of the input block, before processing.
    pub fn publish_input(&self, channels: &[&mut [f32]], len: usize) {
        self.input.publish(channels, len);
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
}
