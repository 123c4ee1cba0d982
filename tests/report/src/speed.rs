//! Cost against oversampling factor, from the model benchmarks' printed tables
//! (`cargo bench -p ferrite-dsp --bench ring` and `--bench vcf`, whose standard output
//! `cargo xtask bench` keeps as `ring.txt` and `vcf.txt`): the Ring's circuit and Parker models
//! and the oversampling alone, 1× to 32×, and the VCF at three resonances, 1× to 8×, in µs per
//! channel-sample at the host rate.
//!
//! The tables are read by their column layout (`|`-separated groups, rows that start with a
//! factor such as `4×`); a change of layout there makes [`parse_ring`] or [`parse_vcf`] fail
//! with the offending line rather than plot the wrong column (the tests below hold a copy of
//! each layout).

use std::path::Path;

use plotters::prelude::*;

use crate::plot::{self, colour, legend_line, Result, FONT};

/// One row of the Ring's table: µs per channel-sample with both channels processed at once
/// (the plugin's call), and the oversampling's share in the ring.
#[derive(Clone, Debug, PartialEq)]
pub struct RingRow {
    pub factor: u32,
    pub circuit_us: f64,
    pub parker_us: f64,
    /// Two upsamplers and one downsampler, what the ring spends on oversampling.
    pub oversampling_us: f64,
}

/// One row of the VCF's table: the mean over its four cutoffs, µs per channel-sample.
#[derive(Clone, Debug, PartialEq)]
pub struct VcfRow {
    pub factor: u32,
    /// Resonance K.
    pub k: f64,
    pub mean_us: f64,
}

/// The factor of a row's first group (`"   4×"` → 4), or None for a header line.
fn factor(field: &str) -> Option<u32> {
    field.trim().strip_suffix('×')?.trim().parse().ok()
}

fn number(token: Option<&str>, line: &str) -> std::result::Result<f64, String> {
    token.and_then(|t| t.parse().ok()).ok_or_else(|| format!("unexpected ring/vcf table row: {line:?}"))
}

/// Reads the Ring bench's table: `factor | circuit: process channels solver/step iters max |
/// parker: process channels | oversampling: round-trip in-ring`.
pub fn parse_ring(text: &str) -> std::result::Result<Vec<RingRow>, String> {
    let mut rows = Vec::new();
    for line in text.lines() {
        let groups: Vec<&str> = line.split('|').collect();
        let Some(factor) = groups.first().and_then(|g| factor(g)) else { continue };
        if groups.len() != 4 {
            return Err(format!("unexpected ring table row: {line:?}"));
        }
        let circuit: Vec<&str> = groups[1].split_whitespace().collect();
        let parker: Vec<&str> = groups[2].split_whitespace().collect();
        let over: Vec<&str> = groups[3].split_whitespace().collect();
        if circuit.len() != 5 || parker.len() != 2 || over.len() != 2 {
            return Err(format!("unexpected ring table row: {line:?}"));
        }
        rows.push(RingRow {
            factor,
            circuit_us: number(circuit.get(1).copied(), line)?,
            parker_us: number(parker.get(1).copied(), line)?,
            oversampling_us: number(over.get(1).copied(), line)?,
        });
    }
    if rows.is_empty() {
        return Err("no rows in the ring table".into());
    }
    Ok(rows)
}

/// Reads the VCF bench's table: `factor K | per cutoff: µs iterations (worst) | mean µs`.
pub fn parse_vcf(text: &str) -> std::result::Result<Vec<VcfRow>, String> {
    let mut rows = Vec::new();
    for line in text.lines() {
        let groups: Vec<&str> = line.split('|').collect();
        let Some((head, k)) = groups.first().and_then(|g| g.split_once('×')) else { continue };
        let Ok(factor) = head.trim().parse::<u32>() else { continue };
        if groups.len() != 3 {
            return Err(format!("unexpected vcf table row: {line:?}"));
        }
        rows.push(VcfRow { factor, k: number(Some(k.trim()), line)?, mean_us: number(Some(groups[2].trim()), line)? });
    }
    if rows.is_empty() {
        return Err("no rows in the vcf table".into());
    }
    Ok(rows)
}

