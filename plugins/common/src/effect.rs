//! The plugin skeleton, written once: a Ferrite effect is its parameters, its [`Engine`], its
//! descriptor (the [`Effect`] trait: names, IDs, layouts, features) and its editor, and
//! [`EffectPlugin`] turns those into a nice-plug [`Plugin`] for CLAP, VST3, the standalone app
//! and the offline host.
//!
//! What the skeleton does for every effect:
//! - builds the engine in `activate` from the parameters and a [`ProcessSpec`] (sample rate,
//!   channels, the host's largest block capped at [`MAX_CHUNK`]) and drops it in `deactivate`;
//! - in `process`: sets FTZ/DAZ for the call, splits the host's block into chunks of at most
//!   [`MAX_CHUNK`] samples (so engine buffers do not grow with the host's block size), hands
//!   each chunk with its sidechain and transport to the engine, has a latency change reported
//!   the way each format allows (see below), and publishes what the editor shows
//!   ([`EditorData`]) while an editor is open;
//! - for an effect that takes notes ([`Effect::MIDI_INPUT`]), applies the host's note events to
//!   a [`NoteState`] at their sample, splitting the chunk there, so the engine sees the notes
//!   change at the right sample (see below);
//! - returns the engine's tail to the host;
//! - goes idle when nothing sounds (see below);
//! - makes the first block after an activation or a reset start from the parameters as they
//!   are (see below).
//!
//! Latency changes: CLAP allows the latency to change, and `clap_host_latency.changed` to be
//! called, only inside `clap_plugin.activate`; an active plugin asks for that with
//! `request_restart`. nice-plug 0.4.2 turns a `set_latency_samples` from `process` into a
//! main-thread task that, if the host has deactivated the plugin by the time it runs, calls
//! `changed` outside `activate` (clap-validator fails this). So under CLAP the skeleton never
//! reports latency from `process`: when the engine's latency differs from the one reported at
//! activation it asks the host for a restart (`request_restart` is thread-safe), and the next
//! `activate` reports the new engine's latency, which nice-plug announces with `changed` inside
//! the activation after that. Other formats (VST3, where a latency change may be reported at
//! any time, the standalone, `render`) get the new value from `process` at once.
//!
//! The first block: hosts such as pedalboard and DawDreamer deliver the parameters a script set
//! before rendering as events in the first `process` call, where nice-plug starts the smoothers
//! gliding from the old values. A value that arrives before any audio has been processed since
//! the last activation or reset has nothing to be smooth against, so the first non-empty block
//! snaps every smoother to its value and resets the engine with the parameters as they are
//! (no glide, no crossfade, no switch fade); the audio state is clear at that point anyway.
//! `Plugin::reset` only marks that, so the engine is cleared once, on the audio thread, in that
//! block. Changes during a stream stay smoothed.
//!
//! Notes: chunks end at the next note event (at most [`MAX_NOTE_SPLITS`] event splits per host
//! block; later events in a crowded block are applied at the start of the chunk after the last
//! split, a few samples late at worst, never lost), and the engine gets the note state as it
//! stands for the whole chunk in [`ProcessIo::notes`]. The state is fixed-size and applying an
//! event only moves a few bytes: no allocation, no locks. A block without events is chunked
//! exactly as before, so effects without note input (and played effects nobody plays) render
//! bit for bit as they did. A note event wakes an idle engine. An activation or a reset forgets
//! every note (the first block's reset, before that block's events).
//!
//! Idle: a track that is silent costs nothing. Once the input has been silent (every sample 0 or
//! subnormal, sidechain included) for the tail the engine reports, and the output has stayed
//! below −120 dBFS for [`IDLE_HOLD_SECONDS`] plus the latency, the engine is no longer called:
//! the output is silence, written directly, and the host is told `ProcessStatus::Normal` (CLAP:
//! `CONTINUE_IF_NOT_QUIET`, so it may stop calling the plugin). The engine keeps its state (all
//! but inaudible by then), so the first sound after idling continues exactly where processing
//! stopped. A parameter change while idle wakes the engine, so smoothing and the switch fades of
//! discrete settings happen during the silence, not at the next note.

