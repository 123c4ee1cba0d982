//! The mapping from Ferrite Reverb's parameters to the models: input sanitising and the dry path
//! (the shared output stage), predelay (a smoothly moving read position), the four algorithms
//! with an equal-power crossfade when the algorithm changes, low and high cut on the wet signal,
//! width, mix and output gain, and the impulse response hand-over. Everything is allocated in
//! [`ReverbEngine::new`]; processing never allocates.

use ferrite_dsp::biquad::{Biquad, BiquadKind};
use ferrite_dsp::delay::StereoGlidingDelay;
use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::reverb::convolution::ConvolutionReverb;
use ferrite_dsp::reverb::freeverb::Freeverb;
use ferrite_dsp::reverb::hall::Hall;
use ferrite_dsp::reverb::plate::Plate;
use ferrite_dsp::reverb::ReverbSettings;
use ferrite_plugin_common::effect::{Engine, ProcessIo};
use ferrite_plugin_common::output::OutputStage;
use ferrite_plugin_common::params::fill_mapped;
use nice_plug::prelude::*;

use crate::loader::{build_convolver, ReverbTask};
use crate::params::{AlgorithmChoice, ReverbParams, MAX_PREDELAY_MS};

/// Model settings and filter coefficients are updated every this many samples while their
/// parameters move (and the smoothers advance by as much), so a knob turn costs a few
/// coefficient computations per millisecond, not one per sample.
const CONTROL_INTERVAL: usize = 32;
/// Equal-power crossfade between algorithms, seconds: long enough that two different tails
/// blend, short enough to feel immediate.
const ALGORITHM_FADE_SECONDS: f32 = 0.05;

/// All DSP state of one plugin instance.
pub struct ReverbEngine {
    /// Host sample rate, Hz.
    sample_rate: f32,
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
    /// The predelay.
    predelay: StereoGlidingDelay,
    /// Low cut (high-pass) and high cut (low-pass) on the wet signal.
    low_cut: Biquad,
    high_cut: Biquad,
    /// Per-sample buffers: the predelayed input that the heard algorithm turns into the wet
    /// output in place, the fading algorithm's input and output, and the smoothed predelay
    /// (samples) and width.
    wet: [Vec<f32>; 2],
    old: [Vec<f32>; 2],
    predelay_samples: Vec<f32>,
    width: Vec<f32>,
    /// Output of the convolution while another algorithm is heard: it is fed all the time once
    /// an IR is loaded, so switching to it never needs a reset (clearing a long IR's history
    /// is megabytes of memory traffic, too much for one callback) and plays the right tail.
    idle: [Vec<f32>; 2],
    /// Generation of the IR the engine last asked the background task to prepare.
    requested_ir: u64,
    /// Dry path (both model inputs; a mono input feeds both), mix, output gain, finite guard.
    output: OutputStage,
}

impl Engine for ReverbEngine {
    type Params = ReverbParams;
    type BackgroundTask = ReverbTask;

    /// Also installs the IR in the state directly (activation is not real-time), so the first
    /// block already has it and an offline render is exact from its first sample.
    fn new(params: &ReverbParams, spec: &ProcessSpec) -> Self {
        let n = spec.max_block;
        // The models are stereo whatever the layout: a mono input feeds both sides.
        let stereo = ProcessSpec { channels: 2, ..*spec };
        let mut convolution = ConvolutionReverb::prepare(&stereo);
        let loader = convolution.take_loader();
        let (ir, generation) = params.impulse_response.snapshot();
        if let (Some(ir), Some(loader)) = (&ir, &loader) {
            match build_convolver(ir, spec.sample_rate, loader.max_block()) {
                Ok(c) => convolution.install(c),
                Err(e) => nice_error!("Ferrite Reverb: cannot prepare the impulse response {}: {e}", ir.path),
            }
        }
        params.ir_loading.set(loader.map(|l| (l, spec.sample_rate)));
        let buf = || vec![0.0; n];
        let mut engine = Self {
            sample_rate: spec.sample_rate,
            channels: spec.channels.clamp(1, 2),
            freeverb: Freeverb::prepare(&stereo),
            hall: Hall::prepare(&stereo),
            plate: Plate::prepare(&stereo),
            convolution,
            current: params.algorithm.value(),
            previous: None,
            fade_pos: 0,
            fade_len: ((ALGORITHM_FADE_SECONDS * spec.sample_rate) as u32).max(1),
            predelay: StereoGlidingDelay::new((MAX_PREDELAY_MS * 1e-3 * spec.sample_rate) as usize),
            low_cut: Biquad::new(BiquadKind::HighPass),
            high_cut: Biquad::new(BiquadKind::LowPass),
            wet: [buf(), buf()],
            old: [buf(), buf()],
            predelay_samples: buf(),
            width: buf(),
            idle: [buf(), buf()],
            requested_ir: generation,
            output: OutputStage::new(&stereo, 0, 1.0),
        };
        engine.reset(params);
        engine
    }

