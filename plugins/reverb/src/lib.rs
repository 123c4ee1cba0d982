//! Ferrite Reverb: Freeverb, an FDN hall, Dattorro's plate and a zero-latency partitioned
//! convolution, with predelay, width, low/high cut on the wet signal, mix and freeze.
//!
//! This crate is thin: parameters ([`params`]), the impulse response as plugin state ([`ir`]),
//! the mapping from parameters to the models ([`engine`]), and the plugin lifecycle (this file),
//! including the background task that prepares a convolver whenever the IR changes (a loaded
//! file, a restored project) and hands it to the audio thread without locks or allocation there.

pub mod engine;
pub mod ir;
pub mod params;

use std::path::Path;
use std::sync::{Arc, Mutex};

use ferrite_dsp::reverb::convolution::{normalize_ir, resample_ir, ConvolutionReverb, Convolver, ConvolverLoader};
use ferrite_plugin_common::cli::FerritePlugin;
use nice_plug::prelude::*;

use engine::ReverbEngine;
use ir::{IrData, IrSlot};
use params::ReverbParams;

/// What the background thread does for the plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReverbTask {
    /// Build a convolver for the IR now in the state and send it to the audio thread (or send
    /// "no IR" when the state has none).
    PrepareImpulseResponse,
}

/// What the background task needs, shared between the plugin and its task executor.
#[derive(Default)]
struct IrLoading {
    /// The current activation's loader (the background side of the hand-over) and its host
    /// sample rate (the rate IRs are resampled to), together so a task never pairs one
    /// activation's loader with another's rate; replaced at every activation. Locked only off
    /// the audio thread.
    loader: Mutex<Option<(ConvolverLoader, f32)>>,
}

/// The plugin: parameters, the engine (allocated in `activate`), and the IR loading machinery.
pub struct FerriteReverb {
    /// Parameters and the persisted IR, shared with the host and the editor.
    params: Arc<ReverbParams>,
    /// All DSP state, sized in `activate` from the sample rate, layout and maximum block size.
    engine: Option<ReverbEngine>,
    /// The background side of the IR hand-over.
    loading: Arc<IrLoading>,
    /// Generation of the IR the audio thread last asked the background task to prepare.
    requested_ir: u64,
}

impl Default for FerriteReverb {
    fn default() -> Self {
        let params = Arc::new(ReverbParams::default());
        // The standalone's `--set` values (no-op inside a DAW).
        ferrite_plugin_common::apply_startup_settings(&params);
        Self { params, engine: None, loading: Arc::new(IrLoading::default()), requested_ir: 0 }
    }
}

/// Resample `ir` to `host_rate`, normalise it and build its convolver (off the audio thread).
fn build_convolver(ir: &IrData, host_rate: f32, max_block: usize) -> Result<Box<Convolver>, String> {
    // The resampler works between whole-number rates; a host at a fractional rate gets the IR
    // at the nearest whole rate (a pitch difference far below audibility).
    let mut channels = resample_ir(&ir.channels, ir.sample_rate.round(), (host_rate as f64).round())?;
    normalize_ir(&mut channels);
    let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    Ok(Box::new(Convolver::new(&slices, max_block)))
}

