//! The standalone guard: ours, around nice-plug 0.4.2's standalone wrapper, whose backends are
//! private and cannot be extended. It runs beside the wrapper, never in the audio callback:
//!
//! - **Server loss.** nice-plug's JACK backend parks its audio thread until its process callback
//!   unparks it; when the JACK server stops, the callback never runs again, and `Wrapper::run`
//!   waits forever to join that thread (nothing printed, SIGINT and SIGTERM ignored). The guard
//!   opens a JACK client of its own on the same server (never activated, so it has no place in
//!   the server's process graph) whose shutdown notification prints one line and ends the
//!   process with status 1 at once.
//! - **Device loss (ALSA).** nice-plug's ALSA backend (cpal) ends its audio thread when the
//!   output stream reports an error ("Error during playback"), and some devices (ALSA's JACK
//!   plugin, with its server gone) never report one and simply stop calling back; either way
//!   the wrapper's main thread goes on waiting for a signal, with no audio, for good. With the
//!   ALSA backend (`--backend alsa`, or `auto` without a JACK server) the guard runs a
//!   watchdog thread that reads [`BLOCKS`], the count of blocks the skeleton's `process` has
//!   run: once blocks have come, a silence of [`ALSA_STALL_TIMEOUT`] (or [`ALSA_STALL_PERIODS`]
//!   periods, if that is longer) prints one line and ends the process with status 1; a device
//!   that delivers no first block within [`ALSA_FIRST_BLOCK_TIMEOUT`] (a stream that never
//!   starts, or an audio thread that died starting it) likewise. The watchdog stands down
//!   once a signal has asked the app to stop. libjack's chatter is silenced here too (ALSA's
//!   JACK plugin prints it when its server goes).
//! - **Signals.** nice-plug's SIGINT/SIGTERM handler (the `ctrlc` crate) only asks the wrapper
//!   to stop; with an editor window open, or a backend that no longer calls back, nothing stops.
//!   Once that handler is installed, the guard chains an action of its own after it
//!   (`signal-hook-registry`): if the process is still running [`SIGNAL_GRACE`] after a
//!   signal (or at a second signal), the guard ends it with status 0; a third signal ends it
//!   from the handler itself.
//! - **Recording.** Every end above (server loss, device loss, the signal guard) first finishes
//!   a `--record` recording ([`crate::record::finish`]: drains what the audio thread has pushed
//!   and finalises the WAV headers), never waiting on the audio thread.
//! - **Several instances on one server.** nice-plug names its JACK client after the plugin
//!   ("ferrite_ring") and fails when the name is taken (`NAME_NOT_UNIQUE`). The guard picks the
//!   first free instance, 1 to [`INSTANCES`]: instance 1 is the plugin's own name, instance n
//!   is "NAME n" (client `ferrite_ring_2`, ...), and the app runs as that instance (a plugin type
//!   per instance, [`InstanceName`]). The guard's own client, `CLIENT-guard` with the exact
//!   name, reserves the instance, so apps started at the same moment do not pick the same one.
//! - **Sidechain connections.** nice-plug's `--connect-jack-inputs` reaches the main inputs
//!   only. `--connect-jack-sidechain PORT[,PORT...]` (taken out of the arguments before
//!   nice-plug parses them) connects the auxiliary inputs the same way, from the guard's client
//!   once the app's ports exist.
//! - **Messages.** No JACK server (with `--backend jack`): one line naming the server tried,
//!   instead of `ClientStatus(FAILURE | SERVER_FAILED)`. No ALSA output device (`--backend
//!   alsa` without `--output-device`): one line saying so, instead of "may have been
//!   disconnected". An invalid `--audio-layout`: the
//!   layouts listed with separators. libjack's own chatter ("Cannot read socket fd", ...) is
//!   not printed.

use std::marker::PhantomData;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use nice_plug::prelude::*;

use crate::effect::{Effect, EffectPlugin};

