//! The benchmarks' JACK side (`instances.rs`, `deadlines.rs`): a private JACK server (Debian's
//! jackd2, dummy driver, real-time priority) and one client that hosts plugin instances through
//! their CLAP entry and calls them one after the other in its callback, as a DAW does. The
//! callback times itself into a preallocated histogram (no allocation, no lock, no I/O in it),
//! counts the periods it overran, and tells the machine's own stalls from its own lateness: a
//! callback starting two periods or more after the previous one, which took less than a
//! period, means the machine stopped (a virtual machine's vCPU descheduled); the server reports
//! two xruns for each such stall.

#![allow(dead_code, reason = "shared by several benchmark binaries, each of which uses a part")]

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::host;

pub const SERVER: &str = "ferrite-bench";
/// Histogram buckets of the callback's duration: 1 % of the period each, up to 4 periods.
const BUCKETS: usize = 400;

/// Pins this process (and so everything it starts, the server too) to one CPU, and points our
/// JACK clients at the private server. Call first, before any other thread exists.
pub fn setup() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = std::env::var("FERRITE_BENCH_CPU").ok().and_then(|s| s.parse().ok()).unwrap_or(cpus - 1);
    // SAFETY: a zeroed cpu_set_t with one bit set, for this process.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        assert_eq!(libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set), 0, "sched_setaffinity");
    }
    std::env::set_var("JACK_DEFAULT_SERVER", SERVER);
    cpu
}

/// The names the command line picks (`-- NAME...`, each matching by substring), all when it
/// names none.
pub fn picked<'a>(names: &[&'a str]) -> Vec<&'a str> {
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    names.iter().copied().filter(|name| wanted.is_empty() || wanted.iter().any(|w| name.contains(w.as_str()))).collect()
}

