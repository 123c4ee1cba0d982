//! Host-level CLAP tests live in `tests/clap_bundles.rs`.
