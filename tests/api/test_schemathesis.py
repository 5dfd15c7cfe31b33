"""Property-based conformance: schemathesis (its CLI, as an integrator would run it) drives every operation of
a live `simulacra api` over HTTP: no server errors, no undocumented status codes, no response that breaks the
published schema."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from infra.config import Settings
from tests.stack import free_port, poll_until, settings_env, start_cli

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")


@pytest.fixture(scope="module")
def live_api(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    # Same public URL as the session's app, so tokens minted there (issuer = that URL) verify here.
    live = settings.with_overrides(port=port, public_url=settings.base_url)
    process = start_cli(["api"], settings_env(live), tmp_path_factory.mktemp("api") / "log")
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        poll_until(answers, bool, timeout=60, alive=lambda: process.poll() is None)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_every_operation_conforms(live_api: str, token: str, worker: object, tmp_path: Path) -> None:
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks", "PYTHONPATH": str(Path.cwd())}
    run = subprocess.run(
        [
            SCHEMATHESIS,
            "run",
            f"{live_api}/openapi.json",
            "--checks",
            "all",
            "--header",
            f"Authorization: Bearer {token}",
            "--max-examples",
            "10",
            "--max-time",
            "120",
            "--seed",
            "1",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    summary = run.stdout[run.stdout.find("SUMMARY") :]
    print(summary)
    assert run.returncode == 0, run.stdout[-8000:]