/// Seconds each run is watched: `FERRITE_BENCH_SECONDS`, default 60.
pub fn seconds() -> u64 {
    std::env::var("FERRITE_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60)
}

/// The JACK server, stopped (SIGTERM, then SIGKILL) when dropped.
struct Server(Child);

impl Server {
    fn start(period: usize) -> Self {
        let jackd = ["/usr/bin/jackd", "/usr/local/bin/jackd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("jackd not found: sudo apt-get install -y jackd2 (cargo xtask test installs it)");
        let rate = (host::SAMPLE_RATE as u32).to_string();
        let child = Command::new(jackd)
            .args(["-n", SERVER, "-R", "-P", "70", "-d", "dummy", "-r", &rate, "-p", &period.to_string()])
            .env("JACK_NO_AUDIO_RESERVATION", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start jackd");
        let server = Server(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while jack::Client::new("ferrite_probe", jack::ClientOptions::NO_START_SERVER).is_err() {
            assert!(Instant::now() < deadline, "jackd did not accept clients within 10 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Default)]
struct Flags {
    xruns: AtomicUsize,
    watching: AtomicBool,
    server_gone: AtomicBool,
}

/// What the callback measured while watched.
#[derive(Clone)]
pub struct Outcome {
    /// The server's xrun notifications.
    pub xruns: usize,
    /// The machine's stalls (see the module's comment).
    pub stalls: usize,
    pub callbacks: u64,
    /// Callbacks that took longer than the period.
    pub overruns: u64,
    pub period: Duration,
    pub shortest: Duration,
    pub longest: Duration,
    total: Duration,
    histogram: Vec<u64>,
}

impl Outcome {
    fn new(period: Duration) -> Self {
        Self {
            xruns: 0,
            stalls: 0,
            callbacks: 0,
            overruns: 0,
            period,
            shortest: Duration::MAX,
            longest: Duration::ZERO,
            total: Duration::ZERO,
            histogram: vec![0; BUCKETS],
        }
    }

    /// `d` as a percentage of the period.
    pub fn percent(&self, d: Duration) -> f64 {
        100.0 * d.as_secs_f64() / self.period.as_secs_f64()
    }

    pub fn mean_percent(&self) -> f64 {
        self.percent(self.total) / self.callbacks.max(1) as f64
    }

    /// The duration (% of the period) that `fraction` of the callbacks stay within: the top of
    /// its 1 % bucket, or the longest callback when that is lower.
    pub fn percentile(&self, fraction: f64) -> f64 {
        let mut seen = 0;
        let mut top = BUCKETS;
        for (bucket, &count) in self.histogram.iter().enumerate() {
            seen += count;
            if seen as f64 >= fraction * self.callbacks as f64 {
                top = bucket + 1;
                break;
            }
        }
        (top as f64).min(self.percent(self.longest))
    }

    /// The callbacks per 1 %-of-the-period bucket of their duration, from 0 % up; the last
    /// bucket also holds every longer callback.
    pub fn histogram(&self) -> &[u64] {
        &self.histogram
    }

    /// No xrun but those the machine's stalls explain.
    pub fn passed(&self) -> bool {
        self.xruns <= 2 * self.stalls
    }

    /// One line: xruns, stalls, the callback's median, p99.9 and longest time.
    pub fn summary(&self) -> String {
        format!(
            "{} xruns{}, callback median {:.0}% / p99.9 {:.0}% / longest {:.0}% of the period",
            self.xruns,
            if self.stalls > 0 { format!(" ({} machine stalls)", self.stalls) } else { String::new() },
            self.percentile(0.5),
            self.percentile(0.999),
            self.percent(self.longest)
        )
    }
}

/// The DAW's callback: every instance's block, one after the other; the first instance's output
/// to the server's playback ports.
struct Daw {
    instances: Vec<host::Audio>,
    outs: [jack::Port<jack::AudioOut>; 2],
    flags: Arc<Flags>,
    period_frames: usize,
    last_start: Option<Instant>,
    last_took: Duration,
    outcome: Outcome,
}

impl jack::ProcessHandler for Daw {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let start = Instant::now();
        let watching = self.flags.watching.load(Ordering::Relaxed);
        let period = self.outcome.period;
        if let Some(last) = self.last_start {
            if watching && start.duration_since(last) >= 2 * period && self.last_took < period {
                self.outcome.stalls += 1;
            }
        }
        self.last_start = Some(start);
        if ps.n_frames() as usize == self.period_frames {
            for instance in &mut self.instances {
                instance.block();
            }
            let first = self.instances.first().map_or(&[][..], |i| i.output());
            for port in &mut self.outs {
                let out = port.as_mut_slice(ps);
                let n = out.len().min(first.len());
                out[..n].copy_from_slice(&first[..n]);
            }
        }
        let took = start.elapsed();
        self.last_took = took;
        if watching {
            let o = &mut self.outcome;
            o.callbacks += 1;
            o.total += took;
            o.shortest = o.shortest.min(took);
            o.longest = o.longest.max(took);
            if took > period {
                o.overruns += 1;
            }
            let bucket = (100.0 * took.as_secs_f64() / period.as_secs_f64()) as usize;
            o.histogram[bucket.min(BUCKETS - 1)] += 1;
        }
        jack::Control::Continue
    }
}

struct Notifications(Arc<Flags>);

impl jack::NotificationHandler for Notifications {
    fn xrun(&mut self, _: &jack::Client) -> jack::Control {
        if self.0.watching.load(Ordering::Relaxed) {
            self.0.xruns.fetch_add(1, Ordering::SeqCst);
        }
        jack::Control::Continue
    }
    unsafe fn shutdown(&mut self, _: jack::ClientStatus, _: &str) {
        self.0.server_gone.store(true, Ordering::SeqCst);
    }
}

/// One run: a fresh server with `period`-frame periods, `n` instances of `setup` (its block
/// is the period) made and warmed up, connected, 2 s to settle, then watched for [`seconds`].
pub fn run(setup: &host::Setup, n: usize, period: usize) -> Result<Outcome, String> {
    assert_eq!(setup.block, period, "the instances process one period per call");
    let _server = Server::start(period);
    let (plugins, instances): (Vec<_>, Vec<_>) = (0..n).map(|i| host::start(setup, 100 + i as u64)).unzip();
    let (client, _) = jack::Client::new("ferrite_daw", jack::ClientOptions::NO_START_SERVER).map_err(|e| e.to_string())?;
    let outs = [1, 2].map(|i| client.register_port(&format!("out_{i}"), jack::AudioOut::default()).expect("port"));
    let flags = Arc::new(Flags::default());
    let daw = Daw {
        instances,
        outs,
        flags: flags.clone(),
        period_frames: period,
        last_start: None,
        last_took: Duration::ZERO,
        outcome: Outcome::new(Duration::from_secs_f64(period as f64 / host::SAMPLE_RATE)),
    };
    let active = client.activate_async(Notifications(flags.clone()), daw).map_err(|e| e.to_string())?;
    for i in 1..=2 {
        let _ = active.as_client().connect_ports_by_name(&format!("ferrite_daw:out_{i}"), &format!("system:playback_{i}"));
    }
    std::thread::sleep(Duration::from_secs(2));
    flags.watching.store(true, Ordering::SeqCst);
    let watch = Instant::now();
    let mut gone = false;
    while watch.elapsed() < Duration::from_secs(seconds()) {
        if flags.server_gone.load(Ordering::SeqCst) {
            gone = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    flags.watching.store(false, Ordering::SeqCst);
    let (_, _, daw) = active.deactivate().map_err(|e| format!("deactivate: {e}"))?;
    let mut outcome = daw.outcome;
    outcome.xruns = flags.xruns.load(Ordering::SeqCst);
    for (plugin, audio) in plugins.into_iter().zip(daw.instances) {
        plugin.stop(audio);
    }
    if gone {
        return Err("the JACK server dropped the client".into());
    }
    Ok(outcome)
}
