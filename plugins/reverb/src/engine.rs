//! The mapping from Ferrite Reverb's parameters to the models: input sanitising, predelay (a
//! smoothly moving read position), the four algorithms with an equal-power crossfade when the
//! algorithm changes, low and high cut on the wet signal, width, mix and output gain.
//! Everything is allocated in [`ReverbEngine::new`]; [`ReverbEngine::process`] never allocates.

use ferrite_dsp::denormal::flush;
use ferrite_dsp::reverb::convolution::ConvolutionReverb;
use ferrite_dsp::reverb::freeverb::Freeverb;
use ferrite_dsp::reverb::hall::Hall;
use ferrite_dsp::reverb::plate::Plate;
use ferrite_dsp::reverb::ReverbSettings;
use ferrite_plugin_common::params::{fill_mapped, sanitize, INPUT_LIMIT};
use nice_plug::util::db_to_gain;

use crate::params::{AlgorithmChoice, ReverbParams, MAX_PREDELAY_MS};

/// Largest piece of a host block processed at once.
const MAX_CHUNK: usize = 512;
/// Model settings and filter coefficients are updated every this many samples while their
/// parameters move (and the smoothers advance by as much), so a knob turn costs a few
/// coefficient computations per millisecond, not one per sample.
const CONTROL_INTERVAL: usize = 32;
/// Equal-power crossfade between algorithms, seconds: long enough that two different tails
/// blend, short enough to feel immediate.
const ALGORITHM_FADE_SECONDS: f32 = 0.05;

/// A second-order Butterworth section (RBJ cookbook), transposed direct form II.
#[derive(Clone, Copy)]
struct Biquad {
    /// Feed-forward coefficients.
    b: [f32; 3],
    /// Feedback coefficients (a1, a2; a0 normalised to 1).
    a: [f32; 2],
    /// The corner frequency the coefficients were computed for (NaN before the first `set`),
    /// so setting the same frequency again costs nothing.
    hz: f32,
    /// State per channel (two channels).
    s: [[f32; 2]; 2],
}

impl Default for Biquad {
    fn default() -> Self {
        Self { b: [0.0; 3], a: [0.0; 2], hz: f32::NAN, s: [[0.0; 2]; 2] }
    }
}

impl Biquad {
    /// Set to a high-pass (`high_pass`) or low-pass at `hz` (clamped below Nyquist), Q = 1/√2.
    fn set(&mut self, high_pass: bool, hz: f32, sample_rate: f32) {
        let hz = if hz.is_finite() { hz } else { 1_000.0 };
        if hz == self.hz {
            return;
        }
        self.hz = hz;
        let w = std::f32::consts::TAU * hz.clamp(10.0, 0.45 * sample_rate) / sample_rate;
        let (sin, cos) = w.sin_cos();
        let alpha = sin * std::f32::consts::FRAC_1_SQRT_2;
        let a0 = 1.0 + alpha;
        let (b0, b1) = if high_pass { ((1.0 + cos) / 2.0, -(1.0 + cos)) } else { ((1.0 - cos) / 2.0, 1.0 - cos) };
        self.b = [b0 / a0, b1 / a0, b0 / a0];
        self.a = [-2.0 * cos / a0, (1.0 - alpha) / a0];
    }

    /// One sample of channel `ch` (0 or 1). A non-finite result (only reachable through
    /// non-finite coefficients) clears the state, so the filter can never stay stuck at NaN.
    #[inline(always)]
    fn tick(&mut self, ch: usize, x: f32) -> f32 {
        let s = &mut self.s[ch & 1];
        let y = self.b[0] * x + s[0];
        s[0] = flush(self.b[1] * x - self.a[0] * y + s[1]);
        s[1] = flush(self.b[2] * x - self.a[1] * y);
        if y.is_finite() {
            y
        } else {
            *s = [0.0; 2];
            0.0
        }
    }

    fn reset(&mut self) {
        self.s = [[0.0; 2]; 2];
    }
}

