"""Worker for `test_vst3_editor.py`: opens one VST3 plugin's editor in pedalboard (JUCE) several
times, in a real window on the X display in `DISPLAY`, and checks it from outside over its own X
connection (python-xlib). Runs in its own process, so a crash fails one test and names the signal.

Usage: python editor_worker.py BUNDLE CYCLES RESULT.json

pedalboard's `show_editor(close_event)` makes the window (a JUCE top-level window with an X11
host window inside it), asks the plugin for its view (`IEditController::createView`), sizes the
host window from the view's `getSize` and calls `IPlugView::attached(host window,
"X11EmbedWindowID")`; it runs JUCE's message loop on this (the main) thread until the event is
set, then `removed()` and releases the view. Meanwhile:

* an audio thread calls `process` on the same plugin block after block (noise at -12 dBFS), so
  the editor's data path is open while audio runs; every block must come out finite;
* the plugin's state says which size its editor has (`editor-size`, what `getSize` reports);
* a watcher thread finds the editor's window: a viewable window of another X client (the plugin's
  own connection) whose parent is a window of the host's client below the host's top-level
  window. It must have the size in the state, fill that parent (the host sized it from
  `getSize`), and draw: a screenshot of it must not be blank (at least 8 colours, at least 1 %
  of the pixels off the background colour, as `tests/kit`'s `Image::blank_reason`). Then it
  sets the close event;
* after `show_editor` returns, the window must be gone within the timeout;
* after the last cycle the process's thread count must come back to what it was after the first
  (no thread left per editor).

Before the first and after the last cycle the plugin renders the same signal from a reset; the two
renders must be bit-identical (the editors must leave the processing as it was).

The result file holds what was seen; the test makes the assertions.
"""

import json
import re
import sys
import threading
import time

import numpy as np
import pedalboard
from Xlib import X, display as xdisplay, error as xerror

WINDOW_TIMEOUT = 20.0  # seconds for the window to appear, draw, or go away (software OpenGL)
SAMPLE_RATE = 48000
BLOCK = 256


def signal(channels: int) -> np.ndarray:
    t = np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE
    rng = np.random.default_rng(99)
    x = [0.3 * np.sin(2 * np.pi * (330.0 + 110 * c) * t) + 0.03 * rng.standard_normal(t.size) for c in range(channels)]
    return np.asarray(x, dtype=np.float32)


class Screen:
    """An X connection of our own for looking at the host's and the plugin's windows."""

    def __init__(self):
        self.d = xdisplay.Display()
        self.root = self.d.screen().root
        self.mask = self.d.display.info.resource_id_mask

    def client(self, window_id: int) -> int:
        return window_id & ~self.mask

    def editor_windows(self):
        """Viewable windows of one client whose parent belongs to another client that also owns
        the grandparent (the host's embedding window inside its own top-level window; a window
        manager's frame around the host's top-level window does not qualify)."""
        found = []

        def walk(window, parent, grandparent):
            try:
                attrs = window.get_attributes()
                children = window.query_tree().children
            except xerror.XError:
                return  # went away meanwhile
            if attrs.map_state != X.IsViewable:
                return
            if (
                parent is not None
                and grandparent is not None
                and self.client(window.id) != self.client(parent.id)
                and self.client(parent.id) == self.client(grandparent.id)
            ):
                found.append((window, parent))
            for child in children:
                walk(child, window, parent)

        for top in self.root.query_tree().children:
            walk(top, None, None)
        return found

    def geometry(self, window):
        g = window.get_geometry()
        return int(g.width), int(g.height)

    def exists(self, window) -> bool:
        try:
            window.get_geometry()
            return True
        except xerror.XError:
            return False

    def blank_reason(self, window):
        """Why a screenshot of `window` looks blank, or None."""
        width, height = self.geometry(window)
        image = window.get_image(0, 0, width, height, X.ZPixmap, 0xFFFFFFFF)
        data = np.frombuffer(image.data, dtype=np.uint8)
        stride = len(data) // max(height, 1)
        if stride < width * 4:
            return f"unexpected image format: {len(data)} bytes for {width}x{height}"
        pixels = data.reshape(height, stride)[:, : width * 4].reshape(-1, 4)
        colours, counts = np.unique(pixels[:, :3], axis=0, return_counts=True)
        drawn = 1.0 - counts.max() / pixels.shape[0]
        if len(colours) < 8:
            return f"only {len(colours)} colour(s)"
        if drawn < 0.01:
            return f"only {100 * drawn:.2f} % of the pixels differ from the background"
        return None


# JUCE's own base64 alphabet (juce::MemoryBlock::toBase64Encoding: "<size>.<chars>", 6 bits a
# character, least significant bits first), in which pedalboard's `raw_state` holds the state.
_JUCE_BASE64 = ".ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+"