    fn reset(&mut self, params: &ReverbParams) {
        self.current = params.algorithm.value();
        self.previous = None;
        self.freeverb.reset();
        self.hall.reset();
        self.plate.reset();
        self.convolution.reset();
        self.predelay.reset();
        self.low_cut.reset();
        self.high_cut.reset();
        self.set_settings(&settings_now(params));
        self.low_cut.set(params.low_cut.value(), self.sample_rate);
        self.high_cut.set(params.high_cut.value(), self.sample_rate);
    }

    fn process(&mut self, params: &ReverbParams, io: &mut ProcessIo<'_, '_, ReverbTask>) {
        // A new IR in the state (a project restored while playing): prepare it in the background.
        let generation = params.impulse_response.generation();
        if generation != self.requested_ir {
            self.requested_ir = generation;
            (io.background)(ReverbTask::PrepareImpulseResponse);
        }
        let n = io.len();
        // Dry input (mono feeds both sides of the stereo models).
        let last = io.main.len().saturating_sub(1);
        for ch in 0..2 {
            if let Some(src) = io.main.get(ch.min(last)) {
                self.output.take_dry(ch, &src[..n]);
            }
        }
        // Asked before the smoother advances: it may come to rest within this block.
        let predelay_glides = params.predelay.smoothed.is_smoothing();
        fill_mapped(&params.predelay, &mut self.predelay_samples[..n], |ms| ms * 1e-3 * self.sample_rate);
        params.width.smoothed.next_block(&mut self.width[..n], n);
        self.output.fill_controls(Some(&params.mix), &params.output, n);
        self.output.begin_span(0, n);
        // The predelayed input goes straight into the wet buffer: the heard algorithm runs on it
        // in place.
        {
            let [wl, wr] = &mut self.wet;
            let dry = [&self.output.dry(0)[..n], &self.output.dry(1)[..n]];
            if predelay_glides {
                self.predelay.process(dry, &self.predelay_samples[..n], [&mut wl[..n], &mut wr[..n]]);
            } else {
                self.predelay.process_constant(dry, self.predelay_samples[0], [&mut wl[..n], &mut wr[..n]]);
            }
        }

        // Start a crossfade when the algorithm changes (one at a time).
        let wanted = params.algorithm.value();
        if wanted != self.current && self.previous.is_none() {
            self.previous = Some(self.current);
            self.current = wanted;
            self.fade_pos = 0;
            // The new algorithm starts from silence, not from a tail left from long ago.
            self.reset_algorithm(wanted);
        }

        // The models and the cut filters. While a control glides they follow it
        // every CONTROL_INTERVAL samples; at rest the rest of the block is one span, which gives
        // the same output (nothing changes between spans) and lets the models run whole
        // sub-blocks.
        let channels = io.main.len().min(self.channels);
        let mut pos = 0;
        while pos < n {
            let mut m = if controls_glide(params) { CONTROL_INTERVAL.min(n - pos) } else { n - pos };
            if self.previous.is_some() {
                // The span ends where the crossfade does: the old algorithm stops there.
                m = m.min((self.fade_len - self.fade_pos).max(1) as usize);
            }
            self.update_controls(params, m);
            let span = pos..pos + m;
            let convolution_heard = self.current == AlgorithmChoice::Convolution || self.previous == Some(AlgorithmChoice::Convolution);
            let convolution_idle = !convolution_heard && self.convolution.has_ir();
            // The other algorithms' inputs, before the heard one overwrites the wet buffer.
            for (wanted, buffer) in [(self.previous.is_some(), &mut self.old), (convolution_idle, &mut self.idle)] {
                if wanted {
                    for (to, from) in buffer.iter_mut().zip(&self.wet) {
                        to[span.clone()].copy_from_slice(&from[span.clone()]);
                    }
                }
            }
            self.run(self.current, Buffer::Wet, span.clone());
            if convolution_idle {
                self.run(AlgorithmChoice::Convolution, Buffer::Idle, span.clone());
            }
            if let Some(previous) = self.previous {
                self.run(previous, Buffer::Old, span.clone());
                let ([wl, wr], [ol, or]) = (&mut self.wet, &self.old);
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
            let [wl, wr] = &mut self.wet;
            Biquad::cascade(&mut self.low_cut, &mut self.high_cut, &mut wl[span.clone()], &mut wr[span]);
            pos += m;
        }

        // Width (Freeverb's: wet1 = (1 + w)/2, wet2 = (1 − w)/2) and, for a mono output, the
        // sum of both sides.
        let [wl, wr] = &mut self.wet;
        for ((l, r), &w) in wl[..n].iter_mut().zip(wr[..n].iter_mut()).zip(&self.width[..n]) {
            let (wet1, wet2) = ((1.0 + w) * 0.5, (1.0 - w) * 0.5);
            let (new_l, new_r) = (wet1 * *l + wet2 * *r, wet1 * *r + wet2 * *l);
            if channels == 1 {
                *l = 0.5 * (new_l + new_r);
            } else {
                (*l, *r) = (new_l, new_r);
            }
        }

        for (ch, samples) in io.main.iter_mut().enumerate().take(channels) {
            self.output.finish(ch, &mut samples[..n], &self.wet[ch][..n], 0);
        }
    }

    /// Samples the tail can last after the input stops (forever while frozen).
    fn tail(&self, params: &ReverbParams) -> ProcessStatus {
        if params.freeze.value() {
            return ProcessStatus::KeepAlive;
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
        // Twice the −60 dB time: a full-scale signal has fallen below −120 dBFS (what `render`
        // takes as silence) by then; plus the predelay and the crossfade.
        ProcessStatus::Tail((predelay + (seconds * 2.0 + ALGORITHM_FADE_SECONDS) * self.sample_rate) as u32)
    }

    fn deactivate(&mut self, params: &ReverbParams) {
        params.ir_loading.set(None);
    }
}

/// Which per-sample buffer an algorithm writes.
#[derive(Clone, Copy)]
enum Buffer {
    /// The heard algorithm's.
    Wet,
    /// The algorithm fading out.
    Old,
    /// The convolution while it is not heard.
    Idle,
}

impl ReverbEngine {
    /// Run `algorithm` over `span` of `buffer`, in place (the buffer holds the predelayed input).
    fn run(&mut self, algorithm: AlgorithmChoice, buffer: Buffer, span: std::ops::Range<usize>) {
        let [l, r] = match buffer {
            Buffer::Wet => &mut self.wet,
            Buffer::Old => &mut self.old,
            Buffer::Idle => &mut self.idle,
        };
        let (l, r) = (&mut l[span.clone()], &mut r[span]);
        let audio = &mut [l, r];
        match algorithm {
            AlgorithmChoice::Freeverb => self.freeverb.process(audio, ()),
            AlgorithmChoice::Hall => self.hall.process(audio, ()),
            AlgorithmChoice::Plate => self.plate.process(audio, ()),
            AlgorithmChoice::Convolution => self.convolution.process(audio, ()),
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
        self.low_cut.set(params.low_cut.smoothed.next_step(steps), self.sample_rate);
        self.high_cut.set(params.high_cut.smoothed.next_step(steps), self.sample_rate);
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
}

/// Whether a control that the models or the cut filters follow per span is gliding.
fn controls_glide(params: &ReverbParams) -> bool {
    [&params.decay, &params.size, &params.damping, &params.modulation, &params.low_cut, &params.high_cut]
        .iter()
        .any(|p| p.smoothed.is_smoothing())
}

/// The model settings at the parameters' current (target) values (the engine's, and the
/// editor's decay curve).
pub fn settings_now(params: &ReverbParams) -> ReverbSettings {
    ReverbSettings {
        decay_s: params.decay.value(),
        size: params.size.value(),
        damping: params.damping.value(),
        modulation: params.modulation.value(),
        freeze: params.freeze.value(),
    }
}
