//! Audio files for `render` and for impulse responses.
//!
//! - [`Decoder`]: any input `render` takes (WAV in 8/16/24/32-bit integer and 32/64-bit float,
//!   FLAC, AIFF, Ogg Vorbis, MP3), decoded with symphonia and read in bounded chunks, so memory
//!   does not grow with the file.
//! - [`WavWriter`]: WAV output in 32-bit float (the default) or 24/16-bit integer with TPDF
//!   dither, streamed into a temporary file next to the destination and renamed into place by
//!   [`WavWriter::commit`]. A writer dropped without a commit (an error, an interruption)
//!   removes its temporary file, so a failed run never leaves a half-written file or touches an
//!   existing one. The headers are written here rather than with hound: a float WAV needs the
//!   `cbSize` field and a `fact` chunk (hound writes neither, and sox warns "wave header missing
//!   extended part of fmt chunk").
//! - [`read_audio`] / [`write_wav_atomic`]: whole files in memory, for impulse responses and
//!   tests.

use std::fs;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{Decoder as CodecDecoder, DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

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

/// Most channels an input may have (more is not audio Ferrite can process, and bounds the
/// decoder's buffers).
const MAX_CHANNELS: usize = 32;
/// Largest file [`read_audio`] reads into memory: 2^31 samples, which protects against headers
/// that claim absurd lengths. Streaming through [`Decoder`] has no such limit.
const MAX_SAMPLES: u64 = 1 << 31;
/// Highest sample rate accepted, Hz.
const MAX_SAMPLE_RATE: u32 = 1_536_000;

/// The uncompressed codecs whose data length is the declared frame count times the frame size
/// (A-law and µ-law left out: their coded size is not their sample size).
const PCM_CODECS: &[symphonia::core::codecs::CodecType] = {
    use symphonia::core::codecs;
    &[
        codecs::CODEC_TYPE_PCM_S32LE,
        codecs::CODEC_TYPE_PCM_S32LE_PLANAR,
        codecs::CODEC_TYPE_PCM_S32BE,
        codecs::CODEC_TYPE_PCM_S32BE_PLANAR,
        codecs::CODEC_TYPE_PCM_S24LE,
        codecs::CODEC_TYPE_PCM_S24LE_PLANAR,
        codecs::CODEC_TYPE_PCM_S24BE,
        codecs::CODEC_TYPE_PCM_S24BE_PLANAR,
        codecs::CODEC_TYPE_PCM_S16LE,
        codecs::CODEC_TYPE_PCM_S16LE_PLANAR,
        codecs::CODEC_TYPE_PCM_S16BE,
        codecs::CODEC_TYPE_PCM_S16BE_PLANAR,
        codecs::CODEC_TYPE_PCM_S8,
        codecs::CODEC_TYPE_PCM_S8_PLANAR,
        codecs::CODEC_TYPE_PCM_U32LE,
        codecs::CODEC_TYPE_PCM_U32LE_PLANAR,
        codecs::CODEC_TYPE_PCM_U32BE,
        codecs::CODEC_TYPE_PCM_U32BE_PLANAR,
        codecs::CODEC_TYPE_PCM_U24LE,
        codecs::CODEC_TYPE_PCM_U24LE_PLANAR,
        codecs::CODEC_TYPE_PCM_U24BE,
        codecs::CODEC_TYPE_PCM_U24BE_PLANAR,
        codecs::CODEC_TYPE_PCM_U16LE,
        codecs::CODEC_TYPE_PCM_U16LE_PLANAR,
        codecs::CODEC_TYPE_PCM_U16BE,
        codecs::CODEC_TYPE_PCM_U16BE_PLANAR,
        codecs::CODEC_TYPE_PCM_U8,
        codecs::CODEC_TYPE_PCM_U8_PLANAR,
        codecs::CODEC_TYPE_PCM_F32LE,
        codecs::CODEC_TYPE_PCM_F32LE_PLANAR,
        codecs::CODEC_TYPE_PCM_F32BE,
        codecs::CODEC_TYPE_PCM_F32BE_PLANAR,
        codecs::CODEC_TYPE_PCM_F64LE,
        codecs::CODEC_TYPE_PCM_F64LE_PLANAR,
        codecs::CODEC_TYPE_PCM_F64BE,
        codecs::CODEC_TYPE_PCM_F64BE_PLANAR,
    ]
};

/// A streaming decoder for one audio file.
pub struct Decoder {
    /// The path as the user gave it, for messages.
    shown: String,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn CodecDecoder>,
    track_id: u32,
    /// Sample rate, Hz.
    sample_rate: u32,
    /// Channel count.
    channels: usize,
    /// The frame count the file declares, when it does (WAV, FLAC, AIFF do; streams may not).
    declared_frames: Option<u64>,
    /// Bytes per frame of uncompressed (PCM) data; None for compressed formats.
    pcm_frame_bytes: Option<u64>,
    /// The last decoded packet, interleaved, and how much of it has been handed out.
    packet: Option<SampleBuffer<f32>>,
    packet_len: usize,
    packet_pos: usize,
    /// Frames handed out so far.
    frames_read: u64,
    /// The end of the stream was reached.
    finished: bool,
}

/// "cannot read 'x'" or "'x' is not a readable audio file", from a symphonia error.
fn open_error(shown: &str, e: SymError) -> anyhow::Error {
    match e {
        SymError::IoError(io) if io.kind() != std::io::ErrorKind::UnexpectedEof => {
            anyhow!("cannot read '{shown}': {io}")
        }
        SymError::Unsupported(what) => {
            anyhow!("'{shown}' is not an audio file Ferrite reads ({what}); use WAV, FLAC, AIFF, Ogg Vorbis or MP3")
        }
        other => anyhow!("'{shown}' is not a readable audio file: {other}"),
    }
}

impl Decoder {
    /// Open `path` and read its header. Errors name the file and the problem.
    pub fn open(path: &Path) -> Result<Self> {
        let shown = path.display().to_string();
        if path.is_dir() {
            bail!("'{shown}' is a folder, not an audio file");
        }
        let file = fs::File::open(path).map_err(|e| anyhow!("cannot read '{shown}': {e}"))?;
        let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if file_len == 0 {
            bail!("'{shown}' is empty");
        }
        let stream = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let format_options = FormatOptions {
            enable_gapless: true,
            ..Default::default()
        };
        let probed = guarded(&shown, || {
            symphonia::default::get_probe()
                .format(&hint, stream, &format_options, &MetadataOptions::default())
                .map_err(|e| open_error(&shown, e))
        })?;
        let format = probed.format;
        let track = format
            .tracks()
            .iter()
            .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
            .ok_or_else(|| anyhow!("'{shown}' has no audio track"))?;
        let params = track.codec_params.clone();
        let track_id = track.id;
        let sample_rate = params
            .sample_rate
            .ok_or_else(|| anyhow!("'{shown}' does not say its sample rate"))?;
        if sample_rate == 0 || sample_rate > MAX_SAMPLE_RATE {
            bail!("'{shown}' has a sample rate of {sample_rate} Hz (1 to {MAX_SAMPLE_RATE} Hz are accepted)");
        }
        let channels = params.channels.map_or(0, |c| c.count());
        if channels == 0 {
            bail!("'{shown}' has no channels");
        }
        if channels > MAX_CHANNELS {
            bail!("'{shown}' has {channels} channels (at most {MAX_CHANNELS})");
        }
        // Uncompressed files declare their length through the size of their data: a file too
        // short for it is truncated, found before any audio is processed.
        let pcm = PCM_CODECS.contains(&params.codec);
        let pcm_frame_bytes = params
            .bits_per_sample
            .filter(|_| pcm)
            .map(|bits| channels as u64 * u64::from(bits.div_ceil(8)));
        if let (Some(frames), Some(frame_bytes)) = (params.n_frames, pcm_frame_bytes) {
            if frames.saturating_mul(frame_bytes) > file_len {
                bail!(
                    "'{shown}' is truncated or corrupt (its header declares {frames} frames, more than the file holds)"
                );
            }
        }
        let decoder = guarded(&shown, || {
            symphonia::default::get_codecs()
                .make(&params, &DecoderOptions::default())
                .map_err(|e| open_error(&shown, e))
        })?;
        Ok(Self {
            shown,
            format,
            decoder,
            track_id,
            sample_rate,
            channels,
            declared_frames: params.n_frames,
            pcm_frame_bytes,
            packet: None,
            packet_len: 0,
            packet_pos: 0,
            frames_read: 0,
            finished: false,
        })
    }

    /// Sample rate, Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Channel count.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The frame count the file declares, if it declares one.
    pub fn declared_frames(&self) -> Option<u64> {
        self.declared_frames
    }

    /// Frames read so far.
    pub fn frames_read(&self) -> u64 {
        self.frames_read
    }

    /// Decode the next packet of our track into `self.packet`; false at the end of the stream.
    fn next_packet(&mut self) -> Result<bool> {
        let shown = self.shown.clone();
        // Bounded: every iteration consumes a packet of the file (or ends), and a file holds
        // finitely many.
        loop {
            let packet = match self.format.next_packet() {
                Ok(p) => p,
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
                Err(SymError::ResetRequired) => return Ok(false),
                Err(e) => bail!("'{shown}' is truncated or corrupt: {e}"),
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            let decoder = &mut self.decoder;
            let decoded = guarded(&shown, || match decoder.decode(&packet) {
                Ok(buf) => {
                    let spec = *buf.spec();
                    if spec.channels.count() != self.channels {
                        bail!("'{shown}' changes its channel count midway");
                    }
                    let frames = buf.frames();
                    let reuse = self.packet.as_ref().is_some_and(|p| p.capacity() >= buf.capacity());
                    if !reuse {
                        self.packet = Some(SampleBuffer::new(buf.capacity() as u64, spec));
                    }
                    let out = self.packet.as_mut().expect("just made");
                    out.copy_interleaved_ref(buf);
                    Ok(Some(frames))
                }
                // A damaged packet in a compressed stream: skip it, as players do.
                Err(SymError::DecodeError(_)) => Ok(None),
                Err(e) => bail!("'{shown}' cannot be decoded: {e}"),
            })?;
            if let Some(frames) = decoded {
                self.packet_len = frames * self.channels;
                self.packet_pos = 0;
                if frames > 0 {
                    return Ok(true);
                }
            }
        }
    }

    /// Read up to `n` frames into `out` (one slice per channel, each at least `n` long) and
    /// return how many were read: fewer than `n` only at the end of the file.
    pub fn read(&mut self, out: &mut [&mut [f32]], n: usize) -> Result<usize> {
        let mut done = 0;
        while done < n && !self.finished {
            if self.packet_pos >= self.packet_len && !self.next_packet()? {
                self.finished = true;
                break;
            }
            let samples =
                &self.packet.as_ref().expect("a packet was decoded").samples()[self.packet_pos..self.packet_len];
            let frames = (samples.len() / self.channels).min(n - done);
            for (f, frame) in samples.chunks_exact(self.channels).take(frames).enumerate() {
                for (ch, &s) in out.iter_mut().zip(frame) {
                    ch[done + f] = s;
                }
            }
            self.packet_pos += frames * self.channels;
            done += frames;
        }
        self.frames_read += done as u64;
        if self.finished {
            // Uncompressed data that ends short of what the header declares is damaged. (Up to 8
            // bytes short is not: symphonia counts the AIFF sound chunk's 8-byte preamble as
            // frames.)
            if let (Some(declared), Some(frame_bytes)) = (self.declared_frames, self.pcm_frame_bytes) {
                if declared.saturating_sub(self.frames_read) * frame_bytes > 8 {
                    bail!(
                        "'{}' is truncated or corrupt: it ends after {} of the {declared} frames it declares",
                        self.shown,
                        self.frames_read
                    );
                }
            }
        }
        Ok(done)
    }
}

/// Runs a symphonia call, turning a panic inside it (a malformed file reaching a bug in a
/// demuxer or codec) into an error naming the file, instead of ending the process.
fn guarded<T>(shown: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(anyhow!("'{shown}' is corrupt (the decoder gave up on it)")))
}

/// Read a whole audio file into memory (impulse responses, tests). Errors name the file.
pub fn read_audio(path: &Path) -> Result<Audio> {
    let mut decoder = Decoder::open(path)?;
    let n_channels = decoder.channels();
    let shown = path.display();
    if let Some(frames) = decoder.declared_frames() {
        if frames.saturating_mul(n_channels as u64) > MAX_SAMPLES {
            bail!("'{shown}' is too large to load ({frames} frames)");
        }
    }
    let mut channels = vec![Vec::new(); n_channels];
    const CHUNK: usize = 4096;
    let mut chunk = vec![vec![0.0f32; CHUNK]; n_channels];
    loop {
        let mut slices: Vec<&mut [f32]> = chunk.iter_mut().map(|c| c.as_mut_slice()).collect();
        let got = decoder.read(&mut slices, CHUNK)?;
        for (dst, src) in channels.iter_mut().zip(&chunk) {
            dst.extend_from_slice(&src[..got]);
        }
        if (channels[0].len() as u64).saturating_mul(n_channels as u64) > MAX_SAMPLES {
            bail!("'{shown}' is too large to load");
        }
        if got < CHUNK {
            break;
        }
    }
    Ok(Audio {
        sample_rate: decoder.sample_rate(),
        channels,
    })
}

/// The same as [`read_audio`] (the name it had when only WAV was read).
pub fn read_wav(path: &Path) -> Result<Audio> {
    read_audio(path)
}

/// The sample format of a WAV output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bits {
    /// 32-bit IEEE float: every value the plugin produced, exactly.
    Float32,
    /// 24-bit integer with TPDF dither.
    Int24,
    /// 16-bit integer with TPDF dither.
    Int16,
}