/// Most instances of one app on one JACK server. Each is a plugin type of its own, with its own
/// copy of nice-plug's wrapper in the app (about 0.6 MB each).
pub const INSTANCES: u8 = 4;
/// Our option: JACK ports to connect the auxiliary (sidechain) inputs to.
pub const SIDECHAIN_FLAG: &str = "--connect-jack-sidechain";
/// How long after SIGINT/SIGTERM the wrapper has to stop by itself.
pub const SIGNAL_GRACE: Duration = Duration::from_secs(1);
/// Once the ALSA device has delivered blocks, the longest it may go without one before the
/// watchdog ends the app (see the module doc). Far longer than any period a device is run with
/// (nice-plug's default is 512 frames, about 11 ms at 48 kHz), and short enough that a lost
/// device ends the app about a second later. Counted in watchdog ticks, not wall time, so a
/// process that was suspended (SIGSTOP, a laptop's sleep) is not judged by the time it slept.
pub const ALSA_STALL_TIMEOUT: Duration = Duration::from_secs(1);
/// The stall bound in periods (`--period-size` at `--sample-rate`), for periods so long that
/// [`ALSA_STALL_TIMEOUT`] would be less than this many of them; the longer bound applies.
pub const ALSA_STALL_PERIODS: u32 = 4;
/// The longest the ALSA device may take to deliver its first block, from the start of the app
/// (plugin and editor set-up and the device's opening included).
pub const ALSA_FIRST_BLOCK_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the ALSA watchdog looks at [`BLOCKS`].
const WATCHDOG_TICK: Duration = Duration::from_millis(50);

/// Blocks the skeleton's `process` has been called for, in this process (every instance): the
/// ALSA watchdog's sign of life. The audio thread's only cost is one relaxed `fetch_add` per
/// block; inside a plugin host nothing reads it.
pub static BLOCKS: AtomicUsize = AtomicUsize::new(0);

/// How long the guard tries to make the sidechain connections (the app registers its ports
/// after the guard starts).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The name of instance `I` of effect `E`, as a constant (nice-plug takes the client name and
/// the window title from `Plugin::NAME`): `E::NAME` for instance 0, "`E::NAME` n+1" after.
pub struct InstanceName<E, const I: u8>(PhantomData<E>);

const fn instance_name_bytes(name: &str, instance: u8) -> ([u8; 64], usize) {
    let mut buf = [0u8; 64];
    let bytes = name.as_bytes();
    assert!(bytes.len() + 4 <= buf.len(), "plugin name too long");
    let mut i = 0;
    while i < bytes.len() {
        buf[i] = bytes[i];
        i += 1;
    }
    if instance > 0 {
        let n = instance + 1;
        buf[i] = b' ';
        i += 1;
        if n >= 100 {
            buf[i] = b'0' + n / 100;
            i += 1;
        }
        if n >= 10 {
            buf[i] = b'0' + (n / 10) % 10;
            i += 1;
        }
        buf[i] = b'0' + n % 10;
        i += 1;
    }
    (buf, i)
}

impl<E: Effect, const I: u8> InstanceName<E, I> {
    const BYTES: &'static ([u8; 64], usize) = &instance_name_bytes(E::NAME, I);
    /// The name.
    pub const NAME: &'static str = match std::str::from_utf8(Self::BYTES.0.split_at(Self::BYTES.1).0) {
        Ok(name) => name,
        Err(_) => panic!("plugin name is not UTF-8"),
    };
}

/// The same name at run time, for instance `instance` (0-based).
pub fn instance_name(name: &str, instance: u8) -> String {
    if instance == 0 {
        name.to_owned()
    } else {
        format!("{name} {}", instance + 1)
    }
}

/// nice-plug's JACK client name for a plugin name.
pub fn jack_client_name(plugin_name: &str) -> String {
    plugin_name.to_lowercase().replace(' ', "_")
}

/// Runs nice-plug's standalone wrapper as instance `instance` (0-based) of effect `E`.
pub fn run_instance<E: Effect>(instance: u8, args: Vec<String>) -> bool {
    macro_rules! run {
        ($($n:literal)*) => {
            match instance {
                $($n => nice_export_standalone_with_args::<EffectPlugin<E, $n>, _>(args),)*
                _ => unreachable!("instance {instance} of {}", INSTANCES),
            }
        };
    }
    const _: () = assert!(INSTANCES == 4, "list every instance in run_instance");
    run!(0 1 2 3)
}

/// Which backend the arguments ask nice-plug for, as far as the guard cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// `auto` (the default): JACK if a server runs, else ALSA, else dummy.
    #[default]
    Auto,
    /// `jack`.
    Jack,
    /// `alsa`.
    Alsa,
    /// Any other.
    Other,
}

