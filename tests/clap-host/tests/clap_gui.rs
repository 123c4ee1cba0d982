//! The CLAP bundles' editors through the CLAP `gui` extension, in real windows: every plugin of
//! every `*.clap` in `$FERRITE_BUNDLE_DIR` (default `<workspace>/target/bundled`) is loaded by a
//! clack-host host under a private Xvfb (Mesa's software OpenGL) and, while it processes audio,
//! its editor is embedded in an X11 window of the host [`CYCLES`] times:
//! `is_api_supported(x11, embedded)`, `create`, `set_scale(1)`, `get_size`, `set_parent`, `show`
//! (the editor's window appears in the parent at the reported size and draws something),
//! `hide`, `destroy` (the window goes away).
//!
//! No leak: after the cycles the process's thread count comes back to where it was before the
//! first editor opened (a window's event-loop and Mesa's threads end a moment after the window
//! has gone), and its resident memory (with one malloc arena) grows by at most
//! [`RSS_GROWTH_LIMIT_MB`] over them. Waiting for those threads also keeps the end of the test
//! sound: an editor thread still closing its Xlib connection when the test stops Xvfb would get
//! Xlib's "X connection broken", which exits the whole process with status 1.
//!
//! Every plugin must have an editor (export the gui extension) except those in
//! [`NO_EDITOR_YET`]; a plugin listed there that has one fails too, so the list cannot go stale.
//! One test function: the process's environment (`DISPLAY`) and its thread and memory counts are
//! the test's own.

use std::ffi::CString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clack_extensions::audio_ports::{AudioPortInfoBuffer, AudioPortRescanFlags, HostAudioPorts, HostAudioPortsImpl, PluginAudioPorts};
use clack_extensions::gui::{GuiApiType, GuiConfiguration, GuiSize, HostGui, HostGuiImpl, PluginGui, Window};
use clack_extensions::latency::{HostLatency, HostLatencyImpl};
use clack_extensions::params::{HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamRescanFlags};
use clack_extensions::state::{HostState, HostStateImpl};
use clack_host::prelude::*;
use ferrite_clap_host_tests::bundle_dir;
use ferrite_test_kit::x11::{Display, Xvfb};

/// Bundles (`ferrite-X.clap`) whose plugin has no editor yet. Remove one when its editor lands.
const NO_EDITOR_YET: &[&str] = &[];

/// Create/show/destroy cycles per plugin; `FERRITE_GUI_CYCLES` runs more.
const CYCLES: usize = 12;
/// Largest growth of the resident memory: the lowest figure after the last three cycles against
/// the lowest after cycles 4 to 6. The first cycles fill caches and malloc arenas the later ones
/// reuse (seen: +30 MB over cycles 1 to 3, then flat); after that the figures alternate by up to
/// about 15 MB as Mesa's buffers come and go, hence the lows. A leaked window with its OpenGL
/// context and buffers is several MB a cycle, here six or more cycles apart.
const RSS_GROWTH_LIMIT_MB: f64 = 16.0;

fn cycles() -> usize {
    std::env::var("FERRITE_GUI_CYCLES").ok().and_then(|v| v.parse().ok()).filter(|&n| n >= CYCLES).unwrap_or(CYCLES)
}

/// One malloc arena for the whole process. glibc gives threads their own arenas (up to 8 per
/// core) and keeps freed memory in them, so the event-loop thread each new editor window starts
/// would make the resident memory grow for the first 16 windows, leak or not (seen: +8 MB a
/// cycle up to the 12th, then flat); with one arena only a real leak grows it.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_ARENA_MAX: i32 = -8;
        // SAFETY: glibc's mallopt with a documented parameter; called before any window thread.
        unsafe { mallopt(M_ARENA_MAX, 1) };
    }
}

/// How long an editor window may take to appear or go away (software OpenGL, 2 loaded cores).
const WINDOW_TIMEOUT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------------
// The host
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Shared {
    callback_requested: AtomicBool,
    resize_requests: AtomicUsize,
    closed: AtomicUsize,
}

impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::SeqCst);
    }
}

impl HostParamsImplShared for Shared {
    fn request_flush(&self) {}
}

