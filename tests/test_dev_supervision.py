"""`simulacra dev` survives its children: a killed worker or Temporal is restarted while the API keeps serving."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import requests

from tests.dev_stack import TEMPORAL, WORKER, child_of, dev_ports, restarted, start_dev, stop_dev, wait_for_banner
from tests.stack import poll_until


def test_killed_children_are_restarted_and_the_api_keeps_serving(tmp_path: Path) -> None:
    ports = dev_ports()
    base = f"http://127.0.0.1:{ports['port']}"
    process = start_dev(tmp_path / "data", ports, tmp_path / "dev.log")
    try:
        wait_for_banner(process)
        worker = child_of(process.pid, WORKER)
        assert worker is not None
        os.kill(worker, signal.SIGKILL)
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200  # the API did not go down with it
        restarted(process.pid, WORKER, worker)

        temporal = child_of(process.pid, TEMPORAL)
        assert temporal is not None
        os.kill(temporal, signal.SIGKILL)
        restarted(process.pid, TEMPORAL, temporal)
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
