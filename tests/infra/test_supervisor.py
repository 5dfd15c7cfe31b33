"""The dev supervisor's restart rule, on real processes and a clock the test moves."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simulacra.infra.supervisor import CRASH_LOOP_RESTARTS, CRASH_LOOP_SECONDS, StartupFailed, SupervisedChild


def _crashing() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])


def _exit_seen(child: SupervisedChild, now: float) -> None:
    child.process.wait(timeout=30)
    child.check(now)  # notices the exit and schedules the restart


def test_a_crash_loop_gives_up_and_slow_crashes_do_not(capsys: pytest.CaptureFixture[str]) -> None:
    child = SupervisedChild("worker", _crashing)
    now = 0.0
    delays = []
    for _ in range(CRASH_LOOP_RESTARTS):
        _exit_seen(child, now)
        assert child.restart_at is not None
        delays.append(child.restart_at - now)
        now = child.restart_at
        child.check(now)  # the backoff has passed: restarted
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0]
    with pytest.raises(StartupFailed, match="worker exited with code 3, its 6th exit within 120 s"):
        _exit_seen(child, now)
    assert "worker exited with code 3; restarting in 1 s" in capsys.readouterr().err

    # The same number of crashes spread wider than the window is bad luck, not a loop: it restarts again.
    child.restarts = [now - CRASH_LOOP_SECONDS - 1] * CRASH_LOOP_RESTARTS
    _exit_seen(child, now)
    assert child.restart_at == now + 1.0
    child.process.wait(timeout=30)
