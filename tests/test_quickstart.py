"""The README's promise: `simulacra dev` + examples/quickstart.py, then a restart that keeps the data."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from tests.stack import free_port

REPO = Path(__file__).resolve().parent.parent


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulacra.infra.cli", *args]


@pytest.fixture()
def dev_ports() -> dict[str, int]:
    return {"port": free_port(), "temporal": free_port(), "ui": free_port()}


def _start_dev(data_dir: Path, ports: dict[str, int], log: Path) -> subprocess.Popen[str]:
    command = _cli(
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
    # Run from outside the checkout: the installed package must work wherever the user stands.
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=open(log, "ab"), text=True, cwd=log.parent)


def _wait_for_banner(process: subprocess.Popen[str]) -> str:
    """Read stdout until the banner's last line: the supervisor prints it once everything answers."""
    seen = []
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if line.startswith("Stop with Ctrl-C"):
            return "".join(seen)
    raise AssertionError(f"simulacra dev exited ({process.wait()}) before it was ready: {''.join(seen)}")


def _claim_token(data_dir: Path) -> str:
    output = subprocess.run(
        _cli("admin", "create-client", "--tenant", "acme", "--json", "--data-dir", str(data_dir)),
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    created = json.loads(output)
    assert created["tenant"] == "acme"
    return created["credential_claim_token"]


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=60)


def test_quickstart_against_simulacra_dev_and_restart(tmp_path: Path, dev_ports: dict[str, int]) -> None:
    data_dir, base = tmp_path / "data", f"http://127.0.0.1:{dev_ports['port']}"
    process = _start_dev(data_dir, dev_ports, tmp_path / "dev.log")
    try:
        banner = _wait_for_banner(process)
        assert base in banner and f"http://127.0.0.1:{dev_ports['ui']}" in banner
        env = {
            "SIMULACRA_URL": base,
            "SIMULACRA_CLAIM_TOKEN": _claim_token(data_dir),
            "QUICKSTART_OUT": str(tmp_path / "generated.csv"),
            "PATH": "",
        }
        run = subprocess.run(
            [sys.executable, str(REPO / "examples" / "quickstart.py")],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert "downloaded 2000 rows" in run.stdout
        share = float(re.search(r"genz_switcher share: ([0-9.]+)", run.stdout).group(1))
        assert abs(share - 0.30) <= 0.03
        assert "distinct prices: ['5.49']" in run.stdout
        dataset_id = re.search(r"as (ds_[0-9a-f]+)", run.stdout).group(1)
    finally:
        assert _stop(process) == 0

    # Running it again resumes with the same data: the dataset is still there and ready.
    restarted = _start_dev(data_dir, dev_ports, tmp_path / "dev2.log")
    try:
        _wait_for_banner(restarted)
        claimed = requests.post(
            f"{base}/v1/credential-claims",
            json={"credential_claim_token": _claim_token(data_dir)},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            timeout=30,
        ).json()
        token = requests.post(
            claimed["token_url"],
            data={
                "grant_type": "client_credentials",
                "client_id": claimed["client_id"],
                "client_secret": claimed["client_secret"],
            },
            timeout=30,
        ).json()["access_token"]
        dataset = requests.get(
            f"{base}/v1/datasets/{dataset_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ).json()
        assert dataset["status"] == "ready", dataset
    finally:
        assert _stop(restarted) == 0
