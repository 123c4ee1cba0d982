//! Ferrite Phaser: up to 48 second-order allpass stages (pyo's parameterisation with the
//! formula it intends), swept together by an LFO that can follow the host tempo.
//!
//! This crate is thin: parameters ([`params`]), the mapping from parameters to
//! [`ferrite_dsp::phaser::Phaser`] ([`engine`]), and the descriptor (this file); the plugin
//! lifecycle is the shared [`EffectPlugin`].

pub mod engine;
pub mod params;

use ferrite_plugin_common::effect::{Effect, EffectPlugin};
use nice_plug::prelude::*;

/// Ferrite Phaser as a plugin (CLAP, VST3, standalone, `render`).
pub type FerritePhaser = EffectPlugin<PhaserEffect>;

/// Ferrite Phaser's descriptor.
pub struct PhaserEffect;

impl Effect for PhaserEffect {
    const NAME: &'static str = "Ferrite Phaser";
    const CLI_NAME: &'static str = "ferrite-phaser";
    const DESCRIPTION: &'static str = "Multi-stage allpass phaser with tempo-synced LFO";
    const CLAP_ID: &'static str = "org.ferrite-audio.phaser";
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::AudioEffect, ClapFeature::Phaser, ClapFeature::Stereo, ClapFeature::Mono];
    const VST3_CLASS_ID: [u8; 16] = *b"FerriteAudioPhsr";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Modulation];

    type Engine = engine::PhaserEngine;
    // The editor has its own issue; until then hosts show their generic parameter UI.
    type Editor = ();
}
