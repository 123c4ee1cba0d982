//! Lock-free, allocation-free hand-over of new convolvers to the audio thread.
//!
//! ```text
//!  background thread                          audio thread
//!  ConvolverLoader ── Option<Box<Convolver>> ──▶ ConvolutionReverb   (SPSC queue, rtrb)
//!        ▲                                           │
//!        └──────────── retired Box<Convolver> ◀──────┘               (SPSC queue, rtrb)
//! ```
//!
//! The background side builds a `Box<Convolver>` (all allocation happens there) and pushes it;
//! `None` removes the IR. The audio side pops a message only when no crossfade is running and
//! no retired convolver is waiting, so it holds at most three convolvers (current, fading,
//! waiting to be returned). The switch is an equal-power crossfade of [`CROSSFADE_SECONDS`]
//! (`g_old = cos(π/2·p)`, `g_new = sin(π/2·p)`, `p` from 0 to 1), during which both convolvers
//! run on the same input; reverb tails of different IRs are largely uncorrelated, so equal power
//! keeps the wet level steady. The old convolver is then pushed onto the return queue, to be
//! dropped by [`ConvolverLoader::collect_garbage`]; if that queue is full it is kept until there
//! is room. Nothing is ever deallocated on the audio thread.
//!
//! Every convolver has zero latency, so the reported latency never changes.

use super::Convolver;
use crate::model::{Model, ProcessSpec};
use crate::reverb::StereoInput;
use rtrb::{Consumer, Producer, RingBuffer};

/// Crossfade length between convolvers (20 ms: long enough to be click-free, short enough to
/// feel immediate).
pub const CROSSFADE_SECONDS: f32 = 0.02;

/// Capacity of the queue towards the audio thread (loads faster than the audio side switches
/// are refused with the convolver handed back, so the loader can retry or discard).
const INCOMING_CAPACITY: usize = 4;
/// Capacity of the return queue.
const RETURN_CAPACITY: usize = 8;
/// Samples per crossfade chunk (the old convolver's output goes to a stack buffer this long).
const FADE_CHUNK: usize = 256;

/// The audio-thread side: owns the running convolver(s).
pub struct ConvolutionReverb {
    /// The convolver whose output is heard (None: no IR, silence).
    current: Option<Box<Convolver>>,
    /// The convolver being faded out during a crossfade (None: fading from silence).
    fading_out: Option<Box<Convolver>>,
    /// True while a crossfade is running.
    fading: bool,
    /// Crossfade position in samples, 0..fade_len.
    fade_pos: u32,
    /// Crossfade length in samples.
    fade_len: u32,
    /// Retired convolvers waiting for room in the return queue (one is all that can occur).
    retired: [Option<Box<Convolver>>; 2],
    /// New convolvers from the loader.
    incoming: Consumer<Option<Box<Convolver>>>,
    /// Retired convolvers back to the loader.
    outgoing: Producer<Box<Convolver>>,
    /// The background side, until the owner takes it ([`ConvolutionReverb::take_loader`]).
    loader: Option<ConvolverLoader>,
    /// A copy of the input of an in-place `process` call (see [`StereoInput`]).
    input: StereoInput,
}

/// The background side: builds convolvers, sends them, drops the retired ones.
pub struct ConvolverLoader {
    /// Towards the audio thread.
    outgoing: Producer<Option<Box<Convolver>>>,
    /// Retired convolvers from the audio thread.
    returned: Consumer<Box<Convolver>>,
    /// Passed on to [`Convolver::new`].
    max_block: usize,
}

impl ConvolutionReverb {
    /// The background side of the hand-over (once: later calls get `None`). Whoever builds
    /// convolvers for this reverb (a background thread) keeps it.
    pub fn take_loader(&mut self) -> Option<ConvolverLoader> {
        self.loader.take()
    }

    /// Heap memory of the convolvers held (the current one and one fading out), bytes.
    pub fn memory_bytes(&self) -> usize {
        let convolvers = self.current.iter().chain(self.fading_out.iter()).map(|c| c.memory_bytes()).sum::<usize>();
        convolvers + self.input.memory_bytes()
    }