use std::path::Path;
use std::sync::Arc;

use ferrite_dsp::denormal::ScopedFlushDenormals;
pub use ferrite_dsp::model::ProcessSpec;
use nice_plug::prelude::*;

use crate::editor_data::EditorData;
pub use crate::notes::NoteState;

/// Largest piece of a host block an engine is given at once. Engines size their per-sample
/// buffers for this, whatever the host's block size.
pub const MAX_CHUNK: usize = 512;

/// Most main or sidechain channels the skeleton hands an engine (the layouts offer mono and
/// stereo); the per-chunk slice arrays are this long, so building them never allocates.
pub const MAX_CHANNELS: usize = 8;

/// How long the output must have stayed below [`IDLE_QUIET`] (beyond the latency) with silent
/// input before the engine goes idle.
pub const IDLE_HOLD_SECONDS: f32 = 1.0;

/// Quiet output for going idle: −120 dBFS.
pub const IDLE_QUIET: f32 = 1e-6;

/// Most chunk splits at note events in one host block: bounds the engine calls a block full of
/// events can cause (a chunk costs a little fixed work); events beyond it are applied at the
/// last split.
pub const MAX_NOTE_SPLITS: usize = 64;

/// Where the host's transport is at the start of a chunk (for tempo sync).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TransportInfo {
    /// Tempo in beats per minute, if the host reports one.
    pub tempo: Option<f64>,
    /// Position in quarter-note beats at the start of the chunk, if the host is playing and
    /// reports it.
    pub playing_pos_beats: Option<f64>,
}

impl TransportInfo {
    /// What tempo sync needs from nice-plug's transport.
    pub fn from_transport(t: &Transport) -> Self {
        Self { tempo: t.tempo, playing_pos_beats: if t.playing { t.pos_beats() } else { None } }
    }

    /// The same transport `samples` later at `sample_rate`.
    fn advanced(self, samples: usize, sample_rate: f32) -> Self {
        let playing_pos_beats = match (self.playing_pos_beats, self.tempo) {
            (Some(pos), Some(bpm)) => Some(pos + samples as f64 / sample_rate as f64 * bpm / 60.0),
            (pos, _) => pos,
        };
        Self { playing_pos_beats, ..self }
    }
}

/// One chunk of audio as an engine sees it.
pub struct ProcessIo<'a, 'b, T> {
    /// Main channels, processed in place; all the same length (at most [`MAX_CHUNK`]).
    pub main: &'a mut [&'b mut [f32]],
    /// The first auxiliary input's channels for the same samples, if the layout has one.
    pub sidechain: Option<&'a [&'b [f32]]>,
    /// The host transport at the start of the chunk.
    pub transport: TransportInfo,
    /// Starts a background task (on nice-plug's background thread); never blocks.
    pub background: &'a mut dyn FnMut(T),
    /// The editor's data while an editor is open (for the engine's readouts), else `None`:
    /// nothing is computed for a closed editor.
    pub editor: Option<&'a EditorData>,
    /// The notes as they stand for this whole chunk (the skeleton splits chunks at note
    /// events). Always the default (no note, wheel centred) for an effect whose
    /// [`Effect::MIDI_INPUT`] is `MidiConfig::None`.
    pub notes: &'a NoteState,
}

impl<T> ProcessIo<'_, '_, T> {
    /// Samples in this chunk.
    pub fn len(&self) -> usize {
        self.main.first().map_or(0, |c| c.len())
    }

    /// True when the chunk has no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The audio side of an effect: everything it allocates is allocated in [`Engine::new`];
/// [`Engine::process`] never allocates, locks or blocks.
pub trait Engine: Send + 'static {
    /// The effect's parameters.
    type Params: Params + Default + 'static;
    /// Work the engine hands to the background thread (`()` for none).
    type BackgroundTask: Send + 'static;

    /// Build the engine for `spec` (`max_block` ≤ [`MAX_CHUNK`]) with the parameters as they are.
    fn new(params: &Self::Params, spec: &ProcessSpec) -> Self;

