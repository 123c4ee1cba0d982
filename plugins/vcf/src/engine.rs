//! The mapping from Ferrite VCF's parameters to the model: smoothing into per-sample buffers,
//! drive, the oversampled VCS3 filter ([`ferrite_dsp::vcf::Vcf`]), and the shared output stage
//! (latency-aligned dry path, mix, output gain, declicked switch of the oversampling factor).
//! Played through a note input, the cutoff follows the key (`key_track`, around `key_ref`) and
//! the pitch wheel (`bend_range`), glided over [`KEY_GLIDE_MS`]; with `note_gate` on, the
//! filter's output sounds only while a key is held ([`GATE_ATTACK_MS`], [`GATE_RELEASE_MS`]).
//! Everything is allocated in [`VcfEngine::new`]; processing never allocates.

use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::oversampler::round_trip_latency;
use ferrite_dsp::vcf::{Vcf, VcfControl, MAX_CHANNELS, MAX_OVERSAMPLING_LOG2};
use ferrite_plugin_common::effect::{Engine, ProcessIo};
use ferrite_plugin_common::notes::{ms_to_samples, Glide, NoteState};
use ferrite_plugin_common::output::{for_each_span, OutputStage};
use ferrite_plugin_common::params::fill_mapped;
use nice_plug::prelude::ProcessStatus;
use nice_plug::util::db_to_gain;

use crate::params::VcfParams;

/// Fade time for switching the oversampling factor.
const SWITCH_FADE_MS: f32 = 5.0;

/// How long the cutoff takes to reach a new key's (or wheel position's, or tracking amount's)
/// value: short enough to sound like a played filter, long enough that a jump of octaves does
/// not click (a stepped cutoff is a step in the filter's state).
pub const KEY_GLIDE_MS: f32 = 5.0;

/// Note gate: how long the filter's output takes to open at a note-on, linearly in amplitude
/// (fast enough to sound at once, slow enough not to click).
pub const GATE_ATTACK_MS: f32 = 2.0;
/// Note gate: how long the filter's output takes to close after the last key is released.
pub const GATE_RELEASE_MS: f32 = 30.0;

/// Editor readout slot: the factor the played key and the wheel scale the cutoff by
/// (`2^(offset/12)`, 1 at rest), at the end of the last chunk: the editor draws the response
/// at the cutoff that sounds.
pub const READOUT_KEY_FACTOR: usize = 2;

/// Editor readout slot: mean Newton iterations per model sample (per channel) over the last
/// processed chunk, the solver load.
pub const READOUT_MEAN_ITERATIONS: usize = 0;
/// Editor readout slot: the most Newton iterations any one model sample needed in the last
/// processed chunk.
pub const READOUT_MAX_ITERATIONS: usize = 1;

/// All DSP state of one plugin instance.
pub struct VcfEngine {
    /// Number of main channels.
    channels: usize,
    /// The oversampled filter, all channels.
    filter: Vcf,
    /// Smoothed cutoff per sample, Hz.
    cutoff: Vec<f32>,
    /// Smoothed resonance (K) per sample.
    resonance: Vec<f32>,
    /// Smoothed drive per sample (linear gain).
    drive: Vec<f32>,
    /// Model input, then its output, per channel (processed in place by the filter).
    wet: Vec<Vec<f32>>,
    /// log2 of the oversampling factor in effect.
    applied_os: usize,
    /// Dry path, mix, output gain, switch fade and finite guard.
    output: OutputStage,
    /// The cutoff's offset from the parameter in semitones, from the key and the wheel
    /// ([`tracking_semitones`]), gliding to a new value over [`KEY_GLIDE_MS`].
    key_offset: Glide,
    /// [`KEY_GLIDE_MS`] in samples at the host rate.
    key_glide_samples: u32,
    /// The note gate's gain on the filter's output: 1 with the gate off, else gliding to 1
    /// while a key is held and to 0 after the last release.
    gate: Glide,
    /// The gate's gain per sample of the chunk, filled only while [`Self::gating`].
    gate_gain: Vec<f32>,
    /// Whether this chunk's filter output is scaled by `gate_gain` (the gate is moving or not
    /// fully open); when not, the output is left untouched, bit for bit.
    gating: bool,
    /// [`GATE_ATTACK_MS`] and [`GATE_RELEASE_MS`] in samples at the host rate.
    gate_attack_samples: u32,
    gate_release_samples: u32,
}

