//! `cargo xtask test`: bundles, then the workspace's tests and the VST3 host tests, with one
//! total at the end.

use anyhow::{Context, Result};
use std::ffi::OsStr;
use std::process::{Command, ExitCode, ExitStatus};

use crate::bundle::{bundle, bundle_build_compiles};
use crate::system::{check_system_libraries, DEB_PACKAGES, TEST_DEB_PACKAGES};
use crate::{cargo, workspace};

pub fn test(args: Vec<String>) -> Result<ExitCode> {
    let metadata = workspace()?;
    let packages: Vec<&'static str> = DEB_PACKAGES.iter().chain(TEST_DEB_PACKAGES).copied().collect();
    check_system_libraries(&packages)?;

    // Only the arguments before `--` are cargo's; the rest go to the test binaries.
    let (cargo_args, binary_args): (&[String], &[String]) = match args.iter().position(|a| a == "--") {
        Some(end) => (&args[..end], &args[end..]),
        None => (&args, &[]),
    };
    let has = |f: &dyn Fn(&str) -> bool| cargo_args.iter().any(|a| f(a));

    let mut command_line = vec!["test".to_owned()];
    if !has(&|a| a == "--release" || a == "-r" || a == "--profile" || a.starts_with("--profile=")) {
        command_line.push("--release".to_owned());
    }
    // `--workspace` would override `-p` (cargo then tests everything).
    let selects_packages = has(&|a| {
        a == "--workspace"
            || a == "--all"
            || a == "--package"
            || a.starts_with("--package=")
            || a.starts_with("-p")
    });
    if !selects_packages {
        // Everything but xtask, whose dependencies (cargo_metadata, toml, reflink-copy) turn on
        // features of crates that nice-plug uses too (serde_core, serde_json, rustix): built in
        // the same run, resolver 2 would unify them, and every plugin would be compiled again
        // for the tests, then again for the next bundle. Without xtask the tests build exactly
        // what the bundles are built from, and only add the test targets on top.
        command_line.extend(["--workspace", "--exclude", "xtask"].map(str::to_owned));
        // The host-level tests (tests/clap-host) load the bundles: build them fresh first.
        bundle(Vec::new())?;
    }
    command_line.extend(args.iter().cloned());

    // The host-level tests look for the bundles where `bundle` has just put them, also when
    // CARGO_TARGET_DIR moves the target directory.
    let bundle_dir = std::env::var_os("FERRITE_BUNDLE_DIR")
        .unwrap_or_else(|| metadata.target_directory.join("bundled").into_os_string());

    eprintln!("running: cargo {}", command_line.join(" "));
    // Add up every test binary's result line, so the run ends with one total (cargo's own last
    // line is that of the last binary, often a doc-test run with nothing in it).
    let mut totals = TestTotals::default();
    let mut cargo_test = Command::new(cargo());
    cargo_test.args(&command_line).env("FERRITE_BUNDLE_DIR", &bundle_dir);
    let status = run_streaming(cargo_test, "cargo", |line| totals.add_line(line))?;
    let mut code = exit_code(status);
    if !selects_packages {
        // xtask's own tests, in the dev profile `cargo xtask` itself is built with (so only the
        // test binary is compiled), and apart from the release build above (see there).
        let mut xtask_test = Command::new(cargo());
        xtask_test.args(["test", "-p", "xtask"]).args(binary_args);
        eprintln!("running: cargo test -p xtask {}", binary_args.join(" "));
        let xtask = run_streaming(xtask_test, "cargo", |line| totals.add_line(line))?;
        if !xtask.success() {
            code = exit_code(xtask);
        }
        // The proof that the tests shared the bundles' build: bundling now compiles nothing.
        let compiled = bundle_build_compiles()?;
        if compiled.is_empty() {
            eprintln!("shared build: ok (the tests reused the bundles' build; bundling again compiles nothing)");
            totals.passed += 1;
        } else {
            eprintln!(
                "shared build: FAILED: the test build changed what the bundles are built from, \
                 so bundling again compiled {}",
                compiled.join(", ")
            );
            totals.failed += 1;
            code = ExitCode::FAILURE;
        }
    }
    // The VST3 host-level tests (Python, pedalboard) need the bundles, which a whole-workspace
    // run has just built.
    if !selects_packages && status.success() {
        let vst3 = run_vst3_tests(&mut totals, &bundle_dir)?;
        if !vst3.success() {
            code = exit_code(vst3);
        }
    }
    // The plain "N passed, N failed, N skipped" form that any CI reader understands.
    println!("tests: {} passed, {} failed, {} skipped", totals.passed, totals.failed, totals.ignored);
    Ok(code)
}

