//! Ferrite Reverb's editor: every parameter as a knob, selector or toggle; input and output
//! meters; the decay time against frequency of the current algorithm (from `decay`, `size` and
//! `damping`: each model's own prediction, `ferrite_dsp::reverb::{freeverb, hall, plate}::rt60_at`,
//! which the dsp theory tests check against measured decay), with the low and high cut and the predelay drawn; and,
//! for `convolution`, the impulse-response loader (a small file browser written in egui, and
//! drag-and-drop where the windowing layer delivers drops), with the loaded IR's name, length,
//! channels, rate and waveform.
//!
//! Loading validates with [`IrData::from_file`], the same function `render --ir` uses, on the
//! editor thread (as `render` does: a file of at most 30 s reads in a fraction of a second),
//! never on the audio thread; the engine notices the new IR in the state and prepares it in the
//! background. A file that fails leaves the current IR in place and its one-line error shown.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrite_dsp::reverb::{freeverb, hall, plate, ReverbSettings};
use ferrite_editor::egui::{self, pos2, vec2, Align2, Color32, FontId, Rect, RichText, Role, Sense, Stroke, Ui, WidgetInfo};
use ferrite_editor::meter::MeterState;
use ferrite_editor::plot::{self, freq_label, log_frequencies, Axes};
use ferrite_editor::widgets::{readout, Knob, Selector, Toggle};
use ferrite_editor::{theme, EditorApp};
use ferrite_plugin_common::editor_data::EditorData;
use nice_plug::params::persist::PersistentField;
use nice_plug::prelude::*;

use crate::engine::settings_now;
use crate::ir::{IrData, FILE_EXTENSIONS};
use crate::params::{AlgorithmChoice, ReverbParams};

/// Default editor size (logical points).
pub const DEFAULT_SIZE: (u32, u32) = (900, 760);
/// Smallest editor size (logical points).
pub const MIN_SIZE: (u32, u32) = (720, 580);
/// Lowest frequency of the decay plot, Hz.
pub const PLOT_LOW_HZ: f32 = 20.0;
/// Highest frequency of the decay plot, Hz (lower at rates below 44.1 kHz).
pub const PLOT_HIGH_HZ: f32 = 20_000.0;
/// Points of the drawn decay curve (plus [`DAMPING_REFERENCE_HZ`]).
pub const CURVE_POINTS: usize = 160;
/// The frequency at which the hall's damped RT60 is specified (always a point of the curve).
pub const DAMPING_REFERENCE_HZ: f32 = hall::HIGH_REFERENCE_HZ as f32;
/// The rate the curve is computed for before the plugin has been activated, Hz.
pub const FALLBACK_RATE: f32 = 48_000.0;
/// Columns of the IR waveform overview.
const WAVEFORM_COLUMNS: usize = 512;

/// Reverberation time (s) at each of `freqs` (Hz) of `algorithm` with `settings` at
/// `sample_rate` (the model's `rt60_at`); empty for `convolution`, whose decay is the impulse
/// response's.
pub fn decay_curve(algorithm: AlgorithmChoice, settings: &ReverbSettings, sample_rate: f32, freqs: &[f32]) -> Vec<(f32, f32)> {
    let time = match algorithm {
        AlgorithmChoice::Freeverb => freeverb::rt60_at,
        AlgorithmChoice::Hall => hall::rt60_at,
        AlgorithmChoice::Plate => plate::rt60_at,
        AlgorithmChoice::Convolution => return Vec::new(),
    };
    freqs.iter().map(|&f| (f, time(settings, sample_rate, f))).collect()
}

/// The frequencies the decay curve is drawn at for `sample_rate`: [`CURVE_POINTS`] spaced
/// evenly on the log axis up to 20 kHz (or 0.45·fs), plus [`DAMPING_REFERENCE_HZ`].
pub fn curve_frequencies(sample_rate: f32) -> Vec<f32> {
    let high = PLOT_HIGH_HZ.min(0.45 * sample_rate);
    let mut freqs: Vec<f32> = log_frequencies(PLOT_LOW_HZ, high, CURVE_POINTS).collect();
    if DAMPING_REFERENCE_HZ < high {
        freqs.push(DAMPING_REFERENCE_HZ);
        freqs.sort_by(f32::total_cmp);
    }
    freqs
}