/// Where the note gate's gain is going: open with the gate off or a key held, else closed.
pub fn gate_target(params: &VcfParams, notes: &NoteState) -> f32 {
    if !params.note_gate.value() || notes.gate() { 1.0 } else { 0.0 }
}

/// How far the key and the wheel move the cutoff, semitones:
/// `(key − key_ref) · key_track + bend · bend_range`. Before any note the key is taken as
/// `key_ref`, so with the wheel centred this is exactly 0 and the cutoff is the parameter's.
pub fn tracking_semitones(params: &VcfParams, notes: &NoteState) -> f32 {
    let reference = params.key_ref.value() as f32;
    let key = notes.key().map_or(reference, f32::from);
    (key - reference) * params.key_track.value() + notes.bend() * params.bend_range.value() as f32
}

impl Engine for VcfEngine {
    type Params = VcfParams;
    type BackgroundTask = ();

    fn new(params: &VcfParams, spec: &ProcessSpec) -> Self {
        let spec = ProcessSpec { channels: spec.channels.clamp(1, MAX_CHANNELS), ..*spec };
        let n = spec.max_block;
        let applied_os = params.oversampling.value().log2();
        let mut filter = Vcf::prepare(&spec);
        filter.set_oversampling_log2(applied_os);
        let mut output = OutputStage::new(&spec, round_trip_latency(MAX_OVERSAMPLING_LOG2) as usize, SWITCH_FADE_MS);
        output.set_latency(filter.latency() as usize);
        Self {
            channels: spec.channels,
            filter,
            cutoff: vec![0.0; n],
            resonance: vec![0.0; n],
            drive: vec![0.0; n],
            wet: vec![vec![0.0; n]; spec.channels],
            applied_os,
            output,
            key_offset: Glide::new(0.0),
            key_glide_samples: ms_to_samples(KEY_GLIDE_MS, spec.sample_rate),
            gate: Glide::new(gate_target(params, &NoteState::default())),
            gate_gain: vec![0.0; n],
            gating: false,
            gate_attack_samples: ms_to_samples(GATE_ATTACK_MS, spec.sample_rate),
            gate_release_samples: ms_to_samples(GATE_RELEASE_MS, spec.sample_rate),
        }
    }

    fn latency(&self) -> u32 {
        self.filter.latency()
    }

    fn reset(&mut self, params: &VcfParams) {
        self.applied_os = params.oversampling.value().log2();
        self.filter.set_oversampling_log2(self.applied_os);
        self.filter.reset();
        self.output.reset(self.filter.latency() as usize);
        // The skeleton forgets every note with a reset: the key is the reference again.
        self.key_offset.reset(tracking_semitones(params, &NoteState::default()));
        self.gate.reset(gate_target(params, &NoteState::default()));
    }

    fn process(&mut self, params: &VcfParams, io: &mut ProcessIo<'_, '_, ()>) {
        let n = io.len();
        params.cutoff.smoothed.next_block(&mut self.cutoff[..n], n);
        self.track_keys(params, io.notes, n);
        self.fill_gate(params, io.notes, n);
        if let Some(d) = io.editor {
            d.set_readout(READOUT_KEY_FACTOR, (self.key_offset.value() / 12.0).exp2());
        }
        params.resonance.smoothed.next_block(&mut self.resonance[..n], n);
        fill_mapped(&params.drive, &mut self.drive[..n], db_to_gain);
        self.output.fill_controls(Some(&params.mix), &params.output, n);

        let wanted = params.oversampling.value().log2();
        self.output.want_switch(wanted != self.applied_os);
        // Solver load for an open editor: the statistics the solver keeps anyway, counted
        // from the start of this chunk (resetting them touches no audio state).
        if io.editor.is_some() {
            self.filter.reset_stats();
        }
        for_each_span(self, n, |e| &mut e.output, |e| e.apply(wanted), |e, offset, len| e.render_span(io, offset, len));
        if let Some(d) = io.editor {
            let stats = self.filter.stats();
            if stats.steps > 0 {
                d.set_readout(READOUT_MEAN_ITERATIONS, stats.mean_iterations() as f32);
                d.set_readout(READOUT_MAX_ITERATIONS, stats.max_iterations as f32);
            }
        }
    }

