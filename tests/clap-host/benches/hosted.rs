//! What a user pays: each plugin as a host runs it, through its real CLAP entry (the bundled
//! `.clap` in `$FERRITE_BUNDLE_DIR`, default `<workspace>/target/bundled`, loaded by a
//! clack-host host), stereo, 48 kHz, blocks of 512 frames of noise at −12 dBFS, at defaults and at
//! heavy settings, with static parameters and with automation (two parameter events per block, as
//! a host plays an automation lane). One iteration is one block: divan's time per iteration
//! divided by 512 is the cost per stereo frame, and its throughput is frames per second.
//!
//! Then, in the same run, the references a user would otherwise pick, hosted in-process the same
//! way by pedalboard (`tests/vst3/bench_hosted.py`): pedalboard's own `Reverb`, `Phaser` and
//! `Gain`, and our VST3 bundles. That part needs the VST3 tests' virtual environment
//! (`target/vst3-venv`, made by `cargo xtask test`); without it the run says so and skips it.
//!
//! `cargo xtask bundle && cargo bench -p ferrite-clap-host-tests --bench hosted`

use std::path::Path;

use divan::counter::ItemsCount;
use divan::Bencher;

mod host;

const BLOCK: usize = 512;

/// The cases to run: all, or those whose name contains `FERRITE_HOSTED_CASES` (for a profile of
/// one case, say `FERRITE_HOSTED_CASES='phaser: 1'`).
fn names() -> impl Iterator<Item = &'static str> {
    let only = std::env::var("FERRITE_HOSTED_CASES").unwrap_or_default();
    host::CASES.iter().map(|c| c.name).filter(move |name| name.contains(only.as_str()))
}

// ---------------------------------------------------------------------------------------------
// The benchmarks
// ---------------------------------------------------------------------------------------------

fn run(bencher: Bencher, name: &str, automated: bool) {
    let case = host::case(name);
    let setup = host::Setup {
        name: case.name,
        bundle: case.bundle,
        settings: case.settings,
        automation: automated.then_some(case.automated),
        block: BLOCK,
    };
    let (plugin, mut audio) = host::start(&setup, 11);
    bencher.counter(ItemsCount::new(BLOCK)).bench_local(|| audio.block());
    plugin.stop(audio);
}

/// Static parameters: the settings are sent once, before the timed blocks.
#[divan::bench(args = names())]
fn clap_static(bencher: Bencher, name: &str) {
    run(bencher, name, false);
}

/// Automated: two parameter events per block on the case's automated parameter.
#[divan::bench(args = names())]
fn clap_automated(bencher: Bencher, name: &str) {
    run(bencher, name, true);
}

fn main() {
    divan::main();
    pedalboard_references();
}

/// pedalboard's `Reverb`, `Phaser` and `Gain` and our VST3 bundles, hosted by pedalboard in
/// this machine's Python, in the same run (see the module's comment).
fn pedalboard_references() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join("target/vst3-venv/bin/python");
    let script = root.join("tests/vst3/bench_hosted.py");
    if !python.exists() {
        println!("\npedalboard references: skipped, no {} (`cargo xtask test` makes it)", python.display());
        return;
    }
    println!("\npedalboard, in-process, the same buffers (tests/vst3/bench_hosted.py):");
    let status = std::process::Command::new(&python).arg(&script).status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => println!("pedalboard references: {} {s}", script.display()),
        Err(e) => println!("pedalboard references: cannot run {}: {e}", python.display()),
    }
}
