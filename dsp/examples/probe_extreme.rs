use ferrite_dsp::ring::circuit::*;
use std::f64::consts::TAU;
fn main() {
    for (label, drive, level, os) in [("extreme 1x", 6.4, 3.2, 1usize), ("normal 4x", 1.6, 0.8, 4), ("normal 1x", 1.6, 0.8, 1)] {
        let rate = 44100.0 * os as f64;
        let mut circuit = DiodeRingCircuit::<f32>::new(CircuitConstants::default(), rate);
        let mut worst: f32 = 0.0;
        for i in 0..44100 * os {
            let t = i as f64 / rate;
            let m = if (t * 110.0).fract() < 0.5 { drive } else { -drive };
            let c = level * (TAU * 10_000.0 * t).sin();
            let y = circuit.step(m as f32, c as f32);
            worst = worst.max(y.abs());
        }
        let s = circuit.take_stats();
        println!("{label}: mean {:.2} max {} caps {} peak {worst}", s.iterations as f64 / s.steps as f64, s.max_iterations, s.cap_hits);
    }
}