/// What the guard reads from the standalone's arguments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GuardArgs {
    /// nice-plug's `--backend`/`-b`.
    pub backend: BackendChoice,
    /// nice-plug's `--audio-layout`/`-l`, as given.
    pub layout: Option<String>,
    /// Our [`SIDECHAIN_FLAG`]: the ports, comma-separated.
    pub sidechain: Option<String>,
    /// nice-plug's `--output-device`, as given.
    pub output_device: Option<String>,
    /// nice-plug's `--period-size`/`-p`, if given and a number.
    pub period_size: Option<u32>,
    /// nice-plug's `--sample-rate`/`-r`, if given and a number.
    pub sample_rate: Option<f32>,
    /// Our [`crate::record::RECORD_FLAG`]: the file the outputs are recorded to.
    pub record: Option<std::path::PathBuf>,
    /// Our [`crate::record::RECORD_INPUTS_FLAG`]: the file the inputs are recorded to.
    pub record_inputs: Option<std::path::PathBuf>,
    /// Whether nice-plug's `--midi-input` (an ALSA MIDI port, read through midir) was given.
    pub midi_input: bool,
    /// Whether nice-plug's `--connect-jack-midi-input` was given.
    pub connect_jack_midi_input: bool,
}

/// The value of option `long`/`short` at `args[i]`, if that is one, and how many arguments it
/// takes (clap's forms: `--long V`, `--long=V`, `-s V`, `-sV`, `-s=V`).
fn option_value(args: &[String], i: usize, long: &str, short: Option<&str>) -> Option<(Option<String>, usize)> {
    let arg = args[i].as_str();
    if arg == long || Some(arg) == short {
        return Some((args.get(i + 1).cloned(), 2));
    }
    if let Some(v) = arg.strip_prefix(long).and_then(|r| r.strip_prefix('=')) {
        return Some((Some(v.to_owned()), 1));
    }
    if let Some(v) = short.and_then(|s| arg.strip_prefix(s)).filter(|_| !arg.starts_with("--")) {
        return Some((Some(v.strip_prefix('=').unwrap_or(v).to_owned()), 1));
    }
    None
}

/// Takes our options ([`SIDECHAIN_FLAG`], `--record`, `--record-inputs`) out of `args`
/// (nice-plug's parser does not know them) and reads the backend and layout options, which stay
/// for nice-plug.
pub fn take_guard_args(args: &mut Vec<String>) -> Result<GuardArgs, String> {
    let mut out = GuardArgs::default();
    let mut i = 1;
    while i < args.len() {
        if args[i] == "--" {
            break;
        }
        if let Some((value, n)) = option_value(args, i, SIDECHAIN_FLAG, None) {
            let value = value.filter(|v| !v.is_empty()).ok_or_else(|| format!("{SIDECHAIN_FLAG} needs PORT[,PORT...]"))?;
            out.sidechain = Some(value);
            args.drain(i..(i + n).min(args.len()));
            continue;
        }
        let record_flags = [(crate::record::RECORD_FLAG, &mut out.record), (crate::record::RECORD_INPUTS_FLAG, &mut out.record_inputs)];
        if let Some((flag, slot, value, n)) =
            record_flags.into_iter().find_map(|(flag, slot)| option_value(args, i, flag, None).map(|(v, n)| (flag, slot, v, n)))
        {
            // A following option is not a file name (`--record --no-editor`).
            let option_follows = |v: &String| n == 2 && v.starts_with('-');
            let is_file = |v: &String| !v.is_empty() && !option_follows(v);
            let value = value.filter(is_file).ok_or_else(|| format!("{flag} needs FILE"))?;
            *slot = Some(value.into());
            args.drain(i..(i + n).min(args.len()));
            continue;
        }
        if let Some((value, n)) = option_value(args, i, "--backend", Some("-b")) {
            out.backend = match value.as_deref() {
                Some("jack") => BackendChoice::Jack,
                Some("auto") => BackendChoice::Auto,
                Some("alsa") => BackendChoice::Alsa,
                _ => BackendChoice::Other,
            };
            i += n;
            continue;
        }
        if let Some((value, n)) = option_value(args, i, "--output-device", None) {
            out.output_device = Some(value.unwrap_or_default());
            i += n;
            continue;
        }
        if let Some((value, n)) = option_value(args, i, "--period-size", Some("-p")) {
            out.period_size = value.and_then(|v| v.parse().ok());
            i += n;
            continue;
        }
        if let Some((value, n)) = option_value(args, i, "--sample-rate", Some("-r")) {
            out.sample_rate = value.and_then(|v| v.parse().ok());
            i += n;
            continue;
        }
        if let Some((_, n)) = option_value(args, i, "--midi-input", None) {
            out.midi_input = true;
            i += n;
            continue;
        }
        if let Some((_, n)) = option_value(args, i, "--connect-jack-midi-input", None) {
            out.connect_jack_midi_input = true;
            i += n;
            continue;
        }
        if let Some((value, n)) = option_value(args, i, "--audio-layout", Some("-l")) {
            out.layout = Some(value.unwrap_or_default());
            i += n;
            continue;
        }
        i += 1;
    }
    Ok(out)
}

