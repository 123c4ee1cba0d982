//! Writing WAV files for tests (test input for `render`, seeds for WAV fuzzing). Reading them
//! back: `ferrite_test_kit::hound::WavReader`.

use std::io::{Cursor, Seek, Write};
use std::path::Path;

/// A WAV sample format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    pub channels: u16,
    pub sample_rate: u32,
    /// 8, 16, 24 or 32 (integer), 32 (float).
    pub bits: u16,
    pub float: bool,
}

impl Format {
    /// 32-bit float, the format `render` writes.
    pub fn float(channels: u16, sample_rate: u32) -> Self {
        Self { channels, sample_rate, bits: 32, float: true }
    }

    fn spec(&self) -> hound::WavSpec {
        hound::WavSpec {
            channels: self.channels,
            sample_rate: self.sample_rate,
            bits_per_sample: self.bits,
            sample_format: if self.float { hound::SampleFormat::Float } else { hound::SampleFormat::Int },
        }
    }
}

/// Writes `frames` frames whose channel `c` at frame `i` is `sample(i, c)` (in [-1, 1]; integer
/// formats scale by the largest positive value and truncate).
fn encode_into<W: Write + Seek>(out: W, format: Format, frames: usize, mut sample: impl FnMut(usize, u16) -> f64) {
    let mut w = hound::WavWriter::new(out, format.spec()).expect("WAV header");
    let scale = ((1i64 << (format.bits.clamp(1, 32) - 1)) - 1) as f64;
    for i in 0..frames {
        for c in 0..format.channels {
            let v = sample(i, c);
            if format.float {
                w.write_sample(v as f32).expect("WAV sample");
            } else {
                w.write_sample((v * scale) as i32).expect("WAV sample");
            }
        }
    }
    w.finalize().expect("WAV finalize");
}

/// The bytes of a WAV file of `frames` frames, sample `(frame, channel)` from `sample`.
pub fn encode(format: Format, frames: usize, sample: impl FnMut(usize, u16) -> f64) -> Vec<u8> {
    let mut cursor = Cursor::new(Vec::new());
    encode_into(&mut cursor, format, frames, sample);
    cursor.into_inner()
}

/// Writes a WAV file of `frames` frames, sample `(frame, channel)` from `sample`.
pub fn write_with(path: &Path, format: Format, frames: usize, sample: impl FnMut(usize, u16) -> f64) {
    let file = std::fs::File::create(path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    encode_into(std::io::BufWriter::new(file), format, frames, sample);
}

/// Writes `channels` (equal lengths) as a 32-bit float WAV file.
pub fn write(path: &Path, sample_rate: u32, channels: &[Vec<f32>]) {
    let frames = channels.first().map_or(0, Vec::len);
    assert!(channels.iter().all(|c| c.len() == frames), "channels of different lengths");
    write_with(path, Format::float(channels.len() as u16, sample_rate), frames, |i, c| channels[c as usize][i] as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_files_read_back() {
        let dir = crate::TempDir::new("kit-wav");
        let path = dir.join("a.wav");
        let channels = vec![vec![0.5f32, -0.25, 1.0], vec![0.0, 0.125, -1.0]];
        write(&path, 44_100, &channels);
        let mut r = hound::WavReader::open(&path).unwrap();
        assert_eq!(r.spec().channels, 2);
        assert_eq!(r.spec().sample_rate, 44_100);
        let s: Vec<f32> = r.samples::<f32>().map(Result::unwrap).collect();
        assert_eq!(s, [0.5, 0.0, -0.25, 0.125, 1.0, -1.0]);

        let bytes = encode(Format { channels: 1, sample_rate: 8_000, bits: 16, float: false }, 2, |i, _| i as f64 * 0.5);
        let r = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        let s: Vec<i32> = r.into_samples::<i32>().map(Result::unwrap).collect();
        assert_eq!(s, [0, 16383]);
    }
}
