//! Parameter controls. Every edit goes through the host-facing [`ParamSetter`] and is wrapped
//! in a begin/end gesture, so a host records it as automation and its undo sees one step.

use std::f32::consts::PI;

use egui::{
    vec2, Align2, Color32, FontId, Id, Key, Response, Sense, Shape, Stroke, TextEdit, Ui, Widget, WidgetInfo,
    Role,
};
use nice_plug::prelude::{Param, ParamSetter};

use crate::plot::CURVE_TOLERANCE;
use crate::theme;

/// Normalized change per point of vertical drag (a full sweep over 200 points).
const DRAG_PER_POINT: f32 = 1.0 / 200.0;
/// Shift divides drag and wheel steps by this.
const FINE: f32 = 10.0;
/// Normalized change per wheel notch (a line; pixel-precise wheels count 50 points a notch).
const WHEEL_PER_NOTCH: f32 = 0.01;

/// Sets `param` to `normalized` as one host gesture.
pub fn set_normalized<P: Param>(setter: &ParamSetter, param: &P, normalized: f32) {
    setter.begin_set_parameter(param);
    setter.set_parameter_normalized(param, normalized.clamp(0.0, 1.0));
    setter.end_set_parameter(param);
}

/// The memory a knob keeps between frames.
#[derive(Clone, Default)]
struct KnobMemory {
    /// Normalized value (unquantised) while a drag is under way.
    dragging: Option<f32>,
    /// The text being typed, while typed entry is open.
    editing: Option<String>,
    /// The typed text could not be parsed.
    invalid: bool,
    /// Enter was pressed on text that did not parse: keep the field and its focus.
    refocus: bool,
}

/// A rotary knob for a continuous parameter: drag up/down (Shift for fine), wheel,
/// double-click for the default, click the value to type one in the parameter's own text
/// form (`50%`, `-6 dB`, `2 kHz`…). Shows the name above and the value with its unit below.
pub struct Knob<'a, P: Param> {
    param: &'a P,
    setter: &'a ParamSetter<'a>,
    diameter: f32,
    accent: Color32,
    label: Option<&'a str>,
}

impl<'a, P: Param> Knob<'a, P> {
    /// A knob for `param`, editing through `setter`.
    pub fn new(param: &'a P, setter: &'a ParamSetter<'a>) -> Self {
        Self { param, setter, diameter: 46.0, accent: theme::ACCENT, label: None }
    }

    /// Knob diameter in points.
    pub fn diameter(mut self, diameter: f32) -> Self {
        self.diameter = diameter;
        self
    }

    /// Arc colour.
    pub fn accent(mut self, accent: Color32) -> Self {
        self.accent = accent;
        self
    }

    /// A shorter caption than the parameter's name (the accessible label stays the name).
    pub fn caption(mut self, label: &'a str) -> Self {
        self.label = Some(label);
        self
    }

    fn text(&self) -> String {
        self.param.normalized_value_to_string(self.param.unmodulated_normalized_value(), true)
    }
}

