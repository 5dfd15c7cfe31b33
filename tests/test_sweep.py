"""The retention backstop removes orphaned objects and leaves what a running workflow still holds."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

from temporalio.service import RPCError, RPCStatusCode

from simulacra.infra.config import Settings
from simulacra.infra.temporal import connect_to
from simulacra.workflows.contracts import (
    MAX_RETENTION_HOURS,
    SWEEP_WORKFLOW,
    SweepResult,
    webhook_event_id,
    webhook_event_workflow_id,
)


def _age(path: Path, seconds: float) -> None:
    """Backdate every file under path, as if written that long ago."""
    when = time.time() - seconds
    for file in [path, *path.rglob("*")]:
        os.utime(file, (when, when))


def _plant(root: Path, relative: str, age_seconds: float = 2 * 3600) -> Path:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"orphan")
    _age(target.parent, age_seconds)
    return target.parent


async def _sweep(settings: Settings) -> SweepResult:
    client = await connect_to(settings)
    return await client.execute_workflow(
        SWEEP_WORKFLOW, id=f"sweep-test-{uuid.uuid4().hex[:8]}", task_queue=settings.task_queue, result_type=SweepResult
    )


async def _event_workflows(settings: Settings, *dataset_ids: str) -> list[bool]:
    """Whether a `dataset.expired` event workflow was started for each dataset."""
    client = await connect_to(settings)
    started = []
    for dataset_id in dataset_ids:
        event_id = webhook_event_id("acme", dataset_id, "dataset.expired")
        try:
            await client.get_workflow_handle(webhook_event_workflow_id("acme", event_id)).describe()
            started.append(True)
        except RPCError as exc:
            assert exc.status == RPCStatusCode.NOT_FOUND
            started.append(False)
    return started


def test_sweep_removes_orphans_only(settings: Settings, worker: object, ready_dataset: str) -> None:
    storage = settings.data_dir / "storage"
    orphan_dataset = _plant(storage, "tenants/acme/datasets/ds_orphan00000000000000/upload")
    orphan_upload = _plant(storage, "tenants/acme/staging/0123456789abcdef/x", MAX_RETENTION_HOURS * 3600 + 60)
    # A day old: its dataset may still be queued for the clean step that takes it.
    queued_upload = _plant(storage, "tenants/acme/staging/00aa00aa00aa00aa/x", 24 * 3600)
    fresh_upload = storage / "tenants/acme/staging/fedcba9876543210"
    fresh_upload.mkdir(parents=True)
    (fresh_upload / "x").write_bytes(b"in progress")
    held = storage / "tenants/acme/datasets" / ready_dataset
    _age(held, 2 * 3600)
    # Half-written two hours ago by writers that died (an API mid-upload, a worker mid-write): nobody will
    # finish or read them, whether or not a workflow still holds the resource they are in.
    dead_partials = [
        storage / "tenants/acme/staging/0123fedc.5a5a5a5a.partial",
        held / "cleaned.parquet.5a5a5a5a.partial",
    ]
    for partial in dead_partials:
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(b"half")
        _age(partial, 2 * 3600)
    live_partial = held / "cleaned.parquet.6b6b6b6b.partial"
    live_partial.write_bytes(b"being written")

    result = asyncio.run(_sweep(settings))

    assert not orphan_dataset.exists() and not orphan_upload.exists()
    assert not any(partial.exists() for partial in dead_partials)
    assert live_partial.exists(), "a partial written within the grace period may have a live writer"
    assert fresh_upload.exists(), "an upload younger than the grace period may still be in flight"
    assert queued_upload.exists(), "a staged upload younger than the longest retention may still be queued"
    assert (held / "model-v1.pkl").exists(), "a running workflow still holds its dataset"
    assert "tenants/acme/datasets/ds_orphan00000000000000" in result.removed
    # The orphan's removal is told to webhooks, once, under the id its own workflow would have used.
    told = asyncio.run(_event_workflows(settings, "ds_orphan00000000000000", ready_dataset))
    assert told == [True, False]
