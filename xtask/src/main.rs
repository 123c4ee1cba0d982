//! `cargo xtask`: bundles the Ferrite plugins and runs the workspace's tests.
//!
//! - `cargo xtask bundle [PACKAGE...]`: release build + CLAP/VST3/standalone bundles in
//!   `target/bundled/`, for the named packages or, without names, for every plugin under
//!   `plugins/` (every workspace member there that declares a `cdylib`).
//! - `cargo xtask test [ARGS...]`: `cargo xtask bundle`, then
//!   `cargo test --release --workspace [ARGS...]` (the host-level tests load the bundles).
//! - `known-packages` and `bundle-universal` are forwarded to `nice-plug-xtask` as they are.
//!
//! `bundle` and `test` first check that the system libraries the build needs are installed.

use anyhow::{bail, Context, Result};
use cargo_metadata::{Metadata, MetadataCommand, Package};
use std::collections::HashSet;
use std::ffi::OsString;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};

const USAGE: &str = "\
Usage: cargo xtask <COMMAND> [ARGS...]

Commands:
  bundle [PACKAGE...] [CARGO BUILD ARGS...]
      Build and bundle plugins into target/bundled/ (PACKAGE.clap, PACKAGE.vst3/ and the
      standalone binary PACKAGE). Packages can also be given as -p PACKAGE. Without any,
      every plugin under plugins/ (workspace members declaring a cdylib) is bundled.
      Release build unless --release or --profile is given.
  test [CARGO TEST ARGS...]
      Bundle every plugin, then run `cargo test --release --workspace [ARGS...]` (the
      host-level tests load the bundles). With -p PACKAGE: only that package's tests, no bundling.
  known-packages, bundle-universal ...
      Forwarded to nice-plug-xtask.

bundle and test first check the system libraries the build needs (and install them with
apt-get when running as root on Debian/Ubuntu).
";

/// Debian/Ubuntu packages providing what the plugins link against (ALSA, JACK, OpenGL, X11/XCB
/// for the editor and the standalone) plus pkg-config, which the `-sys` crates use to find them.
const DEB_PACKAGES: &[&str] = &[
    "pkg-config",
    "libasound2-dev",
    "libjack-jackd2-dev",
    "libgl-dev",
    "libx11-xcb-dev",
    "libxcb1-dev",
    "libxcb-dri2-0-dev",
    "libxcb-icccm4-dev",
    "libxcursor-dev",
    "libxkbcommon-dev",
    "libxcb-shape0-dev",
    "libxcb-xfixes0-dev",
];

/// What only the test command needs on top: the JACK server (`jackd`, dummy driver) that the
/// standalone apps are tested against (tests/tests/standalone.rs).
const TEST_DEB_PACKAGES: &[&str] = &["jackd2"];

/// The same requirements as pkg-config modules, for systems without dpkg.
const PKG_CONFIG_MODULES: &[&str] = &[
    "alsa",
    "jack",
    "gl",
    "x11-xcb",
    "xcb",
    "xcb-dri2",
    "xcb-icccm",
    "xcursor",
    "xkbcommon",
];

/// `cargo build` options that take their value as the next argument, so that the value is not
/// mistaken for a package name by `bundle`.
const CARGO_VALUE_OPTIONS: &[&str] = &[
    "--exclude",
    "-j",
    "--jobs",
    "-F",
    "--features",
    "--target",
    "--target-dir",
    "--artifact-dir",
    "--profile",
    "--manifest-path",
    "--lockfile-path",
    "--message-format",
    "--color",
    "--config",
    "-Z",
    "--bin",
    "--example",
    "--test",
    "--bench",
];

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode> {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        eprint!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    match command.as_str() {
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        "bundle" => {
            bundle(args.collect())?;
            Ok(ExitCode::SUCCESS)
        }
        "test" => test(args.collect()),
        "known-packages" | "bundle-universal" => {
            nice_plug_xtask::main_with_args("cargo xtask", std::iter::once(command).chain(args))?;
            Ok(ExitCode::SUCCESS)
        }
        other => {
            eprintln!("error: unknown command '{other}'\n");
            eprint!("{USAGE}");
            Ok(ExitCode::from(2))
        }
    }
}

