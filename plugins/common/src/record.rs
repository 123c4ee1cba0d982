//! `--record FILE` and `--record-inputs FILE` in the standalone app: what the app sends to its
//! outputs (and, for the second, what reaches its inputs) written to 32-bit float WAV files at
//! the stream's sample rate, sample for sample.
//!
//! - **The audio thread.** The plugin instance the standalone's wrapper builds takes a [`Tap`]
//!   in its `Default` (not real-time) from the [`Session`] the standalone installed before
//!   running the wrapper; only the first instance built after that gets one, and inside a
//!   plugin host there is no session, so the audio thread's cost there is one `None` check.
//!   `process` copies the block's inputs (before processing) and outputs (after) into
//!   wait-free single-producer rings (`rtrb`): no allocation, lock or system call, a bounded
//!   copy. When a ring has no room for the whole block, the block is left out of both files
//!   (so they stay aligned with each other) and its frames are counted in an atomic.
//! - **The writer thread** drains the rings every [`WRITER_TICK`] into the files (`hound`)
//!   and rewrites the WAV headers every [`HEADER_EVERY`] (hound's `flush`), so a file killed
//!   mid-take (SIGKILL, a crash, a power cut) is still a valid WAV of all but the last moments.
//!   Lost frames are reported in one line as they happen (at most once a second), and the
//!   total again at the end: never silently.
//! - **The end.** [`finish`] drains what the audio thread has pushed and finalises the headers.
//!   The standalone calls it when the wrapper returns, and the guard (`standalone`) before every
//!   `_exit` (a lost JACK server, a lost ALSA device, SIGINT/SIGTERM grace): it takes the
//!   writer's lock, never anything of the audio thread's, and gives up after [`FINISH_TIMEOUT`]
//!   if the writer is stuck in the file system.
//!
//! The rings hold [`RING_SECONDS`] of audio, so the disk may stall that long without a loss.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, TryLockError};
use std::time::{Duration, Instant};

/// Our option: record the outputs to FILE.
pub const RECORD_FLAG: &str = "--record";
/// Our option: record the inputs (main, then sidechain channels) to FILE.
pub const RECORD_INPUTS_FLAG: &str = "--record-inputs";
/// Audio the rings hold, seconds: how long the writer thread (the disk) may fall behind before
/// frames are lost.
pub const RING_SECONDS: f64 = 1.0;
/// How often the writer thread drains the rings: often enough that the rings stay nearly
/// empty, rarely enough that the thread costs nothing (no busy spin).
pub const WRITER_TICK: Duration = Duration::from_millis(5);
/// How often the writer thread makes the WAV headers match the data written so far.
pub const HEADER_EVERY: Duration = Duration::from_millis(500);
/// The longest [`finish`] waits for the writer thread's lock (a writer stuck in a hung file
/// system must not keep the app from ending).
pub const FINISH_TIMEOUT: Duration = Duration::from_secs(2);
/// Lost frames are reported by the writer thread at most this often.
const LOSS_REPORT_EVERY: Duration = Duration::from_secs(1);

/// One file being recorded: where, and the file created for it.
struct Target {
    path: PathBuf,
    file: File,
}

impl Target {
    /// Creates (or truncates) `path`: the error is one line naming it.
    fn create(path: &Path, what: &str) -> Result<Self, String> {
        let file = File::create(path).map_err(|e| format!("cannot create the {what} recording '{}': {e}", path.display()))?;
        Ok(Self { path: path.to_owned(), file })
    }
}

/// A file being written: the ring it is fed from, its channels and the WAV writer.
struct Stream {
    path: PathBuf,
    consumer: rtrb::Consumer<f32>,
    wav: hound::WavWriter<BufWriter<File>>,
}

impl Stream {
    /// Writes everything the ring holds (always whole frames: the audio thread commits a block
    /// at a time).
    fn drain(&mut self) -> Result<(), String> {
        let n = self.consumer.slots();
        if n == 0 {
            return Ok(());
        }
        let error = |e: &dyn std::fmt::Display| format!("recording to '{}' stopped: {e}", self.path.display());
        let chunk = self.consumer.read_chunk(n).map_err(|e| error(&e))?;
        let (a, b) = chunk.as_slices();
        for &x in a.iter().chain(b) {
            self.wav.write_sample(x).map_err(|e| error(&e))?;
        }
        chunk.commit_all();
        Ok(())
    }