impl<P: Param> Widget for Knob<'_, P> {
    fn ui(self, ui: &mut Ui) -> Response {
        let name = self.param.name();
        let id = Id::unique(("ferrite-knob", name));
        let mut memory: KnobMemory = ui.data(|d| d.get_temp(id)).unwrap_or_default();
        let width = self.diameter.max(64.0);

        // A column exactly `width` wide and as tall as its caption, dial and value (centred
        // inside it), whatever the parent's layout: a row of knobs stays a row, instead of each
        // knob centring in all the width left, or, in a row that centres its items vertically,
        // starting lower than the one before as the row grows.
        let text_height = |font: FontId| ui.painter().layout_no_wrap("Ag".into(), font, theme::TEXT).size().y;
        let value_height = text_height(FontId::monospace(11.0)).max(ui.spacing().interact_size.y);
        let height = text_height(FontId::proportional(10.0)) + self.diameter + value_height + 2.0 * ui.spacing().item_spacing.y;
        let layout = egui::Layout::top_down(egui::Align::Center);
        let outer = ui
            .allocate_ui_with_layout(vec2(width, height), layout, |ui| {
                ui.set_width(width);
                ui.set_min_height(height);
                caption(ui, self.label.unwrap_or(name), width);
                let (rect, mut response) =
                    ui.allocate_exact_size(vec2(self.diameter, self.diameter), Sense::click_and_drag());

                // Gestures: drag, double-click, wheel.
                if response.drag_started() {
                    self.setter.begin_set_parameter(self.param);
                    memory.dragging = Some(self.param.unmodulated_normalized_value());
                }
                if response.dragged() {
                    let fine = if ui.input(|i| i.modifiers.shift) { FINE } else { 1.0 };
                    let delta = response.drag_delta();
                    let start = memory.dragging.unwrap_or(self.param.unmodulated_normalized_value());
                    let value = (start + (delta.x - delta.y) * DRAG_PER_POINT / fine).clamp(0.0, 1.0);
                    memory.dragging = Some(value);
                    self.setter.set_parameter_normalized(self.param, value);
                    response.mark_changed();
                }
                if response.drag_stopped() {
                    self.setter.end_set_parameter(self.param);
                    memory.dragging = None;
                }
                if response.double_clicked() {
                    set_normalized(self.setter, self.param, self.param.default_normalized_value());
                    response.mark_changed();
                }
                if response.hovered() && memory.dragging.is_none() {
                    let (notches, shift) = ui.input(|i| (wheel_notches(&i.events), i.modifiers.shift));
                    if notches != 0.0 {
                        let fine = if shift { FINE } else { 1.0 };
                        let value = self.param.unmodulated_normalized_value() + notches * WHEEL_PER_NOTCH / fine;
                        set_normalized(self.setter, self.param, value);
                        response.mark_changed();
                    }
                }

                let value = self.param.unmodulated_normalized_value();
                let text = self.text();
                response.widget_info(|| {
                    let mut info = WidgetInfo::slider(true, value as f64, name);
                    info.value = Some(value as f64);
                    info.current_text_value = Some(text.clone());
                    info
                });
                paint_knob(ui, rect, value, self.param.modulated_normalized_value(), self.accent, response.hovered());

                // The value, or the typed-entry field in its place.
                let edit_id = id.with("edit");
                if let Some(mut typed) = memory.editing.take() {
                    let field = TextEdit::singleline(&mut typed)
                        .id(edit_id)
                        .desired_width(width)
                        .align(egui::Align2::CENTER_CENTER)
                        .text_color(if memory.invalid { theme::WARNING } else { theme::TEXT });
                    let field = ui.add(field);
                    let label = format!("Value of {name}");
                    field.widget_info(|| WidgetInfo::labeled(Role::TextInput, true, &label));
                    if !field.has_focus() && !field.lost_focus() {
                        field.request_focus();
                    }
                    if field.gained_focus() {
                        // Typing replaces the whole value, as in every host's entry box.
                        select_all(ui, edit_id, typed.chars().count());
                    }
                    let (enter, escape) = ui.input(|i| (i.key_pressed(Key::Enter), i.key_pressed(Key::Escape)));
                    if enter {
                        match self.param.string_to_normalized_value(typed.trim()) {
                            Some(normalized) => {
                                set_normalized(self.setter, self.param, normalized);
                                response.mark_changed();
                                memory.invalid = false;
                            }
                            None => {
                                // Keep the text for the user to fix; Enter also drops the
                                // field's focus, so take it back next frame.
                                memory.invalid = true;
                                memory.refocus = true;
                                memory.editing = Some(typed);
                            }
                        }
                    } else if escape || (field.lost_focus() && !memory.refocus) {
                        memory.invalid = false;
                    } else {
                        if memory.refocus && !field.has_focus() {
                            field.request_focus();
                        }
                        memory.refocus = false;
                        memory.editing = Some(typed);
                    }
                } else {
                    let shown = ui.add(
                        egui::Label::new(egui::RichText::new(&text).monospace().size(11.0))
                            .sense(Sense::click())
                            .selectable(false),
                    );
                    let label = format!("Type {name}");
                    shown.widget_info(|| WidgetInfo::labeled(Role::Button, true, &label));
                    if shown.clicked() {
                        memory.editing = Some(text.clone());
                        memory.invalid = false;
                    }
                    shown.on_hover_text("Click to type a value");
                }
                response
            })
            .inner;
        ui.data_mut(|d| d.insert_temp(id, memory));
        outer
    }
}

