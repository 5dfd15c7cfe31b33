"""A tenant's live resources, looked up the way every route needs them: 404 when gone or not theirs."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from temporalio.client import Client

from simulacra.api.errors import ApiError
from simulacra.api.ids import DATASET, EFFECT, GENERATION
from simulacra.api.jobs import DOWNLOADABLE, Snapshot, job_view, live_snapshot
from simulacra.api.models import Job
from simulacra.api.state import app_state
from simulacra.engine.records import CleanedSchema
from simulacra.infra import layout
from simulacra.workflows.contracts import dataset_workflow_id, effect_workflow_id, generation_workflow_id


async def live_dataset(request: Request, tenant_id: str, dataset_id: str) -> Snapshot:
    snap = await live_snapshot(app_state(request).temporal, dataset_workflow_id(tenant_id, dataset_id), "dataset")
    if snap is None:
        raise DATASET.not_found(dataset_id)
    return snap


async def ready_dataset(request: Request, tenant_id: str, dataset_id: str) -> tuple[Snapshot, CleanedSchema]:
    """The dataset and its cleaned schema, when it is ready to generate from."""
    snap = await live_dataset(request, tenant_id, dataset_id)
    if snap.status == "failed":
        raise ApiError("simio_dataset_failed", f"Dataset {dataset_id!r} failed: {snap.memo.error_message or ''}")
    if snap.status != "ready":
        raise ApiError(
            "simio_dataset_not_ready",
            f"Dataset {dataset_id!r} is {snap.status}, not ready.",
            headers={"Retry-After": "2"},
        )
    storage = app_state(request).storage
    try:
        schema_key = layout.schema_key(tenant_id, dataset_id)
        return snap, await run_in_threadpool(storage.read_document, schema_key, CleanedSchema)
    except FileNotFoundError:  # removed by its retention timer a moment ago
        raise DATASET.not_found(dataset_id) from None


async def live_generation(request: Request, tenant_id: str, generation_id: str) -> Snapshot:
    workflow_id = generation_workflow_id(tenant_id, generation_id)
    snap = await live_snapshot(app_state(request).temporal, workflow_id, "generation")
    if snap is None:
        raise GENERATION.not_found(generation_id)
    return snap


async def effect_visible(temporal: Client, tenant_id: str, effect: Snapshot) -> bool:
    """An effect describes its dataset's model: it is visible only while that dataset lives."""
    dataset = dataset_workflow_id(tenant_id, effect.memo.dataset_id)
    return await live_snapshot(temporal, dataset, "dataset") is not None


async def live_effect(request: Request, tenant_id: str, effect_id: str) -> Snapshot:
    temporal = app_state(request).temporal
    snap = await live_snapshot(temporal, effect_workflow_id(tenant_id, effect_id), "effect")
    if snap is None or not await effect_visible(temporal, tenant_id, snap):
        raise EFFECT.not_found(effect_id)
    return snap


def generation_job(request: Request, tenant_id: str, snap: Snapshot) -> Job:
    """The job view, with a fresh signed artifact URL once rows are downloadable."""
    if snap.status not in DOWNLOADABLE:
        return job_view(snap)
    state = app_state(request)
    path = f"/v1/generations/{snap.memo.generation_id}/artifact"
    url, expires = state.signer.sign(state.settings.base_url, tenant_id, path)
    return job_view(snap, url, datetime.fromtimestamp(expires, UTC).isoformat())
