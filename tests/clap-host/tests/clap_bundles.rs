//! Host-level tests of every bundled Ferrite CLAP plugin, driven through `clack-host`.
//!
//! Loads every `*.clap` in `$FERRITE_BUNDLE_DIR` (default `<workspace>/target/bundled`) and checks
//! each plugin it exports against what the plugin itself defines: the binary bundled next to it
//! (`ferrite-X.clap` → `ferrite-X`) prints its name, CLAP ID and features and every parameter's
//! ID, range, default and kind with `params --json` ([`PluginSpec`]); `docs/parameters.md` pins
//! the same for every plugin (a test in `ferrite-tests` fails when they differ), so nothing
//! changes silently. A new plugin needs no entry here. How to get a dry path for the latency test
//! follows from the interface every Ferrite plugin has ([`LatencyProbe`]).
//!
//! Notes on how nice-plug presents itself over CLAP (see `nice-plug/src/wrapper/clap/wrapper.rs`):
//! - The CLAP `param_id` is a 31-bit hash of the `#[id = "..."]` string ([`nice_param_hash`]); the
//!   string itself is not exposed anywhere over CLAP (`module` holds the param *group* path, empty
//!   for top-level params; `name` is the display name).
//! - `min_value`/`max_value`/`default_value` are NOT plain values: continuous params are exposed as
//!   normalized `[0, 1]`, stepped params (enums, bools, ints) as `[0, step_count]`. The plain values
//!   are therefore checked through `value_to_text` (which includes the unit).
//! - Latency (the CLAP rule, `clap_host_latency.changed`: "must only be called within
//!   `clap_plugin::activate`"): a latency change during `process` makes the plugin call
//!   `request_restart`; the next `activate` takes the new latency, which makes nice-plug request
//!   one more restart and call `changed` from inside the activation after that. The test host
//!   answers restart requests as a DAW does ([`Inst::pump_and_restart`]) and, like
//!   clap-validator, counts a `changed` outside `activate` as a failure ([`Inst::pump`]). It
//!   implements `thread-check`, so nice-plug sees `process` on an audio thread and defers its
//!   main-thread work to `on_main_thread`, as in a real host.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use clack_extensions::audio_ports::{
    AudioPortInfoBuffer, AudioPortRescanFlags, HostAudioPorts, HostAudioPortsImpl, PluginAudioPorts,
};
use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamInfoBuffer,
    ParamRescanFlags, PluginParams,
};
use clack_extensions::preset_discovery::indexer::IndexerImpl;
use clack_extensions::preset_discovery::HostPresetLoadImpl;
use clack_extensions::preset_discovery::metadata_receiver::MetadataReceiverImpl;
use clack_extensions::preset_discovery::prelude::{
    FileType, Flags, HostPresetLoad, Location, LocationInfo, PluginPresetLoad,
    PresetDiscoveryFactory, Provider, Soundpack, Timestamp, UniversalPluginId,
};
use clack_extensions::state::{HostState, HostStateImpl, PluginState};
use clack_extensions::thread_check::{HostThreadCheck, HostThreadCheckImpl};
use clack_extensions::note_ports::PluginNotePorts;
use clack_host::events::event_types::{MidiEvent, NoteOnEvent, ParamValueEvent};
use clack_host::events::Match;
use clack_host::prelude::*;
use ferrite_clap_host_tests::{bundle_dir, nice_param_hash};
use ferrite_dsp::analysis::crossing_frequency;
use ferrite_test_kit::expect::{binary_next_to, Kind, ParamSpec, PluginSpec};
use ferrite_test_kit::Rng;

// ---------------------------------------------------------------------------------------------
// Expectations: from the plugins' own definitions (`params --json`)
// ---------------------------------------------------------------------------------------------

const VENDOR: &str = "Ferrite Audio";
/// Every Ferrite CLAP ID is `org.ferrite-audio.<name>` (for the plugin `ferrite-<name>`).
const CLAP_ID_PREFIX: &str = "org.ferrite-audio.";

/// How to make the plugin pass an impulse through unchanged apart from its latency, derived from
/// the interface every Ferrite plugin has: a linear `mix` whose 0 is the latency-compensated dry
/// signal, and, where there is one, an `oversampling` choice that changes the latency.
struct LatencyProbe {
    /// Parameter settings (plain values; choice params by index) giving a latency-compensated dry path.
    settings: Vec<(&'static str, f64)>,
    /// A parameter whose change changes the latency, and the values (choice index) to try: every
    /// choice but the default, then the default again.
    latency_param: Option<(&'static str, Vec<f64>)>,
}

impl LatencyProbe {
    fn for_plugin(spec: &PluginSpec) -> Result<Self, String> {
        match spec.param("mix") {
            Some(mix) if mix.kind == Kind::Float && mix.linear && mix.min == 0.0 => {}
            _ => return Err("no linear `mix` parameter from 0 (the dry path the latency test uses)".into()),
        }
        let latency_param = spec.param("oversampling").map(|p| {
            let values = (0..=p.max as usize).map(|i| i as f64).filter(|&i| i != p.default).chain([p.default]).collect();
            ("oversampling", values)
        });
        Ok(Self { settings: vec![("mix", 0.0)], latency_param })
    }
}

// ---------------------------------------------------------------------------------------------
// Bundles
// ---------------------------------------------------------------------------------------------

struct Bundle {
    file: String,
    entry: PluginEntry,
    ids: Vec<String>,
    /// What the binary next to the bundle says about the plugin (`params --json`).
    spec: Result<PluginSpec, String>,
}

/// Every bundle is loaded once per test process and never unloaded (as a host does): the test
/// functions run on parallel threads, and loading/unloading (`clap_entry.deinit` + `dlclose`) the
/// same library concurrently from several threads crashed intermittently (SIGSEGV).
fn load_bundles() -> &'static [Bundle] {
    static BUNDLES: std::sync::OnceLock<Vec<Bundle>> = std::sync::OnceLock::new();
    BUNDLES.get_or_init(load_bundles_uncached)
}

fn load_bundles_uncached() -> Vec<Bundle> {
    let dir = bundle_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "CLAP bundle folder {} unreadable ({e}): run `cargo xtask bundle` first",
                dir.display()
            )
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "clap"))
        .collect();
    paths.sort();
    assert!(
        !paths.is_empty(),
        "no *.clap bundle in {}: run `cargo xtask bundle` first (or set FERRITE_BUNDLE_DIR)",
        dir.display()
    );
    paths
        .into_iter()
        .map(|path| {
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            // SAFETY: loading a plugin library runs its code; these are our own bundles.
            let entry = unsafe { PluginEntry::load(&path) }
                .unwrap_or_else(|e| panic!("CLAP {file}: failed to load the bundle: {e}"));
            let factory = entry
                .get_plugin_factory()
                .unwrap_or_else(|| panic!("CLAP {file}: the bundle has no plugin factory"));
            let ids: Vec<String> = factory
                .plugin_descriptors()
                .map(|d| {
                    d.id()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default()
                })
                .collect();
            assert!(
                !ids.is_empty(),
                "CLAP {file}: the plugin factory lists no plugin"
            );
            let spec = PluginSpec::from_binary(&binary_next_to(&path));
            Bundle { file, entry, ids, spec }
        })
        .collect()
}

/// Runs `check` for every plugin of every bundle (plugins missing from the table fail), collects
/// all failures and panics with all of them.
fn for_each_plugin(
    check_name: &str,
    check: impl Fn(&Bundle, &str, &PluginSpec) -> Result<(), String>,
) {
    let bundles = load_bundles();
    let mut failures = Vec::new();
    let mut checked = 0;
    for bundle in bundles {
        for id in &bundle.ids {
            let who = format!("CLAP plugin {id} ({})", bundle.file);
            let spec = match &bundle.spec {
                Ok(spec) if spec.clap_id == *id => spec,
                Ok(spec) => {
                    failures.push(format!(
                        "{who}: {check_name}: the bundle exports CLAP ID {id:?}, but its binary's \
                         `params --json` says {:?}",
                        spec.clap_id
                    ));
                    continue;
                }
                Err(e) => {
                    failures.push(format!("{who}: {check_name}: no expectations: {e}"));
                    continue;
                }
            };
            checked += 1;
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(bundle, id, spec)));
            match result {
                Ok(Ok(())) => {}
                Ok(Err(msg)) => failures.push(format!("{who}: {check_name}: {msg}")),
                Err(panic) => {
                    let msg = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    failures.push(format!("{who}: {check_name}: panicked: {msg}"))
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{check_name}: {checked} plugin(s) passed");
}

// ---------------------------------------------------------------------------------------------
// The host
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Shared {
    restart_requested: AtomicBool,
    callback_requested: AtomicBool,
    latency_changed: AtomicUsize,
    /// `clap_host_latency.changed` calls made while no `activate` was running (the CLAP rule
    /// forbids them).
    latency_changed_outside_activate: AtomicUsize,
    /// The host is inside `clap_plugin.activate`.
    activating: AtomicBool,
    /// The host is inside `process` (the "audio thread" for `thread-check`).
    processing: AtomicBool,
    rescans: AtomicUsize,
    /// `preset-load.loaded` and `on_error` calls: (loaded, load key or path, error message).
    preset_loads: std::sync::Mutex<Vec<(bool, String, String)>>,
}

/// The test drives an instance from one thread; inside `process` that thread counts as the audio
/// thread, elsewhere as the main thread.
impl HostThreadCheckImpl for Shared {
    fn is_main_thread(&self) -> bool {
        !self.processing.load(Ordering::SeqCst)
    }
    fn is_audio_thread(&self) -> bool {
        self.processing.load(Ordering::SeqCst)
    }
}

impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {
        self.restart_requested.store(true, Ordering::SeqCst);
    }
    fn request_process(&self) {}
    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::SeqCst);
    }
}

impl HostParamsImplShared for Shared {
    fn request_flush(&self) {}
}

struct MainThread<'a> {
    shared: &'a Shared,
}

impl<'a> MainThreadHandler<'a> for MainThread<'a> {}

impl HostLatencyImpl for MainThread<'_> {
    fn changed(&self) {
        self.shared.latency_changed.fetch_add(1, Ordering::SeqCst);
        if !self.shared.activating.load(Ordering::SeqCst) {
            self.shared.latency_changed_outside_activate.fetch_add(1, Ordering::SeqCst);
        }
    }
}
impl HostParamsImplMainThread for MainThread<'_> {
    fn rescan(&self, _flags: ParamRescanFlags) {
        self.shared.rescans.fetch_add(1, Ordering::SeqCst);
    }
    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}
impl HostPresetLoadImpl for MainThread<'_> {
    fn on_error(&self, location: Location, load_key: Option<&CStr>, _os_error: i32, message: Option<&CStr>) {
        let what = preset_what(location, load_key);
        let message = message.map(|m| m.to_string_lossy().into_owned()).unwrap_or_default();
        self.shared.preset_loads.lock().unwrap().push((false, what, message));
    }
    fn loaded(&self, location: Location, load_key: Option<&CStr>) {
        let what = preset_what(location, load_key);
        self.shared.preset_loads.lock().unwrap().push((true, what, String::new()));
    }
}

/// A preset's load key (plugin location) or path (file location), for the test's log.
fn preset_what(location: Location, load_key: Option<&CStr>) -> String {
    match location {
        Location::Plugin => load_key.map(|k| k.to_string_lossy().into_owned()).unwrap_or_default(),
        Location::File { path } => path.to_string_lossy().into_owned(),
    }
}

