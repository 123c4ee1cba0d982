//! WAV input and output for `render`: reads 8/16/24/32-bit integer and 32-bit float files into
//! per-channel `f32` buffers, and writes 32-bit float WAV atomically (temporary file in the same
//! folder, then a rename), so a failed run never leaves a half-written file or touches an existing
//! one.

use std::fs;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

/// Decoded audio: one `Vec` per channel, all the same length.
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Samples per channel.
    pub channels: Vec<Vec<f32>>,
}

impl Audio {
    /// Number of sample frames.
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }
}

/// Largest file `render` will read: 8 GiB of samples is beyond any sensible offline job and
/// protects against headers that claim absurd lengths.
const MAX_SAMPLES: u64 = 1 << 31;

/// Read a WAV file. Errors name the file and the problem.
pub fn read_wav(path: &Path) -> Result<Audio> {
    let shown = path.display();
    let reader = hound::WavReader::open(path).map_err(|e| match e {
        hound::Error::IoError(io) => anyhow!("cannot read '{shown}': {io}"),
        other => anyhow!("'{shown}' is not a readable WAV file: {other}"),
    })?;
    let spec = reader.spec();
    let n_channels = spec.channels as usize;
    if n_channels == 0 {
        bail!("'{shown}' has no channels");
    }
    if spec.sample_rate == 0 {
        bail!("'{shown}' has a sample rate of 0 Hz");
    }
    if reader.len() as u64 > MAX_SAMPLES {
        bail!("'{shown}' is too large ({} samples)", reader.len());
    }
    // The header's sample count is only a claim: reserve no more than the file can hold, so a
    // corrupt header cannot make us reserve gigabytes.
    let file_len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bytes_per_sample = u64::from(spec.bits_per_sample.div_ceil(8)).max(1);
    let capacity = (reader.len() as u64).min(file_len / bytes_per_sample);
    let mut interleaved = Vec::with_capacity(capacity as usize);
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => {
            for s in reader.into_samples::<f32>() {
                interleaved.push(s.with_context(|| format!("'{shown}' is truncated or corrupt"))?);
            }
        }
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f64;
            for s in reader.into_samples::<i32>() {
                let s = s.with_context(|| format!("'{shown}' is truncated or corrupt"))?;
                interleaved.push((s as f64 * scale) as f32);
            }
        }
        (format, bits) => bail!(
            "'{shown}' uses an unsupported sample format ({bits}-bit {}); use 16/24/32-bit integer or 32-bit float",
            if format == hound::SampleFormat::Float { "float" } else { "integer" }
        ),
    }
    let frames = interleaved.len() / n_channels;
    let mut channels = vec![Vec::with_capacity(frames); n_channels];
    for frame in interleaved.chunks_exact(n_channels) {
        for (ch, &s) in channels.iter_mut().zip(frame) {
            ch.push(s);
        }
    }
    Ok(Audio { sample_rate: spec.sample_rate, channels })
}

/// Write `audio` as 32-bit float WAV to `path`, atomically.
pub fn write_wav_atomic(path: &Path, audio: &Audio) -> Result<()> {
    let tmp = temp_path_for(path);
    let result = write_wav(&tmp, audio).and_then(|()| {
        fs::rename(&tmp, path).with_context(|| format!("cannot move the output into place at '{}'", path.display()))
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_wav(path: &Path, audio: &Audio) -> Result<()> {
    let spec = hound::WavSpec {
        channels: audio.channels.len() as u16,
        sample_rate: audio.sample_rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let file = fs::File::create(path).with_context(|| format!("cannot create '{}'", path.display()))?;
    let mut writer = hound::WavWriter::new(BufWriter::new(file), spec)
        .with_context(|| format!("cannot write '{}'", path.display()))?;
    for i in 0..audio.frames() {
        for ch in &audio.channels {
            writer.write_sample(ch[i]).with_context(|| format!("cannot write '{}'", path.display()))?;
        }
    }
    writer.finalize().with_context(|| format!("cannot finish '{}'", path.display()))?;
    Ok(())
}

/// A temporary file next to `path` (same folder, so the final rename is atomic).
fn temp_path_for(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

/// True when `a` and `b` name the same file (also when `b` does not exist yet but resolves to
/// the same place through its parent folder).
pub fn same_file(a: &Path, b: &Path) -> bool {
    fn resolve(p: &Path) -> Option<PathBuf> {
        if let Ok(c) = fs::canonicalize(p) {
            return Some(c);
        }
        let parent = p.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Some(fs::canonicalize(parent).ok()?.join(p.file_name()?))
    }
    match (resolve(a), resolve(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}