impl Bits {
    /// From `--bits`: 32 (float), 24 or 16.
    pub fn from_bits(bits: u32) -> Option<Self> {
        match bits {
            32 => Some(Self::Float32),
            24 => Some(Self::Int24),
            16 => Some(Self::Int16),
            _ => None,
        }
    }

    fn bytes(self) -> usize {
        match self {
            Self::Float32 => 4,
            Self::Int24 => 3,
            Self::Int16 => 2,
        }
    }
}

/// The header's size: RIFF + fmt (18 bytes for float, 16 for PCM) + fact (float) + data.
fn header_len(bits: Bits) -> u64 {
    match bits {
        Bits::Float32 => 12 + 8 + 18 + 8 + 4 + 8,
        Bits::Int24 | Bits::Int16 => 12 + 8 + 16 + 8,
    }
}

/// Triangular (TPDF) dither of ±1 LSB peak: the difference of two uniform variables, from a
/// fixed-seed xorshift generator so that renders are reproducible.
struct Tpdf(u64);

impl Tpdf {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn next(&mut self) -> f64 {
        self.uniform() - self.uniform()
    }
}

/// A WAV file being written: see the module documentation.
pub struct WavWriter {
    /// Where the file goes when committed, as the user gave it.
    target: PathBuf,
    /// The temporary file being written, next to `target`.
    temp: PathBuf,
    out: Option<BufWriter<fs::File>>,
    channels: usize,
    bits: Bits,
    frames: u64,
    dither: Tpdf,
    /// One interleaved chunk, reused.
    scratch: Vec<u8>,
}

