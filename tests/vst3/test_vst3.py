"""VST3 host-level tests of every Ferrite plugin bundle, hosted by Spotify's pedalboard (JUCE).

Run with `tests/vst3/run.sh` (makes the venv in target/vst3-venv). Bundles come from
`$FERRITE_BUNDLE_DIR` (default `<repo>/target/bundled`); every `*.vst3` there is tested against
what the plugin itself defines: the binary bundled next to it (`ferrite-X.vst3` -> `ferrite-X`)
prints its name and every parameter's ID, name, unit, range, default and kind with
`params --json` (`docs/parameters.md` pins the same for every plugin, checked by a Rust test).
A new plugin needs no entry here; `SETTINGS` may add render-comparison cases for it.

How pedalboard 0.9.26 shows a nice-plug plugin (checked against ferrite-ring):

* Parameter attribute names are the *display names* python-ified (lower case, non-alphanumerics
  to `_`) **plus the unit label** when the plugin reports one: "Carrier Freq" with unit " Hz"
  becomes `carrier_freq_hz`, "Drive" (" dB") becomes `drive_db`. So the names do not follow our
  IDs; `ParamSpec.pb_name` maps each interface ID to its pedalboard name (`pedalboard_name`).
* pedalboard infers a parameter's range by parsing the plugin's *display text*. Mix is shown as a
  percentage, so pedalboard sees Mix as 0..100 (%): `plugin.mix = 50` is our plain 0.5
  (`ParamSpec.pb_scale`, 100 for every parameter whose display text ends in "%"). Oversampling's texts ("1x".."32x") parse as numbers with unit "x", so
  pedalboard treats it as a float 1..32 rather than an enum; assigning the display string ("2x")
  still works. Model and Carrier are proper enums (`valid_values` = display names).
* Parameter changes made through pedalboard reach the plugin's processor only inside the next
  `process` call (JUCE queues them). Until then `raw_state`, the reported latency (oversampling
  changes it: 62 samples at 8x, 57 at 2x) and the smoothers still hold the old values, so the
  first `process` after setting parameters is misaligned (stale latency) and glides from the
  defaults. `pb_worker.py` therefore runs one short warm-up `process` after applying settings,
  except in `test_first_block_matches_render`, which checks that values arriving in the first
  `process` call take effect at once (no glide, no crossfade from the old values).
* `process()` compensates the plugin's reported latency (62 samples for ferrite-ring): its
  output is time-aligned with its input, exactly like `ferrite-ring render`, so the two are
  compared at lag 0. On a mismatch the test searches nearby lags and reports the best one.

Every pedalboard `process` call runs in a child process (`pb_worker.py`), so a plugin crash
fails one test (naming the signal) instead of killing the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pedalboard
import pytest
import soundfile as sf
from host_process import fail_unless_ok

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
# Per-plugin expectations: from the plugin's own `params --json`
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    """One interface parameter (as `params --json` describes it) and how pedalboard shows it."""

    pb_name: str  # pedalboard attribute name
    default: object  # plain value (float), enum ID (str) or bool
    range: tuple[float, float] | None = None  # plain min, max (floats and integers)
    choices: dict[str, str] | None = None  # enum ID -> display name (enums)
    pb_scale: float = 1.0  # pedalboard value = plain * pb_scale (Mix: %)
    stepped: bool = False  # integer parameter: compared by text after a state round trip
    boolean: dict[str, str] | None = None  # booleans: value ID -> display name ("off" -> "Off")

    def to_pedalboard(self, plain: str):
        """A value as given to `render --set` (plain text) -> what pedalboard's setter takes."""
        if self.choices is not None:
            return self.choices[plain]
        if self.boolean is not None:
            return plain.lower() in ("on", "true", "1", "yes")
        return float(plain) * self.pb_scale


@dataclass(frozen=True)
class PluginSpec:
    display_name: str
    binary: str  # standalone/offline app in the bundle folder (has `render` and `params`)
    params: dict[str, ParamSpec]
    # name -> {id: plain value as text}; used for the render comparison and state round trip
    settings: dict[str, dict[str, str]] = field(default_factory=dict)