impl HostStateImpl for MainThread<'_> {
    fn mark_dirty(&self) {}
}
impl HostAudioPortsImpl for MainThread<'_> {
    fn is_rescan_flag_supported(&self, _flag: AudioPortRescanFlags) -> bool {
        false
    }
    fn rescan(&self, _flags: AudioPortRescanFlags) {}
}

struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread<'a>;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostLatency>()
            .register::<HostParams>()
            .register::<HostState>()
            .register::<HostAudioPorts>()
            .register::<HostPresetLoad>()
            .register::<HostThreadCheck>();
    }
}

const MAX_FRAMES: u32 = 4096;

/// Tolerance on stepped CLAP values (nice-plug computes them as f32 normalized * step count).
const STEP_EPS: f64 = 1e-5;

/// One plugin instance with its audio buffers, used on the current thread only.
struct Inst {
    instance: PluginInstance<TestHost>,
    processor: Option<StartedPluginAudioProcessor<TestHost>>,
    /// `[port][channel][frame]`
    ins: Vec<Vec<Vec<f32>>>,
    outs: Vec<Vec<Vec<f32>>>,
    out_events: EventBuffer,
    sample_rate: f64,
    steady: u64,
}

impl Inst {
    fn new(bundle: &Bundle, id: &str) -> Result<Self, String> {
        let host_info = HostInfo::new(
            "ferrite-clap-host-tests",
            VENDOR,
            "https://ferrite-audio.org",
            "0.1.0",
        )
        .map_err(|e| format!("host info: {e}"))?;
        let cid = CString::new(id).unwrap();
        let mut instance = PluginInstance::<TestHost>::new(
            |_| Shared::default(),
            |shared| MainThread { shared },
            &bundle.entry,
            &cid,
            &host_info,
        )
        .map_err(|e| format!("instantiation failed: {e}"))?;
        let (ins, outs) = {
            let handle = instance.plugin_handle();
            let ports = handle
                .get_extension::<PluginAudioPorts>()
                .ok_or("no audio-ports extension")?;
            let channels = |is_input: bool| -> Vec<Vec<Vec<f32>>> {
                let mut buf = AudioPortInfoBuffer::new();
                (0..ports.count(&handle, is_input))
                    .map(|i| {
                        let n = ports
                            .get(&handle, i, is_input, &mut buf)
                            .map_or(0, |p| p.channel_count);
                        vec![vec![0.0f32; MAX_FRAMES as usize]; n as usize]
                    })
                    .collect()
            };
            (channels(true), channels(false))
        };
        Ok(Self {
            instance,
            processor: None,
            ins,
            outs,
            out_events: EventBuffer::new(),
            sample_rate: 0.0,
            steady: 0,
        })
    }

    fn shared<R>(&self, f: impl FnOnce(&Shared) -> R) -> R {
        self.instance.access_shared_handler(|s| f(s))
    }

    fn params(&mut self) -> Result<PluginParams, String> {
        self.instance
            .plugin_handle()
            .get_extension::<PluginParams>()
            .ok_or_else(|| "no params extension".into())
    }

    fn activate(&mut self, sample_rate: f64) -> Result<(), String> {
        self.deactivate();
        let config = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: 1,
            max_frames_count: MAX_FRAMES,
        };
        self.shared(|s| s.activating.store(true, Ordering::SeqCst));
        let stopped = self.instance.activate(|_, _| (), config);
        self.shared(|s| s.activating.store(false, Ordering::SeqCst));
        let stopped = stopped.map_err(|e| format!("activation at {sample_rate} Hz failed: {e}"))?;
        self.check_latency_rule()?;
        let started = stopped
            .start_processing()
            .map_err(|e| format!("start_processing at {sample_rate} Hz failed: {e}"))?;
        self.processor = Some(started);
        self.sample_rate = sample_rate;
        self.steady = 0;
        Ok(())
    }

    fn deactivate(&mut self) {
        if let Some(p) = self.processor.take() {
            self.instance.deactivate(p.stop_processing());
        }
    }

    /// Handles main-thread callbacks; returns whether a restart was requested (and clears it).
    /// Fails if the plugin called `clap_host_latency.changed` outside `activate`.
    fn pump(&mut self) -> Result<bool, String> {
        if self.shared(|s| s.callback_requested.swap(false, Ordering::SeqCst)) {
            self.instance.call_on_main_thread_callback();
        }
        self.check_latency_rule()?;
        Ok(self.shared(|s| s.restart_requested.swap(false, Ordering::SeqCst)))
    }

    /// The CLAP rule clap-validator checks: `clap_host_latency.changed` only within `activate`.
    fn check_latency_rule(&self) -> Result<(), String> {
        match self.shared(|s| s.latency_changed_outside_activate.load(Ordering::SeqCst)) {
            0 => Ok(()),
            n => Err(format!(
                "the plugin called clap_host_latency.changed {n} time(s) outside clap_plugin.activate \
                 (CLAP: \"must only be called within 'clap_plugin::activate'\")"
            )),
        }
    }

    /// Restarts (deactivate + activate at the same rate) as long as the plugin asks for it, as a
    /// host does (at most 4 times in a row); returns whether it restarted.
    fn pump_and_restart(&mut self) -> Result<bool, String> {
        let mut restarted = false;
        for _ in 0..4 {
            if !self.pump()? {
                return Ok(restarted);
            }
            let sr = self.sample_rate;
            self.activate(sr)?;
            restarted = true;
        }
        if self.pump()? {
            return Err("the plugin requested a restart after each of 4 restarts in a row".into());
        }
        Ok(restarted)
    }

    fn latency(&mut self) -> Result<u32, String> {
        let handle = self.instance.plugin_handle();
        let lat = handle
            .get_extension::<PluginLatency>()
            .ok_or("no latency extension")?;
        Ok(lat.get(&handle))
    }

    /// Processes `n` frames of `self.ins[..][..][..n]` into `self.outs`.
    fn process(&mut self, n: usize, events: &EventBuffer) -> Result<(), String> {
        assert!(n >= 1 && n <= MAX_FRAMES as usize);
        let processor = self.processor.as_mut().ok_or("process while inactive")?;
        let mut in_ports =
            AudioPorts::with_capacity(self.ins.iter().map(Vec::len).sum(), self.ins.len());
        let mut out_ports =
            AudioPorts::with_capacity(self.outs.iter().map(Vec::len).sum(), self.outs.len());
        let inputs = in_ports.with_input_buffers(self.ins.iter_mut().map(|port| AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(
                port.iter_mut().map(|c| InputChannel::variable(&mut c[..n])),
            ),
        }));
        let mut outputs =
            out_ports.with_output_buffers(self.outs.iter_mut().map(|port| AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_output_only(
                    port.iter_mut().map(|c| &mut c[..n]),
                ),
            }));
        self.out_events.clear();
        let in_events = InputEvents::from_buffer(events);
        let mut out_events = OutputEvents::from_buffer(&mut self.out_events);
        self.instance.access_shared_handler(|s| s.processing.store(true, Ordering::SeqCst));
        let result = processor.process(
            &inputs,
            &mut outputs,
            &in_events,
            &mut out_events,
            Some(self.steady),
            None,
        );
        self.instance.access_shared_handler(|s| s.processing.store(false, Ordering::SeqCst));
        result.map_err(|e| format!("process({n} frames) failed: {e}"))?;
        self.steady += n as u64;
        Ok(())
    }

    /// Sets parameters while inactive through `params.flush`.
    fn flush(&mut self, values: &[(u32, f64)]) -> Result<(), String> {
        let params = self.params()?;
        let mut buf = EventBuffer::new();
        for &(id, v) in values {
            buf.push(&ParamValueEvent::new(
                0,
                ClapId::new(id),
                Pckn::match_all(),
                v,
            ));
        }
        let mut out = EventBuffer::new();
        let mut handle = self
            .instance
            .inactive_plugin_handle()
            .ok_or("flush needs an inactive plugin")?;
        params.flush(
            &mut handle,
            &InputEvents::from_buffer(&buf),
            &mut OutputEvents::from_buffer(&mut out),
        );
        Ok(())
    }

    fn save(&mut self) -> Result<Vec<u8>, String> {
        let handle = self.instance.plugin_handle();
        let state = handle
            .get_extension::<PluginState>()
            .ok_or("no state extension")?;
        let mut bytes = Vec::new();
        state
            .save(&handle, &mut bytes)
            .map_err(|e| format!("state save failed: {e}"))?;
        Ok(bytes)
    }

    fn load(&mut self, bytes: &[u8]) -> Result<(), String> {
        let handle = self.instance.plugin_handle();
        let state = handle
            .get_extension::<PluginState>()
            .ok_or("no state extension")?;
        let mut reader = bytes;
        state
            .load(&handle, &mut reader)
            .map_err(|e| format!("state load failed: {e}"))
    }

    fn channels(&self) -> (usize, usize) {
        (
            self.ins.first().map_or(0, Vec::len),
            self.outs.first().map_or(0, Vec::len),
        )
    }
}

impl Drop for Inst {
    fn drop(&mut self) {
        self.deactivate();
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

struct ParamInfoOwned {
    id: u32,
    name: String,
    module: String,
    min: f64,
    max: f64,
    default: f64,
    stepped: bool,
}

fn param_infos(inst: &mut Inst) -> Result<BTreeMap<u32, ParamInfoOwned>, String> {
    let params = inst.params()?;
    let handle = inst.instance.plugin_handle();
    let mut buf = ParamInfoBuffer::new();
    let mut map = BTreeMap::new();
    for i in 0..params.count(&handle) {
        let info = params
            .get_info(&handle, i, &mut buf)
            .ok_or_else(|| format!("params get_info({i}) failed"))?;
        map.insert(
            info.id.get(),
            ParamInfoOwned {
                id: info.id.get(),
                name: String::from_utf8_lossy(info.name).into_owned(),
                module: String::from_utf8_lossy(info.module).into_owned(),
                min: info.min_value,
                max: info.max_value,
                default: info.default_value,
                stepped: info
                    .flags
                    .contains(clack_extensions::params::ParamInfoFlags::IS_STEPPED),
            },
        );
    }
    Ok(map)
}

fn value_to_text(inst: &mut Inst, id: u32, value: f64) -> Result<String, String> {
    let params = inst.params()?;
    let handle = inst.instance.plugin_handle();
    let mut buf = [0u8; 256];
    params
        .value_to_text(&handle, ClapId::new(id), value, &mut buf)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .map_err(|_| format!("value_to_text({value}) failed"))
}

fn text_to_value(inst: &mut Inst, id: u32, text: &str) -> Option<f64> {
    let params = inst.params().ok()?;
    let handle = inst.instance.plugin_handle();
    let c = CString::new(text).ok()?;
    params.text_to_value(&handle, ClapId::new(id), &c)
}

/// Parses a displayed value back into plain units: leading number, `k` prefix before `Hz`, `%`.
fn parse_display(text: &str) -> Option<f64> {
    let t = text.trim();
    let end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && i == 0)))
        .map_or(t.len(), |(i, _)| i);
    let mut v: f64 = t[..end].parse().ok()?;
    let unit = t[end..].trim();
    if unit.starts_with("kHz") {
        v *= 1000.0;
    } else if unit.starts_with('%') {
        v /= 100.0;
    }
    Some(v)
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn spec_param<'a>(spec: &'a PluginSpec, id: &str) -> &'a ParamSpec {
    spec.param(id)
        .unwrap_or_else(|| panic!("`params --json`: no parameter {id}"))
}