/// The layout nice-plug will use for `--audio-layout` (1-based), or the list of layouts (one
/// line each, with separators) when the value is not one of them.
pub fn resolve_layout(layouts: &[AudioIOLayout], given: Option<&str>) -> Result<AudioIOLayout, String> {
    let Some(given) = given else {
        return Ok(layouts.first().copied().unwrap_or_default());
    };
    if let Some(layout) = given.parse::<usize>().ok().filter(|n| (1..=layouts.len()).contains(n)).map(|n| layouts[n - 1]) {
        return Ok(layout);
    }
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let channels = |c: Option<NonZeroU32>| c.map_or(0, |c| c.get() as usize);
    let mut list = format!("invalid --audio-layout '{given}'; the layouts are:");
    for (i, l) in layouts.iter().enumerate() {
        let mut parts =
            vec![plural(channels(l.main_input_channels), "input channel"), plural(channels(l.main_output_channels), "output channel")];
        if !l.aux_input_ports.is_empty() {
            parts.push(plural(l.aux_input_ports.len(), "sidechain input"));
        }
        if !l.aux_output_ports.is_empty() {
            parts.push(plural(l.aux_output_ports.len(), "sidechain output"));
        }
        list.push_str(&format!("\n{}: {} ({})", i + 1, l.name(), parts.join(", ")));
    }
    Err(list)
}

/// The JACK server the app connects to (libjack's rule: `JACK_DEFAULT_SERVER`, else "default").
pub fn jack_server_name() -> String {
    std::env::var("JACK_DEFAULT_SERVER").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "default".to_owned())
}

/// With `--backend alsa` and no `--output-device`: whether ALSA's default output device can be
/// opened, before nice-plug tries (it would say "The requested audio device is not available.
/// It may have been disconnected.", after several lines of libasound's own). libasound's
/// messages go to a buffer here; the answer is one line.
#[cfg(target_os = "linux")]
pub fn check_alsa_output() -> Result<(), String> {
    let _quiet = alsa::Output::local_error_handler();
    match alsa::PCM::new("default", alsa::Direction::Playback, true) {
        Ok(pcm) => {
            drop(pcm);
            Ok(())
        }
        Err(e) => {
            let cards = alsa::card::Iter::new().filter(|c| c.is_ok()).count();
            let cause = std::io::Error::from_raw_os_error(e.errno());
            if cards == 0 {
                Err(format!("there is no ALSA output device: no sound card, and the default device cannot be opened ({cause})"))
            } else {
                Err(format!("the default ALSA output device cannot be opened ({cause}); choose one with --output-device"))
            }
        }
    }
}

/// Other systems: nice-plug's own check.
#[cfg(not(target_os = "linux"))]
pub fn check_alsa_output() -> Result<(), String> {
    Ok(())
}

/// The line printed when the server stops (built before, so the notification only writes it).
static SHUTDOWN_LINE: OnceLock<String> = OnceLock::new();

/// Finishes the recording (`--record`: drained and its header fixed, without waiting for the
/// audio thread), writes `line` to stderr and ends the process with status 1 at once. `_exit`:
/// nothing may wait for the audio thread the wrapper would join.
fn exit_with_line(line: &str) -> ! {
    use std::io::Write;
    crate::record::finish();
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(line.as_bytes());
    // SAFETY: ends the process without running anything that might wait for the wrapper.
    unsafe { libc::_exit(1) }
}

