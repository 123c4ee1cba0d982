//! The deadline bench's results (`tests/clap-host/benches/deadlines.rs`, which writes
//! `deadlines.tsv` when `FERRITE_BENCH_OUT` is set): its markdown table again, and one figure
//! with a panel per period of the callback-duration histograms, duration as a percentage of the
//! period, with the deadline (100 %) marked.

use std::path::Path;

use plotters::prelude::*;

use crate::plot::{self, colour, Result, FONT};

/// One plugin setting at one period: a line of `deadlines.tsv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub setting: String,
    /// Frames per period.
    pub period: usize,
    pub callbacks: u64,
    /// Callbacks longer than the period (deadline violations).
    pub overruns: u64,
    /// The JACK server's xruns.
    pub xruns: u64,
    /// The machine's own stalls.
    pub stalls: u64,
    /// Shortest, mean, p99, p99.9 and longest callback, % of the period.
    pub min: f64,
    pub mean: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    /// Callbacks per 1 %-of-the-period bucket, from 0 %; the last bucket holds every longer one.
    pub histogram: Vec<u64>,
}

/// Reads `deadlines.tsv` (lines starting with `#` are comments).
pub fn parse(text: &str) -> std::result::Result<Vec<Run>, String> {
    let mut runs = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#')) {
        let bad = |what: &str| format!("deadlines.tsv line {}: {what}: {line:?}", n + 1);
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != 12 {
            return Err(bad(&format!("{} fields, expected 12", fields.len())));
        }
        let int = |i: usize| fields[i].parse::<u64>().map_err(|e| bad(&e.to_string()));
        let real = |i: usize| fields[i].parse::<f64>().map_err(|e| bad(&e.to_string()));
        let histogram =
            fields[11].split_whitespace().map(str::parse).collect::<std::result::Result<Vec<u64>, _>>().map_err(|e| bad(&e.to_string()))?;
        runs.push(Run {
            setting: fields[0].to_owned(),
            period: int(1)? as usize,
            callbacks: int(2)?,
            overruns: int(3)?,
            xruns: int(4)?,
            stalls: int(5)?,
            min: real(6)?,
            mean: real(7)?,
            p99: real(8)?,
            p999: real(9)?,
            max: real(10)?,
            histogram,
        });
    }
    Ok(runs)
}

/// The bench's markdown table (the same columns as it prints).
pub fn table(runs: &[Run]) -> String {
    let mut t = String::from(
        "| plugin, setting | period | min | mean | p99 | p99.9 | max | deadline violations | xruns | machine stalls |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in runs {
        t += &format!(
            "| {} | {} | {:.1} % | {:.1} % | {:.0} % | {:.0} % | {:.0} % | {} ({:.3} %) | {} | {} |\n",
            r.setting,
            r.period,
            r.min,
            r.mean,
            r.p99,
            r.p999,
            r.max,
            r.overruns,
            100.0 * r.overruns as f64 / r.callbacks.max(1) as f64,
            r.xruns,
            r.stalls
        );
    }
    t
}

/// The count axis' floor: below one callback, so that one shows.
const FLOOR: f64 = 0.4;
/// The duration axis' start, % of the period: a log axis (the durations span 0.3 % to over
/// 1000 % on a machine that stalls), on which the first bucket, 0–1 %, is drawn from here.
const X_MIN: f64 = 0.5;

/// The periods present, in order.
fn periods(runs: &[Run]) -> Vec<usize> {
    let mut p: Vec<usize> = runs.iter().map(|r| r.period).collect();
    p.sort_unstable();
    p.dedup();
    p
}

/// The settings present, in their first order of appearance (one colour each in every panel).
fn settings(runs: &[Run]) -> Vec<&str> {
    let mut s: Vec<&str> = Vec::new();
    for r in runs {
        if !s.contains(&r.setting.as_str()) {
            s.push(&r.setting);
        }
    }
    s
}

