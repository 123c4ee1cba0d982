"""VST3 host-level tests of every Ferrite plugin bundle, hosted by Spotify's pedalboard (JUCE).

Run with `tests/vst3/run.sh` (makes the venv in target/vst3-venv). Bundles come from
`$FERRITE_BUNDLE_DIR` (default `<repo>/target/bundled`); every `*.vst3` there is tested and
must have an entry in `EXPECTED` below (keyed by bundle stem).

How pedalboard 0.9.26 shows a nice-plug plugin (checked against ferrite-ring):

* Parameter attribute names are the *display names* python-ified (lower case, non-alphanumerics
  to `_`) **plus the unit label** when the plugin reports one: "Carrier Freq" with unit " Hz"
  becomes `carrier_freq_hz`, "Drive" (" dB") becomes `drive_db`. So the names do not follow our
  IDs; `ParamSpec.pb_name` maps each interface ID to its pedalboard name.
* pedalboard infers a parameter's range by parsing the plugin's *display text*. Mix is shown as a
  percentage, so pedalboard sees Mix as 0..100 (%): `plugin.mix = 50` is our plain 0.5
  (`ParamSpec.pb_scale`). Oversampling's texts ("1x".."32x") parse as numbers with unit "x", so
  pedalboard treats it as a float 1..32 rather than an enum; assigning the display string ("2x")
  still works. Model and Carrier are proper enums (`valid_values` = display names).
* Parameter changes made through pedalboard reach the plugin's processor only inside the next
  `process` call (JUCE queues them). Until then `raw_state`, the reported latency (oversampling
  changes it: 62 samples at 8x, 57 at 2x) and the smoothers still hold the old values, so the
  first `process` after setting parameters is misaligned (stale latency) and glides from the
  defaults. `pb_worker.py` therefore runs one short warm-up `process` after applying settings.
* `process()` compensates the plugin's reported latency (62 samples for ferrite-ring): its
  output is time-aligned with its input, exactly like `ferrite-ring render`, so the two are
  compared at lag 0. On a mismatch the test searches nearby lags and reports the best one.

Every pedalboard `process` call runs in a child process (`pb_worker.py`), so a plugin crash
fails one test (naming the signal) instead of killing the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pedalboard
import pytest
import soundfile as sf

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUNDLE_DIR = Path(os.environ.get("FERRITE_BUNDLE_DIR", REPO / "target" / "bundled")).resolve()
WORKER = HERE / "pb_worker.py"

SKIP_SECONDS = 0.1  # let the parameter smoothers (20 ms) settle before comparing
MATCH_DB = -100.0  # max relative RMS error between VST3 and `render`
SIGNAL_SECONDS = 1.0
SAMPLE_RATES = (44100, 48000)
LAYOUTS = {"stereo": 2, "mono": 1}

BUFFER_SIZES = (64, 4096)


# --------------------------------------------------------------------------------------------
# Per-plugin expectations. A new plugin is one entry here (keyed by bundle stem).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    """One interface parameter (docs/interfaces.md, "Parameters") and how pedalboard shows it."""

    pb_name: str  # pedalboard attribute name
    default: object  # plain value (float) or enum ID (str)
    range: tuple[float, float] | None = None  # plain min, max (floats)
    choices: dict[str, str] | None = None  # enum ID -> display name (enums)
    pb_scale: float = 1.0  # pedalboard value = plain * pb_scale (Mix: %)
    stepped: bool = False  # integer parameter: compared by text after a state round trip

    def to_pedalboard(self, plain: str):
        """A value as given to `render --set` (plain text) -> what pedalboard's setter takes."""
        if self.choices is not None:
            return self.choices[plain]
        return float(plain) * self.pb_scale


@dataclass(frozen=True)
class PluginSpec:
    display_name: str
    binary: str  # standalone/offline app in the bundle folder (has `render`)
    params: dict[str, ParamSpec]
    # name -> {id: plain value as text}; used for the render comparison and state round trip
    settings: dict[str, dict[str, str]] = field(default_factory=dict)


_OVERSAMPLING = {f"{f}x": f"{f}x" for f in (1, 2, 4, 8, 16, 32)}