/// Reads the workspace's metadata (members only) and makes its root the current directory.
fn workspace() -> Result<Metadata> {
    // `cargo run` sets CARGO_MANIFEST_DIR to xtask/; fall back to where xtask was compiled.
    let xtask_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|| OsString::from(env!("CARGO_MANIFEST_DIR")));
    let metadata = MetadataCommand::new()
        .current_dir(xtask_dir)
        .no_deps()
        .exec()
        .context("could not read the workspace with `cargo metadata`")?;
    std::env::set_current_dir(&metadata.workspace_root).with_context(|| {
        format!(
            "could not change to the workspace root {}",
            metadata.workspace_root
        )
    })?;
    Ok(metadata)
}

/// The cargo that runs us (so that `cargo +toolchain xtask` stays on that toolchain).
fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

// ---------------------------------------------------------------------------------------------
// bundle

#[derive(Default)]
struct BundleArgs {
    packages: Vec<String>,
    /// Everything that is not a package, passed on to `cargo build`.
    cargo_args: Vec<String>,
    profile: Option<String>,
    target: Option<String>,
    target_dir: Option<String>,
}

fn parse_bundle_args(args: Vec<String>) -> Result<BundleArgs> {
    let mut out = BundleArgs::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            out.cargo_args.push(arg);
            out.cargo_args.extend(args.by_ref());
            break;
        }
        if arg == "-p" || arg == "--package" {
            let name = args
                .next()
                .with_context(|| format!("missing package name after {arg}"))?;
            out.packages.push(name);
            continue;
        }
        let inline_package = arg
            .strip_prefix("--package=")
            .or_else(|| arg.strip_prefix("-p").filter(|rest| !rest.starts_with('-')))
            .map(|name| name.trim_start_matches('='));
        if let Some(name) = inline_package {
            if name.is_empty() {
                bail!("missing package name in '{arg}'");
            }
            out.packages.push(name.to_owned());
            continue;
        }
        if arg == "--release" || arg == "-r" {
            out.profile = Some("release".to_owned());
            out.cargo_args.push(arg);
            continue;
        }
        if CARGO_VALUE_OPTIONS.contains(&arg.as_str()) {
            let value = args
                .next()
                .with_context(|| format!("missing value after {arg}"))?;
            out.note_option(&arg, &value);
            out.cargo_args.push(arg);
            out.cargo_args.push(value);
            continue;
        }
        if arg.starts_with("--") {
            if let Some((option, value)) = arg.split_once('=') {
                out.note_option(option, value);
            }
            out.cargo_args.push(arg);
            continue;
        }
        if arg.starts_with('-') {
            out.cargo_args.push(arg);
        } else {
            out.packages.push(arg);
        }
    }
    if out.profile.is_none() {
        // Bundles are always optimized builds unless a profile is asked for explicitly.
        out.cargo_args.push("--release".to_owned());
        out.profile = Some("release".to_owned());
    }
    Ok(out)
}

impl BundleArgs {
    fn note_option(&mut self, option: &str, value: &str) {
        match option {
            "--profile" => self.profile = Some(value.to_owned()),
            "--target" => self.target = Some(value.to_owned()),
            "--target-dir" => self.target_dir = Some(value.to_owned()),
            _ => (),
        }
    }
}

/// The directory under `target/` that cargo uses for a profile.
fn profile_dir(profile: &str) -> &str {
    match profile {
        "dev" | "test" => "debug",
        "bench" => "release",
        other => other,
    }
}

fn bundle(args: Vec<String>) -> Result<()> {
    let metadata = workspace()?;
    let args = parse_bundle_args(args)?;
    let packages = bundle_packages(&metadata, &args.packages)?;
    let names: Vec<String> = packages.iter().map(|p| p.name.to_string()).collect();

    check_system_libraries(DEB_PACKAGES)?;
    eprintln!("bundling {}", names.join(", "));
    nice_plug_xtask::build(&names, &args.cargo_args)?;

    let target_dir = match &args.target_dir {
        Some(dir) => PathBuf::from(dir),
        None => metadata.target_directory.clone().into_std_path_buf(),
    };
    let profile_dir = profile_dir(args.profile.as_deref().unwrap_or("release")).to_owned();
    let mut out_dir = target_dir.clone();
    if let Some(target) = &args.target {
        out_dir.push(target);
    }
    out_dir.push(&profile_dir);

    // nice-plug-xtask only looks at these options, and it takes `--profile NAME` as the directory
    // name, which is wrong for `dev` (cargo writes that to `debug/`); give it the directory.
    let mut locate_args = vec!["--profile".to_owned(), profile_dir];
    if let Some(target) = &args.target {
        locate_args.extend(["--target".to_owned(), target.clone()]);
    }
    for package in &packages {
        link_artifacts_where_bundler_expects_them(package, &out_dir, args.target.as_deref())?;
        nice_plug_xtask::bundle(&target_dir, &package.name, &locate_args, false)?;
    }
    eprintln!("bundles are in {}", target_dir.join("bundled").display());
    Ok(())
}

