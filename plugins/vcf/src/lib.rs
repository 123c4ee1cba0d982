//! Ferrite VCF: the EMS VCS3 diode-ladder filter (Fontana & Civolani), solved per sample with
//! Newton's method so it converges at every cutoff, oversampled 1× to 8×, self-oscillating at
//! high resonance.
//!
//! This crate is thin: parameters ([`params`]), the mapping from parameters to
//! [`ferrite_dsp::vcf::Vcf`] ([`engine`]), and the plugin lifecycle (this file).

pub mod engine;
pub mod params;

use std::sync::Arc;

use ferrite_plugin_common::cli::FerritePlugin;
use nice_plug::prelude::*;

use engine::VcfEngine;
use params::VcfParams;

/// The plugin: parameters plus the engine, which is allocated in `activate`.
pub struct FerriteVcf {
    /// Parameters shared with the host and the editor.
    params: Arc<VcfParams>,
    /// All DSP state, sized in `activate` from the sample rate, layout and maximum block size.
    engine: Option<VcfEngine>,
}

impl Default for FerriteVcf {
    fn default() -> Self {
        let params = Arc::new(VcfParams::default());
        // The standalone's `--set` values (no-op inside a DAW).
        ferrite_plugin_common::apply_startup_settings(&params);
        Self { params, engine: None }
    }
}

impl Plugin for FerriteVcf {
    const NAME: &'static str = "Ferrite VCF";
    const VENDOR: &'static str = ferrite_plugin_common::VENDOR;
    const URL: &'static str = ferrite_plugin_common::URL;
    const EMAIL: &'static str = ferrite_plugin_common::EMAIL;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = ferrite_plugin_common::STEREO_AND_MONO;

    // Parameter changes land at block boundaries and are smoothed from there.
    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type SysExMessage = ();
    type BackgroundTask = ();
    // The editor has its own issue; until then hosts show their generic parameter UI.
    type Editor = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn activate(
        &mut self,
        layout: &AudioIOLayout,
        config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let channels = layout.main_output_channels.map_or(0, |c| c.get() as usize);
        let engine = VcfEngine::new(&self.params, config.sample_rate, channels, config.max_buffer_size as usize);
        context.set_latency_samples(engine.latency());
        self.engine = Some(engine);
        true
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
        let latency_before = engine.latency();
        engine.process(&self.params, buffer.as_slice());
        if engine.latency() != latency_before {
            context.set_latency_samples(engine.latency());
        }
        // A self-oscillating filter keeps sounding without input: never report silence.
        ProcessStatus::KeepAlive
    }
}

impl ClapPlugin for FerriteVcf {
    const CLAP_ID: &'static str = "org.ferrite-audio.vcf";
    const CLAP_DESCRIPTION: Option<&'static str> = Some("EMS VCS3 diode-ladder filter model");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::AudioEffect, ClapFeature::Filter, ClapFeature::Stereo, ClapFeature::Mono];
}

impl Vst3Plugin for FerriteVcf {
    const VST3_CLASS_ID: [u8; 16] = *b"FerriteAudio_Vcf";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Filter];
}

impl FerritePlugin for FerriteVcf {
    const CLI_NAME: &'static str = "ferrite-vcf";
}
