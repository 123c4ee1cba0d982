//! Peak memory and speed of `render` against the file's length: every standalone app in
//! `$FERRITE_BUNDLE_DIR` (`cargo xtask bundle`) renders 1 and 60 minutes of 48 kHz stereo
//! (16-bit white noise made with sox, 11 and 660 MB) at its defaults with `--tail 0`, and the
//! table gives each run's peak resident memory (the kernel's, from `wait4`) and wall time.
//!
//! ```sh
//! cargo xtask bundle && cargo bench -p ferrite-tests --bench render_memory
//! ```
//!
//! `FERRITE_RENDER_MINUTES=1,10` picks other lengths. The inputs go to a temporary folder under
//! `target/` and are removed afterwards.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const APPS: [&str; 4] = ["ferrite-ring", "ferrite-vcf", "ferrite-phaser", "ferrite-reverb"];

/// Render `input` to `output` with `app`: peak RSS in bytes and wall time in seconds.
fn measure(app: &Path, input: &Path, output: &Path) -> (u64, f64) {
    let started = Instant::now();
    let child = Command::new(app)
        .args(["render", input.to_str().unwrap(), output.to_str().unwrap(), "--tail", "0"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the app");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{} failed", app.display());
    (usage.ru_maxrss as u64 * 1024, started.elapsed().as_secs_f64())
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to filter here.
    let minutes: Vec<u32> = std::env::var("FERRITE_RENDER_MINUTES")
        .ok()
        .map(|v| v.split(',').filter_map(|m| m.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 60]);
    let dir = ferrite_test_kit::TempDir::new("render-memory");
    let inputs: Vec<(u32, std::path::PathBuf)> = minutes
        .iter()
        .map(|&m| {
            let path = dir.join(format!("noise-{m}min.wav"));
            let secs = (m * 60).to_string();
            let ok = Command::new("sox")
                .args(["-n", "-r", "48000", "-c", "2", "-b", "16", path.to_str().unwrap(), "synth", &secs, "whitenoise", "vol", "0.5"])
                .status()
                .expect("sox is needed (cargo xtask test installs it)")
                .success();
            assert!(ok, "sox failed");
            (m, path)
        })
        .collect();
    let output = dir.join("out.wav");
    println!("| app | input | peak memory | time | realtime |");
    println!("|---|---|---|---|---|");
    for name in APPS {
        let app = ferrite_tests::app(name);
        for (m, input) in &inputs {
            let (rss, secs) = measure(&app, input, &output);
            println!(
                "| {name} | {m} min stereo | {:.1} MB | {secs:.1} s | {:.0}x |",
                rss as f64 / (1u64 << 20) as f64,
                f64::from(*m) * 60.0 / secs
            );
        }
    }
}
