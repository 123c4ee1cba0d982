//! The VST3 entry point of every Ferrite plugin: nice-plug's VST3 wrapper behind a guard on the
//! buffers the host passes to `process`.
//!
//! The VST3 SDK lets a host leave the sample buffer addresses of an *inactive* bus null (its
//! channel pointer array must exist, its entries need not be valid). JUCE hosts do exactly that
//! for a sidechain they do not feed. nice-plug 0.4.2's `process` copies every input bus it
//! knows about through those addresses, so a mono Ring Modulator with an unfed sidechain
//! crashed the host. It also bounds the auxiliary input index by `numOutputs` rather than
//! `numInputs`, so a host passing fewer input buses than the layout has makes it read past the
//! host's bus array.
//!
//! [`export_vst3!`](crate::export_vst3) exports a factory equivalent to `nice_export_vst3!` for one
//! plugin. Each instance it creates gets an `IAudioProcessor` vtable whose `process` first runs
//! [`guard_process_data`]: a bus whose buffers cannot be read is handed to nice-plug as a bus
//! without buffers (nice-plug then reads silence, as it does for a bus the host left out), and
//! the input and output bus arrays are padded to the plugin's bus count. Process data that needs
//! no repair is passed through untouched. Everything else (parameters, state, bus arrangements,
//! the editor) is nice-plug's own code.
//!
//! The guard runs on the audio thread: it works on stack copies with fixed capacities
//! ([`MAX_BUSES`], [`MAX_CHANNELS`]), never allocates and never panics.

use nice_plug::prelude::{AudioIOLayout, Vst3Plugin};
use nice_plug::wrapper::vst3::vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, IAudioProcessor, IAudioProcessorVtbl, ProcessData,
};
use nice_plug::wrapper::vst3::vst3::Steinberg::{
    FIDString, FUnknown, IPluginFactory, IPluginFactory2, IPluginFactory2Trait, IPluginFactory3,
    IPluginFactory3Trait, IPluginFactoryTrait, PClassInfo, PClassInfo2, PClassInfoW, PFactoryInfo,
    TUID, int32, kInvalidArgument, kResultOk, tresult,
};
use nice_plug::wrapper::vst3::vst3::{Class, ComWrapper};
use nice_plug::wrapper::vst3::{PluginInfo, Wrapper};
use std::ffi::c_void;
use std::marker::PhantomData;
use std::sync::OnceLock;

/// Re-exports for [`export_vst3!`](crate::export_vst3), so plugin crates need nothing else.
#[doc(hidden)]
pub mod reexport {
    pub use nice_plug::wrapper::setup_logger;
    pub use nice_plug::wrapper::vst3::vst3::Steinberg::Vst::{IAudioProcessor, ProcessData};
    pub use nice_plug::wrapper::vst3::vst3::Steinberg::tresult;
}

/// Most buses on either side that the guard can repair. A plugin with more buses than this gets
/// its process data passed through unchanged (none of ours comes close).
pub const MAX_BUSES: usize = 8;
/// Most channels per bus whose pointers the guard checks.
pub const MAX_CHANNELS: usize = 32;

/// `IAudioProcessor::process` as it appears in the vtable.
pub type ProcessFn = unsafe extern "system" fn(*mut IAudioProcessor, *mut ProcessData) -> tresult;

/// Per-plugin state of the guard: the patched vtable and nice-plug's own `process`. One static
/// of this type is declared by [`export_vst3!`](crate::export_vst3) in each plugin crate.
pub struct ProcessGuard {
    patched: OnceLock<Patched>,
}

struct Patched {
    vtbl: IAudioProcessorVtbl,
    original_process: ProcessFn,
    input_buses: usize,
    output_buses: usize,
}

impl ProcessGuard {
    pub const fn new() -> Self {
        Self { patched: OnceLock::new() }
    }
}

impl Default for ProcessGuard {
    fn default() -> Self {
        Self::new()
    }
}

