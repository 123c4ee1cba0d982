//! The VST3 export (`ferrite_plugin_common::vst3`) driven through nice-plug's real VST3 wrapper,
//! in process, the way JUCE hosts call it: bus arrangements, an inactive sidechain whose channel
//! pointers are null, a host that passes fewer buses than the plugin has, and allocation counts
//! around `IAudioProcessor::process`.
//!
//! Without the export's guard, nice-plug 0.4.2 reads through the null sidechain pointers and this
//! test binary dies (SIGSEGV in release builds; in debug builds Rust's null-pointer check aborts).

use std::ffi::c_void;
use std::ptr::null_mut;

use ferrite_test_kit::alloc::count;
use ferrite_tests::music_like;
use nice_plug::wrapper::vst3::vst3::Steinberg::Vst::SpeakerArr::{kMono, kStereo};
use nice_plug::wrapper::vst3::vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, BusDirections_, IAudioProcessor, IAudioProcessorTrait, IComponent,
    IComponentTrait, MediaTypes_, ProcessData, ProcessModes_, ProcessSetup, SpeakerArrangement,
    SymbolicSampleSizes_,
};
use nice_plug::wrapper::vst3::vst3::Steinberg::{
    FIDString, IPluginBaseTrait, IPluginFactory, IPluginFactoryTrait, PClassInfo, kResultOk,
};
use nice_plug::wrapper::vst3::vst3::{ComPtr, Interface};

ferrite_test_kit::counting_allocator!();

const SR: f64 = 48_000.0;
const BLOCK: usize = 256;
const BLOCKS: usize = 24;

// Ferrite Ring, the plugin with a sidechain, exported here exactly as its bundle crate
// (plugins/ring/bundle) exports it. (Only one plugin per binary: the export defines the
// unmangled `GetPluginFactory`. The guard is the same code for every plugin; `tests/vst3` runs
// all four bundles through a real host.)
ferrite_plugin_common::export_vst3!(ferrite_ring::FerriteRing);

const FACTORY: fn() -> *mut c_void = vst3_export::factory;

/// How the host passes the sidechain bus.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sidechain {
    /// Active, with buffers of silence.
    Silent,
    /// Inactive: a channel pointer array of nulls (what JUCE passes).
    NullPointers,
    /// Left out of the bus array altogether (`numInputs` one short).
    Omitted,
}

struct Instance {
    component: ComPtr<IComponent>,
    processor: ComPtr<IAudioProcessor>,
}

impl Instance {
    /// Creates, arranges (main in/out of `channels`, sidechain of `channels` if the plugin has
    /// one), sets up and starts an instance.
    fn new(channels: usize, sidechain: Sidechain) -> Self {
        unsafe {
            let factory = ComPtr::from_raw(FACTORY() as *mut IPluginFactory).expect("null factory");
            let mut info: PClassInfo = std::mem::zeroed();
            assert_eq!(factory.getClassInfo(0, &mut info), kResultOk);
            let mut obj: *mut c_void = null_mut();
            let iid = <IComponent as Interface>::IID;
            let created = factory.createInstance(info.cid.as_ptr(), iid.as_ptr() as FIDString, &mut obj);
            assert_eq!(created, kResultOk);
            let component = ComPtr::from_raw(obj as *mut IComponent).expect("null component");
            assert_eq!(component.initialize(null_mut()), kResultOk);
            let processor = component.cast::<IAudioProcessor>().expect("no IAudioProcessor");

            let arrangement: SpeakerArrangement = if channels == 1 { kMono } else { kStereo };
            let mut ins = [arrangement; 2];
            let mut outs = [arrangement];
            let arranged =
                processor.setBusArrangements(ins.as_mut_ptr(), 2, outs.as_mut_ptr(), 1);
            assert_eq!(arranged, kResultOk, "{channels}-channel arrangement refused");
            let mut setup = ProcessSetup {
                processMode: ProcessModes_::kRealtime as i32,
                symbolicSampleSize: SymbolicSampleSizes_::kSample32 as i32,
                maxSamplesPerBlock: BLOCK as i32,
                sampleRate: SR,
            };
            assert_eq!(processor.setupProcessing(&mut setup), kResultOk);
            let active = u8::from(sidechain == Sidechain::Silent);
            component.activateBus(MediaTypes_::kAudio as i32, BusDirections_::kInput as i32, 1, active);
            assert_eq!(component.setActive(1), kResultOk);
            assert_eq!(processor.setProcessing(1), kResultOk);
            Self { component, processor }
        }
    }