    /// Clear all audio state and take the parameters as they are now, without fades.
    fn reset(&mut self, params: &Self::Params);

    /// Process one chunk in place.
    fn process(&mut self, params: &Self::Params, io: &mut ProcessIo<'_, '_, Self::BackgroundTask>);

    /// Latency of the whole effect, host samples.
    fn latency(&self) -> u32 {
        0
    }

    /// What to tell the host after a block: [`ProcessStatus::Normal`], a tail length, or
    /// [`ProcessStatus::KeepAlive`] for an effect that can sound without input.
    fn tail(&self, params: &Self::Params) -> ProcessStatus;

    /// Called when the host deactivates the plugin, before the engine is dropped (not real-time).
    fn deactivate(&mut self, _params: &Self::Params) {}
}

/// The parameters of effect `E`.
pub type ParamsOf<E> = <<E as Effect>::Engine as Engine>::Params;
/// The background task type of effect `E`.
pub type TaskOf<E> = <<E as Effect>::Engine as Engine>::BackgroundTask;

/// The descriptor of an effect: what hosts, the command line and the bundler know it by, and
/// the hooks an effect may fill (editor, background tasks, impulse responses).
pub trait Effect: Sized + Send + Sync + 'static {
    /// Name shown in hosts ("Ferrite Ring").
    const NAME: &'static str;
    /// Name of the command-line app and bundles ("ferrite-ring").
    const CLI_NAME: &'static str;
    /// One-line description for hosts.
    const DESCRIPTION: &'static str;
    /// CLAP plugin ID.
    const CLAP_ID: &'static str;
    /// CLAP features.
    const CLAP_FEATURES: &'static [ClapFeature];
    /// VST3 class ID (16 bytes, fixed forever).
    const VST3_CLASS_ID: [u8; 16];
    /// VST3 subcategories.
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory];
    /// Audio layouts, preferred first.
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = crate::STEREO_AND_MONO;
    /// The presets compiled into the plugin, in the order the editor's menu lists them (see
    /// [`crate::presets`]).
    const FACTORY_PRESETS: &'static [crate::presets::FactoryPreset] = &[];
    /// Note input: `MidiConfig::None` (no note port; the default), `Basic` (notes) or `MidiCCs`
    /// (notes, the pitch wheel and controllers; VST3 then also lists nice-plug's 2080 hidden
    /// read-only MIDI-controller parameters). The engine reads the result in [`ProcessIo::notes`].
    const MIDI_INPUT: MidiConfig = MidiConfig::None;

    /// The audio engine.
    type Engine: Engine;
    /// The editor (`()` for the host's generic parameter view).
    type Editor: Editor;

    /// The editor, if the effect has one, reading `params` and `data` (and starting background
    /// tasks through `executor`).
    fn editor(
        _params: &Arc<ParamsOf<Self>>,
        _data: &Arc<EditorData>,
        _executor: AsyncExecutor<EffectPlugin<Self>>,
    ) -> Option<Self::Editor> {
        None
    }

    /// Runs the engine's background tasks (queried once per instance).
    fn task_executor(_params: &Arc<ParamsOf<Self>>) -> Box<dyn Fn(TaskOf<Self>) + Send> {
        Box::new(|_| ())
    }

    /// `render --ir`: load an impulse response from `path` into the parameters' state.
    fn load_impulse_response(_params: &ParamsOf<Self>, _path: &Path) -> anyhow::Result<()> {
        anyhow::bail!("{} takes no impulse response", Self::NAME)
    }

    /// `render`: refuse settings it cannot honour, before any audio is processed (`has_ir`:
    /// whether `--ir` was given).
    fn check_render(_params: &ParamsOf<Self>, _has_ir: bool) -> anyhow::Result<()> {
        Ok(())
    }
}

