//! `cargo xtask bench [--quick] [--docs] [PART...]`: the benchmark report, markdown tables and
//! PNG plots, in `target/bench-report/`.
//!
//! Runs what each part needs with its results kept in `target/bench-report/raw/`, then the
//! report program (`tests/report`, `ferrite-bench-report`) that draws the figures:
//! * `deadlines`: the deadline bench (`tests/clap-host/benches/deadlines.rs`, JACK, 60 s per
//!   period and setting, about half an hour; `--quick`: 5 s) with `FERRITE_BENCH_OUT`, so it
//!   writes its histograms; it loads the bundles from `FERRITE_BUNDLE_DIR` if that is set, else
//!   bundles every plugin into `target/bundled/` first;
//! * `oversampling`: the Ring's and the VCF's model benches (`dsp/benches/ring.rs`, `vcf.rs`;
//!   fixed pass counts, a minute or two), whose printed tables are kept;
//! * `responses`: nothing to run first, the report program measures the models itself.
//!
//! Without PART, all three. `--docs` also copies the figures and `report.md` to `docs/plots/`,
//! which the README shows.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::bundle::bundle;
use crate::system::{check_system_libraries, DEB_PACKAGES};
use crate::{cargo, workspace};

/// Where `--docs` copies the report, relative to the workspace root (wherever `cargo xtask` runs).
pub const DOCS_DIR: &str = "docs/plots";

/// The report's parts, as `ferrite-bench-report` names them.
const PARTS: [&str; 3] = ["deadlines", "oversampling", "responses"];

/// JACK run length per period and setting with `--quick`, seconds (the bench's default is 60).
const QUICK_SECONDS: &str = "5";

pub fn bench(args: Vec<String>) -> Result<()> {
    let metadata = workspace()?;
    let mut quick = false;
    let mut docs = false;
    let mut parts = Vec::new();
    for arg in &args {
        match arg.as_str() {
            "--quick" => quick = true,
            "--docs" => docs = true,
            part if PARTS.contains(&part) => parts.push(part),
            other => bail!("unknown argument '{other}' for bench (--quick, --docs, {})", PARTS.join(", ")),
        }
    }
    if parts.is_empty() {
        parts = PARTS.to_vec();
    }

    let out = metadata.target_directory.join("bench-report").into_std_path_buf();
    let raw = out.join("raw");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&raw).with_context(|| format!("cannot create {}", raw.display()))?;

    if parts.contains(&"oversampling") {
        for name in ["ring", "vcf"] {
            eprintln!("bench: cargo bench -p ferrite-dsp --bench {name}");
            let output = Command::new(cargo())
                .args(["bench", "-p", "ferrite-dsp", "--bench", name])
                .stderr(Stdio::inherit())
                .output()
                .context("could not run cargo bench")?;
            let text = String::from_utf8_lossy(&output.stdout);
            print!("{text}");
            if !output.status.success() {
                bail!("the {name} bench failed ({})", output.status);
            }
            write(&raw.join(format!("{name}.txt")), text.as_bytes())?;
        }
    }

    if parts.contains(&"deadlines") {
        // The bench starts its own JACK server (Debian's jackd2) and links libjack.
        let packages: Vec<&'static str> = DEB_PACKAGES.iter().copied().chain(["jackd2"]).collect();
        check_system_libraries(&packages)?;
        let bundle_dir = match std::env::var_os("FERRITE_BUNDLE_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => {
                bundle(Vec::new())?;
                metadata.target_directory.join("bundled").into_std_path_buf()
            }
        };
        eprintln!("bench: deadlines with the bundles in {}", bundle_dir.display());
        let mut command = Command::new(cargo());
        command
            .args(["bench", "-p", "ferrite-clap-host-tests", "--bench", "deadlines"])
            .env("FERRITE_BUNDLE_DIR", &bundle_dir)
            .env("FERRITE_BENCH_OUT", &raw);
        if quick && std::env::var_os("FERRITE_BENCH_SECONDS").is_none() {
            command.env("FERRITE_BENCH_SECONDS", QUICK_SECONDS);
        }
        let status = command.status().context("could not run cargo bench")?;
        if !status.success() {
            bail!("the deadlines bench failed ({status})");
        }
    }

    eprintln!("bench: drawing the report");
    let status = Command::new(cargo())
        .args(["run", "--release", "-p", "ferrite-bench-report", "--"])
        .arg(&raw)
        .arg(&out)
        .args(&parts)
        .stdout(Stdio::null())
        .status()
        .context("could not run cargo run")?;
    if !status.success() {
        bail!("the report program failed ({status})");
    }

    let mut files: Vec<PathBuf> = std::fs::read_dir(&out)?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    files.sort();
    for file in &files {
        eprintln!("bench: {}", file.display());
    }
    if docs {
        let docs_dir = metadata.workspace_root.join(DOCS_DIR).into_std_path_buf();
        std::fs::create_dir_all(&docs_dir)?;
        for file in &files {
            let copy = docs_dir.join(file.file_name().unwrap_or_default());
            std::fs::copy(file, &copy).with_context(|| format!("cannot write {}", copy.display()))?;
            eprintln!("bench: {}", copy.display());
        }
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
