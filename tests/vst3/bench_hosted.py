"""The pedalboard half of `cargo bench -p ferrite-clap-host-tests --bench hosted`: what the same
buffers cost in pedalboard (JUCE hosting in-process, 48 kHz, 512-frame buffers, 30 s of stereo
noise at -12 dBFS, the fastest of 3 runs after a 2 s warm-up), for pedalboard's own Reverb,
Phaser and Gain (the references a user would otherwise pick, and a floor) and for our VST3
bundles at the settings the Rust half uses for CLAP. Prints a markdown table, microseconds per
stereo frame.

Run by the benchmark with the VST3 tests' virtual environment (target/vst3-venv);
FERRITE_BUNDLE_DIR selects the bundle folder (default target/bundled).
"""

import os
import sys
import timeit
from pathlib import Path

import numpy as np
import pedalboard

SR = 48_000
BLOCK = 512
SECONDS = 30
RUNS = 3

# (name, bundle, settings: parameter ID -> value as the plugin displays it); the names and
# settings of benches/hosted.rs's CASES.
FERRITE = [
    ("ring: default (circuit, 8x)", "ferrite-ring", {}),
    ("ring: circuit, 32x", "ferrite-ring", {"oversampling": "32x"}),
    ("ring: parker, 8x", "ferrite-ring", {"model": "Parker"}),
    ("vcf: default (2x)", "ferrite-vcf", {}),
    ("vcf: 1x", "ferrite-vcf", {"oversampling": "1x"}),
    ("vcf: 8x, K=9, 15 kHz", "ferrite-vcf", {"oversampling": "8x", "resonance": 9.0, "cutoff": 15000.0}),
    ("phaser: default (8 stages, LFO)", "ferrite-phaser", {}),
    ("phaser: 1 static stage", "ferrite-phaser", {"stages": 1, "lfo_depth": 0.0}),
    ("phaser: 48 stages, feedback 50%", "ferrite-phaser", {"stages": 48, "feedback": 50.0}),
    ("reverb: freeverb", "ferrite-reverb", {"algorithm": "Freeverb"}),
    ("reverb: default (hall)", "ferrite-reverb", {}),
    ("reverb: plate", "ferrite-reverb", {"algorithm": "Plate"}),
]


def attribute(plugin, param_id):
    """pedalboard's attribute for a parameter: its ID, with the unit appended when it has one."""
    for name in plugin.parameters:
        if name == param_id or name.startswith(param_id + "_"):
            return name
    raise SystemExit(f"bench_hosted: no parameter {param_id!r} in {sorted(plugin.parameters)}")


def cost(processor, x):
    """Microseconds per stereo frame: the fastest of RUNS runs over x, after a warm-up."""
    processor.process(x[:, : 2 * SR], SR, buffer_size=BLOCK, reset=False)
    best = min(
        timeit.repeat(lambda: processor.process(x, SR, buffer_size=BLOCK, reset=False), number=1, repeat=RUNS)
    )
    return best * 1e6 / x.shape[1]


def main():
    rng = np.random.default_rng(11)
    x = (0.25 * rng.uniform(-1.0, 1.0, size=(2, SECONDS * SR))).astype(np.float32)
    bundles = Path(os.environ.get("FERRITE_BUNDLE_DIR", Path(__file__).resolve().parents[2] / "target/bundled"))
    rows = [
        ("pedalboard Reverb (JUCE Freeverb), defaults", cost(pedalboard.Reverb(), x)),
        ("pedalboard Phaser (JUCE, 4 stages), defaults", cost(pedalboard.Phaser(), x)),
        ("pedalboard Gain", cost(pedalboard.Gain(gain_db=-1.0), x)),
    ]
    for name, bundle, settings in FERRITE:
        plugin = pedalboard.load_plugin(str(bundles / f"{bundle}.vst3"))
        shown = []
        for param_id, value in settings.items():
            attr = attribute(plugin, param_id)
            setattr(plugin, attr, value)
            shown.append(f"{param_id} {plugin.parameters[attr].string_value}")
        rows.append((f"Ferrite VST3 {name}" + (f" [{', '.join(shown)}]" if shown else ""), cost(plugin, x)))
    print("| hosted by pedalboard | µs per stereo frame |")
    print("|---|---|")
    for name, us in rows:
        print(f"| {name} | {us:.4f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
