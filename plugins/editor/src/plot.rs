//! A plot area with a log-frequency axis and a linear value axis (dB, or seconds for decay
//! times), with a grid, labels and helpers to draw curves and markers in its coordinates.

use egui::{pos2, vec2, Align2, Color32, Painter, Pos2, Rect, Response, Sense, Shape, Stroke, Ui, WidgetInfo, Role};

use crate::{theme, widgets::small_text};

/// Frequencies with grid lines.
const FREQ_GRID: [f32; 10] = [20.0, 50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 10e3, 20e3];

/// The axes of a plot: frequency `f_lo..f_hi` (log), value `y_lo..y_hi` (linear) in `unit`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axes {
    /// Lowest frequency shown (Hz).
    pub f_lo: f32,
    /// Highest frequency shown (Hz).
    pub f_hi: f32,
    /// Value at the bottom.
    pub y_lo: f32,
    /// Value at the top.
    pub y_hi: f32,
    /// Spacing of the value grid.
    pub y_step: f32,
    /// Unit of the value axis ("dB", "s").
    pub unit: &'static str,
}

impl Axes {
    /// 20 Hz – 20 kHz against `y_lo..y_hi` dB.
    pub fn audio_db(y_lo: f32, y_hi: f32, y_step: f32) -> Self {
        Self { f_lo: 20.0, f_hi: 20e3, y_lo, y_hi, y_step, unit: "dB" }
    }
}

/// The mapping of one drawn plot from frequency and value to screen points.
#[derive(Clone, Copy, Debug)]
pub struct PlotMap {
    /// The plot's screen rectangle.
    pub rect: Rect,
    /// Its axes.
    pub axes: Axes,
}

impl PlotMap {
    /// Screen x of frequency `f` (Hz), clamped to the plot.
    pub fn x(&self, f: f32) -> f32 {
        let t = (f.max(1e-3) / self.axes.f_lo).ln() / (self.axes.f_hi / self.axes.f_lo).ln();
        self.rect.left() + t.clamp(0.0, 1.0) * self.rect.width()
    }

    /// The frequency at screen x.
    pub fn freq(&self, x: f32) -> f32 {
        let t = (x - self.rect.left()) / self.rect.width();
        self.axes.f_lo * (self.axes.f_hi / self.axes.f_lo).powf(t)
    }

    /// Screen y of value `v`, clamped to the plot (non-finite values go to the bottom).
    pub fn y(&self, v: f32) -> f32 {
        let t = if v.is_finite() { (v - self.axes.y_lo) / (self.axes.y_hi - self.axes.y_lo) } else { 0.0 };
        self.rect.bottom() - t.clamp(0.0, 1.0) * self.rect.height()
    }

    /// Screen point of (frequency, value).
    pub fn point(&self, f: f32, v: f32) -> Pos2 {
        pos2(self.x(f), self.y(v))
    }

    /// Draws the curve through `(frequency, value)` points.
    pub fn curve(&self, painter: &Painter, points: impl IntoIterator<Item = (f32, f32)>, stroke: Stroke) {
        let line: Vec<Pos2> = points.into_iter().map(|(f, v)| self.point(f, v)).collect();
        if line.len() > 1 {
            painter.add(Shape::line(line, stroke));
        }
    }

    /// Fills the area under the curve with `fill`.
    pub fn area(&self, painter: &Painter, points: &[(f32, f32)], fill: Color32) {
        for w in points.windows(2) {
            let (a, b) = (self.point(w[0].0, w[0].1), self.point(w[1].0, w[1].1));
            if b.x - a.x >= 0.5 {
                let bottom = self.rect.bottom();
                let mesh = [a, b, pos2(b.x, bottom), pos2(a.x, bottom)];
                painter.add(Shape::convex_polygon(mesh.to_vec(), fill, Stroke::NONE));
            }
        }
    }

    /// A vertical marker at `f` with an optional label at the top.
    pub fn marker(&self, painter: &Painter, f: f32, color: Color32, label: Option<&str>) {
        if f < self.axes.f_lo || f > self.axes.f_hi || !f.is_finite() {
            return;
        }
        let x = self.x(f);
        painter.line_segment([pos2(x, self.rect.top()), pos2(x, self.rect.bottom())], Stroke::new(1.0, color));
        if let Some(label) = label {
            small_text(painter, pos2(x + 2.0, self.rect.top() + 2.0), Align2::LEFT_TOP, label, color);
        }
    }