/// A Ferrite effect as a nice-plug plugin.
pub struct EffectPlugin<E: Effect, const INSTANCE: u8 = 0> {
    /// Parameters shared with the host and the editor.
    params: Arc<ParamsOf<E>>,
    /// All DSP state, built in `activate` from the sample rate, layout and maximum block size.
    engine: Option<E::Engine>,
    /// Sample rate of the current activation (for advancing the transport across chunks).
    sample_rate: f32,
    /// The latency last reported to the host (at activation, or from `process` where the format
    /// allows it).
    reported_latency: u32,
    /// A restart was requested for a latency change (CLAP) and has not happened yet.
    restart_requested: bool,
    /// No audio has been processed since the last activation or reset: the next non-empty
    /// block takes the parameters as they are then, unsmoothed.
    first_block_pending: bool,
    /// Every parameter, for snapping the smoothers in the first block (collected once, so that
    /// does not allocate).
    param_ptrs: Vec<ParamPtr>,
    /// Meters and sample blocks for the editor, written only while it is open.
    editor_data: Arc<EditorData>,
    /// Consecutive samples of silent input (main and sidechain).
    silent_input: u64,
    /// Consecutive samples of quiet output with silent input.
    quiet_output: u64,
    /// The engine is not called: nothing sounds (see the module doc).
    idle: bool,
    /// Every parameter's normalized value when the engine went idle (sized once, in `default`).
    idle_values: Vec<f32>,
    /// The standalone's `--record`/`--record-inputs` tap (see [`crate::record`]): taken in
    /// `default` by the one instance the standalone runs; `None` everywhere else, so inside a
    /// plugin host recording costs `process` one `None` check.
    recorder: Option<Box<crate::record::Tap>>,
    /// The note state built from the host's note events (see the module doc).
    notes: NoteState,
}

impl<E: Effect, const INSTANCE: u8> EffectPlugin<E, INSTANCE> {
    /// The parameters.
    pub fn params_arc(&self) -> &Arc<ParamsOf<E>> {
        &self.params
    }

    /// The engine, once activated.
    pub fn engine(&self) -> Option<&E::Engine> {
        self.engine.as_ref()
    }

    /// The data the editor reads.
    pub fn editor_data(&self) -> &Arc<EditorData> {
        &self.editor_data
    }

    /// Whether the engine is idle: nothing sounds, and `process` writes silence without it.
    pub fn is_idle(&self) -> bool {
        self.idle
    }

    /// Records this instance's blocks through `tap` from its next activation on (the
    /// standalone's instance takes its tap in `default`; this is for a host of our own, such
    /// as the no-allocation test). Not real-time.
    pub fn attach_recorder(&mut self, tap: crate::record::Tap) {
        self.recorder = Some(Box::new(tap));
    }

    /// The note state after the last block.
    pub fn notes(&self) -> &NoteState {
        &self.notes
    }
}

impl<E: Effect, const INSTANCE: u8> Default for EffectPlugin<E, INSTANCE> {
    fn default() -> Self {
        let params = Arc::new(ParamsOf::<E>::default());
        // The standalone's `--set` values (no-op inside a DAW).
        crate::apply_startup_settings(&params);
        let param_ptrs: Vec<ParamPtr> = params.param_map().into_iter().map(|(_, ptr, _)| ptr).collect();
        let idle_values = vec![0.0; param_ptrs.len()];
        Self {
            params,
            engine: None,
            sample_rate: 0.0,
            reported_latency: 0,
            restart_requested: false,
            first_block_pending: true,
            param_ptrs,
            editor_data: Arc::new(EditorData::default()),
            silent_input: 0,
            quiet_output: 0,
            idle: false,
            idle_values,
            recorder: crate::record::take_tap(),
            notes: NoteState::default(),
        }
    }
}

impl<E: Effect, const INSTANCE: u8> Plugin for EffectPlugin<E, INSTANCE> {
    /// Instance 0 (every plugin format) is `E::NAME`; the standalone app's further instances
    /// on one JACK server are "NAME 2" and on (see `standalone`).
    const NAME: &'static str = crate::standalone::InstanceName::<E, INSTANCE>::NAME;
    const VENDOR: &'static str = crate::VENDOR;
    const URL: &'static str = crate::URL;
    const EMAIL: &'static str = crate::EMAIL;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = E::AUDIO_IO_LAYOUTS;
    const MIDI_INPUT: MidiConfig = E::MIDI_INPUT;

