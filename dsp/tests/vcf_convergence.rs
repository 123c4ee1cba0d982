//! Newton convergence statistics of the VCS3 filter over the whole parameter grid (cutoff
//! 20 Hz–20 kHz log-spaced, K = 0…10) with full-scale noise, sines and square waves, at
//! 44.1 kHz 1× and 2× (and +12 dB at 1×, 96 kHz and 22.05 kHz 1×). Prints the statistics (quoted by the README) and
//! asserts that no step hits the iteration cap.

use ferrite_dsp::solver::SolverStats;
use ferrite_dsp::model::{Model, ProcessSpec};
use ferrite_dsp::vcf::{Vcf, VcfControl};

const SR: f32 = 44_100.0;

/// The test signals, full scale: white noise, a 110 Hz sine, a 220 Hz square.
fn signals(len: usize, rate: f32) -> Vec<(&'static str, Vec<f32>)> {
    let mut state = 0x1234_5678u32;
    let noise = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as f32 / 2_147_483_648.0 - 1.0
        })
        .collect();
    let sine = (0..len).map(|i| (core::f32::consts::TAU * 110.0 * i as f32 / rate).sin()).collect();
    let square = (0..len).map(|i| if (i as f32 * 220.0 / rate).fract() < 0.5 { 1.0 } else { -1.0 }).collect();
    vec![("noise", noise), ("sine", sine), ("square", square)]
}

fn run_grid(rate: f32, factor_log2: usize, gain: f32) -> (SolverStats, Vec<(String, SolverStats)>) {
    let len = (0.15 * rate) as usize;
    let cutoffs: Vec<f32> = (0..13).map(|i| 20.0 * 1000f32.powf(i as f32 / 12.0)).collect();
    let mut total = SolverStats::default();
    let mut per_signal = Vec::new();
    let mut vcf = Vcf::prepare(&ProcessSpec::new(rate, 256, 1));
    vcf.set_oversampling_log2(factor_log2);
    for (name, x) in signals(len, rate) {
        let mut sig_stats = SolverStats::default();
        for &fc in &cutoffs {
            for k in 0..=10 {
                vcf.reset();
                vcf.reset_stats();
                let mut buf: Vec<f32> = x.iter().map(|v| v * gain).collect();
                let cut = vec![fc; len];
                let res = vec![k as f32; len];
                vcf.process(&mut [&mut buf], VcfControl { cutoff_hz: &cut, resonance: &res });
                assert!(buf.iter().all(|v| v.is_finite()));
                let s = vcf.stats();
                if s.cap_hits > 0 || s.max_iterations > 10 {
                    println!("  {name} fc {fc:.0} K {k}: {s:?}");
                }
                sig_stats.merge(&s);
            }
        }
        total.merge(&sig_stats);
        per_signal.push((name.to_string(), sig_stats));
    }
    (total, per_signal)
}

#[test]
fn newton_never_hits_the_iteration_cap_on_the_full_parameter_grid() {
    for (rate, factor_log2, gain, label) in [
        (SR, 0, 1.0, "44.1 kHz 1x, 0 dBFS"),
        (SR, 1, 1.0, "44.1 kHz 2x, 0 dBFS"),
        (SR, 0, 4.0, "44.1 kHz 1x, +12 dB"),
        (96_000.0, 0, 1.0, "96 kHz 1x, 0 dBFS"),
        (22_050.0, 0, 1.0, "22.05 kHz 1x (cutoffs above 10.1 kHz clamped), 0 dBFS"),
    ] {
        let (total, per) = run_grid(rate, factor_log2, gain);
        println!(
            "{label}: mean {:.3} iterations/step, worst {}, cap hits {} ({} steps)",
            total.mean_iterations(),
            total.max_iterations,
            total.cap_hits,
            total.steps
        );
        for (name, s) in &per {
            println!("    {name:>6}: mean {:.3}, worst {}, cap hits {}", s.mean_iterations(), s.max_iterations, s.cap_hits);
        }
        assert_eq!(total.cap_hits, 0, "{label}: {total:?}");
    }
}