/// All DSP state of one plugin instance.
pub struct ReverbEngine {
    /// Host sample rate, Hz.
    sample_rate: f32,
    /// Largest block processed in one piece.
    max_block: usize,
    /// Number of main channels (1 or 2).
    channels: usize,
    /// Jezar's Freeverb.
    freeverb: Freeverb,
    /// The FDN hall.
    hall: Hall,
    /// Dattorro's plate.
    plate: Plate,
    /// The convolution reverb (audio side; IRs arrive from the background loader).
    convolution: ConvolutionReverb,
    /// The algorithm heard (fading in while `previous` is set).
    current: AlgorithmChoice,
    /// The algorithm fading out, if a crossfade runs.
    previous: Option<AlgorithmChoice>,
    /// Crossfade position and length, samples.
    fade_pos: u32,
    fade_len: u32,
    /// Predelay ring buffers (power-of-two length), one per channel.
    predelay: [Vec<f32>; 2],
    /// Write index into the predelay buffers.
    predelay_write: usize,
    /// Low cut (high-pass) and high cut (low-pass) on the wet signal.
    low_cut: Biquad,
    high_cut: Biquad,
    /// Per-sample buffers: dry input, predelayed input, wet output, the fading algorithm's output,
    /// and the smoothed predelay (samples), width, mix and output gain.
    dry: [Vec<f32>; 2],
    pre: [Vec<f32>; 2],
    wet: [Vec<f32>; 2],
    old: [Vec<f32>; 2],
    predelay_samples: Vec<f32>,
    width: Vec<f32>,
    mix: Vec<f32>,
    output_gain: Vec<f32>,
    /// Output of the convolution while another algorithm is heard: it is fed all the time once
    /// an IR is loaded, so switching to it never needs a reset (clearing a long IR's history
    /// is megabytes of memory traffic, too much for one callback) and plays the right tail.
    idle: [Vec<f32>; 2],
}

impl ReverbEngine {
    /// Allocate everything for `channels` channels at `sample_rate` with blocks up to `max_block`;
    /// `convolution` is the audio side of the IR hand-over (built with its loader by the plugin).
    pub fn new(params: &ReverbParams, sample_rate: f32, channels: usize, max_block: usize, convolution: ConvolutionReverb) -> Self {
        let max_block = max_block.clamp(1, MAX_CHUNK);
        let predelay_len = ((MAX_PREDELAY_MS * 1e-3 * sample_rate) as usize + 2).next_power_of_two();
        let buf = || vec![0.0; max_block];
        let mut engine = Self {
            sample_rate,
            max_block,
            channels: channels.clamp(1, 2),
            freeverb: Freeverb::new(sample_rate),
            hall: Hall::new(sample_rate),
            plate: Plate::new(sample_rate),
            convolution,
            current: params.algorithm.value(),
            previous: None,
            fade_pos: 0,
            fade_len: ((ALGORITHM_FADE_SECONDS * sample_rate) as u32).max(1),
            predelay: [vec![0.0; predelay_len], vec![0.0; predelay_len]],
            predelay_write: 0,
            low_cut: Biquad::default(),
            high_cut: Biquad::default(),
            dry: [buf(), buf()],
            pre: [buf(), buf()],
            wet: [buf(), buf()],
            old: [buf(), buf()],
            predelay_samples: buf(),
            width: buf(),
            mix: buf(),
            output_gain: buf(),
            idle: [buf(), buf()],
        };
        engine.reset(params);
        engine
    }

    /// Clear all audio state and take the algorithm as it is now, without a fade.
    pub fn reset(&mut self, params: &ReverbParams) {
        self.current = params.algorithm.value();
        self.previous = None;
        self.freeverb.reset();
        self.hall.reset();
        self.plate.reset();
        self.convolution.reset();
        for p in &mut self.predelay {
            p.fill(0.0);
        }
        self.predelay_write = 0;
        self.low_cut.reset();
        self.high_cut.reset();
        self.set_settings(&settings_now(params));
        self.low_cut.set(true, params.low_cut.value(), self.sample_rate);
        self.high_cut.set(false, params.high_cut.value(), self.sample_rate);
    }

    /// Host sample rate, Hz.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// The convolution reverb (to install an IR before processing starts).
    pub fn convolution_mut(&mut self) -> &mut ConvolutionReverb {
        &mut self.convolution
    }

    /// Samples the tail can last after the input stops, for the host (`None`: forever, frozen).
    pub fn tail_samples(&self, params: &ReverbParams) -> Option<u32> {
        if params.freeze.value() {
            return None;
        }
        let predelay = params.predelay.value() * 1e-3 * self.sample_rate;
        let seconds = match self.current {
            // Freeverb's longest comb (1617 samples at 44.1 kHz) with feedback 0.28·size + 0.7:
            // RT60 = −3·T / log10(g).
            AlgorithmChoice::Freeverb => {
                let g = 0.28 * params.size.value() + 0.7;
                -3.0 * (1617.0 / 44_100.0) / g.log10()
            }
            AlgorithmChoice::Hall | AlgorithmChoice::Plate => params.decay.value(),
            AlgorithmChoice::Convolution => self.convolution.ir_len() as f32 / self.sample_rate,
        };
        // The −60 dB point plus headroom to fall to silence, and the crossfade.
        Some((predelay + (seconds * 1.5 + ALGORITHM_FADE_SECONDS) * self.sample_rate) as u32)
    }

