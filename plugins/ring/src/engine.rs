//! The mapping from Ferrite Ring's parameters to the DSP: smoothing into per-sample buffers, the
//! carrier (oscillator or sidechain), drive into volts, the oversampled ring modulator, the
//! latency-aligned dry path, mix and output gain, and declicked switching of the discrete
//! parameters. Everything is allocated in [`RingEngine::new`]; [`RingEngine::process`] never
//! allocates.

use ferrite_dsp::carrier::{Carrier, Waveform};
use ferrite_dsp::delay::DelayLine;
use ferrite_dsp::fade::SwitchFade;
use ferrite_dsp::oversampler::{round_trip_latency, MAX_FACTOR_LOG2};
use ferrite_dsp::ring::{
    output_volts_per_full_scale, RingModel, RingModulator, CARRIER_VOLTS_PEAK, MODULATOR_VOLTS_PER_FULL_SCALE,
};
use ferrite_plugin_common::params::{fill_mapped, sanitize, INPUT_LIMIT};
use nice_plug::util::db_to_gain;

use crate::params::{CarrierChoice, ModelChoice, RingParams};

/// The sidechain carrier is clamped to ±1.5 full scale (about the band-limited square's Gibbs
/// peak): a carrier only needs to switch the diodes, and a runaway sidechain must not make the
/// solver work arbitrarily hard.
const SIDECHAIN_LIMIT: f32 = 1.5;

/// Most channels an engine processes (the layouts offer mono and stereo); the per-block slice
/// arrays handed to the ring modulator are this long, so building them never allocates.
const MAX_CHANNELS: usize = 8;

/// Largest piece of a host block processed at once (see [`RingEngine::new`]).
const MAX_CHUNK: usize = 512;

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

/// All DSP state of one plugin instance.
pub struct RingEngine {
    /// Host sample rate, Hz.
    sample_rate: f32,
    /// Largest block processed in one piece; the per-sample buffers have this length.
    max_block: usize,
    /// Number of main channels.
    channels: usize,
    /// The oversampled models.
    ring: RingModulator,
    /// The band-limited carrier oscillator (shared by all channels).
    oscillator: Carrier,
    /// Per-channel delay of the dry signal by the wet path's latency.
    dry_delays: Vec<DelayLine>,
    /// Smoothed carrier frequency per sample, Hz.
    freq: Vec<f32>,
    /// Smoothed carrier level per sample, volts peak.
    carrier_volts: Vec<f32>,
    /// Smoothed drive per sample, volts per full scale.
    drive_volts: Vec<f32>,
    /// Smoothed mix per sample.
    mix: Vec<f32>,
    /// Smoothed output gain per sample (linear).
    output_gain: Vec<f32>,
    /// Declick gain per sample.
    fade_gain: Vec<f32>,
    /// Carrier in volts per channel (only channel 0 is used for the internal oscillator).
    carrier: Vec<Vec<f32>>,
    /// Modulator in volts, per channel.
    modulator: Vec<Vec<f32>>,
    /// Dry signal, delayed, per channel.
    dry: Vec<Vec<f32>>,
    /// Ring output in volts, per channel.
    wet: Vec<Vec<f32>>,
    /// The discrete settings currently in effect.
    applied: Discrete,
    /// Fades out before, and in after, a change of `applied`.
    fade: SwitchFade,
}

