//! The mapping from Ferrite Ring's parameters to the DSP: smoothing into per-sample buffers, the
//! carrier (oscillator or sidechain), drive into volts, the oversampled ring modulator, and the
//! shared output stage (latency-aligned dry path, mix, output gain, declicked switching of the
//! discrete parameters). Everything is allocated in [`RingEngine::new`]; processing never
//! allocates.

use ferrite_dsp::carrier::{Carrier, Waveform};
use ferrite_dsp::input::{sanitize, CARRIER_INPUT_LIMIT};
use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::oversampler::{round_trip_latency, MAX_FACTOR_LOG2};
use ferrite_dsp::ring::{
    output_volts_per_full_scale, RingModel, RingModulator, CARRIER_VOLTS_PEAK, MODULATOR_VOLTS_PER_FULL_SCALE,
};
use ferrite_plugin_common::effect::{Engine, ProcessIo, MAX_CHANNELS};
use ferrite_plugin_common::output::{for_each_span, OutputStage};
use ferrite_plugin_common::params::fill_mapped;
use nice_plug::prelude::ProcessStatus;
use nice_plug::util::db_to_gain;

use crate::params::{CarrierChoice, ModelChoice, RingParams};

/// Fade time for switching the model, the oversampling factor or the carrier source.
const SWITCH_FADE_MS: f32 = 5.0;

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
    }

    fn process(&mut self, params: &RingParams, io: &mut ProcessIo<'_, '_, ()>) {
        let n = io.len();
        // Smoothed parameters for the whole chunk, mapped to what the DSP needs (volts, linear
        // gain). The dB-to-gain conversions run per sample only while a smoother is moving.
        params.carrier_freq.smoothed.next_block(&mut self.freq[..n], n);
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