    /// Process `main` in place (all channels the same length).
    pub fn process(&mut self, params: &ReverbParams, main: &mut [&mut [f32]]) {
        let len = main.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut start = 0;
        while start < len {
            let n = self.max_block.min(len - start);
            self.process_chunk(params, main, start, n);
            start += n;
        }
    }

    /// One chunk of at most `max_block` samples starting at `start`.
    fn process_chunk(&mut self, params: &ReverbParams, main: &mut [&mut [f32]], start: usize, n: usize) {
        let io = start..start + n;
        // Dry input (mono feeds both sides of the stereo models).
        for ch in 0..2 {
            let src = &main[ch.min(main.len().saturating_sub(1))];
            for (d, &x) in self.dry[ch][..n].iter_mut().zip(&src[io.clone()]) {
                *d = sanitize(x, INPUT_LIMIT);
            }
        }
        fill_mapped(&params.predelay, &mut self.predelay_samples[..n], |ms| ms * 1e-3 * self.sample_rate);
        params.width.smoothed.next_block(&mut self.width[..n], n);
        params.mix.smoothed.next_block(&mut self.mix[..n], n);
        fill_mapped(&params.output, &mut self.output_gain[..n], db_to_gain);

        self.apply_predelay(n);

        // Start a crossfade when the algorithm changes (one at a time).
        let wanted = params.algorithm.value();
        if wanted != self.current && self.previous.is_none() {
            self.previous = Some(self.current);
            self.current = wanted;
            self.fade_pos = 0;
            // The new algorithm starts from silence, not from a tail left from long ago.
            self.reset_algorithm(wanted);
        }

        // The models, at the control rate.
        let mut pos = 0;
        while pos < n {
            let m = CONTROL_INTERVAL.min(n - pos);
            self.update_controls(params, m);
            let span = pos..pos + m;
            let [pl, pr] = &self.pre;
            let [wl, wr] = &mut self.wet;
            run(self.current, &mut self.freeverb, &mut self.hall, &mut self.plate, &mut self.convolution, &pl[span.clone()], &pr[span.clone()], &mut wl[span.clone()], &mut wr[span.clone()]);
            let convolution_heard = self.current == AlgorithmChoice::Convolution || self.previous == Some(AlgorithmChoice::Convolution);
            if !convolution_heard && self.convolution.has_ir() {
                let [il, ir] = &mut self.idle;
                self.convolution.process(&pl[span.clone()], &pr[span.clone()], &mut il[span.clone()], &mut ir[span.clone()]);
            }
            if let Some(previous) = self.previous {
                let [ol, or] = &mut self.old;
                run(previous, &mut self.freeverb, &mut self.hall, &mut self.plate, &mut self.convolution, &pl[span.clone()], &pr[span.clone()], &mut ol[span.clone()], &mut or[span.clone()]);
                for i in span.clone() {
                    let t = (self.fade_pos as f32 / self.fade_len as f32).min(1.0);
                    let (g_out, g_in) = (t * std::f32::consts::FRAC_PI_2).sin_cos();
                    // Equal power: the two tails are uncorrelated.
                    wl[i] = wl[i] * g_out + ol[i] * g_in;
                    wr[i] = wr[i] * g_out + or[i] * g_in;
                    self.fade_pos = (self.fade_pos + 1).min(self.fade_len);
                }
                if self.fade_pos >= self.fade_len {
                    self.previous = None;
                }
            }
            // Low and high cut on the wet signal.
            for i in span {
                for (ch, w) in [&mut wl[i], &mut wr[i]].into_iter().enumerate() {
                    *w = self.high_cut.tick(ch, self.low_cut.tick(ch, *w));
                }
            }
            pos += m;
        }

        // Width, mix, output.
        let channels = main.len().min(self.channels);
        for i in 0..n {
            let (l, r) = (self.wet[0][i], self.wet[1][i]);
            // Freeverb's width: wet1 = (1 + w)/2, wet2 = (1 − w)/2.
            let w = self.width[i];
            let (wet1, wet2) = ((1.0 + w) * 0.5, (1.0 - w) * 0.5);
            let wet = [wet1 * l + wet2 * r, wet1 * r + wet2 * l];
            let (mix, gain) = (self.mix[i], self.output_gain[i]);
            for (ch, samples) in main.iter_mut().enumerate().take(channels) {
                let wet = if channels == 1 { 0.5 * (wet[0] + wet[1]) } else { wet[ch] };
                let out = (self.dry[ch][i] * (1.0 - mix) + wet * mix) * gain;
                samples[start + i] = if out.is_finite() { out } else { 0.0 };
            }
        }
    }

