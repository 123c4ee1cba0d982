//! `cargo xtask test`: bundles, then the workspace's tests and the VST3 host tests, with one
//! total at the end.

use anyhow::{Context, Result};
use std::process::{Command, ExitCode, ExitStatus};

use crate::bundle::bundle;
use crate::system::{check_system_libraries, DEB_PACKAGES, TEST_DEB_PACKAGES};
use crate::{cargo, workspace};

pub fn test(args: Vec<String>) -> Result<ExitCode> {
    workspace()?;
    let packages: Vec<&'static str> = DEB_PACKAGES.iter().chain(TEST_DEB_PACKAGES).copied().collect();
    check_system_libraries(&packages)?;

    // Only the arguments before `--` are cargo's; the rest go to the test binaries.
    let cargo_args: &[String] = match args.iter().position(|a| a == "--") {
        Some(end) => &args[..end],
        None => &args,
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
        command_line.push("--workspace".to_owned());
        // The host-level tests (tests/clap-host) load the bundles: build them fresh first.
        bundle(Vec::new())?;
    }
    command_line.extend(args.iter().cloned());

    eprintln!("running: cargo {}", command_line.join(" "));
    // Add up every test binary's result line, so the run ends with one total (cargo's own last
    // line is that of the last binary, often a doc-test run with nothing in it).
    let mut totals = TestTotals::default();
    let mut cargo_test = Command::new(cargo());
    cargo_test.args(&command_line);
    let status = run_streaming(cargo_test, "cargo", |line| totals.add_line(line))?;
    let mut code = exit_code(status);
    // The VST3 host-level tests (Python, pedalboard) need the bundles, which a whole-workspace
    // run has just built.
    if !selects_packages && status.success() {
        let vst3 = run_vst3_tests(&mut totals)?;
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
fn run_vst3_tests(totals: &mut TestTotals) -> Result<ExitStatus> {
    eprintln!("running: tests/vst3/run.sh");
    let mut script = Command::new("bash");
    script.arg("tests/vst3/run.sh");
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
