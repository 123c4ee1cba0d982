//! Ferrite VCF's factory presets: the files in `presets/`, compiled in (see
//! `ferrite_plugin_common::presets`). Their `output` levels are set so that every preset plays
//! the reference signal at its own loudness (tests/tests/presets.rs).

use ferrite_plugin_common::presets::FactoryPreset;

/// The factory presets, in menu order.
pub const FACTORY: &[FactoryPreset] = &[
    FactoryPreset { name: "Gentle Low-Pass", category: "Filter", text: include_str!("../presets/gentle-low-pass.preset") },
    FactoryPreset { name: "Warm Ladder", category: "Filter", text: include_str!("../presets/warm-ladder.preset") },
    FactoryPreset { name: "Resonant Sweep", category: "Filter", text: include_str!("../presets/resonant-sweep.preset") },
    FactoryPreset { name: "Self-Oscillating Sine", category: "Synth", text: include_str!("../presets/self-oscillating-sine.preset") },
    FactoryPreset { name: "Gated Sine Voice", category: "Synth", text: include_str!("../presets/gated-sine-voice.preset") },
    FactoryPreset { name: "Overdriven Acid", category: "Drive", text: include_str!("../presets/overdriven-acid.preset") },
    FactoryPreset { name: "Dark Muffle", category: "Filter", text: include_str!("../presets/dark-muffle.preset") },
    FactoryPreset { name: "Bright Presence", category: "Filter", text: include_str!("../presets/bright-presence.preset") },
    FactoryPreset { name: "Parallel Grit", category: "Drive", text: include_str!("../presets/parallel-grit.preset") },
];