/// The markdown table of what the figure shows.
pub fn table(ring: &[RingRow], vcf: &[VcfRow]) -> String {
    let mut t = String::new();
    if !ring.is_empty() {
        t += "| factor | Ring circuit | Ring Parker | Ring oversampling alone |\n|---|---|---|---|\n";
        for r in ring {
            t += &format!("| {}× | {:.3} | {:.3} | {:.3} |\n", r.factor, r.circuit_us, r.parker_us, r.oversampling_us);
        }
    }
    let mut ks: Vec<f64> = vcf.iter().map(|r| r.k).collect();
    ks.sort_by(f64::total_cmp);
    ks.dedup();
    if !vcf.is_empty() {
        t += "\n| factor |";
        for k in &ks {
            t += &format!(" VCF, K = {k} |");
        }
        t += "\n|---|";
        t += &"---|".repeat(ks.len());
        t += "\n";
        let mut factors: Vec<u32> = vcf.iter().map(|r| r.factor).collect();
        factors.sort_unstable();
        factors.dedup();
        for f in factors {
            t += &format!("| {f}× |");
            for k in &ks {
                match vcf.iter().find(|r| r.factor == f && r.k == *k) {
                    Some(r) => t += &format!(" {:.3} |", r.mean_us),
                    None => t += " |",
                }
            }
            t += "\n";
        }
    }
    t
}

