//! Ferrite Phaser's CLAP and VST3 entry points: the library that `cargo xtask bundle` turns into
//! `ferrite-phaser.clap` and `ferrite-phaser.vst3`. Only this crate exports them, so `ferrite-phaser` stays
//! a plain library that tests and tools can link together with the other plugins.

ferrite_plugin_common::export_clap!(ferrite_phaser::FerritePhaser);
ferrite_plugin_common::export_vst3!(ferrite_phaser::FerritePhaser);
