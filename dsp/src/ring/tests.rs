//! Properties derived from the models' own equations (see the module docs of `circuit` and
//! `parker`), checked on rendered audio.

use super::circuit::{CircuitConstants, DiodeRingCircuit};
use super::parker::ParkerRing;
use super::{RingModel, RingModulator};
use crate::model::{Model, ProcessSpec};
use crate::analysis::{db, tone_amplitude};
use crate::denormal::is_subnormal_f32;
use core::f64::consts::TAU;

const SR: f64 = 44_100.0;

fn sine(freq: f64, amp: f64, rate: f64, n: usize) -> Vec<f64> {
    (0..n).map(|i| amp * (TAU * freq * i as f64 / rate).sin()).collect()
}

/// Run the f64 circuit (tight tolerance) at `rate` over the given inputs.
fn run_circuit_f64(m: &[f64], c: &[f64], rate: f64) -> Vec<f64> {
    let mut circuit = DiodeRingCircuit::<f64>::new(CircuitConstants::default(), rate);
    circuit.set_tolerance(1e-7);
    m.iter().zip(c).map(|(&m, &c)| circuit.step(m, c)).collect()
}

fn peak(x: &[f64]) -> f64 {
    x.iter().fold(0.0f64, |a, &b| a.max(b.abs()))
}

#[test]
fn circuit_output_is_odd_in_the_modulator() {
    let rate = 4.0 * SR;
    let n = 20_000;
    let m = sine(330.0, 1.6, rate, n);
    let c = sine(1700.0, 0.8, rate, n);
    let neg_m: Vec<f64> = m.iter().map(|x| -x).collect();
    let a = run_circuit_f64(&m, &c, rate);
    let b = run_circuit_f64(&neg_m, &c, rate);
    let scale = peak(&a);
    assert!(scale > 0.1, "the circuit must pass signal (peak {scale})");
    let worst = a.iter().zip(&b).map(|(x, y)| (x + y).abs()).fold(0.0, f64::max);
    assert!(worst <= 1e-9 * scale, "out(−m, c) must equal −out(m, c): worst {worst:e}");
}

#[test]
fn circuit_output_is_odd_in_the_carrier() {
    let rate = 4.0 * SR;
    let n = 20_000;
    let m = sine(330.0, 1.6, rate, n);
    let c = sine(1700.0, 0.8, rate, n);
    let neg_c: Vec<f64> = c.iter().map(|x| -x).collect();
    let a = run_circuit_f64(&m, &c, rate);
    let b = run_circuit_f64(&m, &neg_c, rate);
    let scale = peak(&a);
    let worst = a.iter().zip(&b).map(|(x, y)| (x + y).abs()).fold(0.0, f64::max);
    assert!(worst <= 1e-9 * scale, "out(m, −c) must equal −out(m, c): worst {worst:e}");
}

#[test]
fn circuit_rejects_the_carrier_exactly_without_a_modulator() {
    // With v_m = 0, diodes 4/5 and 6/7 see equal voltages, so node 1 and 2 currents cancel
    // exactly, in floating point too.
    let rate = 2.0 * SR;
    let mut circuit = DiodeRingCircuit::<f32>::new(CircuitConstants::default(), rate);
    for (i, c) in sine(5000.0, 3.2, rate, 10_000).into_iter().enumerate() {
        let y = circuit.step(0.0, c as f32);
        assert_eq!(y, 0.0, "carrier leaked at step {i}");
    }
}

#[test]
fn circuit_rejects_the_modulator_without_a_carrier() {
    let rate = 4.0 * SR;
    let n = 20_000;
    let m = sine(440.0, 1.6, rate, n);
    let zero = vec![0.0; n];
    let out = run_circuit_f64(&m, &zero, rate);
    assert!(peak(&out) <= 1e-9 * 1.6, "modulator leaked: peak {:e}", peak(&out));
}

