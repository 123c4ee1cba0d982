//! A silent plugin goes idle (plugins/common/src/effect.rs, "Idle"), for every plugin: after
//! the input falls silent, once the reported tail has passed and the output has stayed below
//! −120 dBFS for a second, `process` stops calling the engine, writes exact silence and tells
//! the host it may sleep (`ProcessStatus::Normal`), without allocating. Sound wakes it and
//! continues as an instance that never idled would (the state left is inaudible); a parameter change wakes
//! it during the silence, so a switch of a discrete setting is over before the next note
//! instead of fading it in; a sound that does not stop (a frozen reverb, a self-oscillating
//! filter) keeps it awake.

use ferrite_plugin_common::effect::{Effect, EffectPlugin, IDLE_HOLD_SECONDS};
use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};
use ferrite_plugin_common::settings;
use ferrite_test_kit::alloc::count;
use ferrite_tests::music_like;
use nice_plug::prelude::*;

ferrite_test_kit::counting_allocator!();

const SR: f32 = 48_000.0;
const BLOCK: usize = 512;

struct Run<E: Effect> {
    host: OfflineHost<EffectPlugin<E>>,
    channels: usize,
}

impl<E: Effect> Run<E> {
    fn new(sets: &[&str]) -> Self {
        let mut host = OfflineHost::<EffectPlugin<E>>::new();
        let parsed: Vec<_> = sets.iter().map(|t| settings::parse_setting(host.params().as_ref(), t).unwrap()).collect();
        settings::apply(host.params().as_ref(), &parsed);
        host.activate(layout_for_channels::<EffectPlugin<E>>(2).unwrap(), SR, BLOCK).unwrap();
        Self { host, channels: 2 }
    }

    /// Process `input` (per channel; the sidechain gets the first channel) block by block:
    /// the output and the last status.
    fn feed(&mut self, input: &[Vec<f32>]) -> (Vec<Vec<f32>>, ProcessStatus) {
        let (out, status, _) = self.feed_counted(input);
        (out, status)
    }

    /// [`Self::feed`], counting the allocator calls of the plugin's `process` calls only.
    fn feed_counted(&mut self, input: &[Vec<f32>]) -> (Vec<Vec<f32>>, ProcessStatus, usize) {
        let frames = input[0].len();
        let mut out = vec![Vec::with_capacity(frames); self.channels];
        let (mut status, mut events) = (ProcessStatus::Normal, 0);
        let mut pos = 0;
        while pos < frames {
            let len = BLOCK.min(frames - pos);
            let (main, aux) = self.host.buffers_mut();
            for (buf, src) in main.iter_mut().zip(input) {
                buf[..len].copy_from_slice(&src[pos..pos + len]);
            }
            for buf in aux.iter_mut().flatten() {
                buf[..len].copy_from_slice(&input[0][pos..pos + len]);
            }
            let (s, counts) = count(|| self.host.process(len));
            status = s;
            events += counts.events();
            let (main, _) = self.host.buffers_mut();
            for (o, buf) in out.iter_mut().zip(main.iter()) {
                o.extend_from_slice(&buf[..len]);
            }
            pos += len;
        }
        (out, status, events)
    }

    /// Feed silence block by block until the plugin is idle; how many samples that took (None
    /// if not within `limit` seconds).
    fn until_idle(&mut self, limit: f32) -> Option<usize> {
        let silence = vec![vec![0.0f32; BLOCK]; self.channels];
        let mut fed = 0;
        while fed < (limit * SR) as usize {
            let (out, _) = self.feed(&silence);
            fed += BLOCK;
            // The block that decides to go idle is still the engine's; the next ones are not.
            let _ = out;
            if self.host.plugin().is_idle() {
                let (out, _) = self.feed(&silence);
                assert!(out.iter().flatten().all(|&y| y == 0.0), "idle output must be exact silence");
                return Some(fed);
            }
        }
        None
    }
}

fn tail_seconds(status: ProcessStatus) -> f32 {
    match status {
        ProcessStatus::Tail(n) => n as f32 / SR,
        _ => 0.0,
    }
}

