//! The stage every Ferrite effect ends with, written once (as nih-plug's spectral compressor
//! keeps its `DryWetMixer`): the dry signal delayed by the wet path's latency, the dry/wet mix,
//! the output gain, the declicking fade around a switch of a discrete setting, and the finite
//! guard that keeps NaN or infinities from ever reaching the host.
//!
//! Per chunk an engine calls [`OutputStage::fill_controls`], then for every span it renders
//! ([`OutputStage::next_span`] splits the chunk at a pending switch) [`OutputStage::take_input`]
//! per channel before its model and [`OutputStage::finish`] per channel after it.

use ferrite_dsp::delay::DelayLine;
use ferrite_dsp::fade::SwitchFade;
use ferrite_dsp::input::{sanitize, PLUGIN_INPUT_LIMIT};
use ferrite_dsp::model::ProcessSpec;
use nice_plug::prelude::FloatParam;
use nice_plug::util::db_to_gain;

use crate::params::fill_mapped;

/// What an engine does next within a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Render this many samples with the settings in effect.
    Render(usize),
    /// The fade is silent: put the wanted discrete settings into effect now, then call
    /// [`OutputStage::switched`].
    Switch,
}

/// Render a chunk of `n` samples span by span: `render(owner, offset, len)` for every stretch
/// with the settings in effect, and `switch(owner)` where the fade of `owner`'s output stage
/// (reached through `stage`) has gone silent and the wanted discrete settings must be put into
/// effect (after which the owner calls [`OutputStage::switched`]). At most three passes: up to
/// the switch point, the switch, the rest.
pub fn for_each_span<T>(
    owner: &mut T,
    n: usize,
    stage: impl Fn(&mut T) -> &mut OutputStage,
    mut switch: impl FnMut(&mut T),
    mut render: impl FnMut(&mut T, usize, usize),
) {
    let mut pos = 0;
    // Every render advances; a switch is followed by a render (the fade is no longer pending),
    // so this runs at most 2·n + 1 times.
    while pos < n {
        match stage(owner).next_span(n - pos) {
            Step::Switch => switch(owner),
            Step::Render(span) => {
                render(owner, pos, span);
                pos += span;
            }
        }
    }
}

/// Dry path, mix, output gain, switch fade and finite guard for up to `channels` channels.
pub struct OutputStage {
    /// The sanitised input per channel, delayed by the wet path's latency, for the current span.
    dry: Vec<Vec<f32>>,
    /// Per-channel delay of the dry signal by the wet path's latency.
    dry_delays: Vec<DelayLine>,
    /// Smoothed mix per sample of the chunk (0 dry … 1 wet).
    mix: Vec<f32>,
    /// Smoothed output gain per sample of the chunk (linear).
    gain: Vec<f32>,
    /// Declick gain per sample of the chunk.
    fade_gain: Vec<f32>,
    /// Fades out before, and in after, a switch of a discrete setting.
    fade: SwitchFade,
}

impl OutputStage {
    /// A stage for `spec`, able to delay the dry path by up to `max_latency` samples, with
    /// switch fades of `fade_ms` milliseconds each way.
    pub fn new(spec: &ProcessSpec, max_latency: usize, fade_ms: f32) -> Self {
        let (channels, n) = (spec.channels.max(1), spec.max_block.max(1));
        Self {
            dry: vec![vec![0.0; n]; channels],
            dry_delays: (0..channels).map(|_| DelayLine::new(max_latency)).collect(),
            mix: vec![1.0; n],
            gain: vec![1.0; n],
            fade_gain: vec![1.0; n],
            fade: SwitchFade::new(((fade_ms * 1e-3 * spec.sample_rate) as u32).max(1)),
        }
    }

    /// Set the dry path's delay to the wet path's `latency` (clearing its history).
    pub fn set_latency(&mut self, latency: usize) {
        for d in &mut self.dry_delays {
            d.set_delay(latency);
        }
    }

    /// Clear the dry history, take `latency`, and open the fade at once.
    pub fn reset(&mut self, latency: usize) {
        self.set_latency(latency);
        self.fade.reset();
    }