/// The number of input and output buses nice-plug exposes over VST3 for these layouts: it
/// accepts only arrangements whose bus counts equal a layout's, so the largest counts bound what
/// it may read.
pub fn bus_counts(layouts: &[AudioIOLayout]) -> (usize, usize) {
    layouts.iter().fold((0, 0), |(ins, outs), layout| {
        let layout_ins = usize::from(layout.main_input_channels.is_some()) + layout.aux_input_ports.len();
        let layout_outs = usize::from(layout.main_output_channels.is_some()) + layout.aux_output_ports.len();
        (ins.max(layout_ins), outs.max(layout_outs))
    })
}

const EMPTY_BUS: AudioBusBuffers = AudioBusBuffers {
    numChannels: 0,
    silenceFlags: 0,
    __field0: AudioBusBuffers__type0 { channelBuffers32: std::ptr::null_mut() },
};

/// What [`guard_process_data`] changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Repairs {
    /// Input buses whose buffers could not be read and were handed on without buffers.
    pub unreadable_inputs: usize,
    /// Output buses whose buffers could not be written and were handed on without buffers.
    pub unwritable_outputs: usize,
    /// Empty buses appended because the host passed fewer than the plugin has.
    pub padded_buses: usize,
}

impl Repairs {
    pub fn any(&self) -> bool {
        *self != Self::default()
    }
}

/// True if all `numChannels` sample buffer addresses of `bus` can be used (or the bus has no
/// channels or no pointer array at all, which nice-plug already handles). A negative channel
/// count is unusable: nice-plug would read it as a huge unsigned one.
///
/// # Safety
/// `bus.channelBuffers32`, if not null, points to `bus.numChannels` pointers.
unsafe fn bus_is_usable(bus: &AudioBusBuffers) -> bool {
    // SAFETY: reading the union's pointer field is always valid (both fields are pointers).
    let ptrs = unsafe { bus.__field0.channelBuffers32 };
    if bus.numChannels < 0 {
        return false;
    }
    if ptrs.is_null() || bus.numChannels == 0 {
        return true;
    }
    let n = (bus.numChannels as usize).min(MAX_CHANNELS);
    // SAFETY: the host guarantees `numChannels` entries (caller's contract).
    (0..n).all(|c| unsafe { !(*ptrs.add(c)).is_null() })
}

/// Copies `count` host buses into `storage`, replacing unusable ones by empty buses, and pads
/// the copy with empty buses up to `expected`. Returns the number of buses in `storage` and the
/// number of buses replaced.
///
/// # Safety
/// `buses`, if not null, points to `count` valid `AudioBusBuffers`.
unsafe fn copy_buses(
    buses: *const AudioBusBuffers,
    count: usize,
    expected: usize,
    storage: &mut [AudioBusBuffers; MAX_BUSES],
) -> (usize, usize) {
    let mut replaced = 0;
    let count = if buses.is_null() { 0 } else { count.min(MAX_BUSES) };
    for (i, slot) in storage.iter_mut().enumerate().take(count) {
        // SAFETY: `i < count` (caller's contract).
        let bus = unsafe { &*buses.add(i) };
        *slot = if unsafe { bus_is_usable(bus) } {
            *bus
        } else {
            replaced += 1;
            EMPTY_BUS
        };
    }
    let total = count.max(expected.min(MAX_BUSES));
    storage[count..total].fill(EMPTY_BUS);
    (total, replaced)
}

