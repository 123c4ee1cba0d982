//! Ferrite Ring's editor: the live output spectrum with the intermodulation products the model
//! predicts marked, input, carrier and output meters, and every control.
//!
//! The model is odd in the input and odd in the carrier (a balanced ring), so its output holds
//! only the products |m·fc ± n·fm| with n odd, and m odd for carriers with odd harmonics only
//! (sine, triangle, square); a saw carrier has every harmonic, so m runs over all integers. The
//! input's frequency fm is read off the input spectrum; fc is the internal carrier's frequency.
//!
//! With Note Follow on, the carrier knob is the ratio to the played note's frequency, and the
//! glide and pitch-wheel range join it (they do nothing otherwise, and the row would not fit the
//! smallest window with all of them).

use std::sync::Arc;

use ferrite_editor::egui::{self, vec2, Stroke, Ui};
use ferrite_editor::meter::MeterState;
use ferrite_editor::plot::{self, Axes};
use ferrite_editor::spectrum::Spectrum;
use ferrite_editor::widgets::{readout, Knob, Selector, Toggle};
use ferrite_editor::{theme, EditorApp};
use ferrite_plugin_common::editor_data::{EditorData, MeterReading, Windows, METER_CHANNELS};
use nice_plug::prelude::ParamSetter;

use crate::engine::{READOUT_CARRIER_HZ, READOUT_CARRIER_PEAK, READOUT_CARRIER_RMS};
use crate::params::{CarrierChoice, RingParams};

/// The editor's default size (logical points).
pub const DEFAULT_SIZE: (u32, u32) = (760, 480);
/// The smallest size it can be resized to.
pub const MIN_SIZE: (u32, u32) = (600, 400);
/// Points in the spectrum's FFT.
pub const FFT_SIZE: usize = 4096;
/// Highest carrier harmonic order marked: the diodes switch, so even a sine carrier's odd
/// harmonics reach far (7·fc ± fm sits about 35 dB below fc ± fm at the defaults).
pub const MAX_CARRIER_ORDER: u32 = 15;
/// Highest input harmonic order marked.
pub const MAX_INPUT_ORDER: u32 = 5;
/// The input must reach this level (dBFS) for its frequency to be read.
pub const INPUT_FLOOR_DB: f32 = -70.0;

/// One intermodulation product the model predicts: |m·fc ± n·fm|.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Product {
    /// Its frequency (Hz).
    pub freq: f32,
    /// Carrier harmonic order m.
    pub m: u32,
    /// Input harmonic order n.
    pub n: u32,
    /// True for m·fc + n·fm, false for |m·fc − n·fm|.
    pub sum: bool,
}

/// The products of a carrier at `fc` and an input at `fm` below `f_max` (Hz) that the model
/// can produce with this `carrier` waveform, lowest orders first.
pub fn predicted_products(fc: f32, fm: f32, carrier: CarrierChoice, f_max: f32) -> Vec<Product> {
    let mut out = Vec::new();
    if !(fc > 0.0 && fm > 0.0 && fc.is_finite() && fm.is_finite()) {
        return out;
    }
    let every_m = matches!(carrier, CarrierChoice::Saw);
    for m in (1..=MAX_CARRIER_ORDER).filter(|m| every_m || m % 2 == 1) {
        for n in (1..=MAX_INPUT_ORDER).filter(|n| n % 2 == 1) {
            for sum in [false, true] {
                let f = if sum { m as f32 * fc + n as f32 * fm } else { (m as f32 * fc - n as f32 * fm).abs() };
                if f > 0.0 && f < f_max {
                    out.push(Product { freq: f, m, n, sum });
                }
            }
        }
    }
    out
}

/// Ferrite Ring's editor state.
pub struct RingEditor {
    params: Arc<RingParams>,
    data: Arc<EditorData>,
    output: Spectrum,
    input: Spectrum,
    meters: [MeterState; 3],
    /// The input frequency read off the input spectrum in the last frame.
    pub input_hz: Option<f32>,
    /// The products marked in the last frame.
    pub products: Vec<Product>,
}

impl RingEditor {
    /// An editor for `params`, fed by `data`.
    pub fn new(params: Arc<RingParams>, data: Arc<EditorData>) -> Self {
        Self {
            params,
            data,
            output: Spectrum::new(FFT_SIZE),
            input: Spectrum::new(FFT_SIZE),
            meters: [MeterState::new(2), MeterState::new(1), MeterState::new(2)],
            input_hz: None,
            products: Vec::new(),
        }
    }

    /// The output spectrum as last analysed.
    pub fn spectrum(&self) -> &Spectrum {
        &self.output
    }

    /// Reads what the audio thread published since the last frame, `dt` seconds ago.
    pub fn update(&mut self, dt: f32) {
        let rate = self.data.sample_rate();
        self.output.update(&self.data, rate, dt);
        self.input.update_input(&self.data, rate, dt);
        self.meters[0].update(self.data.take_input_meters(), dt);
        let carrier = MeterReading { peak: self.data.readout(READOUT_CARRIER_PEAK), rms: self.data.readout(READOUT_CARRIER_RMS) };
        self.meters[1].update([carrier; METER_CHANNELS], dt);
        self.meters[2].update(self.data.take_meters(), dt);

        let choice = self.params.carrier.value();
        self.input_hz = self.input.peak_frequency(10.0, INPUT_FLOOR_DB);
        self.products = match (choice, self.input_hz) {
            (CarrierChoice::Sidechain, _) | (_, None) => Vec::new(),
            (_, Some(fm)) => predicted_products(self.carrier_hz(), fm, choice, 0.5 * rate),
        };
    }