impl HostGuiImpl for Shared {
    fn resize_hints_changed(&self) {}
    fn request_resize(&self, _new_size: GuiSize) -> Result<(), HostError> {
        self.resize_requests.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn closed(&self, _was_destroyed: bool) {
        self.closed.fetch_add(1, Ordering::SeqCst);
    }
}

struct MainThread;

impl MainThreadHandler<'_> for MainThread {}
impl HostLatencyImpl for MainThread {
    fn changed(&self) {}
}
impl HostParamsImplMainThread for MainThread {
    fn rescan(&self, _flags: ParamRescanFlags) {}
    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}
impl HostStateImpl for MainThread {
    fn mark_dirty(&self) {}
}
impl HostAudioPortsImpl for MainThread {
    fn is_rescan_flag_supported(&self, _flag: AudioPortRescanFlags) -> bool {
        false
    }
    fn rescan(&self, _flags: AudioPortRescanFlags) {}
}

struct GuiHost;

impl HostHandlers for GuiHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder
            .register::<HostGui>()
            .register::<HostLatency>()
            .register::<HostParams>()
            .register::<HostState>()
            .register::<HostAudioPorts>();
    }
}

const BLOCK: usize = 256;

/// A plugin instance that processes noise, block by block, on this thread.
struct Inst {
    instance: PluginInstance<GuiHost>,
    processor: Option<StartedPluginAudioProcessor<GuiHost>>,
    ins: Vec<Vec<Vec<f32>>>,
    outs: Vec<Vec<Vec<f32>>>,
    steady: u64,
    rng: ferrite_test_kit::Rng,
}

impl Inst {
    fn new(entry: &PluginEntry, id: &str) -> Result<Self, String> {
        let host_info = HostInfo::new("ferrite-clap-gui-tests", "Ferrite Audio", "https://ferrite-audio.org", "0.1.0")
            .map_err(|e| format!("host info: {e}"))?;
        let cid = CString::new(id).unwrap();
        let mut instance = PluginInstance::<GuiHost>::new(|_| Shared::default(), |_| MainThread, entry, &cid, &host_info)
            .map_err(|e| format!("instantiation failed: {e}"))?;
        let handle = instance.plugin_handle();
        let ports = handle.get_extension::<PluginAudioPorts>().ok_or("no audio-ports extension")?;
        let channels = |is_input: bool| -> Vec<Vec<Vec<f32>>> {
            let mut buf = AudioPortInfoBuffer::new();
            (0..ports.count(&handle, is_input))
                .map(|i| vec![vec![0.0f32; BLOCK]; ports.get(&handle, i, is_input, &mut buf).map_or(0, |p| p.channel_count) as usize])
                .collect()
        };
        let (ins, outs) = (channels(true), channels(false));
        let config = PluginAudioConfiguration { sample_rate: 48_000.0, min_frames_count: 1, max_frames_count: BLOCK as u32 };
        let stopped = instance.activate(|_, _| (), config).map_err(|e| format!("activation failed: {e}"))?;
        let processor = Some(stopped.start_processing().map_err(|e| format!("start_processing failed: {e}"))?);
        Ok(Self { instance, processor, ins, outs, steady: 0, rng: ferrite_test_kit::Rng::new(7) })
    }