/// Makes `data` safe for nice-plug 0.4.2's VST3 `process` (see the module documentation):
/// returns the process data to pass on, which points into `inputs` and `outputs` when something
/// had to be repaired, together with what was repaired. If the main input (bus 0) is unreadable,
/// the main output's channels are cleared so the plugin processes silence rather than whatever
/// the host's output buffers held.
///
/// # Safety
/// `data` must satisfy the VST3 contract for `IAudioProcessor::process`: bus arrays with
/// `numInputs`/`numOutputs` entries, each with `numChannels` channel pointers, and valid
/// buffers of `numSamples` samples behind every non-null channel pointer.
pub unsafe fn guard_process_data(
    data: &ProcessData,
    input_buses: usize,
    output_buses: usize,
    inputs: &mut [AudioBusBuffers; MAX_BUSES],
    outputs: &mut [AudioBusBuffers; MAX_BUSES],
) -> (ProcessData, Repairs) {
    let num_inputs = data.numInputs.max(0) as usize;
    let num_outputs = data.numOutputs.max(0) as usize;
    let mut repairs = Repairs::default();
    if num_inputs > MAX_BUSES || num_outputs > MAX_BUSES || input_buses > MAX_BUSES || output_buses > MAX_BUSES {
        return (*data, repairs);
    }

    // SAFETY: the bus arrays have `numInputs`/`numOutputs` entries (caller's contract).
    let (in_total, in_replaced) = unsafe { copy_buses(data.inputs, num_inputs, input_buses, inputs) };
    let (out_total, out_replaced) = unsafe { copy_buses(data.outputs, num_outputs, output_buses, outputs) };
    let in_present = if data.inputs.is_null() { 0 } else { num_inputs };
    let out_present = if data.outputs.is_null() { 0 } else { num_outputs };
    repairs.unreadable_inputs = in_replaced;
    repairs.unwritable_outputs = out_replaced;
    // Output buses are padded only when the host passed some: no output buses at all is how a
    // host asks for a parameter flush, which nice-plug recognises and must keep recognising.
    let out_total = if out_present == 0 { 0 } else { out_total };
    repairs.padded_buses = (in_total - in_present) + (out_total - out_present);
    if !repairs.any() {
        return (*data, repairs);
    }

    // An unreadable main input: nice-plug will not copy it into the (in-place) main output, so
    // clear the main output here.
    if in_present > 0 && out_present > 0 && data.numSamples > 0 {
        // SAFETY: `in_present > 0`, so `data.inputs` has at least one entry.
        let main_in = unsafe { &*data.inputs };
        if !unsafe { bus_is_usable(main_in) } && unsafe { bus_is_usable(&outputs[0]) } {
            let out = &outputs[0];
            // SAFETY: a usable bus has valid pointers to `numSamples` samples per channel.
            let ptrs = unsafe { out.__field0.channelBuffers32 };
            if !ptrs.is_null() {
                for c in 0..(out.numChannels.max(0) as usize).min(MAX_CHANNELS) {
                    unsafe { std::slice::from_raw_parts_mut(*ptrs.add(c), data.numSamples as usize).fill(0.0) };
                }
            }
        }
    }

    let mut guarded = *data;
    guarded.numInputs = in_total as int32;
    guarded.inputs = if in_total == 0 { std::ptr::null_mut() } else { inputs.as_mut_ptr() };
    guarded.numOutputs = out_total as int32;
    guarded.outputs = if out_total == 0 { data.outputs } else { outputs.as_mut_ptr() };
    (guarded, repairs)
}

/// The `process` entry of the patched vtable; [`export_vst3!`](crate::export_vst3) declares a
/// plugin-specific `extern "system"` function that calls this with the plugin's guard.
///
/// # Safety
/// The arguments are the host's arguments to `IAudioProcessor::process`.
pub unsafe fn guarded_process(guard: &ProcessGuard, this: *mut IAudioProcessor, data: *mut ProcessData) -> tresult {
    let Some(patched) = guard.patched.get() else {
        // Unreachable: the vtable that leads here is only installed after `patched` is set.
        return kInvalidArgument;
    };
    if data.is_null() {
        // SAFETY: nice-plug rejects a null pointer itself.
        return unsafe { (patched.original_process)(this, data) };
    }
    let mut inputs = [EMPTY_BUS; MAX_BUSES];
    let mut outputs = [EMPTY_BUS; MAX_BUSES];
    // SAFETY: host arguments (caller's contract).
    let (mut guarded, repairs) =
        unsafe { guard_process_data(&*data, patched.input_buses, patched.output_buses, &mut inputs, &mut outputs) };
    if repairs.any() {
        // SAFETY: `guarded` only differs in its bus arrays, which are valid for the call.
        unsafe { (patched.original_process)(this, &mut guarded) }
    } else {
        // SAFETY: host arguments, unchanged.
        unsafe { (patched.original_process)(this, data) }
    }
}