fn has_cdylib(package: &Package) -> bool {
    package.targets.iter().any(|t| t.is_cdylib())
}

/// The packages to bundle: the named ones (which must be workspace members with a cdylib), or
/// every workspace member under `plugins/` that declares a cdylib.
fn bundle_packages<'a>(metadata: &'a Metadata, requested: &[String]) -> Result<Vec<&'a Package>> {
    let members = metadata.workspace_packages();
    let plugins_dir = metadata.workspace_root.join("plugins");
    let mut plugins: Vec<&Package> = members
        .iter()
        .copied()
        .filter(|p| has_cdylib(p) && p.manifest_path.starts_with(&plugins_dir))
        .collect();
    plugins.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));

    if requested.is_empty() {
        if plugins.is_empty() {
            bail!("no plugins to bundle: no workspace member under plugins/ declares a cdylib");
        }
        return Ok(plugins);
    }

    let mut selected: Vec<&Package> = Vec::new();
    for name in requested {
        let Some(package) = members.iter().copied().find(|p| p.name.as_str() == name) else {
            let known: Vec<&str> = plugins.iter().map(|p| p.name.as_str()).collect();
            bail!(
                "'{name}' is not a package of this workspace (plugins: {})",
                known.join(", ")
            );
        };
        if !has_cdylib(package) {
            bail!("package '{name}' has no cdylib target, so there is no plugin to bundle");
        }
        if !selected.iter().any(|p| p.id == package.id) {
            selected.push(package);
        }
    }
    Ok(selected)
}

#[derive(Clone, Copy, PartialEq)]
enum Platform {
    Linux,
    MacOs,
    Windows,
}

fn target_os(target: Option<&str>) -> Platform {
    match target {
        Some(t) if t.contains("windows") => Platform::Windows,
        Some(t) if t.contains("apple") => Platform::MacOs,
        Some(_) => Platform::Linux,
        None if cfg!(target_os = "windows") => Platform::Windows,
        None if cfg!(target_os = "macos") => Platform::MacOs,
        None => Platform::Linux,
    }
}

fn library_file(os: Platform, name: &str) -> String {
    match os {
        Platform::Linux => format!("lib{name}.so"),
        Platform::MacOs => format!("lib{name}.dylib"),
        Platform::Windows => format!("{name}.dll"),
    }
}

fn binary_file(os: Platform, name: &str) -> String {
    match os {
        Platform::Windows => format!("{name}.exe"),
        Platform::Linux | Platform::MacOs => name.to_owned(),
    }
}

/// nice-plug-xtask looks for `<pkg_with_underscores>` as the standalone binary and
/// `lib<pkg_with_underscores>.so` as the plugin library. Cargo keeps the dashes in binary names
/// (`ferrite-ring`), and a `[lib] name` may differ from the package, so without this the
/// standalone would silently not be bundled. Hard-link (or copy) the real artifacts under the
/// names nice-plug-xtask expects, so that it still does the platform-specific bundling.
fn link_artifacts_where_bundler_expects_them(
    package: &Package,
    out_dir: &Path,
    target: Option<&str>,
) -> Result<()> {
    let os = target_os(target);
    let expected = package.name.replace('-', "_");
    if let Some(lib) = package.targets.iter().find(|t| t.is_cdylib()) {
        let actual = library_file(os, &lib.name.replace('-', "_"));
        link_as(out_dir, &actual, &library_file(os, &expected))?;
    }
    // The standalone is the `[[bin]]` named like the package.
    if let Some(bin) = package
        .targets
        .iter()
        .find(|t| t.is_bin() && t.name == package.name.as_str())
    {
        link_as(
            out_dir,
            &binary_file(os, &bin.name),
            &binary_file(os, &expected),
        )?;
    }
    Ok(())
}

