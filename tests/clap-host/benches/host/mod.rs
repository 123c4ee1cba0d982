//! The benchmarks' CLAP host (`hosted.rs`, `instances.rs`, `deadlines.rs`): the least a host
//! does, with nothing of its own in the timed path but copying each block's input from a noise
//! table and the event list. The bundled `.clap` files come from `$FERRITE_BUNDLE_DIR` (default
//! `<workspace>/target/bundled`).
//!
//! An instance is two halves, as in a host: [`Plugin`] stays on the thread that made it (the
//! main thread), [`Audio`] (the started processor and its buffers) may move to an audio thread.
//! Nothing in [`Audio::block`] allocates.

#![allow(dead_code, reason = "shared by several benchmark binaries, each of which uses a part")]

use std::ffi::CString;
use std::sync::{Mutex, OnceLock};

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::params::PluginParams;
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use ferrite_clap_host_tests::{bundle_dir, nice_param_hash};

pub const SAMPLE_RATE: f64 = 48_000.0;
/// Processed before timing: smoothers settle, delay lines and the reverbs' tails fill.
const WARM_UP_SECONDS: f64 = 2.0;

/// What to run: a bundle with settings (parameter IDs with values as the plugin displays them,
/// parsed by the plugin's own `text_to_value`, so no mapping is assumed here), optionally a
/// parameter automated between two values, in blocks of `block` frames.
pub struct Setup<'a> {
    pub name: &'a str,
    pub bundle: &'a str,
    pub settings: &'a [(&'a str, &'a str)],
    pub automation: Option<(&'a str, &'a str, &'a str)>,
    pub block: usize,
}

/// One of the benchmarks' settings of a plugin, by name: parameter IDs with values as the plugin
/// displays them (parsed by the plugin's own `text_to_value`, so no mapping is assumed here),
/// and the parameter an automated run moves, with the two ends of its sweep.
pub struct Case {
    pub name: &'static str,
    pub bundle: &'static str,
    pub settings: &'static [(&'static str, &'static str)],
    pub automated: (&'static str, &'static str, &'static str),
}

const RING_SWEEP: (&str, &str, &str) = ("carrier_freq", "200", "2000");
const VCF_SWEEP: (&str, &str, &str) = ("cutoff", "300", "5000");
const PHASER_SWEEP: (&str, &str, &str) = ("freq", "300", "3000");
const REVERB_SWEEP: (&str, &str, &str) = ("mix", "20%", "50%");

pub const CASES: &[Case] = &[
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

pub fn case(name: &str) -> &'static Case {
    CASES.iter().find(|c| c.name == name).expect("a name from CASES")
}

pub struct Shared;

impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

pub struct BenchHost;

impl HostHandlers for BenchHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();
}