    /// Write the dry input into the predelay lines and read it back at the smoothed delay
    /// (linear interpolation, so a moving predelay glides instead of clicking).
    fn apply_predelay(&mut self, n: usize) {
        let mask = self.predelay[0].len() - 1;
        let max_delay = (mask - 1) as f32;
        for i in 0..n {
            let w = self.predelay_write;
            let delay = self.predelay_samples[i].clamp(0.0, max_delay);
            let whole = delay as usize;
            let frac = delay - whole as f32;
            for ch in 0..2 {
                let line = &mut self.predelay[ch];
                line[w] = self.dry[ch][i];
                let a = line[w.wrapping_sub(whole) & mask];
                let b = line[w.wrapping_sub(whole + 1) & mask];
                self.pre[ch][i] = a + (b - a) * frac;
            }
            self.predelay_write = (w + 1) & mask;
        }
    }

    /// Advance the model settings and the cut filters by `m` samples of smoothing and pass them
    /// on every time: the models and the filters only recompute when a value differs from the
    /// one they have (asking the smoothers whether they move would miss a state restored while
    /// playing, which sets the smoothers to the new values at once).
    fn update_controls(&mut self, params: &ReverbParams, m: usize) {
        let steps = m as u32;
        self.set_settings(&ReverbSettings {
            decay_s: params.decay.smoothed.next_step(steps),
            size: params.size.smoothed.next_step(steps),
            damping: params.damping.smoothed.next_step(steps),
            modulation: params.modulation.smoothed.next_step(steps),
            freeze: params.freeze.value(),
        });
        self.low_cut.set(true, params.low_cut.smoothed.next_step(steps), self.sample_rate);
        self.high_cut.set(false, params.high_cut.smoothed.next_step(steps), self.sample_rate);
    }

    fn set_settings(&mut self, settings: &ReverbSettings) {
        self.freeverb.set_settings(settings);
        self.hall.set_settings(settings);
        self.plate.set_settings(settings);
    }

    fn reset_algorithm(&mut self, algorithm: AlgorithmChoice) {
        match algorithm {
            AlgorithmChoice::Freeverb => self.freeverb.reset(),
            AlgorithmChoice::Hall => self.hall.reset(),
            AlgorithmChoice::Plate => self.plate.reset(),
            // Fed all the time (see `idle`): its history is current, nothing to clear.
            AlgorithmChoice::Convolution => {}
        }
    }

    /// Heap memory of the models and buffers, bytes.
    pub fn memory_bytes(&self) -> usize {
        self.freeverb.memory_bytes()
            + self.hall.memory_bytes()
            + self.plate.memory_bytes()
            + self.predelay.iter().map(|p| p.len() * 4).sum::<usize>()
            + 14 * self.max_block * 4
    }
}

/// Run one algorithm on a span.
#[allow(clippy::too_many_arguments)]
fn run(
    algorithm: AlgorithmChoice,
    freeverb: &mut Freeverb,
    hall: &mut Hall,
    plate: &mut Plate,
    convolution: &mut ConvolutionReverb,
    in_l: &[f32],
    in_r: &[f32],
    out_l: &mut [f32],
    out_r: &mut [f32],
) {
    match algorithm {
        AlgorithmChoice::Freeverb => freeverb.process(in_l, in_r, out_l, out_r),
        AlgorithmChoice::Hall => hall.process(in_l, in_r, out_l, out_r),
        AlgorithmChoice::Plate => plate.process(in_l, in_r, out_l, out_r),
        AlgorithmChoice::Convolution => convolution.process(in_l, in_r, out_l, out_r),
    }
}

/// The model settings at the parameters' current (target) values.
fn settings_now(params: &ReverbParams) -> ReverbSettings {
    ReverbSettings {
        decay_s: params.decay.value(),
        size: params.size.value(),
        damping: params.damping.value(),
        modulation: params.modulation.value(),
        freeze: params.freeze.value(),
    }
}
