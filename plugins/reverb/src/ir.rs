//! The impulse response of the convolution algorithm as plugin state: the file it came from and
//! its samples at the file's own rate (so a project reopens with its IR even when the file has
//! moved, and sounds the same at any host rate). Loading a file validates it completely before
//! anything changes, so a bad file leaves the current IR playing.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use nice_plug::params::persist::PersistentField;
use serde::{Deserialize, Serialize};

/// File-name extensions (any case) of the formats [`IrData::from_file`] decodes (the ones
/// `ferrite_plugin_common::audio_file::read_audio` is built for), for file browsers.
pub const FILE_EXTENSIONS: &[&str] = &["wav", "wave", "flac", "aif", "aiff", "ogg", "mp3"];

/// Longest accepted IR, seconds: longer files are almost certainly not impulse responses, and
/// the convolver's memory grows with the length.
pub const MAX_IR_SECONDS: f64 = 30.0;
/// Accepted IR sample rates, Hz.
pub const IR_RATE_RANGE: (f64, f64) = (8_000.0, 384_000.0);

/// An impulse response: one (applied to both channels) or two (left → left, right → right)
/// channels at `sample_rate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredIr", into = "StoredIr")]
pub struct IrData {
    /// Where it was loaded from (shown to the user; not needed to restore it).
    pub path: String,
    /// Sample rate of `channels`, Hz.
    pub sample_rate: f64,
    /// One or two channels of equal length.
    pub channels: Vec<Vec<f32>>,
}

impl IrData {
    /// Check everything the convolver relies on; the error says what is wrong.
    pub fn validate(&self) -> Result<()> {
        let (lo, hi) = IR_RATE_RANGE;
        if !(self.sample_rate >= lo && self.sample_rate <= hi) {
            bail!("impulse response sample rate {} Hz is outside {lo}..{hi} Hz", self.sample_rate);
        }
        match self.channels.len() {
            1 | 2 => {}
            n => bail!("impulse response has {n} channels; mono or stereo is supported"),
        }
        let len = self.channels[0].len();
        if self.channels.iter().any(|c| c.len() != len) {
            bail!("impulse response channels differ in length");
        }
        if len == 0 {
            bail!("impulse response is empty");
        }
        let seconds = len as f64 / self.sample_rate;
        if seconds > MAX_IR_SECONDS {
            bail!("impulse response is {seconds:.1} s long; at most {MAX_IR_SECONDS} s is supported");
        }
        if self.channels.iter().flatten().any(|x| !x.is_finite()) {
            bail!("impulse response contains non-finite samples");
        }
        if self.channels.iter().flatten().all(|&x| x == 0.0) {
            bail!("impulse response is silent");
        }
        Ok(())
    }

    /// Read and validate an impulse response from an audio file: WAV (8/16/24/32-bit integer,
    /// 32/64-bit float), FLAC, AIFF, Ogg Vorbis or MP3 (see [`FILE_EXTENSIONS`]).
    pub fn from_file(path: &Path) -> Result<Self> {
        let audio = ferrite_plugin_common::audio_file::read_audio(path)
            .with_context(|| format!("cannot load impulse response {}", path.display()))?;
        let ir = Self { path: path.display().to_string(), sample_rate: audio.sample_rate as f64, channels: audio.channels };
        ir.validate().with_context(|| format!("cannot use impulse response {}", path.display()))?;
        Ok(ir)
    }
}

/// The serialised form: samples as base64 of little-endian f32 (about a third of the size of a
/// JSON number array, and exact).
#[derive(Serialize, Deserialize)]
struct StoredIr {
    path: String,
    sample_rate: f64,
    channels: Vec<String>,
}

impl From<IrData> for StoredIr {
    fn from(ir: IrData) -> Self {
        let encode = |c: &Vec<f32>| {
            let bytes: Vec<u8> = c.iter().flat_map(|x| x.to_le_bytes()).collect();
            base64::engine::general_purpose::STANDARD.encode(bytes)
        };
        Self { path: ir.path, sample_rate: ir.sample_rate, channels: ir.channels.iter().map(encode).collect() }
    }
}

