"""`simulacra dev` survives its children: a killed worker or Temporal is restarted while the API keeps serving."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import requests

from tests.dev_stack import dev_ports, start_dev, stop_dev, wait_for_banner
from tests.stack import poll_until


def _child(parent: int, marker: str) -> int | None:
    """The running child of `parent` whose command line holds `marker`, if there is one."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(stat[1]) == parent and stat[0] not in ("Z", "X") and marker in command:
            return int(entry.name)
    return None


def _restarted(dev: int, marker: str, killed: int) -> int:
    return poll_until(lambda: _child(dev, marker), lambda pid: pid not in (None, killed), timeout=60)


def test_killed_children_are_restarted_and_the_api_keeps_serving(tmp_path: Path) -> None:
    ports = dev_ports()
    base = f"http://127.0.0.1:{ports['port']}"
    process = start_dev(tmp_path / "data", ports, tmp_path / "dev.log")
    try:
        wait_for_banner(process)
        worker = _child(process.pid, "simulacra.infra.cli worker")
        assert worker is not None
        os.kill(worker, signal.SIGKILL)
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200  # the API did not go down with it
        _restarted(process.pid, "simulacra.infra.cli worker", worker)

        temporal = _child(process.pid, "temporal server start-dev")
        assert temporal is not None
        os.kill(temporal, signal.SIGKILL)
        _restarted(process.pid, "temporal server start-dev", temporal)
        # The restarted Temporal resumes from its database file, and the API finds it again.
        ready = poll_until(
            lambda: requests.get(f"{base}/readyz", timeout=5).json(), lambda body: body["status"] == "ready"
        )
        assert ready["checks"]["temporal"] == "ok"
        assert process.poll() is None
    finally:
        assert stop_dev(process) == 0
    log = (tmp_path / "dev.log").read_text()
    assert "worker exited with code -9; restarting" in log and "temporal exited with code -9; restarting" in log