/// One PNG, a panel per period (two columns), each with every setting's histogram as a step
/// line (both axes logarithmic, so the bulk of the callbacks and the rare long ones show), and
/// the deadline at 100 %.
/// `subtitle` says how the data was taken (seconds per period, machine).
pub fn plot(runs: &[Run], subtitle: &str, path: &Path) -> Result<()> {
    let periods = periods(runs);
    if periods.is_empty() {
        return Err("no deadline runs to plot".into());
    }
    let names = settings(runs);
    // One x range for every panel: to past the longest callback seen, and at least past the
    // deadline.
    let top = runs
        .iter()
        .filter_map(|r| r.histogram.iter().rposition(|&c| c > 0))
        .max()
        .unwrap_or(0) as f64
        + 1.0;
    let x_max = (top * 1.25).max(150.0).ceil();
    let y_max = runs.iter().flat_map(|r| r.histogram.iter().copied()).max().unwrap_or(1).max(1) as f64 * 3.0;
    let rows = periods.len().div_ceil(2) as u32;
    plot::png(path, (1900, 100 + 520 * rows), |root| {
        let (header, body) = root.split_vertically(100);
        header.draw(&Text::new(
            "Callback duration per period: each plugin alone in a JACK graph at 48 kHz, hosted through CLAP",
            (30, 14),
            (FONT, plot::TITLE).into_font(),
        ))?;
        header.draw(&Text::new(subtitle.to_owned(), (30, 58), (FONT, plot::AXIS).into_font().color(&BLACK.mix(0.7))))?;
        let (body, legend) = body.split_horizontally(1500);
        // One legend for every panel, beside them: a setting has the same colour everywhere.
        let entries = names.iter().enumerate().map(|(i, n)| (n.to_string(), colour(i).stroke_width(3)));
        let entries = entries.chain([("deadline (100 % of the period)".to_owned(), RED.stroke_width(3))]);
        for (i, (name, style)) in entries.enumerate() {
            let y = 40 + 34 * i as i32;
            legend.draw(&PathElement::new(vec![(10, y), (44, y)], style))?;
            legend.draw(&Text::new(name, (54, y - 10), (FONT, plot::LEGEND).into_font()))?;
        }
        let panels = body.split_evenly((rows as usize, 2));
        for (panel, &period) in panels.iter().zip(&periods) {
            let ms = period as f64 / 48.0;
            let mut chart = ChartBuilder::on(panel)
                .caption(format!("{period}-frame period ({ms:.2} ms)"), (FONT, plot::CAPTION))
                .margin(14)
                .x_label_area_size(50)
                .y_label_area_size(80)
                .build_cartesian_2d((X_MIN..x_max).log_scale(), (FLOOR..y_max).log_scale())?;
            chart
                .configure_mesh()
                .x_desc("callback duration, % of the period (log)")
                .x_label_formatter(&|x| format!("{x}"))
                .y_desc("callbacks (log)")
                .axis_desc_style((FONT, plot::AXIS))
                .label_style((FONT, plot::LABEL))
                .y_label_formatter(&|y| if *y >= 1.0 { format!("{y:.0}") } else { String::new() })
                .light_line_style(BLACK.mix(0.05))
                .draw()?;
            for (i, name) in names.iter().enumerate() {
                let Some(run) = runs.iter().find(|r| r.period == period && r.setting == *name) else { continue };
                // A step line over the buckets, empty ones on the axis' floor (a log axis has no
                // zero), so a single long callback shows as a spike from the floor.
                let last = run.histogram.iter().rposition(|&c| c > 0).unwrap_or(0);
                let steps = run.histogram[..=last].iter().enumerate().flat_map(|(bucket, &count)| {
                    let y = if count == 0 { FLOOR } else { count as f64 };
                    [((bucket as f64).max(X_MIN), y), (bucket as f64 + 1.0, y)]
                });
                let steps = steps.chain([(last as f64 + 1.0, FLOOR)]);
                chart.draw_series(LineSeries::new(steps, colour(i).stroke_width(2)))?;
            }
            chart.draw_series(LineSeries::new([(100.0, FLOOR), (100.0, y_max)], RED.stroke_width(2)))?;
        }
        Ok(())
    })
}