    /// Fill the chunk's mix (when the effect has one; otherwise fully wet) and output gain (a dB
    /// parameter) for `n` samples from their smoothers.
    pub fn fill_controls(&mut self, mix: Option<&FloatParam>, output_db: &FloatParam, n: usize) {
        if let Some(mix) = mix {
            mix.smoothed.next_block(&mut self.mix[..n], n);
        }
        fill_mapped(output_db, &mut self.gain[..n], db_to_gain);
    }

    /// Start (when `differs`) or cancel (when not) a switch of the discrete settings.
    pub fn want_switch(&mut self, differs: bool) {
        if differs && !self.fade.pending() {
            self.fade.request();
        } else if !differs && self.fade.pending() {
            // Set back before the switch point: nothing to switch, fade straight back in.
            self.fade.cancel();
        }
    }

    /// What to do with the next `remaining` samples of the chunk.
    pub fn next_span(&self, remaining: usize) -> Step {
        match self.fade.samples_to_switch() {
            Some(0) => Step::Switch,
            Some(to_switch) => Step::Render(to_switch.min(remaining)),
            None => Step::Render(remaining),
        }
    }

    /// The switch was made (at zero gain): stay silent for `hold` samples, then fade back in.
    pub fn switched(&mut self, hold: u32) {
        self.fade.switched(hold);
    }

    /// Begin a span of `n` samples at `offset` within the chunk: the fade's gains for it.
    pub fn begin_span(&mut self, offset: usize, n: usize) {
        self.fade.fill(&mut self.fade_gain[offset..offset + n]);
    }

    /// Sanitise channel `ch`'s `input`, keep it as the dry signal (delayed by the latency), and
    /// write it into `model_in` scaled per sample by `drive` (the span's part of a per-chunk
    /// buffer, or one value repeated).
    pub fn take_input(&mut self, ch: usize, input: &[f32], drive: &[f32], model_in: &mut [f32]) {
        let n = input.len();
        let dry = &mut self.dry[ch][..n];
        for (((d, m), &x), &g) in dry.iter_mut().zip(model_in.iter_mut()).zip(input).zip(drive) {
            let x = sanitize(x, PLUGIN_INPUT_LIMIT);
            *d = x;
            *m = x * g;
        }
        self.dry_delays[ch].process(dry);
    }

    /// Sanitise channel `ch`'s `input` and keep it as the dry signal, without a model input
    /// (for effects whose model reads the dry signal itself, see [`Self::dry`]).
    pub fn take_dry(&mut self, ch: usize, input: &[f32]) {
        let n = input.len();
        let dry = &mut self.dry[ch][..n];
        for (d, &x) in dry.iter_mut().zip(input) {
            *d = sanitize(x, PLUGIN_INPUT_LIMIT);
        }
        self.dry_delays[ch].process(dry);
    }

    /// Channel `ch`'s dry signal for the current span (as taken by the last `take_*` call).
    pub fn dry(&self, ch: usize) -> &[f32] {
        &self.dry[ch]
    }

    /// Write channel `ch`'s output for the span at `offset` within the chunk:
    /// `(dry·(1 − mix) + wet·mix) · gain · fade`, non-finite results replaced by silence.
    pub fn finish(&self, ch: usize, out: &mut [f32], wet: &[f32], offset: usize) {
        let n = out.len();
        let k = offset..offset + n;
        let (mix, gain, fade) = (&self.mix[k.clone()], &self.gain[k.clone()], &self.fade_gain[k]);
        for (i, (y, &w)) in out.iter_mut().zip(wet).enumerate() {
            let out = (self.dry[ch][i] * (1.0 - mix[i]) + w * mix[i]) * gain[i] * fade[i];
            *y = if out.is_finite() { out } else { 0.0 };
        }
    }

    /// Write one channel's output in place for an effect whose model mixes dry and wet itself:
    /// `y · gain · fade`, non-finite results replaced by silence.
    pub fn finish_wet(&self, out: &mut [f32], offset: usize) {
        let n = out.len();
        let k = offset..offset + n;
        for ((y, &g), &f) in out.iter_mut().zip(&self.gain[k.clone()]).zip(&self.fade_gain[k]) {
            let v = *y * g * f;
            *y = if v.is_finite() { v } else { 0.0 };
        }
    }
}