impl TryFrom<StoredIr> for IrData {
    type Error = String;
    fn try_from(s: StoredIr) -> Result<Self, String> {
        let decode = |text: &String| -> Result<Vec<f32>, String> {
            let bytes = base64::engine::general_purpose::STANDARD.decode(text).map_err(|e| e.to_string())?;
            if bytes.len() % 4 != 0 {
                return Err("impulse response data is not a whole number of samples".into());
            }
            Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
        };
        let ir = IrData { path: s.path, sample_rate: s.sample_rate, channels: s.channels.iter().map(decode).collect::<Result<_, _>>()? };
        ir.validate().map_err(|e| e.to_string())?;
        Ok(ir)
    }
}

/// The persisted IR slot: the current IR (if any) and a generation counter that changes with
/// every store, so the audio thread notices a restored state with one atomic load.
#[derive(Default)]
pub struct IrSlot {
    /// The IR; only the main and background threads lock it, never the audio thread.
    data: Mutex<Option<IrData>>,
    /// Incremented on every change.
    generation: AtomicU64,
}

impl IrSlot {
    /// Replace the IR (already validated). Storing the IR already there changes nothing, so
    /// restoring a state with the same IR does not rebuild the convolver.
    pub fn store(&self, ir: Option<IrData>) {
        let mut data = self.data.lock().unwrap_or_else(|e| e.into_inner());
        if *data != ir {
            *data = ir;
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// The generation of the current IR.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A copy of the current IR and its generation (background thread).
    pub fn snapshot(&self) -> (Option<IrData>, u64) {
        let guard = self.data.lock().unwrap_or_else(|e| e.into_inner());
        (guard.clone(), self.generation())
    }
}

impl<'a> PersistentField<'a, Option<IrData>> for IrSlot {
    fn set(&self, new_value: Option<IrData>) {
        self.store(new_value);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Option<IrData>) -> R,
    {
        f(&self.data.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ir() -> IrData {
        IrData { path: "hall.wav".into(), sample_rate: 44_100.0, channels: vec![vec![1.0, 0.5, -0.25, 1e-7], vec![0.0, 0.3, 0.2, 0.1]] }
    }

    #[test]
    fn stored_ir_round_trips_exactly() {
        let json = serde_json_like(&ir());
        let back: IrData = serde_json_from(&json).unwrap();
        assert_eq!(back, ir());
    }

    #[test]
    fn corrupt_stored_ir_is_rejected() {
        let good = serde_json_like(&ir());
        for bad in [
            good.replace("44100", "1"),
            good.replace("\"AACAPw", "\"A!CAPw"),
            good.replace("\"channels\":[", "\"channels\":[\"AAA=\","),
        ] {
            assert!(serde_json_from(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invalid_irs_are_refused_with_a_reason() {
        let mut empty = ir();
        empty.channels = vec![vec![], vec![]];
        let mut nan = ir();
        nan.channels[0][1] = f32::NAN;
        let mut silent = ir();
        silent.channels = vec![vec![0.0; 10]];
        let mut huge = ir();
        huge.channels = vec![vec![0.1; (MAX_IR_SECONDS * 8_000.0) as usize + 1]];
        huge.sample_rate = 8_000.0;
        let mut three = ir();
        three.channels.push(vec![0.0; 4]);
        for (ir, reason) in [(empty, "empty"), (nan, "non-finite"), (silent, "silent"), (huge, "long"), (three, "channels")] {
            let err = ir.validate().unwrap_err().to_string();
            assert!(err.contains(reason), "{err}");
        }
    }

    fn serde_json_like(ir: &IrData) -> String {
        nice_plug::params::persist::serialize_field(ir).unwrap()
    }
    fn serde_json_from(s: &str) -> Result<IrData, impl std::fmt::Debug> {
        nice_plug::params::persist::deserialize_field::<IrData>(s)
    }
}