    /// Put `convolver` in place at once, without a crossfade. Not for the audio thread: it drops
    /// the convolvers it replaces. Used before processing starts (plugin activation), so the very
    /// first block already has the IR.
    pub fn install(&mut self, convolver: Box<Convolver>) {
        self.current = Some(convolver);
        self.fading_out = None;
        self.fading = false;
        self.fade_pos = 0;
    }

    /// True when an IR is loaded (the one being faded in counts).
    pub fn has_ir(&self) -> bool {
        self.current.is_some()
    }

    /// True while a crossfade between convolvers runs.
    pub fn is_crossfading(&self) -> bool {
        self.fading
    }

    /// Latency in samples: always 0 (every convolver is zero-latency).
    pub fn latency(&self) -> u32 {
        0
    }

    /// Length of the current IR in samples (0 without one).
    pub fn ir_len(&self) -> usize {
        self.current.as_ref().map_or(0, |c| c.ir_len())
    }

    /// Clear the signal state; a running crossfade is completed at once.
    pub fn reset(&mut self) {
        if let Some(c) = self.current.as_mut() {
            c.reset();
        }
        if self.fading {
            self.finish_fade();
        }
    }

    /// Hand a convolver back to the loader, or keep it while the return queue is full.
    fn retire(&mut self, c: Box<Convolver>) {
        if let Err(rtrb::PushError::Full(c)) = self.outgoing.push(c) {
            match self.retired.iter_mut().find(|slot| slot.is_none()) {
                Some(slot) => *slot = Some(c),
                // Unreachable: a crossfade only starts when both slots are empty and retires one
                // convolver. Leaking is still better than freeing memory on the audio thread.
                None => core::mem::forget(c),
            }
        }
    }

    /// Retry returning the convolvers that found the return queue full.
    fn flush_retired(&mut self) {
        for slot in &mut self.retired {
            if let Some(c) = slot.take() {
                if let Err(rtrb::PushError::Full(c)) = self.outgoing.push(c) {
                    *slot = Some(c);
                    return;
                }
            }
        }
    }

    /// End the crossfade: the old convolver goes back to the loader.
    fn finish_fade(&mut self) {
        self.fading = false;
        self.fade_pos = 0;
        if let Some(old) = self.fading_out.take() {
            self.retire(old);
        }
    }

    /// Process a stereo block (mono: pass the same input twice). Real-time safe.
    fn render(&mut self, in_l: &[f32], in_r: &[f32], out_l: &mut [f32], out_r: &mut [f32]) {
        let len = in_l.len().min(in_r.len()).min(out_l.len()).min(out_r.len());
        out_l[len..].fill(0.0);
        out_r[len..].fill(0.0);

        self.flush_retired();
        if !self.fading && self.retired.iter().all(Option::is_none) && self.fading_out.is_none() {
            if let Ok(next) = self.incoming.pop() {
                self.fading_out = self.current.take();
                self.current = next;
                self.fading = true;
                self.fade_pos = 0;
            }
        }

        let mut done = 0;
        // Each pass consumes at least one sample (fade_pos < fade_len while fading).
        while done < len {
            if !self.fading {
                let (il, ir, ol, or) =
                    (&in_l[done..len], &in_r[done..len], &mut out_l[done..len], &mut out_r[done..len]);
                match self.current.as_mut() {
                    Some(c) => c.process(il, ir, ol, or),
                    None => {
                        ol.fill(0.0);
                        or.fill(0.0);
                    }
                }
                break;
            }
            let n = (len - done).min(FADE_CHUNK).min((self.fade_len - self.fade_pos) as usize);
            let (il, ir) = (&in_l[done..done + n], &in_r[done..done + n]);
            let (ol, or) = (&mut out_l[done..done + n], &mut out_r[done..done + n]);
            let mut old_l = [0.0f32; FADE_CHUNK];
            let mut old_r = [0.0f32; FADE_CHUNK];
            match self.current.as_mut() {
                Some(c) => c.process(il, ir, ol, or),
                None => {
                    ol.fill(0.0);
                    or.fill(0.0);
                }
            }
            if let Some(c) = self.fading_out.as_mut() {
                c.process(il, ir, &mut old_l[..n], &mut old_r[..n]);
            }
            let step = core::f32::consts::FRAC_PI_2 / self.fade_len as f32;
            for i in 0..n {
                let phase = step * (self.fade_pos + 1 + i as u32) as f32;
                let (g_new, g_old) = phase.sin_cos();
                ol[i] = g_new * ol[i] + g_old * old_l[i];
                or[i] = g_new * or[i] + g_old * old_r[i];
            }
            self.fade_pos += n as u32;
            done += n;
            if self.fade_pos >= self.fade_len {
                self.finish_fade();
            }
        }
    }
}

