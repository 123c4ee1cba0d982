//! Preparing impulse responses off the audio thread: whenever the IR in the state changes (a
//! loaded file, a restored project), the background task resamples it to the host rate,
//! normalises it, builds its convolver and hands it to the audio thread over the current
//! activation's wait-free queue; the audio thread never allocates or locks for it.

use std::sync::Mutex;

use ferrite_dsp::reverb::convolution::{normalize_ir, resample_ir, Convolver, ConvolverLoader};
use nice_plug::prelude::*;

use crate::ir::{IrData, IrSlot};

/// What the background thread does for the plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReverbTask {
    /// Build a convolver for the IR now in the state and send it to the audio thread (or send
    /// "no IR" when the state has none).
    PrepareImpulseResponse,
}

/// The background side of the hand-over, shared by the engine (which replaces it at every
/// activation) and the background task.
#[derive(Default)]
pub struct IrLoading {
    /// The current activation's loader and its host sample rate (the rate IRs are resampled
    /// to), together so a task never pairs one activation's loader with another's rate. Locked
    /// only off the audio thread.
    loader: Mutex<Option<(ConvolverLoader, f32)>>,
}

impl IrLoading {
    /// Use `loader` for IRs at `host_rate` from now on (`None`: no activation).
    pub fn set(&self, loader: Option<(ConvolverLoader, f32)>) {
        *self.loader.lock().unwrap_or_else(|e| e.into_inner()) = loader;
    }

    /// The background task: prepare the IR in `slot` and send it over the current loader.
    pub fn prepare(&self, slot: &IrSlot) {
        let (ir, _) = slot.snapshot();
        let mut guard = self.loader.lock().unwrap_or_else(|e| e.into_inner());
        let Some((loader, host_rate)) = guard.as_mut() else { return };
        let host_rate = *host_rate;
        // Free what the audio thread has retired since the last time.
        loader.collect_garbage();
        let mut message = match &ir {
            Some(ir) => match build_convolver(ir, host_rate, loader.max_block()) {
                Ok(c) => Some(c),
                Err(e) => {
                    nice_error!("Ferrite Reverb: cannot prepare the impulse response {}: {e}", ir.path);
                    return;
                }
            },
            None => None,
        };
        // The queue holds a few messages; if the audio thread is not running (suspended), give
        // up after a second: the next activation installs the IR directly.
        for _ in 0..100 {
            match loader.send(message) {
                Ok(()) => return,
                Err(back) => message = back,
            }
            loader.collect_garbage();
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// Resample `ir` to `host_rate`, normalise it and build its convolver (off the audio thread).
pub fn build_convolver(ir: &IrData, host_rate: f32, max_block: usize) -> Result<Box<Convolver>, String> {
    // The resampler works between whole-number rates; a host at a fractional rate gets the IR
    // at the nearest whole rate (a pitch difference far below audibility).
    let mut channels = resample_ir(&ir.channels, ir.sample_rate.round(), (host_rate as f64).round())?;
    normalize_ir(&mut channels);
    let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    Ok(Box::new(Convolver::new(&slices, max_block)))
}
