//! The system libraries the build needs: checked with dpkg (Debian/Ubuntu) or pkg-config, and
//! installed with apt-get when running as root on Debian/Ubuntu.

use anyhow::{bail, Context, Result};
use std::collections::HashSet;
use std::io::ErrorKind;
use std::process::Command;

/// Debian/Ubuntu packages providing what the plugins link against (ALSA, JACK, OpenGL, X11/XCB
/// for the editor and the standalone) plus pkg-config, which the `-sys` crates use to find them.
pub const DEB_PACKAGES: &[&str] = &[
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
/// standalone apps are tested against (tests/tests/standalone.rs), and for the real-window tests
/// (tests/tests/standalone_window.rs, tests/clap-host/tests/clap_gui.rs) the virtual X server
/// they start themselves and Mesa's software OpenGL drivers the editors draw with. The VST3
/// editor test (tests/vst3/test_vst3_editor.py) also runs a window manager and an XSETTINGS
/// daemon on its Xvfb: pedalboard's JUCE ends the process on X errors it makes on a bare server.
/// ALSA's JACK PCM plugin (libasound2-plugins) gives the ALSA backend test a device that can be
/// made to disappear under a running app: the JACK server behind it is killed. sox (with every
/// format, libsox-fmt-all) makes the render tests' FLAC, AIFF, Ogg and MP3 inputs and checks that
/// it reads our WAV outputs without a warning (tests/tests/render_cli.rs). ngspice, the circuit
/// simulator, runs the continuous-time reference of the Ring's circuit and of the VCF that the
/// plugins are compared with (tests/tests/spice.rs).
pub const TEST_DEB_PACKAGES: &[&str] = &[
    "jackd2",
    "xvfb",
    "libgl1-mesa-dri",
    "openbox",
    "xsettingsd",
    "libasound2-plugins",
    "sox",
    "libsox-fmt-all",
    "ngspice",
];

/// The same requirements as pkg-config modules, for systems without dpkg.
pub const PKG_CONFIG_MODULES: &[&str] = &[
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

pub fn check_system_libraries(packages: &[&'static str]) -> Result<()> {
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