/// An error chain on one line ("context: cause: cause"), as the command line prints it.
pub fn one_line(e: &anyhow::Error) -> String {
    e.chain().map(|c| c.to_string().replace('\n', " ")).collect::<Vec<_>>().join(": ")
}

/// What the editor shows of the loaded impulse response (computed once per IR).
#[derive(Clone, Debug, PartialEq)]
pub struct IrSummary {
    /// The file name (the full path is in the tooltip).
    pub name: String,
    /// The path it was loaded from.
    pub path: String,
    /// Length, seconds.
    pub seconds: f64,
    /// 1 or 2.
    pub channels: usize,
    /// Its own sample rate, Hz.
    pub sample_rate: f64,
    /// Per column: the smallest and largest sample of all channels, normalised to the peak.
    pub envelope: Vec<(f32, f32)>,
}

impl IrSummary {
    /// The summary of `ir`.
    pub fn of(ir: &IrData) -> Self {
        let len = ir.channels.first().map_or(0, Vec::len);
        let columns = WAVEFORM_COLUMNS.min(len).max(1);
        let mut envelope = vec![(0.0f32, 0.0f32); columns];
        for ch in &ir.channels {
            for (i, &x) in ch.iter().enumerate() {
                let c = &mut envelope[i * columns / len.max(1)];
                *c = (c.0.min(x), c.1.max(x));
            }
        }
        let peak = envelope.iter().fold(0.0f32, |p, &(lo, hi)| p.max(-lo).max(hi));
        if peak > 0.0 {
            for c in &mut envelope {
                *c = (c.0 / peak, c.1 / peak);
            }
        }
        let name = Path::new(&ir.path).file_name().map_or_else(|| ir.path.clone(), |n| n.to_string_lossy().into_owned());
        Self {
            name,
            path: ir.path.clone(),
            seconds: len as f64 / ir.sample_rate,
            channels: ir.channels.len(),
            sample_rate: ir.sample_rate,
            envelope,
        }
    }
}

/// One entry of the file browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// File or folder name.
    pub name: String,
    /// True for a folder.
    pub is_dir: bool,
}

/// The folders and audio files (see [`FILE_EXTENSIONS`]) in `dir` (hidden entries left out),
/// folders first, each group sorted by name without regard to case.
pub fn list_folder(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        // Follows symbolic links, so a link to a folder is browsable.
        let is_dir = entry.path().is_dir();
        let is_audio = Path::new(&name)
            .extension()
            .is_some_and(|e| FILE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)));
        if is_dir || is_audio {
            entries.push(Entry { name, is_dir });
        }
    }
    entries.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase())));
    Ok(entries)
}

/// The file browser: a folder's entries, navigation, a path field, Open and Cancel.
pub struct FileBrowser {
    /// The folder shown.
    pub folder: PathBuf,
    /// Its entries (or why it cannot be read).
    pub entries: Result<Vec<Entry>, String>,
    /// The path field: the selected file, or whatever was typed.
    pub path: String,
}

/// What the user did in the browser this frame.
enum BrowserAction {
    None,
    Open(PathBuf),
    Cancel,
}

impl FileBrowser {
    /// A browser showing `folder`.
    pub fn new(folder: PathBuf) -> Self {
        let mut b = Self { folder: PathBuf::new(), entries: Ok(Vec::new()), path: String::new() };
        b.navigate(folder);
        b
    }

    /// Show `folder` (its entries are read now).
    pub fn navigate(&mut self, folder: PathBuf) {
        self.entries = list_folder(&folder).map_err(|e| format!("cannot read folder {}: {e}", folder.display()));
        self.path = folder.display().to_string();
        self.folder = folder;
    }