fn link_as(dir: &Path, actual: &str, expected: &str) -> Result<()> {
    if actual == expected {
        return Ok(());
    }
    let (from, to) = (dir.join(actual), dir.join(expected));
    // Never leave a stale copy from an earlier build behind.
    match fs::remove_file(&to) {
        Err(err) if err.kind() != ErrorKind::NotFound => {
            return Err(err).with_context(|| format!("could not remove {}", to.display()));
        }
        _ => (),
    }
    if !from.exists() {
        return Ok(());
    }
    if fs::hard_link(&from, &to).is_err() {
        fs::copy(&from, &to)
            .with_context(|| format!("could not copy {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// test

fn test(args: Vec<String>) -> Result<ExitCode> {
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

// ---------------------------------------------------------------------------------------------
// system libraries

fn check_system_libraries(packages: &[&'static str]) -> Result<()> {
    if !cfg!(target_os = "linux") {
        // ALSA/JACK/X11 are only needed on Linux.
        return Ok(());
    }
    let Some(missing) = missing_deb_packages(packages)? else {
        return check_pkg_config_modules();
    };
    if missing.is_empty() {
        eprintln!("system libraries: ok");
        return Ok(());
    }

    let list = missing.join(" ");
    if !is_root() {
        bail!(
            "missing system libraries (Debian/Ubuntu packages): {list}; install them with: \
             sudo apt-get install -y {list}"
        );
    }

    eprintln!("system libraries: installing {list}");
    let update = Command::new("apt-get")
        .arg("update")
        .status()
        .context("could not run apt-get")?;
    if !update.success() {
        bail!("could not install the missing system libraries ({list}): `apt-get update` failed ({update})");
    }
    let install = Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "--no-install-recommends"])
        .args(&missing)
        .status()
        .context("could not run apt-get")?;
    if !install.success() {
        bail!("could not install the missing system libraries ({list}): `apt-get install` failed ({install})");
    }
    let still_missing = missing_deb_packages(packages)?.unwrap_or_default();
    if !still_missing.is_empty() {
        bail!(
            "system libraries still missing after apt-get install: {}",
            still_missing.join(" ")
        );
    }
    eprintln!("system libraries: ok (installed {list})");
    Ok(())
}

/// The packages of `packages` that are not installed, or `None` without dpkg.
fn missing_deb_packages(packages: &[&'static str]) -> Result<Option<Vec<&'static str>>> {
    let output = match Command::new("dpkg-query")
        .arg("-W")
        .arg("-f=${Package}\t${Status}\n")
        .args(packages)
        .output()
    {
        Ok(output) => output,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err).context("could not run dpkg-query"),
    };
    // Exit code 1 only means that some packages are unknown to dpkg (= not installed).
    if !matches!(output.status.code(), Some(0 | 1)) {
        bail!(
            "dpkg-query failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Status is "want ok state"; the package is there when the state is "installed" ("install ok
    // installed", or "hold ok installed" for a held package). Multi-arch packages may be listed
    // once per architecture; any installed one will do.
    let installed: HashSet<&str> = stdout
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .filter(|(_, status)| {
            let words: Vec<&str> = status.split_whitespace().collect();
            matches!(words.as_slice(), [_, "ok", "installed"])
        })
        .map(|(package, _)| package.split(':').next().unwrap_or(package))
        .collect();
    Ok(Some(
        packages
            .iter()
            .copied()
            .filter(|p| !installed.contains(p))
            .collect(),
    ))
}

/// Without dpkg (not Debian/Ubuntu): ask pkg-config for the libraries instead.
fn check_pkg_config_modules() -> Result<()> {
    let all = PKG_CONFIG_MODULES.join(" ");
    let exists = |modules: &[&str]| -> Result<bool> {
        match Command::new("pkg-config")
            .arg("--exists")
            .args(modules)
            .status()
        {
            Ok(status) => Ok(status.success()),
            Err(err) if err.kind() == ErrorKind::NotFound => bail!(
                "pkg-config is not installed; install it and the development files of these \
                 libraries (pkg-config modules): {all}"
            ),
            Err(err) => Err(err).context("could not run pkg-config"),
        }
    };
    if exists(PKG_CONFIG_MODULES)? {
        eprintln!("system libraries: ok");
        return Ok(());
    }
    let mut missing = Vec::new();
    for module in PKG_CONFIG_MODULES {
        if !exists(&[*module])? {
            missing.push(*module);
        }
    }
    bail!(
        "missing system libraries (pkg-config modules): {}; install their development packages \
         with your system's package manager",
        missing.join(" ")
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
