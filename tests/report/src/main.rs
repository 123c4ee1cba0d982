//! `ferrite-bench-report RAW_DIR OUT_DIR [PART...]`: the benchmark report from the results in
//! RAW_DIR (see the library's doc), written into OUT_DIR. PART is `deadlines`, `oversampling`
//! or `responses`; without any, all three. `cargo xtask bench` runs it after the benchmarks.

use std::path::PathBuf;
use std::process::ExitCode;

use ferrite_bench_report::{write_report, Part};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 || args.iter().any(|a| a == "-h" || a == "--help") {
        eprintln!("usage: ferrite-bench-report RAW_DIR OUT_DIR [deadlines|oversampling|responses...]");
        return ExitCode::from(2);
    }
    let (raw, out) = (PathBuf::from(&args[0]), PathBuf::from(&args[1]));
    let mut parts = Vec::new();
    for name in &args[2..] {
        match Part::from_name(name) {
            Some(p) => parts.push(p),
            None => {
                eprintln!("unknown part '{name}' (deadlines, oversampling, responses)");
                return ExitCode::from(2);
            }
        }
    }
    if parts.is_empty() {
        parts = Part::ALL.to_vec();
    }
    match write_report(&raw, &out, &parts) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
