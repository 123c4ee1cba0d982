//! Every standalone app in `target/bundled` (`$FERRITE_BUNDLE_DIR`), tested the way a user runs it:
//!
//! - on a real JACK server (Debian's jackd2 with its dummy driver, 48 kHz, 64-frame periods):
//!   the app runs with `--no-editor --backend jack` and `--set` values, a JACK client of this test feeds it a
//!   known signal (main and auxiliary inputs), records its output, and the recording must equal
//!   the app's own `render` of the same signal at the same settings once the stream offset is
//!   found; the server must never log the app as late (an xrun the app caused); the app runs
//!   with `--record` and `--record-inputs`, and after SIGINT its recordings must hold the test
//!   client's capture of its outputs, and the signal the test fed it, bit for bit;
//! - with `--backend dummy` it runs until SIGINT or SIGTERM and then exits with status 0;
//! - with a backend or device that is not there it exits non-zero with a message naming it;
//! - on JACK, the guard around nice-plug's wrapper (`plugins/common/src/standalone.rs`): the app
//!   ends at once with one line and status 1 when the server is killed under it, SIGINT ends it
//!   even when the server has stopped calling it, two copies run side by side, and
//!   `--connect-jack-sidechain` connects the sidechain inputs; the `--record` file is a complete
//!   WAV after each of those ends (and a readable one after SIGKILL).
//!
//! Apps are discovered, so a new plugin is covered by adding its settings to [`JACK_SETTINGS`]
//! (an app without an entry fails, naming the table). `cargo xtask test` builds the bundles and
//! installs jackd2 first (as root; otherwise it prints the command).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrite_test_kit::TempDir;

/// JACK server sample rate and period (the issue's real-time setting).
const JACK_RATE: u32 = 48_000;
const JACK_PERIOD: u32 = 64;
/// Length of the test signal, seconds.
const SIGNAL_SECONDS: f64 = 1.5;
/// Largest stream offset searched for (JACK's one-period loop delay plus the app's latency).
const MAX_OFFSET: usize = 8192;
/// Largest accepted error between the JACK recording and `render`, relative to the signal.
const MATCH_DB: f64 = -100.0;

/// Per app: `--set` values whose output does not depend on when the signal starts (no free-running
/// oscillator or LFO), so the stream and the offline render can be compared sample by sample.
const JACK_SETTINGS: &[(&str, &[&str])] = &[
    // The carrier comes from the sidechain, which the test feeds along with the main input.
    ("ferrite-ring", &["carrier=sidechain", "drive=6", "mix=0.8", "oversampling=4x"]),
    ("ferrite-vcf", &["cutoff=900", "resonance=2.5", "drive=6"]),
    ("ferrite-phaser", &["stages=12", "lfo_depth=0", "feedback=0.5", "q=3"]),
    ("ferrite-reverb", &["algorithm=plate", "modulation=0", "decay=1.5", "mix=0.5"]),
];

/// The standalone apps in the bundle folder: executable files named `ferrite-*` without an
/// extension.
fn apps() -> Vec<(String, PathBuf)> {
    use std::os::unix::fs::PermissionsExt;
    let dir = ferrite_tests::bundle_dir();
    let mut apps: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!("no bundle folder {} ({e}); build the bundles first: cargo xtask bundle", dir.display())
        })
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("ferrite-")
                && !name.contains('.')
                && p.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
        })
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    apps.sort();
    assert!(!apps.is_empty(), "no standalone apps (ferrite-*) in {}; build them: cargo xtask bundle", dir.display());
    apps
}

