"""The VST3 bundles' editors in real windows, hosted by pedalboard (JUCE): for every `*.vst3` in
`$FERRITE_BUNDLE_DIR`, `editor_worker.py` opens the plugin's editor `CYCLES` times under a private
Xvfb (Mesa's software OpenGL) while the plugin processes audio, and reports what it saw.

Each cycle must show the editor's own window embedded in the host's window, at the size the
plugin's state gives its editor (`editor-size`, what `getSize` reports), filling the host's window
(the host sized it from `getSize`), drawing (a screenshot that is not
blank), with audio processed meanwhile, and gone after the host closes the editor. After the
cycles no thread per editor may be left, and the plugin must render bit for bit what it rendered
before the first.

The X server runs a window manager (`openbox`) and an XSETTINGS daemon (`xsettingsd`), as a
desktop does. JUCE needs both here: as a library inside pedalboard (not a JUCE application) it
installs no X error handler, so Xlib's default one ends the process at the first X error, and on
a bare server JUCE makes two: it reads a property of the XSETTINGS selection's owner without
checking that there is one (`X_GetProperty` on window 0, gone with `xsettingsd`), and it sets a
window property with a window-manager atom that nobody has created yet (`X_ChangeProperty` with
atom 0, gone with `openbox`). Both happen while JUCE opens its display, before the plugin is
asked for anything. `cargo xtask test` installs `xvfb`, `libgl1-mesa-dri`, `openbox` and
`xsettingsd` (Debian/Ubuntu packages).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from Xlib import display as xdisplay

from host_process import fail_unless_ok

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUNDLE_DIR = Path(os.environ.get("FERRITE_BUNDLE_DIR", REPO / "target" / "bundled")).resolve()
WORKER = HERE / "editor_worker.py"
CYCLES = 4
NEEDED = {"Xvfb": "xvfb", "openbox": "openbox", "xsettingsd": "xsettingsd"}
MIN_SIZE = (200, 150)  # every editor is larger; a smaller window is not an editor

BUNDLES = sorted(BUNDLE_DIR.glob("*.vst3")) if BUNDLE_DIR.is_dir() else []
_PARAMS = [pytest.param(b, id=b.stem) for b in BUNDLES] or [pytest.param(None, id="no-bundle")]


def _wait(what: str, done, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.05)
    pytest.fail(f"VST3 editor test setup: {what} within {timeout} s", pytrace=False)


class Desktop:
    """A private Xvfb (on a display number it picks itself) with openbox and xsettingsd."""

    def __init__(self):
        missing = [pkg for exe, pkg in NEEDED.items() if shutil.which(exe) is None]
        if missing:
            pytest.fail(
                f"VST3 editor test: missing {' '.join(missing)}; `cargo xtask test` installs them as root, or: "
                f"sudo apt-get install -y {' '.join(missing)} libgl1-mesa-dri",
                pytrace=False,
            )
        self.procs = []
        read_end, write_end = os.pipe()
        self.procs.append(
            subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1920x1200x24", "-nolisten", "tcp", "-noreset"],
                pass_fds=(write_end,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        os.close(write_end)
        number = b""
        while not number.endswith(b"\n"):
            chunk = os.read(read_end, 16)
            if not chunk:
                break
            number += chunk
        os.close(read_end)
        if not number.strip():
            self.stop()
            pytest.fail("VST3 editor test setup: Xvfb did not report a display", pytrace=False)
        self.env = dict(os.environ, DISPLAY=f":{number.decode().strip()}", LIBGL_ALWAYS_SOFTWARE="1")
        for cmd in (["openbox", "--sm-disable"], ["xsettingsd", "-c", os.devnull]):
            self.procs.append(
                subprocess.Popen(cmd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
        x = xdisplay.Display(self.env["DISPLAY"])
        root = x.screen().root
        wm_check = x.intern_atom("_NET_SUPPORTING_WM_CHECK")
        settings = x.intern_atom("_XSETTINGS_S0")
        _wait("openbox did not come up", lambda: root.get_full_property(wm_check, 0) is not None)
        _wait("xsettingsd did not take the XSETTINGS selection", lambda: x.get_selection_owner(settings) != 0)
        x.close()

    def stop(self):
        for p in reversed(self.procs):
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.mark.parametrize("bundle", _PARAMS)
def test_editor_opens_draws_and_closes(bundle, tmp_path):
    assert bundle is not None, f"VST3 editor: no *.vst3 bundle in {BUNDLE_DIR}: run `cargo xtask bundle` first"
    who = f"{bundle.stem} VST3 editor (pedalboard)"
    desktop = Desktop()
    try:
        result_path = tmp_path / "editor.json"
        proc = subprocess.run(
            [sys.executable, str(WORKER), str(bundle), str(CYCLES), str(result_path)],
            env=desktop.env,
            capture_output=True,
            text=True,
            timeout=60 + 60 * CYCLES,
        )
    finally:
        desktop.stop()
    result = json.loads(result_path.read_text()) if result_path.is_file() else {}
    print(json.dumps(result))
    fail_unless_ok(proc, f"{who}: host process", f" after {len(result.get('cycles', []))} cycle(s)")

    cycles = result["cycles"]
    assert len(cycles) == CYCLES and result.get("done"), f"{who}: the worker stopped early: {result}"
    expected = result["state_editor_size"]
    assert isinstance(expected, list), f"{who}: the editor size in the plugin's state: {expected}"
    expected = tuple(expected)
    for c in cycles:
        n = c["cycle"]
        assert "error" not in c, f"{who}, cycle {n}: {c['error']}"
        size = tuple(c["size"])
        assert size == tuple(c["parent_size"]), (
            f"{who}, cycle {n}: editor window {size} in a host window of {tuple(c['parent_size'])} "
            "(the host sized it from getSize)"
        )
        assert size == expected, f"{who}, cycle {n}: editor window {size}, the plugin's state says {expected}"
        assert size[0] >= MIN_SIZE[0] and size[1] >= MIN_SIZE[1], f"{who}, cycle {n}: editor window only {size}"
        assert c["blank"] is None, f"{who}, cycle {n}: the editor looks blank: {c['blank']}"
        assert c["blocks_while_open"] > 0, f"{who}, cycle {n}: no audio processed while the editor was open"
        assert c["gone"], f"{who}, cycle {n}: the editor window is still there after the host closed the editor"
        assert c["left_over_editor_windows"] == 0, f"{who}, cycle {n}: editor windows left after closing"
    assert result["threads_at_end"] <= result["threads_after_first"], (
        f"{who}: {result['threads_at_end']} threads after {CYCLES} cycles, {result['threads_after_first']} after "
        "the first: a thread per editor is left"
    )
    audio = result["audio"]
    assert audio["error"] is None, f"{who}: process failed while editors were open: {audio['error']}"
    assert audio["non_finite"] == 0, f"{who}: {audio['non_finite']} block(s) with non-finite output"
    assert result["after_finite"], f"{who}: non-finite output after the editor cycles"
    assert result["after_identical"], (
        f"{who}: after {CYCLES} editor cycles the plugin renders differently (max diff {result['after_max_diff']})"
    )
