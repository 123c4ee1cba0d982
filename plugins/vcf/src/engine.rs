//! The mapping from Ferrite VCF's parameters to the model: smoothing into per-sample buffers,
//! drive, the oversampled VCS3 filter ([`ferrite_dsp::vcf::Vcf`]), the latency-aligned dry path,
//! mix and output gain, and a declicked switch of the oversampling factor. Everything is
//! allocated in [`VcfEngine::new`]; [`VcfEngine::process`] never allocates.

use ferrite_dsp::delay::DelayLine;
use ferrite_dsp::fade::SwitchFade;
use ferrite_dsp::oversampler::round_trip_latency;
use ferrite_dsp::vcf::{Vcf, MAX_OVERSAMPLING_LOG2};
use ferrite_plugin_common::params::{fill_mapped, sanitize, INPUT_LIMIT};
use nice_plug::util::db_to_gain;

use crate::params::VcfParams;

/// Most channels an engine processes (the layouts offer mono and stereo).
const MAX_CHANNELS: usize = 2;

/// Largest piece of a host block processed at once: the per-sample buffers have this length
/// whatever the host's block size.
const MAX_CHUNK: usize = 512;

/// Fade time for switching the oversampling factor.
const SWITCH_FADE_MS: f32 = 5.0;

/// All DSP state of one plugin instance.
pub struct VcfEngine {
    /// Largest block processed in one piece.
    max_block: usize,
    /// Number of main channels.
    channels: usize,
    /// The oversampled filter, all channels.
    filter: Vcf,
    /// Per-channel delay of the dry signal by the filter's latency.
    dry_delays: Vec<DelayLine>,
    /// Smoothed cutoff per sample, Hz.
    cutoff: Vec<f32>,
    /// Smoothed resonance (K) per sample.
    resonance: Vec<f32>,
    /// Smoothed drive per sample (linear gain).
    drive: Vec<f32>,
    /// Smoothed mix per sample.
    mix: Vec<f32>,
    /// Smoothed output gain per sample (linear).
    output_gain: Vec<f32>,
    /// Declick gain per sample.
    fade_gain: Vec<f32>,
    /// Dry signal, delayed, per channel.
    dry: Vec<Vec<f32>>,
    /// Model input, then its output, per channel (processed in place by the filter).
    wet: Vec<Vec<f32>>,
    /// log2 of the oversampling factor in effect.
    applied_os: usize,
    /// Fades out before, and in after, an oversampling change.
    fade: SwitchFade,
}

impl VcfEngine {
    /// Allocate everything for `channels` channels at `sample_rate` with blocks up to `max_block`.
    pub fn new(params: &VcfParams, sample_rate: f32, channels: usize, max_block: usize) -> Self {
        let channels = channels.clamp(1, MAX_CHANNELS);
        let max_block = max_block.clamp(1, MAX_CHUNK);
        let applied_os = params.oversampling.value().log2();
        let mut filter = Vcf::new(channels, max_block);
        filter.set_sample_rate(sample_rate);
        filter.set_oversampling_log2(applied_os);
        let max_latency = round_trip_latency(MAX_OVERSAMPLING_LOG2) as usize;
        let mut dry_delays: Vec<DelayLine> = (0..channels).map(|_| DelayLine::new(max_latency)).collect();
        for d in &mut dry_delays {
            d.set_delay(filter.latency() as usize);
        }
        Self {
            max_block,
            channels,
            filter,
            dry_delays,
            cutoff: vec![0.0; max_block],
            resonance: vec![0.0; max_block],
            drive: vec![0.0; max_block],
            mix: vec![0.0; max_block],
            output_gain: vec![0.0; max_block],
            fade_gain: vec![1.0; max_block],
            dry: vec![vec![0.0; max_block]; channels],
            wet: vec![vec![0.0; max_block]; channels],
            applied_os,
            fade: SwitchFade::new(((SWITCH_FADE_MS * 1e-3 * sample_rate) as u32).max(1)),
        }
    }

    /// Latency of the wet path (and so of the whole plugin), host samples.
    pub fn latency(&self) -> u32 {
        self.filter.latency()
    }

