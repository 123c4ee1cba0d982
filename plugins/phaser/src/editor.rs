//! Ferrite Phaser's editor: the response of the phaser at the LFO's current position (output
//! and wet path, log frequency against dB) with its notches marked and moving with the LFO,
//! every parameter as a control, the LFO's rate or tempo and period, input and output meters.
//!
//! The audio thread only reports the LFO's value per channel and the tempo it follows
//! ([`crate::engine::readout`]); the response is computed here, on the editor thread, from
//! [`crate::response`] (the equations of `ferrite_dsp::phaser::theory`), only while the window
//! is open and only when something it depends on moved.

use std::sync::Arc;

use ferrite_editor::egui::{self, pos2, vec2, Align2, Color32, FontId, Stroke, Ui};
use ferrite_editor::meter::MeterState;
use ferrite_editor::plot::{self, Axes, PlotMap};
use ferrite_editor::theme;
use ferrite_editor::widgets::{readout, set_normalized, Knob, Selector};
use ferrite_editor::EditorApp;
use ferrite_plugin_common::editor_data::EditorData;
use nice_plug::prelude::{Param, ParamSetter};

use crate::engine::{readout as slot, FALLBACK_BPM};
use crate::params::{PhaserParams, SyncChoice};
use crate::response::{Curves, ResponseSettings};

/// Points of each drawn curve (log-spaced over the plot: about 1.1 % apart).
pub const CURVE_POINTS: usize = 640;
/// The plot's frequency range, Hz.
pub const PLOT_HZ: (f64, f64) = (20.0, 20_000.0);
/// The plot's lowest level, dB.
const PLOT_FLOOR_DB: f32 = -48.0;
/// Height of the control area below the plot (knobs, selectors, meters), points.
const CONTROLS_HEIGHT: f32 = 260.0;
/// The accessible label of the tempo-sync switch.
pub const SYNC_TOGGLE: &str = "Tempo Sync";
/// The accessible label of the response plot.
pub const PLOT_NAME: &str = "Phaser response";

/// Ferrite Phaser's editor contents.
pub struct PhaserEditor {
    params: Arc<PhaserParams>,
    data: Arc<EditorData>,
    input_meter: MeterState,
    output_meter: MeterState,
    /// The note value the sync switch turns on to (the last one chosen).
    last_note: SyncChoice,
    /// The last drawn response of the left channel (mono: the only one), with its notches.
    pub curves: Curves,
    /// The last drawn response of the right channel (empty when mono or equal to the left).
    pub curves_right: Curves,
}

impl PhaserEditor {
    /// The editor for `params`, reading the audio thread's `data`.
    pub fn new(params: Arc<PhaserParams>, data: Arc<EditorData>) -> Self {
        let last_note = match params.lfo_sync.value() {
            SyncChoice::Free => SyncChoice::Quarter,
            note => note,
        };
        Self {
            params,
            data,
            input_meter: MeterState::new(2),
            output_meter: MeterState::new(2),
            last_note,
            curves: Curves::default(),
            curves_right: Curves::default(),
        }
    }

    /// The response's settings now for a channel whose LFO reads `lfo` (−1..1; the parameters
    /// are the model's targets, which it reaches within its 20 ms smoothing).
    pub fn response_settings(&self, lfo: f32) -> ResponseSettings {
        let p = &self.params;
        let lfo = if lfo.is_finite() { lfo.clamp(-1.0, 1.0) as f64 } else { 0.0 };
        ResponseSettings {
            stages: p.stages.value().max(1) as usize,
            centre_hz: p.freq.value() as f64 * (p.lfo_depth.value() as f64 * lfo).exp2(),
            spread: p.spread.value() as f64,
            q: p.q.value() as f64,
            feedback: p.feedback.value() as f64,
            mix: p.mix.value() as f64,
            sample_rate: self.data.sample_rate() as f64,
        }
    }

    /// Recomputes the curves whose settings changed since the last frame.
    fn update_curves(&mut self) {
        let left = self.response_settings(self.data.readout(slot::LFO_LEFT));
        if self.curves.settings != Some(left) {
            self.curves.compute(&left, PLOT_HZ.0, PLOT_HZ.1, CURVE_POINTS, true);
        }
        let right_lfo = self.data.readout(slot::LFO_RIGHT);
        let right = self.response_settings(right_lfo);
        if !right_lfo.is_finite() || right == left {
            self.curves_right = Curves::default();
        } else if self.curves_right.settings != Some(right) {
            self.curves_right.compute(&right, PLOT_HZ.0, PLOT_HZ.1, CURVE_POINTS, false);
        }
    }