#[test]
fn circuit_stays_finite_and_converges_at_extreme_settings() {
    // +24 dB drive (6.4 V peak, full-scale square-ish input) with a +12 dB, 10 kHz carrier at 1×:
    // the hardest case the plugin can produce. Converging is not enough: it must converge to
    // the right solution, so the f32 solver is held to an f64 solve of the same steps.
    let rate = SR;
    let n = 44_100;
    let mut circuit = DiodeRingCircuit::<f32>::new(CircuitConstants::default(), rate);
    let mut reference = DiodeRingCircuit::<f64>::new(CircuitConstants::default(), rate);
    reference.set_tolerance(1e-9);
    let (mut worst, mut worst_error) = (0.0f64, 0.0f64);
    for i in 0..n {
        let t = i as f64 / rate;
        let m = if (t * 110.0).fract() < 0.5 { 6.4 } else { -6.4 };
        let c = 3.2 * (TAU * 10_000.0 * t).sin();
        let y = circuit.step(m as f32, c as f32);
        let y_ref = reference.step(m as f32 as f64, c as f32 as f64);
        assert!(y.is_finite());
        worst = worst.max(y_ref.abs());
        worst_error = worst_error.max((y as f64 - y_ref).abs());
    }
    let stats = circuit.take_stats();
    assert!(worst < 20.0, "output must stay bounded, got {worst}");
    assert!(worst_error <= 1e-3 * worst.max(1.0), "f32 solution strays {worst_error:e} V from the f64 one");
    assert_eq!(stats.cap_hits, 0, "{stats:?}");
}

#[test]
fn circuit_recovers_from_non_finite_input() {
    let mut circuit = DiodeRingCircuit::<f32>::new(CircuitConstants::default(), 2.0 * SR);
    for _ in 0..100 {
        circuit.step(0.5, 0.8);
    }
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        assert!(circuit.step(bad, 0.8).is_finite());
        assert!(circuit.step(0.5, bad).is_finite());
    }
    for _ in 0..1000 {
        assert!(circuit.step(0.5, 0.8).is_finite());
    }
    assert!(circuit.state().iter().all(|s| s.is_finite()));
}

#[test]
fn circuit_state_never_holds_subnormals_while_decaying() {
    // A loud burst, then eight seconds of silence: the inductor currents decay with L/R time
    // constants of 10 ms and less and would pass through the subnormal range within a second.
    let mut ring = RingModulator::prepare(&ProcessSpec::new(SR as f32, 64, 1));
    ring.set_oversampling_log2(1);
    let burst: Vec<f32> = sine(200.0, 1.6, SR, 64).iter().map(|&x| x as f32).collect();
    let carrier: Vec<f32> = sine(900.0, 0.8, SR, 64).iter().map(|&x| x as f32).collect();
    let mut out = vec![0.0; 64];
    for _ in 0..50 {
        out.copy_from_slice(&burst);
        ring.process_channel(0, &mut out, &carrier);
    }
    let silence = vec![0.0f32; 64];
    for block in 0..(8 * SR as usize / 64) {
        out.copy_from_slice(&silence);
        ring.process_channel(0, &mut out, &silence);
        let state = ring.circuit_state(0).unwrap();
        assert!(!state.iter().any(|&s| is_subnormal_f32(s)), "subnormal state after block {block}: {state:?}");
        assert!(!out.iter().any(|&s| is_subnormal_f32(s)));
    }
    assert!(ring.circuit_state(0).unwrap().iter().all(|&s| s == 0.0), "the state must decay to exactly zero");
}

#[test]
fn parker_diode_law_is_continuous_with_a_continuous_slope() {
    let p = ParkerRing::default();
    let e = 1e-3f32;
    for knee in [0.2f32, 0.6] {
        let left = p.diode(knee - e);
        let right = p.diode(knee + e);
        // Continuous: across 2e the change is at most the largest slope (h = 1) times 2e.
        assert!((right - left).abs() <= 2.0 * e + 1e-6, "f jumps at {knee}");
        let slope_l = (p.diode(knee) - p.diode(knee - e)) / e;
        let slope_r = (p.diode(knee + e) - p.diode(knee)) / e;
        assert!((slope_l - slope_r).abs() < 1e-2, "f' jumps at {knee}: {slope_l} vs {slope_r}");
    }
    assert_eq!(p.diode(0.0), 0.0);
    assert_eq!(p.diode(-3.0), 0.0);
}

