//! What a user pays: each plugin as a host runs it, through its real CLAP entry (the bundled
//! `.clap` in `$FERRITE_BUNDLE_DIR`, default `<workspace>/target/bundled`, loaded by a
//! clack-host host), stereo, 48 kHz, blocks of 512 frames of noise at −12 dBFS, at defaults and at
//! heavy settings, with static parameters and with automation (two parameter events per block, as
//! a host plays an automation lane). One iteration is one block: divan's time per iteration
//! divided by 512 is the cost per stereo frame, and its throughput is frames per second.
//!
//! Then, in the same run, the references a user would otherwise pick, hosted in-process the same
//! way by pedalboard (`tests/vst3/bench_hosted.py`): pedalboard's own `Reverb`, `Phaser` and
//! `Gain`, and our VST3 bundles. That part needs the VST3 tests' virtual environment
//! (`target/vst3-venv`, made by `cargo xtask test`); without it the run says so and skips it.
//!
//! `cargo xtask bundle && cargo bench -p ferrite-clap-host-tests --bench hosted`

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::params::PluginParams;
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use divan::counter::ItemsCount;
use divan::Bencher;

const SAMPLE_RATE: f64 = 48_000.0;
const BLOCK: usize = 512;
/// Processed before timing: smoothers settle, delay lines and the reverbs' tails fill.
const WARM_UP_SECONDS: f64 = 2.0;

/// One setting of one plugin: parameter IDs with values as the plugin displays them (parsed by
/// the plugin's own `text_to_value`, so no mapping is assumed here), and the parameter the
/// automated variant moves, with the two ends of its sweep.
struct Case {
    name: &'static str,
    bundle: &'static str,
    settings: &'static [(&'static str, &'static str)],
    automated: (&'static str, &'static str, &'static str),
}

const RING_SWEEP: (&str, &str, &str) = ("carrier_freq", "200", "2000");
const VCF_SWEEP: (&str, &str, &str) = ("cutoff", "300", "5000");
const PHASER_SWEEP: (&str, &str, &str) = ("freq", "300", "3000");
const REVERB_SWEEP: (&str, &str, &str) = ("mix", "20%", "50%");

const CASES: &[Case] = &[
    Case { name: "ring: default (circuit, 8x)", bundle: "ferrite-ring", settings: &[], automated: RING_SWEEP },
    Case { name: "ring: circuit, 32x", bundle: "ferrite-ring", settings: &[("oversampling", "32x")], automated: RING_SWEEP },
    Case { name: "ring: parker, 8x", bundle: "ferrite-ring", settings: &[("model", "Parker")], automated: RING_SWEEP },
    Case { name: "vcf: default (2x)", bundle: "ferrite-vcf", settings: &[], automated: VCF_SWEEP },
    Case { name: "vcf: 1x", bundle: "ferrite-vcf", settings: &[("oversampling", "1x")], automated: VCF_SWEEP },
    Case {
        name: "vcf: 8x, K=9, 15 kHz",
        bundle: "ferrite-vcf",
        settings: &[("oversampling", "8x"), ("resonance", "9"), ("cutoff", "15000")],
        automated: ("cutoff", "10000", "18000"),
    },
    Case { name: "phaser: default (8 stages, LFO)", bundle: "ferrite-phaser", settings: &[], automated: PHASER_SWEEP },
    Case { name: "phaser: 1 static stage", bundle: "ferrite-phaser", settings: &[("stages", "1"), ("lfo_depth", "0")], automated: PHASER_SWEEP },
    Case {
        name: "phaser: 48 stages, feedback 50%",
        bundle: "ferrite-phaser",
        settings: &[("stages", "48"), ("feedback", "50%")],
        automated: PHASER_SWEEP,
    },
    Case { name: "reverb: freeverb", bundle: "ferrite-reverb", settings: &[("algorithm", "Freeverb")], automated: REVERB_SWEEP },
    Case { name: "reverb: default (hall)", bundle: "ferrite-reverb", settings: &[], automated: REVERB_SWEEP },
    Case { name: "reverb: plate", bundle: "ferrite-reverb", settings: &[("algorithm", "Plate")], automated: REVERB_SWEEP },
];

fn case(name: &str) -> &'static Case {
    CASES.iter().find(|c| c.name == name).expect("a name from CASES")
}

fn names() -> impl Iterator<Item = &'static str> {
    CASES.iter().map(|c| c.name)
}

// ---------------------------------------------------------------------------------------------
// The host: the least a host does, with nothing of its own in the timed path but the buffers'
// copy from a noise table and the event list.
// ---------------------------------------------------------------------------------------------

struct Shared;

impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

struct BenchHost;

impl HostHandlers for BenchHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();
}

fn bundle_dir() -> PathBuf {
    match std::env::var_os("FERRITE_BUNDLE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bundled"),
    }
}