    fn synced(&self) -> bool {
        self.params.lfo_sync.value() != SyncChoice::Free
    }

    /// The LFO's rate and period as the model runs it, and the tempo when synced.
    fn lfo_text(&self) -> (String, String) {
        let note = self.params.lfo_sync.value();
        match note.beats_per_cycle() {
            None => {
                let rate = self.params.lfo_rate.value();
                (format!("{rate:.3} Hz, period {}", seconds(1.0 / rate as f64)), "free (not synced)".into())
            }
            Some(beats) => {
                let bpm = self.data.readout(slot::TEMPO) as f64;
                if !(bpm.is_finite() && bpm > 0.0) {
                    return (format!("{} of the host tempo", sync_name(&self.params)), "no audio processed yet".into());
                }
                let period = beats * 60.0 / bpm;
                let tempo = if self.data.readout(slot::TEMPO_FROM_HOST) > 0.5 {
                    format!("{bpm:.1} BPM")
                } else {
                    format!("{FALLBACK_BPM:.1} BPM (assumed: the host gives none)")
                };
                (format!("{} = {}, {:.3} Hz", sync_name(&self.params), seconds(period), 1.0 / period), tempo)
            }
        }
    }

    fn draw_plot(&self, ui: &mut Ui, height: f32) {
        let top = self
            .curves
            .output_db
            .iter()
            .chain(&self.curves.wet_db)
            .chain(&self.curves_right.output_db)
            .fold(0.0f32, |a, &b| a.max(b));
        let y_hi = ((top + 3.0) / 6.0).ceil().clamp(2.0, 8.0) * 6.0;
        let step = if y_hi - PLOT_FLOOR_DB > 66.0 { 12.0 } else { 6.0 };
        let axes = Axes { f_lo: PLOT_HZ.0 as f32, f_hi: PLOT_HZ.1 as f32, y_lo: PLOT_FLOOR_DB, y_hi, y_step: step, unit: "dB" };
        plot::show(ui, PLOT_NAME, vec2(f32::INFINITY, height), axes, |painter, map| {
            self.draw_sweep(painter, map);
            for &f in &self.curves.notches {
                map.marker(painter, f as f32, theme::ACCENT.gamma_multiply(0.3), None);
            }
            let points = |c: &Curves, v: &[f32]| -> Vec<(f32, f32)> {
                c.freqs.iter().zip(v).map(|(&f, &d)| (f as f32, d)).collect()
            };
            map.curve(painter, points(&self.curves, &self.curves.wet_db), Stroke::new(1.0, theme::DIM_TEXT));
            if !self.curves_right.freqs.is_empty() {
                let right = points(&self.curves_right, &self.curves_right.output_db);
                map.curve(painter, right, Stroke::new(1.3, theme::SECONDARY));
            }
            map.curve(painter, points(&self.curves, &self.curves.output_db), Stroke::new(2.0, theme::ACCENT));
            let legend = [
                ("Output L", theme::ACCENT),
                ("Output R", theme::SECONDARY),
                ("Wet path", theme::DIM_TEXT),
                ("Notches", theme::ACCENT.gamma_multiply(0.6)),
            ];
            let mut x = map.rect.left() + 6.0;
            for (text, color) in legend {
                if text == "Output R" && self.curves_right.freqs.is_empty() {
                    continue;
                }
                let r = painter.text(pos2(x, map.rect.bottom() - 4.0), Align2::LEFT_BOTTOM, text, FontId::proportional(10.0), color);
                x = r.right() + 10.0;
            }
        });
    }

    /// The sweep of the first stage's centre (freq·2^±depth) as a bar along the top, with each
    /// channel's position now.
    fn draw_sweep(&self, painter: &egui::Painter, map: &PlotMap) {
        let (freq, depth) = (self.params.freq.value(), self.params.lfo_depth.value());
        let (lo, hi) = (freq * (-depth).exp2(), freq * depth.exp2());
        let y = map.rect.top() + 5.0;
        painter.line_segment([pos2(map.x(lo), y), pos2(map.x(hi), y)], Stroke::new(3.0, theme::GRID.gamma_multiply(2.0)));
        let dot = |c: &Curves, color: Color32, label: &str| {
            if let Some(s) = c.settings {
                let x = map.x(s.centre_hz as f32);
                painter.circle_filled(pos2(x, y), 4.0, color);
                painter.text(pos2(x, y + 6.0), Align2::CENTER_TOP, label, FontId::proportional(9.0), color);
            }
        };
        dot(&self.curves_right, theme::SECONDARY, "R");
        dot(&self.curves, theme::ACCENT, "L");
    }

