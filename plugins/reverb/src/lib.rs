//! Ferrite Reverb: Freeverb, an FDN hall, Dattorro's plate and a zero-latency partitioned
//! convolution, with predelay, width, low/high cut on the wet signal, mix and freeze.
//!
//! This crate is thin: parameters ([`params`]), the impulse response as plugin state ([`ir`])
//! and its preparation off the audio thread ([`loader`]), the mapping from parameters to the
//! models ([`engine`]), and the descriptor (this file); the plugin lifecycle is the shared
//! [`EffectPlugin`].

pub mod editor;
pub mod engine;
pub mod ir;
pub mod loader;
pub mod params;
pub mod presets;

use std::path::Path;
use std::sync::Arc;

use ferrite_editor::FerriteEditor;
use ferrite_plugin_common::editor_data::EditorData;
use ferrite_plugin_common::effect::{Effect, EffectPlugin};
use nice_plug::prelude::*;

use ir::IrData;
use loader::ReverbTask;
use params::{AlgorithmChoice, ReverbParams};

/// Ferrite Reverb as a plugin (CLAP, VST3, standalone, `render`).
pub type FerriteReverb = EffectPlugin<ReverbEffect>;

/// Ferrite Reverb's descriptor.
pub struct ReverbEffect;

impl Effect for ReverbEffect {
    const FACTORY_PRESETS: &'static [ferrite_plugin_common::presets::FactoryPreset] = presets::FACTORY;
    const NAME: &'static str = "Ferrite Reverb";
    const CLI_NAME: &'static str = "ferrite-reverb";
    const DESCRIPTION: &'static str = "Freeverb, FDN hall, Dattorro plate and convolution reverb";
    const CLAP_ID: &'static str = "org.ferrite-audio.reverb";
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::AudioEffect, ClapFeature::Reverb, ClapFeature::Stereo, ClapFeature::Mono];
    const VST3_CLASS_ID: [u8; 16] = *b"FerriteAudioRvrb";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Reverb];

    type Engine = engine::ReverbEngine;
    type Editor = FerriteEditor<editor::ReverbEditor>;

    fn editor(
        params: &Arc<ReverbParams>,
        data: &Arc<EditorData>,
        _executor: AsyncExecutor<EffectPlugin<Self>>,
    ) -> Option<Self::Editor> {
        let (p, d) = (params.clone(), data.clone());
        Some(FerriteEditor::new(Self::NAME, params.editor_size.clone(), data.clone(), move || {
            editor::ReverbEditor::new(p.clone(), d.clone())
        }).with_presets(
            ferrite_editor::PresetSource::new(Self::CLI_NAME, params.clone(), Self::FACTORY_PRESETS, params.preset.clone()),
        ))
    }

    fn task_executor(params: &Arc<ReverbParams>) -> Box<dyn Fn(ReverbTask) + Send> {
        let params = params.clone();
        Box::new(move |task| match task {
            ReverbTask::PrepareImpulseResponse => params.ir_loading.prepare(&params.impulse_response),
        })
    }

    /// `render --ir`: load and validate the file, then store it as the plugin's IR (the render
    /// uses the convolution algorithm only if `algorithm=convolution` is set).
    fn load_impulse_response(params: &ReverbParams, path: &Path) -> anyhow::Result<()> {
        params.impulse_response.store(Some(IrData::from_file(path)?));
        Ok(())
    }

    /// The convolution algorithm without an impulse response would render a silent wet path.
    fn check_render(params: &ReverbParams, has_ir: bool) -> anyhow::Result<()> {
        if params.algorithm.value() == AlgorithmChoice::Convolution && !has_ir {
            anyhow::bail!("algorithm=convolution needs an impulse response: --ir FILE");
        }
        Ok(())
    }
}
