"""How a host child process of the VST3 tests ended, for the tests that run one per job
(pb_worker.py, dd_worker.py, editor_worker.py): a plugin that crashes inside the host then fails
one test, naming the signal, instead of killing the whole run."""

from __future__ import annotations

import signal
import subprocess

import pytest


def fail_unless_ok(proc: subprocess.CompletedProcess, what: str, detail: str = "") -> None:
    """Fail the test unless `proc` exited with status 0: "`what` exit status N" or "`what` killed
    by SIGX", then `detail`, then the last eight lines of its stderr."""
    if proc.returncode == 0:
        return
    how = f"exit status {proc.returncode}"
    if proc.returncode < 0:
        try:
            how = f"killed by {signal.Signals(-proc.returncode).name}"
        except ValueError:
            how = f"killed by signal {-proc.returncode}"
    tail = "\n".join((proc.stderr or "").strip().splitlines()[-8:])
    pytest.fail(f"{what} {how}{detail}\n{tail}", pytrace=False)