    /// Makes the header match the data so far, and pushes the data to the file.
    fn flush(&mut self) -> Result<(), String> {
        self.wav.flush().map_err(|e| format!("recording to '{}' stopped: {e}", self.path.display()))
    }
}

/// The tap's ends of the outputs and inputs rings (each `None` when that file is not recorded).
type Producers = (Option<rtrb::Producer<f32>>, Option<rtrb::Producer<f32>>);

/// Where a session is (one per process, so the variants' sizes do not matter).
#[allow(clippy::large_enum_variant)]
enum State {
    /// Files created; the stream's format is not known yet (the plugin is not active).
    Created { outputs: Option<Target>, inputs: Option<Target> },
    /// The writer thread drains the rings into the files.
    Writing { outputs: Option<Stream>, inputs: Option<Stream>, last_flush: Instant },
    /// Finalised, or stopped by an error (reported).
    Done,
}

/// A recording: its files, the writer's state and the count of lost frames. Shared by the tap
/// (audio thread: the counter only), the writer thread and [`finish`].
pub struct Session {
    /// The app's name, for messages.
    cli_name: String,
    /// Everything but the counters, behind the writer's lock (never taken on the audio thread).
    state: Mutex<State>,
    /// Frames left out because a ring was full (written by the audio thread).
    lost: AtomicU64,
    /// Lost frames reported so far.
    reported: AtomicU64,
    /// A tap has been handed out (only one instance records).
    tapped: AtomicBool,
    /// [`Session::finish`] has reported the total loss.
    total_reported: AtomicBool,
}

impl Session {
    /// Creates the files (`outputs`: the app's outputs; `inputs`: its inputs), so that a path
    /// that cannot be written is refused before any audio device is opened. `None` when
    /// neither is asked for.
    pub fn create(cli_name: &str, outputs: Option<&Path>, inputs: Option<&Path>) -> Result<Option<Arc<Self>>, String> {
        if outputs.is_none() && inputs.is_none() {
            return Ok(None);
        }
        if let (Some(a), Some(b)) = (outputs, inputs) {
            if a == b {
                return Err(format!("{RECORD_FLAG} and {RECORD_INPUTS_FLAG} name the same file '{}'", a.display()));
            }
        }
        let outputs = outputs.map(|p| Target::create(p, "output")).transpose()?;
        let inputs = match inputs.map(|p| Target::create(p, "input")).transpose() {
            Ok(t) => t,
            Err(e) => {
                if let Some(t) = outputs {
                    let _ = std::fs::remove_file(&t.path);
                }
                return Err(e);
            }
        };
        Ok(Some(Arc::new(Self {
            cli_name: cli_name.to_owned(),
            state: Mutex::new(State::Created { outputs, inputs }),
            lost: AtomicU64::new(0),
            reported: AtomicU64::new(0),
            tapped: AtomicBool::new(false),
            total_reported: AtomicBool::new(false),
        })))
    }

    /// The audio thread's side, for the first caller only.
    pub fn tap(self: &Arc<Self>) -> Option<Tap> {
        if self.tapped.swap(true, Ordering::SeqCst) {
            return None;
        }
        Some(Tap { session: self.clone(), outputs: None, inputs: None, format: None, pending: false })
    }

    /// Frames left out so far because a ring was full.
    pub fn lost_frames(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }

