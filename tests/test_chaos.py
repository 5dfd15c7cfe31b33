"""Fast chaos cases against a real `simulacra dev`: a child is SIGKILLed mid-job and the job still ends well.

The long runs (20 jobs of each kind, seeded kill points, a results table) are bench/chaos.py; these
cases each take a couple of jobs. One stack serves the module; stopping it must leave no process behind.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from simulacra.api.idempotency import LEASE_SECONDS
from simulacra.infra.scratch import PREFIX
from simulacra.infra.storage import PARTIAL_SUFFIX
from tests.dev_stack import (
    API,
    TEMPORAL,
    WORKER,
    Tenant,
    api_answers,
    child_of,
    dev_ports,
    in_flight_keys,
    kill_child,
    post_slow_upload,
    restarted,
    stack_processes,
    stage_partials,
    start_dev,
    stop_dev,
    tenant,
    wait_for_banner,
)
from tests.stack import poll_until

SEED = (Path(__file__).resolve().parent.parent / "examples" / "tracker_q3.csv").read_bytes()
# Big enough that sampling runs for a few seconds: the worker is killed while it works.
GENERATION_ROWS = 300_000


@dataclass(frozen=True)
class Stack:
    dev: int
    data_dir: Path
    tmp_dir: Path  # the stack's TMPDIR
    base: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("chaos")
    ports = dev_ports()
    process = start_dev(root / "data", ports, root / "dev.log", root / "tmp")
    try:
        wait_for_banner(process)
        yield Stack(process.pid, root / "data", root / "tmp", f"http://127.0.0.1:{ports['port']}")
    finally:
        assert stop_dev(process) == 0
    # Nothing the stack started outlives it: no worker, engine process, resource_tracker or Temporal,
    # and no temporary file (decrypted copies among them).
    poll_until(lambda: stack_processes(root / "data"), lambda left: left == [], timeout=30)
    assert list((root / "tmp").iterdir()) == []


def _running(client: Tenant, job_id: str) -> dict:
    return poll_until(
        lambda: client.job(job_id), lambda job: job is not None and job["status"] == "running", timeout=120
    )


def _ready_dataset(client: Tenant) -> str:
    accepted = client.upload(SEED)
    assert accepted.status_code == 202, accepted.text
    assert client.finished(accepted.json()["job_id"])["status"] == "ready"
    return accepted.json()["dataset_id"]


def _datasets(client: Tenant) -> list[str]:
    return [dataset["dataset_id"] for dataset in client.get("/v1/datasets").json()["data"]]


def _retry_until_answered(client: Tenant, key: str) -> requests.Response:
    """Retry as the docs say: after Retry-After on 409 in flight or 503, with the same key."""
    return poll_until(
        lambda: client.upload(SEED, key) if api_answers(client.base) else None,
        lambda answer: answer is not None and answer.status_code not in (409, 503),
        timeout=LEASE_SECONDS + 60,
    )


def test_worker_killed_mid_generation_still_makes_the_rows_once(stack: Stack) -> None:
    client = tenant(stack.base, stack.data_dir, "chaos-gen")
    dataset_id = _ready_dataset(client)
    accepted = client.generate(dataset_id, GENERATION_ROWS)
    assert accepted.status_code == 202, accepted.text
    generation_id, job_id = accepted.json()["generation_id"], accepted.json()["job_id"]
    assert _running(client, job_id)["stage"] == "sampling"
    worker = child_of(stack.dev, WORKER)
    assert worker is not None and (stack.tmp_dir / f"{PREFIX}{worker}").is_dir()  # where it keeps its copies
    killed = kill_child(stack.dev, WORKER)
    assert client.job(job_id)["status"] == "running"  # killed mid-job, not after it
    restarted(stack.dev, WORKER, killed)
    # The new worker removes the killed one's temporary files: its engine processes died holding
    # decrypted copies of the model and the seed rows.
    poll_until(lambda: (stack.tmp_dir / f"{PREFIX}{killed}").exists(), lambda there: not there, timeout=60)

    job = client.finished(job_id)
    assert job["status"] == "ready", job
    usage = client.get("/v1/usage").json()
    assert usage["rows_generated"] == job["rows_generated"] == GENERATION_ROWS  # billed once
    assert usage["rows_reserved"] == 0
    stored = [p.name for p in (stack.data_dir / "storage").rglob(f"generations/{generation_id}/*")]
    # One artifact. The killed attempt's half-written copy, if the kill came while it wrote, is never read
    # and the retention sweep removes it (tests/test_sweep.py).
    complete = sorted(name for name in stored if not name.endswith(PARTIAL_SUFFIX))
    assert complete == ["report.json", "rows.csv"], stored
    assert all(name.rsplit(".", 2)[0] in complete for name in stored if name.endswith(PARTIAL_SUFFIX)), stored


def test_api_killed_mid_upload_then_the_same_key_gives_one_dataset(stack: Stack) -> None:
    client, key = tenant(stack.base, stack.data_dir, "chaos-upload"), uuid.uuid4().hex
    answers: list[int | None] = []
    sender = threading.Thread(target=lambda: answers.append(post_slow_upload(client, SEED, key, 32_768, 0.25)))
    sender.start()
    poll_until(lambda: stage_partials(stack.data_dir), bool, timeout=30)  # the body is arriving
    killed = kill_child(stack.dev, API)
    sender.join(timeout=60)
    assert answers == [None]  # the connection broke: no answer, so the client retries
    restarted(stack.dev, API, killed)

    retried = _retry_until_answered(client, key)
    assert retried.status_code == 202, retried.text
    assert client.finished(retried.json()["job_id"])["status"] == "ready"
    assert _datasets(client) == [retried.json()["dataset_id"]]
    replayed = client.upload(SEED, key)
    assert replayed.json() == retried.json() and replayed.headers["idempotent-replayed"] == "true"


def test_api_killed_holding_an_idempotency_key_frees_it_for_the_retry(stack: Stack) -> None:
    """The API dies after claiming the key, before answering: the retry must be answered within the lease,
    not told `simio_idempotency_in_flight` for the record's whole 24 hours."""
    client, key = tenant(stack.base, stack.data_dir, "chaos-key"), uuid.uuid4().hex
    temporal = child_of(stack.dev, TEMPORAL)
    assert temporal is not None
    os.kill(temporal, signal.SIGSTOP)  # the job start hangs, so the request holds its key
    try:
        sender = threading.Thread(target=lambda: post_slow_upload(client, SEED, key, len(SEED), 0))
        sender.start()
        poll_until(lambda: in_flight_keys(stack.data_dir), lambda keys: key in keys, timeout=30)
        killed = kill_child(stack.dev, API)
        died = time.monotonic()
        sender.join(timeout=60)
    finally:
        os.kill(temporal, signal.SIGCONT)
    restarted(stack.dev, API, killed)

    retried = _retry_until_answered(client, key)
    assert retried.status_code == 202, retried.text
    # The API's restart plus one lease: well inside the 60 s the key was held for before leases were renewed.
    assert time.monotonic() - died < LEASE_SECONDS + 30
    assert client.finished(retried.json()["job_id"])["status"] == "ready"
    assert _datasets(client) == [retried.json()["dataset_id"]]


def test_temporal_killed_mid_job_and_the_job_finishes_after_its_restart(stack: Stack) -> None:
    client = tenant(stack.base, stack.data_dir, "chaos-temporal")
    accepted = client.upload(SEED)
    assert accepted.status_code == 202, accepted.text
    _running(client, accepted.json()["job_id"])
    killed = kill_child(stack.dev, TEMPORAL)
    restarted(stack.dev, TEMPORAL, killed)

    job = client.finished(accepted.json()["job_id"])
    assert job["status"] == "ready", job
    assert _datasets(client) == [accepted.json()["dataset_id"]]
