//! The diode ring modulator: both models ([`circuit`] and [`parker`]) behind one oversampled
//! processor, [`RingModulator`].
//!
//! Signal levels are volts at the model's terminals. The plugin maps samples to volts with
//! [`MODULATOR_VOLTS_PER_FULL_SCALE`] times its drive and the carrier with
//! [`CARRIER_VOLTS_PEAK`] times its level; [`output_volts_per_full_scale`] maps the output back.
//!
//! Processing per host block and channel: the modulator and the carrier (both band-limited at the
//! host rate) are upsampled by the half-band cascade, the model runs at the oversampled rate, and
//! the result is decimated. The latency is exactly [`RingModulator::latency`] host samples.

pub mod circuit;
pub mod parker;

use crate::oversampler::{round_trip_latency, Downsampler, Upsampler, MAX_FACTOR_LOG2};
use circuit::{CircuitConstants, DiodeRingCircuit, SolverStats};
use parker::ParkerRing;

/// Volts at the modulator input for a full-scale sample at 0 dB drive. The paper's real-time
/// code scales samples by 0.4 to 0.8 V; 0.4 V puts a full-scale signal at the onset of the
/// diodes' strong nonlinearity, so +12 dB of drive is clearly audible saturation.
pub const MODULATOR_VOLTS_PER_FULL_SCALE: f32 = 0.4;

/// Peak carrier voltage at 0 dB carrier level (the paper's code uses 0.8 V): enough to switch the
/// diodes hard in both models (above Parker's `v_l = 0.6 V`).
pub const CARRIER_VOLTS_PEAK: f32 = 0.8;

/// The default oversampling factor (log2) of Ferrite Ring: the lowest at which both models stay
/// within −60 dB (relative error over 0–20 kHz) of their 64× f64 reference with +12 dB drive,
/// as measured by `tests/ring_accuracy.rs`. 4× is enough for Parker's model but leaves the
/// circuit at about −55 dB on a 7 kHz carrier: its error there is the trapezoidal rule's
/// (it falls 12 dB per doubling), so the circuit needs 8×.
pub const DEFAULT_OVERSAMPLING_LOG2: usize = 3;

/// Which model of the diode ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingModel {
    /// The Fontana–Bozzo circuit with transformers, solved implicitly.
    Circuit,
    /// Parker's static diode network.
    Parker,
}

/// Output volts that correspond to a full-scale sample, per model. Chosen so that a full-scale
/// sine modulator at 0 dB drive with the default 0 dB sine carrier comes out at the RMS level it
/// went in for both models (measured through the plugin by `tests/tests/ring_plugin.rs`), so
/// switching models does not jump in loudness.
pub fn output_volts_per_full_scale(model: RingModel) -> f32 {
    match model {
        RingModel::Circuit => CIRCUIT_OUTPUT_VOLTS_PER_FULL_SCALE,
        RingModel::Parker => PARKER_OUTPUT_VOLTS_PER_FULL_SCALE,
    }
}

/// See [`output_volts_per_full_scale`]. Measured, not derived: with 0.4 V in, the circuit's
/// output is 2.87 dB below the input RMS (a sine carrier multiplies by a sine, and the diodes'
/// soft v⁴ turn-on and the transformer load take a little more).
const CIRCUIT_OUTPUT_VOLTS_PER_FULL_SCALE: f32 = 0.288;
/// See [`output_volts_per_full_scale`]. Measured: Parker's network passes `m·sign(c)` while the
/// carrier is above its knee and nothing in its dead zone, 2.40 dB below the input RMS.
const PARKER_OUTPUT_VOLTS_PER_FULL_SCALE: f32 = 0.303;

/// Largest piece processed at once: at 32× it needs 8192 oversampled samples per buffer, and
/// larger pieces would only cost memory (the per-sample work is the same).
pub const MAX_CHUNK: usize = 256;

/// One channel's oversampling chain and model state.
struct RingChannel {
    /// Interpolates the modulator to the model rate.
    modulator_up: Upsampler,
    /// Interpolates this channel's carrier to the model rate.
    carrier_up: Upsampler,
    /// Decimates the model output back to the host rate.
    down: Downsampler,
    /// The circuit model's state.
    circuit: DiodeRingCircuit<f32>,
    /// Model output at the oversampled rate, before decimation.
    wet: Vec<f32>,
}

/// An oversampled diode ring modulator for up to `max_channels` channels.
pub struct RingModulator {
    /// Host sample rate, Hz.
    sample_rate: f32,
    /// Largest block `process` accepts in one piece; longer blocks are split.
    max_block: usize,
    /// Selected model.
    model: RingModel,
    /// Selected oversampling factor, log2.
    factor_log2: usize,
    /// Parker's network (stateless, shared by all channels).
    parker: ParkerRing,
    /// Per-channel chains.
    channels: Vec<RingChannel>,
}

