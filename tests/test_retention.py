"""Retention and deletion: what is gone answers 404 and leaves nothing in storage; timers survive restarts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from simulacra.api.app import create_app
from simulacra.infra.audit import AuditLog
from simulacra.infra.config import Settings
from simulacra.infra.controldb import ControlDB
from tests.flows import bearer, finished, generate, upload
from tests.stack import poll_until, settings_env, start_cli

# Two-value columns with some signal, big enough for the engine, small enough to be quick.
SMALL = b"group,score,outcome\n" + b"".join(f"g{i % 3},{i % 7},{(i % 3) * 2 + i % 2}\n".encode() for i in range(120))


def _stored(settings: Settings, *parts: str) -> list[Path]:
    root = settings.data_dir / "storage" / "tenants" / "acme" / Path(*parts)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _wait_gone(client: TestClient, token: str, path: str, timeout: float = 60) -> None:
    """Poll until the resource answers 404 (its retention timer fired)."""
    poll_until(lambda: client.get(path, headers=bearer(token)), lambda r: r.status_code == 404, timeout)


def test_delete_removes_dataset_at_once_and_keeps_generations(
    client: TestClient, token: str, settings: Settings, worker: object
) -> None:
    accepted = upload(client, token, SMALL, "small.csv").json()
    dataset_id = accepted["dataset_id"]
    assert finished(client, token, accepted["job_id"], worker)["status"] == "ready"
    generation = finished(
        client, token, generate(client, token, dataset_id, {"row_count": 30}).json()["job_id"], worker
    )
    assert _stored(settings, "datasets", dataset_id)

    deleted = client.delete(f"/v1/datasets/{dataset_id}", headers=bearer(token))
    assert deleted.status_code == 204
    for path in (f"/v1/datasets/{dataset_id}", f"/v1/datasets/{dataset_id}/schema"):
        assert client.get(path, headers=bearer(token)).json()["code"] == "simio_dataset_not_found"
    assert _stored(settings, "datasets", dataset_id) == []
    assert client.delete(f"/v1/datasets/{dataset_id}", headers=bearer(token)).status_code == 404
    refused = generate(client, token, dataset_id, {"row_count": 5})
    assert refused.json()["code"] == "simio_dataset_not_found"
    # Rows generated before the delete expire on their own window, not with the dataset.
    assert client.get(generation["artifact_url"], headers=bearer(token)).status_code == 200


def test_other_tenant_cannot_delete(client: TestClient, token: str, other_token: str, ready_dataset: str) -> None:
    assert client.delete(f"/v1/datasets/{ready_dataset}", headers=bearer(other_token)).status_code == 404
    assert client.get(f"/v1/datasets/{ready_dataset}", headers=bearer(token)).status_code == 200


def test_retention_out_of_range_is_refused(client: TestClient, token: str, ready_dataset: str) -> None:
    response = client.post(
        "/v1/datasets",
        headers=bearer(token, uuid.uuid4().hex),
        files={"file": ("s.csv", SMALL)},
        data={"retention_hours": "169"},
    )
    assert response.status_code == 400 and response.json()["errors"][0]["pointer"] == "/retention_hours"
    too_long = generate(client, token, ready_dataset, {"row_count": 5, "retention_hours": 0})
    assert too_long.json()["errors"][0]["pointer"] == "/retention_hours"


def test_retention_timer_survives_a_worker_restart(settings: Settings, token: str, tmp_path: Path) -> None:
    # Own task queue and worker, and an hour that lasts 10 seconds, so expiry happens within the test.
    fast = settings.with_overrides(task_queue=f"retention-{uuid.uuid4().hex[:8]}", retention_hour_seconds=10)
    first = start_cli(["worker"], settings_env(fast), tmp_path / "worker1.log")
    with TestClient(create_app(fast), base_url=fast.base_url) as client:
        accepted = client.post(
            "/v1/datasets",
            headers=bearer(token, uuid.uuid4().hex),
            files={"file": ("s.csv", SMALL)},
            data={"retention_hours": "2"},
        ).json()
        job = poll_until(
            lambda: client.get(f"/v1/jobs/{accepted['job_id']}", headers=bearer(token)).json(),
            lambda job: job["status"] not in ("queued", "running"),
        )
        # On a loaded machine the 20 s window may already have passed; either way the build succeeded.
        assert job["status"] in ("ready", "expired"), job
        first.kill()
        first.wait()
        second = start_cli(["worker"], settings_env(fast), tmp_path / "worker2.log")
        try:
            _wait_gone(client, token, f"/v1/datasets/{accepted['dataset_id']}")
            # Readers see it gone first; the job reports the removal itself once storage is clean.
            gone = poll_until(
                lambda: client.get(f"/v1/jobs/{accepted['job_id']}", headers=bearer(token)).json(),
                lambda job: job["stage"] == "removed",
                timeout=60,
            )
            assert gone["status"] == "expired"
        finally:
            second.terminate()
            second.wait(timeout=30)
    assert _stored(settings, "datasets", accepted["dataset_id"]) == []


def test_retention_can_be_changed_and_is_audited(
    client: TestClient, token: str, other_token: str, settings: Settings, worker: object
) -> None:
    dataset = upload(client, token, SMALL, "s.csv").json()["dataset_id"]
    path = f"/v1/datasets/{dataset}"
    created = datetime.fromisoformat(client.get(path, headers=bearer(token)).json()["created_at"])
    changed = client.patch(path, headers=bearer(token), json={"retention_hours": 72})
    assert changed.status_code == 200, changed.text
    assert changed.json()["retention_hours"] == 72
    assert datetime.fromisoformat(changed.json()["expires_at"]) == created + timedelta(hours=72)
    assert client.get(path, headers=bearer(token)).json()["retention_hours"] == 72
    for hours in (0, 169, True, "72"):
        refused = client.patch(path, headers=bearer(token), json={"retention_hours": hours})
        assert refused.status_code == 400 and refused.json()["errors"][0]["pointer"] == "/retention_hours"
    crossed = client.patch(path, headers=bearer(other_token), json={"retention_hours": 1})
    assert crossed.status_code == 404 and crossed.json()["code"] == "simio_dataset_not_found"
    entries = AuditLog(ControlDB(settings.resolved_control_db)).query("acme", action="retention_changed")
    assert entries[-1].detail == {"dataset_id": dataset, "retention_hours_before": 24, "retention_hours": 72}


def test_shortened_retention_rearms_the_durable_timer(settings: Settings, token: str, tmp_path: Path) -> None:
    fast = settings.with_overrides(task_queue=f"retention-{uuid.uuid4().hex[:8]}", retention_hour_seconds=10)
    worker = start_cli(["worker"], settings_env(fast), tmp_path / "worker.log")
    try:
        with TestClient(create_app(fast), base_url=fast.base_url) as client:
            accepted = client.post(
                "/v1/datasets",
                headers=bearer(token, uuid.uuid4().hex),
                files={"file": ("s.csv", SMALL)},
                data={"retention_hours": "168"},  # 28 minutes at 10 s an hour: far beyond this test
            ).json()
            path = f"/v1/datasets/{accepted['dataset_id']}"
            job = finished(client, token, accepted["job_id"], worker)
            assert job["status"] == "ready", job
            created = datetime.fromisoformat(client.get(path, headers=bearer(token)).json()["created_at"])
            hours = int((datetime.now(UTC) - created).total_seconds() // 10) + 2  # 10 to 20 s from now
            assert client.patch(path, headers=bearer(token), json={"retention_hours": hours}).status_code == 200
            _wait_gone(client, token, path)
            # The workflow answers 404 first and then removes the files: wait for the removal while the
            # worker still runs, rather than stop it between the two.
            poll_until(lambda: _stored(settings, "datasets", accepted["dataset_id"]), lambda left: left == [], 60)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_without_a_worker_a_change_is_a_retryable_503_not_a_hang(settings: Settings, token: str) -> None:
    idle = settings.with_overrides(task_queue=f"no-worker-{uuid.uuid4().hex[:8]}")
    with TestClient(create_app(idle), base_url=idle.base_url) as client:
        dataset = upload(client, token, SMALL, "s.csv").json()["dataset_id"]
        refused = client.patch(f"/v1/datasets/{dataset}", headers=bearer(token), json={"retention_hours": 48})
        assert refused.status_code == 503 and refused.json()["retryable"], refused.text
        assert refused.json()["code"] == "simio_service_unavailable"
