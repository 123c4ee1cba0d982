//! Ferrite VCF's editor: every parameter as a control, input and output meters, the magnitude
//! response of the linearised model at the current cutoff, resonance and oversampling (the
//! transfer function the model's theory tests check the solver against,
//! [`ferrite_dsp::vcf::linear_gain`]), the self-oscillation threshold K ≈ 4.85 marked on the
//! resonance knob and in the plot, and the solver load (Newton iterations per sample) the
//! engine reports.
//!
//! Everything here runs on the editor thread while the window is open; the curve is recomputed
//! only when what it depends on changes.

use std::sync::Arc;

use ferrite_dsp::vcf::{linear_gain, model_cutoff_hz, oscillation_frequency_hz, oscillation_threshold, MAX_RESONANCE};
use ferrite_editor::egui::{self, pos2, vec2, Align2, Color32, FontId, Stroke, Ui};
use ferrite_editor::meter::MeterState;
use ferrite_editor::plot::{self, Axes, PlotMap};
use ferrite_editor::widgets::{readout, Knob, Selector, Toggle};
use ferrite_editor::{theme, EditorApp};
use ferrite_plugin_common::editor_data::EditorData;
use nice_plug::prelude::{Param, ParamSetter};

use crate::engine::{READOUT_KEY_FACTOR, READOUT_MAX_ITERATIONS, READOUT_MEAN_ITERATIONS};
use crate::params::VcfParams;

/// Points of the response curve, log-spaced (plus its exact peak and −3 dB point).
pub const CURVE_POINTS: usize = 384;
/// Lowest frequency drawn (Hz).
pub const CURVE_F_LO: f32 = 20.0;
/// Highest frequency drawn (Hz), below the host's Nyquist frequency in any case.
pub const CURVE_F_HI: f32 = 20_000.0;
/// Half power, dB: the "−3 dB" point is where the gain is this far below the DC gain.
pub const HALF_POWER_DB: f64 = 3.010_299_956_639_812;
/// Gains are clamped to ±this (dB) so that a curve evaluated exactly at the pole stays finite.
const DB_LIMIT: f64 = 200.0;

/// Plot axes: 20 Hz – 20 kHz, −48 … +36 dB.
pub const AXES: Axes = Axes { f_lo: 20.0, f_hi: 20e3, y_lo: -48.0, y_hi: 36.0, y_step: 12.0, unit: "dB" };

/// What the response curve depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurveKey {
    /// The cutoff parameter (Hz).
    pub cutoff_hz: f32,
    /// The resonance parameter K.
    pub resonance: f32,
    /// Oversampling factor, log2.
    pub oversampling_log2: usize,
    /// Host sample rate (Hz).
    pub host_rate: f32,
}

/// The magnitude response of the linearised model for one setting, as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseCurve {
    /// What it was computed for.
    pub key: CurveKey,
    /// The model rate (host rate × oversampling), Hz.
    pub model_rate: f32,
    /// The cutoff f0 the model uses (the parameter clamped as the model clamps it), Hz.
    pub model_cutoff_hz: f32,
    /// K as the model uses it (clamped to 0 … 10).
    pub resonance: f32,
    /// `(frequency Hz, gain dB)`, frequencies increasing: [`CURVE_POINTS`] log-spaced points,
    /// plus the exact peak and −3 dB point when they lie in the range.
    pub points: Vec<(f32, f32)>,
    /// Gain at DC (dB).
    pub dc_db: f32,
    /// The resonance peak `(Hz, dB)`: the largest gain when it lies above the lowest
    /// frequency drawn (none for a response falling from DC).
    pub peak: Option<(f32, f32)>,
    /// The first frequency above which the gain is [`HALF_POWER_DB`] below its DC gain (Hz).
    pub minus_3db_hz: Option<f32>,
    /// The oscillation threshold K of the linearised loop (≈ 4.85).
    pub threshold_k: f32,
    /// Where the loop oscillates at the threshold for this cutoff (Hz, at the model rate).
    pub oscillation_hz: f32,
    /// K is at or above the threshold: the filter self-oscillates (the linear system is
    /// unstable; the curve is then the magnitude of its transfer function, not a response).
    pub oscillating: bool,
}

/// Gain of the linearised model in dB (clamped to ±[`DB_LIMIT`]).
fn gain_db(f: f64, f0: f64, k: f64, fs: f64) -> f64 {
    let g = linear_gain(f, f0, k, fs);
    if g > 0.0 && g.is_finite() { (20.0 * g.log10()).clamp(-DB_LIMIT, DB_LIMIT) } else if g > 0.0 { DB_LIMIT } else { -DB_LIMIT }
}