    fn ui(&mut self, ui: &mut Ui, error: Option<&str>) -> BrowserAction {
        let mut action = BrowserAction::None;
        ui.horizontal(|ui| {
            let up = ui.add_enabled(self.folder.parent().is_some(), egui::Button::new("Parent folder"));
            up.widget_info(|| WidgetInfo::labeled(Role::Button, true, "Parent folder"));
            if up.clicked() {
                if let Some(parent) = self.folder.parent() {
                    self.navigate(parent.to_path_buf());
                }
            }
            ui.label(RichText::new(self.folder.display().to_string()).monospace().size(11.0));
        });
        let mut navigate_to = None;
        egui::ScrollArea::vertical().max_height(240.0).auto_shrink([false, false]).show(ui, |ui| match &self.entries {
            Err(e) => {
                ui.colored_label(theme::WARNING, e);
            }
            Ok(entries) if entries.is_empty() => {
                ui.label(RichText::new("No folders or audio files here").color(theme::DIM_TEXT));
            }
            Ok(entries) => {
                for entry in entries {
                    let path = self.folder.join(&entry.name);
                    let text = if entry.is_dir { format!("{}/", entry.name) } else { entry.name.clone() };
                    let selected = !entry.is_dir && self.path == path.display().to_string();
                    let r = ui.selectable_label(selected, text);
                    if entry.is_dir && r.clicked() {
                        navigate_to = Some(path);
                    } else if !entry.is_dir && r.double_clicked() {
                        action = BrowserAction::Open(path);
                    } else if !entry.is_dir && r.clicked() {
                        self.path = path.display().to_string();
                    }
                }
            }
        });
        if let Some(dir) = navigate_to {
            self.navigate(dir);
        }
        let mut enter = false;
        ui.horizontal(|ui| {
            ui.label("File");
            let field = ui.add(egui::TextEdit::singleline(&mut self.path).desired_width(ui.available_width()).font(egui::TextStyle::Monospace));
            field.widget_info(|| WidgetInfo::labeled(Role::TextInput, true, "IR file path"));
            enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        });
        if let Some(e) = error {
            ui.colored_label(theme::WARNING, e);
        }
        ui.horizontal(|ui| {
            if ui.button("Open").clicked() || enter {
                let typed = PathBuf::from(self.path.trim());
                if typed.is_dir() {
                    self.navigate(typed);
                } else {
                    action = BrowserAction::Open(typed);
                }
            }
            if ui.button("Cancel").clicked() {
                action = BrowserAction::Cancel;
            }
        });
        action
    }
}

/// Ferrite Reverb's editor.
pub struct ReverbEditor {
    params: Arc<ReverbParams>,
    data: Arc<EditorData>,
    input_meter: MeterState,
    output_meter: MeterState,
    /// The decay curve drawn in the last frame: (frequency Hz, RT60 s); empty for convolution.
    curve: Vec<(f32, f32)>,
    /// The algorithm, settings and rate `curve` was computed for.
    curve_key: Option<(AlgorithmChoice, ReverbSettings, u32)>,
    /// The summary of the IR in the state, and the IR generation it belongs to.
    ir: Option<(u64, Option<IrSummary>)>,
    /// The last load's error (one line), shown until the next load or clear.
    ir_error: Option<String>,
    /// The open file browser.
    browser: Option<FileBrowser>,
    /// Where the browser opens next.
    last_folder: Option<PathBuf>,
}

impl ReverbEditor {
    /// The editor for `params`, fed by `data`.
    pub fn new(params: Arc<ReverbParams>, data: Arc<EditorData>) -> Self {
        Self {
            params,
            data,
            input_meter: MeterState::new(2),
            output_meter: MeterState::new(2),
            curve: Vec::new(),
            curve_key: None,
            ir: None,
            ir_error: None,
            browser: None,
            last_folder: None,
        }
    }

