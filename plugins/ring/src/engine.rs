//! The mapping from Ferrite Ring's parameters to the DSP: smoothing into per-sample buffers, the
//! carrier (oscillator or sidechain), drive into volts, the oversampled ring modulator, and the
//! shared output stage (latency-aligned dry path, mix, output gain, declicked switching of the
//! discrete parameters). Everything is allocated in [`RingEngine::new`]; processing never
//! allocates. With `note_follow` on, the internal carrier follows the played note
//! ([`RingEngine::follow_notes`]).

use ferrite_dsp::carrier::{Carrier, Waveform};
use ferrite_dsp::input::{sanitize, CARRIER_INPUT_LIMIT};
use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::oversampler::{round_trip_latency, MAX_FACTOR_LOG2};
use ferrite_dsp::ring::{
    output_volts_per_full_scale, RingModel, RingModulator, CARRIER_VOLTS_PEAK, MODULATOR_VOLTS_PER_FULL_SCALE,
};
use ferrite_plugin_common::effect::{Engine, ProcessIo, MAX_CHANNELS};
use ferrite_plugin_common::notes::{key_to_hz, ms_to_samples, Glide, NoteState, A4_HZ, A4_KEY};
use ferrite_plugin_common::output::{for_each_span, OutputStage};
use ferrite_plugin_common::params::fill_mapped;
use nice_plug::prelude::ProcessStatus;
use nice_plug::util::db_to_gain;

use crate::params::{CarrierChoice, ModelChoice, RingParams};

/// Fade time for switching the model, the oversampling factor or the carrier source.
const SWITCH_FADE_MS: f32 = 5.0;

/// How long the followed carrier takes to follow a move of the pitch wheel (wheels send steps;
/// this keeps them from zippering).
pub const BEND_GLIDE_MS: f32 = 5.0;

/// The discrete settings that are switched under a fade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Discrete {
    model: ModelChoice,
    carrier: CarrierChoice,
    oversampling_log2: usize,
}

impl Discrete {
    fn from_params(params: &RingParams) -> Self {
        Self {
            model: params.model.value(),
            carrier: params.carrier.value(),
            oversampling_log2: params.oversampling.value().log2(),
        }
    }
}

/// Editor readout: the carrier's peak over the last block, relative to the nominal 0.8 V.
pub const READOUT_CARRIER_PEAK: usize = 0;
/// Editor readout: the carrier's RMS over the last block, relative to the nominal 0.8 V peak.
pub const READOUT_CARRIER_RMS: usize = 1;
/// Editor readout: the internal carrier's frequency (Hz) at the end of the last block.
pub const READOUT_CARRIER_HZ: usize = 2;

/// All DSP state of one plugin instance.
pub struct RingEngine {
    /// Number of main channels.
    channels: usize,
    /// The oversampled models.
    ring: RingModulator,
    /// The band-limited carrier oscillator (shared by all channels).
    oscillator: Carrier,
    /// Smoothed carrier frequency per sample, Hz.
    freq: Vec<f32>,
    /// Smoothed carrier level per sample, volts peak.
    carrier_volts: Vec<f32>,
    /// Smoothed drive per sample, volts per full scale.
    drive_volts: Vec<f32>,
    /// Carrier in volts per channel (only channel 0 is used for the internal oscillator).
    carrier: Vec<Vec<f32>>,
    /// Modulator in volts per channel, then the ring's output in volts (processed in place).
    wet: Vec<Vec<f32>>,
    /// The discrete settings currently in effect.
    applied: Discrete,
    /// Dry path, mix, output gain, switch fade and finite guard.
    output: OutputStage,
    /// Host sample rate, Hz.
    sample_rate: f32,
    /// Smoothed carrier ratio per sample (note following).
    ratio: Vec<f32>,
    /// The carrier follows the notes (it did in the last chunk).
    following: bool,
    /// The followed key (fractional MIDI key), gliding over `carrier_glide`.
    key: Glide,
    /// The pitch wheel's offset, semitones, gliding over [`BEND_GLIDE_MS`].
    bend: Glide,
    /// The carrier frequency at the end of the last followed chunk, Hz.
    followed_hz: f32,
}

impl Engine for RingEngine {
    type Params = RingParams;
    type BackgroundTask = ();