    /// Holds the writer thread while the returned value lives: nothing is drained, so the
    /// rings fill up (for tests of the overflow path). Drop it before [`Session::finish`].
    pub fn hold_writer(&self) -> WriterHold<'_> {
        WriterHold(self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The writer's lock, waiting at most `limit` (a poisoned lock is still usable: the state
    /// is consistent between calls).
    fn lock_within(&self, limit: Duration) -> Option<MutexGuard<'_, State>> {
        let deadline = Instant::now() + limit;
        loop {
            match self.state.try_lock() {
                Ok(guard) => return Some(guard),
                Err(TryLockError::Poisoned(e)) => return Some(e.into_inner()),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(1)),
                Err(TryLockError::WouldBlock) => return None,
            }
        }
    }

    /// The files and rings for a stream of `format`; starts the writer thread. Called from the
    /// plugin's `activate` (not real-time). The producers for the tap, or one line saying why
    /// not.
    fn start(self: &Arc<Self>, format: Format) -> Result<Producers, String> {
        let mut state = self.lock_within(FINISH_TIMEOUT).ok_or("the recording's writer is stuck")?;
        let State::Created { outputs, inputs } = std::mem::replace(&mut *state, State::Done) else {
            return Err("the recording has already ended".into());
        };
        let frames = format.ring_frames();
        let open = |target: Option<Target>, channels: usize| -> Result<Option<(Stream, rtrb::Producer<f32>)>, String> {
            let Some(Target { path, file }) = target else { return Ok(None) };
            if channels == 0 {
                let _ = std::fs::remove_file(&path);
                return Err(format!("nothing to record to '{}': the layout has no such channels", path.display()));
            }
            let spec = hound::WavSpec {
                channels: channels as u16,
                sample_rate: format.sample_rate,
                bits_per_sample: 32,
                sample_format: hound::SampleFormat::Float,
            };
            let wav = hound::WavWriter::new(BufWriter::new(file), spec)
                .map_err(|e| format!("cannot write the recording '{}': {e}", path.display()))?;
            let (producer, consumer) = rtrb::RingBuffer::new(frames * channels);
            Ok(Some((Stream { path, consumer, wav }, producer)))
        };
        let outputs = open(outputs, format.outputs)?;
        let inputs = open(inputs, format.input_file_channels())?;
        let (out_stream, out_producer) = outputs.map_or((None, None), |(s, p)| (Some(s), Some(p)));
        let (in_stream, in_producer) = inputs.map_or((None, None), |(s, p)| (Some(s), Some(p)));
        *state = State::Writing { outputs: out_stream, inputs: in_stream, last_flush: Instant::now() };
        drop(state);
        let session = self.clone();
        std::thread::Builder::new()
            .name("ferrite-record".into())
            .spawn(move || session.write_until_done())
            .map_err(|e| format!("cannot start the recording's writer thread: {e}"))?;
        Ok((out_producer, in_producer))
    }

    /// The writer thread: drain every [`WRITER_TICK`], update the headers every
    /// [`HEADER_EVERY`], report losses; ends when the session is finished or an error stops it.
    fn write_until_done(self: Arc<Self>) {
        let mut last_report = Instant::now() - LOSS_REPORT_EVERY;
        loop {
            std::thread::sleep(WRITER_TICK);
            {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let State::Writing { outputs, inputs, last_flush } = &mut *state else { return };
                let flush = last_flush.elapsed() >= HEADER_EVERY;
                let mut result = Ok(());
                for stream in outputs.iter_mut().chain(inputs.iter_mut()) {
                    result = result.and_then(|()| stream.drain());
                    if flush {
                        result = result.and_then(|()| stream.flush());
                    }
                }
                if flush {
                    *last_flush = Instant::now();
                }
                if let Err(e) = result {
                    // Keep what was written: finalise both files (their headers), then stop.
                    let State::Writing { outputs, inputs, .. } = std::mem::replace(&mut *state, State::Done) else { return };
                    for stream in outputs.into_iter().chain(inputs) {
                        let _ = stream.wav.finalize();
                    }
                    eprintln!("{}: {e}", self.cli_name);
                    return;
                }
            }
            if last_report.elapsed() >= LOSS_REPORT_EVERY && self.report_losses() {
                last_report = Instant::now();
            }
        }
    }

    /// Prints one line if frames were lost since the last report. Whether it printed.
    fn report_losses(&self) -> bool {
        let lost = self.lost.load(Ordering::Relaxed);
        let before = self.reported.swap(lost, Ordering::Relaxed);
        if lost == before {
            return false;
        }
        eprintln!("{}: recording: {} frames lost (the writer fell behind; {lost} so far)", self.cli_name, lost - before);
        true
    }

    /// Drains what the audio thread has pushed and finalises the files (a session that never
    /// started removes its empty files); reports lost frames. Never waits for the audio
    /// thread; waits at most [`FINISH_TIMEOUT`] for the writer thread. Safe to call more than
    /// once, and from any thread but a signal handler.
    pub fn finish(&self) {
        let Some(mut state) = self.lock_within(FINISH_TIMEOUT) else {
            eprintln!("{}: recording: the writer is stuck; the files may end early", self.cli_name);
            return;
        };
        match std::mem::replace(&mut *state, State::Done) {
            State::Created { outputs, inputs } => {
                for t in outputs.into_iter().chain(inputs) {
                    drop(t.file);
                    let _ = std::fs::remove_file(&t.path);
                }
            }
            State::Writing { outputs, inputs, .. } => {
                for mut stream in outputs.into_iter().chain(inputs) {
                    let drained = stream.drain();
                    let path = stream.path.clone();
                    let finalised = stream.wav.finalize().map_err(|e| format!("recording to '{}' stopped: {e}", path.display()));
                    if let Err(e) = drained.and(finalised) {
                        eprintln!("{}: {e}", self.cli_name);
                    }
                }
            }
            State::Done => {}
        }
        drop(state);
        let lost = self.lost.load(Ordering::Relaxed);
        if lost > 0 && !self.total_reported.swap(true, Ordering::Relaxed) {
            eprintln!(
                "{}: recording: {lost} frames lost in all (the writer fell behind); the recording is that much shorter than what was played",
                self.cli_name
            );
        }
    }
}