/// The largest data chunk a RIFF file can declare.
const MAX_DATA_BYTES: u64 = u32::MAX as u64 - 64;

impl WavWriter {
    /// Start writing `channels` channels at `sample_rate` to `target`. The temporary file is
    /// created now, so a missing folder or a lack of permission is reported before any audio is
    /// processed, naming `target`.
    pub fn create(target: &Path, channels: usize, sample_rate: u32, bits: Bits) -> Result<Self> {
        let shown = target.display();
        if target.is_dir() {
            bail!("the output '{shown}' is a folder");
        }
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            bail!(
                "cannot write '{shown}': the folder '{}' does not exist",
                folder.display()
            );
        }
        if channels == 0 || channels > u16::MAX as usize {
            bail!("cannot write '{shown}' with {channels} channels");
        }
        let temp = temp_path_for(target);
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| anyhow!("cannot write '{shown}': {e}"))?;
        let mut writer = Self {
            target: target.to_owned(),
            temp,
            out: Some(BufWriter::with_capacity(1 << 16, file)),
            channels,
            bits,
            frames: 0,
            dither: Tpdf(0x9E37_79B9_7F4A_7C15),
            scratch: Vec::new(),
        };
        writer.write_header(sample_rate)?;
        Ok(writer)
    }

    fn io_error(&self, e: std::io::Error) -> anyhow::Error {
        anyhow!("cannot write '{}': {e}", self.target.display())
    }

    /// The header with zero lengths; [`Self::commit`] fills them in.
    fn write_header(&mut self, sample_rate: u32) -> Result<()> {
        let (tag, fmt_len): (u16, u32) = match self.bits {
            Bits::Float32 => (3, 18),
            _ => (1, 16),
        };
        let block_align = (self.channels * self.bits.bytes()) as u16;
        let mut h = Vec::with_capacity(64);
        h.extend_from_slice(b"RIFF");
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(b"WAVEfmt ");
        h.extend_from_slice(&fmt_len.to_le_bytes());
        h.extend_from_slice(&tag.to_le_bytes());
        h.extend_from_slice(&(self.channels as u16).to_le_bytes());
        h.extend_from_slice(&sample_rate.to_le_bytes());
        h.extend_from_slice(&(sample_rate * u32::from(block_align)).to_le_bytes());
        h.extend_from_slice(&block_align.to_le_bytes());
        h.extend_from_slice(&((self.bits.bytes() * 8) as u16).to_le_bytes());
        if self.bits == Bits::Float32 {
            // cbSize: no extension.
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(b"fact");
            h.extend_from_slice(&4u32.to_le_bytes());
            h.extend_from_slice(&0u32.to_le_bytes());
        }
        h.extend_from_slice(b"data");
        h.extend_from_slice(&0u32.to_le_bytes());
        debug_assert_eq!(h.len() as u64, header_len(self.bits));
        let out = self.out.as_mut().expect("open until commit");
        out.write_all(&h)
            .map_err(|e| anyhow!("cannot write '{}': {e}", self.target.display()))
    }

    /// Append `frames` frames, one slice per channel (each at least `frames` long).
    pub fn write(&mut self, channels: &[&[f32]], frames: usize) -> Result<()> {
        let bytes = (self.frames + frames as u64) * (self.channels * self.bits.bytes()) as u64;
        if bytes > MAX_DATA_BYTES {
            bail!(
                "cannot write '{}': longer than a WAV file can hold (4 GiB of audio data)",
                self.target.display()
            );
        }
        self.scratch.clear();
        for i in 0..frames {
            for ch in channels.iter().take(self.channels) {
                let x = ch[i];
                let x = if x.is_finite() { x } else { 0.0 };
                match self.bits {
                    Bits::Float32 => self.scratch.extend_from_slice(&x.to_le_bytes()),
                    Bits::Int24 => {
                        let v = quantize(x, 23, self.dither.next());
                        self.scratch.extend_from_slice(&v.to_le_bytes()[..3]);
                    }
                    Bits::Int16 => {
                        let v = quantize(x, 15, self.dither.next()) as i16;
                        self.scratch.extend_from_slice(&v.to_le_bytes());
                    }
                }
            }
        }
        let scratch = std::mem::take(&mut self.scratch);
        let result = self.out.as_mut().expect("open until commit").write_all(&scratch);
        self.scratch = scratch;
        result.map_err(|e| self.io_error(e))?;
        self.frames += frames as u64;
        Ok(())
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Fill in the lengths, flush, and rename the file into place.
    pub fn commit(mut self) -> Result<()> {
        let data = self.frames * (self.channels * self.bits.bytes()) as u64;
        let pad = data % 2;
        let mut out = self.out.take().expect("open until commit");
        let finish = |out: &mut BufWriter<fs::File>| -> std::io::Result<()> {
            if pad == 1 {
                out.write_all(&[0])?;
            }
            let riff = header_len(self.bits) - 8 + data + pad;
            out.seek(SeekFrom::Start(4))?;
            out.write_all(&(riff as u32).to_le_bytes())?;
            if self.bits == Bits::Float32 {
                out.seek(SeekFrom::Start(12 + 8 + 18 + 8))?;
                out.write_all(&(self.frames as u32).to_le_bytes())?;
            }
            out.seek(SeekFrom::Start(header_len(self.bits) - 4))?;
            out.write_all(&(data as u32).to_le_bytes())?;
            out.flush()?;
            out.get_ref().sync_all()
        };
        finish(&mut out).map_err(|e| self.io_error(e))?;
        drop(out);
        fs::rename(&self.temp, &self.target)
            .with_context(|| format!("cannot move the output into place at '{}'", self.target.display()))?;
        Ok(())
    }
}

