//! Note input for effects that can be played: the monophonic note state the skeleton keeps from
//! the host's note events ([`NoteState`], last-note priority), and a glide in pitch ([`Glide`])
//! the engines use to move a frequency to a note without zipper noise.
//!
//! An effect opts in with [`crate::effect::Effect::MIDI_INPUT`]; the skeleton then applies every
//! note event at its sample (it splits the chunk there) and hands the engine the state as it
//! stands for the chunk ([`crate::effect::ProcessIo::notes`]). Everything here is fixed-size: no
//! allocation, no locks.

use nice_plug::prelude::NoteEvent;

/// Notes held at once that the state remembers for last-note priority: a note released while
/// others are held falls back to the most recent of them. Beyond this many held notes the
/// oldest is forgotten (it still plays if it is the latest).
pub const MAX_HELD_NOTES: usize = 16;

/// The MIDI key of A4 (440 Hz), for [`key_to_hz`].
pub const A4_KEY: f32 = 69.0;
/// The frequency of A4, Hz.
pub const A4_HZ: f32 = 440.0;

/// Frequency of a (fractional) MIDI key, equal temperament, A4 = 440 Hz.
pub fn key_to_hz(key: f32) -> f32 {
    A4_HZ * ((key - A4_KEY) / 12.0).exp2()
}

/// The monophonic note state of an effect: which key sounds (the last one played, held after
/// its release, as a musician expects of a mono synth's pitch), whether any key is down, and
/// the pitch wheel. Channels are merged (omni).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoteState {
    /// Keys held, oldest first (`held[..held_count]`).
    held: [u8; MAX_HELD_NOTES],
    /// How many of `held` are in use.
    held_count: usize,
    /// The key that sounds: the latest held key, or the last one played when none is held;
    /// `None` until the first note-on since the last reset.
    key: Option<u8>,
    /// Velocity of the latest note-on, 0 to 1.
    velocity: f32,
    /// Pitch wheel, −1 (full down) … 0 (centre, exactly) … +1 (full up).
    bend: f32,
    /// Note-ons since the last reset (wrapping), so an engine can tell a new note from a held one.
    note_ons: u32,
}

impl Default for NoteState {
    fn default() -> Self {
        Self { held: [0; MAX_HELD_NOTES], held_count: 0, key: None, velocity: 0.0, bend: 0.0, note_ons: 0 }
    }
}

impl NoteState {
    /// The key that sounds (MIDI number, 60 = C4): the last note played, held after its release;
    /// `None` before any note.
    pub fn key(&self) -> Option<u8> {
        self.key
    }

    /// Whether any key is down (for gating).
    pub fn gate(&self) -> bool {
        self.held_count > 0
    }

    /// Velocity of the latest note-on, 0 to 1.
    pub fn velocity(&self) -> f32 {
        self.velocity
    }

    /// The pitch wheel, −1 … +1 (0 at the centre, exactly); the engine scales it by its bend range.
    pub fn bend(&self) -> f32 {
        self.bend
    }

    /// Note-ons since the last reset (wrapping).
    pub fn note_ons(&self) -> u32 {
        self.note_ons
    }

    /// Forget every note and centre the wheel (activation, reset).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Apply one event. Returns whether it was one the state uses (notes, the pitch wheel, the
    /// all-notes-off controllers); everything else is ignored.
    pub fn apply<S>(&mut self, event: &NoteEvent<S>) -> bool {
        match *event {
            // A note-on with velocity 0 arrives as a note-off from nice-plug's MIDI parser.
            NoteEvent::NoteOn { key, velocity, .. } => {
                self.press(key.number_or_middle_c().min(127), velocity);
                true
            }
            NoteEvent::NoteOff { key, .. } | NoteEvent::Choke { key, .. } => {
                match key.number() {
                    Some(k) => self.release(k),
                    // A wildcard release (CLAP): every key.
                    None => self.held_count = 0,
                }
                true
            }
            NoteEvent::MidiPitchBend { value, .. } => {
                self.bend = bend_from_normalized(value);
                true
            }
            // All sound off (120), all notes off (123): release every key; the pitch stays.
            NoteEvent::MidiCC { cc: 120 | 123, .. } => {
                self.held_count = 0;
                true
            }
            _ => false,
        }
    }

    /// A key goes down: it sounds, and is remembered as the latest held.
    fn press(&mut self, key: u8, velocity: f32) {
        self.remove_held(key);
        if self.held_count == MAX_HELD_NOTES {
            self.held.copy_within(1.., 0);
            self.held_count -= 1;
        }
        self.held[self.held_count] = key;
        self.held_count += 1;
        self.key = Some(key);
        self.velocity = if velocity.is_finite() { velocity.clamp(0.0, 1.0) } else { 0.0 };
        self.note_ons = self.note_ons.wrapping_add(1);
    }

    /// A key comes up: if it was sounding and others are held, the latest of them sounds.
    fn release(&mut self, key: u8) {
        self.remove_held(key);
        if let Some(&latest) = self.held[..self.held_count].last() {
            self.key = Some(latest);
        }
    }

    fn remove_held(&mut self, key: u8) {
        if let Some(i) = self.held[..self.held_count].iter().position(|&k| k == key) {
            self.held.copy_within(i + 1..self.held_count, i);
            self.held_count -= 1;
        }
    }
}

