//! Ferrite Phaser: up to 48 second-order allpass stages (pyo's parameterisation with the
//! formula it intends), swept together by an LFO that can follow the host tempo.
//!
//! This crate is thin: parameters ([`params`]), the mapping from parameters to
//! [`ferrite_dsp::phaser::Phaser`] ([`engine`]), and the plugin lifecycle (this file).

pub mod engine;
pub mod params;

use std::sync::Arc;

use ferrite_plugin_common::cli::FerritePlugin;
use nice_plug::prelude::*;

use engine::PhaserEngine;
use params::PhaserParams;

/// The plugin: parameters plus the engine, which is allocated in `activate`.
pub struct FerritePhaser {
    /// Parameters shared with the host and the editor.
    params: Arc<PhaserParams>,
    /// All DSP state, sized in `activate` from the sample rate, layout and maximum block size.
    engine: Option<PhaserEngine>,
}

impl Default for FerritePhaser {
    fn default() -> Self {
        let params = Arc::new(PhaserParams::default());
        // The standalone's `--set` values (no-op inside a DAW).
        ferrite_plugin_common::apply_startup_settings(&params);
        Self { params, engine: None }
    }
}

impl Plugin for FerritePhaser {
    const NAME: &'static str = "Ferrite Phaser";
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
        let engine = PhaserEngine::new(&self.params, config.sample_rate, channels, config.max_buffer_size as usize);
        // No latency: the phaser is a recursive filter at the host rate.
        context.set_latency_samples(0);
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
        let transport = engine::TransportState::from_transport(context.transport());
        engine.process(&self.params, buffer.as_slice(), transport);
        // With feedback and high q the notches ring on after the input stops.
        ProcessStatus::Tail(engine.tail_samples(&self.params))
    }
}

impl ClapPlugin for FerritePhaser {
    const CLAP_ID: &'static str = "org.ferrite-audio.phaser";
    const CLAP_DESCRIPTION: Option<&'static str> = Some("Multi-stage allpass phaser with tempo-synced LFO");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::AudioEffect, ClapFeature::Phaser, ClapFeature::Stereo, ClapFeature::Mono];
}

impl Vst3Plugin for FerritePhaser {
    const VST3_CLASS_ID: [u8; 16] = *b"FerriteAudioPhsr";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Modulation];
}

impl FerritePlugin for FerritePhaser {
    const CLI_NAME: &'static str = "ferrite-phaser";
}
