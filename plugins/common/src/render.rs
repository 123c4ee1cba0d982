//! `render`: audio files through a plugin's own `process`, streamed.
//!
//! Each file is decoded, processed and written in blocks of `--block` frames, so memory stays
//! flat with the file's length. Everything that can fail on the way in (the input, the output's
//! folder and permissions, the sidechain, the impulse response, the parameter values) is checked
//! before the first block is processed; the output goes to a temporary file that is renamed into
//! place only when the whole file has been rendered, so a failure or a signal never leaves a
//! partial output or touches an existing one.
//!
//! The tail: with `--tail SECONDS` the output is exactly the input's length plus that. Without
//! it, rendering goes on after the input until the output has stayed below −120 dBFS for
//! [`SILENCE_HOLD_SECONDS`], within the tail the plugin reports (none for a plugin without one;
//! for one that may sound forever, a frozen reverb or a self-oscillating filter, at most
//! [`MAX_AUTO_TAIL_SECONDS`], and it says so); the silent end is cut off, so the file ends where
//! its tail does.
//!
//! Several inputs with `--out-dir` are rendered in parallel, one per core; one failing file does
//! not stop or touch the others.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use nice_plug::prelude::*;

use crate::audio_file::{self, Audio, Bits, Decoder, WavWriter};
use crate::cli::FerritePlugin;
use crate::host::{layout_for_channels, OfflineHost};
use crate::settings::{self, Setting};

/// Silence, for the automatic tail: −120 dBFS.
pub const SILENCE: f32 = 1e-6;
/// How long the output must stay below [`SILENCE`] after the input for the automatic tail to
/// end: longer than the longest predelay or gap a plugin leaves before its tail (the reverb's
/// predelay goes to 0.5 s).
pub const SILENCE_HOLD_SECONDS: f64 = 1.0;
/// The automatic tail of a plugin that may sound forever ends here, with a message.
pub const MAX_AUTO_TAIL_SECONDS: f64 = 30.0;

/// Set by SIGINT/SIGTERM/SIGHUP while rendering: every render stops at its next block and
/// removes its temporary file.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// How long the output runs past the input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tail {
    /// Until the output falls silent, within the plugin's reported tail.
    Auto,
    /// Exactly this many seconds.
    Seconds(f64),
}

/// Everything `render` applies to every file.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// Parameter values (from `--preset` and `--set`, in that order).
    pub settings: Vec<Setting>,
    /// The sidechain file, if any.
    pub sidechain: Option<PathBuf>,
    /// The impulse response file, if any.
    pub ir: Option<PathBuf>,
    /// Host block size.
    pub block: usize,
    /// The tail after the input.
    pub tail: Tail,
    /// The output's sample format.
    pub bits: Bits,
}

/// Marks an error that happened while processing (exit 1) rather than in the input (exit 2).
#[derive(Debug)]
pub struct ProcessingFailed(pub String);
impl std::fmt::Display for ProcessingFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ProcessingFailed {}

/// Marks a render stopped by a signal (exit 130).
#[derive(Debug)]
pub struct Interrupted;
impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted; nothing was written")
    }
}
impl std::error::Error for Interrupted {}

/// What one rendered file reports.
#[derive(Debug)]
pub struct Report {
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Channels.
    pub channels: usize,
    /// Input frames.
    pub input_frames: u64,
    /// Output frames written (the input's length plus the tail).
    pub output_frames: u64,
    /// Frames processed by the plugin (the output, the latency, and silence cut off).
    pub processed_frames: u64,
    /// Wall-clock time, seconds.
    pub elapsed: f64,
    /// Things the user should know that are not errors.
    pub warnings: Vec<String>,
}

impl Report {
    /// "1.23 s of audio (48000 Hz, 2 ch) in 0.05 s: 24.6x realtime"
    pub fn summary(&self) -> String {
        let seconds = self.output_frames as f64 / f64::from(self.sample_rate);
        format!(
            "{seconds:.2} s of audio ({} Hz, {} ch) in {:.2} s: {:.1}x realtime",
            self.sample_rate,
            self.channels,
            self.elapsed,
            self.processed_frames as f64 / f64::from(self.sample_rate) / self.elapsed.max(1e-9)
        )
    }
}