impl Model for ConvolutionReverb {
    /// The IR arrives through the loader ([`ConvolutionReverb::take_loader`]).
    type Control<'a> = ();

    /// A reverb with no IR for `spec.sample_rate` Hz (sets the crossfade length) and blocks of
    /// up to `spec.max_block` samples; its loader is waiting in [`ConvolutionReverb::take_loader`].
    fn prepare(spec: &ProcessSpec) -> Self {
        let (to_audio, incoming) = RingBuffer::new(INCOMING_CAPACITY);
        let (outgoing, returned) = RingBuffer::new(RETURN_CAPACITY);
        let fade_len = (CROSSFADE_SECONDS * spec.sample_rate.clamp(1_000.0, 1_000_000.0)).round().max(1.0) as u32;
        let max_block = spec.max_block.max(1);
        Self {
            current: None,
            fading_out: None,
            fading: false,
            fade_pos: 0,
            fade_len,
            retired: [None, None],
            incoming,
            outgoing,
            loader: Some(ConvolverLoader { outgoing: to_audio, returned, max_block }),
            input: StereoInput::new(max_block),
        }
    }

    fn reset(&mut self) {
        ConvolutionReverb::reset(self);
    }

    fn process(&mut self, audio: &mut [&mut [f32]], _: ()) {
        // Taken out for the call (an empty placeholder, no allocation) so `render` can borrow
        // `self` while the input copy is borrowed too.
        let mut input = core::mem::take(&mut self.input);
        input.run(audio, |in_l, in_r, out_l, out_r| self.render(in_l, in_r, out_l, out_r));
        self.input = input;
    }

    fn memory_bytes(&self) -> usize {
        ConvolutionReverb::memory_bytes(self)
    }
}

impl ConvolverLoader {
    /// Build a convolver for `ir` (channels at the host rate, see [`Convolver::new`]) and send it
    /// to the audio thread. When the queue is full the convolver is handed back in `Err` (retry
    /// after the audio thread has taken the earlier ones, or drop it).
    pub fn load(&mut self, ir: &[&[f32]]) -> Result<(), Box<Convolver>> {
        let c = Box::new(Convolver::new(ir, self.max_block));
        match self.outgoing.push(Some(c)) {
            Err(rtrb::PushError::Full(Some(c))) => Err(c),
            _ => Ok(()),
        }
    }

    /// Send a prepared convolver (`None`: remove the IR, fading to silence). Returns the message
    /// back when the queue is full.
    pub fn send(&mut self, convolver: Option<Box<Convolver>>) -> Result<(), Option<Box<Convolver>>> {
        self.outgoing.push(convolver).map_err(|rtrb::PushError::Full(c)| c)
    }

    /// Remove the IR (the audio side fades to silence). False when the queue is full.
    pub fn clear(&mut self) -> bool {
        self.send(None).is_ok()
    }

    /// The block size convolvers are built for.
    pub fn max_block(&self) -> usize {
        self.max_block
    }

    /// Drop every convolver the audio thread has retired; returns how many were freed.
    pub fn collect_garbage(&mut self) -> usize {
        let mut freed = 0;
        while let Ok(c) = self.returned.pop() {
            drop(c);
            freed += 1;
        }
        freed
    }

    /// Messages sent that the audio thread has not taken yet.
    pub fn pending(&self) -> usize {
        self.outgoing.buffer().capacity() - self.outgoing.slots()
    }
}
