//! Ferrite Ring's CLAP and VST3 entry points: the library that `cargo xtask bundle` turns into
//! `ferrite-ring.clap` and `ferrite-ring.vst3`. Only this crate exports them, so `ferrite-ring` stays
//! a plain library that tests and tools can link together with the other plugins.

ferrite_plugin_common::export_clap!(ferrite_ring::FerriteRing);
ferrite_plugin_common::export_vst3!(ferrite_ring::FerriteRing);
