//! What an open editor costs, for every plugin at its defaults (stereo, 48 kHz, 512-sample
//! blocks):
//!
//! - on the audio thread: `process` with the editor data path open against closed (the same
//!   audio, alternating runs, medians), and the data path alone (the skeleton's input and
//!   output taps for one block, with the sample windows that plugin's editor reads, timed in
//!   a tight loop) as a share of `process`;
//! - on the editor thread: one frame of the editor (egui layout of every control, meter,
//!   spectrum and curve, then tessellation into triangles) drawn headless, in ms;
//! - the whole frame in a real window, as a host shows the editor: baseview's X11 window with
//!   an OpenGL context under a private Xvfb, egui painted by egui_glow on Mesa's software
//!   rasteriser, kept on the editor's thread (`LP_NUM_THREADS=0`), so the editor thread's CPU
//!   time from one frame to the next holds layout, tessellation, rasterisation and the buffer
//!   swap. Audio is processed between frames on that thread too, outside the measured time.
//!
//! `cargo bench -p ferrite-tests --bench editor`

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ferrite_editor::egui;
use ferrite_editor::nice_plug_egui as egui_baseview;
use ferrite_test_kit::x11::Xvfb;
use nice_plug::context::gui::GuiContext;
use egui_baseview::baseview::dpi::{LogicalSize, Size};
use ferrite_editor::preset_bar::PresetBar;
use ferrite_editor::testing::RecordingHost;
use ferrite_editor::EditorApp;
use ferrite_plugin_common::editor_data::{EditorData, Windows};
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

/// Seconds for the data path alone on one stereo block (what the skeleton adds while an editor
/// reading `windows` is open).
fn data_path_per_block(input: &[Vec<f32>], windows: Windows) -> f64 {
    let data = EditorData::default();
    data.set_windows(windows);
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

/// About one 60 Hz frame of audio (two blocks of `input` from `pos`) through `host`; returns
/// where the next frame's audio starts (wrapping round the input).
fn play_one_frame<P: Plugin>(host: &mut OfflineHost<P>, input: &[Vec<f32>], mut pos: usize) -> usize {
    for _ in 0..2 {
        let (main, _) = host.buffers_mut();
        for (buf, src) in main.iter_mut().zip(input) {
            buf[..BLOCK].copy_from_slice(&src[pos..pos + BLOCK]);
        }
        host.process(BLOCK);
        pos = (pos + BLOCK) % (input[0].len() - BLOCK);
    }
    pos
}

/// Milliseconds per headless frame of `app` (mean, worst) and the triangles of the last frame,
/// with `host` playing between frames.
fn frame_ms<P: Plugin, A: EditorApp>(
    mut app: A,
    mut presets: Option<PresetBar>,
    host: &mut OfflineHost<P>,
    input: &[Vec<f32>],
) -> (f64, f64, usize) {
    let ctx = egui::Context::default();
    ferrite_editor::theme::apply(&ctx);
    let recorder = RecordingHost::default();
    let gui = recorder.context();
    let setter = gui.param_setter();
    let mut times = Vec::with_capacity(FRAMES);
    let mut pos = 0;
    let mut triangles = 0;
    for frame in 0..FRAMES + 10 {
        // About one 60 Hz frame of audio between editor frames.
        pos = play_one_frame(host, input, pos);
        let raw = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(760.0, 480.0))),
            time: Some(frame as f64 / 60.0),
            predicted_dt: 1.0 / 60.0,
            ..Default::default()
        };
        let start = Instant::now();
        let output = ctx.run_ui(raw, |ui| {
            ferrite_editor::window::contents(ui, presets.as_mut(), &mut app, &setter);
        });
        let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
        triangles = primitives.iter().map(|p| match &p.primitive {
            egui::epaint::Primitive::Mesh(mesh) => mesh.indices.len() / 3,
            _ => 0,
        }).sum();
        black_box(primitives);
        if frame >= 10 {
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    (mean, times.iter().cloned().fold(0.0, f64::max), triangles)
}

/// CPU time of the calling thread, in ms.
fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 * 1e-6
}

/// An editor in a real window, playing audio between frames and timing every frame.
struct WindowBench<P: Plugin, A: EditorApp> {
    app: A,
    presets: Option<PresetBar>,
    host: OfflineHost<P>,
    input: Arc<Vec<Vec<f32>>>,
    pos: usize,
    gui: GuiContext,
    frames: usize,
    last: Option<f64>,
    times: Arc<Mutex<Vec<f64>>>,
}

impl<P: Plugin, A: EditorApp> egui_baseview::App for WindowBench<P, A> {
    fn build(&mut self, ctx: egui::Context, frame: &mut egui_baseview::Frame) -> Result<(), egui_baseview::baseview::HandlerError> {
        ferrite_editor::theme::apply(&ctx);
        frame.set_clear_color(ferrite_editor::theme::clear_color());
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut egui_baseview::Frame) {
        self.pos = play_one_frame(&mut self.host, &self.input, self.pos);
        // Everything since the last frame's audio: that frame's layout, tessellation,
        // painting and swap, and the event handling before this one.
        let now = thread_cpu_ms();
        if let Some(last) = self.last.filter(|_| self.frames > 10) {
            self.times.lock().unwrap().push(now - last);
        }
        self.last = Some(now);
        self.frames += 1;
        let setter = self.gui.param_setter();
        ferrite_editor::window::contents(ui, self.presets.as_mut(), &mut self.app, &setter);
        if self.frames > FRAMES + 10 {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        } else {
            ui.ctx().request_repaint();
        }
    }
}