/// The response curve for `key`: the linearised model's gain ([`linear_gain`]) at the model
/// rate, with the cutoff and K clamped as the model clamps them.
pub fn response_curve(key: CurveKey) -> ResponseCurve {
    let host_rate = if key.host_rate.is_finite() && key.host_rate > 0.0 { key.host_rate } else { 48_000.0 };
    let fs = host_rate * (1u32 << key.oversampling_log2.min(3)) as f32;
    let cutoff = if key.cutoff_hz.is_nan() { 1_000.0 } else { key.cutoff_hz };
    let f0 = model_cutoff_hz(cutoff, fs);
    let k = if key.resonance.is_nan() { 0.0 } else { key.resonance.clamp(0.0, MAX_RESONANCE) };
    let (fs64, f064, k64) = (fs as f64, f0 as f64, k as f64);
    let db = |f: f64| gain_db(f, f064, k64, fs64);

    let f_hi = CURVE_F_HI.min(0.499 * host_rate);
    let mut points: Vec<(f32, f32)> = plot::log_frequencies(CURVE_F_LO, f_hi, CURVE_POINTS).map(|f| (f, db(f as f64) as f32)).collect();
    let dc_db = db(0.0);

    // The peak: the largest sample, refined on the function itself (a golden-section search
    // between its neighbours, in log frequency), so a sharp resonance is drawn at its height.
    let top = (0..points.len()).max_by(|&a, &b| points[a].1.total_cmp(&points[b].1)).unwrap_or(0);
    let peak = if top > 0 && top + 1 < points.len() {
        let (mut a, mut b) = ((points[top - 1].0 as f64).ln(), (points[top + 1].0 as f64).ln());
        let r = (5f64.sqrt() - 1.0) / 2.0;
        let (mut c, mut d) = (b - r * (b - a), a + r * (b - a));
        let (mut fc, mut fd) = (db(c.exp()), db(d.exp()));
        for _ in 0..80 {
            if fc >= fd {
                b = d;
                d = c;
                fd = fc;
                c = b - r * (b - a);
                fc = db(c.exp());
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + r * (b - a);
                fd = db(d.exp());
            }
        }
        let f = ((a + b) / 2.0).exp();
        Some((f as f32, db(f) as f32))
    } else {
        // Falling from the lowest frequency drawn, or rising to the highest: no peak in range.
        None
    };

    // The −3 dB point: the first sample below DC − 3 dB, refined by bisection on the function.
    let below = dc_db - HALF_POWER_DB;
    let start = peak.map_or(0, |_| top);
    let minus_3db_hz = (start.max(1)..points.len()).find(|&i| (points[i].1 as f64) < below).map(|i| {
        let (mut lo, mut hi) = ((points[i - 1].0 as f64).ln(), (points[i].0 as f64).ln());
        for _ in 0..80 {
            let mid = 0.5 * (lo + hi);
            if db(mid.exp()) < below {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        (0.5 * (lo + hi)).exp() as f32
    });

    for extra in [peak.map(|p| p.0), minus_3db_hz].into_iter().flatten() {
        let at = points.partition_point(|p| p.0 < extra);
        if points.get(at).is_none_or(|p| p.0 != extra) {
            points.insert(at, (extra, db(extra as f64) as f32));
        }
    }

    let (threshold, _) = oscillation_threshold();
    ResponseCurve {
        key,
        model_rate: fs,
        model_cutoff_hz: f0,
        resonance: k,
        points,
        dc_db: dc_db as f32,
        peak,
        minus_3db_hz,
        threshold_k: threshold as f32,
        oscillation_hz: oscillation_frequency_hz(f064, fs64) as f32,
        oscillating: k64 >= threshold,
    }
}

/// Formats a frequency for readouts: `334 Hz`, `2.50 kHz`.
pub fn hz_text(f: f32) -> String {
    if f >= 1_000.0 { format!("{:.2} kHz", f / 1_000.0) } else { format!("{f:.0} Hz") }
}

/// Ferrite VCF's editor contents.
pub struct VcfEditor {
    params: Arc<VcfParams>,
    data: Arc<EditorData>,
    input_meter: MeterState,
    output_meter: MeterState,
    /// The response curve last drawn (recomputed when its [`CurveKey`] changes).
    curve: Option<ResponseCurve>,
}

impl VcfEditor {
    /// An editor showing `params` and what the audio thread publishes in `data`.
    pub fn new(params: Arc<VcfParams>, data: Arc<EditorData>) -> Self {
        Self { params, data, input_meter: MeterState::new(2), output_meter: MeterState::new(2), curve: None }
    }

    /// The response curve drawn in the last frame (none before the first frame).
    pub fn curve(&self) -> Option<&ResponseCurve> {
        self.curve.as_ref()
    }

    /// The curve's inputs as the parameters and the plugin stand now: the cutoff as it sounds,
    /// the parameter scaled by the played key and the wheel (the engine's factor; none before
    /// the engine has run).
    fn key(&self) -> CurveKey {
        let factor = self.data.readout(READOUT_KEY_FACTOR);
        let cutoff = self.params.cutoff.value();
        CurveKey {
            cutoff_hz: if factor > 0.0 && factor != 1.0 { cutoff * factor } else { cutoff },
            resonance: self.params.resonance.value(),
            oversampling_log2: self.params.oversampling.value().log2(),
            host_rate: self.data.sample_rate(),
        }
    }

    /// The curve for the current settings, recomputed only when they changed (taken out of
    /// `self` for the frame; [`EditorApp::ui`] puts it back).
    fn take_curve(&mut self) -> ResponseCurve {
        let key = self.key();
        match self.curve.take() {
            Some(curve) if curve.key == key => curve,
            _ => response_curve(key),
        }
    }

    fn draw_plot(ui: &mut Ui, curve: &ResponseCurve, size: egui::Vec2) {
        plot::show(ui, "Response of the linearised model", size, AXES, |painter, map: &PlotMap| {
            let color = if curve.oscillating { theme::WARNING } else { theme::ACCENT };
            map.level(painter, 0.0, theme::DIM_TEXT.gamma_multiply(0.5), None);
            map.marker(painter, curve.model_cutoff_hz, theme::SECONDARY.gamma_multiply(0.7), Some("f0"));
            let osc_color = if curve.oscillating { theme::WARNING } else { theme::DIM_TEXT.gamma_multiply(0.6) };
            map.marker(painter, curve.oscillation_hz, osc_color, Some("osc"));
            map.area(painter, &curve.points, color.gamma_multiply(0.12));
            map.curve(painter, curve.points.iter().copied(), Stroke::new(2.0, color));
            if let Some(f) = curve.minus_3db_hz {
                painter.circle_filled(map.point(f, curve.dc_db - HALF_POWER_DB as f32), 3.0, theme::SECONDARY);
            }
            if let Some((f, db)) = curve.peak {
                painter.circle_filled(map.point(f, db), 3.0, color);
            }
            let note = if curve.oscillating {
                format!("K {:.2} ≥ {:.2}: self-oscillation near {}", curve.resonance, curve.threshold_k, hz_text(curve.oscillation_hz))
            } else {
                format!("linearised model at {} (model rate)", hz_text(curve.model_rate))
            };
            painter.text(
                pos2(map.rect.right() - 4.0, map.rect.top() + 4.0),
                Align2::RIGHT_TOP,
                note,
                FontId::proportional(11.0),
                if curve.oscillating { theme::WARNING } else { theme::DIM_TEXT },
            );
        });
    }
}

/// Paints the threshold tick on the resonance knob whose circle is `rect`, at normalized
/// position `at`, in the knob's 270° travel.
fn threshold_tick(ui: &Ui, rect: egui::Rect, at: f32, color: Color32) {
    let angle = -std::f32::consts::PI * 0.75 + at.clamp(0.0, 1.0) * std::f32::consts::PI * 1.5;
    let dir = vec2(angle.sin(), -angle.cos());
    let radius = rect.width() * 0.5 - 3.0;
    let c = rect.center();
    ui.painter().line_segment([c + dir * (radius - 5.0), c + dir * (radius + 5.0)], Stroke::new(2.0, color));
}

/// Width of a knob's column (the kit's knob is at least 64 points wide): eight knobs in a row
/// fit the smallest window.
const KNOB_COLUMN: f32 = 66.0;
/// Width of a note knob's column (key tracking, reference key, bend range).
const NOTE_KNOB_COLUMN: f32 = 64.0;
/// Width of the readout column beside the plot.
const READOUT_COLUMN: f32 = 190.0;
/// Height kept below the plot for the controls.
const CONTROLS_HEIGHT: f32 = 118.0;

/// Adds `knob` in a column of its own: the kit's knob centres itself in the width it is
/// given, which in a row is everything left of it.
fn knob_column(ui: &mut Ui, knob: impl egui::Widget) -> egui::Response {
    knob_column_of(ui, KNOB_COLUMN, knob)
}

/// [`knob_column`] `width` points wide.
fn knob_column_of(ui: &mut Ui, width: f32, knob: impl egui::Widget) -> egui::Response {
    ui.allocate_ui_with_layout(vec2(width, CONTROLS_HEIGHT), egui::Layout::top_down(egui::Align::Center), |ui| ui.add(knob))
        .inner
}

impl EditorApp for VcfEditor {
    fn ui(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let dt = ui.input(|i| i.stable_dt);
        self.input_meter.update(self.data.take_input_meters(), dt);
        self.output_meter.update(self.data.take_meters(), dt);
        let curve = self.take_curve();
        let params = self.params.clone();

        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("Ferrite VCF").heading().color(theme::TEXT));
            ui.label(egui::RichText::new("EMS VCS3 diode ladder, solved by Newton's method every sample").color(theme::DIM_TEXT));
        });

        let plot_height = (ui.available_height() - CONTROLS_HEIGHT).max(150.0);
        ui.horizontal(|ui| {
            self.input_meter.show(ui, "Input", plot_height - 14.0);
            let width = (ui.available_width() - READOUT_COLUMN - 56.0).max(200.0);
            Self::draw_plot(ui, &curve, vec2(width, plot_height));
            self.output_meter.show(ui, "Output", plot_height - 14.0);
            ui.vertical(|ui| {
                ui.set_width(READOUT_COLUMN);
                ui.add(Selector::new(&params.oversampling, setter));
                ui.add(Toggle::new(&params.note_gate, setter))
                    .on_hover_text("Note Gate: the filter sounds only while a key is held (the dry signal passes)");
                let oscillation = if curve.oscillating {
                    format!("yes: K {:.2} ≥ {:.2}, near {}", curve.resonance, curve.threshold_k, hz_text(curve.oscillation_hz))
                } else {
                    format!("no: K {:.2} < {:.2}", curve.resonance, curve.threshold_k)
                };
                readout(ui, "Self-oscillation", &oscillation);
                let peak = curve.peak.map_or_else(|| "none".to_owned(), |(f, db)| format!("{db:+.1} dB at {}", hz_text(f)));
                readout(ui, "Peak", &peak);
                let minus_3db = curve.minus_3db_hz.map_or_else(|| "above 20 kHz".to_owned(), hz_text);
                readout(ui, "−3 dB", &minus_3db);
                let mean = self.data.readout(READOUT_MEAN_ITERATIONS);
                let max = self.data.readout(READOUT_MAX_ITERATIONS);
                let load = if mean > 0.0 { format!("{mean:.2} iterations/sample (max {max:.0})") } else { "no audio yet".to_owned() };
                readout(ui, "Solver load", &load);
                let latency = self.data.latency();
                let ms = latency as f32 / self.data.sample_rate() * 1e3;
                readout(ui, "Latency", &format!("{latency} samples ({ms:.2} ms)"));
            });
        });

        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 2.0;
            knob_column(ui, Knob::new(&params.cutoff, setter).diameter(52.0));
            let threshold_at = params.resonance.preview_normalized(curve.threshold_k);
            let accent = if curve.oscillating { theme::WARNING } else { theme::ACCENT };
            let knob = knob_column(ui, Knob::new(&params.resonance, setter).diameter(52.0).accent(accent));
            threshold_tick(ui, knob.rect, threshold_at, theme::WARNING);
            knob.on_hover_text(format!("Resonance K: self-oscillation from K = {:.2} (the red tick)", curve.threshold_k));
            knob_column(ui, Knob::new(&params.drive, setter));
            knob_column(ui, Knob::new(&params.mix, setter));
            knob_column(ui, Knob::new(&params.output, setter));
            ui.separator();
            // Played through a note input: the cutoff follows the key and the wheel.
            knob_column_of(ui, NOTE_KNOB_COLUMN, Knob::new(&params.key_track, setter).caption("Key Track"))
                .on_hover_text("Key tracking: 100 % moves the cutoff one octave per octave played, around Key Ref");
            knob_column_of(ui, NOTE_KNOB_COLUMN, Knob::new(&params.key_ref, setter).caption("Key Ref")).on_hover_text(format!(
                "Key {} ({}): the key at which tracking leaves the cutoff as set",
                params.key_ref.value(),
                ferrite_plugin_common::params::key_name(params.key_ref.value())
            ));
            knob_column_of(ui, NOTE_KNOB_COLUMN, Knob::new(&params.bend_range, setter).caption("Bend"))
                .on_hover_text("Pitch-wheel range, semitones");
        });
        self.curve = Some(curve);
    }
}
