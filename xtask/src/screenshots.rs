//! `cargo xtask screenshots`: PNGs of every plugin's editor for the README, taken from the real
//! standalone windows: bundles every plugin, runs the standalone window test
//! (`tests/tests/standalone_window.rs`, under its own Xvfb with Mesa's software OpenGL) with
//! `FERRITE_SCREENSHOT_DIR` set, so that it leaves one `<app>.png` per editor, and copies them to
//! `docs/screenshots/`.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

use crate::bundle::bundle;
use crate::system::{check_system_libraries, DEB_PACKAGES, TEST_DEB_PACKAGES};
use crate::{cargo, workspace};

/// Where the PNGs go, relative to the workspace root.
pub const SCREENSHOT_DIR: &str = "docs/screenshots";

pub fn screenshots() -> Result<()> {
    let metadata = workspace()?;
    let packages: Vec<&'static str> = DEB_PACKAGES.iter().chain(TEST_DEB_PACKAGES).copied().collect();
    check_system_libraries(&packages)?;
    bundle(Vec::new())?;
    let bundle_dir = metadata.target_directory.join("bundled");
    let raw_dir = metadata.target_directory.join("screenshots");
    let _ = std::fs::remove_dir_all(&raw_dir);
    std::fs::create_dir_all(&raw_dir).with_context(|| format!("cannot create {raw_dir}"))?;

    // The same cargo command line as `cargo xtask test` (the workspace without xtask), so the
    // bundles' build is reused, narrowed to the one test that opens the windows.
    let status = Command::new(cargo())
        .args(["test", "--release", "--workspace", "--exclude", "xtask", "--test", "standalone_window", "--"])
        .args(["every_standalone_opens_its_editor_window", "--exact", "--nocapture"])
        .env("FERRITE_BUNDLE_DIR", &bundle_dir)
        .env("FERRITE_SCREENSHOT_DIR", &raw_dir)
        .status()
        .context("could not run cargo test")?;

    let mut written = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&raw_dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    std::fs::create_dir_all(SCREENSHOT_DIR)?;
    for shot in entries.iter().filter(|p| p.extension().is_some_and(|x| x == "png")) {
        let name = shot.file_name().unwrap_or_default();
        let png = Path::new(SCREENSHOT_DIR).join(name);
        std::fs::copy(shot, &png).with_context(|| format!("cannot write {}", png.display()))?;
        eprintln!("screenshots: {}", png.display());
        written.push(png);
    }
    if !status.success() {
        bail!("the standalone window test failed ({status}); screenshots written: {}", written.len());
    }
    if written.is_empty() {
        eprintln!("screenshots: no plugin has an editor yet, nothing written");
    }
    Ok(())
}