    // Parameter changes land at block boundaries and are smoothed from there.
    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type SysExMessage = ();
    type BackgroundTask = TaskOf<E>;
    type Editor = E::Editor;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    /// A saved state with a float beyond `f32`'s range (a damaged or hand-edited project file:
    /// `-1e308` reads as −∞) would load as a NaN parameter that cannot be saved again (JSON has
    /// no NaN, so the next load of the re-saved state fails). Such values are dropped before
    /// loading: the parameter keeps its value, as for a parameter the state does not name.
    fn filter_state(state: &mut PluginState) {
        state.params.retain(|_, value| !matches!(value, nice_plug::plugin::ParamValue::F32(v) if !v.is_finite()));
    }

    fn task_executor(&mut self) -> TaskExecutor<Self> {
        E::task_executor(&self.params)
    }

    fn editor(&mut self, async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        // The effect's editor takes the executor of instance 0; tasks are the same type.
        let executor = Arc::new(async_executor);
        let gui = executor.clone();
        let async_executor = AsyncExecutor::<EffectPlugin<E>>::new(
            Arc::new(move |task| executor.execute_background(task)),
            Arc::new(move |task| gui.execute_gui(task)),
        );
        let editor = E::editor(&self.params, &self.editor_data, async_executor);
        // The standalone app's `--no-editor`, or no display to open a window on.
        match crate::headless::no_editor() {
            None => editor,
            Some(reason) => {
                if editor.is_some() && reason == crate::headless::NoEditor::NoDisplay {
                    eprintln!("{}", crate::headless::no_display_notice(E::CLI_NAME));
                }
                None
            }
        }
    }

    fn activate(
        &mut self,
        layout: &AudioIOLayout,
        config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let channels = layout.main_output_channels.map_or(0, |c| c.get() as usize).min(MAX_CHANNELS);
        let max_block = (config.max_buffer_size as usize).clamp(1, MAX_CHUNK);
        let spec = ProcessSpec::new(config.sample_rate, max_block, channels);
        let engine = E::Engine::new(&self.params, &spec);
        self.reported_latency = engine.latency();
        self.restart_requested = false;
        context.set_latency_samples(self.reported_latency);
        self.editor_data.set_rate_and_latency(config.sample_rate, engine.latency());
        self.engine = Some(engine);
        self.sample_rate = config.sample_rate;
        self.first_block_pending = true;
        self.notes.reset();
        self.wake();
        if let Some(tap) = &mut self.recorder {
            let count = |c: Option<NonZeroU32>| c.map_or(0, |c| c.get() as usize);
            tap.start(crate::record::Format {
                sample_rate: config.sample_rate.round() as u32,
                outputs: count(layout.main_output_channels),
                inputs: count(layout.main_input_channels),
                sidechain: layout.aux_input_ports.first().map_or(0, |c| c.get() as usize),
                max_block: config.max_buffer_size as usize,
            });
        }
        true
    }

    fn deactivate(&mut self) {
        // Dropping here (not real-time) frees the engine's memory.
        if let Some(mut engine) = self.engine.take() {
            engine.deactivate(&self.params);
        }
    }

    fn reset(&mut self) {
        // The engine is reset by the first block (see the module doc).
        self.first_block_pending = true;
        self.wake();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // The standalone's ALSA watchdog: a sign of life (one relaxed atomic add, nothing else).
        crate::standalone::BLOCKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(tap) = &mut self.recorder else {
            return self.process_block(buffer, aux, context);
        };
        // `--record`: the inputs as they arrive, the outputs as they leave (every return of
        // `process_block`, idle silence included), wait-free (see `crate::record`).
        let len = buffer.samples();
        tap.before(buffer.as_slice_immutable(), aux.inputs.first().map(|b| b.as_slice_immutable()), len);
        let status = self.process_block(buffer, aux, context);
        if let Some(tap) = &mut self.recorder {
            tap.after(buffer.as_slice_immutable(), len);
        }
        status
    }
}