#[test]
fn parker_is_odd_in_the_modulator_and_in_the_carrier() {
    let p = ParkerRing::default();
    for i in 0..2000 {
        let m = (i as f32 * 0.013).sin() * 2.0;
        let c = (i as f32 * 0.071).cos() * 1.3;
        let y = p.process_sample(m, c);
        assert_eq!(p.process_sample(-m, c), -y);
        assert_eq!(p.process_sample(m, -c), -y);
        assert_eq!(p.process_sample(0.0, c), 0.0);
        assert_eq!(p.process_sample(m, 0.0), 0.0);
    }
}

#[test]
fn parker_switches_ideally_when_the_carrier_exceeds_the_knee() {
    // For |c| > v_l + |m|/2 exactly two diodes conduct, both in their linear region:
    // out = h·m·sign(c).
    let p = ParkerRing::default();
    for i in 0..200 {
        let m = -1.0 + i as f32 * 0.01;
        let c = 0.6 + m.abs() / 2.0 + 0.01;
        assert!((p.process_sample(m, c) - m).abs() < 1e-5);
        assert!((p.process_sample(m, -c) + m).abs() < 1e-5);
    }
}

/// Render sine × sine through the oversampled processor and return the output.
fn render_two_tones(model: RingModel, factor_log2: usize, fm: f64, fc: f64, n: usize) -> Vec<f32> {
    let mut ring = RingModulator::prepare(&ProcessSpec::new(SR as f32, 512, 1));
    ring.set_model(model);
    ring.set_oversampling_log2(factor_log2);
    let m: Vec<f32> = sine(fm, 0.8, SR, n).iter().map(|&x| x as f32).collect();
    let c: Vec<f32> = sine(fc, 0.8, SR, n).iter().map(|&x| x as f32).collect();
    let mut out = vec![0.0f32; n];
    for ((m, c), o) in m.chunks(512).zip(c.chunks(512)).zip(out.chunks_mut(512)) {
        o.copy_from_slice(m);
        ring.process_channel(0, o, c);
    }
    out
}

#[test]
fn balanced_modulator_outputs_only_odd_times_odd_intermodulation() {
    // Odd in m and odd in c ⇒ only p·fm + q·fc with p and q both odd. Everything with an even
    // index (the inputs' own harmonics, DC, fc ± 2fm, 2fc ± fm) must be absent.
    // Mutually prime frequencies: with commensurate ones (say 300 and 2000 Hz) a legitimate
    // odd·odd product such as 21·fm − 3·fc lands exactly on fm and would read as leakage.
    let (fm, fc) = (317.0, 1931.0);
    let n = 1 << 16;
    for model in [RingModel::Circuit, RingModel::Parker] {
        let out = render_two_tones(model, 2, fm, fc, n);
        // Skip the start-up transient (the transformer's high-pass settles within ~50 ms).
        let steady = &out[8192..];
        let main = tone_amplitude(steady, fc + fm, SR).max(tone_amplitude(steady, fc - fm, SR));
        assert!(main > 0.05, "{model:?}: no sidebands ({main})");
        for (p, q) in [(1, 0), (0, 1), (2, 0), (0, 2), (3, 0), (0, 3), (2, 1), (1, 2), (2, 3), (4, 1)] {
            for sign in [1.0, -1.0] {
                let f = (p as f64 * fm + sign * q as f64 * fc).abs();
                if !(20.0..=0.45 * SR).contains(&f) {
                    continue;
                }
                let level = db(tone_amplitude(steady, f, SR), main);
                assert!(level < -100.0, "{model:?}: component {p}·fm{}{q}·fc = {f} Hz at {level:.1} dB", if sign > 0.0 { "+" } else { "−" });
            }
        }
        for (p, q) in [(1, 1), (3, 1), (1, 3)] {
            let f = p as f64 * fm + q as f64 * fc;
            assert!(tone_amplitude(steady, f, SR) > 1e-4 * main || p + q > 2, "{model:?}: {f} Hz missing");
        }
    }
}
