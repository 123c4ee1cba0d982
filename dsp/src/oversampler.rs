//! TEMPORARY STUB (replaced by the real half-band cascade).
pub const MAX_FACTOR_LOG2: usize = 5;
pub struct Upsampler { buf: Vec<f32>, f: usize }
impl Upsampler {
    pub fn new(max_factor_log2: usize, max_block: usize) -> Self { Self { buf: vec![0.0; max_block << max_factor_log2], f: 0 } }
    pub fn set_factor_log2(&mut self, f: usize) { self.f = f; }
    pub fn factor(&self) -> usize { 1 << self.f }
    pub fn reset(&mut self) {}
    pub fn process(&mut self, input: &[f32]) -> &[f32] {
        let k = 1 << self.f;
        for (i, &x) in input.iter().enumerate() { for j in 0..k { self.buf[i * k + j] = x; } }
        &self.buf[..input.len() * k]
    }
}
pub struct Downsampler { f: usize }
impl Downsampler {
    pub fn new(_m: usize, _b: usize) -> Self { Self { f: 0 } }
    pub fn set_factor_log2(&mut self, f: usize) { self.f = f; }
    pub fn factor(&self) -> usize { 1 << self.f }
    pub fn reset(&mut self) {}
    pub fn process(&mut self, input: &[f32], output: &mut [f32]) {
        let k = 1 << self.f;
        for (i, o) in output.iter_mut().enumerate() { *o = input[i * k]; }
    }
}
pub fn round_trip_latency(_f: usize) -> u32 { 0 }
