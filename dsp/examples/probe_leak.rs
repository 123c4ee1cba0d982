use ferrite_dsp::ring::circuit::*;
use ferrite_dsp::analysis::*;
use std::f64::consts::TAU;
fn main() {
    let rate = 4.0 * 44100.0;
    let n = 1 << 18;
    for amp in [0.8, 0.4, 1.6] {
    let mut c32 = DiodeRingCircuit::<f32>::new(CircuitConstants::default(), rate);
    let mut c64 = DiodeRingCircuit::<f64>::new(CircuitConstants::default(), rate);
    c64.set_tolerance(1e-7);
    let mut o32 = vec![0f32; n]; let mut o64 = vec![0f32; n];
    for i in 0..n { let t = i as f64 / rate; let m = amp * (TAU*300.0*t).sin(); let c = 0.8*(TAU*2000.0*t).sin();
        o32[i] = c32.step(m as f32, c as f32); o64[i] = c64.step(m, c) as f32; }
    let s32 = &o32[32768..]; let s64 = &o64[32768..];
    let main32 = tone_amplitude(s32, 2300.0, rate);
    for f in [300.0, 2000.0, 600.0, 0.0001] {
        println!("amp {amp} f {f}: f32 {:.1} dB  f64 {:.1} dB", db(tone_amplitude(s32, f, rate), main32), db(tone_amplitude(s64, f, rate), main32));
    }
    }
}
