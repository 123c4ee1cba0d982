//! Ferrite Ring: a diode ring modulator with two models (the Fontana–Bozzo circuit, solved
//! implicitly, and Parker's static network), oversampled, with a band-limited carrier oscillator
//! or the sidechain as the carrier.
//!
//! This crate is thin: parameters ([`params`]), the mapping from parameters to
//! [`ferrite_dsp::ring::RingModulator`] ([`engine`]), and the descriptor (this file); the
//! plugin lifecycle is the shared [`EffectPlugin`].

pub mod editor;
pub mod engine;
pub mod params;
pub mod presets;

use std::sync::Arc;

use ferrite_editor::FerriteEditor;
use ferrite_plugin_common::editor_data::EditorData;
use ferrite_plugin_common::effect::{Effect, EffectPlugin};
use nice_plug::prelude::*;

/// Ferrite Ring as a plugin (CLAP, VST3, standalone, `render`).
pub type FerriteRing = EffectPlugin<RingEffect>;

/// Ferrite Ring's descriptor.
pub struct RingEffect;

impl Effect for RingEffect {
    const FACTORY_PRESETS: &'static [ferrite_plugin_common::presets::FactoryPreset] = presets::FACTORY;
    const NAME: &'static str = "Ferrite Ring";
    const CLI_NAME: &'static str = "ferrite-ring";
    const DESCRIPTION: &'static str = "Diode ring modulator: circuit model and Parker's model";
    const CLAP_ID: &'static str = "org.ferrite-audio.ring";
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::AudioEffect, ClapFeature::Distortion, ClapFeature::Stereo, ClapFeature::Mono];
    const VST3_CLASS_ID: [u8; 16] = *b"FerriteAudioRing";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Modulation, Vst3SubCategory::Distortion];

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            aux_input_ports: &[new_nonzero_u32(2)],
            names: PortNames {
                layout: Some("Stereo"),
                // Main ports left unnamed: see `ferrite_plugin_common::STEREO_AND_MONO`.
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

    /// Notes and the pitch wheel play the effect (the internal carrier follows the key): a CLAP note port, a VST3 event
    /// input, the standalone's JACK MIDI input.
    const MIDI_INPUT: MidiConfig = MidiConfig::MidiCCs;

    type Engine = engine::RingEngine;
    type Editor = FerriteEditor<editor::RingEditor>;

    fn editor(
        params: &Arc<params::RingParams>,
        data: &Arc<EditorData>,
        _executor: AsyncExecutor<FerriteRing>,
    ) -> Option<Self::Editor> {
        let (p, d) = (params.clone(), data.clone());
        Some(FerriteEditor::new(Self::NAME, params.editor_size.clone(), data.clone(), move || {
            editor::RingEditor::new(p.clone(), d.clone())
        }).with_presets(
            ferrite_editor::PresetSource::new(Self::CLI_NAME, params.clone(), Self::FACTORY_PRESETS, params.preset.clone()),
        ))
    }
}