/// The loaded bundle (never unloaded, as a host keeps it) and its plugin's ID.
fn entry(bundle: &str) -> (&'static PluginEntry, String) {
    static LOADED: OnceLock<Mutex<Vec<(String, &'static PluginEntry)>>> = OnceLock::new();
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
    ClapId::new(nice_param_hash(id))
}

/// The main-thread half of an instance.
pub struct Plugin {
    instance: PluginInstance<BenchHost>,
}

/// The audio half: the started processor, its buffers and its input.
pub struct Audio {
    processor: StartedPluginAudioProcessor<BenchHost>,
    ins: Vec<Vec<Vec<f32>>>,
    outs: Vec<Vec<Vec<f32>>>,
    in_ports: AudioPorts,
    out_ports: AudioPorts,
    noise: Vec<f32>,
    position: usize,
    steady: u64,
    events: EventBuffer,
    out_events: EventBuffer,
    /// The automated parameter and the two ends of its sweep (CLAP values).
    automation: Option<(ClapId, f64, f64)>,
    blocks: u64,
    block: usize,
}

/// Makes, activates and warms up an instance (see [`Setup`]); checks that the settings took
/// effect and that it sounds. `seed` picks the noise, so instances differ.
pub fn start(setup: &Setup, seed: u64) -> (Plugin, Audio) {
    let name = setup.name;
    let block = setup.block;
    let (entry, id) = entry(setup.bundle);
    let host_info = HostInfo::new("ferrite-bench", "Ferrite Audio", "https://ferrite-audio.org", "0.1.0").unwrap();
    let cid = CString::new(id).unwrap();
    let mut instance = PluginInstance::<BenchHost>::new(|_| Shared, |_| (), entry, &cid, &host_info)
        .unwrap_or_else(|e| panic!("{name}: instantiation failed: {e}"));
    let handle = instance.plugin_handle();
    let ports = handle.get_extension::<PluginAudioPorts>().expect("audio-ports extension");
    let channels = |is_input: bool| -> Vec<Vec<Vec<f32>>> {
        let mut buf = AudioPortInfoBuffer::new();
        (0..ports.count(&handle, is_input))
            .map(|i| vec![vec![0.0f32; block]; ports.get(&handle, i, is_input, &mut buf).map_or(0, |p| p.channel_count) as usize])
            .collect()
    };
    let (ins, outs) = (channels(true), channels(false));
    let params = handle.get_extension::<PluginParams>().expect("params extension");
    let value = |param: &str, text: &str| {
        let c = CString::new(text).unwrap();
        params
            .text_to_value(&handle, clap_param_id(param), &c)
            .unwrap_or_else(|| panic!("{name}: the plugin does not parse {param} = {text:?}"))
    };
    // The settings reach the plugin as events of the first block, as a host sends a project's
    // values.
    let mut events = EventBuffer::with_capacity(64);
    let mut settings = Vec::new();
    for &(param, text) in setup.settings {
        let v = value(param, text);
        events.push(&ParamValueEvent::new(0, clap_param_id(param), Pckn::match_all(), v));
        // The automated parameter moves on; the others must stay where they were set.
        if setup.automation.is_none_or(|(automated, _, _)| automated != param) {
            settings.push((param, clap_param_id(param), v));
        }
    }
    let automation = setup.automation.map(|(param, from, to)| (clap_param_id(param), value(param, from), value(param, to)));
    let config = PluginAudioConfiguration { sample_rate: SAMPLE_RATE, min_frames_count: 1, max_frames_count: block as u32 };
    let stopped = instance.activate(|_, _| (), config).unwrap_or_else(|e| panic!("{name}: activation failed: {e}"));
    let processor = stopped.start_processing().unwrap_or_else(|e| panic!("{name}: start_processing failed: {e}"));
    // One second of noise at −12 dBFS, read round and round.
    let mut rng = ferrite_test_kit::Rng::new(seed);
    let noise = (0..SAMPLE_RATE as usize).map(|_| 0.25 * rng.signed()).collect();
    let mut audio = Audio {
        processor,
        in_ports: AudioPorts::with_capacity(ins.iter().map(Vec::len).sum(), ins.len()),
        out_ports: AudioPorts::with_capacity(outs.iter().map(Vec::len).sum(), outs.len()),
        ins,
        outs,
        noise,
        position: 0,
        steady: 0,
        events,
        out_events: EventBuffer::with_capacity(64),
        automation,
        blocks: 0,
        block,
    };
    for _ in 0..=(WARM_UP_SECONDS * SAMPLE_RATE / block as f64) as usize {
        audio.block();
    }
    // The settings took effect (the figures are for what they say).
    let mut plugin = Plugin { instance };
    let handle = plugin.instance.plugin_handle();
    for (param, id, value) in settings {
        let now = params.get_value(&handle, id);
        assert!(now.is_some_and(|v| (v - value).abs() < 1e-6), "{name}: {param} is {now:?} after the warm-up, not {value}");
    }
    let peak = audio.outs.iter().flatten().flatten().fold(0.0f32, |m, y| if y.is_finite() { m.max(y.abs()) } else { f32::INFINITY });
    assert!(peak.is_finite() && peak > 1e-4, "{name}: output peak {peak} after the warm-up (silent or not finite)");
    (plugin, audio)
}

impl Plugin {
    /// Deactivates the instance with its audio half (back from the audio thread).
    pub fn stop(mut self, audio: Audio) {
        self.instance.deactivate(audio.processor.stop_processing());
    }
}

impl Audio {
    /// One block: the next frames of noise in, the plugin's `process`, and for automation two
    /// value events (at the block's start and middle) on a slow triangle over the sweep.
    pub fn block(&mut self) {
        let n = self.block;
        let at = self.position;
        let table = self.noise.len() - n;
        self.position = (self.position + n) % table;
        for (c, ch) in self.ins.iter_mut().flatten().enumerate() {
            // Channels read the table at different places, so they are not identical.
            let from = (at + c * 997) % table;
            ch.copy_from_slice(&self.noise[from..from + n]);
        }
        if let Some((param, lo, hi)) = self.automation {
            // The first block keeps the settings' events (all at frame 0) ahead of these.
            if self.blocks > 0 {
                self.events.clear();
            }
            for half in 0..2u64 {
                // A triangle over 200 half-blocks.
                let phase = ((self.blocks * 2 + half) % 200) as f64 / 100.0;
                let t = if phase < 1.0 { phase } else { 2.0 - phase };
                let time = (half as usize * n / 2) as u32;
                self.events.push(&ParamValueEvent::new(time, param, Pckn::match_all(), lo + (hi - lo) * t));
            }
        }
        let inputs = self.in_ports.with_input_buffers(self.ins.iter_mut().map(|port| AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(port.iter_mut().map(|c| InputChannel::variable(&mut c[..]))),
        }));
        let mut outputs = self.out_ports.with_output_buffers(self.outs.iter_mut().map(|port| AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(port.iter_mut().map(|c| &mut c[..])),
        }));
        self.out_events.clear();
        self.processor
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
        self.steady += n as u64;
        self.blocks += 1;
    }

    /// The first output channel of the last block.
    pub fn output(&self) -> &[f32] {
        self.outs.first().and_then(|p| p.first()).map_or(&[], |c| &c[..])
    }
}