    fn readouts(&self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 22.0;
            let centre = |c: &Curves| c.settings.map_or("—".to_string(), |s| hz(s.centre_hz));
            let centres = if self.curves_right.freqs.is_empty() {
                centre(&self.curves)
            } else {
                format!("L {} · R {}", centre(&self.curves), centre(&self.curves_right))
            };
            readout(ui, "First stage", &centres);
            let notches = match self.curves.notches.first() {
                Some(&f) => format!("{} shown, lowest {}", self.curves.notches.len(), hz(f)),
                None => "none in 20 Hz–20 kHz".into(),
            };
            readout(ui, "Notches", &notches);
            let (lfo, tempo) = self.lfo_text();
            readout(ui, "LFO", &lfo);
            readout(ui, "Tempo", &tempo);
        });
    }

    fn controls(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let p = self.params.clone();
        ui.horizontal_top(|ui| {
            group(ui, "CHAIN", |ui| {
                ui.horizontal(|ui| {
                    ui.add(Knob::new(&p.stages, setter));
                    ui.add(Knob::new(&p.freq, setter));
                    ui.add(Knob::new(&p.spread, setter));
                });
                ui.horizontal(|ui| {
                    ui.add(Knob::new(&p.q, setter));
                    ui.add(Knob::new(&p.feedback, setter));
                });
            });
            ui.separator();
            group(ui, "LFO", |ui| {
                let synced = self.synced();
                ui.horizontal(|ui| {
                    // While synced the free rate does nothing: shown, but not editable.
                    ui.add_enabled(!synced, Knob::new(&p.lfo_rate, setter));
                    ui.add(Knob::new(&p.lfo_depth, setter));
                    ui.add(Knob::new(&p.stereo_phase, setter));
                });
                ui.add(Selector::new(&p.lfo_shape, setter));
                ui.horizontal(|ui| {
                    let mut on = synced;
                    if ui.checkbox(&mut on, SYNC_TOGGLE).changed() {
                        let target = if on { self.last_note } else { SyncChoice::Free };
                        set_normalized(setter, &p.lfo_sync, p.lfo_sync.preview_normalized(target));
                    }
                    ui.add(Selector::new(&p.lfo_sync, setter));
                });
                let note = p.lfo_sync.value();
                if note != SyncChoice::Free {
                    self.last_note = note;
                }
            });
            ui.separator();
            group(ui, "OUTPUT", |ui| {
                ui.horizontal(|ui| {
                    ui.add(Knob::new(&p.mix, setter));
                    ui.add(Knob::new(&p.output, setter));
                });
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    self.input_meter.show(ui, "In", 96.0);
                    self.output_meter.show(ui, "Out", 96.0);
                });
            });
        });
    }
}

impl EditorApp for PhaserEditor {
    fn ui(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let dt = ui.input(|i| i.stable_dt).clamp(0.0, 0.25);
        self.input_meter.update(self.data.take_input_meters(), dt);
        self.output_meter.update(self.data.take_meters(), dt);
        self.update_curves();

        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("FERRITE PHASER").heading().color(theme::ACCENT));
            theme::heading(ui, "multi-stage allpass · response at the LFO's position now");
        });
        let plot_height = (ui.available_height() - CONTROLS_HEIGHT - 46.0).max(150.0);
        self.draw_plot(ui, plot_height);
        self.readouts(ui);
        ui.separator();
        self.controls(ui, setter);
    }
}

/// A captioned column of controls.
fn group(ui: &mut Ui, title: &str, contents: impl FnOnce(&mut Ui)) {
    ui.vertical(|ui| {
        theme::heading(ui, title);
        contents(ui);
    });
}

/// The synced note value as the parameter shows it.
fn sync_name(p: &PhaserParams) -> String {
    p.lfo_sync.normalized_value_to_string(p.lfo_sync.unmodulated_normalized_value(), false)
}

/// `456 Hz`, `1.23 kHz`.
fn hz(f: f64) -> String {
    if f >= 1000.0 { format!("{:.2} kHz", f / 1000.0) } else { format!("{f:.0} Hz") }
}

/// `0.469 s`, `12.0 s`.
fn seconds(s: f64) -> String {
    if s >= 10.0 { format!("{s:.1} s") } else { format!("{s:.3} s") }
}
