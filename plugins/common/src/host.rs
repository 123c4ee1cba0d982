//! An offline host: instantiates a plugin, activates it with a given layout, sample rate and
//! maximum block size, applies parameter changes the way the CLAP/VST3 wrappers do, and calls the
//! plugin's own `process`. `render`, the no-allocation tests and the benchmarks all go through it,
//! so what they measure is exactly the code a DAW runs. Note events can be queued for the next
//! block ([`OfflineHost::push_event`]), as a host's event list for that block.

use std::cell::Cell;
use std::sync::Arc;

use anyhow::{bail, Result};
use nice_plug::prelude::*;

/// A plugin instance driven without a real-time host.
pub struct OfflineHost<P: Plugin> {
    /// The plugin instance.
    plugin: P,
    /// Its parameters (kept alive so the `ParamPtr`s below stay valid).
    params: Arc<dyn Params>,
    /// `(id, pointer)` for every parameter, in declaration order.
    param_ptrs: Vec<(String, ParamPtr)>,
    /// Runs the plugin's background tasks; offline, they simply run on the calling thread.
    executor: TaskExecutor<P>,
    /// The activated layout.
    layout: AudioIOLayout,
    /// Sample rate the plugin was activated at, Hz.
    sample_rate: f32,
    /// Largest block the plugin was told to expect.
    max_block: usize,
    /// Latency the plugin last reported, samples.
    latency: Cell<u32>,
    /// Main buffers: the plugin processes these in place.
    main: Vec<Vec<f32>>,
    /// Auxiliary (sidechain) input buffers, one `Vec` of channels per port.
    aux: Vec<Vec<Vec<f32>>>,
    /// Running sample position for the transport.
    position: i64,
    /// The `Buffer` handed to `process`; its slice vector's capacity is reserved at activation
    /// so that pointing it at the channels never allocates. Holds no slices between calls.
    main_buffer: Buffer<'static>,
    /// The auxiliary input `Buffer`s, likewise reserved at activation.
    aux_buffers: Vec<Buffer<'static>>,
    /// Note events for the next block, in timing order (drained by `process` without
    /// allocating: the capacity stays).
    events: Vec<PluginNoteEvent<P>>,
}

/// Note events the offline host keeps room for per block without allocating in
/// [`OfflineHost::push_event`].
pub const EVENT_CAPACITY: usize = 1024;

/// The process context offered to the plugin: transport, latency reports, background tasks.
struct OfflineProcessContext<'a, P: Plugin> {
    transport: Transport,
    /// The block's note events, in timing order.
    events: std::vec::Drain<'a, PluginNoteEvent<P>>,
    latency: &'a Cell<u32>,
    executor: &'a TaskExecutor<P>,
}

impl<P: Plugin> ProcessContext<P> for OfflineProcessContext<'_, P> {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Standalone
    }
    fn execute_background(&self, task: P::BackgroundTask) {
        (self.executor)(task);
    }
    fn execute_gui(&self, task: P::BackgroundTask) {
        (self.executor)(task);
    }
    fn transport(&self) -> &Transport {
        &self.transport
    }
    fn next_event(&mut self) -> Option<PluginNoteEvent<P>> {
        self.events.next()
    }
    fn try_send_event(
        &mut self,
        event: PluginNoteEvent<P>,
    ) -> Result<(), (PluginNoteEvent<P>, nice_plug::context::process::SendEventError)> {
        Err((event, nice_plug::context::process::SendEventError::NoOutputBuffer))
    }
    fn set_latency_samples(&self, samples: u32) {
        self.latency.set(samples);
    }
    fn request_restart(&self) {}
    fn set_current_voice_capacity(&self, _capacity: u32) {}
}

/// The activation context: latency reports and background tasks.
struct OfflineActivateContext<'a, P: Plugin> {
    latency: &'a Cell<u32>,
    executor: &'a TaskExecutor<P>,
}

impl<P: Plugin> ActivateContext<P> for OfflineActivateContext<'_, P> {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Standalone
    }
    fn execute(&self, task: P::BackgroundTask) {
        (self.executor)(task);
    }
    fn set_latency_samples(&self, samples: u32) {
        self.latency.set(samples);
    }
    fn set_current_voice_capacity(&self, _capacity: u32) {}
}