/// The plugin factory [`export_vst3!`](crate::export_vst3) hands to hosts. It describes one
/// plugin, exactly as `nice_export_vst3!` would.
pub struct Factory<P: Vst3Plugin> {
    info: PluginInfo,
    guard: &'static ProcessGuard,
    process: ProcessFn,
    _plugin: PhantomData<fn() -> P>,
}

impl<P: Vst3Plugin> Class for Factory<P> {
    type Interfaces = (IPluginFactory, IPluginFactory2, IPluginFactory3);
}

impl<P: Vst3Plugin> Factory<P> {
    /// `process` must be an `extern "system"` function that calls [`guarded_process`] with
    /// `guard`.
    pub fn new(guard: &'static ProcessGuard, process: ProcessFn) -> Self {
        Self { info: PluginInfo::for_plugin::<P>(), guard, process, _plugin: PhantomData }
    }

    /// The factory as the raw `IPluginFactory` pointer `GetPluginFactory` returns.
    pub fn into_raw(self) -> *mut c_void {
        ComWrapper::new(self)
            .to_com_ptr::<IPluginFactory>()
            .map_or(std::ptr::null_mut(), |ptr| ptr.into_raw() as *mut c_void)
    }

    /// Points the instance's `IAudioProcessor` at the guarded vtable.
    ///
    /// # Safety
    /// `processor` is the `IAudioProcessor` interface of a freshly created `Wrapper<P>`.
    unsafe fn install_guard(&self, processor: *mut IAudioProcessor) {
        let (input_buses, output_buses) = bus_counts(P::AUDIO_IO_LAYOUTS);
        // SAFETY: `processor` points to a live interface whose vtable is nice-plug's.
        let patched = self.guard.patched.get_or_init(|| {
            let original = unsafe { *(*processor).vtbl };
            let mut vtbl = original;
            vtbl.process = self.process;
            Patched { vtbl, original_process: original.process, input_buses, output_buses }
        });
        // SAFETY: the interface slot lives in the instance's heap allocation, which nothing reads
        // concurrently before the instance is handed to the host; the guarded vtable is static.
        unsafe { (*processor).vtbl = &patched.vtbl };
    }
}

impl<P: Vst3Plugin> IPluginFactoryTrait for Factory<P> {
    unsafe fn getFactoryInfo(&self, info: *mut PFactoryInfo) -> tresult {
        if info.is_null() {
            return kInvalidArgument;
        }
        unsafe { *info = self.info.create_factory_info() };
        kResultOk
    }

    unsafe fn countClasses(&self) -> int32 {
        1
    }

    unsafe fn getClassInfo(&self, index: int32, info: *mut PClassInfo) -> tresult {
        if index != 0 || info.is_null() {
            return kInvalidArgument;
        }
        unsafe { *info = self.info.create_class_info() };
        kResultOk
    }

    unsafe fn createInstance(&self, cid: FIDString, iid: FIDString, obj: *mut *mut c_void) -> tresult {
        if cid.is_null() || iid.is_null() || obj.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: a class ID is 16 bytes.
        if unsafe { &*(cid as *const [u8; 16]) } != self.info.cid {
            return kInvalidArgument;
        }
        let wrapper = ComWrapper::new(Wrapper::<P>::new());
        let (Some(processor), Some(unknown)) =
            (wrapper.as_com_ref::<IAudioProcessor>(), wrapper.as_com_ref::<FUnknown>())
        else {
            return kInvalidArgument;
        };
        unsafe {
            self.install_guard(processor.as_ptr());
            let ptr = unknown.as_ptr();
            ((*(*ptr).vtbl).queryInterface)(ptr, iid as *const TUID, obj)
        }
    }
}

impl<P: Vst3Plugin> IPluginFactory2Trait for Factory<P> {
    unsafe fn getClassInfo2(&self, index: int32, info: *mut PClassInfo2) -> tresult {
        if index != 0 || info.is_null() {
            return kInvalidArgument;
        }
        unsafe { *info = self.info.create_class_info_2() };
        kResultOk
    }
}

impl<P: Vst3Plugin> IPluginFactory3Trait for Factory<P> {
    unsafe fn getClassInfoUnicode(&self, index: int32, info: *mut PClassInfoW) -> tresult {
        if index != 0 || info.is_null() {
            return kInvalidArgument;
        }
        unsafe { *info = self.info.create_class_info_unicode() };
        kResultOk
    }

