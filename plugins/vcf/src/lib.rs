//! Ferrite VCF: the EMS VCS3 diode-ladder filter (Fontana & Civolani), solved per sample with
//! Newton's method so it converges at every cutoff, oversampled 1× to 8×, self-oscillating at
//! high resonance.
//!
//! This crate is thin: parameters ([`params`]), the mapping from parameters to
//! [`ferrite_dsp::vcf::Vcf`] ([`engine`]), and the descriptor (this file); the plugin lifecycle
//! is the shared [`EffectPlugin`].

pub mod engine;
pub mod params;

use ferrite_plugin_common::effect::{Effect, EffectPlugin};
use nice_plug::prelude::*;

/// Ferrite VCF as a plugin (CLAP, VST3, standalone, `render`).
pub type FerriteVcf = EffectPlugin<VcfEffect>;

/// Ferrite VCF's descriptor.
pub struct VcfEffect;

impl Effect for VcfEffect {
    const NAME: &'static str = "Ferrite VCF";
    const CLI_NAME: &'static str = "ferrite-vcf";
    const DESCRIPTION: &'static str = "EMS VCS3 diode-ladder filter model";
    const CLAP_ID: &'static str = "org.ferrite-audio.vcf";
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::AudioEffect, ClapFeature::Filter, ClapFeature::Stereo, ClapFeature::Mono];
    const VST3_CLASS_ID: [u8; 16] = *b"FerriteAudio_Vcf";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Filter];

    type Engine = engine::VcfEngine;
    // The editor has its own issue; until then hosts show their generic parameter UI.
    type Editor = ();
}
