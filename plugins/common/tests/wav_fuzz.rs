//! A bounded fuzz run of WAV parsing (`render`'s input): valid files of every supported format,
//! mutated byte by byte, truncated and extended, and pure noise. Every file must either decode
//! to finite samples of a consistent shape or be rejected with an error naming the file; nothing
//! may panic or reserve absurd memory. Fixed seed, so a failure reproduces.

use std::path::Path;

use ferrite_plugin_common::audio_file::read_audio as read_wav;
use ferrite_test_kit::wav::{encode, Format};
use ferrite_test_kit::{Rng, TempDir};

fn valid_wav(channels: u16, bits: u16, float: bool, frames: usize) -> Vec<u8> {
    let format = Format { channels, sample_rate: 44_100, bits, float };
    encode(format, frames, |i, c| ((i * channels as usize + c as usize) as f64 * 0.01).sin() * 0.5)
}

fn check(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    match read_wav(path) {
        Ok(audio) => {
            assert!(!audio.channels.is_empty());
            let frames = audio.frames();
            assert!(audio.channels.iter().all(|c| c.len() == frames), "ragged channels");
            assert!(audio.sample_rate > 0);
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains("fuzz.wav"), "the error must name the file: {message}");
        }
    }
}

#[test]
fn wav_parsing_survives_mutated_truncated_and_random_files() {
    let dir = TempDir::new("wav-fuzz");
    let path = dir.join("fuzz.wav");
    let mut rng = Rng::new(0x5EED_F00D);
    let seeds: Vec<Vec<u8>> = [(1, 16, false), (2, 24, false), (2, 32, false), (1, 32, true), (2, 8, false), (3, 16, false)]
        .iter()
        .map(|&(c, b, f)| valid_wav(c, b, f, 64))
        .collect();
    for round in 0..3000 {
        let mut bytes = seeds[round % seeds.len()].clone();
        match rng.below(4) {
            // Flip a few bytes, biased towards the header where the structure is.
            0 => {
                for _ in 0..1 + rng.below(4) {
                    let at = if rng.below(2) == 0 { rng.below(48.min(bytes.len())) } else { rng.below(bytes.len()) };
                    bytes[at] = rng.next_u64() as u8;
                }
            }
            // Truncate anywhere.
            1 => bytes.truncate(rng.below(bytes.len())),
            // Claim an absurd length in a chunk header.
            2 => {
                let at = [4usize, 40][rng.below(2)].min(bytes.len().saturating_sub(4));
                bytes[at..at + 4].copy_from_slice(&(rng.next_u64() as u32 | 0x8000_0000).to_le_bytes());
            }
            // Pure noise, sometimes behind a valid RIFF/WAVE prefix.
            _ => {
                let len = rng.below(200);
                bytes = (0..len).map(|_| rng.next_u64() as u8).collect();
                if rng.below(2) == 0 {
                    let mut prefixed = b"RIFF\x00\x01\x00\x00WAVEfmt ".to_vec();
                    prefixed.extend_from_slice(&bytes);
                    bytes = prefixed;
                }
            }
        }
        check(&path, &bytes);
    }
    // The seeds themselves decode.
    for seed in &seeds {
        std::fs::write(&path, seed).unwrap();
        assert!(read_wav(&path).is_ok());
    }
}
