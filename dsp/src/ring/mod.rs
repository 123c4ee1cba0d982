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
//!
//! [`RingModulator`]'s [`Model::process`] does this for all channels at once, so that the
//! circuit model can solve the channels of a stereo pair in lock-step (see [`circuit`],
//! "Lock-step lanes"): its cost per step is the latency of a Newton iteration, which two
//! independent channels share. [`RingModulator::process_channel`] does one channel; both give
//! bit-identical results, whatever the block size.

pub mod circuit;
pub mod parker;

use crate::model::{Model, ProcessSpec};
use crate::oversampler::{round_trip_latency, Downsampler, Upsampler, MAX_FACTOR_LOG2};
use circuit::{CircuitConstants, DiodeRingCircuit, LaneBlock};
use crate::solver::SolverStats;
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
    pub fn circuit_state(&self, channel: usize) -> Option<[f32; circuit::STATE_LEN]> {
        self.channels.get(channel).map(|c| c.circuit.state())
    }

    /// Process one channel alone, in place: `audio` holds the modulator in volts at the host
    /// rate and receives the output voltage; `carrier` is the carrier in volts. Only the common
    /// length is processed. A channel index out of range outputs silence.
    ///
    /// The result is bit-identical to the same channel in [`Model::process`] (and, like it,
    /// independent of the block size); tests use it to check the lock-step lanes against it.
    pub fn process_channel(&mut self, channel: usize, audio: &mut [f32], carrier: &[f32]) {
        let len = audio.len().min(carrier.len());
        let Some(ch) = self.channels.get_mut(channel) else {
            audio.fill(0.0);
            return;
        };
        let (model, parker, factor_log2) = (self.model, self.parker, self.factor_log2);
        let mut start = 0;
        // Blocks longer than the prepared size are processed in pieces (a bounded loop).
        while start < len {
            let end = (start + self.max_block).min(len);
            let io: &mut [&mut [f32]] = &mut [&mut *audio];
            process_piece(core::slice::from_mut(ch), model, parker, factor_log2, io, &[carrier], start..end);
            start = end;
        }
    }
}

