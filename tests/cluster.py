"""A Simulacra cluster on one machine, configured only through SIMULACRA_* (and the standard AWS) variables:
PostgreSQL as the control database, an S3 server as the object store, an external Temporal, N `simulacra api`
replicas and M `simulacra worker` processes, each with a data directory of its own so that nothing is shared
through files. Driven over real HTTP by tests/test_cluster.py and bench/cluster.py.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import secrets
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from temporalio.api.enums.v1 import PendingActivityState

from simulacra.infra.config import Settings
from simulacra.infra.temporal import connect
from simulacra.workflows.contracts import dataset_workflow_id
from tests.dev_stack import api_answers, cli
from tests.postgres import PostgresServer
from tests.s3_server import S3Server
from tests.stack import TERMINAL, free_port, poll_until, settings_env, start_cli

# The quickstart's generation (examples/quickstart.py): a share of one segment and a pinned price.
CONDITIONS = {"categorical": {"segment": {"genz_switcher": 0.30}}, "numeric": {"price": {"min": 5.49, "max": 5.49}}}


@dataclass
class Cluster:
    apis: list[str]
    workers: list[subprocess.Popen[bytes]]
    env: dict[str, str]
    temporal_address: str

    def create_client(self, tenant: str) -> str:
        """A claim token from the operator's command, run against the shared control database."""
        made = subprocess.run(
            cli("admin", "create-client", "--tenant", tenant, "--json"),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert made.returncode == 0, made.stderr
        return str(json.loads(made.stdout)["credential_claim_token"])


def cluster_env(work: Path, temporal_address: str, control_db: str, s3: S3Server, public_url: str) -> dict[str, str]:
    """What every node gets: the same control database, bucket, Temporal, task queue and KEK; nothing else."""
    settings = Settings(
        data_dir=work / "operator",
        temporal_address=temporal_address,
        task_queue=f"cluster-{uuid.uuid4().hex[:8]}",
        # The load balancer's address: one token issuer and one base for links, whichever replica answers.
        public_url=public_url,
        control_db=control_db,
        storage_url=f"s3://{s3.new_bucket()}/simulacra",
        engine_processes=1,
        rate_limit_per_minute=100_000,
        default_rows_per_period=10_000_000,
        api_metrics_port=0,
        worker_metrics_port=0,
        worker_sdk_metrics_port=0,
    )
    env = {name: value for name, value in settings_env(settings).items() if not name.startswith("AWS_")}
    return env | s3.env | {"SIMULACRA_KEK": base64.b64encode(secrets.token_bytes(32)).decode()}


@contextlib.contextmanager
def running_cluster(
    work: Path, temporal_address: str, postgres: PostgresServer, s3: S3Server, apis: int = 2, workers: int = 2
) -> Iterator[Cluster]:
    """Migrate a fresh database with `simulacra admin migrate`, then start the replicas and workers."""
    work.mkdir(parents=True, exist_ok=True)
    ports = [free_port() for _ in range(apis)]
    env = cluster_env(work, temporal_address, postgres.create_database(), s3, f"http://127.0.0.1:{ports[0]}")
    migrated = subprocess.run(cli("admin", "migrate"), env=env, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    processes: list[subprocess.Popen[bytes]] = []

    def node(role: str, index: int, port: int | None = None) -> subprocess.Popen[bytes]:
        own = env | {"SIMULACRA_DATA_DIR": str(work / f"{role}{index}")}
        if port is not None:
            own["SIMULACRA_PORT"] = str(port)
        processes.append(start_cli([role], own, work / f"{role}{index}.log"))
        return processes[-1]

    try:
        api_processes = [node("api", index, port) for index, port in enumerate(ports)]
        worker_processes = [node("worker", index) for index in range(workers)]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, process in zip(bases, api_processes, strict=True):
            poll_until(lambda base=base: api_answers(base), bool, timeout=90, alive=lambda p=process: p.poll() is None)
        yield Cluster(bases, worker_processes, env, temporal_address)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def claim_everywhere(bases: list[str], claim_token: str) -> list[requests.Response]:
    """Redeem one claim token on every replica at once (each request with its own Idempotency-Key)."""

    def claim(base: str) -> requests.Response:
        return requests.post(
            f"{base}/v1/credential-claims",
            json={"credential_claim_token": claim_token},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            timeout=60,
        )

    with ThreadPoolExecutor(len(bases)) as pool:
        return list(pool.map(claim, bases))


@dataclass
class Replicas:
    """Requests spread over the API replicas in turn, as a round-robin load balancer would."""

    bases: list[str]
    token: str = ""
    last_base: str = ""
    _turn: Iterator[str] = field(init=False)

    def __post_init__(self) -> None:
        self._turn = itertools.cycle(self.bases)

    def next_base(self) -> str:
        self.last_base = next(self._turn)
        return self.last_base

    def request(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        return requests.request(method, f"{self.next_base()}{path}", headers=headers, timeout=60, **kwargs)

    def sign_in(self, claimed: dict[str, Any]) -> None:
        grant = {"grant_type": "client_credentials", "client_id": claimed["client_id"]}
        minted = self.request("POST", "/oauth/token", data={**grant, "client_secret": claimed["client_secret"]})
        assert minted.status_code == 200, minted.text
        self.token = minted.json()["access_token"]

    def wait(self, job_id: str, watch: Callable[[dict[str, Any]], None] = lambda job: None) -> dict[str, Any]:
        def fetch() -> dict[str, Any]:
            job: dict[str, Any] = self.request("GET", f"/v1/jobs/{job_id}").json()
            watch(job)
            return job

        job: dict[str, Any] = poll_until(fetch, lambda job: job["status"] in TERMINAL, timeout=600)
        return job


@dataclass(frozen=True)
class Generation:
    """The quickstart's generation request and its first answer, to be replayed."""

    base: str  # the replica that answered it
    dataset_id: str
    key: str
    body: dict[str, Any]
    response: dict[str, Any]


@dataclass(frozen=True)
class QuickstartRun:
    generation: Generation
    job: dict[str, Any]
    rows: int
    seconds: dict[str, float]


def quickstart(
    replicas: Replicas, table: bytes, rows: int, watch: Callable[[dict[str, Any]], None] = lambda job: None
) -> QuickstartRun:
    """examples/quickstart.py's calls after sign-in, each on the next replica: upload, wait for the model (`watch`
    sees the dataset job at each poll), schema, a conditioned generation, download."""
    clock, seconds = time.perf_counter(), {}
    accepted = replicas.request("POST", "/v1/datasets", key=uuid.uuid4().hex, files={"file": ("tracker.csv", table)})
    assert accepted.status_code == 202, accepted.text
    dataset_id = accepted.json()["dataset_id"]
    dataset = replicas.wait(accepted.json()["job_id"], watch)
    assert dataset["status"] == "ready", dataset
    seconds["upload to ready"] = time.perf_counter() - clock
    schema = replicas.request("GET", f"/v1/datasets/{dataset_id}/schema")
    assert schema.status_code == 200 and "segment" in {c["name"] for c in schema.json()["columns"]}, schema.text
    started = time.perf_counter()
    body = {"row_count": rows, "conditions": CONDITIONS, "format": "csv"}
    key = uuid.uuid4().hex
    generated = replicas.request("POST", f"/v1/datasets/{dataset_id}/generations", key=key, json=body)
    assert generated.status_code == 202, generated.text
    answered_by = replicas.last_base
    job = replicas.wait(generated.json()["job_id"])
    assert job["status"] in ("ready", "partial") and job["artifact_url"], job
    # The signed link names the public address; fetch it from the next replica, as the balancer would send it.
    link = job["artifact_url"].split("/", 3)[3]
    download = replicas.request("GET", f"/{link}")
    assert download.status_code == 200, download.text
    seconds["generation to download"] = time.perf_counter() - started
    seconds["wall"] = time.perf_counter() - clock
    got = download.text.count("\n") - 1
    return QuickstartRun(Generation(answered_by, dataset_id, key, body, generated.json()), job, got, seconds)


def activity_worker_pid(temporal_address: str, workflow_id: str) -> int | None:
    """The pid of the worker running the workflow's activity now, from Temporal's `pid@host` worker identity."""

    async def describe() -> int | None:
        client = await connect(temporal_address, "default")
        described = await client.get_workflow_handle(workflow_id).describe()
        for pending in described.raw_description.pending_activities:
            if pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED and pending.last_worker_identity:
                return int(pending.last_worker_identity.split("@")[0])
        return None

    return asyncio.run(describe())


@dataclass
class KillMidFit:
    """A watch for the dataset job: once its model is being discovered or fitted, SIGKILL the worker running it
    (its pid in `killed`)."""

    cluster: Cluster
    tenant: str
    killed: int | None = None

    def __call__(self, job: dict[str, Any]) -> None:
        if self.killed is not None or job["stage"] not in ("discovering", "fitting"):
            return
        workflow_id = dataset_workflow_id(self.tenant, job["dataset_id"])
        pid = activity_worker_pid(self.cluster.temporal_address, workflow_id)
        if pid is not None and pid in {worker.pid for worker in self.cluster.workers}:
            os.kill(pid, signal.SIGKILL)
            self.killed = pid


def retried_on(temporal_address: str, workflow_id: str) -> set[int]:
    """Pids of the workers that completed one of the workflow's activities on a retry (attempt 2 or later)."""

    async def history() -> set[int]:
        client = await connect(temporal_address, "default")
        events = (await client.get_workflow_handle(workflow_id).fetch_history()).events
        started = (event.activity_task_started_event_attributes for event in events)
        return {int(attributes.identity.split("@")[0]) for attributes in started if attributes.attempt > 1}

    return asyncio.run(history())