    fn new(params: &RingParams, spec: &ProcessSpec) -> Self {
        let channels = spec.channels.min(MAX_CHANNELS);
        let spec = ProcessSpec { channels, ..*spec };
        let n = spec.max_block;
        let applied = Discrete::from_params(params);
        let mut ring = RingModulator::prepare(&spec);
        ring.set_model(model_of(applied.model));
        ring.set_oversampling_log2(applied.oversampling_log2);
        let mut output = OutputStage::new(&spec, round_trip_latency(MAX_FACTOR_LOG2) as usize, SWITCH_FADE_MS);
        output.set_latency(ring.latency() as usize);
        Self {
            channels,
            ring,
            oscillator: Carrier::new(spec.sample_rate),
            freq: vec![0.0; n],
            carrier_volts: vec![0.0; n],
            drive_volts: vec![0.0; n],
            carrier: vec![vec![0.0; n]; channels.max(1)],
            wet: vec![vec![0.0; n]; channels],
            applied,
            output,
            sample_rate: spec.sample_rate,
            ratio: vec![1.0; n],
            following: false,
            key: Glide::new(A4_KEY),
            bend: Glide::new(0.0),
            followed_hz: A4_HZ,
        }
    }

    fn latency(&self) -> u32 {
        self.ring.latency()
    }

    fn reset(&mut self, params: &RingParams) {
        self.applied = Discrete::from_params(params);
        self.ring.set_model(model_of(self.applied.model));
        self.ring.set_oversampling_log2(self.applied.oversampling_log2);
        self.ring.reset();
        self.oscillator.reset();
        self.output.reset(self.ring.latency() as usize);
        // The skeleton forgets every note with a reset: `carrier_freq` rules until the next one.
        self.following = false;
    }

    fn process(&mut self, params: &RingParams, io: &mut ProcessIo<'_, '_, ()>) {
        let n = io.len();
        // Smoothed parameters for the whole chunk, mapped to what the DSP needs (volts, linear
        // gain). The dB-to-gain conversions run per sample only while a smoother is moving.
        params.carrier_freq.smoothed.next_block(&mut self.freq[..n], n);
        self.follow_notes(params, io.notes, n);
        fill_mapped(&params.carrier_level, &mut self.carrier_volts[..n], |db| db_to_gain(db) * CARRIER_VOLTS_PEAK);
        fill_mapped(&params.drive, &mut self.drive_volts[..n], |db| db_to_gain(db) * MODULATOR_VOLTS_PER_FULL_SCALE);
        self.output.fill_controls(Some(&params.mix), &params.output, n);

        let wanted = Discrete::from_params(params);
        self.output.want_switch(wanted != self.applied);
        for_each_span(self, n, |e| &mut e.output, |e| e.apply(wanted), |e, offset, len| e.render_span(io, offset, len));
    }

    fn tail(&self, _params: &RingParams) -> ProcessStatus {
        ProcessStatus::Normal
    }
}

impl RingEngine {
    /// Note following: when `note_follow` is on and a note has been played, overwrite the
    /// chunk's carrier frequencies with `key_to_hz(key + bend) · ratio`, the key gliding over
    /// `carrier_glide` (from where the carrier was when following began) and the wheel over
    /// [`BEND_GLIDE_MS`]. When following ends, `carrier_freq`'s smoother restarts from the
    /// carrier's last frequency, so the carrier glides back instead of jumping. Off (the
    /// default), nothing here touches the frequencies.
    fn follow_notes(&mut self, params: &RingParams, notes: &NoteState, n: usize) {
        params.carrier_ratio.smoothed.next_block(&mut self.ratio[..n], n);
        let key = match notes.key() {
            Some(key) if params.note_follow.value() => f32::from(key),
            _ => {
                if self.following {
                    self.following = false;
                    let last = self.followed_hz;
                    let smoother = &params.carrier_freq.smoothed;
                    smoother.reset(last);
                    smoother.set_target(self.sample_rate, params.carrier_freq.value());
                    smoother.next_block(&mut self.freq[..n], n);
                }
                return;
            }
        };
        let bend = notes.bend() * params.bend_range.value() as f32;
        if !self.following {
            // Start from the carrier's frequency now (the parameter's), so a glide starts there.
            self.following = true;
            let from = self.freq[0].max(0.1) / self.ratio[0];
            self.key.reset(A4_KEY + 12.0 * (from / A4_HZ).log2() - bend);
            self.bend.reset(bend);
        }
        self.key.set_target(key, ms_to_samples(params.carrier_glide.value(), self.sample_rate));
        self.bend.set_target(bend, ms_to_samples(BEND_GLIDE_MS, self.sample_rate));
        for (f, &r) in self.freq[..n].iter_mut().zip(&self.ratio[..n]) {
            *f = key_to_hz(self.key.next() + self.bend.next()) * r;
        }
        if n > 0 {
            self.followed_hz = self.freq[n - 1];
        }
    }