/// libjack's shutdown notification of the guard's client (a libjack thread, never the audio
/// thread): one line, and the process ends.
unsafe extern "C" fn on_server_shutdown(
    _code: jack::jack_sys::jack_status_t,
    _reason: *const libc::c_char,
    _arg: *mut libc::c_void,
) {
    exit_with_line(SHUTDOWN_LINE.get().map_or("", String::as_str));
}

/// Silences libjack's own messages, if libjack can be loaded at all (the JACK crate loads it
/// at run time). One libjack serves the whole process, ALSA's JACK plugin included.
fn quiet_libjack() {
    if jack::jack_sys::library().is_ok() {
        jack::set_logger(jack::LoggerType::None);
    }
}

/// The stall bound for the ALSA watchdog: [`ALSA_STALL_TIMEOUT`], or [`ALSA_STALL_PERIODS`]
/// periods of `period_size` frames at `sample_rate` if that is longer (nice-plug's defaults:
/// 512 frames, 48 kHz).
pub fn alsa_stall_timeout(period_size: Option<u32>, sample_rate: Option<f32>) -> Duration {
    let rate = sample_rate.filter(|r| r.is_finite() && *r > 0.0).unwrap_or(48_000.0) as f64;
    let period = period_size.unwrap_or(512) as f64 / rate;
    ALSA_STALL_TIMEOUT.max(Duration::from_secs_f64((period * ALSA_STALL_PERIODS as f64).min(3600.0)))
}

/// What the ALSA watchdog concludes from one more look at [`BLOCKS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Watch {
    /// Audio flows, or may still start.
    Fine,
    /// Blocks came and then stopped for the stall bound.
    Stalled,
    /// No block came within the first-block bound.
    NeverStarted,
}

/// The ALSA watchdog's state: the count last seen, whether it has ever moved, and for how many
/// ticks it has not.
#[derive(Debug)]
struct Watchdog {
    last: usize,
    started: bool,
    quiet_ticks: u32,
    stall_ticks: u32,
    first_block_ticks: u32,
}

impl Watchdog {
    fn new(initial: usize, stall: Duration, first_block: Duration) -> Self {
        let ticks = |d: Duration| (d.as_secs_f64() / WATCHDOG_TICK.as_secs_f64()).ceil().max(1.0) as u32;
        Self { last: initial, started: false, quiet_ticks: 0, stall_ticks: ticks(stall), first_block_ticks: ticks(first_block) }
    }

    /// One tick with the block count at `blocks`.
    fn look(&mut self, blocks: usize) -> Watch {
        if blocks != self.last {
            self.last = blocks;
            self.started = true;
            self.quiet_ticks = 0;
            return Watch::Fine;
        }
        self.quiet_ticks = self.quiet_ticks.saturating_add(1);
        match self.started {
            true if self.quiet_ticks >= self.stall_ticks => Watch::Stalled,
            false if self.quiet_ticks >= self.first_block_ticks => Watch::NeverStarted,
            _ => Watch::Fine,
        }
    }
}

/// Starts the ALSA watchdog (see the module doc) for the device `device` (`None`: the default
/// device), with the stall bound `stall` ([`alsa_stall_timeout`]).
pub fn start_alsa_watchdog(cli_name: &str, device: Option<&str>, stall: Duration) {
    quiet_libjack();
    let device = match device {
        Some(name) => format!("the ALSA output device '{name}'"),
        None => "the default ALSA output device".to_owned(),
    };
    let stalled = format!("{cli_name}: {device} stopped delivering audio (none for {:.1} s); exiting\n", stall.as_secs_f64());
    let never = format!(
        "{cli_name}: {device} delivered no audio within {} s of starting; exiting\n",
        ALSA_FIRST_BLOCK_TIMEOUT.as_secs()
    );
    let mut watchdog = Watchdog::new(BLOCKS.load(Ordering::Relaxed), stall, ALSA_FIRST_BLOCK_TIMEOUT);
    std::thread::spawn(move || loop {
        std::thread::sleep(WATCHDOG_TICK);
        // Asked to stop: the blocks end on purpose, and the signal guard ends the app if the
        // wrapper does not.
        if SIGNALLED.load(Ordering::SeqCst) != 0 {
            return;
        }
        match watchdog.look(BLOCKS.load(Ordering::Relaxed)) {
            Watch::Fine => {}
            Watch::Stalled => exit_with_line(&stalled),
            Watch::NeverStarted => exit_with_line(&never),
        }
    });
}

