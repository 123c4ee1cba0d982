//! Peak and RMS meters with peak hold, fed by the audio thread's meter atomics.

use egui::{pos2, vec2, Align2, Rect, Response, Sense, Stroke, Ui, WidgetInfo, Role};
use ferrite_plugin_common::editor_data::{MeterReading, METER_CHANNELS};

use crate::{theme, widgets::small_text};

/// The bottom of the scale.
pub const FLOOR_DB: f32 = -60.0;
/// The top of the scale.
pub const CEILING_DB: f32 = 6.0;
/// How long a peak stays held.
pub const HOLD_SECONDS: f32 = 1.5;
/// How fast the peak bar falls (dB per second), as on a PPM.
pub const FALL_DB_PER_SECOND: f32 = 20.0;
/// RMS smoothing time constant (seconds), like a VU's integration.
pub const RMS_SECONDS: f32 = 0.3;

fn db(x: f32) -> f32 {
    if x > 0.0 && x.is_finite() { (20.0 * x.log10()).max(FLOOR_DB) } else { FLOOR_DB }
}

/// Ballistics of one meter (one or two channels): fed readings, it gives the bar heights.
#[derive(Clone, Debug)]
pub struct MeterState {
    /// Peak bar (dBFS).
    pub peak_db: [f32; METER_CHANNELS],
    /// RMS bar (dBFS).
    pub rms_db: [f32; METER_CHANNELS],
    /// Held peak (dBFS).
    pub hold_db: [f32; METER_CHANNELS],
    /// Seconds the held peak has left.
    hold_left: [f32; METER_CHANNELS],
    /// Mean square, smoothed.
    power: [f32; METER_CHANNELS],
    /// Channels shown.
    pub channels: usize,
}

impl MeterState {
    /// A silent meter showing `channels` (1 or 2) bars.
    pub fn new(channels: usize) -> Self {
        Self {
            peak_db: [FLOOR_DB; METER_CHANNELS],
            rms_db: [FLOOR_DB; METER_CHANNELS],
            hold_db: [FLOOR_DB; METER_CHANNELS],
            hold_left: [0.0; METER_CHANNELS],
            power: [0.0; METER_CHANNELS],
            channels: channels.clamp(1, METER_CHANNELS),
        }
    }

    /// Advances by `dt` seconds with the readings taken over that time.
    pub fn update(&mut self, readings: [MeterReading; METER_CHANNELS], dt: f32) {
        let dt = dt.clamp(0.0, 1.0);
        let k = 1.0 - (-dt / RMS_SECONDS).exp();
        for (ch, r) in readings.into_iter().enumerate() {
            let peak = db(r.peak);
            self.peak_db[ch] = peak.max(self.peak_db[ch] - FALL_DB_PER_SECOND * dt);
            let square = if r.rms.is_finite() { r.rms * r.rms } else { 0.0 };
            self.power[ch] += k * (square - self.power[ch]);
            self.rms_db[ch] = db(self.power[ch].sqrt());
            self.hold_left[ch] -= dt;
            if peak >= self.hold_db[ch] || self.hold_left[ch] <= 0.0 {
                self.hold_db[ch] = peak.max(if self.hold_left[ch] <= 0.0 { self.peak_db[ch] } else { FLOOR_DB });
                self.hold_left[ch] = HOLD_SECONDS;
            }
        }
    }