EXPECTED: dict[str, PluginSpec] = {
    "ferrite-ring": PluginSpec(
        display_name="Ferrite Ring",
        binary="ferrite-ring",
        params={
            "model": ParamSpec("model", "circuit", choices={"circuit": "Circuit", "parker": "Parker"}),
            "carrier": ParamSpec(
                "carrier",
                "sine",
                choices={
                    "sine": "Sine",
                    "triangle": "Triangle",
                    "square": "Square",
                    "saw": "Saw",
                    "sidechain": "Sidechain",
                },
            ),
            "carrier_freq": ParamSpec("carrier_freq_hz", 440.0, range=(0.1, 10000.0)),
            "carrier_level": ParamSpec("carrier_level_db", 0.0, range=(-36.0, 12.0)),
            "drive": ParamSpec("drive_db", 0.0, range=(-24.0, 24.0)),
            "mix": ParamSpec("mix", 1.0, range=(0.0, 1.0), pb_scale=100.0),
            "output": ParamSpec("output_db", 0.0, range=(-36.0, 12.0)),
            "oversampling": ParamSpec("oversampling", "8x", choices=_OVERSAMPLING),
        },
        settings={
            "defaults": {},
            "parker-square": {"model": "parker", "carrier": "square", "carrier_freq": "733", "drive": "6"},
            "os2x-mix50": {"oversampling": "2x", "mix": "0.5"},
        },
    ),
    "ferrite-vcf": PluginSpec(
        display_name="Ferrite VCF",
        binary="ferrite-vcf",
        params={
            "cutoff": ParamSpec("cutoff_hz", 1000.0, range=(20.0, 20000.0)),
            "resonance": ParamSpec("resonance", 1.0, range=(0.0, 10.0)),
            "drive": ParamSpec("drive_db", 0.0, range=(-24.0, 24.0)),
            "mix": ParamSpec("mix", 1.0, range=(0.0, 1.0), pb_scale=100.0),
            "output": ParamSpec("output_db", 0.0, range=(-36.0, 12.0)),
            "oversampling": ParamSpec("oversampling", "2x", choices={f"{f}x": f"{f}x" for f in (1, 2, 4, 8)}),
        },
        settings={
            "defaults": {},
            # Below self-oscillation (K = 4.85): a self-oscillating filter's phase depends on the
            # last bit of the cutoff, which pedalboard can only set to the display's precision.
            "resonant-hot": {"resonance": "3.5", "drive": "9", "oversampling": "4x"},
            "low-mix": {"cutoff": "150", "resonance": "0.5", "mix": "0.6", "oversampling": "1x"},
        },
    ),
    "ferrite-phaser": PluginSpec(
        display_name="Ferrite Phaser",
        binary="ferrite-phaser",
        params={
            "stages": ParamSpec("stages", 8.0, range=(1.0, 48.0), stepped=True),
            "freq": ParamSpec("freq_hz", 800.0, range=(20.0, 20000.0)),
            "spread": ParamSpec("spread", 1.1, range=(0.5, 2.0)),
            "q": ParamSpec("q", 2.0, range=(0.5, 100.0)),
            "feedback": ParamSpec("feedback", 0.0, range=(-0.99, 0.99), pb_scale=100.0),
            "lfo_rate": ParamSpec("lfo_rate_hz", 0.5, range=(0.01, 20.0)),
            "lfo_depth": ParamSpec("lfo_depth_oct", 1.5, range=(0.0, 5.0)),
            "lfo_shape": ParamSpec(
                "lfo_shape", "sine", choices={"sine": "Sine", "triangle": "Triangle", "square": "Square", "saw": "Saw"}
            ),
            "stereo_phase": ParamSpec("stereo_phase", 90.0, range=(0.0, 360.0)),
            "mix": ParamSpec("mix", 0.5, range=(0.0, 1.0), pb_scale=100.0),
            "output": ParamSpec("output_db", 0.0, range=(-36.0, 12.0)),
        },
        settings={
            # Static notches only: the free-running LFO's phase would differ after pb_worker's
            # warm-up `process`, so a running LFO cannot be compared sample by sample.
            # `spread` and `q` stay at their defaults: pedalboard sets a skewed parameter only to
            # the display's precision (spread "1.050" may be 1.0497), which moves 48 notches.
            "static-48": {"stages": "48", "lfo_depth": "0"},
            "feedback": {"stages": "12", "lfo_depth": "0", "feedback": "0.7", "freq": "400"},
        },
    ),
    "ferrite-reverb": PluginSpec(
        display_name="Ferrite Reverb",
        binary="ferrite-reverb",
        params={
            "algorithm": ParamSpec(
                "algorithm",
                "hall",
                choices={"freeverb": "Freeverb", "hall": "Hall", "plate": "Plate", "convolution": "Convolution"},
            ),
            "decay": ParamSpec("decay_s", 2.0, range=(0.1, 30.0)),
            "size": ParamSpec("size", 0.5, range=(0.0, 1.0), pb_scale=100.0),
            "damping": ParamSpec("damping", 0.5, range=(0.0, 1.0), pb_scale=100.0),
            "predelay": ParamSpec("predelay_ms", 10.0, range=(0.0, 500.0)),
            "width": ParamSpec("width", 1.0, range=(0.0, 1.0), pb_scale=100.0),
            "modulation": ParamSpec("modulation", 0.3, range=(0.0, 1.0), pb_scale=100.0),
            "low_cut": ParamSpec("low_cut_hz", 20.0, range=(20.0, 2000.0)),
            "high_cut": ParamSpec("high_cut_hz", 16000.0, range=(1000.0, 20000.0)),
            "mix": ParamSpec("mix", 0.3, range=(0.0, 1.0), pb_scale=100.0),
            "output": ParamSpec("output_db", 0.0, range=(-36.0, 12.0)),
        },
        settings={
            # Modulation off: the hall's and plate's modulation LFOs run free (see the phaser).
            "plate-static": {"algorithm": "plate", "modulation": "0", "decay": "1.5", "mix": "0.5"},
            "freeverb": {"algorithm": "freeverb", "size": "0.8", "damping": "0.3", "width": "0.5"},
        },
    ),
}