impl Model for RingModulator {
    /// The carrier of each channel, volts at the host rate (channels may share one slice).
    type Control<'a> = &'a [&'a [f32]];

    /// Everything for `spec.channels` channels and every oversampling factor up to
    /// 2^`MAX_FACTOR_LOG2`, at 1× and with the circuit model. Blocks are processed in pieces of
    /// at most `max_block` (capped at [`MAX_CHUNK`]), so memory does not grow with the host's
    /// block size.
    fn prepare(spec: &ProcessSpec) -> Self {
        let max_block = spec.max_block.clamp(1, MAX_CHUNK);
        let factor_log2 = 0;
        let channels = (0..spec.channels)
            .map(|_| RingChannel {
                modulator_up: Upsampler::new(MAX_FACTOR_LOG2, max_block),
                carrier_up: Upsampler::new(MAX_FACTOR_LOG2, max_block),
                down: Downsampler::new(MAX_FACTOR_LOG2, max_block),
                circuit: DiodeRingCircuit::new(CircuitConstants::default(), spec.sample_rate as f64),
                wet: vec![0.0; max_block << MAX_FACTOR_LOG2],
            })
            .collect();
        let mut ring = Self {
            sample_rate: spec.sample_rate,
            max_block,
            model: RingModel::Circuit,
            factor_log2,
            parker: ParkerRing::default(),
            channels,
        };
        ring.set_oversampling_log2(factor_log2);
        ring
    }

    fn reset(&mut self) {
        RingModulator::reset(self);
    }

    /// Channel `i` of `audio` holds the modulator in volts at the host rate and receives the
    /// output voltage; its carrier is `carriers[i]`. Only the common length of all the slices
    /// is processed; channels beyond the carriers or the prepared channel count, and samples
    /// past the common length, receive silence.
    ///
    /// The circuit model solves the channels in groups of [`circuit::LOCK_STEP_CIRCUITS`] in
    /// lock-step (see [`circuit`], "Lock-step lanes"): its cost is the latency of each step's
    /// Newton iteration, so the two channels of a stereo pair cost little more than one. The
    /// result is bit-identical to [`RingModulator::process_channel`] for each channel.
    fn process(&mut self, audio: &mut [&mut [f32]], carriers: &[&[f32]]) {
        let count = audio.len().min(carriers.len()).min(self.channels.len());
        let mut len = usize::MAX;
        for i in 0..count {
            len = len.min(audio[i].len()).min(carriers[i].len());
        }
        for out in audio.iter_mut().skip(count) {
            out.fill(0.0);
        }
        // Outputs longer than the common length get silence past it, not stale samples.
        let common = if count == 0 { 0 } else { len };
        for out in audio.iter_mut().take(count) {
            let end = out.len();
            out[common.min(end)..].fill(0.0);
        }
        let (model, parker, factor_log2) = (self.model, self.parker, self.factor_log2);
        let channels = &mut self.channels[..count];
        let mut start = 0;
        // Pieces of at most `max_block` host samples (a bounded loop; none when count is 0).
        while count > 0 && start < len {
            let end = (start + self.max_block).min(len);
            process_piece(channels, model, parker, factor_log2, &mut audio[..count], carriers, start..end);
            start = end;
        }
    }

    fn latency(&self) -> u32 {
        RingModulator::latency(self)
    }

    fn memory_bytes(&self) -> usize {
        let per_channel = |c: &RingChannel| {
            c.wet.len() * 4 + c.modulator_up.memory_bytes() + c.carrier_up.memory_bytes() + c.down.memory_bytes()
        };
        self.channels.iter().map(per_channel).sum()
    }
}

/// Process host samples `piece` (at most `max_block` of them) of every channel in `channels`,
/// channel `i` in place in `io[i]` with `carriers[i]` (all at least `piece.end` long): upsample
/// the channel's inputs, run the model (the circuits of all the channels in lock-step),
/// decimate into `io[i]`.
#[allow(clippy::too_many_arguments)]
fn process_piece(
    channels: &mut [RingChannel],
    model: RingModel,
    parker: ParkerRing,
    factor_log2: usize,
    io: &mut [&mut [f32]],
    carriers: &[&[f32]],
    piece: core::ops::Range<usize>,
) {
    let inputs = io.iter().zip(carriers);
    let blocks = channels.iter_mut().zip(inputs).map(|(ch, (m, c))| {
        let RingChannel { modulator_up, carrier_up, circuit, wet, .. } = ch;
        let m_os = modulator_up.process(&m[piece.clone()]);
        let c_os = carrier_up.process(&c[piece.clone()]);
        let n = m_os.len().min(c_os.len()).min(wet.len());
        LaneBlock { circuit, modulator: &m_os[..n], carrier: &c_os[..n], out: &mut wet[..n] }
    });
    match model {
        RingModel::Circuit => DiodeRingCircuit::process_lanes(blocks),
        RingModel::Parker => {
            for block in blocks {
                for ((w, &vm), &vc) in block.out.iter_mut().zip(block.modulator).zip(block.carrier) {
                    *w = parker.process_sample(vm, vc);
                }
            }
        }
    }
    for (ch, out) in channels.iter_mut().zip(io.iter_mut()) {
        let out = &mut out[piece.clone()];
        let n = (out.len() << factor_log2).min(ch.wet.len());
        ch.down.process(&ch.wet[..n], out);
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod lock_step_tests {
    use super::*;

    const SR: f32 = 44_100.0;

    /// The shared music-like signal at `amp` volts peak; `seed` varies the channels.
    fn signal(seed: u32, n: usize, amp: f32) -> Vec<f32> {
        crate::analysis::music_like(seed, n, SR as f64).into_iter().map(|x| x * amp).collect()
    }

    #[test]
    fn processing_all_channels_is_bit_identical_to_each_channel_alone_for_any_block_size() {
        let n = 3_000;
        let channels = 3; // a lock-step group of three lanes
        let m: Vec<Vec<f32>> = (0..channels).map(|k| signal(k as u32, n, 1.6)).collect();
        // Channels 0 and 1 share one carrier slice, as with the plugin's oscillator.
        let shared = signal(7, n, 0.8);
        let own = signal(8, n, 0.8);
        let c: Vec<&[f32]> = vec![&shared, &shared, &own];
        for model in [RingModel::Circuit, RingModel::Parker] {
            for factor_log2 in [0, 1, DEFAULT_OVERSAMPLING_LOG2, MAX_FACTOR_LOG2] {
                let mut one = RingModulator::prepare(&ProcessSpec::new(SR, 256, channels));
                one.set_model(model);
                one.set_oversampling_log2(factor_log2);
                let mut expected = vec![vec![0.0f32; n]; channels];
                for start in (0..n).step_by(256) {
                    let end = (start + 256).min(n);
                    for (k, out) in expected.iter_mut().enumerate() {
                        out[start..end].copy_from_slice(&m[k][start..end]);
                        one.process_channel(k, &mut out[start..end], &c[k][start..end]);
                    }
                }
                let expected_stats: Vec<SolverStats> = (0..channels).map(|k| one.take_solver_stats(k)).collect();
                for block in [100, 256, 1000] {
                    let mut all = RingModulator::prepare(&ProcessSpec::new(SR, 256, channels));
                    all.set_model(model);
                    all.set_oversampling_log2(factor_log2);
                    let mut outs = vec![vec![0.0f32; n]; channels];
                    for start in (0..n).step_by(block) {
                        let end = (start + block).min(n);
                        let cs: Vec<&[f32]> = c.iter().map(|c| &c[start..end]).collect();
                        let mut os: Vec<&mut [f32]> = outs.iter_mut().map(|o| &mut o[start..end]).collect();
                        for (o, m) in os.iter_mut().zip(&m) {
                            o.copy_from_slice(&m[start..end]);
                        }
                        Model::process(&mut all, &mut os, &cs);
                    }
                    for k in 0..channels {
                        let same = outs[k].iter().zip(&expected[k]).all(|(a, b)| a.to_bits() == b.to_bits());
                        assert!(same, "{model:?} at {}x, blocks of {block}: channel {k} differs", 1 << factor_log2);
                        assert_eq!(all.take_solver_stats(k), expected_stats[k]);
                    }
                }
            }
        }
    }

    #[test]
    fn processing_silences_outputs_it_has_no_channel_or_carrier_for() {
        let mut ring = RingModulator::prepare(&ProcessSpec::new(SR, 64, 2));
        let x = signal(1, 64, 1.0);
        let (mut a, mut b, mut c) = (vec![1.0f32; 64], vec![1.0f32; 64], vec![1.0f32; 64]);
        // Three channels, two prepared, carriers for two.
        a.copy_from_slice(&x);
        b.copy_from_slice(&x);
        Model::process(&mut ring, &mut [&mut a, &mut b, &mut c], &[&x, &x]);
        assert!(c.iter().all(|&v| v == 0.0));
        assert!(a.iter().chain(&b).all(|v| v.is_finite()));
        // No carriers at all: silence everywhere, no panic.
        Model::process(&mut ring, &mut [&mut a, &mut b], &[]);
        assert!(a.iter().chain(&b).all(|&v| v == 0.0));
    }
}