/// Milliseconds of editor-thread CPU per frame of `app` in a real window of `size` (mean, worst).
fn window_frame_ms<P: Plugin, A: EditorApp>(
    app: A,
    presets: Option<PresetBar>,
    host: OfflineHost<P>,
    input: &Arc<Vec<Vec<f32>>>,
    size: (f64, f64),
) -> Result<(f64, f64), String> {
    let times = Arc::new(Mutex::new(Vec::new()));
    let recorder = RecordingHost::default();
    let bench = WindowBench { app, presets, host, input: input.clone(), pos: 0, gui: recorder.context(), frames: 0, last: None, times: times.clone() };
    let settings = egui_baseview::EguiWindowSettings::new()
        .with_title("Ferrite editor benchmark")
        .with_size(Size::Logical(LogicalSize::new(size.0, size.1)))
        .with_graphics_config(ferrite_editor::window::graphics());
    let window = egui_baseview::EguiWindow::create(settings, bench).map_err(|e| format!("no window: {e:?}"))?;
    window.run_until_closed().map_err(|e| format!("window: {e:?}"))?;
    let times = times.lock().unwrap();
    if times.len() < FRAMES {
        return Err(format!("only {} frames drawn", times.len()));
    }
    Ok((times.iter().sum::<f64>() / times.len() as f64, times.iter().cloned().fold(0.0, f64::max)))
}

/// The sample windows an editor of type `A` reads.
fn windows_of<A: EditorApp>(_: &A) -> Windows {
    A::WINDOWS
}

fn main() {
    // A private X server for the real windows; Mesa reads its settings when the first window's
    // GL context loads the driver, after this.
    let xvfb = Xvfb::start(1920, 1200);
    if let Ok(xvfb) = &xvfb {
        for (key, value) in xvfb.env().into_iter().chain([("LP_NUM_THREADS", "0".to_owned())]) {
            // SAFETY: no other thread of ours reads the environment now.
            unsafe { std::env::set_var(key, value) };
        }
    }
    let frames = (SR * SECONDS) as usize;
    let input: Vec<Vec<f32>> = (0..2).map(|seed| ferrite_dsp::analysis::music_like(seed, frames, SR as f64)).collect();
    let shared_input = Arc::new(input.clone());
    println!("Editor cost, stereo {SR} Hz, blocks of {BLOCK}; process medians of {RUNS} alternating runs; {FRAMES} headless frames at 760x480");
    println!(
        "{:<16} {:>14} {:>14} {:>10} {:>12} {:>12} {:>12} {:>12} {:>10} {:>12} {:>12}",
        "plugin", "closed µs/blk", "open µs/blk", "open−closed", "path µs/blk", "path share", "frame ms", "worst ms", "triangles", "window ms", "worst ms"
    );
    macro_rules! bench {
        ($krate:ident, $plugin:ty) => {{
            let mut host = OfflineHost::<$plugin>::new();
            host.activate(layout_for_channels::<$plugin>(2).unwrap(), SR, BLOCK).unwrap();
            let data: Arc<EditorData> = host.plugin().editor_data().clone();
            let executor = AsyncExecutor::new(Arc::new(|_| ()), Arc::new(|_| ()));
            let editor = host.plugin().editor(executor).expect("every plugin has an editor");
            let windows = windows_of(&editor.make_app());
            data.set_windows(windows);
            let path = data_path_per_block(&input, windows);
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
            let (mean, worst, triangles) = frame_ms(editor.make_app(), editor.make_preset_bar(), &mut host, &input);
            let window = match &xvfb {
                Ok(_) => {
                    let size = editor.size();
                    let (w, h) = (size.width as f64, size.height as f64);
                    window_frame_ms(editor.make_app(), editor.make_preset_bar(), host, &shared_input, (w, h))
                }
                Err(e) => Err(e.clone()),
            };
            let (window_mean, window_worst) = window.as_ref().copied().unwrap_or((f64::NAN, f64::NAN));
            if let Err(e) = &window {
                eprintln!("{}: no window frames: {e}", <$plugin as Plugin>::NAME);
            }
            println!(
                "{:<16} {:>14.2} {:>14.2} {:>9.1}% {:>12.3} {:>11.2}% {:>12.2} {:>12.2} {:>10} {:>12.2} {:>12.2}",
                <$plugin as Plugin>::NAME,
                closed * 1e6,
                open * 1e6,
                (open / closed - 1.0) * 100.0,
                path * 1e6,
                path / closed * 100.0,
                mean,
                worst,
                triangles,
                window_mean,
                window_worst
            );
        }};
    }
    ferrite_tests::for_each_plugin!(bench);
}