    /// A self-oscillating filter keeps sounding without input: never report silence.
    fn tail(&self, _params: &VcfParams) -> ProcessStatus {
        ProcessStatus::KeepAlive
    }
}

impl VcfEngine {
    /// Scale the chunk's cutoffs by the key and wheel: `cutoff · 2^(offset / 12)`, the offset
    /// gliding to [`tracking_semitones`]. At rest at 0 (no note, no tracking, wheel centred:
    /// the defaults) the cutoffs are left untouched, bit for bit.
    fn track_keys(&mut self, params: &VcfParams, notes: &NoteState, n: usize) {
        self.key_offset.set_target(tracking_semitones(params, notes), self.key_glide_samples);
        if self.key_offset.is_moving() {
            for c in &mut self.cutoff[..n] {
                *c *= (self.key_offset.next() / 12.0).exp2();
            }
        } else if self.key_offset.value() != 0.0 {
            let factor = (self.key_offset.value() / 12.0).exp2();
            for c in &mut self.cutoff[..n] {
                *c *= factor;
            }
        }
    }

    /// The note gate's gain for the chunk: glide towards [`gate_target`] (opening over
    /// [`GATE_ATTACK_MS`], closing over [`GATE_RELEASE_MS`]); fully open and at rest, the
    /// output is left alone.
    fn fill_gate(&mut self, params: &VcfParams, notes: &NoteState, n: usize) {
        let target = gate_target(params, notes);
        let samples = if target > self.gate.value() { self.gate_attack_samples } else { self.gate_release_samples };
        self.gate.set_target(target, samples);
        self.gating = self.gate.is_moving() || self.gate.value() != 1.0;
        if self.gating {
            self.gate.fill(&mut self.gate_gain[..n]);
        }
    }

    /// Put a new oversampling factor into effect (called at zero gain). The filter and the dry
    /// delay restart empty, so the fade holds at zero for the new latency before opening.
    fn apply(&mut self, os_log2: usize) {
        self.filter.set_oversampling_log2(os_log2);
        let latency = self.filter.latency();
        self.output.set_latency(latency as usize);
        self.applied_os = os_log2;
        self.output.switched(latency);
    }

    /// Render samples `[offset, offset + n)` of the chunk.
    fn render_span(&mut self, io: &mut ProcessIo<'_, '_, ()>, offset: usize, n: usize) {
        let span = offset..offset + n;
        self.output.begin_span(offset, n);
        let channels = io.main.len().min(self.channels);
        for (ch, samples) in io.main.iter().enumerate().take(channels) {
            self.output.take_input(ch, &samples[span.clone()], &self.drive[span.clone()], &mut self.wet[ch][..n]);
        }
        let mut wets: [&mut [f32]; MAX_CHANNELS] = Default::default();
        for (slot, w) in wets.iter_mut().zip(self.wet.iter_mut()) {
            *slot = &mut w[..n];
        }
        let control = VcfControl { cutoff_hz: &self.cutoff[span.clone()], resonance: &self.resonance[span.clone()] };
        self.filter.process(&mut wets[..channels], control);
        if self.gating {
            let gain = &self.gate_gain[span.clone()];
            for w in &mut wets[..channels] {
                for (y, g) in w.iter_mut().zip(gain) {
                    *y *= g;
                }
            }
        }
        for (ch, samples) in io.main.iter_mut().enumerate().take(channels) {
            self.output.finish(ch, &mut samples[span.clone()], &self.wet[ch][..n], offset);
        }
    }
}
