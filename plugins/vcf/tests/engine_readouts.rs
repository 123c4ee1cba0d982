//! The solver-load readouts the engine writes for an open editor: written only while an editor
//! is open, plausible, responsive to how hard the solver works, without allocation, and
//! without changing a single output sample.

use ferrite_plugin_common::effect::EffectPlugin;
use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};
use ferrite_test_kit::alloc::count;
use ferrite_vcf::engine::{READOUT_MAX_ITERATIONS, READOUT_MEAN_ITERATIONS};
use ferrite_vcf::params::VcfParams;
use ferrite_vcf::VcfEffect;
use nice_plug::prelude::*;

ferrite_test_kit::counting_allocator!();

const RATE: f32 = 48_000.0;
const BLOCK: usize = 512;

/// A stereo instance with `settings` (parameter ID, plain value), the editor data path open or
/// not; returns the host.
fn instance(settings: &[(&str, f32)], editor_open: bool) -> OfflineHost<EffectPlugin<VcfEffect>> {
    let mut host = OfflineHost::<EffectPlugin<VcfEffect>>::new();
    let reference = VcfParams::default();
    let normalized = |id: &str, v: f32| -> f32 {
        match id {
            "cutoff" => reference.cutoff.preview_normalized(v),
            "resonance" => reference.resonance.preview_normalized(v),
            "drive" => reference.drive.preview_normalized(v),
            other => panic!("no setting {other} here"),
        }
    };
    for &(id, v) in settings {
        let index = host.param_ptrs().iter().position(|(pid, _)| pid == id).unwrap();
        host.set_normalized(index, normalized(id, v));
    }
    host.activate(layout_for_channels::<EffectPlugin<VcfEffect>>(2).unwrap(), RATE, BLOCK).unwrap();
    host.plugin().editor_data().set_open(editor_open);
    host
}

/// Processes `blocks` blocks of a two-tone input at `amplitude`; returns the left output and
/// the allocator calls made in `process`.
fn run(host: &mut OfflineHost<EffectPlugin<VcfEffect>>, blocks: usize, amplitude: f32) -> (Vec<f32>, usize) {
    let mut out = Vec::new();
    let mut events = 0;
    for b in 0..blocks {
        let (main, _) = host.buffers_mut();
        for (c, ch) in main.iter_mut().enumerate() {
            for (i, s) in ch.iter_mut().enumerate() {
                let t = (b * BLOCK + i) as f32 / RATE;
                *s = amplitude * (0.6 * (std::f32::consts::TAU * 220.0 * t).sin() + 0.4 * (std::f32::consts::TAU * (1_300.0 + 100.0 * c as f32) * t).sin());
            }
        }
        let (status, counts) = count(|| host.process(BLOCK));
        assert!(!matches!(status, ProcessStatus::Error(_)));
        events += counts.events();
        out.extend_from_slice(&host.buffers_mut().0[0]);
    }
    (out, events)
}

#[test]
fn the_readouts_are_written_only_while_open_and_the_output_is_the_same_bit_for_bit() {
    let settings = [("cutoff", 2_000.0), ("resonance", 4.0)];
    let mut closed = instance(&settings, false);
    let mut open = instance(&settings, true);
    let (y_closed, _) = run(&mut closed, 40, 0.5);
    let (y_open, events) = run(&mut open, 40, 0.5);
    assert_eq!(events, 0, "allocator calls in process with the editor open");
    assert!(y_closed.iter().zip(&y_open).all(|(a, b)| a.to_bits() == b.to_bits()), "the editor changed the output");
    let data = closed.plugin().editor_data().clone();
    assert_eq!((data.readout(READOUT_MEAN_ITERATIONS), data.readout(READOUT_MAX_ITERATIONS)), (0.0, 0.0), "written while closed");
    let data = open.plugin().editor_data().clone();
    let (mean, max) = (data.readout(READOUT_MEAN_ITERATIONS), data.readout(READOUT_MAX_ITERATIONS));
    let cap = ferrite_dsp::vcf::MAX_NEWTON_ITERATIONS as f32;
    assert!(mean >= 1.0 && mean <= max && max <= cap && max.fract() == 0.0, "mean {mean}, max {max}");
}

#[test]
fn the_solver_load_rises_when_the_solver_works_harder() {
    // Quiet input: the predictor is (nearly) the solution and Newton confirms it in one
    // iteration. A hot, resonant, bright setting needs more.
    let mut quiet = instance(&[("cutoff", 1_000.0), ("resonance", 1.0)], true);
    run(&mut quiet, 10, 0.001);
    let quiet_mean = quiet.plugin().editor_data().readout(READOUT_MEAN_ITERATIONS);
    let mut hot = instance(&[("cutoff", 18_000.0), ("resonance", 8.0), ("drive", 12.0)], true);
    run(&mut hot, 10, 1.0);
    let hot_data = hot.plugin().editor_data().clone();
    let (hot_mean, hot_max) = (hot_data.readout(READOUT_MEAN_ITERATIONS), hot_data.readout(READOUT_MAX_ITERATIONS));
    println!("solver load: quiet {quiet_mean:.3} iterations/sample, hot {hot_mean:.3} (max {hot_max})");
    assert!((1.0..1.1).contains(&quiet_mean), "quiet {quiet_mean}");
    assert!(hot_mean > quiet_mean + 0.5, "hot {hot_mean} vs quiet {quiet_mean}");
}
