//! Instances per core: how many instances of each plugin (defaults, stereo, through its real
//! CLAP entry) one JACK client runs in its process callback at 48 kHz with 64-frame periods, on
//! one core, for [`seconds`] with no xrun. That is how a DAW runs them: one JACK client, the
//! plugins of every track called one after the other in its callback. Each instance plays its
//! own noise at −12 dBFS (with silent input the plugins would go idle and cost nothing).
//!
//! This process and the JACK server it starts (Debian's jackd2, dummy driver, real-time
//! priority) are pinned to one CPU. The count grows by doubling until a run fails, then the gap
//! is bisected. Each run starts a fresh server, makes and warms up the instances, connects,
//! waits 2 s, then watches. A run passes when it has no xrun (the server's notification) but
//! those the machine's own stalls explain: a gap of two periods or more between callbacks that
//! the previous callback did not cause (it took less than a period) is the machine stopping (a
//! virtual machine's vCPU descheduled), and the server reports two xruns for it. On the
//! project's virtual machines that happens every few seconds whatever runs; on a dedicated core
//! it does not, and the criterion is plain "no xrun". The table lists every run with its xruns,
//! stalls and the callback's median, 99.9th percentile and longest duration.
//!
//! `cargo xtask bundle && cargo bench -p ferrite-clap-host-tests --bench instances [-- NAME...]`
//! (`FERRITE_INSTANCES_SECONDS` shortens the watch for a quick look, default 60;
//! `FERRITE_INSTANCES_CPU` picks the CPU, default the last one). Needs root or an rtprio limit
//! for real-time threads.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod host;

const PERIOD: usize = 64;
const SERVER: &str = "ferrite-instances";
const PLUGINS: &[&str] = &["ferrite-ring", "ferrite-vcf", "ferrite-phaser", "ferrite-reverb"];
/// No count above this is tried.
const MAX_INSTANCES: usize = 1024;

fn seconds() -> u64 {
    std::env::var("FERRITE_INSTANCES_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60)
}

fn period() -> Duration {
    Duration::from_secs_f64(PERIOD as f64 / host::SAMPLE_RATE)
}

/// Pins this process (and so everything it starts) to one CPU.
fn pin() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = std::env::var("FERRITE_INSTANCES_CPU").ok().and_then(|s| s.parse().ok()).unwrap_or(cpus - 1);
    // SAFETY: a zeroed cpu_set_t with one bit set, for this process.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        assert_eq!(libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set), 0, "sched_setaffinity");
    }
    cpu
}

/// The JACK server, stopped (SIGTERM, then SIGKILL) when dropped.
struct Server(Child);

