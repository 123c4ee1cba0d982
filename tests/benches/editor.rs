//! What an open editor costs, for every plugin at its defaults (stereo, 48 kHz, 512-sample
//! blocks):
//!
//! - on the audio thread: `process` with the editor data path open against closed (the same
//!   audio, alternating runs, medians), and the data path alone (the skeleton's input and
//!   output taps for one block, timed in a tight loop) as a share of `process`;
//! - on the editor thread: one frame of the editor (egui layout of every control, meter,
//!   spectrum and curve, then tessellation into triangles) drawn headless, in ms. This is the
//!   CPU side of a frame; the GL rasteriser's share depends on the driver.
//!
//! `cargo bench -p ferrite-tests --bench editor`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use ferrite_editor::egui;
use ferrite_editor::testing::RecordingHost;
use ferrite_editor::EditorApp;
use ferrite_plugin_common::editor_data::EditorData;
use ferrite_plugin_common::host::{layout_for_channels, OfflineHost};
use nice_plug::prelude::*;

const SR: f32 = 48_000.0;
const BLOCK: usize = 512;
const SECONDS: f32 = 2.0;
const RUNS: usize = 9;
const FRAMES: usize = 240;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds to process `input` once.
fn run<P: Plugin>(host: &mut OfflineHost<P>, input: &[Vec<f32>]) -> f64 {
    let frames = input[0].len();
    let start = Instant::now();
    for pos in (0..frames).step_by(BLOCK) {
        let len = BLOCK.min(frames - pos);
        let (main, _) = host.buffers_mut();
        for (buf, src) in main.iter_mut().zip(input) {
            buf[..len].copy_from_slice(&src[pos..pos + len]);
        }
        black_box(host.process(len));
    }
    start.elapsed().as_secs_f64()
}

/// Seconds for the data path alone on one stereo block (what the skeleton adds while open).
fn data_path_per_block(input: &[Vec<f32>]) -> f64 {
    let data = EditorData::default();
    data.set_open(true);
    let mut a = input[0][..BLOCK].to_vec();
    let mut b = input[1][..BLOCK].to_vec();
    let reps = 20_000;
    let start = Instant::now();
    for _ in 0..reps {
        let block: [&mut [f32]; 2] = [&mut a, &mut b];
        data.publish_input(black_box(&block), BLOCK);
        data.publish(black_box(&block), BLOCK);
        data.set_rate_and_latency(SR, 0);
        data.set_readout(0, black_box(0.5));
    }
    start.elapsed().as_secs_f64() / reps as f64
}

/// Milliseconds per headless frame of `app` (mean, worst), with `host` playing between frames.
fn frame_ms<P: Plugin, A: EditorApp>(mut app: A, host: &mut OfflineHost<P>, input: &[Vec<f32>]) -> (f64, f64) {
    let ctx = egui::Context::default();
    ferrite_editor::theme::apply(&ctx);
    let recorder = RecordingHost::default();
    let gui = recorder.context();
    let setter = gui.param_setter();
    let mut times = Vec::with_capacity(FRAMES);
    let mut pos = 0;
    for frame in 0..FRAMES + 10 {
        // About one 60 Hz frame of audio between editor frames.
        for _ in 0..2 {
            let (main, _) = host.buffers_mut();
            for (buf, src) in main.iter_mut().zip(input) {
                buf[..BLOCK].copy_from_slice(&src[pos..pos + BLOCK]);
            }
            host.process(BLOCK);
            pos = (pos + BLOCK) % (input[0].len() - BLOCK);
        }
        let raw = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(760.0, 480.0))),
            time: Some(frame as f64 / 60.0),
            predicted_dt: 1.0 / 60.0,
            ..Default::default()
        };
        let start = Instant::now();
        let output = ctx.run_ui(raw, |ui| {
            egui::CentralPanel::default().show(ui, |ui| app.ui(ui, &setter));
        });
        let triangles = ctx.tessellate(output.shapes, output.pixels_per_point);
        black_box(triangles);
        if frame >= 10 {
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    (mean, times.iter().cloned().fold(0.0, f64::max))
}

fn main() {
    let frames = (SR * SECONDS) as usize;
    let input: Vec<Vec<f32>> = (0..2).map(|seed| ferrite_dsp::analysis::music_like(seed, frames, SR as f64)).collect();
    let path = data_path_per_block(&input);
    println!("Editor cost, stereo {SR} Hz, blocks of {BLOCK}; process medians of {RUNS} alternating runs; {FRAMES} headless frames at 760x480");
    println!("editor data path alone: {:.3} µs per block", path * 1e6);
    println!(
        "{:<16} {:>14} {:>14} {:>10} {:>12} {:>12} {:>12}",
        "plugin", "closed µs/blk", "open µs/blk", "open−closed", "path share", "frame ms", "worst ms"
    );
    macro_rules! bench {
        ($krate:ident, $plugin:ty) => {{
            let mut host = OfflineHost::<$plugin>::new();
            host.activate(layout_for_channels::<$plugin>(2).unwrap(), SR, BLOCK).unwrap();
            let data: Arc<EditorData> = host.plugin().editor_data().clone();
            let (mut closed, mut open) = (Vec::new(), Vec::new());
            run(&mut host, &input);
            for _ in 0..RUNS {
                data.set_open(false);
                closed.push(run(&mut host, &input));
                data.set_open(true);
                open.push(run(&mut host, &input));
            }
            let blocks = frames.div_ceil(BLOCK) as f64;
            let (closed, open) = (median(closed) / blocks, median(open) / blocks);
            let executor = AsyncExecutor::new(Arc::new(|_| ()), Arc::new(|_| ()));
            let editor = host.plugin().editor(executor).expect("every plugin has an editor");
            let (mean, worst) = frame_ms(editor.make_app(), &mut host, &input);
            println!(
                "{:<16} {:>14.2} {:>14.2} {:>9.1}% {:>11.2}% {:>12.2} {:>12.2}",
                <$plugin as Plugin>::NAME,
                closed * 1e6,
                open * 1e6,
                (open / closed - 1.0) * 100.0,
                path / closed * 100.0,
                mean,
                worst
            );
        }};
    }
    ferrite_tests::for_each_plugin!(bench);
}