# --------------------------------------------------------------------------------------------
# Discovery and fixtures
# --------------------------------------------------------------------------------------------

_MISSING = "<no .vst3 bundle found>"
_NO_BUNDLE_MSG = (
    f"VST3: no *.vst3 bundle found in {BUNDLE_DIR} (FERRITE_BUNDLE_DIR); "
    "build them first with `cargo xtask bundle <package> --release`"
)


def _discover() -> list[Path]:
    return sorted(BUNDLE_DIR.glob("*.vst3")) if BUNDLE_DIR.is_dir() else []


BUNDLES = _discover()
_BUNDLE_PARAMS = [pytest.param(b, id=b.stem) for b in BUNDLES] or [pytest.param(_MISSING, id="no-bundle")]


def _spec_for(bundle) -> PluginSpec:
    if bundle == _MISSING:
        pytest.fail(_NO_BUNDLE_MSG)
    spec = EXPECTED.get(bundle.stem)
    if spec is None:
        pytest.fail(
            f"{bundle.stem} VST3: no expectations entry for this bundle; add one to EXPECTED in "
            f"{Path(__file__).relative_to(REPO)} (display name, parameter IDs: docs/interfaces.md)"
        )
    return spec


def _cases(with_settings: bool, layouts=LAYOUTS, rates=SAMPLE_RATES, sizes=BUFFER_SIZES):
    """Parametrize over discovered bundles x (settings) x layout x rate x buffer size."""
    if not BUNDLES:
        return [pytest.param(_MISSING, "-", "stereo", 48000, 64, id="no-bundle")]
    out = []
    for b in BUNDLES:
        spec = EXPECTED.get(b.stem)
        names = list(spec.settings) if (spec and with_settings) else ["defaults"]
        for s in names:
            for lay in layouts:
                for sr in rates:
                    for bs in sizes:
                        out.append(pytest.param(b, s, lay, sr, bs, id=f"{b.stem}-{s}-{lay}-{sr}-bs{bs}"))
    return out