/// One PNG: µs per channel-sample (log) against the factor (log 2), the Ring's two models and
/// its oversampling alone, and the VCF at each resonance measured.
pub fn plot(ring: &[RingRow], vcf: &[VcfRow], subtitle: &str, path: &Path) -> Result<()> {
    let all = ring.iter().flat_map(|r| [r.circuit_us, r.parker_us, r.oversampling_us]).chain(vcf.iter().map(|r| r.mean_us));
    let (lo, hi) = all.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| if v > 0.0 { (lo.min(v), hi.max(v)) } else { (lo, hi) });
    if hi <= 0.0 {
        return Err("no speed figures to plot".into());
    }
    let max_factor = ring.iter().map(|r| r.factor).chain(vcf.iter().map(|r| r.factor)).max().unwrap_or(1).max(2);
    let x_max = (max_factor as f64).log2();
    plot::png(path, (1400, 860), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Cost against oversampling factor (48 kHz, stereo, blocks of 256)", (FONT, plot::TITLE))
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(90)
            .build_cartesian_2d(-0.2..x_max + 0.2, (lo / 1.6..hi * 1.6).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(format!("oversampling factor   ({subtitle})"))
            .y_desc("µs per channel-sample at the host rate (log)")
            .axis_desc_style((FONT, plot::AXIS))
            .label_style((FONT, plot::LABEL))
            .x_labels(x_max as usize + 1)
            .x_label_formatter(&|x| format!("{}×", 2f64.powf(x.round()) as u32))
            .y_label_formatter(&|y| format!("{y}"))
            .light_line_style(BLACK.mix(0.05))
            .draw()?;
        let mut series = |points: Vec<(f64, f64)>, label: String, style: ShapeStyle| -> Result<()> {
            // A zero (the Ring's oversampling at 1×, where there is none) has no place on a log
            // axis: left out rather than drawn on the floor.
            let points: Vec<(f64, f64)> = points.into_iter().filter(|&(_, v)| v > 0.0).collect();
            if points.is_empty() {
                return Ok(());
            }
            chart.draw_series(LineSeries::new(points.clone(), style))?.label(label).legend(legend_line(style));
            chart.draw_series(points.into_iter().map(|p| Circle::new(p, 4, style.filled())))?;
            Ok(())
        };
        let x = |factor: u32| (factor as f64).log2();
        series(ring.iter().map(|r| (x(r.factor), r.circuit_us)).collect(), "Ring, circuit model".into(), colour(0).stroke_width(3))?;
        series(ring.iter().map(|r| (x(r.factor), r.parker_us)).collect(), "Ring, Parker model".into(), colour(1).stroke_width(3))?;
        series(
            ring.iter().map(|r| (x(r.factor), r.oversampling_us)).collect(),
            "Ring, its oversampling alone".into(),
            colour(7).stroke_width(2),
        )?;
        let mut ks: Vec<f64> = vcf.iter().map(|r| r.k).collect();
        ks.sort_by(f64::total_cmp);
        ks.dedup();
        for (i, k) in ks.iter().enumerate() {
            let points = vcf.iter().filter(|r| r.k == *k).map(|r| (x(r.factor), r.mean_us)).collect();
            series(points, format!("VCF, K = {k} (mean of 4 cutoffs)"), colour(2 + i).stroke_width(3))?;
        }
        plot::draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows as `dsp/benches/ring.rs` prints them (header lines included).
    const RING: &str = "\
ring modulator: 2 channels at 48000 Hz in blocks of 256, ...
µs per channel-sample (host rate); \"solver/step\": ...
       |                  circuit                  |       parker       |  oversampling alone
factor |  process  channels solver/step  iters max |  process  channels | round trip    in ring
    1× |    0.120     0.090        25.0  2.100   4 |    0.030     0.020 |      0.010      0.015
   32× |    3.500     2.400        20.0  1.900   4 |    0.900     0.700 |      0.500      0.650
";

    /// Rows as `dsp/benches/vcf.rs` prints them.
    const VCF: &str = "\
VCS3 filter: 2 channels at 48000 Hz ...
µs per channel-sample (host rate) | mean Newton iterations per model step (worst)
factor      K |          200 Hz           2000 Hz          10000 Hz          18000 Hz | mean µs
    1×      0 |  0.100  1.50 ( 3)  0.110  1.60 ( 3)  0.120  1.70 ( 4)  0.130  1.80 ( 4) |   0.115
    8×      9 |  0.900  2.50 (12)  0.910  2.60 (12)  0.920  2.70 (14)  0.930  2.80 (14) |   0.915
";

    #[test]
    fn reads_the_ring_and_vcf_tables_by_their_columns() {
        let ring = parse_ring(RING).unwrap();
        assert_eq!(
            ring,
            [
                RingRow { factor: 1, circuit_us: 0.090, parker_us: 0.020, oversampling_us: 0.015 },
                RingRow { factor: 32, circuit_us: 2.400, parker_us: 0.700, oversampling_us: 0.650 },
            ]
        );
        let vcf = parse_vcf(VCF).unwrap();
        assert_eq!(vcf, [VcfRow { factor: 1, k: 0.0, mean_us: 0.115 }, VcfRow { factor: 8, k: 9.0, mean_us: 0.915 }]);
    }

    #[test]
    fn the_vcf_table_has_one_column_per_resonance_and_one_row_per_factor() {
        let rows = [(1, 0.0), (1, 9.0), (2, 0.0), (2, 9.0)].map(|(factor, k)| VcfRow { factor, k, mean_us: factor as f64 + k });
        let t = table(&[], &rows);
        assert_eq!(t.trim(), "| factor | VCF, K = 0 | VCF, K = 9 |\n|---|---|---|\n| 1× | 1.000 | 10.000 |\n| 2× | 2.000 | 11.000 |");
    }

    #[test]
    fn a_changed_layout_is_an_error_not_a_wrong_column() {
        assert!(parse_ring("    4× | 1.0 2.0 | 3.0 4.0 | 5.0 6.0").is_err());
        assert!(parse_vcf("    4×      0 |  0.1  1.5 ( 3)").is_err());
        assert!(parse_ring("no table here").is_err());
    }
}