impl Server {
    fn start() -> Self {
        let jackd = ["/usr/bin/jackd", "/usr/local/bin/jackd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("jackd not found: sudo apt-get install -y jackd2 (cargo xtask test installs it)");
        let child = Command::new(jackd)
            .args(["-n", SERVER, "-R", "-P", "70", "-d", "dummy", "-r", &(host::SAMPLE_RATE as u32).to_string(), "-p", &PERIOD.to_string()])
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

/// What the callback and the server report, reset when the watch starts.
#[derive(Default)]
struct Counters {
    xruns: AtomicUsize,
    stalls: AtomicUsize,
    longest_ns: AtomicU64,
    watching: AtomicBool,
    server_gone: AtomicBool,
}

/// Histogram buckets of the callback's duration: 1 % of the period each, up to 4 periods.
const BUCKETS: usize = 400;

/// The DAW's callback: every instance's block, one after the other; the first instance's output
/// to the server's playback ports.
struct Daw {
    instances: Vec<host::Audio>,
    outs: [jack::Port<jack::AudioOut>; 2],
    counters: Arc<Counters>,
    last_start: Option<Instant>,
    last_took: Duration,
    /// Callbacks while watching, by duration (preallocated; the last bucket takes the rest).
    histogram: Vec<u64>,
}

impl jack::ProcessHandler for Daw {
    fn process(&mut self, _: &jack::Client, ps: &jack::ProcessScope) -> jack::Control {
        let start = Instant::now();
        // A late start the previous callback did not cause: the machine stalled.
        if let Some(last) = self.last_start {
            if start.duration_since(last) >= 2 * period() && self.last_took < period() {
                self.counters.stalls.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.last_start = Some(start);
        if ps.n_frames() as usize == PERIOD {
            for instance in &mut self.instances {
                instance.block();
            }
            let first = self.instances.first().map_or(&[][..], |i| i.output());
            for port in &mut self.outs {
                let out = port.as_mut_slice(ps);
                out.copy_from_slice(&first[..out.len().min(first.len())]);
            }
        }
        self.last_took = start.elapsed();
        if self.counters.watching.load(Ordering::Relaxed) {
            self.counters.longest_ns.fetch_max(self.last_took.as_nanos() as u64, Ordering::Relaxed);
            let bucket = (self.last_took.as_secs_f64() / period().as_secs_f64() * 100.0) as usize;
            self.histogram[bucket.min(BUCKETS - 1)] += 1;
        }
        jack::Control::Continue
    }
}

struct Notifications(Arc<Counters>);

impl jack::NotificationHandler for Notifications {
    fn xrun(&mut self, _: &jack::Client) -> jack::Control {
        self.0.xruns.fetch_add(1, Ordering::SeqCst);
        jack::Control::Continue
    }
    unsafe fn shutdown(&mut self, _: jack::ClientStatus, _: &str) {
        self.0.server_gone.store(true, Ordering::SeqCst);
    }
}

struct Outcome {
    xruns: usize,
    stalls: usize,
    longest: Duration,
    /// The callback's median and 99.9th percentile durations, % of the period.
    p50: usize,
    p999: usize,
}

impl Outcome {
    /// No xrun, or only those the machine's stalls explain (a stall makes the server report two).
    fn passed(&self) -> bool {
        self.xruns <= 2 * self.stalls
    }
}

/// The duration (% of the period) that `fraction` of the callbacks stay within.
fn percentile(histogram: &[u64], fraction: f64) -> usize {
    let total: u64 = histogram.iter().sum();
    let mut seen = 0;
    for (bucket, &count) in histogram.iter().enumerate() {
        seen += count;
        if seen as f64 >= fraction * total as f64 {
            return bucket + 1;
        }
    }
    histogram.len()
}

/// One run of `n` instances of `bundle`, or why it could not run.
fn run(bundle: &str, n: usize) -> Result<Outcome, String> {
    let _server = Server::start();
    let (plugins, instances): (Vec<_>, Vec<_>) = (0..n)
        .map(|i| {
            let setup = host::Setup { name: bundle, bundle, settings: &[], automation: None, block: PERIOD };
            host::start(&setup, 100 + i as u64)
        })
        .unzip();
    let (client, _) = jack::Client::new("ferrite_daw", jack::ClientOptions::NO_START_SERVER).map_err(|e| e.to_string())?;
    let outs = [1, 2].map(|i| client.register_port(&format!("out_{i}"), jack::AudioOut::default()).expect("port"));
    let counters = Arc::new(Counters::default());
    let daw = Daw {
        instances,
        outs,
        counters: counters.clone(),
        last_start: None,
        last_took: Duration::ZERO,
        histogram: vec![0; BUCKETS],
    };
    let active = client.activate_async(Notifications(counters.clone()), daw).map_err(|e| e.to_string())?;
    for i in 1..=2 {
        let _ = active.as_client().connect_ports_by_name(&format!("ferrite_daw:out_{i}"), &format!("system:playback_{i}"));
    }
    std::thread::sleep(Duration::from_secs(2));
    counters.xruns.store(0, Ordering::SeqCst);
    counters.stalls.store(0, Ordering::SeqCst);
    counters.watching.store(true, Ordering::SeqCst);
    let watch = Instant::now();
    let mut gone = false;
    while watch.elapsed() < Duration::from_secs(seconds()) {
        if counters.server_gone.load(Ordering::SeqCst) {
            gone = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (xruns, stalls) = (counters.xruns.load(Ordering::SeqCst), counters.stalls.load(Ordering::SeqCst));
    let (_, _, daw) = active.deactivate().map_err(|e| format!("deactivate: {e}"))?;
    let outcome = Outcome {
        xruns,
        stalls,
        longest: Duration::from_nanos(counters.longest_ns.load(Ordering::SeqCst)),
        p50: percentile(&daw.histogram, 0.5),
        p999: percentile(&daw.histogram, 0.999),
    };
    for (plugin, audio) in plugins.into_iter().zip(daw.instances) {
        plugin.stop(audio);
    }
    if gone {
        return Err("the JACK server dropped the client".into());
    }
    Ok(outcome)
}

/// The largest count with no xrun, and the log of the runs.
fn instances_per_core(bundle: &str) -> (usize, Vec<String>) {
    let mut log = Vec::new();
    let mut attempt = |n: usize| -> bool {
        {
            let outcome = run(bundle, n);
            let line = match &outcome {
                Ok(o) => format!(
                    "{n}: {} xruns{}, callback median {}% / p99.9 {}% / longest {:.0}% of the period",
                    o.xruns,
                    if o.stalls > 0 { format!(" ({} machine stalls)", o.stalls) } else { String::new() },
                    o.p50,
                    o.p999,
                    100.0 * o.longest.as_secs_f64() / period().as_secs_f64()
                ),
                Err(e) => format!("{n}: {e}"),
            };
            eprintln!("  {line}");
            log.push(line);
            return matches!(outcome, Ok(o) if o.passed());
        }
    };
    // Doubling, then bisection between the last count that passed and the first that failed.
    let (mut good, mut bad) = (0, MAX_INSTANCES + 1);
    let mut n = 1;
    while n <= MAX_INSTANCES {
        if attempt(n) {
            good = n;
            n *= 2;
        } else {
            bad = n;
            break;
        }
    }
    while bad - good > 1 {
        let mid = (good + bad) / 2;
        if attempt(mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    (good, log)
}

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let cpu = pin();
    // Our client talks to the private server.
    std::env::set_var("JACK_DEFAULT_SERVER", SERVER);
    println!(
        "instances per core: CPU {cpu}, JACK dummy driver, {} Hz, {PERIOD}-frame periods, {} s per run",
        host::SAMPLE_RATE,
        seconds()
    );
    let mut rows = Vec::new();
    for bundle in PLUGINS.iter().filter(|p| wanted.is_empty() || wanted.iter().any(|w| p.contains(w.as_str()))) {
        eprintln!("{bundle}:");
        let (n, log) = instances_per_core(bundle);
        rows.push((bundle, n, log));
    }
    println!("| plugin (defaults) | instances on one core for {} s | runs |", seconds());
    println!("|---|---|---|");
    for (bundle, n, log) in rows {
        println!("| {bundle} | **{n}** | {} |", log.join("; "));
    }
}
