//! Ferrite Ring: a diode ring modulator with two models (the Fontana–Bozzo circuit, solved
//! implicitly, and Parker's static network), oversampled, with a band-limited carrier oscillator
//! or the sidechain as the carrier.
//!
//! This crate is thin: parameters ([`params`]), the mapping from parameters to
//! [`ferrite_dsp::ring::RingModulator`] ([`engine`]), and the plugin lifecycle (this file).

pub mod engine;
pub mod params;

use std::sync::Arc;

use ferrite_plugin_common::cli::FerritePlugin;
use nice_plug::prelude::*;

use engine::RingEngine;
use params::RingParams;

/// The plugin: parameters plus the engine, which is allocated in `activate`.
pub struct FerriteRing {
    /// Parameters shared with the host and the editor.
    params: Arc<RingParams>,
    /// All DSP state, sized in `activate` from the sample rate, layout and maximum block size.
    engine: Option<RingEngine>,
}

impl Default for FerriteRing {
    fn default() -> Self {
        let params = Arc::new(RingParams::default());
        // The standalone's `--set` values (no-op inside a DAW).
        ferrite_plugin_common::apply_startup_settings(&params);
        Self { params, engine: None }
    }
}

impl Plugin for FerriteRing {
    const NAME: &'static str = "Ferrite Ring";
    const VENDOR: &'static str = ferrite_plugin_common::VENDOR;
    const URL: &'static str = ferrite_plugin_common::URL;
    const EMAIL: &'static str = ferrite_plugin_common::EMAIL;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            aux_input_ports: &[new_nonzero_u32(2)],
            names: PortNames {
                layout: Some("Stereo"),
                // Left unset on purpose: nice-plug 0.4.2's `main_output_name()` returns
                // `names.main_input`, so naming the input would name the output "Input" too (and
                // the JACK standalone then fails registering a second "input_1" port). The
                // defaults are "Input" and "Output".
                main_input: None,
                main_output: None,
                aux_inputs: &["Carrier"],
                aux_outputs: &[],
            },
            ..AudioIOLayout::const_default()
        },
        // Mono main with a mono sidechain. Over VST3, JUCE hosts leave an unfed sidechain bus
        // without sample buffers; `ferrite_plugin_common::vst3` hands such a bus to nice-plug as
        // silence instead of letting it read through null pointers.
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            aux_input_ports: &[new_nonzero_u32(1)],
            names: PortNames {
                layout: Some("Mono"),
                main_input: None,
                main_output: None,
                aux_inputs: &["Carrier"],
                aux_outputs: &[],
            },
            ..AudioIOLayout::const_default()
        },
    ];

    // Parameter changes land at block boundaries and are smoothed from there; the smoothers make
    // sample-accurate splitting unnecessary for this effect.
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
        let engine = RingEngine::new(&self.params, config.sample_rate, channels, config.max_buffer_size as usize);
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
        aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(engine) = &mut self.engine else {
            return ProcessStatus::Error("process called before activate");
        };
        let _ftz = ferrite_dsp::denormal::ScopedFlushDenormals::new();
        let sidechain = aux.inputs.first().map(|b| b.as_slice_immutable());
        let latency_before = engine.latency();
        engine.process(&self.params, buffer.as_slice(), sidechain);
        if engine.latency() != latency_before {
            context.set_latency_samples(engine.latency());
        }
        ProcessStatus::Normal
    }
}

impl ClapPlugin for FerriteRing {
    const CLAP_ID: &'static str = "org.ferrite-audio.ring";
    const CLAP_DESCRIPTION: Option<&'static str> = Some("Diode ring modulator: circuit model and Parker's model");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Distortion,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for FerriteRing {
    const VST3_CLASS_ID: [u8; 16] = *b"FerriteAudioRing";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Modulation, Vst3SubCategory::Distortion];
}

impl FerritePlugin for FerriteRing {
    const CLI_NAME: &'static str = "ferrite-ring";
}
