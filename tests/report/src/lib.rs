//! Ferrite's benchmark report (`cargo xtask bench`): the benchmarks' results as markdown tables
//! and PNG plots, and the models' measured responses against their theory.
//!
//! `cargo xtask bench` runs the benchmarks with their results kept in one folder (the deadline
//! bench writes `deadlines.tsv` there through `FERRITE_BENCH_OUT`; the Ring's and the VCF's
//! printed tables are kept as `ring.txt` and `vcf.txt`), then this crate's binary,
//! `ferrite-bench-report RAW_DIR OUT_DIR [PART...]`, which writes `OUT_DIR/report.md` and one PNG
//! per figure:
//!
//! * [`Part::Deadlines`] → `deadlines.png` ([`deadlines`]): callback-duration histograms per
//!   period;
//! * [`Part::Oversampling`] → `oversampling.png` ([`speed`]): cost against oversampling factor;
//! * [`Part::Responses`] → `vcf_response.png`, `phaser_response.png`, `reverb_decay.png`
//!   ([`responses`]): measured here, on the models, in a second or two.
//!
//! The plots are drawn with plotters into a pixel buffer and written with `png` ([`plot`]), with
//! a font compiled in, so the report needs nothing installed on the machine.

pub mod deadlines;
pub mod plot;
pub mod responses;
pub mod speed;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub use plot::Result;

/// A part of the report, each named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The deadline bench's histograms and table (needs `deadlines.tsv`).
    Deadlines,
    /// The Ring's and the VCF's cost against oversampling (needs `ring.txt`, `vcf.txt`).
    Oversampling,
    /// The models' responses, measured by this program.
    Responses,
}

impl Part {
    pub const ALL: [Part; 3] = [Part::Deadlines, Part::Oversampling, Part::Responses];

    pub fn name(self) -> &'static str {
        match self {
            Part::Deadlines => "deadlines",
            Part::Oversampling => "oversampling",
            Part::Responses => "responses",
        }
    }

    pub fn from_name(name: &str) -> Option<Part> {
        Part::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The CPU's model name (Linux), for the report's captions.
pub fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split_once(':')).map(|(_, v)| v.trim().to_owned()))
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

fn read(raw: &Path, name: &str) -> Result<String> {
    let path = raw.join(name);
    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

/// Writes the figures of `parts` and `report.md` into `out`, from the results in `raw`.
/// Returns the files written.
pub fn write_report(raw: &Path, out: &Path, parts: &[Part]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let cpu = cpu_name();
    let mut md = String::from("# Ferrite benchmark report\n\n");
    writeln!(md, "Made by `cargo xtask bench` on {cpu} ({} cores).\n", std::thread::available_parallelism().map_or(1, |n| n.get()))?;
    let mut written = Vec::new();

    if parts.contains(&Part::Deadlines) {
        let runs = deadlines::parse(&read(raw, "deadlines.tsv")?)?;
        let seconds: Vec<u64> =
            runs.iter().map(|r| (r.callbacks as f64 * r.period as f64 / responses::SAMPLE_RATE as f64).round() as u64).collect();
        let (lo, hi) = (seconds.iter().min().copied().unwrap_or(0), seconds.iter().max().copied().unwrap_or(0));
        let span = if lo == hi { format!("{lo} s") } else { format!("{lo}–{hi} s") };
        let subtitle = format!("{span} per period and setting, one instance, noise in at −12 dBFS; {cpu}, one CPU");
        let png = out.join("deadlines.png");
        deadlines::plot(&runs, &subtitle, &png)?;
        written.push(png);
        writeln!(md, "## Deadlines\n\n{subtitle}.\n\n![callback-duration histograms per period](deadlines.png)\n")?;
        md += &deadlines::table(&runs);
        md += "\n";
    }

    if parts.contains(&Part::Oversampling) {
        let (ring_text, vcf_text) = (read(raw, "ring.txt")?, read(raw, "vcf.txt")?);
        let ring = speed::parse_ring(&ring_text)?;
        let vcf = speed::parse_vcf(&vcf_text)?;
        let png = out.join("oversampling.png");
        speed::plot(&ring, &vcf, &cpu, &png)?;
        written.push(png);
        md += "## Cost against oversampling factor\n\nµs per channel-sample at 48 kHz, both channels processed at once as the plugins do \
               (`cargo bench -p ferrite-dsp --bench ring`, `--bench vcf`).\n\n![cost against oversampling factor](oversampling.png)\n\n";
        md += &speed::table(&ring, &vcf);
        writeln!(md, "\nThe benchmarks' own tables:\n\n```text\n{}```\n\n```text\n{}```\n", ring_text, vcf_text)?;
    }

    if parts.contains(&Part::Responses) {
        md += "## Measured responses\n\n";
        let vcf: Vec<_> = responses::VCF_CASES.iter().map(|&(c, k)| responses::vcf(c, k, 400)).collect();
        let png = out.join("vcf_response.png");
        responses::plot_vcf(&vcf, &png)?;
        written.push(png);
        md += "### VCF\n\n![VCF magnitude response, measured and theory](vcf_response.png)\n\n\
               Largest deviation of the measurement from the theory where the theory is above −60 dB (— where it is \
               below that throughout):\n\n\
               | cutoff | K | 20 Hz–10 kHz | 10–20 kHz |\n|---|---|---|---|\n";
        let cell = |d: Option<f64>| d.map_or("—".to_owned(), |d| format!("{d:.3} dB"));
        for r in &vcf {
            writeln!(
                md,
                "| {} Hz | {} | {} | {} |",
                r.cutoff_hz,
                r.resonance,
                cell(r.worst_deviation_db(20.0, 10_000.0)),
                cell(r.worst_deviation_db(10_000.0, 20_000.0))
            )?;
        }

        let phaser: Vec<_> = responses::phaser_cases().iter().map(|(label, s)| responses::phaser(label, s, 600)).collect();
        let png = out.join("phaser_response.png");
        responses::plot_phaser(&phaser, &png)?;
        written.push(png);
        md += "\n### Phaser\n\n![Phaser magnitude and notches, measured and theory](phaser_response.png)\n\n\
               | setting | predicted notch | measured | error |\n|---|---|---|---|\n";
        for r in &phaser {
            for &(p, m) in &r.notches {
                match m {
                    Some(m) => writeln!(md, "| {} | {p:.1} Hz | {m:.1} Hz | {:+.3} % |", r.label, 100.0 * (m / p - 1.0))?,
                    None => writeln!(md, "| {} | {p:.1} Hz | none | |", r.label)?,
                }
            }
        }

        let reverb = responses::reverb(4.0, 300);
        let png = out.join("reverb_decay.png");
        responses::plot_reverb(&reverb, &png)?;
        written.push(png);
        md += "\n### Reverb\n\n![Reverb decay per octave band, measured and predicted](reverb_decay.png)\n\n| model | band |";
        md += " asked for (`rt60_at`) | measured (T20) |\n|---|---|---|---|\n";
        for d in &reverb {
            for &(c, want, got) in &d.bands {
                writeln!(md, "| {} | {} Hz | {want:.2} s | {got:.2} s |", d.model, c)?;
            }
        }
    }

    let report = out.join("report.md");
    std::fs::write(&report, md).map_err(|e| format!("cannot write {}: {e}", report.display()))?;
    written.push(report);
    Ok(written)
}
