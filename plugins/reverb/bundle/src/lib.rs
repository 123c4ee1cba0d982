//! Ferrite Reverb's CLAP and VST3 entry points: the library that `cargo xtask bundle` turns into
//! `ferrite-reverb.clap` and `ferrite-reverb.vst3`. Only this crate exports them, so `ferrite-reverb` stays
//! a plain library that tests and tools can link together with the other plugins.

ferrite_plugin_common::export_clap!(ferrite_reverb::FerriteReverb);
ferrite_plugin_common::export_vst3!(ferrite_reverb::FerriteReverb);
