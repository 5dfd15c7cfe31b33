"""`simulacra dev` as a test drives it: started from outside the checkout on free ports, and stopped with Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.stack import free_port


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulacra.infra.cli", *args]


def dev_ports() -> dict[str, int]:
    return {
        "port": free_port(),
        "temporal": free_port(),
        "ui": free_port(),
        "api_metrics": free_port(),
        "worker_metrics": free_port(),
        "worker_sdk_metrics": free_port(),
    }


def start_dev(data_dir: Path, ports: dict[str, int], log: Path) -> subprocess.Popen[str]:
    command = cli(
        "dev",
        "--data-dir",
        str(data_dir),
        "--port",
        str(ports["port"]),
        "--temporal-port",
        str(ports["temporal"]),
        "--ui-port",
        str(ports["ui"]),
    )
    metrics = ("api_metrics", "worker_metrics", "worker_sdk_metrics")
    env = os.environ | {f"SIMULACRA_{name.upper()}_PORT": str(ports[name]) for name in metrics}
    # Run from outside the checkout: the installed package must work wherever the user stands.
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=open(log, "ab"), text=True, cwd=log.parent, env=env)


def wait_for_banner(process: subprocess.Popen[str]) -> str:
    """Read stdout until the banner's last line: the supervisor prints it once everything answers."""
    seen = []
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if line.startswith("Stop with Ctrl-C"):
            return "".join(seen)
    raise AssertionError(f"simulacra dev exited ({process.wait()}) before it was ready: {''.join(seen)}")


def stop_dev(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=60)
