//! One look for all four editors: dark panels, one accent per plugin, readable text.

use egui::{Color32, Context, CornerRadius, FontId, Stroke, TextStyle, Visuals};

/// Panel background.
pub const BACKGROUND: Color32 = Color32::from_rgb(0x1b, 0x1d, 0x22);
/// Plot and meter background.
pub const WELL: Color32 = Color32::from_rgb(0x12, 0x13, 0x17);
/// Grid lines.
pub const GRID: Color32 = Color32::from_rgb(0x2c, 0x2f, 0x37);
/// Axis labels and secondary text.
pub const DIM_TEXT: Color32 = Color32::from_rgb(0x8a, 0x90, 0x9c);
/// Primary text.
pub const TEXT: Color32 = Color32::from_rgb(0xe4, 0xe6, 0xeb);
/// The default accent (knob arcs, curves).
pub const ACCENT: Color32 = Color32::from_rgb(0xf0, 0x8a, 0x24);
/// A second curve or marker colour.
pub const SECONDARY: Color32 = Color32::from_rgb(0x4f, 0xb3, 0xd9);
/// Warnings (clipping, errors).
pub const WARNING: Color32 = Color32::from_rgb(0xe5, 0x48, 0x4d);
/// Meter RMS fill.
pub const METER: Color32 = Color32::from_rgb(0x5f, 0xc2, 0x7e);

/// Applies the theme to `ctx` (idempotent; called when the window opens).
pub fn apply(ctx: &Context) {
    let mut visuals = Visuals::dark();
    visuals.panel_fill = BACKGROUND;
    visuals.window_fill = BACKGROUND;
    visuals.extreme_bg_color = WELL;
    visuals.override_text_color = Some(TEXT);
    visuals.selection.bg_fill = ACCENT.gamma_multiply(0.6);
    visuals.selection.stroke = Stroke::new(1.0, TEXT);
    for w in [&mut visuals.widgets.inactive, &mut visuals.widgets.hovered, &mut visuals.widgets.active] {
        w.corner_radius = CornerRadius::same(3);
    }
    ctx.all_styles_mut(|style| {
        style.visuals = visuals.clone();
        style.text_styles.insert(TextStyle::Small, FontId::proportional(10.0));
        style.text_styles.insert(TextStyle::Body, FontId::proportional(13.0));
        style.text_styles.insert(TextStyle::Button, FontId::proportional(13.0));
        style.text_styles.insert(TextStyle::Heading, FontId::proportional(17.0));
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
    });
}

/// The window's clear colour: [`BACKGROUND`]. egui-baseview hands an [`egui::Rgba`] straight
/// to `glClearColor` on a framebuffer without sRGB conversion, so its components must be the
/// colour's gamma-encoded bytes over 255, not `Rgba::from(Color32)` (linear, near black).
pub fn clear_color() -> egui::Rgba {
    let [r, g, b, a] = BACKGROUND.to_normalized_gamma_f32();
    egui::Rgba::from_rgba_premultiplied(r, g, b, a)
}

/// The frame of an editor's central panel: the usual margins and no fill. The background is
/// the window's clear colour ([`BACKGROUND`], set when the window opens), which costs nothing,
/// where a filled panel is one more blended pass over every pixel of the window (about 7 ms a
/// frame at 760×480 in Mesa's single-threaded software rasteriser).
pub fn panel_frame(style: &egui::Style) -> egui::Frame {
    egui::Frame::central_panel(style).fill(Color32::TRANSPARENT)
}

/// Shows `contents` in the editor's central panel ([`panel_frame`]).
pub fn central_panel<R>(ui: &mut egui::Ui, contents: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let frame = panel_frame(ui.style());
    egui::CentralPanel::default().frame(frame).show(ui, contents).inner
}

/// A section heading.
pub fn heading(ui: &mut egui::Ui, text: &str) {
    ui.label(egui::RichText::new(text).color(DIM_TEXT).small().strong());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clear_colour_is_the_background_s_bytes() {
        let c = clear_color();
        let bytes = [c.r(), c.g(), c.b(), c.a()].map(|x| (x * 255.0).round() as u8);
        assert_eq!(bytes, BACKGROUND.to_array());
    }
}