/// The pitch wheel from nice-plug's normalized value (0 … 1, the 14-bit MIDI value / 16383) to
/// −1 … +1 with the MIDI centre 8192 at exactly 0 (0.5 is 8191.5 on the 14-bit scale, which
/// would leave a tiny permanent bend): −1 at 0, +8191/8192 at the top, as MIDI defines it.
pub fn bend_from_normalized(value: f32) -> f32 {
    if !value.is_finite() {
        return 0.0;
    }
    let raw = (value.clamp(0.0, 1.0) * 16383.0).round();
    (raw - 8192.0) / 8192.0
}

/// A value that moves to its target linearly over a set time (in whatever unit the engine
/// glides in: semitones for a pitch, so a glide sounds even over any interval), sample by
/// sample. Re-targeting starts a new glide of the full time from where the value is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Glide {
    current: f32,
    target: f32,
    step: f32,
    remaining: u32,
}

impl Glide {
    /// At rest at `value`.
    pub fn new(value: f32) -> Self {
        Self { current: value, target: value, step: 0.0, remaining: 0 }
    }

    /// Jump to `value` and stay there.
    pub fn reset(&mut self, value: f32) {
        *self = Self::new(value);
    }

    /// Glide to `target` over `samples` samples (at once for 0). The same target again changes
    /// nothing, so calling this every chunk with the current target is cheap and keeps a glide
    /// going.
    pub fn set_target(&mut self, target: f32, samples: u32) {
        if target == self.target || !target.is_finite() {
            return;
        }
        self.target = target;
        if samples == 0 {
            self.current = target;
            self.remaining = 0;
        } else {
            self.step = (target - self.current) / samples as f32;
            self.remaining = samples;
        }
    }

    /// The value now.
    pub fn value(&self) -> f32 {
        self.current
    }

    /// Where it is going.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// Whether it is still moving.
    pub fn is_moving(&self) -> bool {
        self.remaining > 0
    }

    /// The next sample's value.
    #[inline]
    pub fn next(&mut self) -> f32 {
        if self.remaining > 0 {
            self.remaining -= 1;
            self.current = if self.remaining == 0 { self.target } else { self.current + self.step };
        }
        self.current
    }

    /// Fill `out` with the next values.
    pub fn fill(&mut self, out: &mut [f32]) {
        if self.remaining == 0 {
            out.fill(self.current);
        } else {
            for v in out.iter_mut() {
                *v = self.next();
            }
        }
    }
}

/// Samples in `ms` milliseconds at `sample_rate` (0 for a non-positive time).
pub fn ms_to_samples(ms: f32, sample_rate: f32) -> u32 {
    let n = ms * 1e-3 * sample_rate;
    if n.is_finite() && n > 0.0 { n.round().min(u32::MAX as f32) as u32 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nice_plug::midi::{Channel, Key, VoiceID};

    fn on(key: u8) -> NoteEvent<()> {
        NoteEvent::NoteOn { timing: 0, voice_id: VoiceID::Wildcard, channel: Channel::Number(0), key: Key::Number(key), velocity: 0.8 }
    }
    fn off(key: u8) -> NoteEvent<()> {
        NoteEvent::NoteOff { timing: 0, voice_id: VoiceID::Wildcard, channel: Channel::Number(0), key: Key::Number(key), velocity: 0.0 }
    }

    #[test]
    fn last_note_priority_falls_back_to_held_keys_and_holds_the_last_note() {
        let mut s = NoteState::default();
        assert_eq!(s.key(), None);
        s.apply(&on(60));
        s.apply(&on(64));
        s.apply(&on(67));
        assert_eq!((s.key(), s.gate()), (Some(67), true));
        s.apply(&off(64)); // not sounding: nothing changes
        assert_eq!(s.key(), Some(67));
        s.apply(&off(67)); // back to the latest still held
        assert_eq!(s.key(), Some(60));
        s.apply(&off(60)); // none held: the last note stays
        assert_eq!((s.key(), s.gate()), (Some(60), false));
        assert_eq!(s.note_ons(), 3);
        // More keys than remembered: the oldest are forgotten, the latest still falls back.
        for k in 0..40 {
            s.apply(&on(k));
        }
        s.apply(&off(39));
        assert_eq!(s.key(), Some(38));
    }

    #[test]
    fn the_wheel_centre_is_exactly_zero_and_the_ends_are_plus_minus_one() {
        assert_eq!(bend_from_normalized(8192.0 / 16383.0), 0.0);
        assert_eq!(bend_from_normalized(0.5), 0.0);
        assert_eq!(bend_from_normalized(0.0), -1.0);
        assert_eq!(bend_from_normalized(1.0), 8191.0 / 8192.0);
        assert_eq!(bend_from_normalized(f32::NAN), 0.0);
    }

    #[test]
    fn a_glide_reaches_its_target_in_the_set_time() {
        let mut g = Glide::new(0.0);
        g.set_target(12.0, 100);
        let mut out = [0.0; 100];
        g.fill(&mut out);
        assert_eq!(out[99], 12.0);
        assert!((out[49] - 6.0).abs() < 1e-4);
        assert!(!g.is_moving());
        g.set_target(0.0, 0);
        assert_eq!(g.next(), 0.0);
        assert_eq!(key_to_hz(69.0), 440.0);
        assert_eq!(key_to_hz(57.0), 220.0);
    }
}