/// The writer thread held (see [`Session::hold_writer`]).
pub struct WriterHold<'a>(#[allow(dead_code)] MutexGuard<'a, State>);

/// The stream a tap records: sample rate and channel counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// Frames a second.
    pub sample_rate: u32,
    /// Main output channels (the outputs file).
    pub outputs: usize,
    /// Main input channels (the inputs file's first channels).
    pub inputs: usize,
    /// Sidechain (first auxiliary input) channels (the inputs file's last channels).
    pub sidechain: usize,
    /// The largest block the host will send.
    pub max_block: usize,
}

impl Format {
    /// Channels of the inputs file: the main inputs, then the sidechain.
    pub fn input_file_channels(&self) -> usize {
        self.inputs + self.sidechain
    }

    /// Frames a ring holds: [`RING_SECONDS`], and at least four of the largest blocks.
    fn ring_frames(&self) -> usize {
        ((self.sample_rate as f64 * RING_SECONDS).ceil() as usize).max(4 * self.max_block).max(1)
    }
}

/// The audio thread's side of a [`Session`], owned by the plugin instance that records.
pub struct Tap {
    session: Arc<Session>,
    /// The outputs ring, once started (and if the outputs are recorded).
    outputs: Option<rtrb::Producer<f32>>,
    /// The inputs ring, once started (and if the inputs are recorded).
    inputs: Option<rtrb::Producer<f32>>,
    /// The format the rings were made for.
    format: Option<Format>,
    /// The block's inputs went in ([`Tap::before`]); its outputs go in after processing.
    pending: bool,
}

impl Tap {
    /// Builds the rings and starts the writer for a stream of `format` (from the plugin's
    /// `activate`, not real-time). A later activation with the same format goes on recording;
    /// with another (the files cannot change format), recording stops with a line.
    pub fn start(&mut self, format: Format) {
        match self.format {
            Some(f) if Format { max_block: f.max_block, ..format } == f => {}
            Some(_) => {
                self.outputs = None;
                self.inputs = None;
                eprintln!("{}: recording stopped: the stream changed its sample rate or channels", self.session.cli_name);
            }
            None => {
                self.format = Some(format);
                match self.session.start(format) {
                    Ok((outputs, inputs)) => {
                        self.outputs = outputs;
                        self.inputs = inputs;
                    }
                    Err(e) => eprintln!("{}: {e}", self.session.cli_name),
                }
            }
        }
    }

