//! Ferrite Reverb's factory presets: the files in `presets/`, compiled in (see
//! `ferrite_plugin_common::presets`). Their `output` levels are set so that every preset plays
//! the reference signal at its own loudness (tests/tests/presets.rs).

use ferrite_plugin_common::presets::FactoryPreset;

/// The factory presets, in menu order.
pub const FACTORY: &[FactoryPreset] = &[
    FactoryPreset { name: "Small Room", category: "Room", text: include_str!("../presets/small-room.preset") },
    FactoryPreset { name: "Drum Room", category: "Room", text: include_str!("../presets/drum-room.preset") },
    FactoryPreset { name: "Concert Hall", category: "Hall", text: include_str!("../presets/concert-hall.preset") },
    FactoryPreset { name: "Cathedral", category: "Hall", text: include_str!("../presets/cathedral.preset") },
    FactoryPreset { name: "Vocal Plate", category: "Plate", text: include_str!("../presets/vocal-plate.preset") },
    FactoryPreset { name: "Bright Plate", category: "Plate", text: include_str!("../presets/bright-plate.preset") },
    FactoryPreset { name: "Long Ambient", category: "Ambient", text: include_str!("../presets/long-ambient.preset") },
    FactoryPreset { name: "Frozen Pad", category: "Ambient", text: include_str!("../presets/frozen-pad.preset") },
];
