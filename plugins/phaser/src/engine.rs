//! The mapping from Ferrite Phaser's parameters to [`ferrite_dsp::phaser::Phaser`]: the
//! settings (targets the model smooths itself), the LFO rate and phase from the host transport
//! when synced, input sanitising and the smoothed output gain. Everything is allocated in
//! [`PhaserEngine::new`]; [`PhaserEngine::process`] never allocates.

use ferrite_dsp::lfo::LfoShape;
use ferrite_dsp::phaser::{Phaser, PhaserSettings};
use ferrite_plugin_common::params::{fill_mapped, sanitize, INPUT_LIMIT};
use nice_plug::prelude::Transport;
use nice_plug::util::db_to_gain;

use crate::params::{PhaserParams, ShapeChoice};

/// Largest piece of a host block processed at once.
const MAX_CHUNK: usize = 512;

/// All DSP state of one plugin instance.
pub struct PhaserEngine {
    /// Host sample rate, Hz.
    sample_rate: f32,
    /// Largest block processed in one piece.
    max_block: usize,
    /// Number of main channels (1 or 2).
    channels: usize,
    /// The phaser (both channels).
    phaser: Phaser,
    /// Smoothed output gain per sample (linear).
    output_gain: Vec<f32>,
}

/// Where the host's transport is, for tempo sync.
#[derive(Clone, Copy, Debug, Default)]
pub struct TransportState {
    /// Tempo, beats per minute, if the host reports one.
    pub tempo: Option<f64>,
    /// Position in quarter-note beats at the start of the block, if the host is playing and
    /// reports it.
    pub playing_pos_beats: Option<f64>,
}

impl TransportState {
    /// Read what tempo sync needs from nice-plug's transport.
    pub fn from_transport(t: &Transport) -> Self {
        Self { tempo: t.tempo, playing_pos_beats: if t.playing { t.pos_beats() } else { None } }
    }
}

impl PhaserEngine {
    /// Allocate everything for `channels` channels at `sample_rate` with blocks up to `max_block`.
    pub fn new(params: &PhaserParams, sample_rate: f32, channels: usize, max_block: usize) -> Self {
        let max_block = max_block.clamp(1, MAX_CHUNK);
        let mut phaser = Phaser::new(sample_rate, max_block);
        phaser.set_settings(&settings(params, None));
        phaser.reset();
        Self { sample_rate, max_block, channels: channels.clamp(1, 2), phaser, output_gain: vec![0.0; max_block] }
    }

    /// Clear the audio state and jump to the current settings.
    pub fn reset(&mut self, params: &PhaserParams) {
        self.phaser.set_settings(&settings(params, None));
        self.phaser.reset();
    }

    /// Process `main` in place; `transport` drives the LFO when it is synced.
    pub fn process(&mut self, params: &PhaserParams, main: &mut [&mut [f32]], transport: TransportState) {
        let len = main.iter().map(|c| c.len()).min().unwrap_or(0);
        let beats_per_cycle = params.lfo_sync.value().beats_per_cycle();
        let synced_rate = match (beats_per_cycle, transport.tempo) {
            (Some(beats), Some(bpm)) if bpm.is_finite() && bpm > 0.0 => Some((bpm / 60.0 / beats) as f32),
            // Synced but the host gives no tempo: assume 120 BPM, like most hosts' default.
            (Some(beats), _) => Some((2.0 / beats) as f32),
            (None, _) => None,
        };
        self.phaser.set_settings(&settings(params, synced_rate));
        if let (Some(beats), Some(pos)) = (beats_per_cycle, transport.playing_pos_beats) {
            if pos.is_finite() {
                self.phaser.sync_lfo_phase((pos / beats).rem_euclid(1.0));
            }
        }
        let mut start = 0;
        while start < len {
            let n = self.max_block.min(len - start);
            let io = start..start + n;
            for ch in main.iter_mut() {
                for x in ch[io.clone()].iter_mut() {
                    *x = sanitize(*x, INPUT_LIMIT);
                }
            }
            match main {
                [left, right, ..] if self.channels == 2 => {
                    self.phaser.process_stereo(&mut left[io.clone()], &mut right[io.clone()])
                }
                [mono, ..] => self.phaser.process_mono(&mut mono[io.clone()]),
                [] => {}
            }
            fill_mapped(&params.output, &mut self.output_gain[..n], db_to_gain);
            for ch in main.iter_mut() {
                for (y, &g) in ch[io.clone()].iter_mut().zip(&self.output_gain[..n]) {
                    let out = *y * g;
                    *y = if out.is_finite() { out } else { 0.0 };
                }
            }
            start += n;
        }
    }

    /// Host sample rate this engine was built for, Hz.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// How long the notches ring on after the input stops, samples, for the host. A section
    /// with its poles at radius exp(−π·f/(q·fs)) falls by 60 dB in 6.91·q/(π·f) ≈ 2.2·q/f
    /// seconds; the lowest centre the sweep can reach rings longest, and feedback g stretches
    /// the decay by up to 1/(1 − |g|). Capped at a minute.
    pub fn tail_samples(&self, params: &PhaserParams) -> u32 {
        let (freq, spread, stages) = (params.freq.value(), params.spread.value(), params.stages.value().max(1));
        let lowest_centre = freq.min(freq * spread.powi(stages - 1)) * (-params.lfo_depth.value()).exp2();
        let seconds = 2.2 * params.q.value() / lowest_centre.max(20.0) / (1.0 - params.feedback.value().abs()).max(0.01);
        (seconds.min(60.0) * self.sample_rate) as u32
    }

    /// Bytes of audio state the model holds.
    pub fn memory_bytes(&self) -> usize {
        self.phaser.memory_bytes() + self.output_gain.len() * 4
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