def pedalboard_name(name: str, unit: str) -> str:
    """The attribute name pedalboard gives a parameter: its display name and unit label, lower
    case, every run of other characters than ASCII letters and digits one `_`, none at the ends."""
    text = f"{name} {unit}" if unit else name
    out, last = [], ""
    for c in text.lower():
        c = c if c.isascii() and c.isalnum() else "_"
        if not (c == "_" and last == "_"):
            out.append(c)
        last = c
    return "".join(out).strip("_")


def param_spec(p: dict) -> ParamSpec:
    """What pedalboard should show for one parameter of `params --json`."""
    pb_name = pedalboard_name(p["name"], p["unit"])
    if p["kind"] == "choice":
        choices = dict(zip(p["choices"], p["choice_names"]))
        return ParamSpec(pb_name, p["choices"][int(p["default"])], choices=choices)
    if p["kind"] == "bool":
        boolean = dict(zip(p["choices"], p["choice_names"]))
        return ParamSpec(pb_name, bool(p["default"]), boolean=boolean)
    scale = 100.0 if p["default_text"].strip().endswith("%") else 1.0
    rng = (float(p["min"]), float(p["max"]))
    return ParamSpec(pb_name, float(p["default"]), range=rng, pb_scale=scale, stepped=p["kind"] == "integer")


# Render-comparison and state round-trip cases beyond the defaults, per bundle stem (optional: a
# plugin without an entry is compared at its defaults).
SETTINGS: dict[str, dict[str, dict[str, str]]] = {
    "ferrite-ring": {
        "defaults": {},
        "parker-square": {"model": "parker", "carrier": "square", "carrier_freq": "733", "drive": "6"},
        "os2x-mix50": {"oversampling": "2x", "mix": "0.5"},
    },
    "ferrite-vcf": {
        "defaults": {},
        # Below self-oscillation (K = 4.85): a self-oscillating filter's phase depends on the
        # last bit of the cutoff, which pedalboard can only set to the display's precision.
        "resonant-hot": {"resonance": "3.5", "drive": "9", "oversampling": "4x"},
        "low-mix": {"cutoff": "150", "resonance": "0.5", "mix": "0.6", "oversampling": "1x"},
        "low-mix-2x": {"cutoff": "150", "resonance": "0.5", "mix": "0.6"},
    },
    "ferrite-phaser": {
        # Static notches only: the free-running LFO's phase would differ after pb_worker's
        # warm-up `process`, so a running LFO cannot be compared sample by sample.
        # `spread` and `q` stay at their defaults: pedalboard sets a skewed parameter only to
        # the display's precision (spread "1.050" may be 1.0497), which moves 48 notches.
        "static-48": {"stages": "48", "lfo_depth": "0"},
        "feedback": {"stages": "12", "lfo_depth": "0", "feedback": "0.7", "freq": "400"},
    },
    "ferrite-reverb": {
        # Modulation off: the hall's and plate's modulation LFOs run free (see the phaser).
        "plate-static": {"algorithm": "plate", "modulation": "0", "decay": "1.5", "mix": "0.5"},
        "freeverb": {"algorithm": "freeverb", "size": "0.8", "damping": "0.3", "width": "0.5"},
    },
}


def plugin_spec(description: dict, settings: dict[str, dict[str, str]] | None = None) -> PluginSpec:
    """A `PluginSpec` from the output of `params --json`."""
    return PluginSpec(
        display_name=description["name"],
        binary=description["binary"],
        params={p["id"]: param_spec(p) for p in description["params"]},
        settings=settings if settings is not None else {"defaults": {}},
    )


def _binary_for(bundle: Path) -> Path:
    return bundle.parent / (bundle.stem + (".exe" if os.name == "nt" else ""))


_SPECS: dict[Path, PluginSpec | str] = {}