    /// The decay curve drawn in the last frame: (frequency Hz, RT60 s).
    pub fn decay_curve(&self) -> &[(f32, f32)] {
        &self.curve
    }

    /// The sample rate the curve is computed for, Hz.
    pub fn curve_rate(&self) -> f32 {
        let rate = self.data.sample_rate();
        if rate.is_finite() && rate > 0.0 { rate } else { FALLBACK_RATE }
    }

    /// The last load error, if the last load failed.
    pub fn ir_error(&self) -> Option<&str> {
        self.ir_error.as_deref()
    }

    /// The summary of the IR shown.
    pub fn ir_summary(&self) -> Option<&IrSummary> {
        self.ir.as_ref().and_then(|(_, s)| s.as_ref())
    }

    /// Open the file browser at `folder`.
    pub fn open_browser(&mut self, folder: PathBuf) {
        self.browser = Some(FileBrowser::new(folder));
    }

    /// Load the audio file at `path` as the impulse response: validated as `render --ir` does; on
    /// success it replaces the IR in the state (the engine prepares it in the background), on
    /// failure the current IR stays and the error is kept to show.
    pub fn load(&mut self, path: &Path) -> bool {
        match IrData::from_file(path) {
            Ok(ir) => {
                self.params.impulse_response.store(Some(ir));
                self.ir_error = None;
                self.last_folder = path.parent().map(Path::to_path_buf);
                true
            }
            Err(e) => {
                self.ir_error = Some(one_line(&e));
                false
            }
        }
    }

    /// Remove the impulse response (the convolution then outputs silence).
    pub fn clear(&mut self) {
        self.params.impulse_response.store(None);
        self.ir_error = None;
    }

    fn update_curve(&mut self) {
        let rate = self.curve_rate();
        let algorithm = self.params.algorithm.value();
        let settings = settings_now(&self.params);
        let key = Some((algorithm, settings, rate.to_bits()));
        if key == self.curve_key {
            return;
        }
        self.curve = decay_curve(algorithm, &settings, rate, &curve_frequencies(rate));
        self.curve_key = key;
    }

    fn update_ir(&mut self) {
        let generation = self.params.impulse_response.generation();
        if self.ir.as_ref().is_none_or(|(g, _)| *g != generation) {
            let summary = self.params.impulse_response.map(|ir| ir.as_ref().map(IrSummary::of));
            self.ir = Some((generation, summary));
        }
    }

    fn decay_plot(&self, ui: &mut Ui) {
        let finite_max = self.curve.iter().map(|p| p.1).filter(|v| v.is_finite()).fold(0.0f32, f32::max);
        let frozen = self.params.freeze.value();
        let y_hi = [0.5f32, 1.0, 2.0, 3.0, 5.0, 8.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0]
            .into_iter()
            .find(|&v| v >= finite_max * 1.1)
            .unwrap_or(100.0);
        let y_step = if y_hi <= 1.0 { 0.1 } else if y_hi <= 3.0 { 0.5 } else if y_hi <= 10.0 { 1.0 } else { y_hi / 5.0 };
        let rate = self.curve_rate();
        let axes = Axes { f_lo: PLOT_LOW_HZ, f_hi: PLOT_HIGH_HZ.min(0.45 * rate), y_lo: 0.0, y_hi, y_step, unit: "s" };
        let params = &self.params;
        let algorithm = params.algorithm.value();
        plot::show(ui, "Decay time against frequency", vec2(f32::INFINITY, 205.0), axes, |painter, map| {
            // The cut filters: the bands they remove are shaded, their corners marked.
            let (low, high) = (params.low_cut.value(), params.high_cut.value());
            let shade = Color32::from_black_alpha(110);
            if low > axes.f_lo {
                painter.rect_filled(Rect::from_min_max(map.rect.min, pos2(map.x(low), map.rect.bottom())), 0.0, shade);
            }
            if high < axes.f_hi {
                painter.rect_filled(Rect::from_min_max(pos2(map.x(high), map.rect.top()), map.rect.max), 0.0, shade);
            }
            map.marker(painter, low, theme::SECONDARY, Some(&format!("low cut {}", hz_text(low))));
            map.marker(painter, high, theme::SECONDARY, Some(&format!("high cut {}", hz_text(high))));
            if algorithm == AlgorithmChoice::Convolution {
                painter.text(map.rect.center(), Align2::CENTER_CENTER, "Convolution: the decay is the impulse response's", FontId::proportional(12.0), theme::DIM_TEXT);
            } else if frozen || self.curve.iter().all(|p| !p.1.is_finite()) {
                map.level(painter, axes.y_hi, theme::ACCENT, Some("frozen: infinite sustain"));
            } else {
                map.area(painter, &self.curve, theme::ACCENT.gamma_multiply(0.15));
                map.curve(painter, self.curve.iter().copied(), Stroke::new(2.0, theme::ACCENT));
                if algorithm == AlgorithmChoice::Hall {
                    if let Some(&(f, t)) = self.curve.iter().find(|p| p.0 == DAMPING_REFERENCE_HZ) {
                        painter.circle_filled(map.point(f, t), 3.0, theme::TEXT);
                    }
                }
            }
            let predelay = params.predelay.value();
            painter.text(
                map.rect.left_top() + vec2(4.0, 14.0),
                Align2::LEFT_TOP,
                format!("predelay {predelay:.1} ms"),
                FontId::proportional(11.0),
                theme::TEXT,
            );
        });
    }