/// The guard's JACK client while the app runs.
pub struct JackGuard {
    client: Arc<jack::Client>,
    /// The instance the app runs as (0-based).
    pub instance: u8,
    /// The app's JACK client name.
    pub client_name: String,
}

/// Why the guard could not start on JACK.
#[derive(Debug)]
pub enum JackGuardError {
    /// No server runs (or it refused us).
    NoServer(String),
    /// Every instance name is taken.
    AllTaken(String),
}

impl JackGuard {
    /// Opens the guard's client on the running server for the first free instance of
    /// `plugin_name` (see the module doc), and watches the server from then on.
    pub fn start(cli_name: &str, plugin_name: &str) -> Result<Self, JackGuardError> {
        // libjack reports through the `log` crate, which nice-plug's logger prints: several
        // lines for every failed attempt or lost server. Our own lines say what happened.
        jack::set_logger(jack::LoggerType::None);
        let server = jack_server_name();
        for instance in 0..INSTANCES {
            let client_name = jack_client_name(&instance_name(plugin_name, instance));
            let guard_name = format!("{client_name}-guard");
            match jack::Client::new(&guard_name, jack::ClientOptions::NO_START_SERVER | jack::ClientOptions::USE_EXACT_NAME) {
                Ok((client, _)) => {
                    // A client of that name without our guard (another program, an older app).
                    if client.uuid_of_client_by_name(&client_name).is_some() {
                        continue;
                    }
                    let _ = SHUTDOWN_LINE.set(format!("{cli_name}: the JACK server '{server}' stopped; exiting\n"));
                    // SAFETY: the callback and its (null) argument live as long as the process.
                    unsafe {
                        jack::jack_sys::jack_on_info_shutdown(client.raw(), Some(on_server_shutdown), std::ptr::null_mut());
                    }
                    return Ok(Self { client: Arc::new(client), instance, client_name });
                }
                // jackd2 answers a taken exact name with FAILURE | SERVER_ERROR (not
                // NAME_NOT_UNIQUE); SERVER_FAILED means that no server answered.
                Err(jack::Error::ClientError(status)) if !status.contains(jack::ClientStatus::SERVER_FAILED) => continue,
                Err(_) => {
                    return Err(JackGuardError::NoServer(format!(
                        "no JACK server '{server}' is running (the server is chosen by JACK_DEFAULT_SERVER, else 'default')"
                    )))
                }
            }
        }
        Err(JackGuardError::AllTaken(format!(
            "no free instance on the JACK server '{server}': '{}' to '{}' are taken",
            instance_name(plugin_name, 0),
            instance_name(plugin_name, INSTANCES - 1)
        )))
    }

