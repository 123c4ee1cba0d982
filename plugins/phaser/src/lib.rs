//! Ferrite Phaser: up to 48 second-order allpass stages (pyo's parameterisation with the
//! formula it intends), swept together by an LFO that can follow the host tempo.
//!
//! This crate is thin: parameters ([`params`]), the mapping from parameters to
//! [`ferrite_dsp::phaser::Phaser`] ([`engine`]), the editor ([`editor`], drawing the response
//! computed in [`response`]) and the descriptor (this file); the plugin lifecycle is the shared
//! [`EffectPlugin`].

pub mod editor;
pub mod engine;
pub mod params;
pub mod presets;
pub mod response;

use std::sync::Arc;

use ferrite_editor::FerriteEditor;
use ferrite_plugin_common::editor_data::EditorData;
use ferrite_plugin_common::effect::{Effect, EffectPlugin};
use nice_plug::prelude::*;

/// Ferrite Phaser as a plugin (CLAP, VST3, standalone, `render`).
pub type FerritePhaser = EffectPlugin<PhaserEffect>;

/// Ferrite Phaser's descriptor.
pub struct PhaserEffect;

impl Effect for PhaserEffect {
    const FACTORY_PRESETS: &'static [ferrite_plugin_common::presets::FactoryPreset] = presets::FACTORY;
    const NAME: &'static str = "Ferrite Phaser";
    const CLI_NAME: &'static str = "ferrite-phaser";
    const DESCRIPTION: &'static str = "Multi-stage allpass phaser with tempo-synced LFO";
    const CLAP_ID: &'static str = "org.ferrite-audio.phaser";
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::AudioEffect, ClapFeature::Phaser, ClapFeature::Stereo, ClapFeature::Mono];
    const VST3_CLASS_ID: [u8; 16] = *b"FerriteAudioPhsr";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Modulation];

    type Engine = engine::PhaserEngine;
    type Editor = FerriteEditor<editor::PhaserEditor>;

    fn editor(
        params: &Arc<params::PhaserParams>,
        data: &Arc<EditorData>,
        _executor: AsyncExecutor<EffectPlugin<Self>>,
    ) -> Option<Self::Editor> {
        let (p, d) = (params.clone(), data.clone());
        Some(FerriteEditor::new(Self::NAME, params.editor_size.clone(), data.clone(), move || {
            editor::PhaserEditor::new(p.clone(), d.clone())
        }).with_presets(
            ferrite_editor::PresetSource::new(Self::CLI_NAME, params.clone(), Self::FACTORY_PRESETS, params.preset.clone()),
        ))
    }
}