    fn ir_section(&mut self, ui: &mut Ui) {
        theme::heading(ui, "IMPULSE RESPONSE (CONVOLUTION)");
        let convolution = self.params.algorithm.value() == AlgorithmChoice::Convolution;
        let summary = self.ir_summary().cloned();
        ui.horizontal(|ui| {
            if ui.button("Load IR…").clicked() {
                let folder = self
                    .last_folder
                    .clone()
                    .or_else(|| summary.as_ref().and_then(|s| Path::new(&s.path).parent().map(Path::to_path_buf)).filter(|p| p.is_dir()))
                    .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
                    .unwrap_or_else(|| PathBuf::from("/"));
                self.open_browser(folder);
            }
            if ui.add_enabled(summary.is_some(), egui::Button::new("Clear IR")).clicked() {
                self.clear();
            }
            ui.label(RichText::new("or drop an audio file on the window").color(theme::DIM_TEXT).small());
        });
        match &summary {
            Some(s) => {
                ui.horizontal(|ui| {
                    readout(ui, "Impulse response", &s.name).on_hover_text(&s.path);
                    readout(ui, "Length", &format!("{:.2} s", s.seconds));
                    readout(ui, "Channels", &s.channels.to_string());
                    readout(ui, "Rate", &format!("{:.0} Hz", s.sample_rate));
                });
                waveform(ui, &s.envelope);
            }
            None if convolution => {
                let text = "No impulse response is loaded: the convolution is silent. Load an audio file.";
                ui.colored_label(theme::WARNING, text);
            }
            None => {
                ui.label(RichText::new("No impulse response loaded (used only by the Convolution algorithm)").color(theme::DIM_TEXT));
            }
        }
        if let Some(e) = &self.ir_error {
            let r = ui.colored_label(theme::WARNING, format!("Error: {e}"));
            r.widget_info(|| WidgetInfo::labeled(Role::Label, true, format!("IR error: {e}")));
        }
    }
}

/// Frequency text for markers: `120 Hz`, `9.5 kHz`.
fn hz_text(f: f32) -> String {
    if f >= 1e3 { format!("{} Hz", freq_label((f / 100.0).round() * 100.0)) } else { format!("{f:.0} Hz") }
}