/// The loaded bundle (never unloaded, as a host keeps it) and its plugin's ID.
fn entry(bundle: &str) -> (&'static PluginEntry, String) {
    static LOADED: OnceLock<std::sync::Mutex<Vec<(String, &'static PluginEntry)>>> = OnceLock::new();
    let mut loaded = LOADED.get_or_init(Default::default).lock().unwrap();
    let entry = match loaded.iter().find(|(b, _)| b == bundle) {
        Some(&(_, entry)) => entry,
        None => {
            let path = bundle_dir().join(format!("{bundle}.clap"));
            assert!(path.exists(), "no {}: build the bundles first: cargo xtask bundle", path.display());
            // SAFETY: loading a plugin library runs its code; these are our own bundles.
            let entry: &'static PluginEntry = Box::leak(Box::new(
                unsafe { PluginEntry::load(&path) }.unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            ));
            loaded.push((bundle.to_owned(), entry));
            entry
        }
    };
    let id = entry
        .get_plugin_factory()
        .and_then(|f| f.plugin_descriptors().find_map(|d| Some(d.id()?.to_string_lossy().into_owned())))
        .unwrap_or_else(|| panic!("{bundle}: no plugin in the factory"));
    (entry, id)
}

/// nice-plug's CLAP parameter ID for an `#[id = "..."]` string.
fn clap_param_id(id: &str) -> ClapId {
    let hash = id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    ClapId::new(hash & !(1 << 31))
}

struct Inst {
    instance: PluginInstance<BenchHost>,
    processor: Option<StartedPluginAudioProcessor<BenchHost>>,
    ins: Vec<Vec<Vec<f32>>>,
    outs: Vec<Vec<Vec<f32>>>,
    noise: Vec<f32>,
    position: usize,
    steady: u64,
    events: EventBuffer,
    out_events: EventBuffer,
    /// The automated parameter and its two values per block (CLAP values).
    automation: Option<(ClapId, f64, f64)>,
    blocks: u64,
}

impl Inst {
    fn new(case: &Case, automated: bool) -> Self {
        let (entry, id) = entry(case.bundle);
        let host_info = HostInfo::new("ferrite-hosted-bench", "Ferrite Audio", "https://ferrite-audio.org", "0.1.0").unwrap();
        let cid = CString::new(id).unwrap();
        let mut instance = PluginInstance::<BenchHost>::new(|_| Shared, |_| (), entry, &cid, &host_info)
            .unwrap_or_else(|e| panic!("{}: instantiation failed: {e}", case.name));
        let handle = instance.plugin_handle();
        let ports = handle.get_extension::<PluginAudioPorts>().expect("audio-ports extension");
        let channels = |is_input: bool| -> Vec<Vec<Vec<f32>>> {
            let mut buf = AudioPortInfoBuffer::new();
            (0..ports.count(&handle, is_input))
                .map(|i| vec![vec![0.0f32; BLOCK]; ports.get(&handle, i, is_input, &mut buf).map_or(0, |p| p.channel_count) as usize])
                .collect()
        };
        let (ins, outs) = (channels(true), channels(false));
        let params = handle.get_extension::<PluginParams>().expect("params extension");
        // The settings reach the plugin as events of the first block, as a host sends a project's
        // values; each through the plugin's own text parsing.
        let value = |param: &str, text: &str| {
            let c = CString::new(text).unwrap();
            params
                .text_to_value(&handle, clap_param_id(param), &c)
                .unwrap_or_else(|| panic!("{}: the plugin does not parse {param} = {text:?}", case.name))
        };
        let mut events = EventBuffer::new();
        let mut settings = Vec::new();
        for &(param, text) in case.settings {
            let v = value(param, text);
            events.push(&ParamValueEvent::new(0, clap_param_id(param), Pckn::match_all(), v));
            // The automated parameter moves on; the others must stay where they were set.
            if !(automated && param == case.automated.0) {
                settings.push((param, clap_param_id(param), v));
            }
        }
        let (param, from, to) = case.automated;
        let automation = automated.then(|| (clap_param_id(param), value(param, from), value(param, to)));
        let config = PluginAudioConfiguration { sample_rate: SAMPLE_RATE, min_frames_count: 1, max_frames_count: BLOCK as u32 };
        let stopped = instance.activate(|_, _| (), config).unwrap_or_else(|e| panic!("{}: activation failed: {e}", case.name));
        let processor = Some(stopped.start_processing().unwrap_or_else(|e| panic!("{}: start_processing failed: {e}", case.name)));
        // One second of noise at −12 dBFS, read round and round.
        let mut rng = ferrite_test_kit::Rng::new(11);
        let noise = (0..SAMPLE_RATE as usize).map(|_| 0.25 * rng.signed()).collect();
        let mut inst = Self {
            instance,
            processor,
            ins,
            outs,
            noise,
            position: 0,
            steady: 0,
            events,
            out_events: EventBuffer::with_capacity(64),
            automation,
            blocks: 0,
        };
        inst.block();
        for _ in 0..(WARM_UP_SECONDS * SAMPLE_RATE / BLOCK as f64) as usize {
            inst.block();
        }
        // The settings took effect (the figures are for what they say).
        let handle = inst.instance.plugin_handle();
        for (param, id, value) in settings {
            let now = params.get_value(&handle, id);
            assert!(now.is_some_and(|v| (v - value).abs() < 1e-6), "{}: {param} is {now:?} after the warm-up, not {value}", case.name);
        }
        let peak = inst.outs.iter().flatten().flatten().fold(0.0f32, |m, y| if y.is_finite() { m.max(y.abs()) } else { f32::INFINITY });
        assert!(peak.is_finite() && peak > 1e-4, "{}: output peak {peak} after the warm-up (silent or not finite)", case.name);
        inst
    }