impl RingEngine {
    /// Allocate everything for `channels` channels at `sample_rate` with blocks up to `max_block`.
    pub fn new(params: &RingParams, sample_rate: f32, channels: usize, max_block: usize) -> Self {
        let channels = channels.min(MAX_CHANNELS);
        // Host blocks are processed in pieces of at most `MAX_CHUNK`, so the per-sample buffers
        // do not grow with the host's block size.
        let max_block = max_block.clamp(1, MAX_CHUNK);
        let applied = Discrete::from_params(params);
        let mut ring = RingModulator::new(sample_rate, channels, max_block);
        ring.set_model(model_of(applied.model));
        ring.set_oversampling_log2(applied.oversampling_log2);
        let max_latency = round_trip_latency(MAX_FACTOR_LOG2) as usize;
        let mut dry_delays: Vec<DelayLine> = (0..channels).map(|_| DelayLine::new(max_latency)).collect();
        for d in &mut dry_delays {
            d.set_delay(ring.latency() as usize);
        }
        Self {
            sample_rate,
            max_block,
            channels,
            ring,
            oscillator: Carrier::new(sample_rate),
            dry_delays,
            freq: vec![0.0; max_block],
            carrier_volts: vec![0.0; max_block],
            drive_volts: vec![0.0; max_block],
            mix: vec![0.0; max_block],
            output_gain: vec![0.0; max_block],
            fade_gain: vec![1.0; max_block],
            carrier: vec![vec![0.0; max_block]; channels.max(1)],
            modulator: vec![vec![0.0; max_block]; channels],
            dry: vec![vec![0.0; max_block]; channels],
            wet: vec![vec![0.0; max_block]; channels],
            applied,
            fade: SwitchFade::new(((SWITCH_FADE_MS * 1e-3 * sample_rate) as u32).max(1)),
        }
    }

    /// Latency of the wet path (and so of the whole plugin), host samples.
    pub fn latency(&self) -> u32 {
        self.ring.latency()
    }

    /// Clear all audio state and take the discrete settings as they are now, without a fade.
    pub fn reset(&mut self, params: &RingParams) {
        self.applied = Discrete::from_params(params);
        self.ring.set_model(model_of(self.applied.model));
        self.ring.set_oversampling_log2(self.applied.oversampling_log2);
        self.ring.reset();
        self.oscillator.reset();
        let latency = self.ring.latency() as usize;
        for d in &mut self.dry_delays {
            d.set_delay(latency);
        }
        self.fade.reset();
    }

    /// Process `main` in place (all channels the same length); `sidechain` is the auxiliary
    /// input, used as the carrier when the carrier is `sidechain`.
    pub fn process(&mut self, params: &RingParams, main: &mut [&mut [f32]], sidechain: Option<&[&mut [f32]]>) {
        let len = main.iter().map(|c| c.len()).min().unwrap_or(0);
        let channels = main.len().min(self.channels);
        let mut start = 0;
        while start < len {
            let n = self.max_block.min(len - start);
            self.process_chunk(params, &mut main[..channels], sidechain, start, n);
            start += n;
        }
    }

    /// One chunk of at most `max_block` samples starting at `start`.
    fn process_chunk(
        &mut self,
        params: &RingParams,
        main: &mut [&mut [f32]],
        sidechain: Option<&[&mut [f32]]>,
        start: usize,
        n: usize,
    ) {
        // Smoothed parameters for the whole chunk, mapped to what the DSP needs (volts, linear
        // gain). The dB-to-gain conversions run per sample only while a smoother is moving.
        params.carrier_freq.smoothed.next_block(&mut self.freq[..n], n);
        params.mix.smoothed.next_block(&mut self.mix[..n], n);
        fill_mapped(&params.carrier_level, &mut self.carrier_volts[..n], |db| db_to_gain(db) * CARRIER_VOLTS_PEAK);
        fill_mapped(&params.drive, &mut self.drive_volts[..n], |db| db_to_gain(db) * MODULATOR_VOLTS_PER_FULL_SCALE);
        fill_mapped(&params.output, &mut self.output_gain[..n], db_to_gain);

        let wanted = Discrete::from_params(params);
        if wanted != self.applied && !self.fade.pending() {
            self.fade.request();
        } else if wanted == self.applied && self.fade.pending() {
            // Set back before the switch point: nothing to switch, fade straight back in.
            self.fade.cancel();
        }
        // At most two spans: up to the switch point, then the rest (after switching).
        let mut pos = 0;
        while pos < n {
            let span = match self.fade.samples_to_switch() {
                Some(0) => {
                    self.apply(Discrete::from_params(params));
                    continue;
                }
                Some(to_switch) => to_switch.min(n - pos),
                None => n - pos,
            };
            self.render_span(main, sidechain, start, pos, span);
            pos += span;
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
            let latency = self.ring.latency() as usize;
            for d in &mut self.dry_delays {
                d.set_delay(latency);
            }
            hold = latency as u32;
        }
        if wanted.carrier != self.applied.carrier {
            // Start the new waveform from its zero crossing, like a freshly reset oscillator.
            self.oscillator.reset();
        }
        self.applied = wanted;
        self.fade.switched(hold);
    }

