//! `cargo xtask`: bundles the Ferrite plugins and runs the workspace's tests.
//!
//! - `cargo xtask bundle [PLUGIN...]`: release build + CLAP/VST3/standalone bundles in
//!   `target/bundled/`, for the named plugins or, without names, for every plugin under
//!   `plugins/` (every workspace member there that declares a `cdylib`: the bundle crates
//!   `plugins/<name>/bundle`, the only crates that export the plugin entry points).
//! - `cargo xtask test [ARGS...]`: `cargo xtask bundle`, then
//!   `cargo test --release --workspace --exclude xtask [ARGS...]` (the host-level tests load the
//!   bundles), xtask's own tests, a check that the tests shared the bundles' build (bundling
//!   again compiles nothing), and the VST3 tests.
//! - `cargo xtask screenshots`: bundles, then writes `docs/screenshots/<app>.png` of every
//!   plugin's editor from its real standalone window under Xvfb (`screenshots.rs`).
//! - `cargo xtask bench [--quick] [--docs] [PART...]`: runs the benchmarks behind the report
//!   and draws it, markdown tables and PNG plots in `target/bench-report/` (`bench.rs`;
//!   `--docs` copies them to `docs/plots/`).
//! - `known-packages` and `bundle-universal` are forwarded to `nice-plug-xtask` as they are.
//!
//! `bundle` and `test` first check that the system libraries the build needs are installed.

mod bench;
mod bundle;
mod screenshots;
mod system;
mod test;

use anyhow::{Context, Result};
use cargo_metadata::{Metadata, MetadataCommand};
use std::ffi::OsString;
use std::process::ExitCode;

const USAGE: &str = "\
Usage: cargo xtask <COMMAND> [ARGS...]

Commands:
  bundle [PLUGIN...] [CARGO BUILD ARGS...]
      Build and bundle plugins into target/bundled/ (PLUGIN.clap, PLUGIN.vst3/ and the
      standalone binary PLUGIN). A plugin is named like its bundles (ferrite-ring) or by its
      bundle crate (ferrite-ring-bundle), also as -p PLUGIN. Without any, every plugin under
      plugins/ (workspace members declaring a cdylib) is bundled.
      Release build unless --release or --profile is given.
  test [CARGO TEST ARGS...]
      Bundle every plugin, then run `cargo test --release --workspace --exclude xtask [ARGS...]`
      (the host-level tests load the bundles), `cargo test -p xtask`, a check that bundling
      again compiles nothing (the tests share the bundles' build), and tests/vst3/run.sh.
      With -p PACKAGE: only that package's tests, no bundling.
  screenshots
      Bundle every plugin, open each standalone's editor under Xvfb (the window test
      tests/tests/standalone_window.rs) and write docs/screenshots/<app>.png of each editor.
  bench [--quick] [--docs] [PART...]
      The benchmark report in target/bench-report/: report.md with the tables, and PNG plots.
      PART is one of (all three without any):
        deadlines     the JACK deadline bench (60 s per period and setting, about 30 min;
                      --quick: 5 s): callback-duration histograms per period. Uses the bundles
                      in $FERRITE_BUNDLE_DIR if set, else bundles every plugin first
        oversampling  the Ring's and the VCF's model benches: cost against oversampling factor
        responses     the VCF's, the phaser's and the reverbs' responses measured against
                      their theory
      --docs also copies the report and plots to docs/plots/ (what the README shows).
  known-packages, bundle-universal ...
      Forwarded to nice-plug-xtask.

bundle and test first check the system libraries the build needs (and install them with
apt-get when running as root on Debian/Ubuntu).
";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode> {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        eprint!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    match command.as_str() {
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        "bundle" => {
            bundle::bundle(args.collect())?;
            Ok(ExitCode::SUCCESS)
        }
        "test" => test::test(args.collect()),
        "bench" => {
            bench::bench(args.collect())?;
            Ok(ExitCode::SUCCESS)
        }
        "screenshots" => {
            screenshots::screenshots()?;
            Ok(ExitCode::SUCCESS)
        }
        "known-packages" | "bundle-universal" => {
            nice_plug_xtask::main_with_args("cargo xtask", std::iter::once(command).chain(args))?;
            Ok(ExitCode::SUCCESS)
        }
        other => {
            eprintln!("error: unknown command '{other}'\n");
            eprint!("{USAGE}");
            Ok(ExitCode::from(2))
        }
    }
}

/// Reads the workspace's metadata (members only) and makes its root the current directory.
pub(crate) fn workspace() -> Result<Metadata> {
    // `cargo run` sets CARGO_MANIFEST_DIR to xtask/; fall back to where xtask was compiled.
    let xtask_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|| OsString::from(env!("CARGO_MANIFEST_DIR")));
    let metadata = MetadataCommand::new()
        .current_dir(xtask_dir)
        .no_deps()
        .exec()
        .context("could not read the workspace with `cargo metadata`")?;
    std::env::set_current_dir(&metadata.workspace_root).with_context(|| {
        format!(
            "could not change to the workspace root {}",
            metadata.workspace_root
        )
    })?;
    Ok(metadata)
}

/// The cargo that runs us (so that `cargo +toolchain xtask` stays on that toolchain).
pub(crate) fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}
