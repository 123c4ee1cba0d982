//! `cargo xtask bundle`: the release build of the plugins and their CLAP/VST3/standalone bundles.

use anyhow::{bail, Context, Result};
use cargo_metadata::{Message, Metadata, Package};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::system::{check_system_libraries, DEB_PACKAGES};
use crate::{cargo, workspace};

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

pub fn bundle(args: Vec<String>) -> Result<()> {
    let metadata = workspace()?;
    let args = parse_bundle_args(args)?;
    let packages = bundle_packages(&metadata, &args.packages)?;
    let names: Vec<String> = packages.iter().map(|p| p.name.to_string()).collect();

    check_system_libraries(DEB_PACKAGES)?;
    eprintln!("bundling {}", names.join(", "));
    let status = cargo_build(&names, &args.cargo_args)
        .status()
        .context("could not run cargo build")?;
    if !status.success() {
        bail!("could not build {} ({status})", names.join(", "));
    }

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
        let name = bundle_name(package);
        link_artifacts_where_bundler_expects_them(package, name, &out_dir, args.target.as_deref())?;
        nice_plug_xtask::bundle(&target_dir, name, &locate_args, false)?;
    }
    eprintln!("bundles are in {}", target_dir.join("bundled").display());
    Ok(())
}

/// `cargo build` of `packages`, with the cargo that runs us (nice-plug-xtask's `build` would take
/// the first `cargo` on the PATH).
fn cargo_build(packages: &[String], cargo_args: &[String]) -> Command {
    let mut command = Command::new(cargo());
    command.arg("build");
    for package in packages {
        command.args(["-p", package]);
    }
    command.args(cargo_args);
    command
}

/// The crates that `cargo xtask bundle` (every plugin, default options) would compile now: it runs
/// that build and lists what cargo did not find fresh. Right after `cargo xtask test`, this is
/// empty when the tests reused the bundles' build exactly (the same crates with the same
/// features and profile) and left it in place.
pub fn bundle_build_compiles() -> Result<Vec<String>> {
    let metadata = workspace()?;
    let args = parse_bundle_args(Vec::new())?;
    let packages = bundle_packages(&metadata, &args.packages)?;
    let names: Vec<String> = packages.iter().map(|p| p.name.to_string()).collect();
    let output = cargo_build(&names, &args.cargo_args)
        .arg("--message-format=json-render-diagnostics")
        .stderr(Stdio::inherit())
        .output()
        .context("could not run cargo build")?;
    if !output.status.success() {
        bail!("could not build {} ({})", names.join(", "), output.status);
    }
    let mut compiled = Vec::new();
    for message in Message::parse_stream(output.stdout.as_slice()) {
        let message = message.context("could not read cargo's messages")?;
        if let Message::CompilerArtifact(artifact) = message {
            if !artifact.fresh {
                compiled.push(format!("{} ({})", artifact.package_id, artifact.target.name));
            }
        }
    }
    Ok(compiled)
}

fn has_cdylib(package: &Package) -> bool {
    package.targets.iter().any(|t| t.is_cdylib())
}

/// The name of the bundles built from a package with a cdylib: that of its standalone binary,
/// its only `[[bin]]` (`ferrite-ring-bundle` makes `ferrite-ring.clap`, `ferrite-ring.vst3` and
/// `ferrite-ring`), or the package's name if it has no binary.
fn bundle_name(package: &Package) -> &str {
    let mut bins = package.targets.iter().filter(|t| t.is_bin());
    match (bins.next(), bins.next()) {
        (Some(bin), None) => &bin.name,
        _ => &package.name,
    }
}

/// The packages to bundle: the named ones (workspace members with a cdylib, named by package or
/// by bundle name), or every workspace member under `plugins/` that declares a cdylib (the
/// plugins' bundle crates, `plugins/<name>/bundle`).
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
        // `ferrite-ring` names the bundles of `ferrite-ring-bundle` (and the plugin's library).
        let found = members
            .iter()
            .copied()
            .find(|p| has_cdylib(p) && (p.name.as_str() == name || bundle_name(p) == name))
            .or_else(|| members.iter().copied().find(|p| p.name.as_str() == name));
        let Some(package) = found else {
            let known: Vec<&str> = plugins.iter().map(|p| bundle_name(p)).collect();
            bail!(
                "'{name}' is not a package of this workspace (plugins: {})",
                known.join(", ")
            );
        };
        if !has_cdylib(package) {
            bail!(
                "package '{name}' has no cdylib target and no bundle crate is named after it, so \
                 there is no plugin to bundle"
            );
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

/// nice-plug-xtask bundles a name `N` from `<N_with_underscores>` (the standalone binary) and
/// `lib<N_with_underscores>.so` (the plugin library), and names the bundles `N`. Cargo keeps the
/// dashes in binary names (`ferrite-ring`), and the library is named after the bundle crate
/// (`libferrite_ring_bundle.so`), so without this nothing would be found. Hard-link (or copy)
/// the real artifacts under the names nice-plug-xtask expects for `bundle_name`, so that it
/// still does the platform-specific bundling.
fn link_artifacts_where_bundler_expects_them(
    package: &Package,
    bundle_name: &str,
    out_dir: &Path,
    target: Option<&str>,
) -> Result<()> {
    let os = target_os(target);
    let expected = bundle_name.replace('-', "_");
    if let Some(lib) = package.targets.iter().find(|t| t.is_cdylib()) {
        let actual = library_file(os, &lib.name.replace('-', "_"));
        link_as(out_dir, &actual, &library_file(os, &expected))?;
    }
    // The standalone is the `[[bin]]` the bundles are named after.
    if let Some(bin) = package
        .targets
        .iter()
        .find(|t| t.is_bin() && t.name == bundle_name)
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
