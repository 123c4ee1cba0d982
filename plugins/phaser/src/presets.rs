//! Ferrite Phaser's factory presets: the files in `presets/`, compiled in (see
//! `ferrite_plugin_common::presets`). Their `output` levels are set so that every preset plays
//! the reference signal at its own loudness (tests/tests/presets.rs).

use ferrite_plugin_common::presets::FactoryPreset;

/// The factory presets, in menu order.
pub const FACTORY: &[FactoryPreset] = &[
    FactoryPreset { name: "Classic 4-Stage", category: "Classic", text: include_str!("../presets/classic-4-stage.preset") },
    FactoryPreset { name: "12-Stage Tempo Sync", category: "Sync", text: include_str!("../presets/12-stage-tempo-sync.preset") },
    FactoryPreset { name: "Deep 48-Stage", category: "Deep", text: include_str!("../presets/deep-48-stage.preset") },
    FactoryPreset { name: "Vibrato", category: "Vibrato", text: include_str!("../presets/vibrato.preset") },
    FactoryPreset { name: "Slow Jet", category: "Classic", text: include_str!("../presets/slow-jet.preset") },
    FactoryPreset { name: "Stereo Swirl", category: "Stereo", text: include_str!("../presets/stereo-swirl.preset") },
    FactoryPreset { name: "Hollow Negative", category: "Classic", text: include_str!("../presets/hollow-negative.preset") },
    FactoryPreset { name: "Stepped Eighths", category: "Sync", text: include_str!("../presets/stepped-eighths.preset") },
];
