//! The standalone apps' editor windows, for real: every app in `target/bundled`
//! (`$FERRITE_BUNDLE_DIR`) runs under a private Xvfb with Mesa's software OpenGL and nice-plug's
//! dummy audio backend, and
//!
//! - opens its editor: a top-level window of the editor's default size (its logical size at
//!   scale 1, as the plugin's own `Editor::size` says) appears, and a screenshot of it is not
//!   blank and has the theme's background colour in its corners; closing it as a window
//!   manager does (`WM_DELETE_WINDOW`) ends the app with status 0;
//! - with its window open, SIGINT and SIGTERM end it within two seconds with status 0 (nice-plug's
//!   own handler does not close the window; the guard in `plugins/common/src/standalone.rs`
//!   ends the app a second after the signal);
//! - with `--no-editor`, opens no window and stops on SIGINT with status 0;
//! - without a display (`DISPLAY` unset) runs without the window, says so in one line, and stops
//!   on SIGINT with status 0.
//!
//! Every plugin must have an editor except those in [`NO_EDITOR_YET`]; a plugin listed there
//! that has one fails too, so the list cannot go stale.
//!
//! With `FERRITE_SCREENSHOT_DIR` set, the screenshots are written there as `<app>.png`
//! (`cargo xtask screenshots` makes `docs/screenshots/<app>.png` from them).
//! `cargo xtask test` installs Xvfb and Mesa (`xvfb`, `libgl1-mesa-dri`) and builds the bundles.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrite_test_kit::x11::{Display, Image, WindowInfo, Xvfb};
use ferrite_test_kit::TempDir;
use nice_plug::editor::Editor;
use nice_plug::prelude::*;

/// Apps whose plugin has no editor yet (`type Editor = ()`). Remove an app when its editor lands.
const NO_EDITOR_YET: &[&str] = &[];

/// How long an app may take to show its window (software OpenGL on a loaded 2-core machine).
const WINDOW_TIMEOUT: Duration = Duration::from_secs(30);

/// The editor's default size in physical pixels at scale 1, if plugin `P` has an editor.
fn editor_size<P: Plugin>() -> Option<(u32, u32)> {
    let mut plugin = P::default();
    let editor = plugin.editor(AsyncExecutor::new(Arc::new(|_| ()), Arc::new(|_| ())))?;
    let size = editor.size();
    Some((size.width, size.height))
}

/// Every plugin's app name (`ferrite-ring`) and its editor's default size, if it has an editor.
fn editor_sizes() -> BTreeMap<String, Option<(u32, u32)>> {
    let mut sizes = BTreeMap::new();
    macro_rules! size {
        ($name:ident, $plugin:ty) => {
            sizes.insert(stringify!($name).replace('_', "-"), editor_size::<$plugin>());
        };
    }
    ferrite_tests::for_each_plugin!(size);
    sizes
}

fn bundle_dir() -> PathBuf {
    match std::env::var_os("FERRITE_BUNDLE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bundled"),
    }
}

