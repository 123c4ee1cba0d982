//! Ferrite VCF's CLAP and VST3 entry points: the library that `cargo xtask bundle` turns into
//! `ferrite-vcf.clap` and `ferrite-vcf.vst3`. Only this crate exports them, so `ferrite-vcf` stays
//! a plain library that tests and tools can link together with the other plugins.

ferrite_plugin_common::export_clap!(ferrite_vcf::FerriteVcf);
ferrite_plugin_common::export_vst3!(ferrite_vcf::FerriteVcf);
