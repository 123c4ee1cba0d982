#!/usr/bin/env bash
# What Faust's zita-rev1 costs compiled with g++ -O3, timed like the pedalboard references of
# `cargo bench -p ferrite-clap-host-tests --bench hosted` (see bench.cpp): the reverb core alone
# (core.dsp) and the whole effect with its EQs, mix and level (full.dsp). Installs Faust and g++
# with apt-get when missing (as root on Debian/Ubuntu). Prints a markdown table.
# Usage: tests/refs/zita-rev1/run.sh   (pin it with taskset -c N for steadier figures)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v faust >/dev/null || ! command -v g++ >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faust g++ >/dev/null
    else
        echo "zita-rev1: needs faust and g++ (sudo apt-get install -y faust g++)" >&2
        exit 1
    fi
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "| zita-rev1 ($(faust --version | head -1 | sed 's/FAUST Version/Faust/'), g++ -O3) | µs per stereo frame |"
echo "|---|---|"
for part in core full; do
    faust -lang cpp -scal -cn Zita "$HERE/$part.dsp" -o "$WORK/$part.cpp"
    g++ -O3 -DZITA_CPP="\"$WORK/$part.cpp\"" -o "$WORK/$part" "$HERE/bench.cpp"
    echo "| $part | $("$WORK/$part") |"
done