    unsafe fn setHostContext(&self, _context: *mut FUnknown) -> tresult {
        kResultOk
    }
}

/// Exports a plugin over VST3: `GetPluginFactory` and the Linux/macOS module entry points, as
/// `nice_export_vst3!` does, with the process-data guard of [`crate::vst3`] installed on every
/// instance.
#[macro_export]
macro_rules! export_vst3 {
    ($plugin:ty) => {
        /// The VST3 export (see `ferrite_plugin_common::vst3`).
        #[doc(hidden)]
        pub mod vst3_export {
            use super::*;
            use $crate::vst3::reexport::{setup_logger, tresult, IAudioProcessor, ProcessData};
            use $crate::vst3::{guarded_process, Factory, ProcessGuard};

            static GUARD: ProcessGuard = ProcessGuard::new();

            unsafe extern "system" fn process(this: *mut IAudioProcessor, data: *mut ProcessData) -> tresult {
                unsafe { guarded_process(&GUARD, this, data) }
            }

            /// A new reference to this plugin's VST3 factory (an `IPluginFactory` pointer),
            /// under a crate-specific symbol so tests can link several plugins at once.
            pub fn factory() -> *mut ::std::ffi::c_void {
                Factory::<$plugin>::new(&GUARD, process).into_raw()
            }

            /// The VST3 plugin factory entry point.
            #[unsafe(no_mangle)]
            pub extern "system" fn GetPluginFactory() -> *mut ::std::ffi::c_void {
                factory()
            }

            #[unsafe(no_mangle)]
            #[cfg(all(target_family = "unix", not(target_os = "macos")))]
            pub extern "C" fn ModuleEntry(_lib_handle: *mut ::std::ffi::c_void) -> bool {
                setup_logger::<$plugin>();
                true
            }

            #[unsafe(no_mangle)]
            #[cfg(all(target_family = "unix", not(target_os = "macos")))]
            pub extern "C" fn ModuleExit() -> bool {
                true
            }

            #[unsafe(no_mangle)]
            #[cfg(target_os = "macos")]
            pub extern "C" fn bundleEntry(_lib_handle: *mut ::std::ffi::c_void) -> bool {
                setup_logger::<$plugin>();
                true
            }

            #[unsafe(no_mangle)]
            #[cfg(target_os = "macos")]
            pub extern "C" fn bundleExit() -> bool {
                true
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Host-side buffers for one bus: sample storage and the channel pointer array.
    struct HostBus {
        samples: Vec<Vec<f32>>,
        ptrs: Vec<*mut f32>,
    }

    impl HostBus {
        fn new(channels: usize, frames: usize, value: f32) -> Self {
            let mut samples = vec![vec![value; frames]; channels];
            let ptrs = samples.iter_mut().map(|c| c.as_mut_ptr()).collect();
            Self { samples, ptrs }
        }

        /// A bus the host left inactive: a channel pointer array of nulls, as JUCE passes it.
        fn inactive(channels: usize) -> Self {
            Self { samples: Vec::new(), ptrs: vec![std::ptr::null_mut(); channels] }
        }

        fn buffers(&mut self) -> AudioBusBuffers {
            AudioBusBuffers {
                numChannels: self.ptrs.len() as int32,
                silenceFlags: 0,
                __field0: AudioBusBuffers__type0 { channelBuffers32: self.ptrs.as_mut_ptr() },
            }
        }
    }

    fn process_data(inputs: &mut [AudioBusBuffers], outputs: &mut [AudioBusBuffers], frames: usize) -> ProcessData {
        ProcessData {
            processMode: 0,
            symbolicSampleSize: 0,
            numSamples: frames as int32,
            numInputs: inputs.len() as int32,
            numOutputs: outputs.len() as int32,
            inputs: if inputs.is_empty() { std::ptr::null_mut() } else { inputs.as_mut_ptr() },
            outputs: if outputs.is_empty() { std::ptr::null_mut() } else { outputs.as_mut_ptr() },
            inputParameterChanges: std::ptr::null_mut(),
            outputParameterChanges: std::ptr::null_mut(),
            inputEvents: std::ptr::null_mut(),
            outputEvents: std::ptr::null_mut(),
            processContext: std::ptr::null_mut(),
        }
    }

    /// Storage for the guard's bus copies.
    struct Copies {
        inputs: [AudioBusBuffers; MAX_BUSES],
        outputs: [AudioBusBuffers; MAX_BUSES],
    }

    impl Copies {
        fn new() -> Self {
            Self { inputs: [EMPTY_BUS; MAX_BUSES], outputs: [EMPTY_BUS; MAX_BUSES] }
        }

        fn guard(&mut self, data: &ProcessData, ins: usize, outs: usize) -> (ProcessData, Repairs) {
            unsafe { guard_process_data(data, ins, outs, &mut self.inputs, &mut self.outputs) }
        }
    }

    fn channel_ptrs(bus: &AudioBusBuffers) -> *mut *mut f32 {
        unsafe { bus.__field0.channelBuffers32 }
    }

    #[test]
    fn sound_process_data_passes_through_unchanged() {
        let (mut main, mut aux, mut out) = (HostBus::new(2, 16, 0.5), HostBus::new(2, 16, 0.25), HostBus::new(2, 16, 0.0));
        let mut ins = [main.buffers(), aux.buffers()];
        let mut outs = [out.buffers()];
        let data = process_data(&mut ins, &mut outs, 16);
        let mut c = Copies::new();
        let (guarded, repairs) = c.guard(&data, 2, 1);
        assert!(!repairs.any());
        assert_eq!(guarded.inputs, data.inputs);
        assert_eq!(guarded.outputs, data.outputs);
        assert_eq!((guarded.numInputs, guarded.numOutputs), (2, 1));
    }

    #[test]
    fn an_inactive_sidechain_is_handed_on_without_buffers() {
        let (mut main, mut aux, mut out) = (HostBus::new(1, 16, 0.5), HostBus::inactive(1), HostBus::new(1, 16, 0.0));
        let mut ins = [main.buffers(), aux.buffers()];
        let mut outs = [out.buffers()];
        let data = process_data(&mut ins, &mut outs, 16);
        let mut c = Copies::new();
        let (guarded, repairs) = c.guard(&data, 2, 1);
        let inputs = &c.inputs;
        assert_eq!(repairs, Repairs { unreadable_inputs: 1, unwritable_outputs: 0, padded_buses: 0 });
        assert_eq!(guarded.inputs, inputs.as_ptr() as *mut _);
        assert_eq!(guarded.numInputs, 2);
        // The main bus is the host's, untouched; the sidechain has no buffers left to read.
        assert_eq!(channel_ptrs(&inputs[0]), main.ptrs.as_mut_ptr());
        assert_eq!(inputs[0].numChannels, 1);
        assert!(channel_ptrs(&inputs[1]).is_null());
        // The host's own arrays are not modified.
        assert!(!channel_ptrs(&ins[1]).is_null());
        assert_eq!(main.samples[0][0], 0.5);
    }

    #[test]
    fn missing_buses_are_padded_to_the_plugins_bus_count() {
        // A host that passes only the main input although the plugin has a sidechain: nice-plug
        // would read the second input bus from past the end of the host's array.
        let (mut main, mut out) = (HostBus::new(2, 8, 0.5), HostBus::new(2, 8, 0.0));
        let mut ins = [main.buffers()];
        let mut outs = [out.buffers()];
        let data = process_data(&mut ins, &mut outs, 8);
        let mut c = Copies::new();
        let (guarded, repairs) = c.guard(&data, 2, 2);
        let (inputs, outputs) = (&c.inputs, &c.outputs);
        assert_eq!(repairs.padded_buses, 2);
        assert_eq!((guarded.numInputs, guarded.numOutputs), (2, 2));
        assert_eq!(channel_ptrs(&inputs[0]), main.ptrs.as_mut_ptr());
        assert!(channel_ptrs(&inputs[1]).is_null());
        assert_eq!(inputs[1].numChannels, 0);
        assert!(channel_ptrs(&outputs[1]).is_null());
    }

    #[test]
    fn an_unreadable_main_input_leaves_silence_in_the_output() {
        let (mut main, mut out) = (HostBus::inactive(2), HostBus::new(2, 8, 0.75));
        let mut ins = [main.buffers()];
        let mut outs = [out.buffers()];
        let data = process_data(&mut ins, &mut outs, 8);
        let mut c = Copies::new();
        let (_, repairs) = c.guard(&data, 1, 1);
        let (inputs, outputs) = (&c.inputs, &c.outputs);
        assert_eq!(repairs.unreadable_inputs, 1);
        assert!(channel_ptrs(&inputs[0]).is_null());
        assert_eq!(channel_ptrs(&outputs[0]), out.ptrs.as_mut_ptr());
        assert!(out.samples.iter().flatten().all(|&s| s == 0.0));
    }

    #[test]
    fn a_negative_channel_count_is_handed_on_as_a_bus_without_buffers() {
        let (mut main, mut out) = (HostBus::new(1, 8, 0.5), HostBus::new(1, 8, 0.0));
        let mut bad = main.buffers();
        bad.numChannels = -1;
        let mut ins = [bad];
        let mut outs = [out.buffers()];
        let data = process_data(&mut ins, &mut outs, 8);
        let mut c = Copies::new();
        let (guarded, repairs) = c.guard(&data, 1, 1);
        assert_eq!(repairs.unreadable_inputs, 1);
        assert_eq!(guarded.numInputs, 1);
        assert_eq!(c.inputs[0].numChannels, 0);
        assert!(channel_ptrs(&c.inputs[0]).is_null());
    }

    #[test]
    fn an_unwritable_output_bus_is_handed_on_without_buffers() {
        let (mut main, mut out) = (HostBus::new(1, 8, 0.5), HostBus::inactive(1));
        let mut ins = [main.buffers()];
        let mut outs = [out.buffers()];
        let data = process_data(&mut ins, &mut outs, 8);
        let mut c = Copies::new();
        let (guarded, repairs) = c.guard(&data, 1, 1);
        let outputs = &c.outputs;
        assert_eq!(repairs.unwritable_outputs, 1);
        assert_eq!(guarded.outputs, outputs.as_ptr() as *mut _);
        assert!(channel_ptrs(&outputs[0]).is_null());
    }

    #[test]
    fn a_parameter_flush_keeps_its_missing_outputs() {
        // No output buses is how hosts flush parameters; nice-plug must still see none.
        let data = process_data(&mut [], &mut [], 0);
        let mut c = Copies::new();
        let (guarded, _) = c.guard(&data, 2, 1);
        assert_eq!(guarded.numOutputs, 0);
        assert!(guarded.outputs.is_null());
    }

    #[test]
    fn more_buses_than_the_guard_holds_pass_through() {
        let mut buses: Vec<HostBus> = (0..MAX_BUSES + 1).map(|_| HostBus::inactive(1)).collect();
        let mut ins: Vec<AudioBusBuffers> = buses.iter_mut().map(HostBus::buffers).collect();
        let mut out = HostBus::new(1, 4, 0.0);
        let mut outs = [out.buffers()];
        let data = process_data(&mut ins, &mut outs, 4);
        let mut c = Copies::new();
        let (guarded, repairs) = c.guard(&data, 2, 1);
        assert!(!repairs.any());
        assert_eq!(guarded.inputs, data.inputs);
    }

    #[test]
    fn bus_counts_are_the_largest_over_the_layouts() {
        assert_eq!(bus_counts(crate::STEREO_AND_MONO), (1, 1));
        const WITH_SIDECHAIN: [AudioIOLayout; 1] = [AudioIOLayout {
            main_input_channels: std::num::NonZeroU32::new(2),
            main_output_channels: std::num::NonZeroU32::new(2),
            aux_input_ports: &[nice_plug::prelude::new_nonzero_u32(2)],
            ..AudioIOLayout::const_default()
        }];
        let with_sidechain = WITH_SIDECHAIN;
        assert_eq!(bus_counts(&with_sidechain), (2, 1));
    }
}
