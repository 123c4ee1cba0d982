#!/usr/bin/env bash
# VST3 host-level tests (pedalboard). Usage: tests/vst3/run.sh [extra pytest args]
# Makes (or reuses) the venv target/vst3-venv, installs requirements.txt, runs pytest -q.
# FERRITE_BUNDLE_DIR selects the bundle folder (default <repo>/target/bundled).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$REPO/target/vst3-venv"
REQ="$HERE/requirements.txt"
STAMP="$VENV/.requirements.sha256"

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 10) else 1)' 2>/dev/null; then
  echo "tests/vst3: need Python 3.10 or newer as $PY; set PYTHON=/path/to/python3" >&2
  exit 2
fi
# Debian/Ubuntu split venv support into python3-venv: install it when running as root.
if ! "$PY" -m venv --help >/dev/null 2>&1 || ! "$PY" -c 'import ensurepip' 2>/dev/null; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    ver="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python$ver-venv" >/dev/null
  else
    echo "tests/vst3: Python's venv module is missing; install it with: sudo apt-get install -y python3-venv" >&2
    exit 2
  fi
fi

want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" || ! -f "$STAMP" || "$(cat "$STAMP")" != "$want" ]]; then
  echo "tests/vst3: setting up $VENV" >&2
  rm -rf "$VENV"
  mkdir -p "$REPO/target"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ"
  echo "$want" > "$STAMP"
fi

export FERRITE_BUNDLE_DIR="${FERRITE_BUNDLE_DIR:-$REPO/target/bundled}"
export PYTHONDONTWRITEBYTECODE=1
cd "$REPO"
set +e
"$VENV/bin/python" -m pytest "$HERE" -q -ra -p no:cacheprovider "$@"
status=$?
set -e
exit $status