/// The background task: prepare the IR in `slot` and send it over the current loader.
fn prepare_impulse_response(slot: &IrSlot, loading: &IrLoading) {
    let (ir, _) = slot.snapshot();
    let mut guard = loading.loader.lock().unwrap_or_else(|e| e.into_inner());
    let Some((loader, host_rate)) = guard.as_mut() else { return };
    let host_rate = *host_rate;
    // Free what the audio thread has retired since the last time.
    loader.collect_garbage();
    let mut message = match &ir {
        Some(ir) => match build_convolver(ir, host_rate, loader.max_block()) {
            Ok(c) => Some(c),
            Err(e) => {
                nice_error!("Ferrite Reverb: cannot prepare the impulse response {}: {e}", ir.path);
                return;
            }
        },
        None => None,
    };
    // The queue holds a few messages; if the audio thread is not running (suspended), give up
    // after a second: the next activation installs the IR directly.
    for _ in 0..100 {
        match loader.send(message) {
            Ok(()) => return,
            Err(back) => message = back,
        }
        loader.collect_garbage();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

impl Plugin for FerriteReverb {
    const NAME: &'static str = "Ferrite Reverb";
    const VENDOR: &'static str = ferrite_plugin_common::VENDOR;
    const URL: &'static str = ferrite_plugin_common::URL;
    const EMAIL: &'static str = ferrite_plugin_common::EMAIL;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = ferrite_plugin_common::STEREO_AND_MONO;

    // Parameter changes land at block boundaries and are smoothed from there.
    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type SysExMessage = ();
    type BackgroundTask = ReverbTask;
    // The editor has its own issue; until then hosts show their generic parameter UI.
    type Editor = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn task_executor(&mut self) -> TaskExecutor<Self> {
        let params = self.params.clone();
        let loading = self.loading.clone();
        Box::new(move |task| match task {
            ReverbTask::PrepareImpulseResponse => prepare_impulse_response(&params.impulse_response, &loading),
        })
    }

    fn activate(
        &mut self,
        layout: &AudioIOLayout,
        config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let channels = layout.main_output_channels.map_or(0, |c| c.get() as usize);
        let max_block = config.max_buffer_size as usize;
        let (mut convolution, loader) = ConvolutionReverb::new(config.sample_rate, max_block.clamp(1, 4096));
        // Activation is not real-time: install the IR in the state directly, so the first block
        // already has it (and an offline render is exact from its first sample).
        let (ir, generation) = self.params.impulse_response.snapshot();
        if let Some(ir) = &ir {
            match build_convolver(ir, config.sample_rate, loader.max_block()) {
                Ok(c) => convolution.install(c),
                Err(e) => nice_error!("Ferrite Reverb: cannot prepare the impulse response {}: {e}", ir.path),
            }
        }
        self.requested_ir = generation;
        *self.loading.loader.lock().unwrap_or_else(|e| e.into_inner()) = Some((loader, config.sample_rate));
        self.engine = Some(ReverbEngine::new(&self.params, config.sample_rate, channels, max_block, convolution));
        context.set_latency_samples(0);
        true
    }

    fn deactivate(&mut self) {
        // Dropping here (not real-time) frees the convolvers.
        self.engine = None;
        *self.loading.loader.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn reset(&mut self) {
        if let Some(engine) = &mut self.engine {
            engine.reset(&self.params);
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(engine) = &mut self.engine else {
            return ProcessStatus::Error("process called before activate");
        };
        let _ftz = ferrite_dsp::denormal::ScopedFlushDenormals::new();
        // A new IR in the state (a project restored while playing): prepare it in the background.
        let generation = self.params.impulse_response.generation();
        if generation != self.requested_ir {
            self.requested_ir = generation;
            context.execute_background(ReverbTask::PrepareImpulseResponse);
        }
        engine.process(&self.params, buffer.as_slice());
        match engine.tail_samples(&self.params) {
            Some(tail) => ProcessStatus::Tail(tail),
            None => ProcessStatus::KeepAlive,
        }
    }
}

impl ClapPlugin for FerriteReverb {
    const CLAP_ID: &'static str = "org.ferrite-audio.reverb";
    const CLAP_DESCRIPTION: Option<&'static str> = Some("Freeverb, FDN hall, Dattorro plate and convolution reverb");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::AudioEffect, ClapFeature::Reverb, ClapFeature::Stereo, ClapFeature::Mono];
}

impl Vst3Plugin for FerriteReverb {
    const VST3_CLASS_ID: [u8; 16] = *b"FerriteAudioRvrb";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Reverb];
}

impl FerritePlugin for FerriteReverb {
    const CLI_NAME: &'static str = "ferrite-reverb";

    /// `render --ir`: load and validate the file, then store it as the plugin's IR (the render
    /// uses the convolution algorithm only if `algorithm=convolution` is set).
    fn load_impulse_response(&mut self, path: &Path) -> anyhow::Result<()> {
        let ir = IrData::from_wav(path)?;
        self.params.impulse_response.store(Some(ir));
        Ok(())
    }
}
