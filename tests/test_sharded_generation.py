"""Sharded generation end to end, on small N: shards of 500 rows, so 2,000 rows run as four shard activities.

The session worker has one engine process; a second worker with two, on a task queue of its own, makes the
same request: the artifacts must be the same bytes. Then ranged downloads and the row cap.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Iterator

import pyarrow.parquet
import pytest
from starlette.testclient import TestClient

from simulacra.api.app import create_app
from simulacra.infra.config import Settings
from simulacra.infra.temporal import connect
from simulacra.workflows.contracts import COMBINE_SHARDS, GENERATE_SHARD, generation_workflow_id
from tests.flows import bearer, finished, generate
from tests.stack import settings_env, start_cli

SHARDING = {"generation_shard_rows": 500, "generation_parallel_shards": 4}
REQUEST = {
    "row_count": 2000,
    "format": "parquet",
    "conditions": {
        "categorical": {"segment": {"genz_switcher": 0.3}},
        "numeric": {"price": {"min": 5.49, "max": 5.49}},
    },
    "seed": 23,
}


@pytest.fixture(scope="module")
def one_process(settings: Settings) -> Iterator[TestClient]:
    """The session's worker (one engine process), through an app that shards at 500 rows."""
    app = create_app(settings.with_overrides(**SHARDING, max_generation_rows=5000))
    with TestClient(app, base_url=settings.base_url, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def two_processes(settings: Settings) -> Iterator[tuple[TestClient, object]]:
    """A worker with two engine processes on a task queue of its own, and an app that starts jobs there."""
    own = settings.with_overrides(**SHARDING, task_queue=f"two-{uuid.uuid4().hex[:8]}", engine_processes=2)
    process = start_cli(["worker"], settings_env(own), settings.data_dir / "worker-two-processes.log")
    try:
        with TestClient(create_app(own), base_url=settings.base_url, raise_server_exceptions=False) as client:
            yield client, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _made(client: TestClient, token: str, dataset: str, worker: object) -> tuple[dict, bytes]:
    accepted = generate(client, token, dataset, REQUEST)
    assert accepted.status_code == 202, accepted.text
    job = finished(client, token, accepted.json()["job_id"], worker)
    assert job["status"] == "ready", job
    download = client.get(job["artifact_url"], headers=bearer(token))
    assert download.status_code == 200 and download.headers["accept-ranges"] == "bytes"
    assert int(download.headers["content-length"]) == len(download.content)
    return job, download.content


def _scheduled(settings: Settings, generation_id: str) -> dict[str, int]:
    """Activity attempts scheduled in the generation's history, by activity name."""

    async def count() -> dict[str, int]:
        temporal = await connect(settings.resolved_temporal_address, settings.temporal_namespace)
        history = await temporal.get_workflow_handle(generation_workflow_id("acme", generation_id)).fetch_history()
        names: dict[str, int] = {}
        for event in history.events:
            if event.HasField("activity_task_scheduled_event_attributes"):
                name = event.activity_task_scheduled_event_attributes.activity_type.name
                names[name] = names.get(name, 0) + 1
        return names

    return asyncio.run(count())


def test_shards_combine_to_exact_rows_and_shares_and_the_same_bytes_on_two_processes(
    one_process: TestClient,
    two_processes: tuple[TestClient, object],
    token: str,
    ready_dataset: str,
    worker: object,
    settings: Settings,
) -> None:
    job, artifact = _made(one_process, token, ready_dataset, worker)
    assert job["rows_generated"] == 2000 and job["progress"] == 1.0
    table = pyarrow.parquet.read_table(io.BytesIO(artifact))
    assert table.num_rows == 2000
    assert table["segment"].to_pylist().count("genz_switcher") == 600  # exact over the whole artifact
    assert set(table["price"].to_pylist()) == {5.49}
    assert pyarrow.parquet.ParquetFile(io.BytesIO(artifact)).metadata.num_row_groups == 4  # one per shard
    scheduled = _scheduled(settings, job["generation_id"])
    assert scheduled[GENERATE_SHARD] == 4 and scheduled[COMBINE_SHARDS] == 1
    generation = one_process.get(f"/v1/generations/{job['generation_id']}", headers=bearer(token)).json()
    report = generation["report"]
    assert report["shards"] == 4 and report["rows_generated"] == 2000 and report["conditions_met"] is True
    assert report["achieved"]["categorical"] == {"segment": {"genz_switcher": 0.3}}
    assert report["privacy"]["rows_sampled"] <= 2000 and "generated rows" in report["privacy"]["sample"]

    client, second_worker = two_processes
    _, again = _made(client, token, ready_dataset, second_worker)
    assert again == artifact


def test_downloads_resume_with_range_requests(
    one_process: TestClient, token: str, ready_dataset: str, worker: object
) -> None:
    body = {**REQUEST, "format": "csv", "row_count": 1200}
    job = finished(one_process, token, generate(one_process, token, ready_dataset, body).json()["job_id"], worker)
    url, headers = job["artifact_url"], bearer(token)
    whole = one_process.get(url, headers=headers)
    size, etag = len(whole.content), whole.headers["etag"]
    assert whole.status_code == 200 and int(whole.headers["content-length"]) == size > 1000

    for asked, first, last in (("bytes=0-9", 0, 9), ("bytes=1000-", 1000, size - 1), ("bytes=-5", size - 5, size - 1)):
        part = one_process.get(url, headers={**headers, "Range": asked, "If-Range": etag})
        assert part.status_code == 206, asked
        assert part.headers["content-range"] == f"bytes {first}-{last}/{size}"
        assert part.content == whole.content[first : last + 1]
        assert int(part.headers["content-length"]) == last - first + 1
    beyond = one_process.get(url, headers={**headers, "Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    assert beyond.json()["code"] == "simio_range_not_satisfiable"
    # Another artifact's validator, or several ranges: the whole file, as RFC 9110 allows.
    for extra in ({"Range": "bytes=0-9", "If-Range": '"gen_other.csv"'}, {"Range": "bytes=0-1,5-6"}):
        full = one_process.get(url, headers={**headers, **extra})
        assert full.status_code == 200 and full.content == whole.content


def test_row_count_above_the_cap_is_refused_with_the_limit(
    one_process: TestClient, client: TestClient, token: str, ready_dataset: str
) -> None:
    refused = generate(one_process, token, ready_dataset, {"row_count": 5001})
    assert refused.status_code == 400 and refused.json()["code"] == "simio_invalid_field"
    assert "5000" in refused.json()["detail"]
    assert Settings().max_generation_rows == 100_000_000
    beyond = generate(client, token, ready_dataset, {"row_count": 100_000_001})
    assert beyond.status_code == 400 and beyond.json()["code"] == "simio_invalid_field"
    assert "100000000" in beyond.json()["detail"]