    /// The internal carrier's frequency: the audio thread's (smoothed) value while it runs,
    /// else the parameter.
    fn carrier_hz(&self) -> f32 {
        let running = self.data.readout(READOUT_CARRIER_HZ);
        if running > 0.0 { running } else { self.params.carrier_freq.value() }
    }

    fn spectrum_plot(&self, ui: &mut Ui, height: f32) {
        let axes = Axes::audio_db(-96.0, 6.0, 12.0);
        plot::show(ui, "Output spectrum", vec2(f32::INFINITY, height), axes, |painter, map| {
            for p in &self.products {
                let primary = p.m == 1 && p.n == 1;
                // Fainter with order: the eye finds fc ± fm first.
                let weight = 1.0 / (p.m + p.n - 1) as f32;
                let color = theme::SECONDARY.gamma_multiply(if primary { 1.0 } else { 0.15 + 0.35 * weight });
                let label = if primary { Some(if p.sum { "fc+fm" } else { "|fc−fm|" }) } else { None };
                map.marker(painter, p.freq, color, label);
            }
            self.output.draw(painter, map, &self.output.hold, Stroke::new(1.0, theme::DIM_TEXT), None);
            self.output.draw(painter, map, &self.output.db, Stroke::new(1.5, theme::ACCENT), Some(theme::ACCENT.gamma_multiply(0.12)));
        });
    }
}

impl EditorApp for RingEditor {
    /// The spectrum reads the output, and the input for the modulator's frequency.
    const WINDOWS: Windows = Windows::BOTH;

    fn ui(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let dt = ui.input(|i| i.stable_dt).clamp(0.0, 0.25);
        self.update(dt);
        let p = self.params.clone();

        ui.horizontal(|ui| {
            ui.heading("Ferrite Ring");
            ui.add_space(16.0);
            ui.add(Selector::new(&p.model, setter));
            ui.add(Selector::new(&p.oversampling, setter).segments_up_to(6));
            let latency = self.data.latency();
            let ms = latency as f32 * 1000.0 / self.data.sample_rate();
            readout(ui, "Latency", &format!("{latency} samples ({ms:.2} ms)"));
        });
        ui.add_space(4.0);

        let plot_height = (ui.available_height() - 150.0).max(140.0);
        self.spectrum_plot(ui, plot_height);
        let caption = match (p.carrier.value(), self.input_hz) {
            (CarrierChoice::Sidechain, _) => "Carrier from the sidechain: products not marked".to_owned(),
            (_, None) => "Play a tone to see the products the model predicts".to_owned(),
            (_, Some(fm)) => format!("Input {fm:.1} Hz, carrier {:.1} Hz: marks at |m·fc ± n·fm|", self.carrier_hz()),
        };
        ui.label(egui::RichText::new(caption).small().color(theme::DIM_TEXT));

        ui.horizontal(|ui| {
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    ui.add(Selector::new(&p.carrier, setter).segments_up_to(6));
                    ui.add_space(8.0);
                    ui.add(Toggle::new(&p.note_follow, setter))
                        .on_hover_text("The carrier follows the played note: note frequency × ratio (A4 = 440 Hz)");
                });
                ui.horizontal(|ui| {
                    // Tight, as the kit's selectors: seven knobs and the meters fit 600 points.
                    ui.spacing_mut().item_spacing.x = 2.0;
                    if p.note_follow.value() {
                        ui.add(Knob::new(&p.carrier_ratio, setter).caption("Ratio"));
                        ui.add(Knob::new(&p.carrier_glide, setter).caption("Glide"));
                        ui.add(Knob::new(&p.bend_range, setter).caption("Bend"));
                    } else {
                        ui.add(Knob::new(&p.carrier_freq, setter).caption("Carrier"));
                    }
                    ui.add(Knob::new(&p.carrier_level, setter).caption("Car. Level"));
                    ui.add(Knob::new(&p.drive, setter));
                    ui.add(Knob::new(&p.mix, setter));
                    ui.add(Knob::new(&p.output, setter));
                });
            });
            ui.spacing_mut().item_spacing.x = 4.0;
            for (meter, name) in self.meters.iter_mut().zip(["In", "Carrier", "Out"]) {
                meter.show(ui, name, 96.0);
            }
        });
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sine_carrier_gives_only_odd_times_odd_products() {
        let ps = predicted_products(1931.0, 317.0, CarrierChoice::Sine, 24_000.0);
        assert!(ps.iter().all(|p| p.m % 2 == 1 && p.n % 2 == 1));
        let has = |f: f32| ps.iter().any(|p| (p.freq - f).abs() < 1e-3);
        assert!(has(1931.0 - 317.0) && has(1931.0 + 317.0) && has(3.0 * 1931.0 + 317.0) && has(1931.0 + 3.0 * 317.0));
        // The inputs themselves and the even-order products the theory tests check are absent.
        for f in [317.0, 1931.0, 2.0 * 317.0, 2.0 * 1931.0, 1931.0 + 2.0 * 317.0, 2.0 * 1931.0 - 317.0] {
            assert!(!has(f), "{f}");
        }
        // A saw carrier adds its even harmonics: 2·fc ± fm.
        let saw = predicted_products(1931.0, 317.0, CarrierChoice::Saw, 24_000.0);
        assert!(saw.iter().any(|p| (p.freq - (2.0 * 1931.0 - 317.0)).abs() < 1e-3));
        // Nothing at or above Nyquist, and nothing for nonsense input.
        assert!(ps.iter().all(|p| p.freq < 24_000.0));
        assert!(predicted_products(f32::NAN, 317.0, CarrierChoice::Sine, 24_000.0).is_empty());
    }
}