/// The tests of this file run one at a time: the JACK test counts xruns, and apps started by
/// the other tests would compete with it for the CPU.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Run `check` for every app and fail once at the end, listing every app that failed and why.
fn for_each_app(what: &str, check: impl Fn(&str, &Path) -> Result<(), String>) {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let failures: Vec<String> = apps()
        .iter()
        .filter_map(|(name, path)| check(name, path).err().map(|e| format!("standalone {name}: {what}: {e}")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Kill a child process when dropped (a failing test must not leave servers or apps behind).
struct Reaper(Option<Child>);

impl Drop for Reaper {
    /// SIGTERM first (a JACK server or client then cleans up its shared memory), SIGKILL if it
    /// is still there after three seconds.
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Send `signal` (`-INT`, `-TERM`) to `child` and wait up to ten seconds for it to exit.
fn stop(child: &mut Child, signal: &str) -> Result<std::process::ExitStatus, String> {
    let killed = Command::new("kill").args([signal, &child.id().to_string()]).status().map_err(|e| e.to_string())?;
    if !killed.success() {
        return Err(format!("kill {signal} failed"));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("did not exit within 10 s of {signal}"))
}

fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(e) = child.stderr.as_mut() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Dummy backend and missing backends/devices
// ---------------------------------------------------------------------------------------------

#[test]
fn every_standalone_stops_cleanly_on_sigint_and_sigterm() {
    for_each_app("dummy backend, SIGINT/SIGTERM", |_, path| {
        for signal in ["-INT", "-TERM"] {
            let child = Command::new(path)
                .args(["--backend", "dummy", "--no-editor"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| e.to_string())?;
            let mut child = Reaper(Some(child));
            std::thread::sleep(Duration::from_millis(1500));
            let c = child.0.as_mut().unwrap();
            if let Some(status) = c.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("exited by itself ({status}) before {signal}: {}", stderr_of(c)));
            }
            let status = stop(c, signal)?;
            child.0 = None;
            if status.code() != Some(0) {
                return Err(format!("{signal}: exit status {status}, expected 0"));
            }
        }
        Ok(())
    });
}

#[test]
fn every_standalone_fails_clearly_without_its_backend_or_device() {
    for_each_app("missing backend/device", |_, path| {
        let cases: [(&[&str], &str); 2] = [
            // No JACK server of that name runs, and none may be started.
            (&["--backend", "jack"], "JACK server 'ferrite-test-no-such-server'"),
            (&["--backend", "alsa", "--output-device", "ferrite-no-such-device"], "ferrite-no-such-device"),
        ];
        for (args, mention) in cases {
            let out = Command::new(path)
                .args(args)
                .env("JACK_DEFAULT_SERVER", "ferrite-test-no-such-server")
                .env("JACK_NO_START_SERVER", "1")
                .output()
                .map_err(|e| e.to_string())?;
            let stderr = String::from_utf8_lossy(&out.stderr);
            if out.status.success() || !stderr.contains(mention) {
                return Err(format!("{args:?}: status {}, stderr {stderr:?}; expected failure mentioning {mention:?}", out.status));
            }
        }
        Ok(())
    });
}

/// `--backend alsa` without an ALSA output device (here: libasound given an empty configuration,
/// so there is no `default` device, on any machine): one line saying so and status 1, instead of
/// libasound's own lines and nice-plug's "It may have been disconnected".
#[test]
fn without_an_alsa_device_the_app_says_so_in_one_line() {
    for_each_app("no ALSA device", |app, path| {
        let tmp = TempDir::new(&format!("alsa-{app}"));
        let conf = tmp.join("empty-asound.conf");
        std::fs::write(&conf, "").map_err(|e| e.to_string())?;
        let out = Command::new(path)
            .args(["--no-editor", "--backend", "alsa"])
            .env("ALSA_CONFIG_PATH", &conf)
            .output()
            .map_err(|e| e.to_string())?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        if out.status.code() != Some(1) || lines.len() != 1 || !lines[0].contains("ALSA output device") {
            return Err(format!("status {}, stderr {stderr:?}; expected 1 and one line about the ALSA output device", out.status));
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// JACK
// ---------------------------------------------------------------------------------------------

/// A private JACK server (dummy driver) for this test process.
struct JackServer {
    /// The running `jackd` (stopped with SIGTERM so it cleans up its shared memory).
    _process: Reaper,
    /// Its log (standard output and error): the server names every client that misses a
    /// cycle ("JackEngine::XRun: client = NAME was not finished").
    log: PathBuf,
    /// The folder of the log (kept if the test fails).
    _dir: TempDir,
}

impl JackServer {
    /// Sends `signal` (`-STOP`, `-CONT`, `-KILL`, ...) to the server.
    fn signal(&self, signal: &str) {
        let pid = self._process.0.as_ref().expect("the server runs").id();
        let status = Command::new("kill").args([signal, &pid.to_string()]).status().expect("kill");
        assert!(status.success(), "kill {signal} jackd failed");
    }

    fn start(name: &str) -> Self {
        let jackd = ["/usr/bin/jackd", "/usr/local/bin/jackd"].into_iter().find(|p| Path::new(p).exists()).unwrap_or_else(|| {
            panic!(
                "JACK: jackd not found; install Debian's jackd2 (cargo xtask test does, as root): \
                 sudo apt-get install -y jackd2"
            )
        });
        // Real-time scheduling where allowed (root, or an audio group with rtprio), as a real
        // studio runs JACK; otherwise jackd prints a warning and runs without it.
        let dir = TempDir::new(name);
        let log = dir.join(format!("{name}.log"));
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new(jackd)
            .args(["-n", name, "-R", "-P", "70", "-d", "dummy", "-r", &JACK_RATE.to_string(), "-p", &JACK_PERIOD.to_string()])
            .env("JACK_NO_AUDIO_RESERVATION", "1")
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("start jackd");
        let mut server = Self { _process: Reaper(Some(child)), log: log.clone(), _dir: dir };
        // Wait until a client can connect.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if jack::Client::new("ferrite_probe", jack::ClientOptions::NO_START_SERVER).is_ok() {
                break;
            }
            if let Some(status) = server._process.0.as_mut().unwrap().try_wait().unwrap() {
                panic!("JACK: jackd exited ({status}); its output is in {}", log.display());
            }
            assert!(Instant::now() < deadline, "JACK: jackd did not accept clients within 10 s (log: {})", log.display());
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// How many cycles the server has logged `client` as not finished in time.
    fn late_cycles(&self, client: &str) -> usize {
        let needle = format!("client = {client} was not finished");
        std::fs::read_to_string(&self.log).map_or(0, |log| log.lines().filter(|l| l.contains(&needle)).count())
    }
}

/// What the test's JACK client does every period: play the signal into the app's inputs once
/// `started` is set, and record the app's outputs from that moment on. Everything is allocated
/// before activation.
struct Feeder {
    /// Ports feeding the app's inputs, in the app's input order.
    outs: Vec<jack::Port<jack::AudioOut>>,
    /// Ports recording the app's outputs.
    ins: Vec<jack::Port<jack::AudioIn>>,
    /// Signal per feeding port.
    signal: Vec<Vec<f32>>,
    /// Recording per app output (fixed length).
    recorded: Vec<Vec<f32>>,
    /// Frames played/recorded so far.
    position: usize,
    /// Set by the test once all connections are made.
    started: Arc<AtomicBool>,
    /// Set by the callback when the recording is full.
    done: Arc<AtomicBool>,
    /// When the previous cycle ran, and the longest gap between two cycles while playing (ns):
    /// this client does next to nothing, so a long gap means the whole machine stalled (a
    /// virtual machine's vCPU being descheduled), not that some client was slow.
    last_cycle: Option<Instant>,
    longest_gap_ns: Arc<AtomicUsize>,
}

impl jack::ProcessHandler for Feeder {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let n = ps.n_frames() as usize;
        let playing = self.started.load(Ordering::Acquire);
        let now = Instant::now();
        if let (true, Some(last)) = (playing, self.last_cycle) {
            let gap = now.duration_since(last).as_nanos() as usize;
            self.longest_gap_ns.fetch_max(gap, Ordering::Relaxed);
        }
        self.last_cycle = Some(now);
        for (port, signal) in self.outs.iter_mut().zip(&self.signal) {
            let out = port.as_mut_slice(ps);
            for (i, y) in out.iter_mut().enumerate() {
                *y = if playing { signal.get(self.position + i).copied().unwrap_or(0.0) } else { 0.0 };
            }
        }
        if playing {
            let mut full = false;
            for (port, rec) in self.ins.iter().zip(self.recorded.iter_mut()) {
                let input = port.as_slice(ps);
                let end = (self.position + n).min(rec.len());
                let start = self.position.min(end);
                rec[start..end].copy_from_slice(&input[..end - start]);
                full = end == rec.len();
            }
            self.position += n;
            if full {
                self.done.store(true, Ordering::Release);
            }
        }
        jack::Control::Continue
    }
}

/// Counts the server's xruns.
struct XrunCounter(Arc<AtomicUsize>);

impl jack::NotificationHandler for XrunCounter {
    fn xrun(&mut self, _: &jack::Client) -> jack::Control {
        self.0.fetch_add(1, Ordering::SeqCst);
        jack::Control::Continue
    }
}

fn test_signal(channels: usize, frames: usize, seed: u64) -> Vec<Vec<f32>> {
    ferrite_tests::music_like(channels, frames, JACK_RATE as f32, 0.5, seed)
}

/// `channels` as a 32-bit float WAV at the JACK rate.
fn write_wav(path: &Path, channels: &[Vec<f32>]) {
    ferrite_test_kit::wav::write(path, JACK_RATE, channels);
}

/// A recording (`--record`) as the app left it: checks the file's structure (the RIFF size and
/// the data chunk's size match the file's length: the header was finalised) and returns its
/// channels (hound reads it).
fn complete_wav(path: &Path) -> Result<Vec<Vec<f32>>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("the recording {}: {e}", path.display()))?;
    let u32_at = |i: usize| bytes.get(i..i + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize);
    if bytes.get(0..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
        return Err(format!("the recording {} is not a WAV file ({} bytes)", path.display(), bytes.len()));
    }
    if u32_at(4) != Some(bytes.len() - 8) {
        return Err(format!("the recording {}: RIFF size {:?}, file {} bytes: header not finalised", path.display(), u32_at(4), bytes.len()));
    }
    let mut at = 12;
    loop {
        let (Some(id), Some(size)) = (bytes.get(at..at + 4), u32_at(at + 4)) else {
            return Err(format!("the recording {} has no data chunk", path.display()));
        };
        if id == b"data" {
            if at + 8 + size != bytes.len() {
                return Err(format!("the recording {}: data chunk of {size} bytes, {} in the file", path.display(), bytes.len() - at - 8));
            }
            break;
        }
        at += 8 + size + size % 2;
    }
    read_wav(path)
}

/// The channels of a WAV file (hound: a header whose length exceeds the data fails).
fn read_wav(path: &Path) -> Result<Vec<Vec<f32>>, String> {
    let mut reader = ferrite_test_kit::hound::WavReader::open(path).map_err(|e| format!("the recording {}: {e}", path.display()))?;
    let channels = reader.spec().channels as usize;
    let samples: Vec<f32> = reader.samples::<f32>().collect::<Result<_, _>>().map_err(|e| format!("the recording {}: {e}", path.display()))?;
    Ok((0..channels).map(|c| samples.iter().skip(c).step_by(channels).copied().collect()).collect())
}

/// Where `part` (channels) occurs in `whole` (channels) bit for bit, every channel at the same
/// frame, or why not.
fn find_exactly(whole: &[Vec<f32>], part: &[Vec<f32>]) -> Result<usize, String> {
    if whole.len() != part.len() {
        return Err(format!("{} channels, expected {}", whole.len(), part.len()));
    }
    let (n, m) = (whole.first().map_or(0, Vec::len), part.first().map_or(0, Vec::len));
    if m > n {
        return Err(format!("{n} frames, shorter than the {m} expected"));
    }
    let same = |a: f32, b: f32| a.to_bits() == b.to_bits();
    (0..=n - m)
        .find(|&lag| (0..m).all(|i| whole.iter().zip(part).all(|(w, p)| same(w[lag + i], p[i]))))
        .ok_or_else(|| format!("the {m} expected frames do not occur in its {n} frames bit for bit"))
}

/// Run `app` on the JACK server with `sets`, feed it the test signal, and compare its output
/// with its own `render`; and its `--record`/`--record-inputs` files with what the test's
/// client captured and fed.
fn jack_round_trip(server: &JackServer, app: &str, path: &Path, sets: &[&str]) -> Result<(), String> {
    let tmp = TempDir::new(&format!("jack-{app}"));
    let (record_out, record_in) = (tmp.join("record-out.wav"), tmp.join("record-in.wav"));
    let mut args: Vec<String> = vec!["--no-editor".into(), "--backend".into(), "jack".into()];
    args.extend(["--record".into(), record_out.display().to_string(), "--record-inputs".into(), record_in.display().to_string()]);
    for s in sets {
        args.push("--set".into());
        args.push((*s).into());
    }
    let child = Command::new(path).args(&args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().map_err(|e| e.to_string())?;
    let mut app_process = Reaper(Some(child));

    // The app's JACK client is its plugin name in lower case with underscores ("ferrite_ring").
    let client_name = app.replace('-', "_");
    let (client, _) = jack::Client::new("ferrite_feeder", jack::ClientOptions::NO_START_SERVER).map_err(|e| format!("test client: {e}"))?;
    let pattern = format!("^{client_name}:");
    let deadline = Instant::now() + Duration::from_secs(15);
    let (app_inputs, app_outputs) = loop {
        let ins = client.ports(Some(&pattern), Some("audio"), jack::PortFlags::IS_INPUT);
        let outs = client.ports(Some(&pattern), Some("audio"), jack::PortFlags::IS_OUTPUT);
        if !ins.is_empty() && !outs.is_empty() {
            // Give the app a moment to register the rest of its ports.
            std::thread::sleep(Duration::from_millis(300));
            break (
                client.ports(Some(&pattern), Some("audio"), jack::PortFlags::IS_INPUT),
                client.ports(Some(&pattern), Some("audio"), jack::PortFlags::IS_OUTPUT),
            );
        }
        let c = app_process.0.as_mut().unwrap();
        if let Some(status) = c.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("exited ({status}) before registering its JACK ports: {}", stderr_of(c)));
        }
        if Instant::now() > deadline {
            return Err("no JACK ports within 15 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // Main inputs are `input_N`; anything else is an auxiliary (sidechain) input.
    let (main_in, aux_in): (Vec<String>, Vec<String>) =
        app_inputs.iter().cloned().partition(|p| p.starts_with(&format!("{client_name}:input_")));
    let frames = (SIGNAL_SECONDS * JACK_RATE as f64) as usize;
    let main_signal = test_signal(main_in.len(), frames, 11);
    let aux_signal: Vec<Vec<f32>> = (0..aux_in.len())
        .map(|c| ferrite_tests::sine(330.0 + 110.0 * c as f64, 0.8, JACK_RATE as f64, frames))
        .collect();

    let feeding: Vec<&String> = main_in.iter().chain(&aux_in).collect();
    let outs = (0..feeding.len())
        .map(|i| client.register_port(&format!("feed_{i}"), jack::AudioOut::default()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let ins = (0..app_outputs.len())
        .map(|i| client.register_port(&format!("record_{i}"), jack::AudioIn::default()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let out_names: Vec<String> = outs.iter().map(|p| p.name().unwrap()).collect();
    let in_names: Vec<String> = ins.iter().map(|p| p.name().unwrap()).collect();
    let started = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let xruns = Arc::new(AtomicUsize::new(0));
    let longest_gap_ns = Arc::new(AtomicUsize::new(0));
    let feeder = Feeder {
        outs,
        ins,
        signal: main_signal.iter().chain(&aux_signal).cloned().collect(),
        recorded: vec![vec![0.0; frames + MAX_OFFSET]; app_outputs.len()],
        position: 0,
        started: started.clone(),
        done: done.clone(),
        last_cycle: None,
        longest_gap_ns: longest_gap_ns.clone(),
    };
    let active = client.activate_async(XrunCounter(xruns.clone()), feeder).map_err(|e| e.to_string())?;
    for (ours, theirs) in out_names.iter().zip(&feeding) {
        active.as_client().connect_ports_by_name(ours, theirs).map_err(|e| format!("connect {ours} -> {theirs}: {e}"))?;
    }
    for (theirs, ours) in app_outputs.iter().zip(&in_names) {
        active.as_client().connect_ports_by_name(theirs, ours).map_err(|e| format!("connect {theirs} -> {ours}: {e}"))?;
    }
    std::thread::sleep(Duration::from_millis(200));
    xruns.store(0, Ordering::SeqCst);
    let late_before = server.late_cycles(&client_name);
    started.store(true, Ordering::Release);
    let deadline = Instant::now() + Duration::from_secs_f64(SIGNAL_SECONDS * 4.0 + 10.0);
    while !done.load(Ordering::Acquire) {
        if Instant::now() > deadline {
            return Err("the recording did not complete (is the JACK server running?)".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let xrun_count = xruns.load(Ordering::SeqCst);
    let late = server.late_cycles(&client_name) - late_before;
    let (_, _, feeder) = active.deactivate().map_err(|e| e.to_string())?;

    let status = stop(app_process.0.as_mut().unwrap(), "-INT")?;
    let app_stderr = app_process.0.take().map(|mut c| stderr_of(&mut c)).unwrap_or_default();
    if status.code() != Some(0) {
        return Err(format!("exit status {status} after SIGINT, expected 0"));
    }
    let period_ns = JACK_PERIOD as f64 / JACK_RATE as f64 * 1e9;
    let longest_gap = longest_gap_ns.load(Ordering::Relaxed) as f64 / period_ns;
    // The recordings: the app's outputs as the test's client captured them, and its inputs as
    // the test fed them (main, then sidechain), each somewhere in the files, bit for bit. The
    // app's stderr must not report lost frames.
    let recorded_out = complete_wav(&record_out)?;
    let recorded_in = complete_wav(&record_in)?;
    let fed: Vec<Vec<f32>> = main_signal.iter().chain(&aux_signal).cloned().collect();
    let out_at = find_exactly(&recorded_out, &feeder.recorded).map_err(|e| format!("--record: {e}"));
    let in_at = find_exactly(&recorded_in, &fed).map_err(|e| format!("--record-inputs: {e}"));
    if let Some(e) = out_at.as_ref().err().or(in_at.as_ref().err()) {
        // An xrun while the machine stalled: the capture missed cycles the app recorded.
        let stalled = if xrun_count != 0 && longest_gap >= 2.0 { MACHINE_STALLED } else { "" };
        return Err(format!("{stalled}{e} ({xrun_count} xruns){}", if app_stderr.contains("lost") { format!(": {app_stderr}") } else { String::new() }));
    }
    let (out_at, in_at) = (out_at?, in_at?);
    // The same signal through `render` at the same settings.
    let input_wav = tmp.join("in.wav");
    let output_wav = tmp.join("out.wav");
    write_wav(&input_wav, &main_signal);
    let mut render = Command::new(path);
    render.arg("render").arg(&input_wav).arg(&output_wav);
    for s in sets {
        render.args(["--set", s]);
    }
    if !aux_signal.is_empty() {
        let sc = tmp.join("sidechain.wav");
        write_wav(&sc, &aux_signal);
        render.arg("--sidechain").arg(&sc);
    }
    let out = render.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("render failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let reference = ferrite_plugin_common::audio_file::read_audio(&output_wav).map_err(|e| e.to_string())?.channels;
    drop(tmp);

    // The stream offset: the lag where the recording best matches the render.
    let energy: f64 = reference.iter().flatten().map(|&x| (x as f64).powi(2)).sum();
    if energy == 0.0 {
        return Err("the render is silent: the settings in JACK_SETTINGS test nothing".into());
    }
    let error_at = |lag: usize| -> f64 {
        reference
            .iter()
            .zip(&feeder.recorded)
            .map(|(r, y)| r.iter().zip(&y[lag..]).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum::<f64>())
            .sum()
    };
    let (lag, err) = (0..MAX_OFFSET).map(|lag| (lag, error_at(lag))).min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    let err_db = 10.0 * (err.max(1e-300) / energy).log10();
    // The server reports two kinds of xrun: a client that did not finish its cycle (the server
    // logs its name), and the dummy driver's own timer waking late. The app must not cause the
    // first kind, unless the whole machine stalled at the time: then every client is late, and
    // this test's own (trivial) client sees the stall as a gap between its cycles.
    if err_db > MATCH_DB {
        // Cycles the stalled machine dropped are missing from the recording too.
        let stalled = if xrun_count != 0 && longest_gap >= 2.0 { MACHINE_STALLED } else { "" };
        return Err(format!(
            "{stalled}output differs from `render` by {err_db:.1} dB (limit {MATCH_DB} dB) at the best stream offset {lag} samples \
             ({xrun_count} xruns, longest gap between cycles {longest_gap:.2} periods)"
        ));
    }
    if late != 0 && longest_gap < 2.0 {
        return Err(format!(
            "the JACK server logged {late} cycles the app did not finish in time ({xrun_count} xruns in all) \
             while playing {SIGNAL_SECONDS} s at {JACK_PERIOD} frames, with the machine running smoothly \
             (longest gap between cycles {longest_gap:.2} periods)"
        ));
    }
    eprintln!(
        "standalone {app} on JACK: matches render to {err_db:.1} dB at stream offset {lag}; {xrun_count} xruns, \
         {late} late cycles of the app, longest gap between cycles {longest_gap:.2} periods; --record holds the \
         capture bit for bit from frame {out_at}, --record-inputs the fed signal from frame {in_at}"
    );
    Ok(())
}

/// Attempts per app in the JACK round trip (see below).
const ATTEMPTS: usize = 8;

/// How an attempt's error starts when the machine, not the app, stalled during it.
const MACHINE_STALLED: &str = "the machine stalled: ";

#[test]
fn every_standalone_on_jack_matches_its_render_without_xruns() {
    // One fixed name: a server that died without cleaning up (a killed test run) leaves its
    // entry in JACK's shared registry, and the next server of the same name reclaims it, where
    // fresh names would fill the registry ("Too many servers already active").
    let _jack = JACK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let server_name = "ferrite-test".to_owned();
    // This test process's own JACK clients find the private server through the environment,
    // as do the apps it starts. No other test in this binary uses JACK_DEFAULT_SERVER.
    std::env::set_var("JACK_DEFAULT_SERVER", &server_name);
    std::env::set_var("JACK_NO_START_SERVER", "1");
    let server = JackServer::start(&server_name);
    for_each_app("JACK round trip", |app, path| {
        let Some((_, sets)) = JACK_SETTINGS.iter().find(|(name, _)| *name == app) else {
            return Err("no entry in JACK_SETTINGS (tests/tests/standalone.rs): add time-invariant settings".into());
        };
        // A virtual machine's vCPU can be descheduled for a millisecond at any time, which at
        // 64 frames (1.3 ms) makes whichever client is running late and loses its cycle; on a
        // busy host that comes in bursts of several seconds. That is the machine, not the app,
        // so an app gets up to eight attempts, a second apart; it fails if none is clean (exact
        // audio, no xrun, no late cycle). A slow or wrong app fails all of them.
        let mut attempts = Vec::new();
        for attempt in 1..=ATTEMPTS {
            match jack_round_trip(&server, app, path, sets) {
                Ok(()) => return Ok(()),
                Err(e) => attempts.push(format!("attempt {attempt}: {e}")),
            }
            std::thread::sleep(Duration::from_secs(1));
        }
        // Every attempt ran while the machine itself stalled (xruns, and this test's own trivial
        // client saw gaps of two periods and more): nothing can be concluded about the app, as
        // for late cycles above. Said loudly; any attempt on a smooth machine still decides.
        if attempts.iter().all(|a| a.contains(MACHINE_STALLED)) {
            eprintln!("standalone {app} on JACK: INCONCLUSIVE, the machine stalled in every attempt: {}", attempts.join("; "));
            return Ok(());
        }
        Err(attempts.join("; "))
    });
}


// ---------------------------------------------------------------------------------------------
// The guard around nice-plug's JACK backend
// ---------------------------------------------------------------------------------------------

/// Held by every test that runs a JACK server for its whole life: they share one server name.
static JACK_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The apps with a sidechain (auxiliary) input.
const SIDECHAIN_APPS: &[&str] = &["ferrite-ring"];

/// The server name every JACK test uses (see the round trip test), set for this process's own
/// clients and the apps.
fn jack_env() -> String {
    let name = "ferrite-test".to_owned();
    std::env::set_var("JACK_DEFAULT_SERVER", &name);
    std::env::set_var("JACK_NO_START_SERVER", "1");
    name
}

/// Starts `path` headless with `args` and the environment variables `env`, its stderr going
/// to `stderr`.
fn start_app(path: &Path, args: &[&str], env: &[(&str, &Path)], stderr: &Path) -> Result<Reaper, String> {
    let file = std::fs::File::create(stderr).map_err(|e| e.to_string())?;
    let child = Command::new(path)
        .arg("--no-editor")
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .map_err(|e| e.to_string())?;
    Ok(Reaper(Some(child)))
}

/// Starts `path` headless on JACK with `extra` arguments, its stderr going to `stderr`.
fn start_on_jack(path: &Path, extra: &[&str], stderr: &Path) -> Result<Reaper, String> {
    start_app(path, &[&["--backend", "jack"], extra].concat(), &[], stderr)
}

/// Signals the JACK server under the running `app` with `signal` (`-KILL`, `-TERM`) and checks
/// what the standalone guard must then do: end the app within `within`, with status 1 and
/// exactly one new line on stderr, containing `line` (which names `naming`). What happened,
/// for the test's log.
fn server_loss_ends_app(
    server: &JackServer,
    signal: &str,
    app: &mut Reaper,
    stderr: &Path,
    within: Duration,
    line: &str,
    naming: &str,
) -> Result<String, String> {
    let before = read(stderr).len();
    server.signal(signal);
    let (status, took) = wait_exit(app, Duration::from_secs(5)).map_err(|e| format!("jackd {signal}: {e}"))?;
    let all = read(stderr);
    let after = all.get(before..).unwrap_or("");
    let lines: Vec<&str> = after.lines().collect();
    if status.code() != Some(1) || took > within {
        return Err(format!("jackd {signal}: exit status {status} after {took:?}, expected 1 within {within:?}: {after:?}"));
    }
    if lines.len() != 1 || !lines[0].contains(line) {
        return Err(format!("jackd {signal}: expected one line naming {naming}, got {after:?}"));
    }
    Ok(format!("jackd {signal} -> {status} after {took:?}: {}", lines[0]))
}

/// Waits until JACK client `client` has registered its ports (through the test's own
/// `probe`), failing if `app` exits first.
fn wait_for_ports(probe: &jack::Client, client: &str, app: &mut Reaper, stderr: &Path) -> Result<Vec<String>, String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let ports = probe.ports(Some(&format!("^{client}:")), Some("audio"), jack::PortFlags::empty());
        if !ports.is_empty() {
            std::thread::sleep(Duration::from_millis(300));
            return Ok(probe.ports(Some(&format!("^{client}:")), Some("audio"), jack::PortFlags::empty()));
        }
        if let Some(status) = app.0.as_mut().unwrap().try_wait().map_err(|e| e.to_string())? {
            return Err(format!("exited ({status}) before registering its JACK client {client}: {}", read(stderr)));
        }
        if Instant::now() > deadline {
            return Err(format!("no JACK client {client} within 15 s"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Waits up to `limit` for `app` to exit; its status and how long it took.
fn wait_exit(app: &mut Reaper, limit: Duration) -> Result<(std::process::ExitStatus, Duration), String> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = app.0.as_mut().unwrap().try_wait().map_err(|e| e.to_string())? {
            app.0 = None;
            return Ok((status, start.elapsed()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(format!("still running {limit:?} later"))
}

/// The server stops under a running app (SIGKILL, then SIGTERM): nice-plug's
/// wrapper alone hangs for good, ignoring SIGINT and SIGTERM. The guard must end the app within
/// a second, with status 1 and exactly one line on stderr naming the server. And with the
/// server frozen (SIGSTOP: nothing calls the app any more), SIGINT must still end the app.
/// Every run records (`--record`): however it ends, the file is a complete WAV (header and data
/// agree) with the app's channels and the audio it processed; after a SIGKILL of the app
/// itself, a readable WAV up to the writer's last header update (every 0.5 s).
#[test]
fn every_standalone_on_jack_survives_server_loss_and_signals() {
    let _jack = JACK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let server_name = jack_env();
    for_each_app("JACK server loss", |app, path| {
        let tmp = TempDir::new(&format!("loss-{app}"));
        let client = app.replace('-', "_");
        let stderr = tmp.join("stderr.txt");
        let record = tmp.join("take.wav");
        let record_arg = record.display().to_string();
        let with_record = ["--record", record_arg.as_str()];
        // The recording after the app ended: complete, with the app's output channels, and at
        // least `seconds` of audio.
        let check_recording = |when: &str, outputs: usize, seconds: f64, complete: bool| -> Result<(), String> {
            let channels = if complete { complete_wav(&record) } else { read_wav(&record) }.map_err(|e| format!("{when}: {e}"))?;
            let frames = channels.first().map_or(0, Vec::len);
            if channels.len() != outputs || (frames as f64) < seconds * JACK_RATE as f64 {
                return Err(format!("{when}: the recording has {} channels and {frames} frames; expected {outputs} and {seconds} s at least", channels.len()));
            }
            eprintln!("standalone {app}: {when}: the recording is a valid WAV of {frames} frames");
            Ok(())
        };
        let outputs_of = |ports: &[String]| ports.iter().filter(|p| p.starts_with(&format!("{client}:output_"))).count();

        // 1. A frozen server: SIGINT must still end the app, with status 0.
        let server = JackServer::start(&server_name);
        let (probe, _) = jack::Client::new("ferrite_probe", jack::ClientOptions::NO_START_SERVER).map_err(|e| e.to_string())?;
        let mut running = start_on_jack(path, &with_record, &stderr)?;
        let outputs = outputs_of(&wait_for_ports(&probe, &client, &mut running, &stderr)?);
        drop(probe);
        server.signal("-STOP");
        std::thread::sleep(Duration::from_millis(300));
        Command::new("kill").args(["-INT", &running.0.as_ref().unwrap().id().to_string()]).status().map_err(|e| e.to_string())?;
        let frozen = wait_exit(&mut running, Duration::from_secs(5));
        server.signal("-CONT");
        let (status, took) = frozen.map_err(|e| format!("SIGINT with the server frozen: {e}"))?;
        if status.code() != Some(0) {
            return Err(format!("SIGINT with the server frozen: exit status {status} after {took:?}, expected 0: {}", read(&stderr)));
        }
        check_recording("SIGINT with the server frozen", outputs, 0.2, true)?;
        drop(server);

        // 2. The server killed under the app: SIGKILL (a crash) and SIGTERM (a clean stop).
        for signal in ["-KILL", "-TERM"] {
            let server = JackServer::start(&server_name);
            let (probe, _) = jack::Client::new("ferrite_probe", jack::ClientOptions::NO_START_SERVER).map_err(|e| e.to_string())?;
            let mut running = start_on_jack(path, &with_record, &stderr)?;
            wait_for_ports(&probe, &client, &mut running, &stderr)?;
            drop(probe);
            std::thread::sleep(Duration::from_millis(500));
            let line = format!("JACK server '{server_name}' stopped");
            let what = server_loss_ends_app(&server, signal, &mut running, &stderr, Duration::from_secs(1), &line, "the server")?;
            eprintln!("standalone {app}: {what}");
            check_recording(&format!("jackd {signal}"), outputs, 0.4, true)?;
        }

        // 3. The app itself killed (SIGKILL: nothing of it runs at the end): the file reads as
        // a WAV as far as the writer's last header update.
        let server = JackServer::start(&server_name);
        let (probe, _) = jack::Client::new("ferrite_probe", jack::ClientOptions::NO_START_SERVER).map_err(|e| e.to_string())?;
        let mut running = start_on_jack(path, &with_record, &stderr)?;
        wait_for_ports(&probe, &client, &mut running, &stderr)?;
        drop(probe);
        std::thread::sleep(Duration::from_millis(1500));
        let status = stop(running.0.as_mut().unwrap(), "-KILL")?;
        running.0 = None;
        eprintln!("standalone {app}: the app killed ({status})");
        check_recording("the app SIGKILLed", outputs, 0.5, false)?;
        drop(server);
        Ok(())
    });
}

/// `--record FILE` where FILE cannot be created: the app refuses to start, with status 2 and
/// one line naming the file; an option without its FILE likewise.
#[test]
fn every_standalone_refuses_a_recording_it_cannot_create() {
    for_each_app("--record to a folder that does not exist", |app, path| {
        let tmp = TempDir::new(&format!("record-bad-{app}"));
        let bad = tmp.join("no-such-folder").join("take.wav");
        let bad_arg = bad.display().to_string();
        for (args, mention) in [
            (&["--backend", "dummy", "--record", bad_arg.as_str()][..], bad_arg.as_str()),
            (&["--backend", "dummy", "--record-inputs", bad_arg.as_str()], bad_arg.as_str()),
            (&["--backend", "dummy", "--record"], "--record needs FILE"),
        ] {
            let out = Command::new(path).arg("--no-editor").args(args).output().map_err(|e| e.to_string())?;
            let stderr = String::from_utf8_lossy(&out.stderr);
            let lines: Vec<&str> = stderr.lines().collect();
            if out.status.code() != Some(2) || lines.len() != 1 || !lines[0].contains(mention) {
                return Err(format!("{args:?}: status {}, stderr {stderr:?}; expected 2 and one line containing {mention:?}", out.status));
            }
        }
        Ok(())
    });
}

/// nice-plug ignores its MIDI input options where they cannot apply; the apps refuse them with
/// status 2 and one line: on Phaser and Reverb (no notes), `--midi-input` (an ALSA sequencer
/// port) with JACK or the dummy backend, and `--connect-jack-midi-input` with ALSA or dummy.
#[test]
fn every_standalone_refuses_midi_options_that_cannot_apply() {
    for_each_app("MIDI options where they cannot apply", |app, path| {
        let takes_notes = MIDI_APPS.iter().any(|(a, _, _)| *a == app);
        let cases: &[(&[&str], &str)] = if takes_notes {
            &[
                (&["--backend", "jack", "--midi-input", "Keyboard"], "needs the ALSA backend"),
                (&["--backend", "dummy", "--midi-input", "Keyboard"], "needs the ALSA backend"),
                (&["--backend", "alsa", "--connect-jack-midi-input", "a2j:Keyboard"], "needs the JACK backend"),
                (&["--backend", "dummy", "--connect-jack-midi-input=a2j:Keyboard"], "needs the JACK backend"),
            ]
        } else {
            &[
                (&["--backend", "alsa", "--midi-input", "Keyboard"], "takes no notes (--midi-input)"),
                (&["--backend", "jack", "--connect-jack-midi-input", "a2j:Keyboard"], "takes no notes (--connect-jack-midi-input)"),
            ]
        };
        for (args, mention) in cases {
            let out = Command::new(path).arg("--no-editor").args(*args).output().map_err(|e| e.to_string())?;
            let stderr = String::from_utf8_lossy(&out.stderr);
            let lines: Vec<&str> = stderr.lines().collect();
            if out.status.code() != Some(2) || lines.len() != 1 || !lines[0].contains(mention) {
                return Err(format!("{args:?}: status {}, stderr {stderr:?}; expected 2 and one line containing {mention:?}", out.status));
            }
        }
        Ok(())
    });
}

/// Two copies of every app on one server: the second runs as instance 2 (JACK client
/// `NAME_2`), both register their ports and keep running, and SIGINT ends both with status 0.
/// The second copy must also process audio: its output follows its input.
#[test]
fn every_standalone_runs_twice_on_one_jack_server() {
    let _jack = JACK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let server = JackServer::start(&jack_env());
    for_each_app("two instances on JACK", |app, path| {
        let tmp = TempDir::new(&format!("twice-{app}"));
        let (probe, _) = jack::Client::new("ferrite_probe", jack::ClientOptions::NO_START_SERVER).map_err(|e| e.to_string())?;
        let client = app.replace('-', "_");
        let (err1, err2) = (tmp.join("first.txt"), tmp.join("second.txt"));
        let mut first = start_on_jack(path, &[], &err1)?;
        let ports1 = wait_for_ports(&probe, &client, &mut first, &err1)?;
        let mut second = start_on_jack(path, &[], &err2)?;
        let ports2 = wait_for_ports(&probe, &format!("{client}_2"), &mut second, &err2)?;
        if ports1.len() != ports2.len() {
            return Err(format!("the instances have different ports: {ports1:?} and {ports2:?}"));
        }
        std::thread::sleep(Duration::from_millis(500));
        for (which, p, err) in [("first", &mut first, &err1), ("second", &mut second, &err2)] {
            if let Some(status) = p.0.as_mut().unwrap().try_wait().map_err(|e| e.to_string())? {
                return Err(format!("the {which} instance exited ({status}): {}", read(err)));
            }
        }
        // The second instance processes: feed its main inputs a sine and see its outputs move.
        let signal_seen = Arc::new(AtomicBool::new(false));
        let (feeder, _) = jack::Client::new("ferrite_feeder", jack::ClientOptions::NO_START_SERVER).map_err(|e| e.to_string())?;
        let mut out = feeder.register_port("out", jack::AudioOut::default()).map_err(|e| e.to_string())?;
        let inp = feeder.register_port("in", jack::AudioIn::default()).map_err(|e| e.to_string())?;
        let seen = signal_seen.clone();
        let mut phase = 0.0f32;
        let handler = jack::contrib::ClosureProcessHandler::new(move |_: &jack::Client, ps: &jack::ProcessScope| {
            for y in out.as_mut_slice(ps) {
                *y = 0.5 * phase.sin();
                phase = (phase + 0.05) % std::f32::consts::TAU;
            }
            if inp.as_slice(ps).iter().any(|x| x.abs() > 1e-3) {
                seen.store(true, Ordering::Relaxed);
            }
            jack::Control::Continue
        });
        let active = feeder.activate_async((), handler).map_err(|e| e.to_string())?;
        let c = active.as_client();
        for input in ports2.iter().filter(|p| p.starts_with(&format!("{client}_2:input_"))) {
            c.connect_ports_by_name("ferrite_feeder:out", input).map_err(|e| format!("connect to {input}: {e}"))?;
        }
        let output = ports2.iter().find(|p| p.starts_with(&format!("{client}_2:output_"))).ok_or("no output port")?;
        c.connect_ports_by_name(output, "ferrite_feeder:in").map_err(|e| format!("connect {output}: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while !signal_seen.load(Ordering::Relaxed) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(active);
        if !signal_seen.load(Ordering::Relaxed) {
            return Err("the second instance's output stayed silent with a sine at its input".into());
        }
        for (which, p) in [("first", &mut first), ("second", &mut second)] {
            let status = stop(p.0.as_mut().unwrap(), "-INT")?;
            p.0 = None;
            if status.code() != Some(0) {
                return Err(format!("the {which} instance: exit status {status} after SIGINT, expected 0"));
            }
        }
        Ok(())
    });
    drop(server);
}

/// `--connect-jack-sidechain`: with one port, every sidechain input is connected to it; with a
/// list, the inputs in order. An app without a sidechain refuses the option (status 2).
#[test]
fn connect_jack_sidechain_connects_the_sidechain_inputs() {
    let _jack = JACK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let server = JackServer::start(&jack_env());
    for_each_app("--connect-jack-sidechain", |app, path| {
        let tmp = TempDir::new(&format!("sidechain-{app}"));
        let stderr = tmp.join("stderr.txt");
        if !SIDECHAIN_APPS.contains(&app) {
            let out = Command::new(path)
                .args(["--no-editor", "--backend", "jack", "--connect-jack-sidechain", "system:capture_1"])
                .output()
                .map_err(|e| e.to_string())?;
            let err = String::from_utf8_lossy(&out.stderr);
            if out.status.code() != Some(2) || !err.contains("has no sidechain input") {
                return Err(format!("without a sidechain: status {}, stderr {err:?}; expected 2, 'has no sidechain input'", out.status));
            }
            return Ok(());
        }
        let (source, _) = jack::Client::new("ferrite_source", jack::ClientOptions::NO_START_SERVER).map_err(|e| e.to_string())?;
        let a = source.register_port("a", jack::AudioOut::default()).map_err(|e| e.to_string())?;
        let b = source.register_port("b", jack::AudioOut::default()).map_err(|e| e.to_string())?;
        let active = source.activate_async((), jack::contrib::ClosureProcessHandler::new(move |_: &jack::Client, _: &jack::ProcessScope| {
            let _ = (&a, &b);
            jack::Control::Continue
        }))
        .map_err(|e| e.to_string())?;
        let client = app.replace('-', "_");
        for (ports, expected) in [("ferrite_source:a,ferrite_source:b", ["ferrite_source:a", "ferrite_source:b"]), ("ferrite_source:b", ["ferrite_source:b", "ferrite_source:b"])] {
            let mut running = start_on_jack(path, &["--connect-jack-sidechain", ports], &stderr)?;
            let all = wait_for_ports(active.as_client(), &client, &mut running, &stderr)?;
            let mut aux: Vec<String> = all.into_iter().filter(|p| p.contains(":carrier_")).collect();
            aux.sort();
            if aux.len() != 2 {
                return Err(format!("expected two carrier ports, got {aux:?}"));
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                let connected: Vec<Vec<String>> = aux
                    .iter()
                    .map(|p| active.as_client().port_by_name(p).map(|p| p.get_connections()).unwrap_or_default())
                    .collect();
                if connected.iter().zip(expected).all(|(c, e)| c == &[e.to_owned()]) {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!("{ports}: the sidechain inputs {aux:?} are connected to {connected:?}, expected {expected:?}: {}", read(&stderr)));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let status = stop(running.0.as_mut().unwrap(), "-INT")?;
            running.0 = None;
            if status.code() != Some(0) {
                return Err(format!("exit status {status} after SIGINT, expected 0"));
            }
        }
        drop(active);
        Ok(())
    });
    drop(server);
}

// ---------------------------------------------------------------------------------------------
// The guard around nice-plug's ALSA backend
// ---------------------------------------------------------------------------------------------

/// The ALSA device of these tests: ALSA's JACK PCM plugin (Debian's libasound2-plugins), a
/// device whose backend can be made to vanish under a running app by killing the JACK server
/// behind it, with no sound card and no kernel module. Its capture side is fed, and its
/// playback side recorded, by this test's JACK client [`ALSA_PROBE`], so the test sees the app
/// process audio through ALSA.
const ALSA_DEVICE: &str = "Ferrite test device";
/// The test's JACK client on the other side of [`ALSA_DEVICE`].
const ALSA_PROBE: &str = "ferrite_alsa_probe";

/// A libasound configuration (given to the app alone, through ALSA_CONFIG_PATH) with one
/// device, [`ALSA_DEVICE`], whose ports the JACK plugin connects to [`ALSA_PROBE`].
fn alsa_jack_config(dir: &TempDir) -> PathBuf {
    let plugin = "libasound_module_pcm_jack.so";
    let found = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("alsa-lib").join(plugin))
        .chain([Path::new("/usr/lib/alsa-lib").join(plugin), Path::new("/usr/lib64/alsa-lib").join(plugin)])
        .any(|p| p.exists());
    assert!(
        found,
        "ALSA: the JACK PCM plugin ({plugin}) is not installed; install Debian's libasound2-plugins \
         (cargo xtask test does, as root): sudo apt-get install -y libasound2-plugins"
    );
    let conf = dir.join("asound.conf");
    let text = format!(
        "pcm.ferrite_test {{\n  type jack\n  playback_ports {{ 0 {ALSA_PROBE}:in 1 {ALSA_PROBE}:in }}\n  \
         capture_ports {{ 0 {ALSA_PROBE}:out 1 {ALSA_PROBE}:out }}\n  hint {{ show on description \"{ALSA_DEVICE}\" }}\n}}\n"
    );
    std::fs::write(&conf, text).unwrap();
    conf
}

/// The test's side of [`ALSA_DEVICE`]: plays a sine into the app's ALSA input and counts the
/// JACK cycles in which the app's ALSA output carries a signal.
fn alsa_probe() -> Result<(jack::AsyncClient<(), impl jack::ProcessHandler>, Arc<AtomicUsize>), String> {
    let (probe, _) = jack::Client::new(ALSA_PROBE, jack::ClientOptions::NO_START_SERVER | jack::ClientOptions::USE_EXACT_NAME)
        .map_err(|e| format!("test client: {e}"))?;
    let mut out = probe.register_port("out", jack::AudioOut::default()).map_err(|e| e.to_string())?;
    let inp = probe.register_port("in", jack::AudioIn::default()).map_err(|e| e.to_string())?;
    let loud_cycles = Arc::new(AtomicUsize::new(0));
    let loud = loud_cycles.clone();
    let mut phase = 0.0f32;
    let handler = jack::contrib::ClosureProcessHandler::new(move |_: &jack::Client, ps: &jack::ProcessScope| {
        for y in out.as_mut_slice(ps) {
            *y = 0.5 * phase.sin();
            phase = (phase + 0.05) % std::f32::consts::TAU;
        }
        if inp.as_slice(ps).iter().any(|x| x.abs() > 1e-3) {
            loud.fetch_add(1, Ordering::Relaxed);
        }
        jack::Control::Continue
    });
    let active = probe.activate_async((), handler).map_err(|e| e.to_string())?;
    Ok((active, loud_cycles))
}

/// Starts `path` headless on [`ALSA_DEVICE`] (input and output) with the configuration
/// `conf`, its stderr going to `stderr`.
fn start_on_alsa(path: &Path, conf: &Path, stderr: &Path) -> Result<Reaper, String> {
    start_on_alsa_with(path, conf, stderr, &[])
}

/// [`start_on_alsa`] with `extra` arguments.
fn start_on_alsa_with(path: &Path, conf: &Path, stderr: &Path, extra: &[&str]) -> Result<Reaper, String> {
    let args = [&["--backend", "alsa", "--output-device", ALSA_DEVICE, "--input-device", ALSA_DEVICE][..], extra].concat();
    start_app(path, &args, &[("ALSA_CONFIG_PATH", conf)], stderr)
}

/// Waits until the app's ALSA output carries the probe's signal (it processes audio through
/// the device), failing if it exits first.
fn wait_for_alsa_audio(loud_cycles: &AtomicUsize, app: &mut Reaper, stderr: &Path) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while loud_cycles.load(Ordering::Relaxed) == 0 {
        if let Some(status) = app.0.as_mut().unwrap().try_wait().map_err(|e| e.to_string())? {
            return Err(format!("exited ({status}) before its ALSA output carried the input's sine: {}", read(stderr)));
        }
        if Instant::now() > deadline {
            return Err(format!("its ALSA output stayed silent for 15 s with a sine at its ALSA input: {}", read(stderr)));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// The watchdog's line (plugins/common/src/standalone.rs) for a device that stopped.
fn alsa_stalled_line() -> String {
    format!("the ALSA output device '{ALSA_DEVICE}' stopped delivering audio")
}

/// A healthy ALSA device: the app processes through it for three seconds (three times the
/// watchdog's bound, ALSA_STALL_TIMEOUT) and keeps running, its output carrying the signal all
/// along, and SIGINT ends it with status 0 and no word from the watchdog.
#[test]
fn every_standalone_on_a_healthy_alsa_device_runs_until_sigint() {
    let _jack = JACK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let server = JackServer::start(&jack_env());
    for_each_app("healthy ALSA device", |app, path| {
        let tmp = TempDir::new(&format!("alsa-ok-{app}"));
        let conf = alsa_jack_config(&tmp);
        let stderr = tmp.join("stderr.txt");
        let (probe, loud_cycles) = alsa_probe()?;
        let mut running = start_on_alsa(path, &conf, &stderr)?;
        wait_for_alsa_audio(&loud_cycles, &mut running, &stderr)?;
        for second in 1..=3 {
            let before = loud_cycles.load(Ordering::Relaxed);
            std::thread::sleep(Duration::from_secs(1));
            if let Some(status) = running.0.as_mut().unwrap().try_wait().map_err(|e| e.to_string())? {
                return Err(format!("exited ({status}) {second} s into a healthy run: {}", read(&stderr)));
            }
            if loud_cycles.load(Ordering::Relaxed) == before {
                return Err(format!("its ALSA output went silent {second} s into the run: {}", read(&stderr)));
            }
        }
        let status = stop(running.0.as_mut().unwrap(), "-INT")?;
        running.0 = None;
        drop(probe);
        let all = read(&stderr);
        if status.code() != Some(0) || all.contains("stopped delivering") || all.contains("delivered no audio") {
            return Err(format!("SIGINT: exit status {status}, expected 0 and no word from the watchdog: {all:?}"));
        }
        Ok(())
    });
    drop(server);
}

/// The ALSA device disappears under a running app (the JACK server behind it killed with
/// SIGKILL, then with SIGTERM): nice-plug's wrapper alone waits for good. The guard's watchdog
/// must end the app within two seconds (its bound is one second; the rest is slack for a
/// loaded machine), with status 1 and exactly one line on stderr naming the device. The app
/// records (`--record`): the file is a complete WAV of the audio it processed.
#[test]
fn every_standalone_on_alsa_exits_when_its_device_disappears() {
    let _jack = JACK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let server_name = jack_env();
    for_each_app("ALSA device loss", |app, path| {
        let tmp = TempDir::new(&format!("alsa-loss-{app}"));
        let conf = alsa_jack_config(&tmp);
        let stderr = tmp.join("stderr.txt");
        for signal in ["-KILL", "-TERM"] {
            let server = JackServer::start(&server_name);
            let (probe, loud_cycles) = alsa_probe()?;
            let record = tmp.join("take.wav");
            let record_arg = record.display().to_string();
            let mut running = start_on_alsa_with(path, &conf, &stderr, &["--record", &record_arg])?;
            wait_for_alsa_audio(&loud_cycles, &mut running, &stderr)?;
            // The test's own client leaves first, so that only the app loses the server.
            drop(probe);
            std::thread::sleep(Duration::from_millis(300));
            let line = alsa_stalled_line();
            let what = server_loss_ends_app(&server, signal, &mut running, &stderr, Duration::from_secs(2), &line, "the ALSA device")?;
            let channels = complete_wav(&record).map_err(|e| format!("ALSA device gone ({signal}): {e}"))?;
            let frames = channels.first().map_or(0, Vec::len);
            if channels.len() != 2 || frames < JACK_RATE as usize / 5 {
                return Err(format!("ALSA device gone ({signal}): the recording has {} channels and {frames} frames", channels.len()));
            }
            eprintln!("standalone {app}: ALSA device gone, {what}; the recording is a valid WAV of {frames} frames");
            drop(server);
        }
        Ok(())
    });
}

/// An ALSA device that opens but never delivers a block (the JACK server behind it frozen with
/// SIGSTOP before the app starts): the watchdog ends the app after its first-block bound
/// (ALSA_FIRST_BLOCK_TIMEOUT, 10 s), not before and not much after, with status 1 and one line.
#[test]
fn every_standalone_on_alsa_exits_when_its_device_never_starts() {
    let _jack = JACK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let server_name = jack_env();
    for_each_app("ALSA device that never starts", |app, path| {
        let tmp = TempDir::new(&format!("alsa-frozen-{app}"));
        let conf = alsa_jack_config(&tmp);
        let stderr = tmp.join("stderr.txt");
        let server = JackServer::start(&server_name);
        server.signal("-STOP");
        let started = Instant::now();
        let mut running = start_on_alsa(path, &conf, &stderr)?;
        let result = wait_exit(&mut running, Duration::from_secs(20));
        server.signal("-CONT");
        let (status, _) = result.map_err(|e| format!("device frozen from the start: {e}"))?;
        let took = started.elapsed();
        let all = read(&stderr);
        let ours: Vec<&str> = all.lines().filter(|l| l.starts_with(&format!("{app}: "))).collect();
        if status.code() != Some(1) || took < Duration::from_secs(10) || took > Duration::from_secs(13) {
            return Err(format!("exit status {status} after {took:?}, expected 1 after 10 to 13 s: {all:?}"));
        }
        if ours.len() != 1 || !ours[0].contains(&format!("'{ALSA_DEVICE}' delivered no audio within 10 s")) {
            return Err(format!("expected one line saying the device delivered no audio, got {all:?}"));
        }
        eprintln!("standalone {app}: ALSA device frozen from the start -> {status} after {took:?}: {}", ours[0]);
        drop(server);
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Notes through the standalone app's JACK MIDI input
// ---------------------------------------------------------------------------------------------

/// Per app that takes notes: its `--set` values, its audio input (a constant), and two notes
/// with the frequency each must produce relative to the first (the VCF's self-oscillation moves
/// with 100 % key tracking; the Ring's carrier is the note's frequency, absolute).
const MIDI_APPS: &[(&str, &[&str], f32)] = &[
    ("ferrite-vcf", &["resonance=8", "key_track=1", "oversampling=4x", "cutoff=500"], 0.0),
    // Parker's static network passes DC: with a DC input the output is the carrier itself.
    ("ferrite-ring", &["note_follow=on", "model=parker"], 0.5),
];

/// The JACK client of the MIDI test: sends note-ons at set frames through a MIDI port, feeds a
/// constant (and one click, to start a self-oscillation) into the app, records its first
/// output. Everything is allocated before activation.
struct MidiFeeder {
    notes: jack::Port<jack::MidiOut>,
    feed: Vec<jack::Port<jack::AudioOut>>,
    record: jack::Port<jack::AudioIn>,
    /// `(frame, key)`: note-ons to send.
    schedule: Vec<(usize, u8)>,
    /// The constant fed to the app's inputs.
    level: f32,
    recorded: Vec<f32>,
    position: usize,
    started: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
}

impl jack::ProcessHandler for MidiFeeder {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let n = ps.n_frames() as usize;
        let playing = self.started.load(Ordering::Acquire);
        let mut writer = self.notes.writer(ps);
        for port in self.feed.iter_mut() {
            for (i, y) in port.as_mut_slice(ps).iter_mut().enumerate() {
                let frame = self.position + i;
                *y = if !playing { 0.0 } else if frame == 100 { self.level + 0.1 } else { self.level };
            }
        }
        if !playing {
            return jack::Control::Continue;
        }
        for &(frame, key) in &self.schedule {
            if (self.position..self.position + n).contains(&frame) {
                let _ = writer.write(&jack::RawMidi { time: (frame - self.position) as u32, bytes: &[0x90, key, 100] });
            }
        }
        let input = self.record.as_slice(ps);
        let end = (self.position + n).min(self.recorded.len());
        let start = self.position.min(end);
        self.recorded[start..end].copy_from_slice(&input[..end - start]);
        self.position += n;
        if end == self.recorded.len() {
            self.done.store(true, Ordering::Release);
        }
        jack::Control::Continue
    }
}

/// Mean frequency from the rising zero crossings (with hysteresis) of `x`, Hz.
fn crossing_hz(x: &[f32]) -> f64 {
    ferrite_dsp::analysis::crossing_frequency(x, JACK_RATE as f64)
}

#[test]
fn notes_through_the_jack_midi_input_move_the_vcf_cutoff_and_the_ring_carrier() {
    let _jack = JACK_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let server = JackServer::start(&jack_env());
    for_each_app("JACK MIDI input", |app, path| {
        let tmp = TempDir::new(&format!("midi-{app}"));
        let stderr = tmp.join("stderr.txt");
        let client = app.replace('-', "_");
        let Some(&(_, sets, level)) = MIDI_APPS.iter().find(|(a, _, _)| *a == app) else {
            // An app that takes no notes has no MIDI port.
            let mut running = start_on_jack(path, &[], &stderr)?;
            let (probe, _) = jack::Client::new("ferrite_midi_probe", jack::ClientOptions::NO_START_SERVER).map_err(|e| e.to_string())?;
            wait_for_ports(&probe, &client, &mut running, &stderr)?;
            let midi = probe.ports(Some(&format!("^{client}:")), Some("midi"), jack::PortFlags::empty());
            stop(running.0.as_mut().unwrap(), "-INT")?;
            running.0 = None;
            return if midi.is_empty() { Ok(()) } else { Err(format!("MIDI ports {midi:?} on an app that takes no notes")) };
        };
        let args: Vec<String> = sets.iter().flat_map(|s| ["--set".to_owned(), (*s).to_owned()]).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut running = start_on_jack(path, &args, &stderr)?;
        let (jc, _) = jack::Client::new("ferrite_midi_source", jack::ClientOptions::NO_START_SERVER).map_err(|e| e.to_string())?;
        let audio_in = wait_for_ports(&jc, &client, &mut running, &stderr)?;
        let midi_in = jc.ports(Some(&format!("^{client}:")), Some("midi"), jack::PortFlags::IS_INPUT);
        let [midi_in] = midi_in.as_slice() else {
            return Err(format!("expected one JACK MIDI input, found {midi_in:?}"));
        };
        let app_ins: Vec<String> =
            audio_in.iter().filter(|p| jc.port_by_name(p).is_some_and(|q| q.flags().contains(jack::PortFlags::IS_INPUT))).cloned().collect();
        let app_out = jc.ports(Some(&format!("^{client}:")), Some("audio"), jack::PortFlags::IS_OUTPUT).into_iter().next().ok_or("no audio output")?;
        let rate = JACK_RATE as usize;
        // Two notes: the first at 0.3 s, the second at 1.3 s; 2.3 s recorded.
        let (first, second) = (60u8, 72u8);
        let notes = jc.register_port("notes", jack::MidiOut::default()).map_err(|e| e.to_string())?;
        let feed = (0..app_ins.len()).map(|i| jc.register_port(&format!("feed_{i}"), jack::AudioOut::default())).collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
        let record = jc.register_port("record", jack::AudioIn::default()).map_err(|e| e.to_string())?;
        let started = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let feeder = MidiFeeder {
            notes,
            feed,
            record,
            schedule: vec![(3 * rate / 10, first), (13 * rate / 10, second)],
            level,
            recorded: vec![0.0; 23 * rate / 10],
            position: 0,
            started: started.clone(),
            done: done.clone(),
        };
        let active = jc.activate_async((), feeder).map_err(|e| e.to_string())?;
        let c = active.as_client();
        c.connect_ports_by_name("ferrite_midi_source:notes", midi_in).map_err(|e| format!("connect MIDI: {e}"))?;
        for (i, theirs) in app_ins.iter().enumerate() {
            c.connect_ports_by_name(&format!("ferrite_midi_source:feed_{i}"), theirs).map_err(|e| format!("connect {theirs}: {e}"))?;
        }
        c.connect_ports_by_name(&app_out, "ferrite_midi_source:record").map_err(|e| format!("connect {app_out}: {e}"))?;
        std::thread::sleep(Duration::from_millis(200));
        started.store(true, Ordering::Release);
        let deadline = Instant::now() + Duration::from_secs(15);
        while !done.load(Ordering::Acquire) {
            if Instant::now() > deadline {
                return Err("the recording did not complete within 15 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let (_, _, feeder) = active.deactivate().map_err(|e| e.to_string())?;
        stop(running.0.as_mut().unwrap(), "-INT")?;
        running.0 = None;
        let y = &feeder.recorded;
        // The second half of each note's second, past glides and the oscillation's build-up.
        let f1 = crossing_hz(&y[8 * rate / 10..13 * rate / 10]);
        let f2 = crossing_hz(&y[18 * rate / 10..23 * rate / 10]);
        let hz = |k: u8| 440.0 * 2f64.powf((k as f64 - 69.0) / 12.0);
        eprintln!("{app} over JACK MIDI: note {first}: {f1:.2} Hz, note {second}: {f2:.2} Hz");
        if app == "ferrite-ring" {
            for (key, f) in [(first, f1), (second, f2)] {
                if (f / hz(key) - 1.0).abs() > 0.01 {
                    return Err(format!("note {key}: carrier {f:.2} Hz, expected {:.2} Hz", hz(key)));
                }
            }
        } else {
            let want = hz(second) / hz(first);
            if (f2 / f1 / want - 1.0).abs() > 0.01 {
                return Err(format!("the oscillation moved from {f1:.2} Hz (note {first}) to {f2:.2} Hz (note {second}): × {:.4}, expected × {want:.4}", f2 / f1));
            }
        }
        Ok(())
    });
    drop(server);
}