impl RingModulator {
    /// Allocate everything for `max_channels` channels and every oversampling factor up to
    /// 2^`MAX_FACTOR_LOG2`. Blocks are processed in pieces of at most `max_block` (capped at
    /// [`MAX_CHUNK`]), so memory does not grow with the host's block size.
    pub fn new(sample_rate: f32, max_channels: usize, max_block: usize) -> Self {
        let max_block = max_block.clamp(1, MAX_CHUNK);
        let factor_log2 = 0;
        let channels = (0..max_channels)
            .map(|_| RingChannel {
                modulator_up: Upsampler::new(MAX_FACTOR_LOG2, max_block),
                carrier_up: Upsampler::new(MAX_FACTOR_LOG2, max_block),
                down: Downsampler::new(MAX_FACTOR_LOG2, max_block),
                circuit: DiodeRingCircuit::new(CircuitConstants::default(), sample_rate as f64),
                wet: vec![0.0; max_block << MAX_FACTOR_LOG2],
            })
            .collect();
        let mut ring = Self {
            sample_rate,
            max_block,
            model: RingModel::Circuit,
            factor_log2,
            parker: ParkerRing::default(),
            channels,
        };
        ring.set_oversampling_log2(factor_log2);
        ring
    }

    /// Select the model. The circuit's state is cleared so it starts from rest.
    pub fn set_model(&mut self, model: RingModel) {
        if model != self.model {
            self.model = model;
            for ch in &mut self.channels {
                ch.circuit.reset();
            }
        }
    }

    /// The selected model.
    pub fn model(&self) -> RingModel {
        self.model
    }

    /// Select the oversampling factor 2^`factor_log2` (clamped to 32×). Clears all state; the
    /// latency changes to [`Self::latency`].
    pub fn set_oversampling_log2(&mut self, factor_log2: usize) {
        let factor_log2 = factor_log2.min(MAX_FACTOR_LOG2);
        self.factor_log2 = factor_log2;
        let step_rate = self.sample_rate as f64 * (1usize << factor_log2) as f64;
        for ch in &mut self.channels {
            ch.modulator_up.set_factor_log2(factor_log2);
            ch.carrier_up.set_factor_log2(factor_log2);
            ch.down.set_factor_log2(factor_log2);
            ch.circuit.set_step_rate(step_rate);
        }
    }

    /// The oversampling factor, log2.
    pub fn oversampling_log2(&self) -> usize {
        self.factor_log2
    }

    /// Latency in host samples at the current oversampling factor.
    pub fn latency(&self) -> u32 {
        round_trip_latency(self.factor_log2)
    }

    /// Clear all state (filters and circuit) without changing any setting.
    pub fn reset(&mut self) {
        for ch in &mut self.channels {
            ch.modulator_up.reset();
            ch.carrier_up.reset();
            ch.down.reset();
            ch.circuit.reset();
        }
    }

    /// Return and clear the circuit solver's statistics for `channel`.
    pub fn take_solver_stats(&mut self, channel: usize) -> SolverStats {
        self.channels.get_mut(channel).map(|c| c.circuit.take_stats()).unwrap_or_default()
    }

    /// The circuit state of `channel`, for tests.
    pub fn circuit_state(&self, channel: usize) -> Option<[f32; 11]> {
        self.channels.get(channel).map(|c| c.circuit.state())
    }

    /// Process one block of `channel`: `modulator` and `carrier` in volts at the host rate,
    /// `out` receives the output voltage. The three slices should have the same length; only the
    /// common length is processed. A channel index out of range outputs silence.
    pub fn process(&mut self, channel: usize, modulator: &[f32], carrier: &[f32], out: &mut [f32]) {
        let len = modulator.len().min(carrier.len()).min(out.len());
        let out = &mut out[..len];
        let Some(ch) = self.channels.get_mut(channel) else {
            out.fill(0.0);
            return;
        };
        let model = self.model;
        let parker = self.parker;
        // Blocks longer than the prepared size are processed in pieces (a bounded loop).
        for ((m, c), o) in modulator[..len]
            .chunks(self.max_block)
            .zip(carrier[..len].chunks(self.max_block))
            .zip(out.chunks_mut(self.max_block))
        {
            let m_os = ch.modulator_up.process(m);
            let c_os = ch.carrier_up.process(c);
            let wet = &mut ch.wet[..m_os.len()];
            match model {
                RingModel::Circuit => {
                    for ((w, &vm), &vc) in wet.iter_mut().zip(m_os).zip(c_os) {
                        *w = ch.circuit.step(vm, vc);
                    }
                }
                RingModel::Parker => {
                    for ((w, &vm), &vc) in wet.iter_mut().zip(m_os).zip(c_os) {
                        *w = parker.process_sample(vm, vc);
                    }
                }
            }
            ch.down.process(wet, o);
        }
    }
}

#[cfg(test)]
mod tests;