impl<E: Effect, const INSTANCE: u8> EffectPlugin<E, INSTANCE> {
    /// `process` proper: everything but the recording tap.
    fn process_block(
        &mut self,
        buffer: &mut Buffer,
        aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(engine) = &mut self.engine else {
            return ProcessStatus::Error("process called before activate");
        };
        let _ftz = ScopedFlushDenormals::new();
        let transport = TransportInfo::from_transport(context.transport());
        let main = buffer.as_slice();
        let len = main.iter().map(|c| c.len()).min().unwrap_or(0);
        if self.first_block_pending && len > 0 {
            self.first_block_pending = false;
            for ptr in &self.param_ptrs {
                // SAFETY: the pointers point into `self.params`, which this plugin keeps alive.
                unsafe { ptr._internal_update_smoother(self.sample_rate, true) };
            }
            engine.reset(&self.params);
            self.notes.reset();
        }
        // The block's first note event, if any: events wake an idle engine.
        let mut pending_event = context.next_event();
        let channels = main.len().min(MAX_CHANNELS);
        let sidechain = aux.inputs.first_mut().map(|b| b.as_slice());
        let input_silent = main.iter().all(|c| is_silent(&c[..len]))
            && sidechain.as_ref().is_none_or(|sc| sc.iter().all(|c| is_silent(&c[..len.min(c.len())])));
        if !input_silent || pending_event.is_some() {
            self.wake();
        } else if self.idle {
            if self.params_changed() {
                self.wake();
            } else {
                // Idle: silence, without the engine.
                for c in main.iter_mut() {
                    c[..len].fill(0.0);
                }
                if let Some(data) = self.editor_data.is_open().then_some(&*self.editor_data) {
                    data.publish_input(main, len);
                    data.publish(main, len);
                }
                return ProcessStatus::Normal;
            }
        }
        let engine = self.engine.as_mut().expect("checked above");
        let editor = self.editor_data.is_open().then_some(&*self.editor_data);
        if let Some(data) = editor {
            data.publish_input(main, len);
        }
        let mut start = 0;
        let mut splits = 0;
        // Every pass advances by at least one sample: at most `len` passes.
        while start < len {
            // Every event due by this sample (all of them once the splits are used up), then the
            // chunk runs to the next one.
            while let Some(event) = pending_event {
                if event.timing() as usize > start && splits < MAX_NOTE_SPLITS {
                    break;
                }
                self.notes.apply(&event);
                pending_event = context.next_event();
            }
            let mut end = len.min(start + MAX_CHUNK);
            if let Some(event) = &pending_event {
                let at = event.timing() as usize;
                if at < end {
                    end = at;
                    splits += 1;
                }
            }
            let mut chunk: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (slot, ch) in chunk.iter_mut().zip(main.iter_mut()) {
                *slot = &mut ch[start..end];
            }
            let mut side: [&[f32]; MAX_CHANNELS] = [&[]; MAX_CHANNELS];
            let side_channels = match &sidechain {
                Some(sc) => {
                    for (slot, ch) in side.iter_mut().zip(sc.iter()) {
                        *slot = ch.get(start..end).unwrap_or(&[]);
                    }
                    sc.len().min(MAX_CHANNELS)
                }
                None => 0,
            };
            // Made per chunk: `context` also hands out the note events between chunks.
            let mut send = |task| context.execute_background(task);
            let mut io = ProcessIo {
                main: &mut chunk[..channels],
                sidechain: sidechain.is_some().then_some(&side[..side_channels]),
                transport: transport.advanced(start, self.sample_rate),
                background: &mut send,
                editor,
                notes: &self.notes,
            };
            engine.process(&self.params, &mut io);
            start = end;
        }
        // Events at or past the block's end (hosts clamp timings to the block; this is a guard).
        while let Some(event) = pending_event {
            self.notes.apply(&event);
            pending_event = context.next_event();
        }
        if let Some(data) = editor {
            data.publish(main, len);
            data.set_rate_and_latency(self.sample_rate, engine.latency());
        }
        let latency = engine.latency();
        let tail = engine.tail(&self.params);
        if input_silent && len > 0 {
            self.silent_input += len as u64;
            let quiet = main.iter().all(|c| c[..len].iter().all(|y| y.abs() <= IDLE_QUIET));
            self.quiet_output = if quiet { self.quiet_output + len as u64 } else { 0 };
            let tail_samples = match tail {
                ProcessStatus::Tail(n) => u64::from(n),
                ProcessStatus::KeepAlive => u64::MAX,
                _ => 0,
            };
            let hold = (IDLE_HOLD_SECONDS * self.sample_rate) as u64 + u64::from(latency);
            // A tail the engine calls infinite (a self-oscillating filter, a frozen reverb) is
            // over when the output has stayed quiet as long, from silent input: it is at rest.
            let tail_over = tail_samples == u64::MAX || self.silent_input >= tail_samples;
            if tail_over && self.quiet_output >= hold {
                self.go_idle();
            }
        }
        if latency != self.reported_latency {
            if context.plugin_api() == PluginApi::Clap {
                // Reported by the next activation (see the module doc).
                if !self.restart_requested {
                    self.restart_requested = true;
                    context.request_restart();
                }
            } else {
                self.reported_latency = latency;
                context.set_latency_samples(latency);
            }
        }
        if self.idle {
            ProcessStatus::Normal
        } else {
            tail
        }
    }
}