def editor_size_in_state(raw_state: bytes):
    """The editor size the plugin keeps in its state (`"editor-size": "[w,h]"` in nice-plug's
    state JSON, the size `getSize` reports), read from pedalboard's `raw_state`: JUCE's
    `VST3PluginState` XML with the component state in JUCE's base64. Returns (w, h) or why not."""
    m = re.search(rb"<IComponent>(\d+)\.([^<]*)</IComponent>", raw_state)
    if not m:
        return f"no <IComponent> in raw_state: {raw_state[:80]!r}"
    size, chars = int(m.group(1)), m.group(2).decode("ascii")
    out = bytearray(size)
    for i, c in enumerate(chars):
        value = _JUCE_BASE64.index(c)
        for bit in range(6):
            pos = 6 * i + bit
            if pos < 8 * size and (value >> bit) & 1:
                out[pos // 8] |= 1 << (pos % 8)
    try:
        state = json.loads(out)
        w, h = json.loads(state["fields"]["editor-size"])
        return [int(w), int(h)]
    except (ValueError, KeyError, TypeError) as e:
        return f"no editor-size in the state ({e!r}): {bytes(out[:120])!r}"


def threads() -> int:
    """This process's thread count."""
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("Threads:")).split()[1])


def main():
    bundle, cycles, result_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    result = {"cycles": []}

    def save():
        with open(result_path, "w") as f:
            json.dump(result, f, indent=1)

    plugin = pedalboard.load_plugin(bundle)
    result["state_editor_size"] = editor_size_in_state(plugin.raw_state)
    channels = 2
    x = signal(channels)
    before = np.asarray(plugin.process(x, SAMPLE_RATE, buffer_size=512, reset=True))

    # The audio thread: blocks of noise while the editors come and go.
    stop = threading.Event()
    audio = {"blocks": 0, "non_finite": 0, "error": None}

    def run_audio():
        rng = np.random.default_rng(7)
        try:
            while not stop.is_set():
                block = (0.25 * rng.standard_normal((channels, BLOCK))).astype(np.float32)
                y = plugin.process(block, SAMPLE_RATE, buffer_size=BLOCK, reset=False)
                if not np.all(np.isfinite(y)):
                    audio["non_finite"] += 1
                audio["blocks"] += 1
        except Exception as e:  # reported, not raised: the test names it
            audio["error"] = repr(e)

    audio_thread = threading.Thread(target=run_audio, daemon=True)
    audio_thread.start()

    screen = Screen()
    for n in range(cycles):
        seen = {"cycle": n}
        result["cycles"].append(seen)
        close = threading.Event()

        def watch(seen=seen, close=close):
            try:
                deadline = time.monotonic() + WINDOW_TIMEOUT
                found = []
                while not found and time.monotonic() < deadline:
                    found = screen.editor_windows()
                    if not found:
                        time.sleep(0.05)
                if len(found) != 1:
                    seen["error"] = (
                        f"no editor window within {WINDOW_TIMEOUT} s" if not found else f"{len(found)} editor windows"
                    )
                    return
                window, parent = found[0]
                seen["window"] = hex(window.id)
                seen["size"] = screen.geometry(window)
                seen["parent_size"] = screen.geometry(parent)
                blocks_at_open = audio["blocks"]
                why = "not captured"
                deadline = time.monotonic() + WINDOW_TIMEOUT
                while time.monotonic() < deadline:
                    why = screen.blank_reason(window)
                    if why is None:
                        break
                    time.sleep(0.1)
                seen["blank"] = why
                # Some audio while the editor is open and drawing.
                time.sleep(0.5)
                seen["blocks_while_open"] = audio["blocks"] - blocks_at_open
                seen["_window"] = window
            except Exception as e:
                seen["error"] = f"watcher: {e!r}"
            finally:
                close.set()

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        started = time.monotonic()
        plugin.show_editor(close)
        seen["open_seconds"] = round(time.monotonic() - started, 2)
        watcher.join(5)
        window = seen.pop("_window", None)
        if window is not None:
            deadline = time.monotonic() + WINDOW_TIMEOUT
            while screen.exists(window) and time.monotonic() < deadline:
                time.sleep(0.05)
            seen["gone"] = not screen.exists(window)
            seen["left_over_editor_windows"] = len(screen.editor_windows())
        seen["threads"] = threads()
        save()

    # No thread per editor is left: the count comes back to where it was after the first cycle
    # (an editor's event-loop thread may take a moment to end after its window is gone).
    deadline = time.monotonic() + 5.0
    while threads() > result["cycles"][0]["threads"] and time.monotonic() < deadline:
        time.sleep(0.05)
    result["threads_after_first"] = result["cycles"][0]["threads"]
    result["threads_at_end"] = threads()

    stop.set()
    audio_thread.join(10)
    result["audio"] = audio
    after = np.asarray(plugin.process(x, SAMPLE_RATE, buffer_size=512, reset=True))
    result["after_finite"] = bool(np.all(np.isfinite(after)))
    result["after_identical"] = bool(before.shape == after.shape and np.array_equal(before, after))
    result["after_max_diff"] = float(np.max(np.abs(before - after))) if before.shape == after.shape else None
    result["done"] = True
    save()


if __name__ == "__main__":
    main()
