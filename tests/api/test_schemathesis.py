"""Property-based conformance: schemathesis (its CLI, as an integrator would run it) drives every operation of
a live `simulacra api` over HTTP: no server errors, no undocumented status codes, no response that breaks the
published schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient

from simulacra.infra.config import Settings
from tests.conftest import claim_token

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")


def test_every_operation_conforms(
    live_api: str, client: TestClient, settings: Settings, worker: object, tmp_path: Path
) -> None:
    # A tenant of its own: stateful runs list, follow and DELETE whatever they find.
    token = claim_token(client, settings, "fuzz")
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks", "PYTHONPATH": str(Path.cwd())}
    run = subprocess.run(
        [
            SCHEMATHESIS,
            "--config-file",
            str(Path(__file__).resolve().parent.parent / "schemathesis.toml"),
            "run",
            f"{live_api}/openapi.json",
            "--checks",
            "all",
            "--header",
            f"Authorization: Bearer {token}",
            # Generous: CI shares 2 cores between Temporal, a worker, the API and schemathesis itself.
            "--request-timeout",
            "30",
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