/// The plugin's layout whose main input has `channels` channels.
pub fn layout_for_channels<P: Plugin>(channels: usize) -> Option<AudioIOLayout> {
    P::AUDIO_IO_LAYOUTS
        .iter()
        .find(|l| l.main_input_channels.map(|c| c.get() as usize) == Some(channels))
        .copied()
}

impl<P: Plugin> OfflineHost<P> {
    /// A fresh plugin instance (its `Default`), not yet activated.
    pub fn new() -> Self {
        let mut plugin = P::default();
        let params = plugin.params();
        let param_ptrs = params.param_map().into_iter().map(|(id, ptr, _)| (id, ptr)).collect();
        let executor = plugin.task_executor();
        Self {
            plugin,
            params,
            param_ptrs,
            executor,
            layout: AudioIOLayout::const_default(),
            sample_rate: 0.0,
            max_block: 0,
            latency: Cell::new(0),
            main: Vec::new(),
            aux: Vec::new(),
            position: 0,
            main_buffer: Buffer::default(),
            aux_buffers: Vec::new(),
            events: Vec::with_capacity(EVENT_CAPACITY),
        }
    }

    /// The plugin instance.
    pub fn plugin(&mut self) -> &mut P {
        &mut self.plugin
    }

    /// The plugin's parameters.
    pub fn params(&self) -> &Arc<dyn Params> {
        &self.params
    }

    /// Every parameter's ID and pointer.
    pub fn param_ptrs(&self) -> &[(String, ParamPtr)] {
        &self.param_ptrs
    }

    /// Latency the plugin reported, samples.
    pub fn latency(&self) -> u32 {
        self.latency.get()
    }

    /// The activated layout.
    pub fn layout(&self) -> AudioIOLayout {
        self.layout
    }

