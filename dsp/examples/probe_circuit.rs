use ferrite_dsp::ring::circuit::*;
use std::time::Instant;
fn main() {
    for &os in &[1usize, 2, 4, 8] {
        let fs = 48000.0 * os as f64;
        let n = 48000 * os;
        let drive = std::env::args().nth(1).map(|s| s.parse::<f64>().unwrap()).unwrap_or(4.0);
        let vm: Vec<f32> = (0..n).map(|i| { let t = i as f64 / fs; (0.4 * drive * (0.6*(std::f64::consts::TAU * 220.0 * t).sin() + 0.4*(std::f64::consts::TAU * 3150.0 * t).sin())) as f32 }).collect();
        let vc: Vec<f32> = (0..n).map(|i| { let t = i as f64 / fs; (0.8 * (std::f64::consts::TAU * 1000.0 * t).sin()) as f32 }).collect();
        let mut c = DiodeRingCircuit::<f32>::new(CircuitConstants::default(), fs);
        let mut r = DiodeRingCircuit::<f64>::new(CircuitConstants::default(), fs);
        r.set_tolerance(1e-9);
        let mut out = vec![0.0f32; n];
        let t = Instant::now();
        for i in 0..n { out[i] = c.step(vm[i], vc[i]); }
        let el = t.elapsed().as_secs_f64();
        let mut err = 0.0f64; let mut refe = 0.0f64;
        for i in 0..n { let y = r.step(vm[i] as f64, vc[i] as f64); err += (y - out[i] as f64).powi(2); refe += y*y; }
        let s = c.take_stats();
        println!("os {os}: {:.3} us/host-sample {:.1} ns/step, mean it {:.2}, max {}, caps {}, solver err {:.1} dB", el / 48000.0 * 1e6, el / n as f64 * 1e9, s.iterations as f64 / s.steps as f64, s.max_iterations, s.cap_hits, 10.0*(err/refe).log10());
    }
}