/// Run `tests/vst3/run.sh` (pytest in a virtual environment), passing its output through and
/// adding its summary line ("21 passed, 16 xfailed in 6.2s") to `totals`.
fn run_vst3_tests(totals: &mut TestTotals, bundle_dir: &OsStr) -> Result<ExitStatus> {
    eprintln!("running: tests/vst3/run.sh");
    let mut script = Command::new("bash");
    script.arg("tests/vst3/run.sh").env("FERRITE_BUNDLE_DIR", bundle_dir);
    run_streaming(script, "tests/vst3/run.sh", |line| totals.add_pytest_summary(line))
}

/// Run `command`, passing its standard output through line by line as it comes and showing each
/// line to `on_line` (for the totals); `what` names it in errors.
fn run_streaming(mut command: Command, what: &str, mut on_line: impl FnMut(&str)) -> Result<ExitStatus> {
    use std::io::{BufRead, Write};
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("could not run {what}"))?;
    if let Some(stdout) = child.stdout.take() {
        let mut out = std::io::stdout().lock();
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.with_context(|| format!("could not read the output of {what}"))?;
            on_line(&line);
            let _ = writeln!(out, "{line}");
        }
    }
    child.wait().with_context(|| format!("could not wait for {what}"))
}

/// Sums of the `test result: ... N passed; N failed; N ignored; ...` lines of a cargo test run.
#[derive(Debug, Default, PartialEq)]
struct TestTotals {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl TestTotals {
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(what), Some(count)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(count) = count.parse::<u64>() else {
                continue;
            };
            match what {
                "passed" => self.passed += count,
                "failed" => self.failed += count,
                "ignored" => self.ignored += count,
                _ => {}
            }
        }
    }
}

impl TestTotals {
    /// pytest's closing line: "21 passed, 16 xfailed in 6.17s" (also "1 failed, ...",
    /// "2 skipped", "3 errors"). Expected failures count as skipped; errors as failed.
    fn add_pytest_summary(&mut self, line: &str) {
        let line = line.trim().trim_matches('=').trim();
        if !line.contains(" in ") || !(line.contains("passed") || line.contains("failed") || line.contains("error")) {
            return;
        }
        for part in line.split(" in ").next().unwrap_or("").split(',') {
            let mut words = part.split_whitespace();
            let (Some(count), Some(what)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(count) = count.parse::<u64>() else {
                continue;
            };
            match what {
                "passed" | "xpassed" => self.passed += count,
                "failed" | "error" | "errors" => self.failed += count,
                "skipped" | "xfailed" | "deselected" => self.ignored += count,
                _ => {}
            }
        }
    }
}

fn exit_code(status: ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        return ExitCode::from(code.clamp(0, 255) as u8);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return ExitCode::from((128 + signal).clamp(1, 255) as u8);
        }
    }
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::TestTotals;

    #[test]
    fn pytest_summaries_add_up() {
        let mut t = TestTotals::default();
        t.add_pytest_summary("21 passed, 16 xfailed in 6.17s");
        t.add_pytest_summary("========= 1 failed, 2 passed, 1 error in 0.5s =========");
        t.add_pytest_summary("XFAIL tests/vst3/test_vst3.py::x - reason");
        assert_eq!(t, TestTotals { passed: 23, failed: 2, ignored: 16 });
    }

    #[test]
    fn test_totals_add_up_cargo_result_lines() {
        let mut t = TestTotals::default();
        t.add_line("test result: ok. 44 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 6.55s");
        t.add_line("test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.1s");
        t.add_line("running 5 tests");
        t.add_line("test foo ... ok");
        assert_eq!(t, TestTotals { passed: 47, failed: 2, ignored: 1 });
    }
}
