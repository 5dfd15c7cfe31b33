"""simulacra.api.client against the real app (in process, through Starlette's TestClient) and the real worker."""

from __future__ import annotations

import csv
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from simulacra.api.app import create_app
from simulacra.api.client import Client, ClientError, JobTimeout, new_idempotency_key
from simulacra.api.client.backoff import Backoff, retry_after
from simulacra.infra.config import Settings
from simulacra.infra.credentials import CredentialStore

Seen = list[tuple[float, httpx.Response]]


def _recording(app: object, settings: Settings, seen: Seen) -> TestClient:
    """A TestClient over an app whose lifespan already ran, noting each answer and when it came."""
    http = TestClient(app, base_url=settings.base_url)  # type: ignore[arg-type]
    http.event_hooks = {"response": [lambda response: seen.append((time.monotonic(), response))]}
    return http


def _claimed_client(app: object, settings: Settings, seen: Seen, **options: object) -> Client:
    _, claim_token = CredentialStore.for_settings(settings).create_client("acme", 3600)
    api = Client(settings.base_url, http=_recording(app, settings, seen), **options)  # type: ignore[arg-type]
    api.use(api.claim(claim_token))
    return api


@pytest.fixture
def seen() -> Seen:
    return []


@pytest.fixture
def api(client: TestClient, settings: Settings, seen: Seen) -> Client:
    return _claimed_client(client.app, settings, seen)


def test_the_client_imports_nothing_of_the_server() -> None:
    probe = "import sys; from simulacra.api.client import Client; print(' '.join(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    server = [m for m in loaded if m.split(".")[0] in ("starlette", "temporalio", "uvicorn", "pyarrow")]
    ours = {m for m in loaded if m.startswith("simulacra.") and not m.startswith("simulacra.api.client")}
    assert "httpx" in loaded and server == [] and ours == {"simulacra.api"}


def test_the_command_line_parser_loads_no_http_stack() -> None:
    # `simulacra api` and `simulacra worker` build the client commands' parser too.
    probe = "import sys, simulacra.infra.cli; print(' '.join(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert not [m for m in loaded if m.split(".")[0] == "httpx" or m == "simulacra.api.client.client"]


def test_token_is_renewed_before_it_expires(client: TestClient, settings: Settings, seen: Seen) -> None:
    now = [0.0]
    api = _claimed_client(client.app, settings, seen, clock=lambda: now[0])
    api.request("GET", "/v1/jobs")
    api.request("GET", "/v1/jobs")
    assert api.tokens is not None and api.tokens.minted == 1
    now[0] = settings.token_ttl_seconds - 59  # inside the last minute of the token's life: renewed first
    assert api.request("GET", "/v1/jobs").status_code == 200
    assert api.tokens.minted == 2
    paths = [r.request.url.path for _, r in seen if r.request.url.path in ("/oauth/token", "/v1/jobs")]
    assert paths == ["/oauth/token", "/v1/jobs", "/v1/jobs", "/oauth/token", "/v1/jobs"]


def test_problems_raise_with_code_detail_fix_and_request_id(api: Client, client: TestClient, seen: Seen) -> None:
    with pytest.raises(ClientError) as refused:
        api.schema("ds_0123456789abcdef0123456789abcdef")
    error, answer = refused.value, seen[-2][1]  # the last answer is the error page the fix came from
    assert (error.status, error.code) == (404, "simio_dataset_not_found")
    assert error.request_id == answer.headers["x-request-id"] and error.request_id.startswith("req_")
    page = client.get("/errors/simio_dataset_not_found", headers={"Accept": "application/json"}).json()
    assert error.fix == page["fix"] and error.title == page["title"] and error.detail
    assert error.retryable is False and "simio_dataset_not_found" in str(error) and page["fix"] in str(error)


