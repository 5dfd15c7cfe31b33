"""The README's promise: `simulacra dev` + examples/quickstart.py, then a restart that keeps the data."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import subprocess
import sys
import uuid
from pathlib import Path

import requests
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from simulacra.infra.temporal import connect
from simulacra.workflows.contracts import dataset_workflow_id
from tests.dev_stack import cli, dev_ports, start_dev, stop_dev, wait_for_banner

REPO = Path(__file__).resolve().parent.parent


def _claim_token(data_dir: Path) -> str:
    output = subprocess.run(
        cli("admin", "create-client", "--tenant", "acme", "--json", "--data-dir", str(data_dir)),
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    created = json.loads(output)
    assert created["tenant"] == "acme"
    return created["credential_claim_token"]


def _run_shown(command: str, cwd: Path) -> str:
    return subprocess.run(shlex.split(command), capture_output=True, text=True, check=True, cwd=cwd, env={}).stdout


def _ui_reads_history(ports: dict[str, int], dataset_id: str) -> bytes:
    """What the embedded Web UI shows of the dataset's start input: decoded by the codec endpoint it was given."""
    ui = f"http://127.0.0.1:{ports['ui']}"
    endpoint = requests.get(f"{ui}/api/v1/settings", timeout=10).json()["Codec"]["Endpoint"]
    assert endpoint.startswith(f"http://127.0.0.1:{ports['codec_server']}/")

    async def start_input() -> Payloads:
        bare = await connect(f"127.0.0.1:{ports['temporal']}", "default")  # what the server holds: ciphertext
        history = await bare.get_workflow_handle(dataset_workflow_id("acme", dataset_id)).fetch_history()
        return history.events[0].workflow_execution_started_event_attributes.input

    sealed = asyncio.run(start_input())
    assert b"filename" not in sealed.payloads[0].data
    # As the browser sends it: from the UI's origin, the namespace in a header, no credentials of its own.
    answer = requests.post(
        f"{endpoint}/decode",
        data=json_format.MessageToJson(sealed),
        headers={"Content-Type": "application/json", "Origin": ui, "X-Namespace": "default"},
        timeout=10,
    )
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == ui
    return json_format.Parse(answer.text, Payloads()).payloads[0].data


def test_quickstart_against_simulacra_dev_and_restart(tmp_path: Path) -> None:
    ports = dev_ports()
    data_dir, base = tmp_path / "data", f"http://127.0.0.1:{ports['port']}"
    process = start_dev(data_dir, ports, tmp_path / "dev.log")
    try:
        banner = wait_for_banner(process)
        assert base in banner and f"http://127.0.0.1:{ports['ui']}" in banner
        for listener in ("api_metrics", "worker_metrics", "worker_sdk_metrics"):
            assert f"http://127.0.0.1:{ports[listener]}/metrics" in banner
        # The banner's commands work as printed, from wherever the user stands (no venv on PATH).
        shown = {line.split(" admin ")[1].split()[0]: line for line in banner.splitlines() if " admin " in line}
        created = _run_shown(shown["create-client"].split(":", 1)[1], tmp_path)
        assert json.loads(created)["tenant"] == "acme"
        _run_shown(shown["set-row-window"], tmp_path)
        env = {
            "SIMULACRA_URL": base,
            "SIMULACRA_CLAIM_TOKEN": json.loads(created)["credential_claim_token"],
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
        # The operator sees the same rows on the dev worker's metrics listener the banner names.
        scraped = requests.get(f"http://127.0.0.1:{ports['worker_metrics']}/metrics", timeout=10).text
        assert "simulacra_worker_rows_generated_total 2000.0" in scraped
        assert b'"filename"' in _ui_reads_history(ports, dataset_id)
    finally:
        assert stop_dev(process) == 0

    # Running it again resumes with the same data: the dataset is still there and ready.
    restarted = start_dev(data_dir, ports, tmp_path / "dev2.log")
    try:
        wait_for_banner(restarted)
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
        assert stop_dev(restarted) == 0
