//! The whole report on small inputs: synthetic deadline runs and speed tables in the layout the
//! benchmarks write, and the responses measured for real (about a second in release). Every
//! figure must come out as a PNG of its stated size with a drawing on it, and the markdown must
//! link every figure and hold the tables.

use std::path::Path;

use ferrite_bench_report::{write_report, Part};
use ferrite_test_kit::TempDir;

/// Two settings at two periods, as `deadlines.rs` writes them (400 buckets, 1 % each).
fn deadlines_tsv() -> String {
    let mut tsv = String::from("# setting\tperiod\t...\n");
    for (setting, centre) in [("ring: default (circuit, 8x)", 30usize), ("vcf: 8x, K=9, 15 kHz", 70)] {
        for period in [32usize, 256] {
            let mut histogram = vec![0u64; 400];
            for (i, count) in [(centre - 2, 10u64), (centre - 1, 4_000), (centre, 20_000), (centre + 1, 3_000), (centre + 9, 3), (centre + 40, 1)] {
                histogram[i] = count;
            }
            let callbacks: u64 = histogram.iter().sum();
            let h: Vec<String> = histogram.iter().map(u64::to_string).collect();
            tsv += &format!(
                "{setting}\t{period}\t{callbacks}\t{}\t0\t0\t{}.000\t{centre}.000\t{}\t{}\t{}.000\t{}\n",
                u64::from(centre + 40 >= 100),
                centre - 2,
                centre + 2,
                centre + 10,
                centre + 41,
                h.join(" ")
            );
        }
    }
    tsv
}

const RING: &str = "\
factor |  process  channels solver/step  iters max |  process  channels | round trip    in ring
    1× |    0.120     0.090        25.0  2.100   4 |    0.030     0.020 |      0.010      0.015
    2× |    0.220     0.170        24.0  2.000   4 |    0.060     0.040 |      0.020      0.030
    4× |    0.420     0.330        23.0  2.000   4 |    0.120     0.080 |      0.040      0.060
";

const VCF: &str = "\
factor      K |          200 Hz           2000 Hz          10000 Hz          18000 Hz | mean µs
    1×      0 |  0.100  1.50 ( 3)  0.110  1.60 ( 3)  0.120  1.70 ( 4)  0.130  1.80 ( 4) |   0.115
    2×      0 |  0.200  1.50 ( 3)  0.210  1.60 ( 3)  0.220  1.70 ( 4)  0.230  1.80 ( 4) |   0.215
    1×      9 |  0.150  2.50 (12)  0.160  2.60 (12)  0.170  2.70 (14)  0.180  2.80 (14) |   0.165
    2×      9 |  0.300  2.50 (12)  0.310  2.60 (12)  0.320  2.70 (14)  0.330  2.80 (14) |   0.315
";

/// Width, height, and the share of pixels that are not white and the number of distinct
/// colours of an 8-bit RGB PNG.
fn inspect(path: &Path) -> (u32, u32, f64, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0u8; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight), "{}", path.display());
    let pixels: Vec<[u8; 3]> = buf[..info.buffer_size()].chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    let inked = pixels.iter().filter(|p| **p != [255, 255, 255]).count() as f64 / pixels.len() as f64;
    let mut colours = pixels.clone();
    colours.sort_unstable();
    colours.dedup();
    (info.width, info.height, inked, colours.len())
}

#[test]
fn every_figure_is_drawn_and_the_report_links_them() {
    let dir = TempDir::new("bench-report");
    let (raw, out) = (dir.join("raw"), dir.join("out"));
    std::fs::create_dir_all(&raw).unwrap();
    std::fs::write(raw.join("deadlines.tsv"), deadlines_tsv()).unwrap();
    std::fs::write(raw.join("ring.txt"), RING).unwrap();
    std::fs::write(raw.join("vcf.txt"), VCF).unwrap();

    let written = write_report(&raw, &out, &Part::ALL).unwrap();
    let expected = [
        ("deadlines.png", (1900, 620)), // two periods: one row of panels
        ("oversampling.png", (1400, 860)),
        ("vcf_response.png", (1400, 1000)),
        ("phaser_response.png", (1400, 1000)),
        ("reverb_decay.png", (1400, 800)),
    ];
    for (name, (w, h)) in expected {
        let path = out.join(name);
        assert!(written.contains(&path), "{name} not reported as written: {written:?}");
        let (width, height, inked, colours) = inspect(&path);
        println!("{name}: {width}×{height}, {:.1} % inked, {colours} colours", 100.0 * inked);
        assert_eq!((width, height), (w, h), "{name}");
        // Axes, text and curves: a few per cent of the pixels at least, in the series' colours
        // and the text's anti-aliased greys; not a blank or a flood-filled image.
        assert!((0.02..0.6).contains(&inked), "{name}: {:.1} % of the pixels are not white", 100.0 * inked);
        assert!(colours > 50, "{name}: only {colours} distinct colours");
    }

    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for (name, _) in expected {
        assert!(md.contains(&format!("]({name})")), "report.md does not show {name}");
    }
    assert!(md.contains("| vcf: 8x, K=9, 15 kHz | 256 |"), "the deadline table is missing:\n{md}");
    assert!(md.contains("| 4× | 0.330 | 0.080 | 0.060 |"), "the ring table is missing:\n{md}");
}

#[test]
fn a_missing_result_is_an_error_that_names_the_file() {
    let dir = TempDir::new("bench-report-missing");
    let err = write_report(&dir.join("raw"), &dir.join("out"), &[Part::Deadlines]).unwrap_err().to_string();
    assert!(err.contains("deadlines.tsv"), "{err}");
}