    /// Runs `input` through in blocks of [`BLOCK`], passing the sidechain as `sidechain`.
    /// Returns the output and the number of allocations made inside `process`.
    fn run(&self, input: &[Vec<f32>], sidechain: Sidechain) -> (Vec<Vec<f32>>, usize) {
        let channels = input.len();
        let frames = input[0].len();
        let mut output = vec![vec![0.0f32; frames]; channels];
        let mut main_in = vec![vec![0.0f32; BLOCK]; channels];
        let mut main_out = vec![vec![0.0f32; BLOCK]; channels];
        let mut side = vec![vec![0.0f32; BLOCK]; channels];
        let mut main_in_ptrs: Vec<*mut f32> = main_in.iter_mut().map(|c| c.as_mut_ptr()).collect();
        let mut main_out_ptrs: Vec<*mut f32> = main_out.iter_mut().map(|c| c.as_mut_ptr()).collect();
        let mut side_ptrs: Vec<*mut f32> = match sidechain {
            Sidechain::NullPointers => vec![null_mut(); channels],
            _ => side.iter_mut().map(|c| c.as_mut_ptr()).collect(),
        };
        let bus = |ptrs: &mut Vec<*mut f32>| AudioBusBuffers {
            numChannels: ptrs.len() as i32,
            silenceFlags: 0,
            __field0: AudioBusBuffers__type0 { channelBuffers32: ptrs.as_mut_ptr() },
        };
        let mut in_buses = vec![bus(&mut main_in_ptrs)];
        if matches!(sidechain, Sidechain::Silent | Sidechain::NullPointers) {
            in_buses.push(bus(&mut side_ptrs));
        }
        let mut out_buses = [bus(&mut main_out_ptrs)];

        let mut allocations = 0;
        for start in (0..frames).step_by(BLOCK) {
            let len = BLOCK.min(frames - start);
            for (c, ch) in input.iter().enumerate() {
                // Written through the pointers the host hands over, as a host does.
                let buf = unsafe { std::slice::from_raw_parts_mut(main_in_ptrs[c], BLOCK) };
                buf[..len].copy_from_slice(&ch[start..start + len]);
            }
            let mut data = ProcessData {
                processMode: ProcessModes_::kRealtime as i32,
                symbolicSampleSize: SymbolicSampleSizes_::kSample32 as i32,
                numSamples: len as i32,
                numInputs: in_buses.len() as i32,
                numOutputs: 1,
                inputs: in_buses.as_mut_ptr(),
                outputs: out_buses.as_mut_ptr(),
                inputParameterChanges: null_mut(),
                outputParameterChanges: null_mut(),
                inputEvents: null_mut(),
                outputEvents: null_mut(),
                processContext: null_mut(),
            };
            let (result, counts) = count(|| unsafe { self.processor.process(&mut data) });
            assert_eq!(result, kResultOk);
            allocations += counts.events();
            for (c, ch) in output.iter_mut().enumerate() {
                let buf = unsafe { std::slice::from_raw_parts(main_out_ptrs[c], BLOCK) };
                ch[start..start + len].copy_from_slice(&buf[..len]);
            }
        }
        (output, allocations)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        unsafe {
            self.processor.setProcessing(0);
            self.component.setActive(0);
            self.component.terminate();
        }
    }
}

fn render(input: &[Vec<f32>], sidechain: Sidechain) -> (Vec<Vec<f32>>, usize) {
    Instance::new(input.len(), sidechain).run(input, sidechain)
}

#[test]
fn an_inactive_or_missing_sidechain_reads_as_silence_in_mono_and_stereo() {
    for channels in [1, 2] {
        let input = music_like(channels, BLOCK * BLOCKS + 77, SR as f32, 0.5, 3);
        let (reference, _) = render(&input, Sidechain::Silent);
        assert!(reference.iter().flatten().all(|s| s.is_finite()));
        let energy: f64 = reference.iter().flatten().map(|&s| f64::from(s) * f64::from(s)).sum();
        assert!(energy > 1.0, "{channels} ch: silent output, energy {energy}");
        for sidechain in [Sidechain::NullPointers, Sidechain::Omitted] {
            let (out, _) = render(&input, sidechain);
            assert_eq!(out, reference, "{channels} ch, sidechain {sidechain:?}: differs from a silent sidechain");
        }
    }
}

#[test]
fn process_through_the_vst3_export_does_not_allocate() {
    for channels in [1, 2] {
        let input = music_like(channels, BLOCK * BLOCKS, SR as f32, 0.5, 9);
        for sidechain in [Sidechain::Silent, Sidechain::NullPointers, Sidechain::Omitted] {
            let (out, allocations) = render(&input, sidechain);
            assert!(out.iter().flatten().all(|s| s.is_finite()), "{channels} ch, {sidechain:?}: non-finite output");
            assert_eq!(allocations, 0, "{channels} ch, {sidechain:?}: {allocations} allocations in process");
        }
    }
}
