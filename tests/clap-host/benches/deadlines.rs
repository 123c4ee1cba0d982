//! The deadline table, in the form of De Pra & Fontana's (2020) Table 3: each plugin at its
//! defaults and at heavy settings, alone in a JACK graph at 48 kHz with 32-, 64-, 128- and
//! 256-frame periods, hosted through its real CLAP entry by one JACK client as a DAW hosts it
//! (see `daw/mod.rs`), for a minute per period: the callback's duration (min, mean, p99,
//! p99.9, max, as a percentage of the period; percentiles to the top of their 1 % bucket), the
//! callbacks that overran their period (deadline violations, count and %), the server's xruns
//! and the machine's own stalls. The callback times itself into a preallocated histogram;
//! nothing is written until the run is over.
//!
//! `cargo xtask bundle && cargo bench -p ferrite-clap-host-tests --bench deadlines [-- NAME...]`
//! (`FERRITE_BENCH_SECONDS`, default 60; `FERRITE_BENCH_CPU`, default the last CPU; NAME picks
//! settings by substring). Needs root or an rtprio limit for real-time threads.
//!
//! With `FERRITE_BENCH_OUT` set to a folder, each run is also written, one tab-separated line,
//! to `deadlines.tsv` there, with its whole histogram (`cargo xtask bench` plots them; the
//! format is `ferrite-bench-report`'s `deadlines::Run`).

use std::io::Write as _;

mod daw;
mod host;

const PERIODS: [usize; 4] = [32, 64, 128, 256];

/// The settings (names from [`host::CASES`]): defaults and the heaviest of each plugin. Ferrite
/// Reverb's heaviest algorithmic setting is its default (hall); convolution needs an impulse
/// response in the state, which a parameter cannot give.
const SETTINGS: &[&str] = &[
    "ring: default (circuit, 8x)",
    "ring: circuit, 32x",
    "vcf: default (2x)",
    "vcf: 8x, K=9, 15 kHz",
    "phaser: default (8 stages, LFO)",
    "phaser: 48 stages, feedback 50%",
    "reverb: default (hall)",
];

/// `deadlines.tsv` in `$FERRITE_BENCH_OUT`, created empty, if that is set.
fn results_file() -> Option<std::fs::File> {
    let dir = std::path::PathBuf::from(std::env::var_os("FERRITE_BENCH_OUT")?);
    std::fs::create_dir_all(&dir).expect("create $FERRITE_BENCH_OUT");
    let path = dir.join("deadlines.tsv");
    let mut file = std::fs::File::create(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    writeln!(file, "# setting\tperiod\tcallbacks\toverruns\txruns\tstalls\tmin %\tmean %\tp99 %\tp99.9 %\tmax %\thistogram (callbacks per 1 % of the period, from 0 %)").expect("write");
    Some(file)
}

fn main() {
    let cpu = daw::setup();
    let mut results = results_file();
    println!(
        "deadlines: CPU {cpu}, JACK dummy driver, {} Hz, {} s per period, one instance, noise in at -12 dBFS",
        host::SAMPLE_RATE,
        daw::seconds()
    );
    println!();
    println!("| plugin, setting | period | min | mean | p99 | p99.9 | max | deadline violations | xruns | machine stalls |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for name in daw::picked(SETTINGS) {
        let case = host::case(name);
        for period in PERIODS {
            let setup = host::Setup { name, bundle: case.bundle, settings: case.settings, automation: None, block: period };
            match daw::run(&setup, 1, period) {
                Ok(o) => {
                    println!(
                        "| {name} | {period} | {:.1} % | {:.1} % | {:.0} % | {:.0} % | {:.0} % | {} ({:.3} %) | {} | {} |",
                        o.percent(o.shortest),
                        o.mean_percent(),
                        o.percentile(0.99),
                        o.percentile(0.999),
                        o.percent(o.longest),
                        o.overruns,
                        100.0 * o.overruns as f64 / o.callbacks.max(1) as f64,
                        o.xruns,
                        o.stalls
                    );
                    if let Some(file) = &mut results {
                        let histogram: Vec<String> = o.histogram().iter().map(u64::to_string).collect();
                        writeln!(
                            file,
                            "{name}\t{period}\t{}\t{}\t{}\t{}\t{:.3}\t{:.3}\t{:.0}\t{:.0}\t{:.3}\t{}",
                            o.callbacks,
                            o.overruns,
                            o.xruns,
                            o.stalls,
                            o.percent(o.shortest),
                            o.mean_percent(),
                            o.percentile(0.99),
                            o.percentile(0.999),
                            o.percent(o.longest),
                            histogram.join(" ")
                        )
                        .expect("write deadlines.tsv");
                    }
                }
                Err(e) => println!("| {name} | {period} | {e} | | | | | | | |"),
            }
        }
    }
}
