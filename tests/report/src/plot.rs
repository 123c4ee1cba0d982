//! The drawing surface every figure shares: plotters draws into an RGB buffer (its bitmap
//! backend without the `image` crate), which is written as a PNG with the `png` crate. Text uses
//! one font registered from bytes (egui's Ubuntu Light, `epaint_default_fonts`), so nothing
//! depends on the machine's fonts, fontconfig or freetype.

use std::error::Error;
use std::fs::File;
use std::io::BufWriter;
use std::ops::Range;
use std::path::Path;
use std::sync::Once;

use plotters::coord::combinators::LogCoord;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// What the figures' functions return: plotters' and the PNG encoder's errors, boxed.
pub type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The font family every text uses (registered by [`png`]).
pub const FONT: &str = "sans-serif";

/// Text sizes, pixels: figure titles, panel captions, axis descriptions, tick labels, legends.
pub const TITLE: u32 = 30;
pub const CAPTION: u32 = 24;
pub const AXIS: u32 = 20;
pub const LABEL: u32 = 17;
pub const LEGEND: u32 = 17;

/// Series colours (Tableau 10): distinct for up to ten series, and readable on white.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The `i`th series colour (the palette repeats past ten).
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The drawing area [`png`] hands to a figure.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

fn register_font() {
    static FONT_ONCE: Once = Once::new();
    FONT_ONCE.call_once(|| {
        let registered = plotters::style::register_font(FONT, FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT);
        assert!(registered.is_ok(), "epaint's Ubuntu Light is not a font ab_glyph can read");
    });
}

/// Draws a `width × height` figure with `draw` on a white background and writes it to `path`
/// as an 8-bit RGB PNG.
pub fn png(path: &Path, (width, height): (u32, u32), draw: impl FnOnce(&Area<'_>) -> Result<()>) -> Result<()> {
    register_font();
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    let file = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    Ok(())
}

/// A legend entry's sample: a short line in the series' style.
pub fn legend_line(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style)
}

/// The legend box every figure uses, at `position`.
pub fn draw_legend<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>, position: SeriesLabelPosition) -> Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.5))
        .label_font((FONT, LEGEND))
        .margin(8)
        .draw()?;
    Ok(())
}

/// A chart of a quantity against frequency, as every response figure draws one: `caption` (text
/// and size) above, the frequency axis logarithmic over `hz` with Hz tick labels and
/// `x_label_area` pixels for them, `y` linear, the axes described by `descs` (x, y), and the
/// figures' margins and light grid.
pub fn frequency_chart<'a, 'b>(
    area: &'a Area<'b>,
    caption: (&str, u32),
    x_label_area: u32,
    hz: Range<f64>,
    y: Range<f64>,
    descs: (&str, &str),
) -> Result<ChartContext<'a, BitMapBackend<'b>, Cartesian2d<LogCoord<f64>, RangedCoordf64>>> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption.0, (FONT, caption.1))
        .margin(20)
        .x_label_area_size(x_label_area)
        .y_label_area_size(80)
        .build_cartesian_2d(hz.log_scale(), y)?;
    chart
        .configure_mesh()
        .x_desc(descs.0)
        .y_desc(descs.1)
        .axis_desc_style((FONT, AXIS))
        .label_style((FONT, LABEL))
        .x_label_formatter(&hz_label)
        .light_line_style(BLACK.mix(0.05))
        .draw()?;
    Ok(chart)
}

/// Log-spaced frequencies from `lo` to `hi` Hz, `n` of them (both ends included).
pub fn log_frequencies(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
    let (a, b) = (lo.ln(), hi.ln());
    (0..n).map(move |i| (a + (b - a) * i as f64 / (n - 1).max(1) as f64).exp())
}

/// A frequency tick label: "200", "1k", "2.5k".
pub fn hz_label(f: &f64) -> String {
    if *f >= 1000.0 {
        let k = f / 1000.0;
        if (k - k.round()).abs() < 1e-6 {
            format!("{}k", k.round())
        } else {
            format!("{k:.1}k")
        }
    } else {
        format!("{}", f.round())
    }
}
