//! The deadline table, in the form of De Pra & Fontana's (2020) Table 3: each plugin at its
//! defaults and at heavy settings, alone in a JACK graph at 48 kHz with 32-, 64-, 128- and
//! 256-frame periods, hosted through its real CLAP entry by one JACK client as a DAW hosts it
//! (see `daw/mod.rs`), for a minute per period: the callback's duration (min, mean, p99, p99.9,
//! max, as a percentage of the period; percentiles to the 1 % bucket above), the callbacks that
//! overran their period (deadline violations, count and %), the server's xruns and the
//! machine's own stalls. The callback times itself into a preallocated histogram; nothing is
//! written until the run is over.
//!
//! `cargo xtask bundle && cargo bench -p ferrite-clap-host-tests --bench deadlines [-- NAME...]`
//! (`FERRITE_BENCH_SECONDS`, default 60; `FERRITE_BENCH_CPU`, default the last CPU; NAME picks
//! settings by substring). Needs root or an rtprio limit for real-time threads.

mod daw;
mod host;

const PERIODS: [usize; 4] = [32, 64, 128, 256];

/// (name, bundle, settings as the plugin displays them). Ferrite Reverb's heaviest algorithmic
/// setting is its default (hall); convolution needs an impulse response in the state, which a
/// parameter cannot give.
const SETTINGS: &[(&str, &str, &[(&str, &str)])] = &[
    ("Ring, default (circuit, 8x)", "ferrite-ring", &[]),
    ("Ring, circuit, 32x", "ferrite-ring", &[("oversampling", "32x")]),
    ("VCF, default (2x)", "ferrite-vcf", &[]),
    ("VCF, 8x, K=9, 15 kHz", "ferrite-vcf", &[("oversampling", "8x"), ("resonance", "9"), ("cutoff", "15000")]),
    ("Phaser, default (8 stages, LFO)", "ferrite-phaser", &[]),
    ("Phaser, 48 stages, feedback 50%", "ferrite-phaser", &[("stages", "48"), ("feedback", "50%")]),
    ("Reverb, default (hall)", "ferrite-reverb", &[]),
];

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let cpu = daw::setup();
    println!(
        "deadlines: CPU {cpu}, JACK dummy driver, {} Hz, {} s per period, one instance, noise in at -12 dBFS",
        host::SAMPLE_RATE,
        daw::seconds()
    );
    println!();
    println!("| plugin, setting | period | min | mean | p99 | p99.9 | max | deadline violations | xruns | machine stalls |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for &(name, bundle, settings) in SETTINGS.iter().filter(|s| wanted.is_empty() || wanted.iter().any(|w| s.0.contains(w.as_str()))) {
        for period in PERIODS {
            let setup = host::Setup { name, bundle, settings, automation: None, block: period };
            match daw::run(&setup, 1, period) {
                Ok(o) => println!(
                    "| {name} | {period} | {:.1} % | {:.1} % | {} % | {} % | {:.0} % | {} ({:.3} %) | {} | {} |",
                    o.percent(o.shortest),
                    o.mean_percent(),
                    o.percentile(0.99),
                    o.percentile(0.999),
                    o.percent(o.longest),
                    o.overruns,
                    100.0 * o.overruns as f64 / o.callbacks.max(1) as f64,
                    o.xruns,
                    o.stalls
                ),
                Err(e) => println!("| {name} | {period} | {e} | | | | | | | |"),
            }
        }
    }
}
