"""Helpers for tests that run the real stack: free ports, child processes, polling a job to its end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulacra.infra.config import Settings

TERMINAL = {"ready", "partial", "failed"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SIMULACRA_DATA_DIR": str(settings.data_dir),
            "SIMULACRA_TEMPORAL_ADDRESS": settings.resolved_temporal_address,
            "SIMULACRA_TASK_QUEUE": settings.task_queue,
            "SIMULACRA_PORT": str(settings.port),
            "SIMULACRA_ENGINE_PROCESSES": str(settings.engine_processes),
            "SIMULACRA_PUBLIC_URL": settings.base_url,
            "SIMULACRA_RATE_LIMIT_PER_MINUTE": str(settings.rate_limit_per_minute),
            "SIMULACRA_DEFAULT_ROWS_PER_PERIOD": str(settings.default_rows_per_period),
            "SIMULACRA_API_METRICS_PORT": str(settings.api_metrics_port),
            "SIMULACRA_WORKER_METRICS_PORT": str(settings.worker_metrics_port),
            "SIMULACRA_WORKER_SDK_METRICS_PORT": str(settings.worker_sdk_metrics_port),
        }
    )
    if settings.storage_url:
        env["SIMULACRA_STORAGE_URL"] = settings.storage_url
    for name in (
        "webhook_allow_private",
        "webhook_allow_http",
        "webhook_first_retry_seconds",
        "webhook_max_retry_seconds",
        "webhook_deadline_seconds",
    ):
        env[f"SIMULACRA_{name.upper()}"] = str(getattr(settings, name))
    if settings.control_db:
        env["SIMULACRA_CONTROL_DB"] = settings.control_db
    return env


def start_cli(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = open(log, "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "simulacra.infra.cli", *args],
        env=env,
        stdout=handle,
        stderr=handle,
        stdin=subprocess.DEVNULL,
    )


def poll_until(
    fetch: Callable[[], Any],
    done: Callable[[Any], bool],
    timeout: float = 180,
    alive: Callable[[], bool] = lambda: True,
) -> Any:
    """Poll a real condition (a job's state over HTTP) until it holds; fail fast if the worker died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fetch()
        if done(value):
            return value
        assert alive(), "the worker process died"
        time.sleep(0.2)
    raise AssertionError(f"condition not met after {timeout} s; last value: {value}")


def wait_for_job(get: Callable[[str], Any], job_id: str, alive: Callable[[], bool], timeout: float = 180) -> dict:
    """Poll a job until it is terminal."""
    return poll_until(lambda: get(f"/v1/jobs/{job_id}").json(), lambda job: job["status"] in TERMINAL, timeout, alive)