    /// Clear all audio state and take the oversampling factor as it is now, without a fade.
    pub fn reset(&mut self, params: &VcfParams) {
        self.applied_os = params.oversampling.value().log2();
        self.filter.set_oversampling_log2(self.applied_os);
        self.filter.reset();
        let latency = self.filter.latency() as usize;
        for d in &mut self.dry_delays {
            d.set_delay(latency);
        }
        self.fade.reset();
    }

    /// Solver statistics of the filter (for the tests and the README).
    pub fn filter(&self) -> &Vcf {
        &self.filter
    }

    /// Process `main` in place (all channels the same length).
    pub fn process(&mut self, params: &VcfParams, main: &mut [&mut [f32]]) {
        let len = main.iter().map(|c| c.len()).min().unwrap_or(0);
        let channels = main.len().min(self.channels);
        let mut start = 0;
        while start < len {
            let n = self.max_block.min(len - start);
            self.process_chunk(params, &mut main[..channels], start, n);
            start += n;
        }
    }

    /// One chunk of at most `max_block` samples starting at `start`.
    fn process_chunk(&mut self, params: &VcfParams, main: &mut [&mut [f32]], start: usize, n: usize) {
        params.cutoff.smoothed.next_block(&mut self.cutoff[..n], n);
        params.resonance.smoothed.next_block(&mut self.resonance[..n], n);
        params.mix.smoothed.next_block(&mut self.mix[..n], n);
        fill_mapped(&params.drive, &mut self.drive[..n], db_to_gain);
        fill_mapped(&params.output, &mut self.output_gain[..n], db_to_gain);

        let wanted = params.oversampling.value().log2();
        if wanted != self.applied_os && !self.fade.pending() {
            self.fade.request();
        } else if wanted == self.applied_os && self.fade.pending() {
            self.fade.cancel();
        }
        let mut pos = 0;
        // At most three passes: up to the switch point, the switch, the rest.
        while pos < n {
            let span = match self.fade.samples_to_switch() {
                Some(0) => {
                    self.apply(params.oversampling.value().log2());
                    continue;
                }
                Some(to_switch) => to_switch.min(n - pos),
                None => n - pos,
            };
            self.render_span(main, start, pos, span);
            pos += span;
        }
    }

    /// Put a new oversampling factor into effect (called at zero gain). The filter and the dry
    /// delay restart empty, so the fade holds at zero for the new latency before opening.
    fn apply(&mut self, os_log2: usize) {
        self.filter.set_oversampling_log2(os_log2);
        let latency = self.filter.latency() as usize;
        for d in &mut self.dry_delays {
            d.set_delay(latency);
        }
        self.applied_os = os_log2;
        self.fade.switched(latency as u32);
    }

    /// Render samples `[offset, offset + n)` of the current chunk (which starts at `start`).
    fn render_span(&mut self, main: &mut [&mut [f32]], start: usize, offset: usize, n: usize) {
        let span = offset..offset + n;
        let io = start + offset..start + offset + n;
        self.fade.fill(&mut self.fade_gain[span.clone()]);
        let channels = main.len().min(self.channels);
        for (ch, samples) in main.iter().enumerate().take(channels) {
            let (dry, wet) = (&mut self.dry[ch][..n], &mut self.wet[ch][..n]);
            for (((d, w), &x), &drive) in dry.iter_mut().zip(wet.iter_mut()).zip(&samples[io.clone()]).zip(&self.drive[span.clone()]) {
                let x = sanitize(x, INPUT_LIMIT);
                *d = x;
                *w = x * drive;
            }
            self.dry_delays[ch].process(dry);
        }
        let mut wets: [&mut [f32]; MAX_CHANNELS] = Default::default();
        for (slot, w) in wets.iter_mut().zip(self.wet.iter_mut()) {
            *slot = &mut w[..n];
        }
        self.filter.process(&mut wets[..channels], &self.cutoff[span.clone()], &self.resonance[span.clone()]);
        for (ch, samples) in main.iter_mut().enumerate().take(channels) {
            let (dry, wet) = (&self.dry[ch][..n], &self.wet[ch][..n]);
            for (i, y) in samples[io.clone()].iter_mut().enumerate() {
                let k = offset + i;
                let mix = self.mix[k];
                let out = (dry[i] * (1.0 - mix) + wet[i] * mix) * self.output_gain[k] * self.fade_gain[k];
                *y = if out.is_finite() { out } else { 0.0 };
            }
        }
    }
}