/// A plain value (choice index for choices) to nice-plug's CLAP value.
fn clap_value(p: &ParamSpec, plain: f64) -> f64 {
    match p.kind {
        Kind::Float => {
            assert!(
                p.linear,
                "{} is not linear, cannot be set by plain value",
                p.id
            );
            (plain - p.min) / (p.max - p.min)
        }
        Kind::Choice | Kind::Bool => plain,
        Kind::Integer => plain - p.min,
    }
}

fn check_output(inst: &Inst, n: usize, limit: f32, ctx: &str) -> Result<(), String> {
    for (pi, port) in inst.outs.iter().enumerate() {
        for (ci, ch) in port.iter().enumerate() {
            if let Some((i, y)) = ch[..n]
                .iter()
                .enumerate()
                .find(|(_, y)| !y.is_finite() || y.abs() >= limit)
            {
                return Err(format!("{ctx}: output port {pi} channel {ci} frame {i} = {y} (must be finite and |y| < {limit})"));
            }
        }
    }
    Ok(())
}

fn fill_inputs(inst: &mut Inst, n: usize, mut f: impl FnMut(usize, usize, usize) -> f32) {
    for (pi, port) in inst.ins.iter_mut().enumerate() {
        for (ci, ch) in port.iter_mut().enumerate() {
            for (i, x) in ch[..n].iter_mut().enumerate() {
                *x = f(pi, ci, i);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 1 + 2: descriptor and parameters
// ---------------------------------------------------------------------------------------------

#[test]
fn clap_descriptor() {
    for_each_plugin("descriptor", |bundle, id, spec| {
        let factory = bundle
            .entry
            .get_plugin_factory()
            .ok_or("no plugin factory")?;
        let d = factory
            .plugin_descriptors()
            .find(|d| d.id().is_some_and(|s| s.to_bytes() == id.as_bytes()))
            .ok_or("descriptor vanished")?;
        let s = |c: Option<&std::ffi::CStr>| {
            c.map(|c| c.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let mut errs = Vec::new();
        // `ferrite-<name>` (the binary and bundle name) has the CLAP ID `org.ferrite-audio.<name>`.
        let want_id = format!("{CLAP_ID_PREFIX}{}", spec.binary.trim_start_matches("ferrite-"));
        if id != want_id {
            errs.push(format!("ID {id:?}, expected {want_id:?}"));
        }
        if bundle.file != format!("{}.clap", spec.binary) {
            errs.push(format!("bundle file {:?}, expected {}.clap", bundle.file, spec.binary));
        }
        if s(d.name()) != spec.name {
            errs.push(format!("name {:?}, expected {:?}", s(d.name()), spec.name));
        }
        if s(d.vendor()) != VENDOR {
            errs.push(format!("vendor {:?}, expected {VENDOR:?}", s(d.vendor())));
        }
        let features: Vec<String> = d
            .features()
            .map(|f| f.to_string_lossy().into_owned())
            .collect();
        for want in spec.clap_features.iter().map(String::as_str).chain(["audio-effect"]) {
            if !features.iter().any(|f| f == want) {
                errs.push(format!("features {features:?} lack {want:?}"));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs.join("; "))
        }
    });
}

#[test]
fn clap_params() {
    for_each_plugin("params", |bundle, id, spec| {
        let mut inst = Inst::new(bundle, id)?;
        let infos = param_infos(&mut inst)?;
        let params = inst.params()?;
        let mut errs = Vec::new();
        if infos.len() != spec.params.len() {
            errs.push(format!(
                "the host sees {} parameters, `params --json` lists {}",
                infos.len(),
                spec.params.len()
            ));
        }
        for p in &spec.params {
            let hash = nice_param_hash(&p.id);
            let Some(info) = infos.get(&hash) else {
                errs.push(format!(
                    "parameter {:?} missing (expected CLAP param id {hash} = nice-plug hash of the string id); present: {:?}",
                    p.id,
                    infos.values().map(|i| (&i.name, i.id)).collect::<Vec<_>>()
                ));
                continue;
            };
            let pe = |e: String| {
                format!(
                    "parameter {:?} ({:?}, module {:?}): {e}",
                    p.id, info.name, info.module
                )
            };
            let handle = inst.instance.plugin_handle();
            let current = params.get_value(&handle, ClapId::new(hash));
            if current != Some(info.default) {
                errs.push(pe(format!(
                    "get_value of a fresh instance {current:?} != default_value {}",
                    info.default
                )));
            }
            match p.kind {
                Kind::Float => {
                    let (min, max, default) = (p.min, p.max, p.default);
                    if info.stepped {
                        errs.push(pe("is stepped, expected continuous".into()));
                    }
                    for (what, v, want) in [
                        ("min", info.min, min),
                        ("max", info.max, max),
                        ("default", info.default, default),
                    ] {
                        let text = match value_to_text(&mut inst, hash, v) {
                            Ok(t) => t,
                            Err(e) => {
                                errs.push(pe(e));
                                continue;
                            }
                        };
                        let got = parse_display(&text);
                        let tol =
                            1e-3 * want.abs() + if (max - min) > 2.0 { 0.051 } else { 0.0051 };
                        if !got.is_some_and(|g| (g - want).abs() <= tol) {
                            errs.push(pe(format!(
                                "plain {what} displayed as {text:?}, expected {want}"
                            )));
                        }
                    }
                }
                Kind::Choice => {
                    let ids = &p.choices;
                    let default = p.default_choice().ok_or_else(|| pe("`params --json`: default out of range".into()))?;
                    let n = ids.len() as f64;
                    if !info.stepped || info.min != 0.0 || info.max != n - 1.0 {
                        errs.push(pe(format!(
                            "range [{}, {}] stepped={}, expected stepped [0, {}] ({} choices)",
                            info.min,
                            info.max,
                            info.stepped,
                            n - 1.0,
                            ids.len()
                        )));
                    }
                    for (i, want) in ids.iter().enumerate() {
                        match value_to_text(&mut inst, hash, i as f64) {
                            Ok(t) if norm(&t) == norm(want) => {}
                            Ok(t) => errs.push(pe(format!(
                                "choice {i} displayed as {t:?}, expected {want:?}"
                            ))),
                            Err(e) => errs.push(pe(e)),
                        }
                    }
                    let di = ids.iter().position(|x| x == default).unwrap() as f64;
                    // nice-plug stores normalized values as f32, so stepped values come back as
                    // e.g. 3.0000001: allow f32 rounding.
                    if (info.default - di).abs() > STEP_EPS {
                        errs.push(pe(format!(
                            "default index {}, expected {di} ({default:?})",
                            info.default
                        )));
                    }
                }
                Kind::Integer => {
                    let (min, max, default) = (p.min as i64, p.max as i64, p.default as i64);
                    if !info.stepped || info.min != 0.0 || info.max != (max - min) as f64 {
                        errs.push(pe(format!(
                            "range [{}, {}] stepped={}, expected stepped [0, {}]",
                            info.min,
                            info.max,
                            info.stepped,
                            max - min
                        )));
                    }
                    for (what, v, want) in [("min", 0.0, min), ("max", (max - min) as f64, max), ("default", info.default, default)] {
                        match value_to_text(&mut inst, hash, v) {
                            Ok(t) if parse_display(&t) == Some(want as f64) => {}
                            Ok(t) => errs.push(pe(format!("{what} displayed as {t:?}, expected {want}"))),
                            Err(e) => errs.push(pe(e)),
                        }
                    }
                }
                Kind::Bool => {
                    let default = p.default != 0.0;
                    if !info.stepped
                        || info.min != 0.0
                        || info.max != 1.0
                        || info.default != f64::from(u8::from(default))
                    {
                        errs.push(pe(format!(
                            "bool range/default [{}, {}] {}",
                            info.min, info.max, info.default
                        )));
                    }
                }
            }
            // value_to_text -> text_to_value round trip.
            let values: Vec<f64> = if info.stepped {
                (0..=(info.max as i64)).map(|v| v as f64).collect()
            } else {
                [0.0, 0.013, 0.1, 0.25, 0.5, 0.618, 0.75, 0.9, 0.999, 1.0]
                    .iter()
                    .map(|t| info.min + t * (info.max - info.min))
                    .collect()
            };
            for v in values {
                let text = match value_to_text(&mut inst, hash, v) {
                    Ok(t) => t,
                    Err(e) => {
                        errs.push(pe(e));
                        continue;
                    }
                };
                let Some(back) = text_to_value(&mut inst, hash, &text) else {
                    errs.push(pe(format!(
                        "text_to_value({text:?}) failed (from value {v})"
                    )));
                    continue;
                };
                let text2 = value_to_text(&mut inst, hash, back).unwrap_or_default();
                // The round trip must come back to a value that displays the same (the display
                // is the resolution a user can type). For linear params the display resolution is
                // uniform, so the value must also come back within 1% of the range; a skewed
                // param's normalized value is not comparable at its compressed end (0.013 and 0.0
                // are both "0.10 Hz"), so there the identical display is the whole criterion.
                let linear = p.kind == Kind::Float && p.linear;
                let tol = if info.stepped {
                    STEP_EPS
                } else if linear {
                    0.01 * (info.max - info.min)
                } else {
                    f64::INFINITY
                };
                if (back - v).abs() > tol || text2 != text {
                    errs.push(pe(format!(
                        "round trip {v} -> {text:?} -> {back} -> {text2:?} (tolerance {tol})"
                    )));
                }
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs.join("\n    "))
        }
    });
}

// ---------------------------------------------------------------------------------------------
// 3: sample rates and block sizes
// ---------------------------------------------------------------------------------------------

#[test]
fn clap_processing_rates_and_block_sizes() {
    for_each_plugin("processing (rates x block sizes)", |bundle, id, _spec| {
        let mut inst = Inst::new(bundle, id)?;
        let (inch, outch) = inst.channels();
        if inch != 2 || outch != 2 {
            return Err(format!(
                "default layout main in/out channels {inch}/{outch}, expected stereo 2/2"
            ));
        }
        let mut rng = Rng::from_small_seed(3);
        let events = EventBuffer::new();
        for sr in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
            inst.activate(sr)?;
            for block in [Some(1usize), Some(7), Some(64), Some(512), Some(4096), None] {
                let total = 8192usize;
                let mut done = 0usize;
                let mut calls = 0;
                let mut peak = 0.0f32;
                while done < total || calls < 3 {
                    let n = block.unwrap_or_else(|| 1 + rng.below(MAX_FRAMES as usize));
                    let t0 = done;
                    fill_inputs(&mut inst, n, |port, ch, i| {
                        let t = (t0 + i) as f64 / sr;
                        if port == 0 {
                            (0.5 * (std::f64::consts::TAU * (220.0 + 110.0 * ch as f64) * t).sin())
                                as f32
                        } else {
                            (0.3 * (std::f64::consts::TAU * 1000.0 * t).sin()) as f32
                        }
                    });
                    inst.process(n, &events)?;
                    check_output(
                        &inst,
                        n,
                        1000.0,
                        &format!("{sr} Hz, block {block:?} (n={n}) at frame {done}"),
                    )?;
                    peak = inst
                        .outs
                        .iter()
                        .flatten()
                        .flat_map(|c| c[..n].iter())
                        .fold(peak, |p, y| p.max(y.abs()));
                    done += n;
                    calls += 1;
                    inst.pump_and_restart()?;
                }
                if peak < 1e-3 {
                    return Err(format!("{sr} Hz, block {block:?}: output silent (peak {peak:e}) for a -6 dBFS sine input at default settings"));
                }
            }
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// 4: random automation and bad input
// ---------------------------------------------------------------------------------------------

fn random_param_events(
    rng: &mut Rng,
    infos: &BTreeMap<u32, ParamInfoOwned>,
    n: usize,
) -> EventBuffer {
    let mut evs: Vec<(u32, u32, f64)> = Vec::new();
    for info in infos.values() {
        if rng.unit_f64() < 0.4 {
            let time = if rng.unit_f64() < 0.5 {
                0
            } else {
                rng.below(n) as u32
            };
            let v = if info.stepped {
                (info.min + rng.below((info.max - info.min) as usize + 1) as f64).min(info.max)
            } else {
                info.min + rng.unit_f64() * (info.max - info.min)
            };
            evs.push((time, info.id, v));
        }
    }
    evs.sort_by_key(|e| e.0);
    let mut buf = EventBuffer::new();
    for (t, id, v) in evs {
        buf.push(&ParamValueEvent::new(
            t,
            ClapId::new(id),
            Pckn::match_all(),
            v,
        ));
    }
    buf
}

#[test]
fn clap_random_automation_and_bad_input() {
    for_each_plugin("random automation + bad input", |bundle, id, _spec| {
        let mut inst = Inst::new(bundle, id)?;
        let infos = param_infos(&mut inst)?;
        let sr = 48_000.0;
        inst.activate(sr)?;
        let mut rng = Rng::from_small_seed(4);
        let sr_i = sr as usize;
        // Phases (frames): 0.5 s normal + automation, 1 s bad input + automation, then defaults and
        // a normal signal: 1 s to recover, then 0.5 s that must be alive.
        let bad_start = sr_i / 2;
        let bad_end = bad_start + sr_i;
        let recovered = bad_end + sr_i;
        let total = recovered + sr_i / 2;
        let mut done = 0usize;
        let mut energy = 0.0f64;
        let mut energy_n = 0usize;
        let mut sent_defaults = false;
        // Keep the oversampling cost bounded: choices above index 4 (16x) are skipped for the
        // parameter named oversampling.
        let os_hash = nice_param_hash("oversampling");
        while done < total {
            let n = (1 + rng.below(1024)).min(total - done);
            let in_bad = done < bad_end;
            let mut events = if in_bad {
                random_param_events(&mut rng, &infos, n)
            } else {
                EventBuffer::new()
            };
            if in_bad {
                // Cap oversampling at 16x to keep the run short.
                let mut capped = EventBuffer::new();
                for ev in events.iter() {
                    if let Some(pv) = ev.as_event::<ParamValueEvent>() {
                        if pv.param_id().map(|i| i.get()) == Some(os_hash) && pv.value() > 4.0 {
                            capped.push(&ParamValueEvent::new(
                                pv.header().time(),
                                ClapId::new(os_hash),
                                Pckn::match_all(),
                                4.0,
                            ));
                            continue;
                        }
                    }
                    capped.push(ev);
                }
                events = capped;
            } else if !sent_defaults {
                for info in infos.values() {
                    events.push(&ParamValueEvent::new(
                        0,
                        ClapId::new(info.id),
                        Pckn::match_all(),
                        info.default,
                    ));
                }
                sent_defaults = true;
            }
            let t0 = done;
            let bad = |i: usize| (bad_start..bad_end).contains(&(t0 + i));
            let mut r2 = Rng::from_small_seed(rng.next_u64());
            fill_inputs(&mut inst, n, |port, ch, i| {
                let t = (t0 + i) as f64 / sr;
                let normal =
                    (0.5 * (std::f64::consts::TAU * (330.0 + 7.0 * ch as f64) * t).sin()) as f32;
                if port != 0 {
                    return 0.25 * normal;
                }
                if !bad(i) {
                    return normal;
                }
                match r2.below(12) {
                    0 => f32::NAN,
                    1 => f32::INFINITY,
                    2 => f32::NEG_INFINITY,
                    3 => {
                        f32::from_bits(1 + (r2.next_u64() as u32 & 0x007f_ffff))
                            * if r2.unit_f64() < 0.5 { 1.0 } else { -1.0 }
                    }
                    4 => 0.0,
                    _ => r2.signed_f64() as f32, // 0 dBFS noise
                }
            });
            // Random noise on the aux port in the bad phase too.
            if in_bad {
                for ch in inst.ins.iter_mut().skip(1).flatten() {
                    for x in ch[..n].iter_mut() {
                        if r2.below(50) == 0 {
                            *x = f32::NAN;
                        }
                    }
                }
            }
            inst.process(n, &events)?;
            check_output(
                &inst,
                n,
                1000.0,
                &format!(
                    "frames {done}..{} ({} phase)",
                    done + n,
                    if in_bad && done >= bad_start {
                        "bad input"
                    } else if in_bad {
                        "automation"
                    } else {
                        "recovery"
                    }
                ),
            )?;
            if done >= recovered {
                for ch in &inst.outs[0] {
                    energy += ch[..n]
                        .iter()
                        .map(|&y| f64::from(y) * f64::from(y))
                        .sum::<f64>();
                    energy_n += n;
                }
            }
            // A latency change (oversampling) makes nice-plug request a restart; a host restarts.
            inst.pump_and_restart()?;
            done += n;
        }
        let rms = (energy / energy_n.max(1) as f64).sqrt();
        if !(rms > 1e-3) {
            return Err(format!(
                "output stuck silent after the bad input: RMS {rms:e} over the 0.5 s starting 1 s after it ended, with default parameters and a -6 dBFS sine input"
            ));
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// 5: state
// ---------------------------------------------------------------------------------------------

fn render(inst: &mut Inst, sr: f64, frames: usize, block: usize) -> Result<Vec<f32>, String> {
    let mut out = Vec::with_capacity(frames * 2);
    let mut done = 0;
    let events = EventBuffer::new();
    while done < frames {
        let n = block.min(frames - done);
        let t0 = done;
        fill_inputs(inst, n, |port, ch, i| {
            let t = (t0 + i) as f64 / sr;
            let f = if port == 0 {
                250.0 + 50.0 * ch as f64
            } else {
                700.0
            };
            (0.5 * (std::f64::consts::TAU * f * t).sin()) as f32
        });
        inst.process(n, &events)?;
        for ch in &inst.outs[0] {
            out.extend_from_slice(&ch[..n]);
        }
        done += n;
    }
    Ok(out)
}

#[test]
fn clap_state() {
    for_each_plugin("state", |bundle, id, _spec| {
        let sr = 48_000.0;
        let mut a = Inst::new(bundle, id)?;
        let infos = param_infos(&mut a)?;
        // Non-default values for every parameter, set while inactive (params.flush).
        let mut rng = Rng::from_small_seed(5);
        let values: Vec<(u32, f64)> = infos
            .values()
            .map(|i| {
                let v = if i.stepped {
                    // Stay at or below index 3 (e.g. 8x oversampling) to keep rendering cheap.
                    ((i.default.round() + 1.0 + rng.below(2) as f64) % (i.max.round() + 1.0))
                        .min(3.0)
                } else {
                    i.min + (0.2 + 0.6 * rng.unit_f64()) * (i.max - i.min)
                };
                (i.id, v)
            })
            .collect();
        a.flush(&values)?;
        let s1 = a.save()?;
        if s1.is_empty() {
            return Err("saved state is empty".into());
        }
        let mut b = Inst::new(bundle, id)?;
        b.load(&s1)?;
        let s2 = b.save()?;
        if s1 != s2 {
            return Err(format!(
                "save -> load into a fresh instance -> save is not byte-identical:\n  first:  {}\n  second: {}",
                String::from_utf8_lossy(&s1),
                String::from_utf8_lossy(&s2)
            ));
        }
        // Same parameter values.
        let (pa, pb) = (a.params()?, b.params()?);
        for info in infos.values() {
            let va = pa.get_value(&a.instance.plugin_handle(), ClapId::new(info.id));
            let vb = pb.get_value(&b.instance.plugin_handle(), ClapId::new(info.id));
            if va != vb {
                return Err(format!(
                    "after load, param {:?} is {vb:?}, the saved instance has {va:?}",
                    info.name
                ));
            }
        }
        a.activate(sr)?;
        b.activate(sr)?;
        let ya = render(&mut a, sr, 24_000, 500)?;
        let yb = render(&mut b, sr, 24_000, 500)?;
        let max_diff = ya
            .iter()
            .zip(&yb)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        if max_diff > 1e-6 || ya.iter().all(|&y| y == 0.0) {
            return Err(format!(
                "the loaded instance renders differently from the original (max |diff| {max_diff:e}, original all zero: {})",
                ya.iter().all(|&y| y == 0.0)
            ));
        }
        // Garbage must be rejected without crashing, and the instance must still work.
        let mut garbage: Vec<(String, Vec<u8>)> = vec![("empty".into(), Vec::new())];
        let mut rng = Rng::from_small_seed(55);
        for len in [1usize, 7, 8, 9, 64, 1000] {
            garbage.push((
                format!("{len} random bytes"),
                (0..len).map(|_| rng.next_u64() as u8).collect(),
            ));
        }
        // A valid length prefix followed by random bytes, and a truncated real state.
        let mut framed = 100u64.to_le_bytes().to_vec();
        framed.extend((0..100).map(|_| rng.next_u64() as u8));
        garbage.push(("length prefix + 100 random bytes".into(), framed));
        garbage.push(("truncated state".into(), s1[..s1.len() / 2].to_vec()));
        b.deactivate();
        for (what, bytes) in &garbage {
            if b.load(bytes).is_ok() {
                return Err(format!("loading {what} was accepted, expected an error"));
            }
        }
        b.activate(sr)?;
        let y = render(&mut b, sr, 4800, 480)?;
        if let Some(bad) = y.iter().find(|y| !y.is_finite() || y.abs() >= 1000.0) {
            return Err(format!("after rejected state loads the output is {bad}"));
        }
        // Also while active.
        for (what, bytes) in &garbage {
            if b.load(bytes).is_ok() {
                return Err(format!(
                    "loading {what} while active was accepted, expected an error"
                ));
            }
        }
        let y = render(&mut b, sr, 4800, 480)?;
        if let Some(bad) = y.iter().find(|y| !y.is_finite() || y.abs() >= 1000.0) {
            return Err(format!(
                "after rejected state loads (active) the output is {bad}"
            ));
        }
        Ok(())
    });
}

/// A state saved by the release before the plugin skeleton was rewritten (issue 11) loads into
/// this build with every parameter at the value it had: the fixtures in `fixtures/state/` are
/// that release's saved states (non-default values for every parameter) and the values its
/// `params.get_value` reported after saving, with their display text (which shows the plain
/// value, so a changed range fails too). Written with `FERRITE_BLESS=1` only when the state
/// format changes on purpose, never to make this test pass.
#[test]
fn clap_state_saved_by_the_previous_release_loads_with_the_same_values() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/state");
    let bless = std::env::var_os("FERRITE_BLESS").is_some();
    for_each_plugin("state fixtures", |bundle, id, _spec| {
        let (state_path, values_path) = (dir.join(format!("{id}.state")), dir.join(format!("{id}.values")));
        let mut inst = Inst::new(bundle, id)?;
        let infos = param_infos(&mut inst)?;
        let read_values = |inst: &mut Inst| -> Result<String, String> {
            let params = inst.params()?;
            let mut values = Vec::new();
            for info in infos.values() {
                let v = params
                    .get_value(&inst.instance.plugin_handle(), ClapId::new(info.id))
                    .ok_or_else(|| format!("get_value({}) failed", info.name))?;
                values.push((info.id, info.name.clone(), v));
            }
            let mut out = String::new();
            for (id, name, v) in values {
                let text = value_to_text(inst, id, v)?;
                out.push_str(&format!("{name} = {v:?} ({text})\n"));
            }
            Ok(out)
        };
        if bless {
            // Every parameter away from its default: a third of the way into its range (the
            // next step for stepped ones).
            let values: Vec<(u32, f64)> = infos
                .values()
                .map(|i| {
                    let v = if i.stepped {
                        (i.default.round() + 1.0) % (i.max.round() + 1.0)
                    } else {
                        i.min + (i.max - i.min) / 3.0
                    };
                    (i.id, v)
                })
                .collect();
            inst.flush(&values)?;
            let state = inst.save()?;
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            std::fs::write(&state_path, &state).map_err(|e| e.to_string())?;
            std::fs::write(&values_path, read_values(&mut inst)?).map_err(|e| e.to_string())?;
            return Ok(());
        }
        let state = std::fs::read(&state_path).map_err(|e| format!("{}: {e}", state_path.display()))?;
        let want = std::fs::read_to_string(&values_path).map_err(|e| format!("{}: {e}", values_path.display()))?;
        inst.load(&state)?;
        let got = read_values(&mut inst)?;
        // Parameters are added, never renamed or removed: every parameter the previous release
        // saved loads with its value, and a parameter added since (absent from the state)
        // stays at its default.
        let name_of = |line: &str| line.split(" = ").next().unwrap_or("").to_owned();
        let saved: std::collections::BTreeSet<String> = want.lines().map(name_of).collect();
        let mut errs = Vec::new();
        for line in want.lines() {
            if !got.lines().any(|g| g == line) {
                errs.push(format!("saved `{line}` does not load as saved"));
            }
        }
        for line in got.lines().filter(|g| !saved.contains(&name_of(g))) {
            let name = name_of(line);
            let value: Option<f64> = line.split(" = ").nth(1).and_then(|v| v.split(' ').next()).and_then(|v| v.parse().ok());
            let default = infos.values().find(|i| i.name == name).map(|i| i.default);
            if value.is_none() || default.is_none() || (value.unwrap() - default.unwrap()).abs() > 1e-6 {
                errs.push(format!("`{line}`: a parameter the previous release did not have is not at its default {default:?}"));
            }
        }
        if !errs.is_empty() {
            return Err(format!("the previous release's state loads with other values ({}):\n  want:\n{want}\n  got:\n{got}", errs.join("; ")));
        }
        Ok(())
    });
}

/// Mutate a saved state the ways a damaged or hand-edited project file would be: random byte
/// changes, truncation, numbers replaced by absurd ones, strings replaced, a chunk repeated.
fn mutate_state(valid: &[u8], rng: &mut Rng) -> (String, Vec<u8>) {
    let mut s = valid.to_vec();
    match rng.below(5) {
        0 => {
            let flips = 1 + rng.below(8);
            for _ in 0..flips {
                let i = rng.below(s.len());
                s[i] = rng.next_u64() as u8;
            }
            (format!("{flips} random bytes changed"), s)
        }
        1 => {
            let at = rng.below(s.len());
            s.truncate(at);
            (format!("truncated at {at}"), s)
        }
        2 => {
            // Replace one number (in the JSON after the length prefix) by an absurd one.
            let text = String::from_utf8_lossy(&s).into_owned();
            let starts: Vec<usize> = text
                .char_indices()
                .filter(|&(i, c)| (c.is_ascii_digit() || c == '-') && i > 8 && !text.as_bytes()[i - 1].is_ascii_digit())
                .map(|(i, _)| i)
                .collect();
            if starts.is_empty() {
                return ("unchanged".into(), s);
            }
            let a = starts[rng.below(starts.len())];
            let b = a + text[a..].find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c))).unwrap_or(text.len() - a);
            let value = ["1e308", "-1e308", "NaN", "-0", "1e-45", "99999999999999999999", "-7", "3.5"][rng.below(8)];
            let mut t = text.clone();
            t.replace_range(a..b, value);
            (format!("number {:?} replaced by {value}", &text[a..b]), t.into_bytes())
        }
        3 => {
            // Replace one quoted string by another.
            let text = String::from_utf8_lossy(&s).into_owned();
            let quotes: Vec<usize> = text.match_indices('"').map(|(i, _)| i).collect();
            if quotes.len() < 2 {
                return ("unchanged".into(), s);
            }
            let k = rng.below(quotes.len() / 2) * 2;
            let (a, b) = (quotes[k] + 1, quotes[k + 1]);
            let value = ["", "ferrite", "1x", "nan", "\u{1F3B5}", "../../../etc/passwd"][rng.below(6)];
            let mut t = text.clone();
            t.replace_range(a..b, value);
            (format!("string {:?} replaced by {value:?}", &text[a..b]), t.into_bytes())
        }
        _ => {
            let a = rng.below(s.len());
            let b = (a + 1 + rng.below(64)).min(s.len());
            let chunk = s[a..b].to_vec();
            s.splice(b..b, chunk);
            (format!("bytes {a}..{b} repeated"), s)
        }
    }
}

/// A bounded fuzz of state loading: mutated copies of a real saved state, loaded into an active
/// instance. Each is accepted or rejected, never a crash; afterwards the instance still renders
/// finite, bounded audio, and an accepted state saves and loads again. Rounds per plugin:
/// `FERRITE_FUZZ_ROUNDS` (default 100); a longer run is
/// `FERRITE_FUZZ_ROUNDS=5000 cargo test --release -p ferrite-clap-host-tests clap_state_fuzz`.
#[test]
fn clap_state_fuzz() {
    let rounds: usize = std::env::var("FERRITE_FUZZ_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(100);
    for_each_plugin("state fuzz", |bundle, id, _spec| {
        let sr = 48_000.0;
        let mut inst = Inst::new(bundle, id)?;
        let valid = inst.save()?;
        inst.activate(sr)?;
        let mut rng = Rng::from_small_seed(0x57A7E);
        let mut accepted = 0;
        for round in 0..rounds {
            let (what, bytes) = mutate_state(&valid, &mut rng);
            if inst.load(&bytes).is_ok() {
                accepted += 1;
                let again = inst.save()?;
                inst.load(&again).map_err(|e| format!("round {round} ({what}): re-saved state does not load: {e}"))?;
            }
            let y = render(&mut inst, sr, 960, 480)?;
            if let Some(bad) = y.iter().find(|y| !y.is_finite() || y.abs() >= 1000.0) {
                return Err(format!("round {round} ({what}): after loading the output is {bad}"));
            }
        }
        eprintln!("{id}: state fuzz, {rounds} rounds, {accepted} mutated states accepted");
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// 6: latency
// ---------------------------------------------------------------------------------------------

/// Processes an impulse at `at` and returns the delay of the output peak and its value.
fn measure_delay(inst: &mut Inst, at: usize, frames: usize) -> Result<(usize, f32, f32), String> {
    let mut out = Vec::with_capacity(frames);
    let mut done = 0;
    let events = EventBuffer::new();
    while done < frames {
        let n = 512.min(frames - done);
        let t0 = done;
        fill_inputs(
            inst,
            n,
            |port, _ch, i| if port == 0 && t0 + i == at { 1.0 } else { 0.0 },
        );
        inst.process(n, &events)?;
        out.extend_from_slice(&inst.outs[0][0][..n]);
        done += n;
    }
    let (idx, peak) = out.iter().enumerate().fold((0, 0.0f32), |acc, (i, &y)| {
        if y.abs() > acc.1.abs() {
            (i, y)
        } else {
            acc
        }
    });
    let rest = out
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != idx)
        .map(|(_, y)| y.abs())
        .fold(0.0f32, f32::max);
    Ok((idx.wrapping_sub(at), peak, rest))
}

#[test]
fn clap_latency() {
    for_each_plugin("latency", |bundle, id, spec| {
        let probe = LatencyProbe::for_plugin(spec)?;
        let sr = 48_000.0;
        let mut inst = Inst::new(bundle, id)?;
        let settings: Vec<(u32, f64)> = probe
            .settings
            .iter()
            .map(|&(pid, plain)| {
                (
                    nice_param_hash(pid),
                    clap_value(spec_param(spec, pid), plain),
                )
            })
            .collect();
        inst.flush(&settings)?;
        inst.activate(sr)?;
        let check = |inst: &mut Inst, what: &str| -> Result<u32, String> {
            let lat = inst.latency()?;
            let at = 100;
            let (delay, peak, rest) = measure_delay(inst, at, at + lat as usize + 2048)?;
            if delay != lat as usize || (peak - 1.0).abs() > 0.05 {
                return Err(format!(
                    "{what}: latency extension says {lat} samples, the impulse peak is at {delay} samples with value {peak} (expected 1 at {lat})"
                ));
            }
            if rest > 0.05 {
                return Err(format!("{what}: the dry impulse response has a side lobe of {rest} besides the peak at {lat}"));
            }
            Ok(lat)
        };
        let default_latency = check(&mut inst, "default settings")?;
        let Some((pid, values)) = &probe.latency_param else {
            return Ok(());
        };
        let hash = nice_param_hash(pid);
        let mut seen = vec![default_latency];
        for &v in values {
            let before_changed = inst.shared(|s| s.latency_changed.load(Ordering::SeqCst));
            let old_latency = inst.latency()?;
            let mut ev = EventBuffer::new();
            ev.push(&ParamValueEvent::new(
                0,
                ClapId::new(hash),
                Pckn::match_all(),
                clap_value(spec_param(spec, pid), v),
            ));
            fill_inputs(&mut inst, 64, |_, _, _| 0.0);
            inst.process(64, &ev)?;
            // A host answers request_restart by deactivating and reactivating.
            let mut restarted = inst.pump_and_restart()?;
            for _ in 0..4 {
                if restarted {
                    break;
                }
                fill_inputs(&mut inst, 64, |_, _, _| 0.0);
                inst.process(64, &EventBuffer::new())?;
                restarted = inst.pump_and_restart()?;
            }
            if !restarted {
                // No restart (the latency did not change, e.g. 16x -> 32x): the plugin's switch
                // fade (out and in, 5 ms each) is still running, unlike after a restart's reset;
                // let it finish (50 ms) before measuring the dry path.
                for _ in 0..(0.05 * sr / 64.0) as usize {
                    fill_inputs(&mut inst, 64, |_, _, _| 0.0);
                    inst.process(64, &EventBuffer::new())?;
                    inst.pump_and_restart()?;
                }
            }
            let new_latency = inst.latency()?;
            let changed =
                inst.shared(|s| s.latency_changed.load(Ordering::SeqCst)) > before_changed;
            if new_latency != old_latency && !(restarted && changed) {
                return Err(format!(
                    "{pid}={v}: latency changed {old_latency} -> {new_latency} but the plugin did not request a restart \
                     (requested: {restarted}) and report clap_host_latency.changed after reactivation (reported: {changed})"
                ));
            }
            let lat = check(&mut inst, &format!("after {pid}={v}"))?;
            seen.push(lat);
        }
        if seen.iter().all(|&l| l == default_latency) {
            return Err(format!("changing {pid} never changed the latency (all {default_latency}); the probe is not testing anything"));
        }
        eprintln!("CLAP {id}: latencies at 48 kHz for default then {pid} = {values:?}: {seen:?}");
        Ok(())
    });
}

/// The sequence clap-validator's `param-set-events` and `param-fuzz-*` tests run, which nice-plug
/// 0.4.2 on its own failed for Ring and VCF: parameter events (here every `oversampling` value in
/// turn, at sample-accurate times inside blocks) arrive during processing on the audio thread
/// while the host does not service main-thread callbacks; then the host stops processing,
/// deactivates, and only then runs `on_main_thread`. `clap_host_latency.changed` must not come
/// from there (only from inside `activate`), and once the host has honoured the restart requests
/// the latency the plugin reports must be the one its dry impulse shows.
#[test]
fn clap_latency_changes_are_reported_only_inside_activate() {
    for_each_plugin("latency changes only inside activate", |bundle, id, spec| {
        let probe = LatencyProbe::for_plugin(spec)?;
        let Some((pid, values)) = &probe.latency_param else {
            return Ok(());
        };
        let sr = 48_000.0;
        let hash = nice_param_hash(pid);
        let mut inst = Inst::new(bundle, id)?;
        let dry: Vec<(u32, f64)> =
            probe.settings.iter().map(|&(p, plain)| (nice_param_hash(p), clap_value(spec_param(spec, p), plain))).collect();
        inst.flush(&dry)?;
        inst.activate(sr)?;
        inst.pump_and_restart()?;
        // Every value, then each again in reverse, with the host's main thread busy elsewhere.
        let order: Vec<f64> = values.iter().chain(values.iter().rev()).copied().collect();
        for (k, &v) in order.iter().enumerate() {
            let block = 256;
            let mut ev = EventBuffer::new();
            ev.push(&ParamValueEvent::new(
                (k * 37 % block) as u32,
                ClapId::new(hash),
                Pckn::match_all(),
                clap_value(spec_param(spec, pid), v),
            ));
            fill_inputs(&mut inst, block, |_, _, i| (0.25 * (i as f64 * 0.05).sin()) as f32);
            inst.process(block, &ev)?;
            fill_inputs(&mut inst, block, |_, _, _| 0.0);
            inst.process(block, &EventBuffer::new())?;
        }
        inst.deactivate();
        // The validator's host runs pending main-thread callbacks after deactivating.
        inst.pump()?;
        let before = inst.shared(|s| s.latency_changed.load(Ordering::SeqCst));
        let old_latency = inst.latency()?;
        // The host activates again (whether or not a restart was asked for) and honours requests.
        inst.activate(sr)?;
        inst.pump_and_restart()?;
        let latency = inst.latency()?;
        let changed = inst.shared(|s| s.latency_changed.load(Ordering::SeqCst)) > before;
        if latency != old_latency && !changed {
            return Err(format!(
                "the latency went from {old_latency} to {latency} across the restarts without clap_host_latency.changed"
            ));
        }
        // The last value set is values[0]: the dry impulse must come out at the reported latency.
        let at = 100;
        let (delay, peak, _) = measure_delay(&mut inst, at, at + latency as usize + 2048)?;
        if delay != latency as usize || (peak - 1.0).abs() > 0.05 {
            return Err(format!(
                "after the changes and the restarts, the latency extension says {latency} samples but the dry impulse peaks at {delay} with value {peak}"
            ));
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// 7: the first block after activation
// ---------------------------------------------------------------------------------------------

/// Non-default CLAP values for every parameter except `oversampling` (whose latency change would
/// restart the plugin): a continuous value 0.37 of the way along its normalized range (0.77 if
/// the default is near there), a stepped one the next step after its default (wrapping).
fn first_block_values(infos: &BTreeMap<u32, ParamInfoOwned>) -> Vec<(u32, f64)> {
    let os_hash = nice_param_hash("oversampling");
    infos
        .values()
        .filter(|p| p.id != os_hash)
        .map(|p| {
            let v = if p.stepped {
                let next = p.default + 1.0;
                if next > p.max { p.min } else { next }
            } else {
                let span = p.max - p.min;
                let t = if ((p.default - p.min) / span - 0.37).abs() < 0.1 { 0.77 } else { 0.37 };
                p.min + t * span
            };
            (p.id, v)
        })
        .collect()
}

/// Renders `frames` of a two-sine input (and a 700 Hz sidechain) in blocks of `block`, sending
/// `events_at[k]` with the k-th block; returns the main output, channels concatenated per block.
fn render_with_events(
    inst: &mut Inst,
    frames: usize,
    block: usize,
    events_at: &[(usize, EventBuffer)],
) -> Result<Vec<Vec<f32>>, String> {
    let sr = inst.sample_rate;
    let mut out = vec![Vec::with_capacity(frames); inst.outs[0].len()];
    let empty = EventBuffer::new();
    let (mut done, mut k) = (0, 0);
    while done < frames {
        let n = block.min(frames - done);
        let t0 = done;
        fill_inputs(inst, n, |port, ch, i| {
            let t = (t0 + i) as f64 / sr;
            let f = if port == 0 { 250.0 + 50.0 * ch as f64 } else { 700.0 };
            (0.4 * (std::f64::consts::TAU * f * t).sin() + 0.1 * (std::f64::consts::TAU * 3.1 * f * t).sin()) as f32
        });
        let events = events_at.iter().find(|(at, _)| *at == k).map_or(&empty, |(_, e)| e);
        inst.process(n, events)?;
        for (o, ch) in out.iter_mut().zip(&inst.outs[0]) {
            o.extend_from_slice(&ch[..n]);
        }
        done += n;
        k += 1;
    }
    Ok(out)
}

/// Parameter values that arrive in the first `process` call after activation (as pedalboard and
/// DawDreamer deliver values set before a render) take effect at once: the output equals, bit
/// for bit, that of an instance given the same values before activation (what `render` does).
/// Without that, the smoothers glide from the defaults and discrete settings switch under a fade
/// (Ring: the carrier glides from 440 Hz; Reverb: 50 ms of the previous algorithm).
/// A change in a later block still glides: `output` to its minimum must not jump there.
#[test]
fn clap_first_block_parameter_events_take_effect_at_once() {
    for_each_plugin("first block after activation", |bundle, id, _spec| {
        let sr = 48_000.0;
        let (frames, block) = (12_000, 480);
        let mut before = Inst::new(bundle, id)?;
        let infos = param_infos(&mut before)?;
        let values = first_block_values(&infos);
        before.flush(&values)?;
        before.activate(sr)?;
        let want = render_with_events(&mut before, frames, block, &[])?;

        let mut cold = Inst::new(bundle, id)?;
        cold.activate(sr)?;
        let mut first = EventBuffer::new();
        for &(pid, v) in &values {
            first.push(&ParamValueEvent::new(0, ClapId::new(pid), Pckn::match_all(), v));
        }
        let got = render_with_events(&mut cold, frames, block, &[(0, first)])?;
        let peak = want.iter().flatten().fold(0f32, |m, x| m.max(x.abs()));
        if peak < 1e-3 {
            return Err(format!("the reference output is near silent (peak {peak:e}); the comparison proves nothing"));
        }
        for (ch, (w, g)) in want.iter().zip(&got).enumerate() {
            if let Some(i) = w.iter().zip(g).position(|(a, b)| a.to_bits() != b.to_bits()) {
                let worst = w.iter().zip(g).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
                return Err(format!(
                    "channel {ch}: with the values as events in the first process call the output differs \
                     from the one with the values set before activation from sample {i} on ({} vs {}), \
                     worst difference {worst:e} (peak {peak})",
                    g[i], w[i]
                ));
            }
        }

        // During a stream a change stays smoothed: output -> its minimum in the third block.
        let out_hash = nice_param_hash("output");
        let out_min = infos.get(&out_hash).ok_or("no `output` parameter")?.min;
        let mut later = EventBuffer::new();
        later.push(&ParamValueEvent::new(0, ClapId::new(out_hash), Pckn::match_all(), out_min));
        let mut steady = Inst::new(bundle, id)?;
        steady.activate(sr)?;
        let reference = render_with_events(&mut steady, 3 * block, block, &[])?;
        let mut moved = Inst::new(bundle, id)?;
        moved.activate(sr)?;
        let changed = render_with_events(&mut moved, 3 * block, block, &[(2, later)])?;
        let rms = |x: &[f32]| (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt();
        let span = 2 * block..2 * block + 48; // the first 1 ms after the change
        let ratio = rms(&changed[0][span.clone()]) / rms(&reference[0][span]).max(1e-12);
        if ratio < 0.5 {
            return Err(format!(
                "a change of `output` to its minimum during the stream took effect at once (level ratio {ratio:.3} in the first ms), it should glide"
            ));
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// 8: subnormal input (clap-validator's `process-audio-denormals`)
// ---------------------------------------------------------------------------------------------

/// The x86-64 SSE control and status register (Intel SDM vol. 1, 10.2.3).
#[cfg(target_arch = "x86_64")]
mod mxcsr {
    /// Denormal-operand flag (sticky): an SSE instruction read a subnormal operand while DAZ
    /// was off (the case that can cost a microcode assist). With DAZ on it is never set.
    pub const DE: u32 = 1 << 1;
    /// Underflow flag (sticky, with underflow masked): a result was tiny and inexact, i.e. it
    /// became a subnormal, or zero under FTZ.
    pub const UE: u32 = 1 << 4;
    /// The six sticky exception flags (bits 0–5); the rest are the control bits.
    pub const FLAGS: u32 = 0x3f;
    /// Denormals-are-zero and flush-to-zero.
    pub const DAZ_FTZ: u32 = (1 << 6) | (1 << 15);

    pub fn read() -> u32 {
        let mut csr = 0u32;
        // SAFETY: stores MXCSR into a valid, aligned local; SSE is part of x86-64.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags)) };
        csr
    }

    pub fn write(csr: u32) {
        // SAFETY: loads a value read from MXCSR with only flag or mode bits changed.
        unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags)) };
    }
}

/// clap-validator's `process-audio-denormals` feeds random subnormals to every input and warns
/// when that takes markedly longer than noise. A subnormal costs time only when an instruction
/// computes on it with DAZ off (or produces one with FTZ off); the skeleton turns both on for its
/// `process` (`ScopedFlushDenormals`) and restores the host's register, flags included, when it
/// returns. So instead of timing (the bench `tests/benches/denormals.rs` does that), this checks
/// the cause, deterministically, through the whole CLAP path (this host's call, nice-plug's
/// wrapper, the skeleton, the engine): on a thread with both modes off, as a host leaves them,
/// with the exception flags cleared before each call, the denormal-operand and underflow flags
/// must still be clear after it (what ran outside the skeleton's scope neither computed on a
/// subnormal nor produced one; flags raised inside the scope are dropped with it), the
/// control bits must be the host's again, and the output must hold no subnormal (the validator
/// fails those in its other tests). Subnormal input follows noise (so tails decay meanwhile),
/// with random parameter events in half the blocks and restarts when the plugin asks for them.
#[cfg(target_arch = "x86_64")]
#[test]
fn clap_subnormal_input_is_computed_on_only_inside_the_flush_to_zero_scope() {
    for_each_plugin("subnormal input", |bundle, id, _spec| {
        let mut inst = Inst::new(bundle, id)?;
        let infos = param_infos(&mut inst)?;
        let os_hash = nice_param_hash("oversampling");
        inst.activate(44_100.0)?;
        let host_csr = mxcsr::read();
        if host_csr & mxcsr::DAZ_FTZ != 0 {
            return Err(format!("the test thread has FTZ/DAZ on (MXCSR {host_csr:#06x}); the check needs them off"));
        }
        let mut rng = Rng::from_small_seed(8);
        let block = 512;
        for b in 0..60 {
            let noise = b < 10;
            fill_inputs(&mut inst, block, |_, _, _| {
                if noise {
                    rng.signed_f64() as f32
                } else {
                    // Random subnormals of either sign, as the validator feeds.
                    let x = f32::from_bits(1 + (rng.next_u64() as u32 & 0x007f_fffe));
                    if rng.next_u64() & 1 == 0 { x } else { -x }
                }
            });
            let mut events = EventBuffer::new();
            if b % 2 == 1 {
                // Oversampling above 16x only slows the run down.
                for ev in random_param_events(&mut rng, &infos, block).iter() {
                    match ev.as_event::<ParamValueEvent>() {
                        Some(pv) if pv.param_id().map(|i| i.get()) == Some(os_hash) && pv.value() > 4.0 => {}
                        _ => events.push(ev),
                    }
                }
            }
            mxcsr::write(host_csr & !mxcsr::FLAGS);
            let result = inst.process(block, &events);
            let after = mxcsr::read();
            mxcsr::write(host_csr);
            result?;
            let input = if noise { "noise" } else { "subnormal input" };
            if after & (mxcsr::DE | mxcsr::UE) != 0 {
                return Err(format!(
                    "block {b} ({input}): process left the {} flag set (MXCSR {after:#06x}): something \
                     computed on a subnormal or produced one outside the FTZ/DAZ scope",
                    if after & mxcsr::DE != 0 { "denormal-operand" } else { "underflow" }
                ));
            }
            if after & !mxcsr::FLAGS != host_csr & !mxcsr::FLAGS {
                return Err(format!(
                    "block {b} ({input}): process changed the thread's MXCSR control bits from {:#06x} to {:#06x}",
                    host_csr & !mxcsr::FLAGS,
                    after & !mxcsr::FLAGS
                ));
            }
            check_output(&inst, block, 1000.0, &format!("block {b} ({input})"))?;
            for (pi, port) in inst.outs.iter().enumerate() {
                for (ci, ch) in port.iter().enumerate() {
                    if let Some(i) = ch[..block].iter().position(|y| y.is_subnormal()) {
                        return Err(format!(
                            "block {b} ({input}): output port {pi} channel {ci} frame {i} is subnormal ({:e})",
                            ch[i]
                        ));
                    }
                }
            }
            inst.pump_and_restart()?;
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Presets in the host's browser: preset discovery and preset-load
// ---------------------------------------------------------------------------------------------

/// What the plugin's provider declares.
#[derive(Default)]
struct Declared {
    filetypes: Vec<(String, Option<String>)>,
    /// (name, flags, location kind is the plugin, path)
    locations: Vec<(String, Flags, bool, Option<String>)>,
}

impl IndexerImpl for Declared {
    fn declare_filetype(&mut self, file_type: FileType) -> Result<(), HostError> {
        let ext = file_type.file_extension.map(|e| e.to_string_lossy().into_owned());
        self.filetypes.push((file_type.name.to_string_lossy().into_owned(), ext));
        Ok(())
    }
    fn declare_location(&mut self, location: LocationInfo) -> Result<(), HostError> {
        let (plugin, path) = match location.location {
            Location::Plugin => (true, None),
            Location::File { path } => (false, Some(path.to_string_lossy().into_owned())),
        };
        self.locations.push((location.name.to_string_lossy().into_owned(), location.flags, plugin, path));
        Ok(())
    }
    fn declare_soundpack(&mut self, _soundpack: Soundpack) -> Result<(), HostError> {
        Ok(())
    }
}

/// One preset as the provider describes it.
#[derive(Default, Debug, Clone)]
struct PresetMeta {
    name: String,
    load_key: Option<String>,
    plugin_ids: Vec<(String, String)>,
    flags: u32,
    description: String,
    features: Vec<String>,
}

/// What the provider reports for a location.
#[derive(Default)]
struct Received {
    presets: Vec<PresetMeta>,
    errors: Vec<String>,
}

impl MetadataReceiverImpl for Received {
    fn on_error(&mut self, _error_code: i32, error_message: Option<&CStr>) {
        self.errors.push(error_message.map(|m| m.to_string_lossy().into_owned()).unwrap_or_default());
    }
    fn begin_preset(&mut self, name: Option<&CStr>, load_key: Option<&CStr>) -> Result<(), HostError> {
        self.presets.push(PresetMeta {
            name: name.map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            load_key: load_key.map(|k| k.to_string_lossy().into_owned()),
            ..PresetMeta::default()
        });
        Ok(())
    }
    fn add_plugin_id(&mut self, plugin_id: UniversalPluginId) {
        if let Some(p) = self.presets.last_mut() {
            p.plugin_ids.push((plugin_id.abi.to_string_lossy().into_owned(), plugin_id.id.to_string_lossy().into_owned()));
        }
    }
    fn set_soundpack_id(&mut self, _soundpack_id: &CStr) {}
    fn set_flags(&mut self, flags: Flags) {
        if let Some(p) = self.presets.last_mut() {
            p.flags = flags.bits();
        }
    }
    fn add_creator(&mut self, _creator: &CStr) {}
    fn set_description(&mut self, description: &CStr) {
        if let Some(p) = self.presets.last_mut() {
            p.description = description.to_string_lossy().into_owned();
        }
    }
    fn set_timestamps(&mut self, _creation_time: Option<Timestamp>, _modification_time: Option<Timestamp>) {}
    fn add_feature(&mut self, feature: &CStr) {
        if let Some(p) = self.presets.last_mut() {
            p.features.push(feature.to_string_lossy().into_owned());
        }
    }
    fn add_extra_info(&mut self, _key: &CStr, _value: &CStr) {}
}

/// The plugin's preset provider, created as a host's indexer creates it.
fn preset_provider(bundle: &Bundle) -> Result<Provider<Declared>, String> {
    let factory: PresetDiscoveryFactory =
        bundle.entry.get_factory().ok_or("no preset-discovery factory (clap.preset-discovery-factory/2)")?;
    let descriptors: Vec<_> = factory.provider_descriptors().collect();
    if descriptors.len() != 1 {
        return Err(format!("{} preset providers, one expected", descriptors.len()));
    }
    let id = descriptors[0].id().ok_or("the provider has no ID")?.to_owned();
    let host_info = HostInfo::new("ferrite-clap-host-tests", VENDOR, "https://ferrite-audio.org", "0.1.0")
        .map_err(|e| format!("host info: {e}"))?;
    Provider::instantiate(Declared::default(), &bundle.entry, &id, &host_info).map_err(|e| format!("provider: {e:?}"))
}

/// The binary next to the bundle's `params --presets`: the factory preset names, in order.
fn factory_preset_names(bundle: &Bundle) -> Result<Vec<String>, String> {
    let path = ferrite_test_kit::expect::binary_next_to(&bundle_dir().join(&bundle.file));
    let out = std::process::Command::new(&path)
        .args(["params", "--presets"])
        // No user presets from the machine's own folder.
        .env("XDG_DATA_HOME", "/nonexistent")
        .output()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let names: Vec<String> = text
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.rsplit_once("  ").map_or(l, |(n, _)| n).trim().to_owned())
        .collect();
    if !out.status.success() || names.is_empty() {
        return Err(format!("`{} params --presets` lists no presets: {}", path.display(), String::from_utf8_lossy(&out.stderr)));
    }
    Ok(names)
}

#[test]
fn clap_preset_discovery_lists_the_factory_presets_and_reads_user_preset_files() {
    for_each_plugin("preset discovery", |bundle, id, _spec| {
        let mut provider = preset_provider(bundle)?;
        let declared = provider.indexer();
        if declared.filetypes.iter().all(|(_, ext)| ext.as_deref() != Some("preset")) {
            return Err(format!("no .preset file type declared: {:?}", declared.filetypes));
        }
        let factory = declared
            .locations
            .iter()
            .find(|(_, flags, plugin, _)| *plugin && flags.contains(Flags::IS_FACTORY_CONTENT))
            .ok_or("no factory location inside the plugin")?;
        if factory.3.is_some() {
            return Err("the plugin location has a path".into());
        }
        let mut received = Received::default();
        provider.get_metadata(Location::Plugin, &mut received);
        let names: Vec<String> = received.presets.iter().map(|p| p.name.clone()).collect();
        let expected = factory_preset_names(bundle)?;
        if names != expected || names.len() < 8 {
            return Err(format!("factory presets {names:?}, `params --presets` lists {expected:?}"));
        }
        for p in &received.presets {
            if p.load_key.as_deref() != Some(p.name.as_str())
                || p.plugin_ids != [("clap".to_owned(), id.to_owned())]
                || p.flags != Flags::IS_FACTORY_CONTENT.bits()
                || p.description.is_empty()
                || p.features.len() != 1
            {
                return Err(format!("factory preset described wrongly: {p:?}"));
            }
        }

        // A user preset file, and a broken one, read as a host that crawled the user folder.
        let dir = ferrite_test_kit::TempDir::new("clap-user-presets");
        let good = dir.join("My Sound.preset");
        std::fs::write(&good, "# mine\nmix = 0.5\n").unwrap();
        let bad = dir.join("Broken.preset");
        std::fs::write(&bad, "nosuch = 1\n").unwrap();
        let good_c = CString::new(good.to_str().unwrap()).unwrap();
        let mut received = Received::default();
        provider.get_metadata(Location::File { path: &good_c }, &mut received);
        match received.presets.as_slice() {
            [p] if p.name == "My Sound"
                && p.load_key.is_none()
                && p.flags == Flags::IS_USER_CONTENT.bits()
                && p.plugin_ids == [("clap".to_owned(), id.to_owned())] => {}
            other => return Err(format!("user preset file described as {other:?} (errors {:?})", received.errors)),
        }
        let bad_c = CString::new(bad.to_str().unwrap()).unwrap();
        let mut received = Received::default();
        provider.get_metadata(Location::File { path: &bad_c }, &mut received);
        if !received.presets.is_empty() || !received.errors.iter().any(|e| e.contains("nosuch")) {
            return Err(format!("a broken preset file gave {:?}, errors {:?}", received.presets, received.errors));
        }
        Ok(())
    });
}

/// Every parameter's CLAP value.
fn param_values(inst: &mut Inst) -> Result<Vec<(u32, f64)>, String> {
    let ids: Vec<u32> = param_infos(inst)?.keys().copied().collect();
    let params = inst.params()?;
    let mut handle = inst.instance.plugin_handle();
    ids.into_iter()
        .map(|id| {
            let clap_id = ClapId::new(id);
            params.get_value(&mut handle, clap_id).map(|v| (id, v)).ok_or_else(|| format!("get_value({id}) failed"))
        })
        .collect()
}

/// Loads a preset through `preset-load`, as a host's browser does.
fn load_preset(inst: &mut Inst, location: Location, key: Option<&CStr>) -> Result<(), String> {
    let mut handle = inst.instance.plugin_handle();
    let ext = handle.get_extension::<PluginPresetLoad>().ok_or("no preset-load extension")?;
    ext.load_from_location(&mut handle, location, key).map_err(|e| e.to_string())
}

#[test]
fn clap_preset_load_sets_every_parameter_and_tells_the_host() {
    for_each_plugin("preset load", |bundle, id, _spec| {
        let names = factory_preset_names(bundle)?;
        let mut inst = Inst::new(bundle, id)?;
        let defaults = param_values(&mut inst)?;
        let rescans = inst.shared(|s| s.rescans.load(Ordering::SeqCst));
        let mut after = Vec::new();
        for name in names.iter().take(3).chain(names.first()) {
            let key = CString::new(name.as_str()).unwrap();
            load_preset(&mut inst, Location::Plugin, Some(&key)).map_err(|e| format!("'{name}': {e}"))?;
            inst.pump()?;
            after.push(param_values(&mut inst)?);
            // The state names the preset (the editor's preset bar shows it after a reload).
            let state = String::from_utf8_lossy(&inst.save()?).into_owned();
            if !state.contains(&format!("\"preset\":\"\\\"{name}\\\"\"")) {
                return Err(format!("after loading '{name}' the state does not name it: {state}"));
            }
        }
        if after[0] == defaults || after[0] == after[1] || after[1] == after[2] {
            return Err("loading factory presets did not change the parameters".into());
        }
        if after[3] != after[0] {
            return Err(format!("'{}' loaded twice gave different values", names[0]));
        }
        let log = inst.shared(|s| s.preset_loads.lock().unwrap().clone());
        if log.len() != 4 || log.iter().zip(names.iter().take(3).chain(names.first())).any(|((ok, what, _), n)| !ok || what != n) {
            return Err(format!("the host's preset-load.loaded calls: {log:?}"));
        }
        if inst.shared(|s| s.rescans.load(Ordering::SeqCst)) <= rescans {
            return Err("the host was not asked to rescan the parameter values".into());
        }

        // The Ring's "Metallic Voice" is a 30 Hz carrier, as the host shows it.
        if id.ends_with(".ring") {
            load_preset(&mut inst, Location::Plugin, Some(c"Metallic Voice"))?;
            let hash = nice_param_hash("carrier_freq");
            let value = param_values(&mut inst)?.into_iter().find(|(i, _)| *i == hash).ok_or("no carrier_freq")?.1;
            let text = value_to_text(&mut inst, hash, value)?;
            if !text.starts_with("30") {
                return Err(format!("after 'Metallic Voice' the carrier shows {text}"));
            }
        }

        // An unknown key and a broken file fail, with the reason given to the host, and change
        // nothing.
        let before = param_values(&mut inst)?;
        let dir = ferrite_test_kit::TempDir::new("clap-preset-load");
        let bad = dir.join("Broken.preset");
        std::fs::write(&bad, "mix = 7\n").unwrap();
        let bad_c = CString::new(bad.to_str().unwrap()).unwrap();
        if load_preset(&mut inst, Location::Plugin, Some(c"No Such Preset")).is_ok()
            || load_preset(&mut inst, Location::File { path: &bad_c }, None).is_ok()
        {
            return Err("an unknown preset or a broken file loaded".into());
        }
        if param_values(&mut inst)? != before {
            return Err("a failed load changed the parameters".into());
        }
        let log = inst.shared(|s| s.preset_loads.lock().unwrap().clone());
        let errors: Vec<_> = log.iter().filter(|(ok, _, _)| !ok).collect();
        if errors.len() != 2 || !errors[0].2.contains("No Such Preset") || !errors[1].2.contains("out of range") {
            return Err(format!("the host's preset-load.on_error calls: {errors:?}"));
        }

        // A user preset file loads too, and the loaded plugin processes.
        let good = dir.join("Half.preset");
        std::fs::write(&good, "mix = 0.5\n").unwrap();
        let good_c = CString::new(good.to_str().unwrap()).unwrap();
        load_preset(&mut inst, Location::File { path: &good_c }, None)?;
        inst.activate(48_000.0)?;
        fill_inputs(&mut inst, 512, |_, _, i| (i as f32 * 0.05).sin() * 0.5);
        inst.process(512, &EventBuffer::new())?;
        check_output(&inst, 512, 16.0, "after a preset load")
    });
}

// ---------------------------------------------------------------------------------------------
// Note input: the plugins that can be played (a CLAP note port), measured on the audio
// ---------------------------------------------------------------------------------------------

/// Runs `seconds` of audio through `inst` in 512-frame blocks, every input channel of the main
/// port at `input(frame)` (other ports silent), with `events(block index)` for each block, and
/// returns the main output's first channel.
fn render_played(
    inst: &mut Inst,
    seconds: f64,
    input: impl Fn(usize) -> f32,
    events: impl Fn(usize) -> EventBuffer,
) -> Result<Vec<f32>, String> {
    let block = 512;
    let frames = (seconds * inst.sample_rate) as usize;
    let mut out = Vec::with_capacity(frames);
    let mut done = 0;
    while done < frames {
        let n = block.min(frames - done);
        let t0 = done;
        fill_inputs(inst, n, |port, _, i| if port == 0 { input(t0 + i) } else { 0.0 });
        inst.process(n, &events(done / block))?;
        out.extend_from_slice(&inst.outs[0][0][..n]);
        done += n;
    }
    Ok(out)
}

/// A CLAP note-on of `key` at `time` in the block, on port 0, channel 0.
fn clap_note_on(key: u16, time: u32) -> EventBuffer {
    let mut ev = EventBuffer::new();
    ev.push(&NoteOnEvent::new(time, Pckn::new(0u16, 0u16, key, Match::All), 0.8));
    ev
}

/// A MIDI-dialect message (`[status, data1, data2]`) at `time` in the block, on port 0.
fn clap_midi(data: [u8; 3], time: u32) -> EventBuffer {
    let mut ev = EventBuffer::new();
    ev.push(&MidiEvent::new(time, 0, data));
    ev
}

/// Frequency of MIDI key `key`, A4 = 440 Hz.
fn key_hz(key: f64) -> f64 {
    440.0 * 2f64.powf((key - 69.0) / 12.0)
}

#[test]
fn clap_notes_move_the_vcf_cutoff_and_the_ring_carrier() {
    for_each_plugin("notes", |bundle, id, spec| {
        let sr = 48_000.0;
        let set = |inst: &mut Inst, values: &[(&str, f64)]| -> Result<(), String> {
            let v: Vec<(u32, f64)> = values.iter().map(|&(p, plain)| (nice_param_hash(p), clap_value(spec_param(spec, p), plain))).collect();
            inst.flush(&v)
        };
        let note_ports = |inst: &mut Inst| {
            let handle = inst.instance.plugin_handle();
            handle.get_extension::<PluginNotePorts>().map_or(0, |p| p.count(&handle, true))
        };
        if spec.param("key_track").is_some() {
            // Ferrite VCF: K = 8 self-oscillates just below f0; with 100 % tracking f0 follows
            // the key, so the oscillation moves by the played interval. Each measurement is a
            // fresh activation: a click starts the oscillation, the last half second is measured.
            let mut inst = Inst::new(bundle, id)?;
            if note_ports(&mut inst) != 1 {
                return Err(format!("{} note input port(s), expected 1", note_ports(&mut inst)));
            }
            let oversampling = spec_param(spec, "oversampling").choices.iter().position(|v| v == "4x").ok_or("no 4x")? as f64;
            set(&mut inst, &[("resonance", 8.0), ("key_track", 1.0), ("oversampling", oversampling)])?;
            let mut measure = |events: &dyn Fn(usize) -> EventBuffer| -> Result<f64, String> {
                inst.activate(sr)?;
                let y = render_played(&mut inst, 1.5, |i| if i == 10 { 0.1 } else { 0.0 }, events)?;
                Ok(crossing_frequency(&y[(sr as usize)..], sr))
            };
            let reference = measure(&|_| EventBuffer::new())?;
            let mut errs = Vec::new();
            for key in [48u16, 67, 72] {
                let f = measure(&|b| if b == 0 { clap_note_on(key, 100) } else { EventBuffer::new() })?;
                let want = key_hz(key as f64) / key_hz(60.0);
                eprintln!("{id}: CLAP note {key}: oscillation {f:.2} Hz, {:.4} × the reference's (expected {want:.4})", f / reference);
                if (f / reference / want - 1.0).abs() > 0.01 {
                    errs.push(format!("note {key}: oscillation {f:.2} Hz is {:.4} × the reference's {reference:.2} Hz, expected {want:.4}", f / reference));
                }
            }
            // The MIDI dialect: note-on 72 then the wheel full up (+2 semitones by default).
            let f = measure(&|b| match b {
                0 => clap_midi([0x90, 72, 100], 0),
                1 => clap_midi([0xE0, 0x7F, 0x7F], 0),
                _ => EventBuffer::new(),
            })?;
            let want = 2.0 * 2f64.powf(2.0 * 8191.0 / 8192.0 / 12.0);
            if (f / reference / want - 1.0).abs() > 0.01 {
                errs.push(format!("MIDI note 72 bent up: {:.4} × the reference, expected {want:.4}", f / reference));
            }
            return if errs.is_empty() { Ok(()) } else { Err(errs.join("; ")) };
        }
        if spec.param("note_follow").is_some() {
            // Ferrite Ring following notes, Parker's model (it passes DC): with a DC input the
            // output is the carrier shaped by the diodes, so its zero crossings give the carrier.
            let mut inst = Inst::new(bundle, id)?;
            if note_ports(&mut inst) != 1 {
                return Err(format!("{} note input port(s), expected 1", note_ports(&mut inst)));
            }
            let parker = spec_param(spec, "model").choices.iter().position(|v| v == "parker").ok_or("no parker")? as f64;
            set(&mut inst, &[("note_follow", 1.0), ("model", parker)])?;
            inst.activate(sr)?;
            // 0.5 s of each: no note (carrier_freq, 440 Hz), note 57, note 64, the wheel full
            // down (−2 semitones), a MIDI-dialect note-on 45 (the wheel still down).
            let blocks_per_step = (0.5 * sr / 512.0) as usize;
            let y = render_played(&mut inst, 2.5, |_| 0.5, |b| {
                if b % blocks_per_step != 0 {
                    return EventBuffer::new();
                }
                match b / blocks_per_step {
                    1 => clap_note_on(57, 7),
                    2 => clap_note_on(64, 300),
                    3 => clap_midi([0xE0, 0x00, 0x00], 0),
                    4 => clap_midi([0x90, 45, 90], 0),
                    _ => EventBuffer::new(),
                }
            })?;
            let step = blocks_per_step * 512;
            let mut errs = Vec::new();
            for (i, want) in [440.0, key_hz(57.0), key_hz(64.0), key_hz(62.0), key_hz(43.0)].into_iter().enumerate() {
                // The second half of each step: past any glide or smoothing.
                let f = crossing_frequency(&y[i * step + step / 2..(i + 1) * step], sr);
                eprintln!("{id}: step {i}: carrier {f:.2} Hz (expected {want:.2})");
                if (f / want - 1.0).abs() > 0.01 {
                    errs.push(format!("step {i}: carrier {f:.2} Hz, expected {want:.2} Hz"));
                }
            }
            return if errs.is_empty() { Ok(()) } else { Err(errs.join("; ")) };
        }
        // Effects that are not played have no note port.
        let mut inst = Inst::new(bundle, id)?;
        match note_ports(&mut inst) {
            0 => Ok(()),
            n => Err(format!("{n} note input port(s) on an effect that takes no notes")),
        }
    });
}