/// Wheel notches up (positive) or down in this frame's events.
fn wheel_notches(events: &[egui::Event]) -> f32 {
    use egui::MouseWheelUnit;
    events
        .iter()
        .map(|e| match e {
            egui::Event::MouseWheel { unit, delta, .. } => {
                let d = delta.y + delta.x;
                match unit {
                    MouseWheelUnit::Point => d / 50.0,
                    MouseWheelUnit::Line => d,
                    MouseWheelUnit::Page => d * 10.0,
                }
            }
            _ => 0.0,
        })
        .sum()
}

/// Selects the whole text of the field `id` so typing replaces it.
fn select_all(ui: &Ui, id: Id, chars: usize) {
    use egui::text::{CCursor, CCursorRange};
    let mut state = egui::text_edit::TextEditState::load(ui.ctx(), id).unwrap_or_default();
    state.cursor.set_char_range(Some(CCursorRange::two(CCursor::new(0), CCursor::new(chars))));
    state.store(ui.ctx(), id);
}

/// Chords for an arc of `angle` radians at radius `r` (points) that stray at most
/// [`CURVE_TOLERANCE`] from the circle: a chord c is off by its sagitta, about c² / 8r.
fn arc_steps(angle: f32, r: f32) -> usize {
    let chord = (8.0 * r.max(0.5) * CURVE_TOLERANCE).sqrt();
    ((angle * r / chord).ceil().clamp(1.0, 256.0) as usize).max(1)
}

fn paint_knob(ui: &Ui, rect: egui::Rect, value: f32, modulated: f32, accent: Color32, hovered: bool) {
    let painter = ui.painter_at(rect.expand(2.0));
    let center = rect.center();
    let radius = rect.width() * 0.5 - 3.0;
    // 270° of travel, from the lower left (−135°) to the lower right (+135°).
    let angle = |v: f32| -PI * 0.75 + v.clamp(0.0, 1.0) * PI * 1.5;
    let point = |a: f32, r: f32| center + vec2(a.sin(), -a.cos()) * r;
    let arc = |from: f32, to: f32, r: f32| -> Vec<egui::Pos2> {
        let steps = arc_steps((to - from).abs(), r);
        (0..=steps).map(|i| point(from + (to - from) * i as f32 / steps as f32, r)).collect()
    };
    // The body as a polygon (egui's circle has 64 sides at this size, three times as many).
    let sides = arc_steps(std::f32::consts::TAU, radius).max(12);
    let body = (0..sides).map(|i| point(i as f32 * std::f32::consts::TAU / sides as f32, radius)).collect();
    painter.add(Shape::convex_polygon(body, if hovered { theme::GRID.gamma_multiply(1.4) } else { theme::GRID }, Stroke::NONE));
    painter.add(Shape::line(arc(angle(0.0), angle(1.0), radius), Stroke::new(3.0, theme::WELL)));
    painter.add(Shape::line(arc(angle(0.0), angle(value), radius), Stroke::new(3.0, accent)));
    if (modulated - value).abs() > 1e-4 {
        painter.add(Shape::line(arc(angle(value), angle(modulated), radius - 4.0), Stroke::new(2.0, theme::SECONDARY)));
    }
    painter.line_segment([point(angle(value), radius * 0.2), point(angle(value), radius * 0.85)], Stroke::new(2.5, theme::TEXT));
}

/// A selector for a parameter with a few discrete values (an `EnumParam`, or an `IntParam`
/// with a small range): a row of segments when there are at most `segments_up_to` choices,
/// otherwise a drop-down. Each choice is labelled by the parameter's own text.
pub struct Selector<'a, P: Param> {
    param: &'a P,
    setter: &'a ParamSetter<'a>,
    segments_up_to: usize,
}

impl<'a, P: Param> Selector<'a, P> {
    /// A selector for `param`, editing through `setter`.
    pub fn new(param: &'a P, setter: &'a ParamSetter<'a>) -> Self {
        Self { param, setter, segments_up_to: 5 }
    }

    /// Draw segments for up to `n` choices (a drop-down above).
    pub fn segments_up_to(mut self, n: usize) -> Self {
        self.segments_up_to = n;
        self
    }
}