/// Install the handler that turns SIGINT, SIGTERM and SIGHUP into [`INTERRUPTED`].
pub fn catch_signals() {
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

/// The sidechain feed for one render.
enum SidechainFeed {
    /// Same rate as the input: decoded as it goes.
    Stream { decoder: Decoder, staging: Vec<Vec<f32>>, ended: bool },
    /// Another rate: decoded and resampled to the input's rate up front.
    Memory { audio: Audio, pos: usize },
}

struct Sidechain {
    feed: SidechainFeed,
    shown: String,
    /// Frames the file provided, once it has ended.
    ended_at: Option<u64>,
    /// Frames fed so far.
    fed: u64,
}

impl Sidechain {
    /// Open and check `path` against the plugin's sidechain port of `port_channels` channels
    /// (a mono file feeds every channel; a file with as many channels as the port feeds them one
    /// to one; a stereo file on a mono port feeds it its left channel).
    fn open(path: &Path, port_channels: usize, rate: u32, block: usize) -> Result<Self> {
        let shown = path.display().to_string();
        let decoder = Decoder::open(path)?;
        let n = decoder.channels();
        let fits = n == 1 || n == port_channels || (port_channels == 1 && n == 2);
        if !fits {
            let usable = if port_channels == 1 { "1 or 2".to_string() } else { format!("1 or {port_channels}") };
            bail!("the sidechain '{shown}' has {n} channels; use {usable}");
        }
        let feed = if decoder.sample_rate() == rate {
            SidechainFeed::Stream { decoder, staging: vec![vec![0.0; block]; n], ended: false }
        } else {
            let from = decoder.sample_rate();
            drop(decoder);
            let audio = audio_file::read_audio(path)?;
            let channels = ferrite_dsp::reverb::convolution::resample_ir(&audio.channels, f64::from(from), f64::from(rate))
                .map_err(|e| anyhow!("cannot resample the sidechain '{shown}': {e}"))?;
            SidechainFeed::Memory { audio: Audio { sample_rate: rate, channels }, pos: 0 }
        };
        Ok(Self { feed, shown, ended_at: None, fed: 0 })
    }

    /// Fill the first `len` samples of every channel of `port`.
    fn fill(&mut self, port: &mut [Vec<f32>], len: usize) -> Result<()> {
        let (source, got): (&[Vec<f32>], usize) = match &mut self.feed {
            SidechainFeed::Stream { decoder, staging, ended } => {
                let got = if *ended {
                    0
                } else {
                    let mut slices: Vec<&mut [f32]> = staging.iter_mut().map(|c| &mut c[..]).collect();
                    decoder.read(&mut slices, len)?
                };
                if got < len {
                    *ended = true;
                }
                (staging.as_slice(), got)
            }
            SidechainFeed::Memory { audio, pos } => {
                let got = len.min(audio.frames().saturating_sub(*pos));
                for (dst, src) in port.iter_mut().enumerate().map(|(c, d)| (d, audio.channels.get(c).unwrap_or(&audio.channels[0]))) {
                    dst[..got].copy_from_slice(&src[*pos..*pos + got]);
                    dst[got..len].fill(0.0);
                }
                *pos += got;
                if got < len && self.ended_at.is_none() {
                    self.ended_at = Some(self.fed + got as u64);
                }
                self.fed += len as u64;
                return Ok(());
            }
        };
        for (c, dst) in port.iter_mut().enumerate() {
            let src = source.get(c).unwrap_or(&source[0]);
            dst[..got].copy_from_slice(&src[..got]);
            dst[got..len].fill(0.0);
        }
        if got < len && self.ended_at.is_none() {
            self.ended_at = Some(self.fed + got as u64);
        }
        self.fed += len as u64;
        Ok(())
    }
}

/// The silent end of the automatic tail, held back until it is known whether sound follows.
struct Held {
    frames: Vec<Vec<f32>>,
    len: usize,
}

impl Held {
    fn push(&mut self, frame: impl Iterator<Item = f32>) {
        for (ch, x) in self.frames.iter_mut().zip(frame) {
            ch[self.len] = x;
        }
        self.len += 1;
    }

    fn flush(&mut self, writer: &mut WavWriter) -> Result<()> {
        if self.len > 0 {
            let slices: Vec<&[f32]> = self.frames.iter().map(|c| &c[..self.len]).collect();
            writer.write(&slices, self.len)?;
            self.len = 0;
        }
        Ok(())
    }
}

/// Render `input` into `output` with `options`: see the module documentation. `progress`, if
/// given, follows the output frames.
pub fn render_file<P: FerritePlugin>(
    options: &RenderOptions,
    input: &Path,
    output: &Path,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<Report> {
    let started = Instant::now();
    if audio_file::same_file(input, output) {
        bail!("the output '{}' is the input file", output.display());
    }
    if output.is_dir() {
        bail!("the output '{}' is a folder", output.display());
    }
    let mut decoder = Decoder::open(input)?;
    let (rate, n_channels) = (decoder.sample_rate(), decoder.channels());
    let block = options.block.max(1);

    let mut host = OfflineHost::<P>::new();
    settings::apply(host.params().as_ref(), &options.settings);
    let layout = layout_for_channels::<P>(n_channels).ok_or_else(|| {
        let supported: Vec<String> = P::AUDIO_IO_LAYOUTS
            .iter()
            .filter_map(|l| l.main_input_channels.map(|c| c.get().to_string()))
            .collect();
        anyhow!("'{}' has {n_channels} channels; {} takes {}", input.display(), P::CLI_NAME, supported.join(" or "))
    })?;
    let mut sidechain = match &options.sidechain {
        None => None,
        Some(path) => {
            let Some(port) = layout.aux_input_ports.first() else {
                bail!("{} has no sidechain input", P::CLI_NAME);
            };
            Some(Sidechain::open(path, port.get() as usize, rate, block)?)
        }
    };
    if let Some(ir) = &options.ir {
        host.plugin().load_impulse_response(ir)?;
    }
    host.plugin().check_render(options.ir.is_some())?;

    // The first block of input, read before anything is written: an input without audio is an
    // error, not an empty output.
    let mut staging = vec![vec![0.0f32; block]; n_channels];
    let mut got = {
        let mut slices: Vec<&mut [f32]> = staging.iter_mut().map(|c| &mut c[..]).collect();
        decoder.read(&mut slices, block)?
    };
    if got == 0 {
        bail!("'{}' has no audio (0 samples)", input.display());
    }
    let mut writer = WavWriter::create(output, n_channels, rate, options.bits)?;
    host.activate(layout, rate as f32, block)?;
    let latency = u64::from(host.latency());

    let fixed_tail = match options.tail {
        Tail::Seconds(s) => Some((s * f64::from(rate)).round() as u64),
        Tail::Auto => None,
    };
    let hold = (SILENCE_HOLD_SECONDS * f64::from(rate)).round() as usize;
    let mut held = Held {
        frames: if fixed_tail.is_none() { vec![vec![0.0; hold]; n_channels] } else { Vec::new() },
        len: 0,
    };
    let mut warnings = Vec::new();
    if let Some(bar) = progress {
        bar.set_length(decoder.declared_frames().unwrap_or(0) + fixed_tail.unwrap_or(0));
    }

    // Frames given to the plugin; the input's length once its end has been read.
    let mut fed: u64 = 0;
    let mut input_end: Option<u64> = (got < block).then_some(got as u64);
    // The automatic tail ends at this output frame at the latest (set when the tail begins).
    let mut tail_bound: Option<u64> = None;
    let mut capped = false;
    'blocks: loop {
        if INTERRUPTED.load(Ordering::Relaxed) {
            return Err(Interrupted.into());
        }
        let len = match (input_end, fixed_tail) {
            (Some(end), Some(tail)) => {
                let total = end + tail + latency;
                if fed >= total {
                    break;
                }
                (total - fed).min(block as u64) as usize
            }
            _ => block,
        };
        {
            let (main, aux) = host.buffers_mut();
            for (buf, src) in main.iter_mut().zip(&staging) {
                buf[..got].copy_from_slice(&src[..got]);
                buf[got..len].fill(0.0);
            }
            if let (Some(sc), Some(port)) = (sidechain.as_mut(), aux.first_mut()) {
                sc.fill(port, len)?;
            }
        }
        let status = match host.process(len) {
            ProcessStatus::Error(e) => {
                return Err(ProcessingFailed(format!("the plugin failed while processing: {e}")).into())
            }
            s => s,
        };
        let (main, _) = host.buffers_mut();
        // Output frame of this block's first sample (negative within the latency).
        let first = fed as i64 - latency as i64;
        let skip = (-first).max(0) as usize;
        match fixed_tail {
            Some(tail) => {
                let mut end = len;
                if let Some(input_end) = input_end {
                    let limit = (input_end + tail) as i64 - first;
                    end = end.min(limit.max(0) as usize);
                }
                if end > skip {
                    let slices: Vec<&[f32]> = main.iter().map(|c| &c[skip..end]).collect();
                    writer.write(&slices, end - skip)?;
                }
            }
            None => {
                // Up to the input's end the output is written as it comes; after it, each frame
                // is checked against silence.
                let mut k = skip;
                while k < len {
                    let o = (first + k as i64) as u64;
                    match input_end {
                        Some(end) if o >= end => {
                            let bound = *tail_bound.get_or_insert_with(|| {
                                let longest = (crate::cli::MAX_TAIL_SECONDS * f64::from(rate)) as u64;
                                end + match status {
                                    ProcessStatus::Tail(n) => u64::from(n).min(longest),
                                    ProcessStatus::KeepAlive => (MAX_AUTO_TAIL_SECONDS * f64::from(rate)) as u64,
                                    _ => 0,
                                }
                            });
                            if o >= bound {
                                capped = held.len == 0 && matches!(status, ProcessStatus::KeepAlive);
                                break 'blocks;
                            }
                            let loud = main.iter().any(|c| c[k].abs() > SILENCE);
                            if loud {
                                held.flush(&mut writer)?;
                                let slices: Vec<&[f32]> = main.iter().map(|c| &c[k..k + 1]).collect();
                                writer.write(&slices, 1)?;
                            } else {
                                held.push(main.iter().map(|c| c[k]));
                                if held.len >= hold {
                                    break 'blocks;
                                }
                            }
                            k += 1;
                        }
                        _ => {
                            // Frames before the input's end, in one write.
                            let stop = match input_end {
                                Some(end) => ((end as i64 - first) as usize).min(len),
                                None => len,
                            };
                            let slices: Vec<&[f32]> = main.iter().map(|c| &c[k..stop]).collect();
                            writer.write(&slices, stop - k)?;
                            k = stop;
                        }
                    }
                }
            }
        }
        fed += len as u64;
        if let Some(bar) = progress {
            let pos = writer.frames();
            if pos > bar.length().unwrap_or(0) {
                bar.set_length(pos);
            }
            bar.set_position(pos);
        }
        got = 0;
        if input_end.is_none() {
            let mut slices: Vec<&mut [f32]> = staging.iter_mut().map(|c| &mut c[..]).collect();
            got = decoder.read(&mut slices, block)?;
            if got < block {
                input_end = Some(fed + got as u64);
            }
        }
    }
    let input_frames = input_end.unwrap_or(fed);
    if capped {
        warnings.push(format!(
            "the tail had not died away after {MAX_AUTO_TAIL_SECONDS} s (a frozen reverb or a self-oscillating \
             filter sounds forever); it stops there (--tail SECONDS sets its length)"
        ));
    }
    if let Some(sc) = &sidechain {
        if let Some(end) = sc.ended_at.filter(|&e| e < input_frames) {
            warnings.push(format!(
                "the sidechain '{}' ({:.2} s) is shorter than the input ({:.2} s); it was padded with silence",
                sc.shown,
                end as f64 / f64::from(rate),
                input_frames as f64 / f64::from(rate)
            ));
        }
    }
    let output_frames = writer.frames();
    writer.commit()?;
    Ok(Report {
        sample_rate: rate,
        channels: n_channels,
        input_frames,
        output_frames,
        processed_frames: fed,
        elapsed: started.elapsed().as_secs_f64(),
        warnings,
    })
}

/// The output for `input` in `dir`: its name with the extension `.wav`.
pub fn output_in(dir: &Path, input: &Path) -> PathBuf {
    let stem = input.file_stem().map(|s| s.to_os_string()).unwrap_or_default();
    let mut name = stem;
    name.push(".wav");
    dir.join(name)
}

/// The outcome of a batch: per input, the report or the error.
pub type BatchResult = Vec<(PathBuf, PathBuf, Result<Report>)>;

/// Render every input into `dir` on `jobs` threads. Every file is rendered (or fails) on its
/// own; the results come back in the inputs' order.
pub fn render_batch<P: FerritePlugin>(options: &RenderOptions, inputs: &[PathBuf], dir: &Path, jobs: usize) -> Result<BatchResult> {
    if !dir.is_dir() {
        bail!("the output folder '{}' does not exist", dir.display());
    }
    let outputs: Vec<PathBuf> = inputs.iter().map(|i| output_in(dir, i)).collect();
    for (i, out) in outputs.iter().enumerate() {
        if let Some(j) = outputs[..i].iter().position(|o| o == out) {
            bail!(
                "'{}' and '{}' would both be written to '{}'",
                inputs[j].display(),
                inputs[i].display(),
                out.display()
            );
        }
    }
    let bars = std::io::stderr().is_terminal().then(indicatif::MultiProgress::new);
    let style = indicatif::ProgressStyle::with_template("{prefix:24!} {bar:30} {percent:>3}% {elapsed} (eta {eta}) {msg}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<Report>>> = (0..inputs.len()).map(|_| None).collect();
    let slots: Vec<std::sync::Mutex<Option<Result<Report>>>> = (0..inputs.len()).map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, inputs.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= inputs.len() {
                    break;
                }
                let bar = bars.as_ref().map(|m| {
                    let bar = m.add(indicatif::ProgressBar::new(0));
                    bar.set_style(style.clone());
                    bar.set_prefix(inputs[i].file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
                    bar
                });
                let result = render_file::<P>(options, &inputs[i], &outputs[i], bar.as_ref());
                if let Some(bar) = bar {
                    match &result {
                        Ok(_) => bar.finish_with_message("done"),
                        Err(_) => bar.abandon_with_message("failed"),
                    }
                }
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(result);
                }
            });
        }
    });
    for (r, slot) in results.iter_mut().zip(slots) {
        *r = slot.into_inner().ok().flatten();
    }
    Ok(inputs
        .iter()
        .zip(outputs)
        .zip(results)
        .map(|((i, o), r)| (i.clone(), o, r.unwrap_or_else(|| Err(anyhow!("not rendered")))))
        .collect())
}