def test_bundles_present():
    assert BUNDLES, _NO_BUNDLE_MSG


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _test_signal(channels: int, sr: int, seconds: float = SIGNAL_SECONDS) -> np.ndarray:
    """Deterministic float32 [channels, frames]: two sines per channel plus a little noise."""
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    rng = np.random.default_rng(1234 + channels)
    chans = []
    for c in range(channels):
        f1, f2 = 220.0 * (1 + 0.5 * c), 1375.0 + 211.0 * c
        x = 0.35 * np.sin(2 * np.pi * f1 * t) + 0.15 * np.sin(2 * np.pi * f2 * t + 0.3 * c)
        x += 0.02 * rng.standard_normal(n)
        chans.append(x)
    return np.asarray(chans, dtype=np.float32)


def _pb_settings(spec: PluginSpec, setting: dict[str, str]) -> dict[str, object]:
    return {spec.params[k].pb_name: spec.params[k].to_pedalboard(v) for k, v in setting.items()}


def _run_worker(tag: str, tmp: Path, job: dict, timeout: float = 120.0):
    """Run pb_worker.py on `job`; returns (output array, result dict); fails the test on a crash."""
    job = dict(job)
    job.update(output=str(tmp / "pb_out.npy"), result=str(tmp / "pb_result.json"))
    job_path = tmp / "job.json"
    job_path.write_text(json.dumps(job))
    proc = subprocess.run(
        [sys.executable, str(WORKER), str(job_path)], capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        how = f"exit status {proc.returncode}"
        if proc.returncode < 0:
            try:
                how = f"killed by {signal.Signals(-proc.returncode).name}"
            except ValueError:
                how = f"killed by signal {-proc.returncode}"
        tail = "\n".join((proc.stderr or "").strip().splitlines()[-8:])
        pytest.fail(f"{tag}: pedalboard host process {how} (plugin crashed or errored)\n{tail}", pytrace=False)
    return np.load(job["output"]), json.loads(Path(job["result"]).read_text())


_REF_CACHE: dict[tuple, np.ndarray] = {}


def _render_reference(spec, bundle, setting_name, x, sr, workdir: Path) -> np.ndarray:
    """The plugin's own offline `render` at the same settings (output is block-independent)."""
    key = (bundle.stem, setting_name, x.shape[0], sr)
    if key in _REF_CACHE:
        return _REF_CACHE[key]
    exe = bundle.parent / spec.binary
    assert exe.is_file(), f"{bundle.stem} VST3 render comparison: offline app {exe} not found"
    inp, out = workdir / "in.wav", workdir / "out.wav"
    sf.write(inp, x.T, sr, subtype="FLOAT")
    cmd = [str(exe), "render", str(inp), str(out)]
    for k, v in spec.settings[setting_name].items():
        cmd += ["--set", f"{k}={v}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{bundle.stem} VST3 render comparison: `{' '.join(cmd)}` failed: {proc.stderr.strip()}"
    y, out_sr = sf.read(out, dtype="float32", always_2d=True)
    assert out_sr == sr, f"{bundle.stem} VST3 render comparison: render wrote {out_sr} Hz for {sr} Hz input"
    _REF_CACHE[key] = y.T.copy()
    return _REF_CACHE[key]


def _rel_err_db(a: np.ndarray, b: np.ndarray) -> float:
    num = float(np.sum((a.astype(np.float64) - b) ** 2))
    den = float(np.sum(b.astype(np.float64) ** 2))
    if num == 0.0:
        return -np.inf
    return 10 * np.log10(num / max(den, 1e-300))


def _best_lag(y, ref, start, max_lag):
    best = (np.inf, 0)
    n = min(y.shape[1], ref.shape[1])
    for lag in range(-max_lag, max_lag + 1):
        lo, hi = start + max(lag, 0), n - max(-lag, 0) - max_lag
        if hi <= lo:
            continue
        e = _rel_err_db(y[:, lo:hi], ref[:, lo - lag : hi - lag])
        best = min(best, (e, lag))
    return best


# --------------------------------------------------------------------------------------------
# 1. Loads; name; parameters present with plausible ranges and defaults
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bundle", _BUNDLE_PARAMS)
def test_loads_name_and_parameters(bundle):
    spec = _spec_for(bundle)
    tag = f"{bundle.stem} VST3"
    plugin = pedalboard.load_plugin(str(bundle))
    assert isinstance(plugin, pedalboard.VST3Plugin), f"{tag} load: loaded as {type(plugin).__name__}, not VST3"
    assert plugin.name == spec.display_name, f"{tag} name: {plugin.name!r} != {spec.display_name!r}"
    latency = plugin.reported_latency_samples
    assert 0 <= latency < 48000, f"{tag} latency: implausible reported latency {latency}"

    present = plugin.parameters
    missing = [f"{pid} (as {p.pb_name})" for pid, p in spec.params.items() if p.pb_name not in present]
    assert not missing, f"{tag} parameters: missing {missing}; pedalboard shows {sorted(present)}"

    problems = []
    for pid, p in spec.params.items():
        prm = present[p.pb_name]
        if p.choices is None:
            lo, hi = p.range
            want_lo, want_hi = lo * p.pb_scale, hi * p.pb_scale
            tol = 1e-3 * max(1.0, abs(want_hi - want_lo))
            if not (abs(prm.min_value - want_lo) <= tol and abs(prm.max_value - want_hi) <= tol):
                problems.append(f"{pid}: range {prm.min_value}..{prm.max_value} != {want_lo}..{want_hi}")
            got = float(getattr(plugin, p.pb_name))
            if abs(got - p.default * p.pb_scale) > tol:
                problems.append(f"{pid}: default {got} != {p.default * p.pb_scale}")
        else:
            displays = list(p.choices.values())
            if prm.type is str and list(prm.valid_values) != displays:
                problems.append(f"{pid}: choices {prm.valid_values} != {displays}")
            if prm.string_value != p.choices[p.default]:
                problems.append(f"{pid}: default {prm.string_value!r} != {p.choices[p.default]!r}")
    assert not problems, f"{tag} parameter ranges/defaults: " + "; ".join(problems)

    # Every enum choice can be set by its display string and reads back (fresh instance).
    plugin = pedalboard.load_plugin(str(bundle))
    for pid, p in spec.params.items():
        for cid, display in (p.choices or {}).items():
            setattr(plugin, p.pb_name, display)
            got = plugin.parameters[p.pb_name].string_value
            if got != display:
                problems.append(f"{pid}={cid}: set {display!r}, reads {got!r}")
    assert not problems, f"{tag} enum choices: " + "; ".join(problems)


# --------------------------------------------------------------------------------------------
# 2. Same audio as the plugin's own `render` command
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bundle,setting,layout,sr,bs", _cases(with_settings=True))
def test_matches_render(bundle, setting, layout, sr, bs, tmp_path):
    spec = _spec_for(bundle)
    tag = f"{bundle.stem} VST3 render comparison [{setting}, {layout}, {sr} Hz, buffer {bs}]"
    x = _test_signal(LAYOUTS[layout], sr)
    ref = _render_reference(spec, bundle, setting, x, sr, tmp_path)
    np.save(tmp_path / "in.npy", x)
    y, info = _run_worker(
        tag,
        tmp_path,
        dict(
            bundle=str(bundle),
            mode="process",
            settings=_pb_settings(spec, spec.settings[setting]),
            input=str(tmp_path / "in.npy"),
            sample_rate=sr,
            buffer_size=bs,
        ),
    )
    assert y.shape == x.shape, f"{tag}: pedalboard output shape {y.shape} != input {x.shape}"
    assert ref.shape == x.shape, f"{tag}: render output shape {ref.shape} != input {x.shape}"
    start = int(SKIP_SECONDS * sr)
    ref_db = 10 * np.log10(np.mean(ref[:, start:].astype(np.float64) ** 2) + 1e-300)
    assert ref_db > -60, f"{tag}: render output is near silent ({ref_db:.1f} dBFS), comparison meaningless"
    err = _rel_err_db(y[:, start:], ref[:, start:])
    if err > MATCH_DB:
        lat = info["latency"]
        best_err, best_lag = _best_lag(y, ref, start, 2 * lat + 16)
        pytest.fail(
            f"{tag}: relative error {err:.1f} dB > {MATCH_DB} dB at lag 0 "
            f"(reported latency {lat}; best alignment lag {best_lag} gives {best_err:.1f} dB)",
            pytrace=False,
        )


# --------------------------------------------------------------------------------------------
# 3. raw_state round trip
# --------------------------------------------------------------------------------------------


def _state_cases():
    if not BUNDLES:
        return [pytest.param(_MISSING, "-", id="no-bundle")]
    return [
        pytest.param(b, s, id=f"{b.stem}-{s}")
        for b in BUNDLES
        for s in (EXPECTED[b.stem].settings if b.stem in EXPECTED else ["defaults"])
    ]


@pytest.mark.parametrize("bundle,setting", _state_cases())
def test_raw_state_round_trip(bundle, setting, tmp_path):
    spec = _spec_for(bundle)
    tag = f"{bundle.stem} VST3 raw_state round trip [{setting}]"
    sr, bs = 48000, 512
    x = _test_signal(2, sr, seconds=0.5)
    np.save(tmp_path / "in.npy", x)
    ys, info = _run_worker(
        tag,
        tmp_path,
        dict(
            bundle=str(bundle),
            mode="state_roundtrip",
            settings=_pb_settings(spec, spec.settings[setting]),
            input=str(tmp_path / "in.npy"),
            sample_rate=sr,
            buffer_size=bs,
        ),
    )
    assert info["state_len"] > 0, f"{tag}: empty raw_state"
    before, after = info["params"], info["params_restored"]
    # Equal = same display text (the plain value); for continuous parameters also the same
    # normalized value. Enums are compared by text only: pedalboard sets an enum to the *lowest*
    # normalized value inside the choice's band (oversampling "2x" -> 0.1), which the plugin then
    # stores canonically (0.2), so the normalized values legitimately differ.
    # Integer parameters likewise: pedalboard sets "stages = 12" as a raw value inside the step
    # (0.224), which the plugin stores as the step's own normalized value (11/47 = 0.234).
    enums = {p.pb_name for p in spec.params.values() if p.choices is not None or p.stepped}
    diffs = [
        f"{k}: {before[k]} -> {after.get(k)}"
        for k in before
        if k not in after
        or before[k]["text"] != after[k]["text"]
        or (k not in enums and abs(before[k]["raw"] - after[k]["raw"]) > 1e-6)
    ]
    assert not diffs, f"{tag}: parameters differ after restoring raw_state: " + "; ".join(diffs)
    # The settings really were applied (so the round trip is not defaults -> defaults).
    for pid, plain in spec.settings[setting].items():
        p = spec.params[pid]
        if p.choices is not None:
            got = after[p.pb_name]["text"]
            assert got == p.choices[plain], f"{tag}: {pid} restored as {got!r}, expected {p.choices[plain]!r}"
    assert np.array_equal(ys[0], ys[1]), (
        f"{tag}: audio differs between original and restored instance "
        f"(relative error {_rel_err_db(ys[1], ys[0]):.1f} dB)"
    )


# --------------------------------------------------------------------------------------------
# 4. Output finite for mono/stereo, 44.1/48 kHz, small/large buffers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bundle,setting,layout,sr,bs", _cases(with_settings=False))
def test_output_finite(bundle, setting, layout, sr, bs, tmp_path):
    spec = _spec_for(bundle)
    tag = f"{bundle.stem} VST3 finite output [{layout}, {sr} Hz, buffer {bs}]"
    # Hot input: full-scale sine, then silence, then a DC step and clipped noise.
    n = int(0.5 * sr)
    x = _test_signal(LAYOUTS[layout], sr, seconds=0.5) * 2.5
    x[:, n // 3 : n // 2] = 0.0
    x[:, n // 2 : n // 2 + 2000] = 1.0
    x = np.clip(x, -1.0, 1.0).astype(np.float32)
    np.save(tmp_path / "in.npy", x)
    y, _ = _run_worker(
        tag,
        tmp_path,
        dict(bundle=str(bundle), mode="process", settings=_pb_settings(spec, {}),
             input=str(tmp_path / "in.npy"), sample_rate=sr, buffer_size=bs),
    )
    assert y.shape == x.shape, f"{tag}: output shape {y.shape} != input {x.shape}"
    bad = int(np.count_nonzero(~np.isfinite(y)))
    assert bad == 0, f"{tag}: {bad} non-finite output samples"
    peak = float(np.max(np.abs(y)))
    assert peak < 100.0, f"{tag}: implausible output peak {peak}"
