"""Crash-isolating worker for the VST3 tests: runs one pedalboard job in its own process.

A plugin that crashes inside `process` (a segfault in the plugin's VST3 wrapper, for example)
would otherwise take the whole pytest run down with it. The tests call this script through
`subprocess`, so a crash becomes one failed test that names the signal.

Usage: python pb_worker.py JOB.json
JOB keys: bundle, mode ("process" | "process_cold" | "state_roundtrip"), settings (pedalboard attribute -> value),
input (.npy, float32 [channels, frames]), sample_rate, buffer_size, output (.npy), result (.json).
"""

import json
import sys

import numpy as np
import pedalboard


def load(bundle, settings):
    plugin = pedalboard.load_plugin(bundle)
    for name, value in settings.items():
        setattr(plugin, name, value)
    return plugin


def warmup(plugin, channels, sr, bs):
    plugin.process(np.zeros((channels, 1024), dtype=np.float32), sr, buffer_size=bs, reset=True)


def param_snapshot(plugin):
    return {
        name: {"raw": float(p.raw_value), "text": p.string_value}
        for name, p in plugin.parameters.items()
    }


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    x = np.load(job["input"])
    sr = float(job["sample_rate"])
    bs = int(job["buffer_size"])
    plugin = load(job["bundle"], job["settings"])
    latency_before = int(plugin.reported_latency_samples)
    if job["mode"] == "process_cold":
        # As a script renders: the values set above reach the plugin as events in the first
        # `process` call, with no warm-up; the plugin must apply them at once.
        y = plugin.process(x, sr, buffer_size=bs, reset=True)
        result = {"latency": latency_before, "latency_after": int(plugin.reported_latency_samples)}
        np.save(job["output"], np.asarray(y, dtype=np.float32))
        with open(job["result"], "w") as f:
            json.dump(result, f)
        return
    # pedalboard (JUCE) hands parameter changes to the plugin's processor only inside the next
    # `process` call: until then the plugin's state (raw_state), latency and smoothers still hold
    # the old values. One short warm-up call flushes them; `reset=True` below then starts clean.
    warmup(plugin, x.shape[0], sr, bs)
    result = {
        "latency_before_warmup": latency_before,
        "latency": int(plugin.reported_latency_samples),
        "params": param_snapshot(plugin),
    }
    if job["mode"] == "process":
        y = plugin.process(x, sr, buffer_size=bs, reset=True)
        result["latency_after"] = int(plugin.reported_latency_samples)
        np.save(job["output"], np.asarray(y, dtype=np.float32))
    elif job["mode"] == "state_roundtrip":
        state = plugin.raw_state
        fresh = pedalboard.load_plugin(job["bundle"])
        fresh.raw_state = state
        warmup(fresh, x.shape[0], sr, bs)
        result["params_restored"] = param_snapshot(fresh)
        result["state_len"] = len(state)
        y1 = plugin.process(x, sr, buffer_size=bs, reset=True)
        y2 = fresh.process(x, sr, buffer_size=bs, reset=True)
        np.save(job["output"], np.stack([np.asarray(y1), np.asarray(y2)]).astype(np.float32))
    else:
        raise SystemExit(f"unknown mode {job['mode']!r}")
    with open(job["result"], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