def test_a_bad_condition_raises_its_code(api: Client, ready_dataset: str) -> None:
    with pytest.raises(ClientError) as refused:
        api.generate(ready_dataset, 10, {"categorical": {"no_such_column": {"a": 0.5}}})
    assert refused.value.code == "simio_unknown_condition_column" and refused.value.fix


def test_generation_waits_and_streams_the_artifact_to_a_file(
    api: Client, client: TestClient, ready_dataset: str, tmp_path: Path
) -> None:
    accepted = api.generate(ready_dataset, 300, {"numeric": {"price": {"min": 5.49, "max": 5.49}}}, seed=3)
    stages: list[str] = []
    job = api.wait_for_job(accepted.job_id, timeout=300, on_progress=lambda j: stages.append(j.status))
    assert job.status == "ready" and job.artifact_url and stages[-1] == "ready"
    written = api.download(job.artifact_url, tmp_path / "rows.csv")
    assert written == (tmp_path / "rows.csv").stat().st_size and list(tmp_path.iterdir()) == [tmp_path / "rows.csv"]
    with (tmp_path / "rows.csv").open() as rows:
        assert {row["price"] for row in csv.DictReader(rows)} == {"5.49"}
    assert api.download(job.artifact_url, tmp_path / "again.csv") == written


def test_wait_for_job_times_out_and_says_where_the_job_was(api: Client, ready_dataset: str) -> None:
    accepted = api.generate(ready_dataset, 50_000, seed=5)
    with pytest.raises(JobTimeout) as late:
        api.wait_for_job(accepted.job_id, timeout=0)
    assert late.value.job_id == accepted.job_id and late.value.last["status"] not in ("ready", "partial", "failed")


@pytest.fixture(scope="module")
def limited_app(settings: Settings) -> Iterator[object]:
    """30 requests a minute per tenant: a spent bucket refills a token every 2 s, so Retry-After is short."""
    with TestClient(create_app(settings.with_overrides(rate_limit_per_minute=30)), base_url=settings.base_url) as app:
        yield app.app


def _spend_bucket(api: Client, http: Callable[[], TestClient]) -> None:
    assert api.tokens is not None
    burner, headers = http(), {"Authorization": f"Bearer {api.tokens.token()}"}
    for _ in range(60):
        if burner.get("/v1/jobs", headers=headers).status_code == 429:
            return
    raise AssertionError("the rate limit never answered 429")


def test_a_429_is_retried_after_retry_after_with_the_same_key(
    limited_app: object, settings: Settings, seen: Seen, ready_dataset: str
) -> None:
    api = _claimed_client(limited_app, settings, seen)
    _spend_bucket(api, lambda: TestClient(limited_app, base_url=settings.base_url))  # type: ignore[arg-type]
    key = new_idempotency_key()
    accepted = api.generate(ready_dataset, 100, seed=7, idempotency_key=key)
    posts = [(at, r) for at, r in seen if r.request.method == "POST" and "/generations" in r.request.url.path]
    assert [r.status_code for _, r in posts][0] == 429 and posts[-1][1].status_code == 202
    assert {r.request.headers["idempotency-key"] for _, r in posts} == {key}
    for (at, refused), (next_at, _) in zip(posts, posts[1:], strict=False):
        assert next_at - at >= float(refused.headers["retry-after"]) * 0.99
    # A later retry of the same logical call (same key) is answered with the same generation: no second job.
    assert api.generate(ready_dataset, 100, seed=7, idempotency_key=key).generation_id == accepted.generation_id


def test_backoff_is_jittered_capped_and_floored_by_retry_after() -> None:
    backoff = Backoff(base=1.0, factor=2.0, cap=4.0, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(5)]
    assert all(ceiling / 2 <= delay <= ceiling for delay, ceiling in zip(delays, [1, 2, 4, 4, 4], strict=True))
    assert Backoff(rng=random.Random(1)).next_delay(floor=7.0) == 7.0
    dated = httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert retry_after(dated) == 0.0 and retry_after(httpx.Response(429, headers={"Retry-After": "3"})) == 3.0