impl<P: Param> Widget for Selector<'_, P> {
    fn ui(self, ui: &mut Ui) -> Response {
        let steps = self.param.step_count().unwrap_or(1).max(1);
        let current = (self.param.unmodulated_normalized_value() * steps as f32).round() as usize;
        let choice = |i: usize| i as f32 / steps as f32;
        let label = |i: usize| self.param.normalized_value_to_string(choice(i), false);
        let name = self.param.name();
        let mut picked = None;
        let response = if steps < self.segments_up_to {
            ui.vertical(|ui| {
                caption(ui, name, 0.0);
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = 2.0;
                    for i in 0..=steps {
                        if ui.selectable_label(i == current, label(i)).clicked() && i != current {
                            picked = Some(i);
                        }
                    }
                })
                .response
            })
            .inner
        } else {
            egui::ComboBox::from_label(name)
                .selected_text(label(current))
                .show_ui(ui, |ui| {
                    for i in 0..=steps {
                        if ui.selectable_label(i == current, label(i)).clicked() && i != current {
                            picked = Some(i);
                        }
                    }
                })
                .response
        };
        if let Some(i) = picked {
            set_normalized(self.setter, self.param, choice(i));
        }
        response
    }
}

/// A toggle for a boolean parameter, labelled with its name.
pub struct Toggle<'a, P: Param> {
    param: &'a P,
    setter: &'a ParamSetter<'a>,
}

impl<'a, P: Param> Toggle<'a, P> {
    /// A toggle for `param`, editing through `setter`.
    pub fn new(param: &'a P, setter: &'a ParamSetter<'a>) -> Self {
        Self { param, setter }
    }
}

impl<P: Param> Widget for Toggle<'_, P> {
    fn ui(self, ui: &mut Ui) -> Response {
        let mut on = self.param.unmodulated_normalized_value() > 0.5;
        let response = ui.checkbox(&mut on, self.param.name());
        if response.changed() {
            set_normalized(self.setter, self.param, if on { 1.0 } else { 0.0 });
        }
        response
    }
}

/// A read-only value with a caption (latency, tempo, solver load…).
pub fn readout(ui: &mut Ui, caption: &str, value: &str) -> Response {
    ui.vertical(|ui| {
        self::caption(ui, caption, 0.0);
        let r = ui.label(egui::RichText::new(value).monospace());
        r.widget_info(|| WidgetInfo::labeled(Role::Label, true, format!("{caption}: {value}")));
        r
    })
    .inner
}

/// A caption painted above a control (not a widget of its own, so a control is found by its
/// name exactly once).
pub fn caption(ui: &mut Ui, text: &str, width: f32) {
    let galley = ui.painter().layout_no_wrap(text.to_owned(), FontId::proportional(10.0), theme::DIM_TEXT);
    let size = vec2(galley.size().x.max(width), galley.size().y);
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let x = rect.center().x - galley.size().x * 0.5;
    let x = if width > 0.0 { x } else { rect.left() };
    ui.painter().galley(egui::pos2(x, rect.top()), galley, theme::DIM_TEXT);
}

/// Paints `text` at `pos` (used by plots and meters).
pub(crate) fn small_text(painter: &egui::Painter, pos: egui::Pos2, align: Align2, text: &str, color: Color32) {
    painter.text(pos, align, text, FontId::proportional(10.0), color);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knob_arcs_stay_within_the_curve_tolerance_of_the_circle() {
        for r in [8.0f32, 17.0, 20.0, 23.0, 60.0] {
            for angle in [0.01f32, 1.0, 1.5 * PI, 2.0 * PI] {
                let steps = arc_steps(angle, r);
                // Each chord's sagitta, exactly.
                let sagitta = r * (1.0 - (angle / steps as f32 / 2.0).cos());
                assert!(sagitta <= CURVE_TOLERANCE * 1.001, "r {r}, angle {angle}: {steps} chords miss by {sagitta}");
                // And not needlessly many: one chord fewer would miss.
                if steps > 1 {
                    let coarser = r * (1.0 - (angle / (steps - 1) as f32 / 2.0).cos());
                    assert!(coarser > CURVE_TOLERANCE * 0.9, "r {r}, angle {angle}: {steps} chords where fewer would do");
                }
            }
        }
        assert_eq!(arc_steps(f32::NAN, 10.0), 1);
    }
}
