//! TEMPORARY STUB (replaced by the band-limited wavetable oscillator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waveform { Sine, Triangle, Square, Saw }
pub fn prepare_tables() {}
pub struct Carrier { phase: f64, sr: f32 }
impl Carrier {
    pub fn new(sample_rate: f32) -> Self { Self { phase: 0.0, sr: sample_rate } }
    pub fn set_sample_rate(&mut self, sr: f32) { self.sr = sr; }
    pub fn reset(&mut self) { self.phase = 0.0; }
    pub fn process(&mut self, _w: Waveform, freq_hz: &[f32], out: &mut [f32]) {
        for (o, &f) in out.iter_mut().zip(freq_hz) { *o = (self.phase * std::f64::consts::TAU).sin() as f32; self.phase = (self.phase + f as f64 / self.sr as f64).fract(); }
    }
}
