//! A plot area with a log-frequency axis and a linear value axis (dB, or seconds for decay
//! times), with a grid, labels and helpers to draw curves and markers in its coordinates.

use egui::{pos2, vec2, Align2, Color32, Mesh, Painter, Pos2, Rect, Response, Sense, Shape, Stroke, Ui, WidgetInfo, Role};

use crate::{theme, widgets::small_text};

/// How far (screen points) a drawn curve may stray from its computed points: well under the
/// one-pixel anti-aliased edge, so the simplification cannot be seen.
pub const CURVE_TOLERANCE: f32 = 0.25;

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

    /// Draws the curve through `(frequency, value)` points, [simplified](simplify) to within
    /// [`CURVE_TOLERANCE`].
    pub fn curve(&self, painter: &Painter, points: impl IntoIterator<Item = (f32, f32)>, stroke: Stroke) {
        let line: Vec<Pos2> = points.into_iter().map(|(f, v)| self.point(f, v)).collect();
        let line = simplify(&line, CURVE_TOLERANCE);
        if line.len() > 1 {
            painter.add(Shape::line(line, stroke));
        }
    }

    /// Fills the area under the curve through `(frequency, value)` points with `fill`.
    pub fn area(&self, painter: &Painter, points: &[(f32, f32)], fill: Color32) {
        let line: Vec<Pos2> = points.iter().map(|&(f, v)| self.point(f, v)).collect();
        fill_under(painter, &simplify(&line, CURVE_TOLERANCE), self.rect.bottom(), fill);
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

/// The points of the polyline `points` that keep it within `tolerance` of every original point
/// (Ramer–Douglas–Peucker): a flat or straight stretch becomes one segment, while notches,
/// peaks and bends keep the points that shape them. Far fewer, longer segments cost the
/// rasteriser far less than one per pixel (each segment of an anti-aliased line is six
/// triangles). Non-finite points are dropped.
pub fn simplify(points: &[Pos2], tolerance: f32) -> Vec<Pos2> {
    let points: Vec<Pos2> = points.iter().copied().filter(|p| p.is_finite()).collect();
    let n = points.len();
    if n < 3 {
        return points;
    }
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    // Spans still to check; each split adds at most two, and each point is split on at most
    // once, so the loop ends after fewer than 2n spans.
    let mut spans = vec![(0, n - 1)];
    while let Some((a, b)) = spans.pop() {
        let far = (a + 1..b).map(|i| (segment_distance(points[i], points[a], points[b]), i)).max_by(|x, y| x.0.total_cmp(&y.0));
        if let Some((_, i)) = far.filter(|&(d, _)| d > tolerance) {
            keep[i] = true;
            spans.push((a, i));
            spans.push((i, b));
        }
    }
    points.into_iter().zip(keep).filter_map(|(p, k)| k.then_some(p)).collect()
}

/// Distance from `p` to the segment `a`–`b`.
pub fn segment_distance(p: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let len2 = ab.length_sq();
    let t = if len2 > 0.0 { ((p - a).dot(ab) / len2).clamp(0.0, 1.0) } else { 0.0 };
    (p - (a + ab * t)).length()
}

/// Fills between the polyline `points` (left to right) and the line at `bottom` with `fill`:
/// one mesh, two triangles per segment, no anti-aliased fringe (the curve drawn over it gives
/// the edge), so neighbouring segments neither overlap nor leave seams.
pub fn fill_under(painter: &Painter, points: &[Pos2], bottom: f32, fill: Color32) {
    let points: Vec<Pos2> = points.iter().copied().filter(|p| p.is_finite()).collect();
    if points.len() < 2 || !bottom.is_finite() {
        return;
    }
    let mut mesh = Mesh::default();
    for (k, p) in points.iter().enumerate() {
        mesh.colored_vertex(*p, fill);
        mesh.colored_vertex(pos2(p.x, bottom), fill);
        if k > 0 {
            let i = 2 * k as u32;
            mesh.add_triangle(i - 2, i, i - 1);
            mesh.add_triangle(i - 1, i, i + 1);
        }
    }
    painter.add(Shape::mesh(mesh));
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

    /// Largest distance from any of `original` to the polyline `simple`.
    fn max_error(original: &[Pos2], simple: &[Pos2]) -> f32 {
        original
            .iter()
            .map(|&p| simple.windows(2).map(|w| segment_distance(p, w[0], w[1])).fold(f32::INFINITY, f32::min))
            .fold(0.0, f32::max)
    }

    #[test]
    fn a_straight_line_simplifies_to_its_ends() {
        let line: Vec<Pos2> = (0..500).map(|i| pos2(i as f32, 3.0 + 0.5 * i as f32)).collect();
        assert_eq!(simplify(&line, CURVE_TOLERANCE), vec![line[0], line[499]]);
    }

    #[test]
    fn a_simplified_curve_stays_within_the_tolerance_and_keeps_its_notches() {
        // A phaser-like response: flat, with narrow deep notches, one point per pixel.
        let notch = |x: f32, at: f32| -40.0 / (1.0 + ((x - at) / 1.5).powi(2));
        let line: Vec<Pos2> = (0..700).map(|i| {
            let x = i as f32;
            pos2(x, 100.0 - notch(x, 123.0) - notch(x, 410.5) + 2.0 * (x / 90.0).sin())
        }).collect();
        let simple = simplify(&line, CURVE_TOLERANCE);
        assert!(max_error(&line, &simple) <= CURVE_TOLERANCE, "error {}", max_error(&line, &simple));
        assert!(simple.len() * 4 < line.len(), "{} of {} points kept", simple.len(), line.len());
        // The notches' bottoms (the lowest screen points) are kept exactly.
        for at in [123.0, 410.0] {
            let bottom = line.iter().filter(|p| (p.x - at).abs() < 3.0).max_by(|a, b| a.y.total_cmp(&b.y)).unwrap();
            assert!(simple.contains(bottom), "the notch at {at} lost its bottom");
        }
        assert_eq!((simple[0], *simple.last().unwrap()), (line[0], line[699]));
        // A tighter tolerance keeps more points and still holds.
        let tight = simplify(&line, 0.05);
        assert!(tight.len() > simple.len() && max_error(&line, &tight) <= 0.05);
    }

    #[test]
    fn non_finite_points_are_dropped() {
        let line = [pos2(0.0, 0.0), pos2(f32::NAN, 1.0), pos2(1.0, 5.0), pos2(2.0, f32::INFINITY), pos2(3.0, 0.0)];
        assert_eq!(simplify(&line, 0.1), vec![pos2(0.0, 0.0), pos2(1.0, 5.0), pos2(3.0, 0.0)]);
    }
}
