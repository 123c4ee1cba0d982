//! Host-level CLAP tests (`tests/clap_bundles.rs`, `tests/clap_gui.rs`) and benchmarks
//! (`benches/`), and the little they share here.

use std::path::{Path, PathBuf};

/// The folder of the bundles under test: `$FERRITE_BUNDLE_DIR`, default
/// `<workspace>/target/bundled` (where `cargo xtask bundle` puts them).
pub fn bundle_dir() -> PathBuf {
    match std::env::var_os("FERRITE_BUNDLE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bundled"),
    }
}

/// nice-plug's `hash_param_id`: the CLAP parameter ID of an `#[id = "..."]` string.
pub fn nice_param_hash(id: &str) -> u32 {
    let mut hash: u32 = 0;
    for b in id.bytes() {
        hash = hash.wrapping_mul(31).wrapping_add(b as u32);
    }
    hash & !(1 << 31)
}
