//! No allocation (or free) in `process`, for every plugin: sample rates 44.1 kHz to 192 kHz,
//! block sizes 1, 7, 64, 512 and 4096, mono and stereo, with every parameter moved to a random
//! value before every block (so smoothers run and discrete switches happen), and random input
//! with NaN, infinities, huge values and subnormals mixed in. Plugins that take notes get random
//! note-ons, note-offs, pitch-wheel moves and all-notes-off at random times in every block
//! (sometimes more than the skeleton splits chunks for), so note handling is covered too. Half of the runs have the editor
//! data path open (input and output meters and sample windows, and the engines' readouts,
//! written every block) with an editor thread
//! reading it at the same time.
//!
//! The standalone's `--record` tap (`plugins/common/src/record.rs`) is proved the same way:
//! every plugin with a recording of its outputs and inputs attached, its writer thread
//! draining to files at the same time, and a ring small enough that blocks are also dropped
//! (the overflow path, counted in an atomic) in the same run.

use std::sync::atomic::{AtomicBool, Ordering};

use ferrite_plugin_common::editor_data::Windows;
use ferrite_plugin_common::effect::{Effect, EffectPlugin};
use ferrite_plugin_common::host::OfflineHost;
use ferrite_test_kit::alloc::count;
use ferrite_test_kit::Rng;
use nice_plug::prelude::*;

ferrite_test_kit::counting_allocator!();

const SAMPLE_RATES: [f32; 6] = [44_100.0, 48_000.0, 88_200.0, 96_000.0, 176_400.0, 192_000.0];
const BLOCK_SIZES: [usize; 5] = [1, 7, 64, 512, 4096];

fn check_plugin<E: Effect>() {
    type P<E> = EffectPlugin<E>;
    let mut rng = Rng::new(0xFE77);
    for layout in P::<E>::AUDIO_IO_LAYOUTS {
        for (si, &sample_rate) in SAMPLE_RATES.iter().enumerate() {
            for (bi, &block) in BLOCK_SIZES.iter().enumerate() {
                let mut host = OfflineHost::<P<E>>::new();
                host.activate(*layout, sample_rate, block).unwrap();
                let editor_open = (si + bi) % 2 == 1;
                let data = host.plugin().editor_data().clone();
                data.set_windows(Windows::BOTH);
                data.set_open(editor_open);
                let done = AtomicBool::new(false);
                std::thread::scope(|scope| {
                // An editor reading what the audio thread publishes, as often as it can.
                if editor_open {
                    scope.spawn(|| {
                        let mut window = vec![0.0f32; 2048];
                        while !done.load(Ordering::Relaxed) {
                            let _ = data.take_meters();
                            let _ = data.take_input_meters();
                            let _ = data.latest(&mut window);
                            let _ = data.latest_input(&mut window);
                            let _ = (0..4).map(|slot| data.readout(slot)).sum::<f32>();
                            std::thread::yield_now();
                        }
                    });
                }
                let n_params = host.param_ptrs().len();
                // Enough blocks for parameter switches to complete their fades.
                let blocks = (8192 / block).max(24);
                let mut events = 0;
                for _ in 0..blocks {
                    for p in 0..n_params {
                        host.set_normalized(p, rng.unit());
                    }
                    if E::MIDI_INPUT >= MidiConfig::Basic {
                        let count = if rng.below(10) == 0 { 200 } else { rng.below(6) };
                        for _ in 0..count {
                            host.push_event(random_note_event(&mut rng, block));
                        }
                    }
                    let (main, aux) = host.buffers_mut();
                    for buf in main.iter_mut().chain(aux.iter_mut().flatten()) {
                        for s in buf[..block].iter_mut() {
                            *s = match rng.below(200) {
                                0 => f32::NAN,
                                1 => f32::INFINITY,
                                2 => -1e30,
                                3 => 1e-41,
                                _ => rng.signed(),
                            };
                        }
                    }
                    let (status, counts) = count(|| host.process(block));
                    assert!(!matches!(status, ProcessStatus::Error(_)), "{}: {status:?}", E::NAME);
                    events += counts.events();
                    let (main, _) = host.buffers_mut();
                    assert!(main.iter().all(|c| c[..block].iter().all(|s| s.is_finite())), "{}: non-finite output", E::NAME);
                }
                done.store(true, Ordering::Relaxed);
                assert_eq!(
                    events, 0,
                    "{}: {events} allocator calls in process ({} at {sample_rate} Hz, block {block}, editor open: {editor_open})",
                    E::NAME,
                    layout.name()
                );
                });
            }
        }
    }
}