    /// Activate with `layout` at `sample_rate` for blocks of up to `max_block` samples, as a
    /// host does: smoothers are reset to the current values, then `activate` and `reset`.
    pub fn activate(&mut self, layout: AudioIOLayout, sample_rate: f32, max_block: usize) -> Result<()> {
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            bail!("invalid sample rate {sample_rate}");
        }
        let max_block = max_block.max(1);
        for (_, ptr) in &self.param_ptrs {
            // SAFETY: the pointers come from `self.params`, which outlives them.
            unsafe { ptr._internal_update_smoother(sample_rate, true) };
        }
        let config = BufferConfig {
            sample_rate,
            min_buffer_size: None,
            max_buffer_size: max_block as u32,
            process_mode: ProcessMode::Offline,
        };
        let ok = {
            let mut ctx = OfflineActivateContext { latency: &self.latency, executor: &self.executor };
            self.plugin.activate(&layout, &config, &mut ctx)
        };
        if !ok {
            bail!("the plugin refused to activate at {sample_rate} Hz with layout '{}'", layout.name());
        }
        self.plugin.reset();
        self.layout = layout;
        self.sample_rate = sample_rate;
        self.max_block = max_block;
        let main_channels = layout.main_output_channels.map_or(0, |c| c.get() as usize);
        self.main = vec![vec![0.0; max_block]; main_channels];
        self.aux = layout
            .aux_input_ports
            .iter()
            .map(|c| vec![vec![0.0; max_block]; c.get() as usize])
            .collect();
        self.position = 0;
        // Reserve the slice vectors once (pushing and clearing keeps their capacity).
        // SAFETY: the closures only reserve capacity; no slice is stored.
        unsafe {
            self.main_buffer.set_slices(0, |s| s.reserve(main_channels));
        }
        self.aux_buffers = self
            .aux
            .iter()
            .map(|port| {
                let mut b = Buffer::default();
                // SAFETY: as above.
                unsafe { b.set_slices(0, |s| s.reserve(port.len())) };
                b
            })
            .collect();
        Ok(())
    }

    /// Set parameter `index` (into [`Self::param_ptrs`]) to a normalized value, as a host
    /// automation event between blocks would: the smoother glides to it.
    pub fn set_normalized(&mut self, index: usize, normalized: f32) {
        if let Some((_, ptr)) = self.param_ptrs.get(index) {
            // SAFETY: the pointer comes from `self.params`, which outlives it.
            unsafe {
                if ptr._internal_set_normalized_value(normalized.clamp(0.0, 1.0)) {
                    ptr._internal_update_smoother(self.sample_rate, false);
                }
            }
        }
    }

    /// Queue a note event for the next [`Self::process`] call, its timing counted from the start
    /// of that block (timings past the block's end are clamped to its last sample, as CLAP and
    /// VST3 wrappers do). Events are kept in timing order; events with equal timings keep the
    /// order they were pushed in.
    pub fn push_event(&mut self, event: PluginNoteEvent<P>) {
        let at = self.events.partition_point(|e| e.timing() <= event.timing());
        self.events.insert(at, event);
    }

    /// Mutable access to the main channel buffers (each `max_block` long) and the auxiliary input
    /// buffers, to fill before [`Self::process`].
    pub fn buffers_mut(&mut self) -> (&mut [Vec<f32>], &mut [Vec<Vec<f32>>]) {
        (&mut self.main, &mut self.aux)
    }

    /// Process the first `len` samples (≤ max block) of the main buffers in place, with the aux
    /// buffers as sidechain input. No allocation happens here.
    pub fn process(&mut self, len: usize) -> ProcessStatus {
        // Callers can reach the channel `Vec`s through `buffers_mut`; never build a slice longer
        // than any of them, so resizing one cannot make the slices below reach past it.
        let shortest = self.main.iter().chain(self.aux.iter().flatten()).map(Vec::len).min().unwrap_or(0);
        let len = len.min(self.max_block).min(shortest);
        let mut transport = Transport::new(self.sample_rate);
        transport.playing = true;
        transport.pos_samples = Some(self.position);
        self.position += len as i64;

        // SAFETY: every slice points into `self.main` / `self.aux`, whose heap storage is
        // neither moved nor resized while the plugin runs, and has exactly `len` samples. The
        // slices are dropped again (cleared) right after the call, so nothing aliases them later.
        unsafe {
            let main_ptrs = self.main.iter_mut().map(|c| c.as_mut_ptr());
            self.main_buffer.set_slices(len, |slices| {
                slices.clear();
                // At most the channel count reserved at activation: pushing more would allocate.
                let room = slices.capacity();
                for p in main_ptrs.take(room) {
                    slices.push(std::slice::from_raw_parts_mut(p, len));
                }
            });
            for (port, buffer) in self.aux.iter_mut().zip(self.aux_buffers.iter_mut()) {
                let ptrs = port.iter_mut().map(|c| c.as_mut_ptr());
                buffer.set_slices(len, |slices| {
                    slices.clear();
                    let room = slices.capacity();
                    for p in ptrs.take(room) {
                        slices.push(std::slice::from_raw_parts_mut(p, len));
                    }
                });
            }
        }
        let mut no_outputs: [Buffer; 0] = [];
        // SAFETY: only shortens the buffers' lifetime parameter to this call (the slices are
        // valid for it, see above); `&mut` invariance is why this needs a cast.
        let aux_inputs: &mut [Buffer<'_>] = unsafe {
            std::mem::transmute::<&mut [Buffer<'static>], &mut [Buffer<'_>]>(&mut self.aux_buffers[..])
        };
        let mut aux = AuxiliaryBuffers { inputs: aux_inputs, outputs: &mut no_outputs };
        if len > 0 {
            let last = len as u32 - 1;
            for e in self.events.iter_mut() {
                if e.timing() > last {
                    e.subtract_timing(e.timing() - last);
                }
            }
        }
        let mut ctx = OfflineProcessContext {
            transport,
            events: self.events.drain(..),
            latency: &self.latency,
            executor: &self.executor,
        };
        let status = self.plugin.process(&mut self.main_buffer, &mut aux, &mut ctx);
        // SAFETY: clearing stores no slice.
        unsafe {
            self.main_buffer.set_slices(0, |s| s.clear());
            for b in self.aux_buffers.iter_mut() {
                b.set_slices(0, |s| s.clear());
            }
        }
        status
    }
}

impl<P: Plugin> Default for OfflineHost<P> {
    fn default() -> Self {
        Self::new()
    }
}
