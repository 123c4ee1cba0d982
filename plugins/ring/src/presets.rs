//! Ferrite Ring's factory presets: the files in `presets/`, compiled in (see
//! `ferrite_plugin_common::presets`). Their `output` levels are set so that every preset plays
//! the reference signal at its own loudness (tests/tests/presets.rs).

use ferrite_plugin_common::presets::FactoryPreset;

/// The factory presets, in menu order.
pub const FACTORY: &[FactoryPreset] = &[
    FactoryPreset { name: "Sub-Audio Tremolo", category: "Modulation", text: include_str!("../presets/sub-audio-tremolo.preset") },
    FactoryPreset { name: "Metallic Voice", category: "Voice", text: include_str!("../presets/metallic-voice.preset") },
    FactoryPreset { name: "Robot Triangle", category: "Voice", text: include_str!("../presets/robot-triangle.preset") },
    FactoryPreset { name: "Bell", category: "Tonal", text: include_str!("../presets/bell.preset") },
    FactoryPreset { name: "Square-Carrier Fuzz", category: "Distortion", text: include_str!("../presets/square-carrier-fuzz.preset") },
    FactoryPreset { name: "Sidechain Cross-Mod", category: "Sidechain", text: include_str!("../presets/sidechain-cross-mod.preset") },
    FactoryPreset { name: "Parker Shimmer", category: "Tonal", text: include_str!("../presets/parker-shimmer.preset") },
    FactoryPreset { name: "Sideband Wash", category: "Modulation", text: include_str!("../presets/sideband-wash.preset") },
];