    /// Before processing a block of `len` frames: the inputs (`main`'s first channels, then
    /// `sidechain`'s; a channel that is not there reads as silence) go into the inputs ring,
    /// if both rings have room for the whole block; otherwise the block's frames are counted
    /// as lost. Real-time safe: no allocation, lock or system call.
    #[inline]
    pub fn before<M: AsRef<[f32]>, S: AsRef<[f32]>>(&mut self, main: &[M], sidechain: Option<&[S]>, len: usize) {
        self.pending = false;
        let Some(format) = self.format else { return };
        if len == 0 || (self.outputs.is_none() && self.inputs.is_none()) {
            return;
        }
        let fits = |ring: &Option<rtrb::Producer<f32>>, channels: usize| ring.as_ref().is_none_or(|r| r.slots() >= len * channels);
        let input_channels = format.input_file_channels();
        if !fits(&self.outputs, format.outputs) || !fits(&self.inputs, input_channels) {
            self.session.lost.fetch_add(len as u64, Ordering::Relaxed);
            return;
        }
        if let Some(ring) = &mut self.inputs {
            let main_channels = format.inputs;
            let sample = |c: usize, i: usize| -> f32 {
                let channel = if c < main_channels { main.get(c).map(AsRef::as_ref) } else { sidechain.and_then(|s| s.get(c - main_channels)).map(AsRef::as_ref) };
                channel.and_then(|ch| ch.get(i)).copied().unwrap_or(0.0)
            };
            if let Ok(chunk) = ring.write_chunk_uninit(len * input_channels) {
                chunk.fill_from_iter((0..len).flat_map(|i| (0..input_channels).map(move |c| (c, i))).map(|(c, i)| sample(c, i)));
            }
        }
        self.pending = self.outputs.is_some();
    }

    /// After processing: the block's outputs (`main`, `len` frames) go into the outputs ring,
    /// if [`Tap::before`] found room. Real-time safe.
    #[inline]
    pub fn after<M: AsRef<[f32]>>(&mut self, main: &[M], len: usize) {
        if !std::mem::take(&mut self.pending) {
            return;
        }
        let (Some(ring), Some(format)) = (&mut self.outputs, self.format) else { return };
        let channels = format.outputs;
        let sample = |c: usize, i: usize| main.get(c).and_then(|ch| ch.as_ref().get(i)).copied().unwrap_or(0.0);
        if let Ok(chunk) = ring.write_chunk_uninit(len * channels) {
            chunk.fill_from_iter((0..len).flat_map(|i| (0..channels).map(move |c| (c, i))).map(|(c, i)| sample(c, i)));
        }
    }
}

/// The standalone's session, once installed.
static SESSION: OnceLock<Arc<Session>> = OnceLock::new();

/// Makes `session` the one the next plugin instance built takes a [`Tap`] from (the
/// standalone, just before running the wrapper).
pub fn install(session: Arc<Session>) {
    let _ = SESSION.set(session);
}

/// A tap for the plugin instance being built, if the standalone records and no instance has
/// taken it yet (inside a plugin host: `None`, at the cost of one atomic load).
pub fn take_tap() -> Option<Box<Tap>> {
    SESSION.get().and_then(Session::tap).map(Box::new)
}