    /// Handles a main-thread callback the plugin asked for.
    fn pump(&mut self) {
        if self.instance.access_shared_handler(|s| s.callback_requested.swap(false, Ordering::SeqCst)) {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// Processes `blocks` blocks of noise at −12 dBFS; fails on non-finite output.
    fn process(&mut self, blocks: usize) -> Result<(), String> {
        for _ in 0..blocks {
            for port in &mut self.ins {
                for ch in port.iter_mut() {
                    for x in ch.iter_mut() {
                        *x = 0.25 * self.rng.signed();
                    }
                }
            }
            let processor = self.processor.as_mut().ok_or("not active")?;
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
            let events = EventBuffer::new();
            let mut out_events = EventBuffer::new();
            processor
                .process(
                    &inputs,
                    &mut outputs,
                    &InputEvents::from_buffer(&events),
                    &mut OutputEvents::from_buffer(&mut out_events),
                    Some(self.steady),
                    None,
                )
                .map_err(|e| format!("process failed: {e}"))?;
            self.steady += BLOCK as u64;
            if self.outs.iter().flatten().flatten().any(|x| !x.is_finite()) {
                return Err("non-finite output while the editor was open".into());
            }
        }
        Ok(())
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
// The process's own resources
// ---------------------------------------------------------------------------------------------

/// A field of /proc/self/status (`VmRSS` in kB, `Threads`).
fn proc_status(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn rss_mb() -> f64 {
    proc_status("VmRSS") as f64 / 1024.0
}

/// Waits (pumping main-thread callbacks) until `done` or the timeout; whether it got done.
fn wait_until(inst: &mut Inst, timeout: Duration, mut done: impl FnMut() -> Result<bool, String>) -> Result<bool, String> {
    let deadline = Instant::now() + timeout;
    loop {
        inst.pump();
        if done()? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(30));
    }
}

// ---------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------

/// One create/show/hide/destroy cycle of `inst`'s editor in `parent`.
fn cycle(inst: &mut Inst, gui: &PluginGui, display: &Display, parent: u32, cycle: usize) -> Result<(), String> {
    let x11 = GuiConfiguration { api_type: GuiApiType::X11, is_floating: false };
    let handle = &mut inst.instance.plugin_handle();
    if !gui.is_api_supported(handle, x11) {
        return Err("is_api_supported(x11, embedded) is false".into());
    }
    gui.create(handle, x11).map_err(|e| format!("create: {e}"))?;
    // Plugins may refuse a scale (X11 has no logical pixels); nice-plug's editors take it.
    gui.set_scale(handle, 1.0).map_err(|e| format!("set_scale(1.0): {e}"))?;
    let size = gui.get_size(handle).ok_or("get_size failed")?;
    if size.width == 0 || size.height == 0 {
        return Err(format!("get_size says {}×{}", size.width, size.height));
    }
    // SAFETY: `parent` is a window of ours that outlives the editor (destroyed after `destroy`).
    unsafe { gui.set_parent(handle, Window::from_x11_handle(parent as _)) }.map_err(|e| format!("set_parent: {e}"))?;
    gui.show(handle).map_err(|e| format!("show: {e}"))?;

    // The editor's window appears in the parent, at the size the plugin reported.
    let mut child = None;
    let appeared = wait_until(inst, WINDOW_TIMEOUT, || {
        child = display.children(parent)?.into_iter().find(|w| w.viewable);
        Ok(child.is_some())
    })?;
    let child = child.filter(|_| appeared).ok_or_else(|| format!("cycle {cycle}: no editor window in the parent within {WINDOW_TIMEOUT:?}"))?;
    if (child.width as u32, child.height as u32) != (size.width, size.height) {
        return Err(format!("cycle {cycle}: editor window {}×{}, get_size said {}×{}", child.width, child.height, size.width, size.height));
    }
    // It draws while the host processes audio (the editor data path is open).
    let mut why_blank = None;
    let drawn = wait_until(inst, Duration::from_secs(10), || {
        why_blank = display.capture(parent)?.blank_reason();
        Ok(why_blank.is_none())
    })?;
    inst.process(40)?;
    if !drawn {
        return Err(format!("cycle {cycle}: the editor looks blank: {}", why_blank.unwrap_or_default()));
    }

    let handle = &mut inst.instance.plugin_handle();
    gui.hide(handle).map_err(|e| format!("hide: {e}"))?;
    gui.destroy(handle);
    let gone = wait_until(inst, WINDOW_TIMEOUT, || Ok(display.children(parent)?.is_empty()))?;
    if !gone {
        return Err(format!("cycle {cycle}: the editor window is still in the parent {WINDOW_TIMEOUT:?} after destroy"));
    }
    inst.process(10)
}

/// Every cycle of one plugin, with the leak checks; the memory and thread figures for the log.
fn check_plugin(entry: &PluginEntry, id: &str, display: &Display) -> Result<String, String> {
    let mut inst = Inst::new(entry, id)?;
    let gui = inst.instance.plugin_handle().get_extension::<PluginGui>().ok_or("no gui extension (no editor)")?;
    let size = gui.get_size(&mut inst.instance.plugin_handle()).ok_or("get_size before create failed")?;
    let parent = display.create_parent(size.width as u16, size.height as u16)?;
    let threads_before = proc_status("Threads");
    // Bounded: a left-over thread fails the check below, it does not hang the test.
    let threads_back = |inst: &mut Inst| wait_until(inst, WINDOW_TIMEOUT, || Ok(proc_status("Threads") <= threads_before));
    let result = (|| {
        let mut rss = Vec::new();
        for n in 0..cycles() {
            cycle(&mut inst, &gui, display, parent, n)?;
            rss.push(rss_mb());
        }
        let trace: Vec<String> = rss.iter().map(|r| format!("{r:.1}")).collect();
        eprintln!("{id}: resident memory after each cycle (MB): {}", trace.join(" "));
        if !threads_back(&mut inst)? {
            return Err(format!(
                "{} threads {WINDOW_TIMEOUT:?} after {} cycles, {threads_before} before the first editor: threads of closed editors are left",
                proc_status("Threads"),
                cycles()
            ));
        }
        let threads = proc_status("Threads");
        let low = |r: &[f64]| r.iter().copied().fold(f64::INFINITY, f64::min);
        let (early, late) = (low(&rss[3..6]), low(&rss[rss.len() - 3..]));
        let growth = late - early;
        if growth > RSS_GROWTH_LIMIT_MB {
            return Err(format!(
                "resident memory grew by {growth:.1} MB from cycles 4-6 to the last three of {} (limit {RSS_GROWTH_LIMIT_MB} MB): {} MB",
                cycles(),
                trace.join(" ")
            ));
        }
        Ok(format!("{} cycles, {} × {}, RSS low {early:.1} → {late:.1} MB, {threads} threads", cycles(), size.width, size.height))
    })();
    let _ = display.destroy(parent);
    // After a failed cycle too: the editor's threads must be gone before the server is stopped.
    if result.is_err() {
        let _ = threads_back(&mut inst);
    }
    result
}

#[test]
fn clap_editors_open_show_and_close_repeatedly_under_xvfb() {
    one_malloc_arena();
    let xvfb = Xvfb::start(1920, 1200).unwrap_or_else(|e| panic!("{e}"));
    // The plugins open their windows on this server, with Mesa's software OpenGL. Set before any
    // plugin is loaded; this binary has only this test, so no other thread reads the environment.
    for (key, value) in xvfb.env() {
        std::env::set_var(key, value);
    }
    let display = xvfb.connect().unwrap_or_else(|e| panic!("{e}"));

    let dir = bundle_dir();
    let mut bundles: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("CLAP bundle folder {} unreadable ({e}): run `cargo xtask bundle` first", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "clap"))
        .collect();
    bundles.sort();
    assert!(!bundles.is_empty(), "no *.clap bundle in {}: run `cargo xtask bundle` first", dir.display());

    let mut failures = Vec::new();
    let mut tested = 0;
    for path in &bundles {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let stem = file.trim_end_matches(".clap");
        // SAFETY: loading a plugin library runs its code; these are our own bundles. Never
        // unloaded (as a host does), so no editor thread can outlive its code.
        let entry = match unsafe { PluginEntry::load(path) } {
            Ok(entry) => Box::leak(Box::new(entry)),
            Err(e) => {
                failures.push(format!("CLAP {file}: failed to load: {e}"));
                continue;
            }
        };
        let ids: Vec<String> = entry
            .get_plugin_factory()
            .map(|f| f.plugin_descriptors().filter_map(|d| Some(d.id()?.to_string_lossy().into_owned())).collect())
            .unwrap_or_default();
        if ids.is_empty() {
            failures.push(format!("CLAP {file}: no plugin in the factory"));
        }
        for id in ids {
            let who = format!("CLAP plugin {id} ({file})");
            let has_gui = match Inst::new(entry, &id) {
                Ok(mut inst) => inst.instance.plugin_handle().get_extension::<PluginGui>().is_some(),
                Err(e) => {
                    failures.push(format!("{who}: {e}"));
                    continue;
                }
            };
            match (has_gui, NO_EDITOR_YET.contains(&stem)) {
                (false, true) => eprintln!("{who}: no editor yet (NO_EDITOR_YET), not tested"),
                (false, false) => failures.push(format!("{who}: no editor (the plugin exports no gui extension)")),
                (true, true) => failures.push(format!("{who}: the plugin has an editor now; remove {stem} from NO_EDITOR_YET in {}", file!())),
                (true, false) => match check_plugin(entry, &id, &display) {
                    Ok(figures) => {
                        tested += 1;
                        eprintln!("{who}: gui ok: {figures}");
                    }
                    Err(e) => failures.push(format!("{who}: gui: {e}")),
                },
            }
        }
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
    eprintln!("CLAP gui: {tested} plugin(s) passed");
}
