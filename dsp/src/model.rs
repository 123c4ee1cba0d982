//! The lifecycle every model in this crate shares, so that a plugin engine, a test or a
//! benchmark drives any of them the same way:
//!
//! 1. [`Model::prepare`] builds the model for a [`ProcessSpec`] (sample rate, largest block,
//!    channel count). It is the only place a model allocates.
//! 2. [`Model::reset`] clears the audio state (delay lines, filter states, solver history) and
//!    keeps the settings.
//! 3. [`Model::process`] processes channel slices in place: `audio[ch][i]`, every channel the
//!    same length, at most `max_block` samples. It never allocates, locks, blocks or panics,
//!    and every loop in it has a fixed cap. What a model needs besides the audio comes in its
//!    [`Model::Control`]: per-sample control signals (the VCF's cutoff and resonance), a
//!    carrier (the ring modulator), or nothing (`()`) for models whose settings are set between
//!    blocks with a `set_settings` method of their own.
//!
//! Models also report the latency they add ([`Model::latency`], host samples) and the heap
//! memory they hold ([`Model::memory_bytes`]).

/// What a model is prepared for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProcessSpec {
    /// Sample rate of the audio the model is given, Hz.
    pub sample_rate: f32,
    /// The most samples one [`Model::process`] call will be given.
    pub max_block: usize,
    /// Number of channels the model processes (a model may support fewer: see its docs).
    pub channels: usize,
}

impl ProcessSpec {
    /// A spec for `channels` channels at `sample_rate` Hz in blocks of up to `max_block` samples.
    pub fn new(sample_rate: f32, max_block: usize, channels: usize) -> Self {
        Self { sample_rate, max_block, channels }
    }
}

/// The shared lifecycle: prepare (may allocate), reset, process (never allocates).
pub trait Model: Sized {
    /// What `process` needs besides the audio, borrowed for one call.
    type Control<'a>;

    /// Build the model for `spec`, with every buffer sized for it.
    fn prepare(spec: &ProcessSpec) -> Self;

    /// Clear the audio state; settings are kept.
    fn reset(&mut self);

    /// Process `audio` (one slice per channel, all the same length, at most `max_block`) in
    /// place, with `control` for the same samples.
    fn process(&mut self, audio: &mut [&mut [f32]], control: Self::Control<'_>);

    /// Latency the model adds, samples at the spec's rate.
    fn latency(&self) -> u32 {
        0
    }

    /// Heap memory the model holds, bytes.
    fn memory_bytes(&self) -> usize;
}