/// Finishes the standalone's recording, if there is one (see [`Session::finish`]).
pub fn finish() {
    if let Some(session) = SESSION.get() {
        session.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ferrite-record-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A block of `len` frames: channel `c`, frame `i` of block `b` holds a value unique to it.
    fn block(channels: usize, len: usize, b: usize, salt: f32) -> Vec<Vec<f32>> {
        (0..channels).map(|c| (0..len).map(|i| salt + (b * len + i) as f32 * 0.25 + c as f32 * 1e6).collect()).collect()
    }

    fn read(path: &Path) -> (hound::WavSpec, Vec<f32>) {
        let mut r = hound::WavReader::open(path).unwrap();
        let spec = r.spec();
        let samples: Vec<f32> = r.samples::<f32>().map(|s| s.unwrap()).collect();
        assert_eq!(samples.len() as u32, r.len(), "{}: the header's length and the data differ", path.display());
        (spec, samples)
    }

    #[test]
    fn pushed_on_one_thread_and_written_by_another_sample_for_sample() {
        let dir = temp_dir("exact");
        let (out, inp) = (dir.join("out.wav"), dir.join("in.wav"));
        let session = Session::create("test", Some(&out), Some(&inp)).unwrap().unwrap();
        let mut tap = session.tap().unwrap();
        assert!(session.tap().is_none(), "only one instance records");
        let format = Format { sample_rate: 48_000, outputs: 2, inputs: 2, sidechain: 1, max_block: 64 };
        tap.start(format);
        let (len, blocks) = (64, 200);
        // The audio thread: inputs before, outputs after, at about the real rate.
        std::thread::scope(|s| {
            s.spawn(|| {
                for b in 0..blocks {
                    let main = block(2, len, b, 0.0);
                    let side = block(1, len, b, 5e6);
                    tap.before(&main, Some(&side), len);
                    let processed = block(2, len, b, -3.0);
                    tap.after(&processed, len);
                    if b % 16 == 0 {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
            });
        });
        session.finish();
        assert_eq!(session.lost_frames(), 0);
        let (spec, samples) = read(&out);
        assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample, spec.sample_format), (2, 48_000, 32, hound::SampleFormat::Float));
        let expected: Vec<f32> = (0..blocks)
            .flat_map(|b| {
                let x = block(2, len, b, -3.0);
                (0..len).flat_map(move |i| [x[0][i], x[1][i]])
            })
            .collect();
        assert!(samples == expected, "the outputs file differs from what was pushed");
        let (spec, samples) = read(&inp);
        assert_eq!(spec.channels, 3);
        let expected: Vec<f32> = (0..blocks)
            .flat_map(|b| {
                let (m, s) = (block(2, len, b, 0.0), block(1, len, b, 5e6));
                (0..len).flat_map(move |i| [m[0][i], m[1][i], s[0][i]])
            })
            .collect();
        assert!(samples == expected, "the inputs file differs from what was pushed");
        // Finishing again changes nothing.
        session.finish();
        assert_eq!(read(&out).1.len(), 2 * len * blocks);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_full_ring_counts_the_frames_it_drops_and_the_rest_is_intact() {
        let dir = temp_dir("overflow");
        let out = dir.join("out.wav");
        let session = Session::create("test", Some(&out), None).unwrap().unwrap();
        let mut tap = session.tap().unwrap();
        // A ring of 4 blocks (the minimum), filled far faster than the writer's tick drains it.
        tap.start(Format { sample_rate: 100, outputs: 1, inputs: 1, sidechain: 0, max_block: 32 });
        let (len, blocks) = (32, 2000);
        let no_side: Option<&[Vec<f32>]> = None;
        for b in 0..blocks {
            let x = block(1, len, b, 0.0);
            tap.before(&x, no_side, len);
            tap.after(&x, len);
        }
        session.finish();
        let lost = session.lost_frames() as usize;
        let samples = read(&out).1;
        assert!(lost > 0, "2000 blocks at once into a 4-block ring lost nothing");
        assert_eq!(samples.len() + lost, len * blocks, "every frame is either in the file or counted as lost");
        // Whole blocks are kept or dropped: the file is a sequence of complete, ordered blocks.
        for chunk in samples.chunks(len) {
            let b = (chunk[0] / 0.25) as usize / len;
            assert_eq!(chunk, block(1, len, b, 0.0)[0].as_slice());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_header_is_valid_while_recording() {
        let dir = temp_dir("header");
        let out = dir.join("out.wav");
        let session = Session::create("test", Some(&out), None).unwrap().unwrap();
        let mut tap = session.tap().unwrap();
        tap.start(Format { sample_rate: 48_000, outputs: 2, inputs: 2, sidechain: 0, max_block: 512 });
        let no_side: Option<&[Vec<f32>]> = None;
        for b in 0..20 {
            let x = block(2, 512, b, 0.0);
            tap.before(&x, no_side, 512);
            tap.after(&x, 512);
        }
        // The writer's header update (every HEADER_EVERY): the file reads as a valid WAV with
        // all of it, before `finish` (what a SIGKILL would leave).
        std::thread::sleep(HEADER_EVERY * 3);
        let (spec, samples) = read(&out);
        assert_eq!((spec.channels, samples.len()), (2, 2 * 512 * 20));
        session.finish();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_uncreatable_file_is_one_line_naming_it_and_an_unused_one_is_removed() {
        let dir = temp_dir("create");
        let bad = dir.join("no-such-folder").join("take.wav");
        let e = Session::create("test", Some(&bad), None).err().unwrap();
        assert!(e.contains(&bad.display().to_string()) && !e.contains('\n'), "{e}");
        let same = dir.join("take.wav");
        assert!(Session::create("test", Some(&same), Some(&same)).is_err());
        assert!(Session::create("test", None, None).unwrap().is_none());
        // Created, never started (the app did not get as far as audio): nothing is left.
        let session = Session::create("test", Some(&same), None).unwrap().unwrap();
        assert!(same.exists());
        session.finish();
        assert!(!same.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
