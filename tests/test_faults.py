"""Crash points: armed only by CREDREG_CRASH_AT, at the named point and hit; SIGKILL when reached (in a child)."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from node import faults
from node.config import PROJECT_ROOT


def test_armed_reads_point_and_hit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(faults.CRASH_ENV, raising=False)
    assert faults.armed() is None
    monkeypatch.setenv(faults.CRASH_ENV, "after_sign")
    assert faults.armed() == ("after_sign", 1)
    monkeypatch.setenv(faults.CRASH_ENV, " after_send@3 ")
    assert faults.armed() == ("after_send", 3)
    faults.crash_point("after_sign")  # another point: nothing happens


def test_crash_point_kills_the_process_at_the_nth_hit() -> None:
    script = (
        "from node.faults import crash_point\n"
        "for i in range(5):\n"
        "    print(i, flush=True)\n"
        "    crash_point('after_build')\n"
    )
    env = {faults.CRASH_ENV: "after_build@3", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.split() == ["0", "1", "2"]