def _load_spec(bundle: Path) -> PluginSpec | str:
    """The bundle's `PluginSpec`, or why there is none (cached)."""
    if bundle not in _SPECS:
        exe = _binary_for(bundle)
        try:
            proc = subprocess.run([str(exe), "params", "--json"], capture_output=True, text=True, timeout=60)
            if proc.returncode != 0:
                _SPECS[bundle] = f"`{exe} params --json` failed ({proc.returncode}): {proc.stderr.strip()}"
            else:
                _SPECS[bundle] = plugin_spec(json.loads(proc.stdout), SETTINGS.get(bundle.stem))
        except (OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
            _SPECS[bundle] = f"`{exe} params --json`: {e}"
    return _SPECS[bundle]


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
    spec = _load_spec(bundle)
    if isinstance(spec, str):
        pytest.fail(f"{bundle.stem} VST3: no expectations (the binary next to the bundle describes the plugin): {spec}")
    return spec


def _settings_names(bundle, with_settings: bool) -> list[str]:
    return list(SETTINGS.get(bundle.stem, {"defaults": {}})) if with_settings else ["defaults"]


def _cases(with_settings: bool, layouts=LAYOUTS, rates=SAMPLE_RATES, sizes=BUFFER_SIZES):
    """Parametrize over discovered bundles x (settings) x layout x rate x buffer size."""
    if not BUNDLES:
        return [pytest.param(_MISSING, "-", "stereo", 48000, 64, id="no-bundle")]
    out = []
    for b in BUNDLES:
        for s in _settings_names(b, with_settings):
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
    fail_unless_ok(proc, f"{tag}: pedalboard host process", " (plugin crashed or errored)")
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
    # `--tail 0`: as long as the input, like pedalboard's output (render's default tail runs on
    # until the output falls silent).
    cmd = [str(exe), "render", str(inp), str(out), "--tail", "0"]
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
        if p.boolean is not None:
            want = p.boolean["on" if p.default else "off"]
            if prm.string_value != want:
                problems.append(f"{pid}: default {prm.string_value!r} != {want!r}")
        elif p.choices is None:
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

    # Every enum choice can be set by its display string and reads back (fresh instance); every
    # boolean value likewise (by a Python bool where pedalboard shows the parameter as one).
    plugin = pedalboard.load_plugin(str(bundle))
    for pid, p in spec.params.items():
        for cid, display in (p.choices or {}).items():
            setattr(plugin, p.pb_name, display)
            got = plugin.parameters[p.pb_name].string_value
            if got != display:
                problems.append(f"{pid}={cid}: set {display!r}, reads {got!r}")
        for cid, display in (p.boolean or {}).items():
            is_bool = plugin.parameters[p.pb_name].type is bool
            setattr(plugin, p.pb_name, (cid == "on") if is_bool else display)
            got = plugin.parameters[p.pb_name].string_value
            if got != display:
                problems.append(f"{pid}={cid}: set {display!r}, reads {got!r}")
    assert not problems, f"{tag} enum choices: " + "; ".join(problems)


# --------------------------------------------------------------------------------------------
# 2. Same audio as the plugin's own `render` command
# --------------------------------------------------------------------------------------------


def _pedalboard_and_render(tag, bundle, setting, layout, sr, bs, mode, tmp_path):
    """The test signal for `layout` at `sr`, the plugin's own `render` of it at `setting`, and
    pedalboard's output of it (worker `mode`, buffers of `bs`) with the worker's info."""
    spec = _spec_for(bundle)
    x = _test_signal(LAYOUTS[layout], sr)
    ref = _render_reference(spec, bundle, setting, x, sr, tmp_path)
    np.save(tmp_path / "in.npy", x)
    y, info = _run_worker(
        tag,
        tmp_path,
        dict(
            bundle=str(bundle),
            mode=mode,
            settings=_pb_settings(spec, spec.settings[setting]),
            input=str(tmp_path / "in.npy"),
            sample_rate=sr,
            buffer_size=bs,
        ),
    )
    return x, ref, y, info


@pytest.mark.parametrize("bundle,setting,layout,sr,bs", _cases(with_settings=True))
def test_matches_render(bundle, setting, layout, sr, bs, tmp_path):
    tag = f"{bundle.stem} VST3 render comparison [{setting}, {layout}, {sr} Hz, buffer {bs}]"
    x, ref, y, info = _pedalboard_and_render(tag, bundle, setting, layout, sr, bs, "process", tmp_path)
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


@pytest.mark.parametrize("bundle,setting", [
    pytest.param(b, s, id=f"{b.stem}-{s}")
    for b in BUNDLES
    for s in _settings_names(b, True)
    if s != "defaults" and "oversampling" not in SETTINGS.get(b.stem, {}).get(s, {})
] or [pytest.param(_MISSING, "-", id="no-bundle")])
def test_first_block_matches_render(bundle, setting, tmp_path):
    """Settings made just before a render, with no warm-up, apply from the first sample.

    pedalboard delivers them as parameter events in the first `process` call (after its reset):
    the plugin must take them at once, so the whole output, from sample 0, equals `render` at
    the same settings (Ring's carrier does not glide from 440 Hz, the reverb does not start with
    the previous algorithm). Settings that change the oversampling factor are left out: that
    changes the latency, which pedalboard reads before the call.
    """
    sr, bs, layout = 48000, 512, "stereo"
    tag = f"{bundle.stem} VST3 first block [{setting}, {layout}, {sr} Hz, buffer {bs}]"
    x, ref, y, info = _pedalboard_and_render(tag, bundle, setting, layout, sr, bs, "process_cold", tmp_path)
    assert y.shape == x.shape, f"{tag}: pedalboard output shape {y.shape} != input {x.shape}"
    head = int(0.1 * sr)  # where a glide or crossfade from the old values would show
    err_head = _rel_err_db(y[:, :head], ref[:, :head])
    err = _rel_err_db(y, ref)
    if max(err, err_head) > MATCH_DB:
        pytest.fail(
            f"{tag}: relative error to `render` {err:.1f} dB over the whole output, {err_head:.1f} dB "
            f"over the first 100 ms (limit {MATCH_DB} dB): the values set before the render did not "
            f"take effect at once (reported latency {info['latency']} -> {info['latency_after']})",
            pytrace=False,
        )


# --------------------------------------------------------------------------------------------
# 3. raw_state round trip
# --------------------------------------------------------------------------------------------


def _state_cases():
    if not BUNDLES:
        return [pytest.param(_MISSING, "-", id="no-bundle")]
    return [pytest.param(b, s, id=f"{b.stem}-{s}") for b in BUNDLES for s in _settings_names(b, True)]


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


# --------------------------------------------------------------------------------------------
# 5. The expectations themselves (no bundle needed)
# --------------------------------------------------------------------------------------------


def test_expectations_follow_params_json():
    # pedalboard's attribute names, as observed with ferrite-ring (module docstring).
    assert pedalboard_name("Carrier Freq", "Hz") == "carrier_freq_hz"
    assert pedalboard_name("Drive", "dB") == "drive_db"
    assert pedalboard_name("Mix", "") == "mix"
    assert pedalboard_name("Stereo Phase", "°") == "stereo_phase"
    assert pedalboard_name("LFO Depth", "oct") == "lfo_depth_oct"
    description = {
        "name": "Ferrite Test",
        "binary": "ferrite-test",
        "params": [
            {"id": "mix", "name": "Mix", "kind": "float", "unit": "", "min": 0, "max": 1, "default": 0.5,
             "default_text": "50%", "choices": [], "choice_names": []},
            {"id": "stages", "name": "Stages", "kind": "integer", "unit": "", "min": 1, "max": 48, "default": 8,
             "default_text": "8", "choices": [], "choice_names": []},
            {"id": "model", "name": "Model", "kind": "choice", "unit": "", "min": 0, "max": 1, "default": 1,
             "default_text": "Parker", "choices": ["circuit", "parker"], "choice_names": ["Circuit", "Parker"]},
            {"id": "freeze", "name": "Freeze", "kind": "bool", "unit": "", "min": 0, "max": 1, "default": 0,
             "default_text": "Off", "choices": ["off", "on"], "choice_names": ["Off", "On"]},
        ],
    }
    spec = plugin_spec(description)
    assert spec.display_name == "Ferrite Test" and spec.settings == {"defaults": {}}
    assert spec.params["mix"] == ParamSpec("mix", 0.5, range=(0.0, 1.0), pb_scale=100.0)
    assert spec.params["stages"] == ParamSpec("stages", 8.0, range=(1.0, 48.0), stepped=True)
    assert spec.params["model"] == ParamSpec("model", "parker", choices={"circuit": "Circuit", "parker": "Parker"})
    assert spec.params["freeze"] == ParamSpec("freeze", False, boolean={"off": "Off", "on": "On"})
    assert spec.params["mix"].to_pedalboard("0.25") == 25.0
    assert spec.params["freeze"].to_pedalboard("on") is True