    /// Render samples `[offset, offset + n)` of the current chunk (which starts at `start` in
    /// `main`) with the settings in effect.
    fn render_span(
        &mut self,
        main: &mut [&mut [f32]],
        sidechain: Option<&[&mut [f32]]>,
        start: usize,
        offset: usize,
        n: usize,
    ) {
        let span = offset..offset + n;
        let io = start + offset..start + offset + n;
        self.fade.fill(&mut self.fade_gain[span.clone()]);

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
                let c = &mut self.carrier[0][span.clone()];
                self.oscillator.process(w, &self.freq[span.clone()], c);
                for (c, &v) in c.iter_mut().zip(&self.carrier_volts[span.clone()]) {
                    *c *= v;
                }
            }
            None => {
                for (ch, carrier) in self.carrier.iter_mut().enumerate() {
                    let src = sidechain.and_then(|sc| sc.get(ch).or_else(|| sc.first()));
                    let dst = &mut carrier[span.clone()];
                    match src {
                        Some(src) if src.len() >= io.end => {
                            for ((c, &s), &v) in dst.iter_mut().zip(&src[io.clone()]).zip(&self.carrier_volts[span.clone()]) {
                                *c = sanitize(s, SIDECHAIN_LIMIT) * v;
                            }
                        }
                        // No sidechain connected: no carrier, so the ring outputs silence.
                        _ => dst.fill(0.0),
                    }
                }
            }
        }

        // Every channel's modulator (and delayed dry signal), then one call that solves the
        // channels' circuits in lock-step, then the mix.
        let channels = main.len().min(self.channels);
        for (ch, samples) in main.iter().enumerate().take(channels) {
            let modulator = &mut self.modulator[ch][..n];
            let dry = &mut self.dry[ch][..n];
            for (((m, d), &x), &drive) in
                modulator.iter_mut().zip(dry.iter_mut()).zip(&samples[io.clone()]).zip(&self.drive_volts[span.clone()])
            {
                let x = sanitize(x, INPUT_LIMIT);
                *d = x;
                *m = x * drive;
            }
            self.dry_delays[ch].process(dry);
        }
        let mut modulators: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
        let mut carriers: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
        let mut wets: [&mut [f32]; MAX_CHANNELS] = Default::default();
        for (ch, ((m, w), slot)) in self.modulator.iter().zip(self.wet.iter_mut()).zip(wets.iter_mut()).enumerate() {
            let carrier_index = if waveform.is_some() { 0 } else { ch };
            modulators[ch] = &m[..n];
            carriers[ch] = &self.carrier[carrier_index][span.clone()];
            *slot = &mut w[..n];
        }
        self.ring.process_channels(&modulators[..channels], &carriers[..channels], &mut wets[..channels]);

        let out_scale = 1.0 / output_volts_per_full_scale(model_of(self.applied.model));
        for (ch, samples) in main.iter_mut().enumerate().take(channels) {
            let (dry, wet) = (&self.dry[ch][..n], &self.wet[ch][..n]);
            for (i, y) in samples[io.clone()].iter_mut().enumerate() {
                let k = offset + i;
                let mix = self.mix[k];
                let out = (dry[i] * (1.0 - mix) + wet[i] * out_scale * mix) * self.output_gain[k] * self.fade_gain[k];
                *y = if out.is_finite() { out } else { 0.0 };
            }
        }
    }
}

fn model_of(choice: ModelChoice) -> RingModel {
    match choice {
        ModelChoice::Circuit => RingModel::Circuit,
        ModelChoice::Parker => RingModel::Parker,
    }
}

impl RingEngine {
    /// Host sample rate this engine was built for, Hz.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }
}