    /// Connects the app's auxiliary inputs to `ports` (one port for all, or a comma-separated
    /// list in order) once they exist, from a thread of the guard; a connection that cannot be
    /// made within [`CONNECT_TIMEOUT`] is reported in one line, and the app runs on.
    pub fn connect_sidechain(&self, cli_name: &str, layout: &AudioIOLayout, ports: &str) {
        let mut inputs = Vec::new();
        for (i, channels) in layout.aux_input_ports.iter().enumerate() {
            let name = layout.aux_input_name(i).unwrap_or_default().to_lowercase().replace(' ', "_");
            for c in 1..=channels.get() {
                inputs.push(format!("{}:{name}_{c}", self.client_name));
            }
        }
        let sources: Vec<String> = if ports.contains(',') {
            ports.split(',').map(|p| p.trim().to_owned()).collect()
        } else {
            vec![ports.to_owned(); inputs.len()]
        };
        let mut pending: Vec<(String, String)> = sources.into_iter().zip(inputs).collect();
        let client = self.client.clone();
        let cli_name = cli_name.to_owned();
        std::thread::spawn(move || {
            let deadline = Instant::now() + CONNECT_TIMEOUT;
            let mut last_error = Vec::new();
            while !pending.is_empty() && Instant::now() < deadline {
                last_error.clear();
                pending.retain(|(from, to)| match client.connect_ports_by_name(from, to) {
                    Ok(()) => false,
                    Err(e) => {
                        last_error.push(format!("'{from}' to '{to}' ({e})"));
                        true
                    }
                });
                if !pending.is_empty() {
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            if !last_error.is_empty() {
                eprintln!("{cli_name}: {SIDECHAIN_FLAG}: could not connect {}", last_error.join(", "));
            }
        });
    }
}

/// The signal that asked the app to stop (0: none yet).
static SIGNALLED: AtomicI32 = AtomicI32::new(0);
/// Signals received since the guard's action was chained.
static SIGNAL_COUNT: AtomicUsize = AtomicUsize::new(0);

/// Starts the signal guard: a thread that waits until nice-plug has installed its own handler
/// (it replaces whatever was there), chains an action after it, and ends the process with
/// status 0 if it has not ended [`SIGNAL_GRACE`] after a signal, or at once at a second signal,
/// having finished the recording (`--record`) first. A third signal ends it from the handler
/// itself, in case the guard's thread cannot (a recording stuck in a hung file system).
pub fn start_signal_guard() {
    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];
    let handler_of = |signal| {
        // SAFETY: a query (null new action) into a zeroed struct.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(signal, std::ptr::null(), &mut old);
            old.sa_sigaction
        }
    };
    let initial = handler_of(libc::SIGINT);
    std::thread::spawn(move || {
        loop {
            let now = handler_of(libc::SIGINT);
            if now != initial && now != libc::SIG_DFL && now != libc::SIG_IGN {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        for signal in SIGNALS {
            // SAFETY: the action only touches atomics and, at the third signal, calls `_exit`
            // (async-signal-safe); nice-plug's handler stays chained before it.
            let _ = unsafe {
                signal_hook_registry::register(signal, move || {
                    SIGNALLED.store(signal, Ordering::SeqCst);
                    if SIGNAL_COUNT.fetch_add(1, Ordering::SeqCst) >= 2 {
                        libc::_exit(0);
                    }
                })
            };
        }
        while SIGNALLED.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
        let deadline = Instant::now() + SIGNAL_GRACE;
        while Instant::now() < deadline && SIGNAL_COUNT.load(Ordering::SeqCst) < 2 {
            std::thread::sleep(Duration::from_millis(10));
        }
        crate::record::finish();
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // SAFETY: ends the process without running anything that might wait for the wrapper.
        unsafe { libc::_exit(0) };
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_sidechain_option_is_taken_out_and_backend_and_layout_are_read() {
        let mut a = args(&["app", "-b", "jack", "--connect-jack-sidechain", "x:out_1,x:out_2", "--audio-layout=2", "--set", "a=1"]);
        let g = take_guard_args(&mut a).unwrap();
        assert_eq!(a, args(&["app", "-b", "jack", "--audio-layout=2", "--set", "a=1"]));
        assert_eq!(
            g,
            GuardArgs {
                backend: BackendChoice::Jack,
                layout: Some("2".into()),
                sidechain: Some("x:out_1,x:out_2".into()),
                ..GuardArgs::default()
            }
        );
        let mut a = args(&["app", "--backend=alsa", "--connect-jack-sidechain=x:y", "-l1"]);
        let g = take_guard_args(&mut a).unwrap();
        assert_eq!(a, args(&["app", "--backend=alsa", "-l1"]));
        assert_eq!(g.backend, BackendChoice::Alsa);
        assert_eq!(g.layout.as_deref(), Some("1"));
        assert_eq!(g.sidechain.as_deref(), Some("x:y"));
        assert!(take_guard_args(&mut args(&["app", "--connect-jack-sidechain"])).is_err());
        assert_eq!(take_guard_args(&mut args(&["app"])).unwrap().backend, BackendChoice::Auto);
    }

    #[test]
    fn the_record_options_are_taken_out() {
        let mut a = args(&["app", "--record", "take.wav", "-b", "jack", "--record-inputs=dry take.wav", "--no-editor"]);
        let g = take_guard_args(&mut a).unwrap();
        assert_eq!(a, args(&["app", "-b", "jack", "--no-editor"]));
        assert_eq!(g.record.as_deref(), Some(std::path::Path::new("take.wav")));
        assert_eq!(g.record_inputs.as_deref(), Some(std::path::Path::new("dry take.wav")));
        let mut a = args(&["app", "--record=out.wav"]);
        let g = take_guard_args(&mut a).unwrap();
        assert_eq!((a, g.record.as_deref(), g.record_inputs), (args(&["app"]), Some(std::path::Path::new("out.wav")), None));
        for bad in [&["app", "--record"][..], &["app", "--record", "--no-editor"], &["app", "--record="], &["app", "--record-inputs"]] {
            let e = take_guard_args(&mut args(bad)).unwrap_err();
            assert!(e.ends_with("needs FILE"), "{bad:?}: {e}");
        }
        // After `--`, nothing is ours.
        let mut a = args(&["app", "--", "--record", "x.wav"]);
        assert_eq!(take_guard_args(&mut a).unwrap().record, None);
        assert_eq!(a.len(), 4);
    }

    #[test]
    fn device_period_and_rate_are_read() {
        let g = take_guard_args(&mut args(&["app", "-b", "alsa", "--output-device", "USB Audio", "-p", "2048", "--sample-rate=44100"]))
            .unwrap();
        assert_eq!((g.output_device.as_deref(), g.period_size, g.sample_rate), (Some("USB Audio"), Some(2048), Some(44100.0)));
        let g = take_guard_args(&mut args(&["app", "--period-size=64", "-r96000"])).unwrap();
        assert_eq!((g.output_device, g.period_size, g.sample_rate), (None, Some(64), Some(96000.0)));
    }

    #[test]
    fn the_stall_bound_is_a_second_or_four_long_periods() {
        assert_eq!(alsa_stall_timeout(None, None), ALSA_STALL_TIMEOUT);
        assert_eq!(alsa_stall_timeout(Some(64), Some(48_000.0)), ALSA_STALL_TIMEOUT);
        // 32768 frames at 22.05 kHz: 1.486 s a period.
        let long = alsa_stall_timeout(Some(32_768), Some(22_050.0));
        assert!((long.as_secs_f64() - 4.0 * 32_768.0 / 22_050.0).abs() < 1e-6, "{long:?}");
        assert_eq!(alsa_stall_timeout(Some(512), Some(0.0)), ALSA_STALL_TIMEOUT);
    }

    #[test]
    fn the_watchdog_waits_for_the_first_block_then_catches_a_stall() {
        let stall_ticks = (ALSA_STALL_TIMEOUT.as_millis() / WATCHDOG_TICK.as_millis()) as usize;
        let first_ticks = (ALSA_FIRST_BLOCK_TIMEOUT.as_millis() / WATCHDOG_TICK.as_millis()) as usize;
        let mut w = Watchdog::new(5, ALSA_STALL_TIMEOUT, ALSA_FIRST_BLOCK_TIMEOUT);
        // Starting: no verdict before the first-block bound, even well past the stall bound.
        for tick in 1..first_ticks {
            assert_eq!(w.look(5), Watch::Fine, "tick {tick} before the first block");
        }
        assert_eq!(w.look(5), Watch::NeverStarted);
        // Blocks flowing, then a pause shorter than the bound, then a stall.
        let mut w = Watchdog::new(0, ALSA_STALL_TIMEOUT, ALSA_FIRST_BLOCK_TIMEOUT);
        for blocks in 1..100 {
            assert_eq!(w.look(blocks), Watch::Fine);
        }
        for _ in 1..stall_ticks {
            assert_eq!(w.look(99), Watch::Fine);
        }
        assert_eq!(w.look(100), Watch::Fine, "a block resets the count");
        for tick in 1..stall_ticks {
            assert_eq!(w.look(100), Watch::Fine, "tick {tick} of the stall");
        }
        assert_eq!(w.look(100), Watch::Stalled);
    }

    #[test]
    fn instance_names_count_from_two() {
        assert_eq!(instance_name("Ferrite Ring", 0), "Ferrite Ring");
        assert_eq!(instance_name("Ferrite Ring", 1), "Ferrite Ring 2");
        assert_eq!(jack_client_name(&instance_name("Ferrite Ring", 3)), "ferrite_ring_4");
        let (b, n) = instance_name_bytes("Ferrite Ring", 11);
        assert_eq!(&b[..n], b"Ferrite Ring 12");
    }

    #[test]
    fn an_invalid_layout_lists_the_layouts_with_separators() {
        const AUX: &[NonZeroU32] = &[new_nonzero_u32(2)];
        let layouts = [AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            aux_input_ports: AUX,
            ..AudioIOLayout::const_default()
        }];
        let e = resolve_layout(&layouts, Some("7")).unwrap_err();
        assert!(e.contains("(2 input channels, 2 output channels, 1 sidechain input)"), "{e}");
        assert_eq!(resolve_layout(&layouts, Some("1")).unwrap().aux_input_ports.len(), 1);
    }
}