    /// One block: the next 512 frames of noise in, the plugin's `process`, and for automation
    /// two value events (frames 0 and 256) on a slow triangle over the automated range.
    fn block(&mut self) {
        let at = self.position;
        self.position = (self.position + BLOCK) % (self.noise.len() - BLOCK);
        for (c, ch) in self.ins.iter_mut().flatten().enumerate() {
            // Channels read the table at different places, so they are not identical.
            let from = (at + c * 997) % (self.noise.len() - BLOCK);
            ch.copy_from_slice(&self.noise[from..from + BLOCK]);
        }
        if let Some((param, lo, hi)) = self.automation {
            // The first block keeps the settings' events (all at frame 0) ahead of these.
            if self.blocks > 0 {
                self.events.clear();
            }
            for half in 0..2u64 {
                // A triangle over 200 half-blocks (about 1 s).
                let phase = ((self.blocks * 2 + half) % 200) as f64 / 100.0;
                let t = if phase < 1.0 { phase } else { 2.0 - phase };
                let time = (half as usize * BLOCK / 2) as u32;
                self.events.push(&ParamValueEvent::new(time, param, Pckn::match_all(), lo + (hi - lo) * t));
            }
        }
        let processor = self.processor.as_mut().expect("started");
        let mut in_ports = AudioPorts::with_capacity(self.ins.iter().map(Vec::len).sum(), self.ins.len());
        let mut out_ports = AudioPorts::with_capacity(self.outs.iter().map(Vec::len).sum(), self.outs.len());
        let inputs = in_ports.with_input_buffers(self.ins.iter_mut().map(|port| AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(port.iter_mut().map(|c| InputChannel::variable(&mut c[..]))),
        }));
        let mut outputs = out_ports.with_output_buffers(self.outs.iter_mut().map(|port| AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(port.iter_mut().map(|c| &mut c[..])),
        }));
        self.out_events.clear();
        processor
            .process(
                &inputs,
                &mut outputs,
                &InputEvents::from_buffer(&self.events),
                &mut OutputEvents::from_buffer(&mut self.out_events),
                Some(self.steady),
                None,
            )
            .expect("process");
        if self.automation.is_none() {
            // The settings went with the first block; static parameters from then on.
            self.events.clear();
        }
        self.steady += BLOCK as u64;
        self.blocks += 1;
    }
}

impl Drop for Inst {
    fn drop(&mut self) {
        if let Some(p) = self.processor.take() {
            self.instance.deactivate(p.stop_processing());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The benchmarks
// ---------------------------------------------------------------------------------------------

fn run(bencher: Bencher, name: &str, automated: bool) {
    let mut inst = Inst::new(case(name), automated);
    bencher.counter(ItemsCount::new(BLOCK)).bench_local(|| inst.block());
}

/// Static parameters: the settings are sent once, before the timed blocks.
#[divan::bench(args = names())]
fn clap_static(bencher: Bencher, name: &str) {
    run(bencher, name, false);
}

/// Automated: two parameter events per block on the case's automated parameter.
#[divan::bench(args = names())]
fn clap_automated(bencher: Bencher, name: &str) {
    run(bencher, name, true);
}

fn main() {
    divan::main();
    pedalboard_references();
}

/// pedalboard's `Reverb`, `Phaser` and `Gain` and our VST3 bundles, hosted by pedalboard in
/// this machine's Python, in the same run (see the module's comment).
fn pedalboard_references() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join("target/vst3-venv/bin/python");
    let script = root.join("tests/vst3/bench_hosted.py");
    if !python.exists() {
        println!("\npedalboard references: skipped, no {} (`cargo xtask test` makes it)", python.display());
        return;
    }
    println!("\npedalboard, in-process, the same buffers (tests/vst3/bench_hosted.py):");
    let status = std::process::Command::new(&python).arg(&script).env("FERRITE_BUNDLE_DIR", bundle_dir()).status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => println!("pedalboard references: {} {s}", script.display()),
        Err(e) => println!("pedalboard references: cannot run {}: {e}", python.display()),
    }
}