    /// Draws the meter, `height` points tall, captioned `name`; clicking it resets the hold.
    pub fn show(&mut self, ui: &mut Ui, name: &str, height: f32) -> Response {
        let bar = 7.0;
        let width = bar * self.channels as f32 + 2.0 * (self.channels as f32 - 1.0) + 22.0;
        let response = ui
            .vertical(|ui| {
                crate::widgets::caption(ui, name, 0.0);
                let (rect, response) = ui.allocate_exact_size(vec2(width, height), Sense::click());
                let painter = ui.painter_at(rect);
                let y = |d: f32| rect.bottom() - (d.clamp(FLOOR_DB, CEILING_DB) - FLOOR_DB) / (CEILING_DB - FLOOR_DB) * rect.height();
                for ch in 0..self.channels {
                    let x0 = rect.left() + ch as f32 * (bar + 2.0);
                    let well = Rect::from_min_max(pos2(x0, rect.top()), pos2(x0 + bar, rect.bottom()));
                    painter.rect_filled(well, 1.0, theme::WELL);
                    let peak = Rect::from_min_max(pos2(x0, y(self.peak_db[ch])), pos2(x0 + bar, rect.bottom()));
                    painter.rect_filled(peak, 1.0, theme::METER.gamma_multiply(0.45));
                    let rms = Rect::from_min_max(pos2(x0, y(self.rms_db[ch])), pos2(x0 + bar, rect.bottom()));
                    painter.rect_filled(rms, 1.0, theme::METER);
                    let hold_color = if self.hold_db[ch] > 0.0 { theme::WARNING } else { theme::TEXT };
                    let hy = y(self.hold_db[ch]);
                    painter.line_segment([pos2(x0, hy), pos2(x0 + bar, hy)], Stroke::new(1.5, hold_color));
                }
                let scale_x = rect.left() + self.channels as f32 * (bar + 2.0) + 1.0;
                for d in [0.0, -6.0, -12.0, -24.0, -48.0] {
                    small_text(&painter, pos2(scale_x, y(d)), Align2::LEFT_CENTER, &format!("{d:.0}"), theme::DIM_TEXT);
                }
                response
            })
            .inner;
        if response.clicked() {
            self.hold_db = [FLOOR_DB; METER_CHANNELS];
        }
        let text = format!("{:.1} dB peak", self.hold_db[..self.channels].iter().fold(FLOOR_DB, |a, &b| a.max(b)));
        response.widget_info(|| WidgetInfo::labeled(Role::ProgressIndicator, true, format!("{name} meter: {text}")));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_scale_sine_reads_0_db_peak_and_minus_3_db_rms() {
        let mut m = MeterState::new(1);
        let r = MeterReading { peak: 1.0, rms: std::f32::consts::FRAC_1_SQRT_2 };
        for _ in 0..200 {
            m.update([r; METER_CHANNELS], 1.0 / 60.0);
        }
        assert!(m.peak_db[0].abs() < 1e-4, "{}", m.peak_db[0]);
        assert!((m.rms_db[0] + 3.0103).abs() < 0.01, "{}", m.rms_db[0]);
        assert!(m.hold_db[0].abs() < 1e-4);
    }

    #[test]
    fn the_peak_holds_then_falls_at_the_ppm_rate() {
        let mut m = MeterState::new(1);
        m.update([MeterReading { peak: 1.0, rms: 0.5 }; METER_CHANNELS], 1.0 / 60.0);
        let silence = [MeterReading::default(); METER_CHANNELS];
        // One second later the hold still shows 0 dB while the bar fell 20 dB.
        for _ in 0..60 {
            m.update(silence, 1.0 / 60.0);
        }
        assert!(m.hold_db[0].abs() < 1e-4, "{}", m.hold_db[0]);
        assert!((m.peak_db[0] + 20.0).abs() < 0.5, "{}", m.peak_db[0]);
        // After the hold time it lets go.
        for _ in 0..60 {
            m.update(silence, 1.0 / 60.0);
        }
        assert!(m.hold_db[0] < -20.0, "{}", m.hold_db[0]);
    }

    #[test]
    fn non_finite_readings_do_not_poison_the_meter() {
        let mut m = MeterState::new(2);
        m.update([MeterReading { peak: f32::NAN, rms: f32::INFINITY }; METER_CHANNELS], 0.1);
        m.update([MeterReading { peak: 0.5, rms: 0.25 }; METER_CHANNELS], 0.1);
        assert!(m.peak_db.iter().chain(&m.rms_db).chain(&m.hold_db).all(|v| v.is_finite()));
    }
}