/// The IR's min/max envelope, normalised, across the available width.
fn waveform(ui: &mut Ui, envelope: &[(f32, f32)]) {
    let (rect, response) = ui.allocate_exact_size(vec2(ui.available_width(), 70.0), Sense::hover());
    response.widget_info(|| WidgetInfo::labeled(Role::Image, true, "IR waveform"));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, theme::WELL);
    let mid = rect.center().y;
    painter.line_segment([pos2(rect.left(), mid), pos2(rect.right(), mid)], Stroke::new(1.0, theme::GRID));
    let n = envelope.len().max(1) as f32;
    let half = rect.height() * 0.45;
    for (i, &(lo, hi)) in envelope.iter().enumerate() {
        let x = rect.left() + (i as f32 + 0.5) / n * rect.width();
        painter.line_segment([pos2(x, mid - hi * half), pos2(x, mid - lo * half + 0.5)], Stroke::new(1.0, theme::ACCENT));
    }
}

impl EditorApp for ReverbEditor {
    fn ui(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let dt = ui.input(|i| i.stable_dt).clamp(0.0, 0.25);
        self.input_meter.update(self.data.take_input_meters(), dt);
        self.output_meter.update(self.data.take_meters(), dt);
        self.update_curve();
        self.update_ir();

        // Files dropped on the window (where the windowing layer delivers drops).
        let (dropped, hovering) = ui.input(|i| {
            (i.raw.dropped_files.first().map(|f| f.path().to_path_buf()), !i.raw.hovered_files.is_empty())
        });
        if let Some(path) = dropped {
            self.load(&path);
            self.browser = None;
        }

        let params = self.params.clone();
        // Everything scrolls when the window is made smaller than the contents.
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| self.contents(ui, setter, &params, hovering));
        self.browser_window(ui);
    }
}

impl ReverbEditor {
    fn contents(&mut self, ui: &mut Ui, setter: &ParamSetter, params: &ReverbParams, hovering: bool) {
        let p = params;
        ui.horizontal(|ui| {
            ui.heading("Ferrite Reverb");
            ui.add_space(16.0);
            ui.add(Selector::new(&p.algorithm, setter));
            ui.add_space(16.0);
            ui.add(Toggle::new(&p.freeze, setter));
        });
        if hovering {
            ui.colored_label(theme::ACCENT, "Drop the file to load it as the impulse response");
        }
        ui.horizontal(|ui| {
            self.input_meter.show(ui, "In", 190.0);
            let width = ui.available_width() - 60.0;
            ui.vertical(|ui| {
                ui.set_width(width);
                self.decay_plot(ui);
            });
            self.output_meter.show(ui, "Out", 190.0);
        });
        // Two rows of five: the reverb itself, then what is done with its output.
        for row in [[&p.decay, &p.size, &p.damping, &p.predelay, &p.modulation], [&p.width, &p.low_cut, &p.high_cut, &p.mix, &p.output]] {
            ui.horizontal(|ui| {
                for param in row {
                    // A fixed slot per knob (a knob centres itself in the width it is given).
                    ui.allocate_ui_with_layout(vec2(76.0, 110.0), egui::Layout::top_down(egui::Align::Center), |ui| {
                        ui.add(Knob::new(param, setter))
                    });
                }
            });
        }
        ui.separator();
        self.ir_section(ui);
    }

    fn browser_window(&mut self, ui: &mut Ui) {
        if let Some(browser) = &mut self.browser {
            let error = self.ir_error.clone();
            let mut action = BrowserAction::None;
            egui::Window::new("Load impulse response")
                .collapsible(false)
                .resizable(false)
                .default_width(520.0)
                .anchor(Align2::CENTER_CENTER, vec2(0.0, 0.0))
                .show(ui.ctx(), |ui| action = browser.ui(ui, error.as_deref()));
            match action {
                BrowserAction::None => {}
                BrowserAction::Cancel => self.browser = None,
                BrowserAction::Open(path) => {
                    let folder = self.browser.as_ref().map(|b| b.folder.clone());
                    if self.load(&path) {
                        self.browser = None;
                    } else {
                        self.last_folder = folder;
                    }
                }
            }
        }
    }
}
