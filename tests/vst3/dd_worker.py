"""Crash-isolating worker for the VST3 note tests: plays one DawDreamer job in its own process.

pedalboard gives MIDI only to instrument plugins ("expects audio as input, but was provided MIDI
messages"), so the note tests host the effects with DawDreamer (JUCE as well), which sends a
plugin both audio and MIDI: a playback processor feeds the input, the notes go to the plugin.
Run in a child process like pb_worker.py, so a crash fails one test and two JUCE copies
(pedalboard's and DawDreamer's) never share a process.

Usage: python dd_worker.py JOB.json
JOB keys: bundle, sample_rate, block, seconds, input (.npy, float32 [channels, frames]),
params (display name -> normalized 0..1 value, set before the first block),
notes ([key, velocity, start s, length s], optional), midi_file (a Standard MIDI File whose
every event is played, optional), output (.npy), result (.json: the parameters' display texts).
"""

import json
import sys

import dawdreamer as daw
import numpy as np


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    engine = daw.RenderEngine(float(job["sample_rate"]), int(job["block"]))
    plugin = engine.make_plugin_processor("plugin", job["bundle"])
    index = {plugin.get_parameter_name(i): i for i in range(plugin.get_plugin_parameter_size())}
    texts = {}
    for name, value in job["params"].items():
        plugin.set_parameter(index[name], float(value))
    for name in job["params"]:
        texts[name] = plugin.get_parameter_text(index[name])
    if job.get("midi_file"):
        plugin.load_midi(job["midi_file"], clear_previous=True, beats=False, all_events=True)
    for key, velocity, start, length in job.get("notes", []):
        plugin.add_midi_note(int(key), int(velocity), float(start), float(length))
    source = engine.make_playback_processor("input", np.load(job["input"]))
    engine.load_graph([(source, []), (plugin, ["input"])])
    engine.render(float(job["seconds"]))
    np.save(job["output"], np.asarray(engine.get_audio(), dtype=np.float32))
    with open(job["result"], "w") as f:
        json.dump({"texts": texts}, f)


if __name__ == "__main__":
    main()
