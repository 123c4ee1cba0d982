//! The mapping from Ferrite Phaser's parameters to [`ferrite_dsp::phaser::Phaser`]: the
//! settings (targets the model smooths itself), the LFO rate and phase from the host transport
//! when synced, and the shared output stage (output gain, finite guard; the model mixes dry and
//! wet itself). Everything is allocated in [`PhaserEngine::new`]; processing never allocates.

use ferrite_dsp::input::{sanitize_block, PLUGIN_INPUT_LIMIT};
use ferrite_dsp::lfo::LfoShape;
use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::phaser::{Phaser, PhaserSettings};
use ferrite_plugin_common::effect::{Engine, ProcessIo};
use ferrite_plugin_common::output::OutputStage;
use nice_plug::prelude::ProcessStatus;

use crate::params::{PhaserParams, ShapeChoice};

/// The readout slots the engine fills for the editor (`EditorData::readout`) while it is open.
pub mod readout {
    /// The left channel's LFO value now, −1..1 (`Phaser::lfo_values`): the first stage sits at
    /// freq·2^(depth·value), which with the other parameters fixes the chain's response.
    pub const LFO_LEFT: usize = 0;
    /// The right channel's (NaN when the phaser runs mono).
    pub const LFO_RIGHT: usize = 1;
    /// The tempo the synced LFO follows, BPM (0 while the rate is free).
    pub const TEMPO: usize = 2;
    /// 1 when [`TEMPO`] comes from the host, 0 when the host gives none and 120 BPM is assumed.
    pub const TEMPO_FROM_HOST: usize = 3;
}

/// Tempo assumed when synced and the host reports none (most hosts' default).
pub const FALLBACK_BPM: f64 = 120.0;

/// All DSP state of one plugin instance.
pub struct PhaserEngine {
    /// Host sample rate, Hz.
    sample_rate: f32,
    /// Number of main channels (1 or 2).
    channels: usize,
    /// The phaser (both channels).
    phaser: Phaser,
    /// Output gain and finite guard.
    output: OutputStage,
}

impl Engine for PhaserEngine {
    type Params = PhaserParams;
    type BackgroundTask = ();

    fn new(params: &PhaserParams, spec: &ProcessSpec) -> Self {
        let spec = ProcessSpec { channels: spec.channels.clamp(1, 2), ..*spec };
        let mut phaser = Phaser::prepare(&spec);
        phaser.set_settings(&settings(params, None));
        phaser.reset();
        // No dry path to align: the phaser has no latency.
        let output = OutputStage::new(&spec, 0, 1.0);
        Self { sample_rate: spec.sample_rate, channels: spec.channels, phaser, output }
    }

    fn reset(&mut self, params: &PhaserParams) {
        self.phaser.set_settings(&settings(params, None));
        self.phaser.reset();
    }

    fn process(&mut self, params: &PhaserParams, io: &mut ProcessIo<'_, '_, ()>) {
        let n = io.len();
        let beats_per_cycle = params.lfo_sync.value().beats_per_cycle();
        let host_bpm = io.transport.tempo.filter(|bpm| bpm.is_finite() && *bpm > 0.0);
        // Synced but the host gives no tempo: assume 120 BPM, like most hosts' default.
        let bpm = host_bpm.unwrap_or(FALLBACK_BPM);
        let synced_rate = beats_per_cycle.map(|beats| (bpm / 60.0 / beats) as f32);
        self.phaser.set_settings(&settings(params, synced_rate));
        if let (Some(beats), Some(pos)) = (beats_per_cycle, io.transport.playing_pos_beats) {
            if pos.is_finite() {
                self.phaser.sync_lfo_phase((pos / beats).rem_euclid(1.0));
            }
        }
        let channels = io.main.len().min(self.channels);
        let main = &mut io.main[..channels];
        for ch in main.iter_mut() {
            sanitize_block(ch, PLUGIN_INPUT_LIMIT);
        }
        self.phaser.process(main, ());
        if let Some(d) = io.editor {
            let [left, right] = self.phaser.lfo_values();
            d.set_readout(readout::LFO_LEFT, left);
            d.set_readout(readout::LFO_RIGHT, if channels == 2 { right } else { f32::NAN });
            d.set_readout(readout::TEMPO, if beats_per_cycle.is_some() { bpm as f32 } else { 0.0 });
            d.set_readout(readout::TEMPO_FROM_HOST, if host_bpm.is_some() { 1.0 } else { 0.0 });
        }
        self.output.fill_controls(None, &params.output, n);
        self.output.begin_span(0, n);
        for ch in main.iter_mut() {
            self.output.finish_wet(ch, 0);
        }
    }

    /// How long the notches ring on after the input stops. A section with its poles at radius
    /// exp(−π·f/(q·fs)) falls by 60 dB in 6.91·q/(π·f) ≈ 2.2·q/f seconds; the lowest centre the
    /// sweep can reach rings longest, and feedback g stretches the decay by up to 1/(1 − |g|).
    /// Capped at a minute.
    fn tail(&self, params: &PhaserParams) -> ProcessStatus {
        let (freq, spread, stages) = (params.freq.value(), params.spread.value(), params.stages.value().max(1));
        let lowest_centre = freq.min(freq * spread.powi(stages - 1)) * (-params.lfo_depth.value()).exp2();
        let seconds = 2.2 * params.q.value() / lowest_centre.max(20.0) / (1.0 - params.feedback.value().abs()).max(0.01);
        ProcessStatus::Tail((seconds.min(60.0) * self.sample_rate) as u32)
    }
}

/// The model's settings from the parameters; `synced_rate_hz` overrides `lfo_rate` when the
/// LFO follows the host tempo.
fn settings(params: &PhaserParams, synced_rate_hz: Option<f32>) -> PhaserSettings {
    PhaserSettings {
        stages: params.stages.value().clamp(1, 48) as usize,
        freq_hz: params.freq.value(),
        spread: params.spread.value(),
        q: params.q.value(),
        feedback: params.feedback.value(),
        lfo_rate_hz: synced_rate_hz.unwrap_or_else(|| params.lfo_rate.value()),
        lfo_depth_octaves: params.lfo_depth.value(),
        lfo_shape: match params.lfo_shape.value() {
            ShapeChoice::Sine => LfoShape::Sine,
            ShapeChoice::Triangle => LfoShape::Triangle,
            ShapeChoice::Square => LfoShape::Square,
            ShapeChoice::Saw => LfoShape::Saw,
        },
        stereo_phase_deg: params.stereo_phase.value(),
        mix: params.mix.value(),
    }
}