/// `process` with the standalone's recording tap attached: no allocation either, whether the
/// block goes into the rings or, with the rings full, is counted as lost.
fn check_recording<E: Effect>() {
    use ferrite_plugin_common::record::Session;
    type P<E> = EffectPlugin<E>;
    let mut rng = Rng::new(0x4EC0);
    let tmp = ferrite_test_kit::TempDir::new(&format!("no-alloc-record-{}", E::CLI_NAME));
    for layout in P::<E>::AUDIO_IO_LAYOUTS {
        for &block in &BLOCK_SIZES {
            let (out, inp) = (tmp.join(format!("out-{block}.wav")), tmp.join(format!("in-{block}.wav")));
            let session = Session::create("no_alloc", Some(&out), Some(&inp)).unwrap().unwrap();
            let mut host = OfflineHost::<P<E>>::new();
            host.plugin().attach_recorder(session.tap().unwrap());
            host.activate(*layout, 48_000.0, block).unwrap();
            let n_params = host.param_ptrs().len();
            // Four seconds' worth in a burst; for the second half the writer is held, so the
            // rings (a second) fill up and the last blocks are counted as lost.
            let blocks = (192_000 / block).max(48);
            let mut events = 0;
            let mut hold = None;
            for b in 0..blocks {
                if b == blocks / 2 {
                    hold = Some(session.hold_writer());
                }
                for p in 0..n_params {
                    host.set_normalized(p, rng.unit());
                }
                let (main, aux) = host.buffers_mut();
                for buf in main.iter_mut().chain(aux.iter_mut().flatten()) {
                    for s in buf[..block].iter_mut() {
                        *s = rng.signed();
                    }
                }
                let (status, counts) = count(|| host.process(block));
                assert!(!matches!(status, ProcessStatus::Error(_)), "{}: {status:?}", E::NAME);
                events += counts.events();
            }
            drop(hold);
            session.finish();
            assert_eq!(
                events, 0,
                "{}: {events} allocator calls in process with a recording ({} , block {block})",
                E::NAME,
                layout.name()
            );
            let written = ferrite_test_kit::hound::WavReader::open(&out).unwrap().duration() as u64;
            assert!(session.lost_frames() > 0, "{}: the overflow path did not run", E::NAME);
            assert_eq!(written + session.lost_frames(), (blocks * block) as u64, "{}: frames neither written nor counted", E::NAME);
        }
    }
}

/// A random note event somewhere in a block of `block` samples.
fn random_note_event(rng: &mut Rng, block: usize) -> NoteEvent<()> {
    use nice_plug::midi::{Channel, Key, VoiceID};
    let timing = rng.below(block + 2) as u32;
    let (voice_id, channel, key) = (VoiceID::Wildcard, Channel::Number(rng.below(16) as u8), Key::Number(rng.below(128) as u8));
    match rng.below(4) {
        0 => NoteEvent::NoteOn { timing, voice_id, channel, key, velocity: rng.unit() },
        1 => NoteEvent::NoteOff { timing, voice_id, channel, key, velocity: 0.0 },
        2 => NoteEvent::MidiPitchBend { timing, channel: 0, value: rng.unit() },
        _ => NoteEvent::MidiCC { timing, channel: 0, cc: 123, value: 0.0 },
    }
}

/// Every plugin is an [`EffectPlugin`]; this names its effect.
trait Skeleton {
    type Effect: Effect;
}

impl<E: Effect> Skeleton for EffectPlugin<E> {
    type Effect = E;
}

/// One test per plugin (`ferrite_ring::process_never_allocates`, ...), over every plugin.
macro_rules! no_alloc_test {
    ($name:ident, $plugin:ty) => {
        mod $name {
            #[test]
            fn process_never_allocates() {
                super::check_plugin::<<$plugin as super::Skeleton>::Effect>();
            }

            #[test]
            fn process_never_allocates_while_recording() {
                super::check_recording::<<$plugin as super::Skeleton>::Effect>();
            }
        }
    };
}
ferrite_tests::for_each_plugin!(no_alloc_test);

#[test]
fn the_allocation_counter_detects_an_allocation() {
    // Guards the guard: a test that cannot fail proves nothing.
    let (_, counts) = count(|| std::hint::black_box(vec![1u8; 16]));
    assert!(counts.events() >= 1);
}
