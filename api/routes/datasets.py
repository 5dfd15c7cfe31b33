"""Datasets: upload (streamed), read, schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError

from api.auth import authenticate
from api.bodies import fingerprint
from api.errors import ApiError
from api.idempotency import REPLAY_HEADER, idempotency_key, run_once
from api.jobs import Snapshot, live_snapshot
from api.models import DatasetAccepted
from api.state import AppState, app_state
from api.upload import ReceivedUpload, receive_upload
from infra import layout
from workflows.contracts import (
    DATASET_WORKFLOW,
    TENANT_ID,
    DatasetInput,
    dataset_workflow_id,
    job_id_for,
    new_dataset_id,
)

MAX_RETENTION_HOURS = 168


def _retention_hours(upload: ReceivedUpload, default: int) -> int:
    raw = upload.fields.get("retention_hours", "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_RETENTION_HOURS:
        raise ApiError(
            "simio_invalid_field",
            f"/retention_hours: an integer from 1 to {MAX_RETENTION_HOURS}",
            errors=[{"pointer": "/retention_hours", "message": "must be an integer from 1 to 168"}],
        )
    return int(raw)


async def _start_dataset(
    state: AppState, tenant_id: str, dataset_id: str, upload: ReceivedUpload, retention_hours: int
) -> JSONResponse:
    now = datetime.now(UTC).isoformat()
    job = DatasetInput(
        tenant_id=tenant_id,
        dataset_id=dataset_id,
        filename=upload.filename,
        retention_hours=retention_hours,
        created_at=now,
    )
    memo = {
        "kind": "dataset",
        "tenant_id": tenant_id,
        "dataset_id": dataset_id,
        "filename": upload.filename,
        "size_bytes": upload.size,
        "status": "queued",
        "stage": "queued",
        "progress": 0.0,
        "created_at": now,
        "updated_at": now,
        "retention_hours": retention_hours,
    }
    try:
        await state.temporal.start_workflow(
            DATASET_WORKFLOW,
            job,
            id=dataset_workflow_id(tenant_id, dataset_id),
            task_queue=state.settings.task_queue,
            memo=memo,
            search_attributes=TypedSearchAttributes([SearchAttributePair(TENANT_ID, tenant_id)]),
        )
    except RPCError:
        raise ApiError(
            "simio_service_unavailable", "Could not queue the dataset job; retry with the same key."
        ) from None
    body = DatasetAccepted(dataset_id=dataset_id, job_id=job_id_for(dataset_id), status="queued")
    return JSONResponse(
        body.model_dump(), status_code=202, headers={"Location": f"/v1/jobs/{body.job_id}", "Retry-After": "1"}
    )


async def create_dataset(request: Request) -> JSONResponse:
    state = app_state(request)
    principal = authenticate(request)
    key = idempotency_key(request)
    dataset_id = new_dataset_id()
    prefix = layout.dataset_prefix(principal.tenant_id, dataset_id)
    upload = await receive_upload(
        request, state.storage, layout.upload_key(principal.tenant_id, dataset_id), state.settings.max_upload_bytes
    )
    try:
        retention = _retention_hours(upload, state.settings.default_retention_hours)
        content = json.dumps({"sha256": upload.sha256, "fields": upload.fields}, sort_keys=True)
        response = await run_once(
            state.idempotency,
            principal.tenant_id,
            key,
            fingerprint(request, content),
            lambda: _start_dataset(state, principal.tenant_id, dataset_id, upload, retention),
        )
    except BaseException:
        await run_in_threadpool(state.storage.delete_prefix, prefix)
        raise
    if response.headers.get(REPLAY_HEADER):
        # The original request owns the dataset; this retry's copy of the file is not needed.
        await run_in_threadpool(state.storage.delete_prefix, prefix)
    return response


async def live_dataset(request: Request, tenant_id: str, dataset_id: str) -> Snapshot:
    snap = await live_snapshot(app_state(request).temporal, dataset_workflow_id(tenant_id, dataset_id), "dataset")
    if snap is None:
        raise ApiError("simio_dataset_not_found", f"No dataset {dataset_id!r}.")
    return snap


async def get_dataset(request: Request) -> JSONResponse:
    principal = authenticate(request)
    dataset_id = request.path_params["dataset_id"]
    snap = await live_dataset(request, principal.tenant_id, dataset_id)
    memo = snap.memo
    body = {
        "dataset_id": dataset_id,
        "job_id": job_id_for(dataset_id),
        "status": snap.status,
        "stage": memo.get("stage"),
        "filename": memo.get("filename"),
        "size_bytes": memo.get("size_bytes"),
        "row_count": memo.get("row_count"),
        "column_count": memo.get("column_count"),
        "created_at": memo.get("created_at"),
        "ready_at": memo.get("ready_at"),
        "retention_hours": memo.get("retention_hours"),
        "error": {"code": memo["error_code"], "message": memo.get("error_message", "")}
        if memo.get("error_code")
        else None,
    }
    return JSONResponse(body)


async def ready_schema(request: Request, tenant_id: str, dataset_id: str) -> dict:
    snap = await live_dataset(request, tenant_id, dataset_id)
    if snap.status != "ready":
        raise ApiError(
            "simio_dataset_not_ready",
            f"Dataset {dataset_id!r} is {snap.status}, not ready.",
            headers={"Retry-After": "2"} if snap.status in ("queued", "running") else None,
        )
    storage = app_state(request).storage
    return await run_in_threadpool(storage.read_json, layout.schema_key(tenant_id, dataset_id))


async def get_schema(request: Request) -> JSONResponse:
    principal = authenticate(request)
    dataset_id = request.path_params["dataset_id"]
    schema = await ready_schema(request, principal.tenant_id, dataset_id)
    return JSONResponse({"dataset_id": dataset_id, **schema})


routes = [
    Route("/v1/datasets", create_dataset, methods=["POST"]),
    Route("/v1/datasets/{dataset_id}", get_dataset, methods=["GET"]),
    Route("/v1/datasets/{dataset_id}/schema", get_schema, methods=["GET"]),
]
