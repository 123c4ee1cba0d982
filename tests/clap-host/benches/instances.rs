//! Instances per core: how many instances of each plugin (defaults, stereo, through its real
//! CLAP entry) one JACK client runs in its process callback at 48 kHz with 64-frame periods, on
//! one core, for a minute with no xrun. That is how a DAW runs them: one JACK client, the
//! plugins of every track called one after the other in its callback (see `daw/mod.rs`). Each
//! instance plays its own noise at −12 dBFS (with silent input the plugins would go idle and
//! cost nothing).
//!
//! The count grows by doubling until a run fails, then the gap is bisected. A run passes when it
//! has no xrun but those the machine's own stalls explain (see `daw/mod.rs`); every run is
//! listed with its xruns, stalls and the callback's median, 99.9th percentile and longest time.
//!
//! `cargo xtask bundle && cargo bench -p ferrite-clap-host-tests --bench instances [-- NAME...]`
//! (`FERRITE_BENCH_SECONDS` shortens the watch for a quick look, default 60;
//! `FERRITE_BENCH_CPU` picks the CPU, default the last one). Needs root or an rtprio limit for
//! real-time threads.

mod daw;
mod host;

const PERIOD: usize = 64;
const PLUGINS: &[&str] = &["ferrite-ring", "ferrite-vcf", "ferrite-phaser", "ferrite-reverb"];
/// No count above this is tried.
const MAX_INSTANCES: usize = 1024;

/// The largest count that passed, and the log of the runs.
fn instances_per_core(bundle: &str) -> (usize, Vec<String>) {
    let setup = host::Setup { name: bundle, bundle, settings: &[], automation: None, block: PERIOD };
    let mut log = Vec::new();
    let mut attempt = |n: usize| -> bool {
        let outcome = daw::run(&setup, n, PERIOD);
        let line = match &outcome {
            Ok(o) => format!("{n}: {}", o.summary()),
            Err(e) => format!("{n}: {e}"),
        };
        eprintln!("  {line}");
        log.push(line);
        matches!(outcome, Ok(o) if o.passed())
    };
    // Doubling, then bisection between the last count that passed and the first that failed.
    let (mut good, mut bad) = (0, MAX_INSTANCES + 1);
    let mut n = 1;
    while n <= MAX_INSTANCES {
        if attempt(n) {
            good = n;
            n *= 2;
        } else {
            bad = n;
            break;
        }
    }
    while bad - good > 1 {
        let mid = (good + bad) / 2;
        if attempt(mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    (good, log)
}

fn main() {
    let cpu = daw::setup();
    println!(
        "instances per core: CPU {cpu}, JACK dummy driver, {} Hz, {PERIOD}-frame periods, {} s per run",
        host::SAMPLE_RATE,
        daw::seconds()
    );
    let mut rows = Vec::new();
    for bundle in daw::picked(PLUGINS) {
        eprintln!("{bundle}:");
        let (n, log) = instances_per_core(bundle);
        rows.push((bundle, n, log));
    }
    println!("| plugin (defaults) | instances on one core for {} s | runs |", daw::seconds());
    println!("|---|---|---|");
    for (bundle, n, log) in rows {
        println!("| {bundle} | **{n}** | {} |", log.join("; "));
    }
}
