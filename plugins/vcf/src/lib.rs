//! Ferrite VCF: the EMS VCS3 diode-ladder filter (Fontana & Civolani), solved per sample with
//! Newton's method so it converges at every cutoff, oversampled 1× to 8×, self-oscillating at
//! high resonance.
//!
//! This crate is thin: parameters ([`params`]), the mapping from parameters to
//! [`ferrite_dsp::vcf::Vcf`] ([`engine`]), the editor ([`editor`]: controls, meters, the
//! linearised model's response and the solver load) and the descriptor (this file); the plugin
//! lifecycle is the shared [`EffectPlugin`].

pub mod editor;
pub mod engine;
pub mod params;
pub mod presets;

use std::sync::Arc;

use ferrite_editor::FerriteEditor;
use ferrite_plugin_common::editor_data::EditorData;
use ferrite_plugin_common::effect::{Effect, EffectPlugin};
use nice_plug::prelude::*;

use crate::params::VcfParams;

/// Ferrite VCF as a plugin (CLAP, VST3, standalone, `render`).
pub type FerriteVcf = EffectPlugin<VcfEffect>;

/// Ferrite VCF's descriptor.
pub struct VcfEffect;

impl Effect for VcfEffect {
    const FACTORY_PRESETS: &'static [ferrite_plugin_common::presets::FactoryPreset] = presets::FACTORY;
    const NAME: &'static str = "Ferrite VCF";
    const CLI_NAME: &'static str = "ferrite-vcf";
    const DESCRIPTION: &'static str = "EMS VCS3 diode-ladder filter model";
    const CLAP_ID: &'static str = "org.ferrite-audio.vcf";
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::AudioEffect, ClapFeature::Filter, ClapFeature::Stereo, ClapFeature::Mono];
    const VST3_CLASS_ID: [u8; 16] = *b"FerriteAudio_Vcf";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Filter];

    /// Notes and the pitch wheel play the effect (the cutoff follows the key): a CLAP note port, a VST3 event
    /// input, the standalone's JACK MIDI input.
    const MIDI_INPUT: MidiConfig = MidiConfig::MidiCCs;

    type Engine = engine::VcfEngine;
    type Editor = FerriteEditor<editor::VcfEditor>;

    fn editor(
        params: &Arc<VcfParams>,
        data: &Arc<EditorData>,
        _executor: AsyncExecutor<EffectPlugin<Self>>,
    ) -> Option<Self::Editor> {
        let (p, d) = (params.clone(), data.clone());
        Some(FerriteEditor::new(Self::NAME, params.editor_size.clone(), data.clone(), move || {
            editor::VcfEditor::new(p.clone(), d.clone())
        }).with_presets(
            ferrite_editor::PresetSource::new(Self::CLI_NAME, params.clone(), Self::FACTORY_PRESETS, params.preset.clone()),
        ))
    }
}