/// True when every sample is 0 or subnormal: what hosts send for silence.
fn is_silent(samples: &[f32]) -> bool {
    samples.iter().all(|x| x.abs() < f32::MIN_POSITIVE)
}

impl<E: Effect, const INSTANCE: u8> EffectPlugin<E, INSTANCE> {
    /// Leave idle (or stay awake), counting silence from now.
    fn wake(&mut self) {
        self.idle = false;
        self.silent_input = 0;
        self.quiet_output = 0;
    }

    /// Stop calling the engine; remember the parameters, so that a change wakes it.
    fn go_idle(&mut self) {
        self.idle = true;
        for (value, ptr) in self.idle_values.iter_mut().zip(&self.param_ptrs) {
            // SAFETY: the pointers point into `self.params`, which this plugin keeps alive.
            *value = unsafe { ptr.unmodulated_normalized_value() };
        }
    }

    /// Whether a parameter differs from when the engine went idle.
    fn params_changed(&self) -> bool {
        self.idle_values.iter().zip(&self.param_ptrs).any(|(&value, ptr)| {
            // SAFETY: as in `go_idle`.
            unsafe { ptr.unmodulated_normalized_value() != value }
        })
    }
}

impl<E: Effect, const INSTANCE: u8> ClapPlugin for EffectPlugin<E, INSTANCE> {
    const CLAP_ID: &'static str = E::CLAP_ID;
    const CLAP_DESCRIPTION: Option<&'static str> = Some(E::DESCRIPTION);
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = E::CLAP_FEATURES;
}

impl<E: Effect, const INSTANCE: u8> Vst3Plugin for EffectPlugin<E, INSTANCE> {
    const VST3_CLASS_ID: [u8; 16] = E::VST3_CLASS_ID;
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = E::VST3_SUBCATEGORIES;
}

impl<E: Effect, const INSTANCE: u8> crate::cli::FerritePlugin for EffectPlugin<E, INSTANCE> {
    const CLI_NAME: &'static str = E::CLI_NAME;

    fn load_impulse_response(&mut self, path: &Path) -> anyhow::Result<()> {
        E::load_impulse_response(&self.params, path)
    }

    fn check_render(&self, has_ir: bool) -> anyhow::Result<()> {
        E::check_render(&self.params, has_ir)
    }

    fn run_standalone(instance: u8, args: Vec<String>) -> bool {
        crate::standalone::run_instance::<E>(instance, args)
    }

    fn factory_presets() -> &'static [crate::presets::FactoryPreset] {
        E::FACTORY_PRESETS
    }
}
