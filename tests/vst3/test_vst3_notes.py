"""Note input through VST3: MIDI notes and the pitch wheel move Ferrite VCF's self-oscillation and
Ferrite Ring's carrier, measured on the audio within 1 %, as the CLAP test in tests/clap-host
and the JACK test in tests/tests/standalone.rs measure them.

pedalboard hands MIDI only to instruments, so these tests host the effects with DawDreamer,
which gives a plugin audio from a playback processor and MIDI at once (`dd_worker.py`, one child
process per render). Parameters are set before the first block, as a host restoring a project
does, through their normalized values computed from the plugin's own `params --json`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from host_process import fail_unless_ok

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUNDLE_DIR = Path(os.environ.get("FERRITE_BUNDLE_DIR", REPO / "target" / "bundled")).resolve()
WORKER = HERE / "dd_worker.py"
SR = 48000
BLOCK = 512
TOLERANCE = 0.01


def key_hz(key: float) -> float:
    return 440.0 * 2.0 ** ((key - 69.0) / 12.0)


def crossing_frequency(x: np.ndarray, sr: float) -> float:
    """Mean frequency from the rising zero crossings (interpolated between samples), with the
    same hysteresis as the Rust tests' helper: a crossing counts only after the signal has been
    below -5 % of its peak since the last one."""
    x = np.asarray(x, dtype=np.float64)
    threshold = 0.05 * float(np.max(np.abs(x)))
    times, armed = [], False
    for i in range(len(x) - 1):
        a, b = x[i], x[i + 1]
        if a < -threshold:
            armed = True
        if armed and a < 0.0 <= b:
            times.append((i + a / (a - b)) / sr)
            armed = False
    if len(times) < 3:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0])


def _bundle(stem: str) -> Path:
    bundle = BUNDLE_DIR / f"{stem}.vst3"
    if not bundle.exists():
        pytest.fail(f"{bundle} not found; build it with `cargo xtask bundle {stem} --release`")
    return bundle


def _normalized(stem: str, values: dict[str, object]) -> dict[str, float]:
    """Plain values by interface ID -> normalized values by display name (what a VST3 host sets),
    from the binary's `params --json`; only linear floats, integers, choices and booleans."""
    exe = BUNDLE_DIR / stem
    proc = subprocess.run([str(exe), "params", "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"`{exe} params --json` failed: {proc.stderr.strip()}"
    params = {p["id"]: p for p in json.loads(proc.stdout)["params"]}
    out = {}
    for pid, value in values.items():
        p = params[pid]
        if p["kind"] in ("choice", "bool"):
            index = p["choices"].index(value)
            out[p["name"]] = index / (len(p["choices"]) - 1)
        else:
            assert p["linear"], f"{pid}: only linear ranges are mapped here"
            out[p["name"]] = (float(value) - p["min"]) / (p["max"] - p["min"])
    return out


def _play(tmp: Path, tag: str, stem: str, params: dict[str, float], x: np.ndarray, notes=(), midi_file=None):
    """Render `x` through the plugin with `notes` ([key, velocity, start s, length s]) and/or a
    MIDI file; returns (output [channels, frames], the parameters' display texts)."""
    np.save(tmp / "in.npy", x.astype(np.float32))
    job = {
        "bundle": str(_bundle(stem)),
        "sample_rate": SR,
        "block": BLOCK,
        "seconds": x.shape[1] / SR,
        "input": str(tmp / "in.npy"),
        "params": params,
        "notes": [list(n) for n in notes],
        "midi_file": str(midi_file) if midi_file else None,
        "output": str(tmp / "out.npy"),
        "result": str(tmp / "result.json"),
    }
    (tmp / "job.json").write_text(json.dumps(job))
    proc = subprocess.run([sys.executable, str(WORKER), str(tmp / "job.json")], capture_output=True, text=True, timeout=120)
    fail_unless_ok(proc, f"{tag}: DawDreamer host process")
    return np.load(tmp / "out.npy"), json.loads((tmp / "result.json").read_text())["texts"]


def _vlq(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def _midi_file(path: Path, events: list[tuple[float, bytes]]) -> Path:
    """A format-0 Standard MIDI File playing `events` ((seconds, message) in time order) at the
    default tempo (120 bpm, 480 ticks per quarter note: 960 ticks per second)."""
    track, last = b"", 0
    for seconds, message in events:
        tick = round(seconds * 960)
        track += _vlq(tick - last) + message
        last = tick
    track += b"\x00\xff\x2f\x00"
    header = b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big") + (480).to_bytes(2, "big")
    path.write_bytes(header + b"MTrk" + len(track).to_bytes(4, "big") + track)
    return path


def test_vst3_notes_move_the_vcf_oscillation(tmp_path):
    """Ferrite VCF at resonance 8 self-oscillates just below its cutoff; with 100 % key tracking
    (reference key 60) the cutoff follows the played key, so the oscillation moves by the played
    interval. A click starts the oscillation; the last half second of 1.5 s is measured."""
    stem = "ferrite-vcf"
    params = _normalized(stem, {"resonance": 8.0, "key_track": 1.0, "oversampling": "4x"})
    x = np.zeros((2, int(1.5 * SR)), dtype=np.float32)
    x[:, 10] = 0.1
    y, texts = _play(tmp_path, "no note", stem, params, x)
    assert texts == {"Resonance": "8.00", "Key Track": "100%", "Oversampling": "4x"}, texts
    reference = crossing_frequency(y[0, SR:], SR)
    assert 800.0 < reference < 1000.0, f"no note: oscillation at {reference:.2f} Hz, expected just below the 1 kHz cutoff"
    errors = []
    for key in (48, 67, 72):
        y, _ = _play(tmp_path, f"note {key}", stem, params, x, notes=[(key, 100, 0.0, 1.5)])
        f = crossing_frequency(y[0, SR:], SR)
        want = key_hz(key) / key_hz(60)
        print(f"VST3 note {key}: oscillation {f:.2f} Hz, {f / reference:.4f} x the reference's (expected {want:.4f})")
        if abs(f / reference / want - 1.0) > TOLERANCE:
            errors.append(f"note {key}: {f:.2f} Hz is {f / reference:.4f} x the reference's {reference:.2f} Hz, expected {want:.4f}")
    # Note-on 72, then the wheel full up 50 ms later (+2 semitones, the default bend range).
    midi = _midi_file(tmp_path / "bend.mid", [(0.0, bytes([0x90, 72, 100])), (0.05, bytes([0xE0, 0x7F, 0x7F])), (1.5, bytes([0x80, 72, 0]))])
    y, _ = _play(tmp_path, "note 72 bent up", stem, params, x, midi_file=midi)
    f = crossing_frequency(y[0, SR:], SR)
    want = 2.0 * 2.0 ** (2.0 * 8191.0 / 8192.0 / 12.0)
    print(f"VST3 note 72 bent up: {f / reference:.4f} x the reference (expected {want:.4f})")
    if abs(f / reference / want - 1.0) > TOLERANCE:
        errors.append(f"note 72 bent up: {f / reference:.4f} x the reference, expected {want:.4f}")
    assert not errors, "; ".join(errors)


def test_vst3_notes_move_the_ring_carrier(tmp_path):
    """Ferrite Ring following notes, Parker's model (it passes DC): with a DC input the output is
    the carrier shaped by the diodes, so its zero crossings give the carrier's frequency. Half a
    second each: no note (Carrier Freq, 440 Hz), key 57 held, key 64 on top, key 64 released
    (last-note priority falls back to the held 57)."""
    stem = "ferrite-ring"
    params = _normalized(stem, {"model": "parker", "note_follow": "on"})
    x = np.full((2, 2 * SR), 0.5, dtype=np.float32)
    notes = [(57, 100, 0.5, 1.5), (64, 100, 1.0, 0.5)]
    y, texts = _play(tmp_path, "ring", stem, params, x, notes=notes)
    assert texts == {"Model": "Parker", "Note Follow": "On"}, texts
    step = SR // 2
    errors = []
    for i, want in enumerate([440.0, key_hz(57), key_hz(64), key_hz(57)]):
        # The second half of each step: past any smoothing.
        f = crossing_frequency(y[0, i * step + step // 2 : (i + 1) * step], SR)
        print(f"VST3 ring step {i}: carrier {f:.2f} Hz (expected {want:.2f})")
        if abs(f / want - 1.0) > TOLERANCE:
            errors.append(f"step {i}: carrier {f:.2f} Hz, expected {want:.2f} Hz")
    assert not errors, "; ".join(errors)