impl Drop for WavWriter {
    /// Not committed: the temporary file goes.
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// `x` (full scale ±1) as a signed integer of `bits + 1` bits, with `dither` (in LSBs) added
/// before rounding, clipped to the format's range.
fn quantize(x: f32, bits: u32, dither: f64) -> i32 {
    let scale = (1u64 << bits) as f64;
    let v = (f64::from(x) * scale + dither).round();
    v.clamp(-scale, scale - 1.0) as i32
}

/// Write `audio` as 32-bit float WAV to `path`, atomically.
pub fn write_wav_atomic(path: &Path, audio: &Audio) -> Result<()> {
    let mut writer = WavWriter::create(path, audio.channels.len(), audio.sample_rate, Bits::Float32)?;
    let slices: Vec<&[f32]> = audio.channels.iter().map(Vec::as_slice).collect();
    writer.write(&slices, audio.frames())?;
    writer.commit()
}

/// A temporary file next to `path` (same folder, so the final rename is atomic), unique to this
/// process and call.
fn temp_path_for(path: &Path) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial-{}-{n}", std::process::id()))
}

/// True when `a` and `b` name the same file (also when `b` does not exist yet but resolves to
/// the same place through its parent folder).
pub fn same_file(a: &Path, b: &Path) -> bool {
    fn resolve(p: &Path) -> Option<PathBuf> {
        if let Ok(c) = fs::canonicalize(p) {
            return Some(c);
        }
        let parent = p
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Some(fs::canonicalize(parent).ok()?.join(p.file_name()?))
    }
    match (resolve(a), resolve(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantizing_rounds_clips_and_dithers_within_one_lsb() {
        assert_eq!(quantize(0.5, 15, 0.0), 16384);
        assert_eq!(quantize(1.0, 15, 0.0), 32767);
        assert_eq!(quantize(-1.0, 15, 0.0), -32768);
        assert_eq!(quantize(-2.0, 23, 0.0), -(1 << 23));
        let mut d = Tpdf(1);
        let (mut sum, mut sum2, n) = (0.0, 0.0, 100_000);
        for _ in 0..n {
            let v = d.next();
            assert!(v.abs() < 1.0);
            sum += v;
            sum2 += v * v;
        }
        // TPDF of ±1 LSB: mean 0, variance 1/6.
        assert!((sum / n as f64).abs() < 0.01);
        assert!((sum2 / n as f64 - 1.0 / 6.0).abs() < 0.01);
    }
}
