"""The `simulacra` client commands, run as a user runs them (a subprocess) against a live `simulacra api`."""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from simulacra.infra.config import Settings
from simulacra.infra.credentials import CredentialStore
from tests.stack import free_port

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def simulacra(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "simulacra.infra.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def env(live_api: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Logged in with a fresh claim token; the credentials file is the test's, named by $SIMULACRA_CREDENTIALS."""
    _, claim_token = CredentialStore.for_settings(settings).create_client("acme", 3600)
    config = tmp_path_factory.mktemp("config")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SIMULACRA_")}
    environ["XDG_CONFIG_HOME"] = str(config)
    login = simulacra("login", "--url", live_api, "--claim-token", claim_token, "--json", env=environ)
    assert login.returncode == 0, login.stderr
    shown = json.loads(login.stdout)
    stored = config / "simulacra" / "credentials.json"
    assert shown["credentials_file"] == str(stored) and shown["tenant"] == "acme" and "client_secret" not in shown
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600 and stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    assert json.loads(stored.read_text())["client_id"] == shown["client_id"]
    return environ


@pytest.fixture(scope="module")
def dataset(env: dict[str, str], worker: object) -> str:
    upload = simulacra("datasets", "upload", str(EXAMPLES / "tracker_q3.csv"), "--wait", "--json", env=env)
    assert upload.returncode == 0, upload.stderr
    job = json.loads(upload.stdout)
    assert job["status"] == "ready" and job["kind"] == "dataset" and job["progress"] == 1.0
    return job["dataset_id"]


def test_a_claim_token_logs_in_once(env: dict[str, str], live_api: str) -> None:
    again = simulacra("login", "--url", live_api, "--claim-token", "sct_not_a_real_one", env=env)
    assert again.returncode == 2 and "simio_credential_claim_not_found" in again.stderr


def test_an_existing_client_logs_in_by_id_or_runs_from_the_environment(
    env: dict[str, str], live_api: str, tmp_path: Path
) -> None:
    stored = json.loads((Path(env["XDG_CONFIG_HOME"]) / "simulacra" / "credentials.json").read_text())
    by_id = {**env, "SIMULACRA_CLIENT_SECRET": stored["client_secret"]}
    other = tmp_path / "elsewhere.json"
    login = simulacra(
        "login", "--url", live_api, "--client-id", stored["client_id"], "--credentials", str(other), env=by_id
    )
    assert login.returncode == 0, login.stderr
    assert json.loads(other.read_text())["token_url"] == stored["token_url"]
    wrong = {**by_id, "SIMULACRA_CLIENT_SECRET": "not-the-secret"}
    refused = simulacra(
        "login", "--url", live_api, "--client-id", stored["client_id"], "--credentials", str(other), env=wrong
    )
    assert refused.returncode == 2 and "simio_invalid_client" in refused.stderr
    no_file = {**by_id, "SIMULACRA_CLIENT_ID": stored["client_id"], "XDG_CONFIG_HOME": str(tmp_path / "none")}
    listed = simulacra(
        "jobs", "watch", "job_0123456789abcdef0123456789abcdef", "--url", live_api, "--json", env=no_file
    )
    assert listed.returncode == 2 and json.loads(listed.stdout)["error"]["code"] == "simio_job_not_found"


def test_upload_without_json_shows_the_stage(env: dict[str, str], worker: object) -> None:
    upload = simulacra("datasets", "upload", str(EXAMPLES / "tracker_q3.csv"), "--wait", env=env)
    assert upload.returncode == 0, upload.stderr
    assert "uploaded tracker_q3.csv as ds_" in upload.stdout and "ready" in upload.stdout
    assert "dataset ds_" in upload.stderr and "100%" in upload.stderr  # the progress bar, on stderr


def test_schema(env: dict[str, str], dataset: str) -> None:
    schema = json.loads(simulacra("datasets", "schema", dataset, "--json", env=env).stdout)
    assert {"segment", "price", "purchase_intent"} <= {column["name"] for column in schema["columns"]}
    table = simulacra("datasets", "schema", dataset, env=env).stdout
    assert any(line.split()[:2] == ["price", "numeric"] for line in table.splitlines()), table


def test_generate_downloads_the_rows(env: dict[str, str], dataset: str, tmp_path: Path) -> None:
    out = tmp_path / "rows.csv"
    args = ("--rows", "2000", "--set", "segment=genz_switcher:0.3", "--set", "price=5.49", "--out", str(out))
    run = simulacra("generate", dataset, *args, "--seed", "1", "--json", env=env)
    assert run.returncode == 0, run.stderr
    job = json.loads(run.stdout)
    assert job["status"] == "ready" and job["out"] == str(out) and job["bytes"] == out.stat().st_size
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 2000 and {row["price"] for row in rows} == {"5.49"}
    assert abs(Counter(row["segment"] for row in rows)["genz_switcher"] / 2000 - 0.3) <= 0.03


def test_effects(env: dict[str, str], dataset: str) -> None:
    args = ("--treatment", "price:4.99:5.49", "--outcome", "purchase_intent", "--samples", "1000", "--seed", "2")
    run = simulacra("effects", dataset, *args, "--json", env=env)
    assert run.returncode == 0, run.stderr
    effect = json.loads(run.stdout)
    assert effect["status"] == "ready" and effect["ci_low"] <= effect["estimate"] <= effect["ci_high"]
    assert effect["treatment"] == {"column": "price", "from": 4.99, "to": 5.49}


def test_jobs_watch_follows_a_job_to_its_end(env: dict[str, str], dataset: str) -> None:
    started = simulacra("generate", dataset, "--rows", "500", "--no-wait", "--json", env=env)
    job_id = json.loads(started.stdout)["job_id"]
    watched = simulacra("jobs", "watch", job_id, "--json", env=env)
    assert watched.returncode == 0, watched.stderr
    assert json.loads(watched.stdout)["status"] == "ready"


def test_a_missing_dataset_exits_2_with_the_problem(env: dict[str, str]) -> None:
    run = simulacra("datasets", "schema", "ds_0123456789abcdef0123456789abcdef", "--json", env=env)
    error = json.loads(run.stdout)["error"]
    assert run.returncode == 2 and error["code"] == "simio_dataset_not_found" and error["status"] == 404
    assert error["fix"] and error["request_id"].startswith("req_")


def test_a_bad_condition_exits_2_with_its_code_and_fix(env: dict[str, str], dataset: str) -> None:
    run = simulacra("generate", dataset, "--rows", "10", "--set", "no_such_column=1", env=env)
    assert run.returncode == 2 and "simio_unknown_condition_column" in run.stderr and "fix: " in run.stderr
    malformed = simulacra("generate", dataset, "--rows", "10", "--set", "segment", env=env)
    assert malformed.returncode == 2 and "column=level:share" in malformed.stderr


def test_an_unreachable_server_exits_3(env: dict[str, str]) -> None:
    run = simulacra("jobs", "watch", "job_x", "--url", f"http://127.0.0.1:{free_port()}", env=env)
    assert run.returncode == 3 and "cannot reach" in run.stderr