/// Parameter values from `--preset` (a preset's name or a file, see [`crate::presets::resolve`];
/// completed with the defaults of every parameter it does not set) and `--set`, validated
/// against `P`'s parameters.
pub fn parse_settings<P: FerritePlugin>(preset: Option<&str>, sets: &[String]) -> Result<Vec<Setting>> {
    let params = P::default().params();
    let mut settings = Vec::new();
    if let Some(preset) = preset {
        let (what, text) = crate::presets::resolve(P::CLI_NAME, P::factory_presets(), preset)?;
        settings.extend(crate::presets::complete(params.as_ref(), &text).with_context(|| what)?);
    }
    for raw in sets {
        settings.push(settings::parse_setting(params.as_ref(), raw)?);
    }
    Ok(settings)
}

/// Run `input` (and the optional sidechain) through an activated host in blocks of `block`,
/// compensate the reported latency, and return `input length + tail` samples per channel: the
/// whole render in memory, the plain reference the streaming [`render_file`] is tested against.
pub fn run_offline<P: Plugin>(
    host: &mut OfflineHost<P>,
    input: &Audio,
    sidechain: Option<&Audio>,
    block: usize,
    tail_seconds: f64,
) -> Result<Audio> {
    let frames = input.frames();
    let tail = (tail_seconds * f64::from(input.sample_rate)).round() as usize;
    let latency = host.latency() as usize;
    let total = frames + tail + latency;
    let n_channels = input.channels.len();
    let mut processed = vec![Vec::with_capacity(total); n_channels];
    let mut pos = 0;
    while pos < total {
        let len = block.min(total - pos);
        let (main, aux) = host.buffers_mut();
        for (buf, src) in main.iter_mut().zip(&input.channels) {
            for (i, s) in buf[..len].iter_mut().enumerate() {
                *s = src.get(pos + i).copied().unwrap_or(0.0);
            }
        }
        if let Some(port) = aux.first_mut() {
            for (c, buf) in port.iter_mut().enumerate() {
                for (i, s) in buf[..len].iter_mut().enumerate() {
                    *s = sidechain
                        .and_then(|sc| sc.channels.get(c).or_else(|| sc.channels.first()))
                        .and_then(|ch| ch.get(pos + i))
                        .copied()
                        .unwrap_or(0.0);
                }
            }
        }
        if let ProcessStatus::Error(e) = host.process(len) {
            return Err(ProcessingFailed(format!("the plugin failed while processing: {e}")).into());
        }
        let (main, _) = host.buffers_mut();
        for (out, buf) in processed.iter_mut().zip(main.iter()) {
            out.extend_from_slice(&buf[..len]);
        }
        pos += len;
    }
    let channels = processed.into_iter().map(|c| c[latency..latency + frames + tail].to_vec()).collect();
    Ok(Audio { sample_rate: input.sample_rate, channels })
}