    /// Put `wanted` into effect (called at zero gain).
    fn apply(&mut self, wanted: Discrete) {
        if wanted.model != self.applied.model {
            self.ring.set_model(model_of(wanted.model));
        }
        // A new oversampling factor clears the filters and the dry delay, which then output
        // silence for the new latency: hold the fade at zero until the signal is back.
        let mut hold = 0;
        if wanted.oversampling_log2 != self.applied.oversampling_log2 {
            self.ring.set_oversampling_log2(wanted.oversampling_log2);
            let latency = self.ring.latency();
            self.output.set_latency(latency as usize);
            hold = latency;
        }
        if wanted.carrier != self.applied.carrier {
            // Start the new waveform from its zero crossing, like a freshly reset oscillator.
            self.oscillator.reset();
        }
        self.applied = wanted;
        self.output.switched(hold);
    }

    /// Render samples `[offset, offset + n)` of the chunk with the settings in effect.
    fn render_span(&mut self, io: &mut ProcessIo<'_, '_, ()>, offset: usize, n: usize) {
        let span = offset..offset + n;
        self.output.begin_span(offset, n);

        // The carrier, in volts at the host rate.
        let waveform = match self.applied.carrier {
            CarrierChoice::Sine => Some(Waveform::Sine),
            CarrierChoice::Triangle => Some(Waveform::Triangle),
            CarrierChoice::Square => Some(Waveform::Square),
            CarrierChoice::Saw => Some(Waveform::Saw),
            CarrierChoice::Sidechain => None,
        };
        match waveform {
            Some(w) => {
                let c = &mut self.carrier[0][..n];
                self.oscillator.process(w, &self.freq[span.clone()], c);
                for (c, &v) in c.iter_mut().zip(&self.carrier_volts[span.clone()]) {
                    *c *= v;
                }
            }
            None => {
                for (ch, carrier) in self.carrier.iter_mut().enumerate() {
                    let src = io.sidechain.and_then(|sc| sc.get(ch).or_else(|| sc.first()));
                    let dst = &mut carrier[..n];
                    match src {
                        Some(src) if src.len() >= span.end => {
                            for ((c, &s), &v) in dst.iter_mut().zip(&src[span.clone()]).zip(&self.carrier_volts[span.clone()]) {
                                *c = sanitize(s, CARRIER_INPUT_LIMIT) * v;
                            }
                        }
                        // No sidechain connected: no carrier, so the ring outputs silence.
                        _ => dst.fill(0.0),
                    }
                }
            }
        }

        // The carrier for the editor's meter, relative to the nominal 0.8 V peak.
        if let Some(data) = io.editor.filter(|_| n > 0) {
            let c = &self.carrier[0][..n];
            let (peak, squares) = c.iter().fold((0f32, 0f32), |(p, s), &x| (p.max(x.abs()), s + x * x));
            data.set_readout(READOUT_CARRIER_PEAK, peak / CARRIER_VOLTS_PEAK);
            data.set_readout(READOUT_CARRIER_RMS, (squares / n.max(1) as f32).sqrt() / CARRIER_VOLTS_PEAK);
            data.set_readout(READOUT_CARRIER_HZ, self.freq[offset + n - 1]);
        }

        // Every channel's modulator (and delayed dry signal), then one call that solves the
        // channels' circuits in lock-step, then the output stage.
        let channels = io.main.len().min(self.channels);
        for (ch, samples) in io.main.iter().enumerate().take(channels) {
            self.output.take_input(ch, &samples[span.clone()], &self.drive_volts[span.clone()], &mut self.wet[ch][..n]);
        }
        let mut carriers: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
        let mut wets: [&mut [f32]; MAX_CHANNELS] = Default::default();
        for (ch, (w, slot)) in self.wet.iter_mut().zip(wets.iter_mut()).enumerate().take(channels) {
            let carrier_index = if waveform.is_some() { 0 } else { ch };
            carriers[ch] = &self.carrier[carrier_index][..n];
            *slot = &mut w[..n];
        }
        self.ring.process(&mut wets[..channels], &carriers[..channels]);

        let out_scale = 1.0 / output_volts_per_full_scale(model_of(self.applied.model));
        for (ch, samples) in io.main.iter_mut().enumerate().take(channels) {
            let wet = &mut self.wet[ch][..n];
            for w in wet.iter_mut() {
                *w *= out_scale;
            }
            self.output.finish(ch, &mut samples[span.clone()], wet, offset);
        }
    }
}

fn model_of(choice: ModelChoice) -> RingModel {
    match choice {
        ModelChoice::Circuit => RingModel::Circuit,
        ModelChoice::Parker => RingModel::Parker,
    }
}