    /// A horizontal marker at value `v` with an optional label at the right.
    pub fn level(&self, painter: &Painter, v: f32, color: Color32, label: Option<&str>) {
        let y = self.y(v);
        painter.line_segment([pos2(self.rect.left(), y), pos2(self.rect.right(), y)], Stroke::new(1.0, color));
        if let Some(label) = label {
            small_text(painter, pos2(self.rect.right() - 2.0, y - 1.0), Align2::RIGHT_BOTTOM, label, color);
        }
    }
}

/// Formats a frequency as the grid labels do: `50`, `2k`, `10k`.
pub fn freq_label(f: f32) -> String {
    if f >= 1e3 { format!("{}k", f / 1e3) } else { format!("{f}") }
}

/// Draws a plot of `size` (the available width when `size.x` is infinite) with `axes`,
/// accessible as `name`, then `contents` in its coordinates.
pub fn show(ui: &mut Ui, name: &str, size: egui::Vec2, axes: Axes, contents: impl FnOnce(&Painter, &PlotMap)) -> Response {
    let size = vec2(if size.x.is_finite() { size.x } else { ui.available_width() }, size.y);
    let (outer, response) = ui.allocate_exact_size(size, Sense::hover());
    response.widget_info(|| WidgetInfo::labeled(Role::Canvas, true, name));
    let painter = ui.painter_at(outer);
    painter.rect_filled(outer, 4.0, theme::WELL);
    // Room for the value labels on the left and the frequency labels below.
    let rect = Rect::from_min_max(outer.min + vec2(30.0, 6.0), outer.max - vec2(6.0, 16.0));
    let map = PlotMap { rect, axes };
    let grid = Stroke::new(1.0, theme::GRID);
    for f in FREQ_GRID {
        if f >= axes.f_lo && f <= axes.f_hi {
            let x = map.x(f);
            painter.line_segment([pos2(x, rect.top()), pos2(x, rect.bottom())], grid);
            small_text(&painter, pos2(x, rect.bottom() + 2.0), Align2::CENTER_TOP, &freq_label(f), theme::DIM_TEXT);
        }
    }
    if axes.y_step > 0.0 {
        let first = (axes.y_lo / axes.y_step).ceil() as i32;
        let last = (axes.y_hi / axes.y_step).floor() as i32;
        for i in first..=last.min(first + 64) {
            let v = i as f32 * axes.y_step;
            let y = map.y(v);
            painter.line_segment([pos2(rect.left(), y), pos2(rect.right(), y)], grid);
            let text = if axes.y_step < 1.0 { format!("{v:.1}") } else { format!("{v:.0}") };
            small_text(&painter, pos2(rect.left() - 3.0, y), Align2::RIGHT_CENTER, &text, theme::DIM_TEXT);
        }
    }
    small_text(&painter, pos2(outer.left() + 3.0, outer.bottom() - 2.0), Align2::LEFT_BOTTOM, axes.unit, theme::DIM_TEXT);
    contents(&ui.painter_at(rect), &map);
    response
}

/// `n` frequencies spaced evenly on the log axis from `f_lo` to `f_hi`.
pub fn log_frequencies(f_lo: f32, f_hi: f32, n: usize) -> impl Iterator<Item = f32> {
    let n = n.max(2);
    (0..n).map(move |i| f_lo * (f_hi / f_lo).powf(i as f32 / (n - 1) as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frequency_axis_is_logarithmic_and_invertible() {
        let map = PlotMap { rect: Rect::from_min_size(pos2(10.0, 0.0), vec2(300.0, 100.0)), axes: Axes::audio_db(-24.0, 24.0, 6.0) };
        // Each decade takes the same width: 20–200 and 200–2k are each a third of 20–20k.
        assert!((map.x(200.0) - 110.0).abs() < 1e-3);
        assert!((map.x(2000.0) - 210.0).abs() < 1e-3);
        for f in [20.0, 440.0, 9999.0, 20e3] {
            assert!((map.freq(map.x(f)) / f - 1.0).abs() < 1e-4);
        }
        assert_eq!(map.y(0.0), 50.0);
        assert_eq!(map.y(f32::NAN), 100.0);
        assert_eq!(map.y(100.0), 0.0);
    }
}