/// Defaults: idle after the tail plus the hold; silent blocks while idle allocate nothing and
/// report `Normal`; sound wakes it and is processed as by an instance that never idled.
fn goes_idle_and_wakes<E: Effect>(sets: &[&str]) {
    let name = E::NAME;
    let music = music_like(2, SR as usize, SR, 0.8, 7);
    let mut run = Run::<E>::new(sets);
    let (_, status) = run.feed(&music);
    assert!(!run.host.plugin().is_idle(), "{name}: idle while sounding");
    let tail = tail_seconds(status);
    let took = run.until_idle(tail + IDLE_HOLD_SECONDS + 2.0).unwrap_or_else(|| panic!("{name}: never idle"));
    let took_s = took as f32 / SR;
    assert!(took_s >= tail.min(IDLE_HOLD_SECONDS), "{name}: idle after {took_s} s, before its tail ({tail} s)");
    // While idle: silence, no allocation, and the host may sleep.
    let silence = vec![vec![0.0f32; BLOCK]; 2];
    let (out, status, events) = run.feed_counted(&silence);
    assert_eq!(events, 0, "{name}: allocation while idle");
    assert!(matches!(status, ProcessStatus::Normal), "{name}: idle must tell the host it may sleep");
    assert!(out.iter().flatten().all(|&y| y == 0.0));
    assert!(run.host.plugin().is_idle());
    // Sound again: awake at once, continuing exactly where the engine stopped: what an instance
    // that never idled makes of it after as much silence as the idling one processed (one fed
    // 1e-20 instead of silence, which keeps its engine running). The engine's own state is all
    // that carries over; only the 1e-20 the other instance took in differs.
    let again = music_like(2, SR as usize / 2, SR, 0.8, 8);
    let (woke, _, events) = run.feed_counted(&again);
    assert_eq!(events, 0, "{name}: allocation when waking");
    assert!(!run.host.plugin().is_idle());
    let mut awake = Run::<E>::new(sets);
    awake.feed(&music);
    awake.feed(&vec![vec![1e-20f32; took]; 2]);
    assert!(!awake.host.plugin().is_idle());
    let (want, _) = awake.feed(&again);
    let err = woke.iter().flatten().zip(want.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    let peak = want.iter().flatten().map(|y| y.abs()).fold(0.0, f32::max);
    assert!(peak > 0.01, "{name}: silent reference");
    let at = woke[0].iter().zip(&want[0]).position(|(a, b)| (a - b).abs() >= err * 0.99);
    assert!(err < 1e-6, "{name} {sets:?}: after idling (at {took_s} s) the output differs from an instance that never idled by {err} (at sample {at:?})");
}

#[test]
fn every_plugin_goes_idle_in_silence_and_wakes_with_sound() {
    // Settings whose output does not depend on a free-running phase (LFOs, the internal
    // carrier), so that the instance that idled and a fresh one can be compared sample by sample.
    goes_idle_and_wakes::<ferrite_ring::RingEffect>(&["carrier=sidechain"]);
    goes_idle_and_wakes::<ferrite_vcf::VcfEffect>(&[]);
    goes_idle_and_wakes::<ferrite_phaser::PhaserEffect>(&["lfo_depth=0"]);
    for algorithm in ["freeverb", "hall", "plate"] {
        goes_idle_and_wakes::<ferrite_reverb::ReverbEffect>(&[&format!("algorithm={algorithm}"), "modulation=0"]);
    }
}

#[test]
fn every_plugin_goes_idle_at_its_defaults() {
    fn at_defaults<E: Effect>() {
        let mut run = Run::<E>::new(&[]);
        run.feed(&music_like(2, SR as usize / 2, SR, 0.8, 3));
        assert!(run.until_idle(30.0).is_some(), "{}: never idle at its defaults", E::NAME);
    }
    at_defaults::<ferrite_ring::RingEffect>();
    at_defaults::<ferrite_vcf::VcfEffect>();
    at_defaults::<ferrite_phaser::PhaserEffect>();
    at_defaults::<ferrite_reverb::ReverbEffect>();
}

#[test]
fn a_parameter_change_while_idle_is_done_before_the_next_sound() {
    // The oversampling factor switches behind a fade; changed while idle, the switch and its
    // fade happen in the silence, and the next sound starts at full level.
    let mut run = Run::<ferrite_vcf::VcfEffect>::new(&[]);
    run.feed(&music_like(2, SR as usize / 4, SR, 0.8, 1));
    run.until_idle(10.0).expect("idle");
    let index = run.host.param_ptrs().iter().position(|(id, _)| id == "oversampling").unwrap();
    // 4x (of 1x, 2x, 4x, 8x).
    run.host.set_normalized(index, 2.0 / 3.0);
    let silence = vec![vec![0.0f32; BLOCK]; 2];
    run.feed(&silence);
    assert!(!run.host.plugin().is_idle(), "a parameter change must wake the engine");
    run.until_idle(10.0).expect("idle again once the switch is over");
    let note = music_like(2, SR as usize / 4, SR, 0.8, 2);
    let (got, _) = run.feed(&note);
    let mut fresh = Run::<ferrite_vcf::VcfEffect>::new(&["oversampling=4x"]);
    let (want, _) = fresh.feed(&note);
    let err = got.iter().flatten().zip(want.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(err < 1e-4, "the note after the change differs from a fresh 4x instance by {err} (a fade at its start?)");
}

#[test]
fn a_sound_that_does_not_stop_keeps_the_engine_awake() {
    // A frozen reverb holds its tail; a self-oscillating filter sings on after the input stops.
    let cases: Vec<Box<dyn Fn() -> bool>> = vec![
        Box::new(|| {
            let mut run = Run::<ferrite_reverb::ReverbEffect>::new(&["mix=1"]);
            run.feed(&music_like(2, SR as usize / 2, SR, 0.8, 4));
            let freeze = run.host.param_ptrs().iter().position(|(id, _)| id == "freeze").unwrap();
            run.host.set_normalized(freeze, 1.0);
            run.until_idle(5.0).is_none()
        }),
        Box::new(|| {
            let mut run = Run::<ferrite_vcf::VcfEffect>::new(&["resonance=9", "oversampling=1x"]);
            run.feed(&music_like(2, SR as usize / 2, SR, 0.8, 4));
            run.until_idle(5.0).is_none()
        }),
    ];
    for (i, case) in cases.iter().enumerate() {
        assert!(case(), "case {i}: went idle while sounding");
    }
}