/// The plugins' apps in the bundle folder, with their editor's expected size. Fails for an app
/// that is not a known plugin, for a plugin without an editor that is not in [`NO_EDITOR_YET`],
/// and for one with an editor that still is.
fn apps_with_editors() -> Vec<(String, PathBuf, (u32, u32))> {
    let sizes = editor_sizes();
    let dir = bundle_dir();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (name, size) in &sizes {
        let path = dir.join(name);
        assert!(path.is_file(), "no app {} in {}; build the bundles: cargo xtask bundle", name, dir.display());
        match (size, NO_EDITOR_YET.contains(&name.as_str())) {
            (Some(size), false) => out.push((name.clone(), path, *size)),
            (None, true) => eprintln!("standalone {name}: no editor yet (NO_EDITOR_YET), not tested"),
            (None, false) => problems.push(format!("standalone {name}: the plugin has no editor")),
            (Some(_), true) => problems.push(format!(
                "standalone {name}: the plugin has an editor now; remove it from NO_EDITOR_YET in {}",
                file!()
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    out
}

/// One app or server at a time: software OpenGL is heavy on 2 cores, and each test's windows must
/// be the only ones on its server.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Kills the app when dropped (a failing test must not leave windows behind).
struct Reaper(Option<Child>);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spawn(path: &Path, args: &[&str], env: &[(&str, String)], no_display: bool, log: &Path) -> Result<Reaper, String> {
    let mut command = Command::new(path);
    command.args(args).stdin(Stdio::null()).stdout(Stdio::null());
    command.stderr(std::fs::File::create(log).map_err(|e| e.to_string())?);
    for (k, v) in env {
        command.env(k, v);
    }
    if no_display {
        command.env_remove("DISPLAY");
    }
    Ok(Reaper(Some(command.spawn().map_err(|e| format!("cannot start {}: {e}", path.display()))?)))
}

fn log_of(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default().trim().replace('\n', " | ")
}

/// Waits up to `timeout` for the child to exit; its status, or `None` if it is still running.
fn wait_exit(child: &mut Child, timeout: Duration) -> Result<Option<std::process::ExitStatus>, String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGINT, then the exit status within ten seconds.
fn interrupt(reaper: &mut Reaper) -> Result<std::process::ExitStatus, String> {
    let child = reaper.0.as_mut().unwrap();
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().map_err(|e| e.to_string())?;
    let status = wait_exit(child, Duration::from_secs(10))?.ok_or("did not exit within 10 s of SIGINT")?;
    reaper.0 = None;
    Ok(status)
}

/// Runs `check` for every app with an editor, each on a fresh Xvfb, and fails once at the end
/// listing every app that failed and why.
fn for_each_app(what: &str, check: impl Fn(&str, &Path, (u32, u32), &Xvfb) -> Result<(), String>) {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let apps = apps_with_editors();
    let mut failures = Vec::new();
    for (name, path, size) in &apps {
        let result = Xvfb::start(1920, 1200).and_then(|xvfb| check(name, path, *size, &xvfb));
        if let Err(e) = result {
            failures.push(format!("standalone {name}: {what}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{what}: {} app(s) passed", apps.len());
}

/// Captures `window` until the capture is not blank (the first frames of a GL window may still be
/// empty), for up to ten seconds; the last capture and why it is blank, if it stays so.
fn capture_drawn(display: &Display, window: u32) -> Result<(Image, Option<String>), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let image = display.capture(window)?;
        let blank = image.blank_reason();
        if blank.is_none() || Instant::now() >= deadline {
            return Ok((image, blank));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn every_standalone_opens_its_editor_window() {
    for_each_app("editor window under Xvfb", |name, path, (width, height), xvfb| {
        let tmp = TempDir::new(&format!("window-{name}"));
        let log = tmp.join("stderr.txt");
        let display = xvfb.connect()?;
        let mut app = spawn(path, &["--backend", "dummy"], &xvfb.env(), false, &log)?;
        let child = app.0.as_mut().unwrap();
        let started = Instant::now();
        let window: Option<WindowInfo> = display.wait_for(WINDOW_TIMEOUT, |windows| windows.first().copied())?;
        let Some(window) = window else {
            let status = child.try_wait().ok().flatten().map(|s| format!(" (exited: {s})")).unwrap_or_default();
            return Err(format!("no window within {WINDOW_TIMEOUT:?}{status}; stderr: {}", log_of(&log)));
        };
        let (image, blank) = capture_drawn(&display, window.id)?;
        eprintln!(
            "standalone {name}: window {}×{} after {:.1} s, {} colours",
            window.width,
            window.height,
            started.elapsed().as_secs_f64(),
            image.distinct_colours(100_000)
        );
        if let Some(dir) = std::env::var_os("FERRITE_SCREENSHOT_DIR") {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            image.write_png(&dir.join(format!("{name}.png")))?;
        }
        if (window.width as u32, window.height as u32) != (width, height) {
            return Err(format!(
                "window is {}×{}, expected the editor's default size {width}×{height}",
                window.width, window.height
            ));
        }
        if let Some(why) = blank {
            let kept = tmp.join("screenshot.png");
            let _ = image.write_png(&kept);
            return Err(format!("the window looks blank: {why} (screenshot: {})", kept.display()));
        }
        // The background is the theme's, painted as the window's clear colour (a colour handed
        // over in the wrong encoding shows as near black): look at the four corners, inside
        // the panel's margin where nothing is drawn.
        let theme = ferrite_editor::theme::BACKGROUND.to_array();
        let (w, h) = (image.width, image.height);
        for (x, y) in [(2, 2), (w.saturating_sub(3), 2), (2, h.saturating_sub(3)), (w.saturating_sub(3), h.saturating_sub(3))] {
            let px = image.pixel(x, y).ok_or("the screenshot is smaller than 3×3")?;
            if px.iter().zip(&theme).any(|(&a, &b)| a.abs_diff(b) > 2) {
                return Err(format!("the background at ({x}, {y}) is {px:?}, not the theme's {:?}", &theme[..3]));
            }
        }
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("exited while its window was open ({status}); stderr: {}", log_of(&log)));
        }
        // Closing the window as a window manager does ends the app.
        display.request_close(window.id)?;
        let status = wait_exit(child, Duration::from_secs(10))?
            .ok_or_else(|| "still running 10 s after its window was asked to close".to_string())?;
        app.0 = None;
        if !status.success() {
            return Err(format!("exit status {status} after closing the window; stderr: {}", log_of(&log)));
        }
        if !display.viewable_top_levels()?.is_empty() {
            return Err("a window is left on the display after the app exited".into());
        }
        Ok(())
    });
}

#[test]
fn every_standalone_with_its_window_open_stops_on_sigint_and_sigterm() {
    for_each_app("SIGINT/SIGTERM with the window open", |name, path, _, xvfb| {
        for signal in ["-INT", "-TERM"] {
            let tmp = TempDir::new(&format!("signal-{name}"));
            let log = tmp.join("stderr.txt");
            let display = xvfb.connect()?;
            let mut app = spawn(path, &["--backend", "dummy"], &xvfb.env(), false, &log)?;
            let child = app.0.as_mut().unwrap();
            let window: Option<WindowInfo> = display.wait_for(WINDOW_TIMEOUT, |windows| windows.first().copied())?;
            if window.is_none() {
                return Err(format!("{signal}: no window within {WINDOW_TIMEOUT:?}; stderr: {}", log_of(&log)));
            }
            let sent = Instant::now();
            Command::new("kill").args([signal, &child.id().to_string()]).status().map_err(|e| e.to_string())?;
            let status = wait_exit(child, Duration::from_secs(10))?.ok_or_else(|| format!("still running 10 s after {signal}"))?;
            let took = sent.elapsed();
            app.0 = None;
            if status.code() != Some(0) || took > Duration::from_secs(2) {
                return Err(format!("{signal}: exit status {status} after {took:?}, expected 0 within 2 s; stderr: {}", log_of(&log)));
            }
        }
        Ok(())
    });
}

#[test]
fn no_editor_flag_and_no_display_run_without_a_window() {
    for_each_app("--no-editor and no DISPLAY", |name, path, _, xvfb| {
        let tmp = TempDir::new(&format!("headless-{name}"));
        let display = xvfb.connect()?;
        for (case, args, no_display) in
            [("--no-editor", &["--backend", "dummy", "--no-editor"][..], false), ("DISPLAY unset", &["--backend", "dummy"][..], true)]
        {
            let log = tmp.join("stderr.txt");
            let mut app = spawn(path, args, &xvfb.env(), no_display, &log)?;
            std::thread::sleep(Duration::from_millis(2500));
            let child = app.0.as_mut().unwrap();
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("{case}: exited by itself ({status}); stderr: {}", log_of(&log)));
            }
            if let Some(w) = display.viewable_top_levels()?.first() {
                return Err(format!("{case}: a {}×{} window opened", w.width, w.height));
            }
            let status = interrupt(&mut app).map_err(|e| format!("{case}: {e}"))?;
            if !status.success() {
                return Err(format!("{case}: exit status {status} on SIGINT, expected 0"));
            }
            let stderr = std::fs::read_to_string(&log).unwrap_or_default();
            let notice = ferrite_plugin_common::headless::no_display_notice(name);
            if no_display != stderr.contains(&notice) {
                return Err(format!("{case}: the notice {notice:?} was {}expected; stderr: {stderr:?}", if no_display { "" } else { "not " }));
            }
        }
        Ok(())
    });
}
