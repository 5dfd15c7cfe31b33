"""Datasets: upload (streamed), read, schema."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.service import RPCError, RPCStatusCode

from api.auth import authenticate
from api.bodies import fingerprint
from api.context import request_id_var
from api.errors import ApiError
from api.idempotency import REPLAY_HEADER, idempotency_key, run_once
from api.jobs import Snapshot, live_snapshot
from api.models import DatasetAccepted
from api.starts import accepted, initial_memo, start_job
from api.state import AppState, app_state
from api.upload import ReceivedUpload, receive_upload
from infra import layout
from workflows.contracts import (
    DATASET_WORKFLOW,
    DELETE_UPDATE,
    DatasetInput,
    dataset_workflow_id,
    job_id_for,
    new_dataset_id,
)

MAX_RETENTION_HOURS = 168
# A worker must take the update; without one the client gets a retryable 503 instead of a hang.
DELETE_TIMEOUT = timedelta(seconds=30)


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
    memo = initial_memo(
        state,
        "dataset",
        tenant_id,
        retention_hours,
        dataset_id=dataset_id,
        filename=upload.filename,
        size_bytes=upload.size,
    )
    job = DatasetInput(
        tenant_id=tenant_id,
        dataset_id=dataset_id,
        filename=upload.filename,
        expires_at=datetime.fromisoformat(memo["expires_at"]),
    )
    await start_job(state, DATASET_WORKFLOW, dataset_workflow_id(tenant_id, dataset_id), job, memo)
    return accepted(
        DatasetAccepted(dataset_id=dataset_id, job_id=job_id_for(dataset_id), status="queued"), job_id_for(dataset_id)
    )


async def create_dataset(request: Request) -> JSONResponse:
    state = app_state(request)
    principal = authenticate(request, "datasets:write")
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
    principal = authenticate(request, "datasets:read")
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
    principal = authenticate(request, "datasets:read")
    dataset_id = request.path_params["dataset_id"]
    schema = await ready_schema(request, principal.tenant_id, dataset_id)
    return JSONResponse({"dataset_id": dataset_id, **schema})


async def delete_dataset(request: Request) -> Response:
    """Remove the dataset: 404 to every reader at once, and nothing of it left in storage on return."""
    principal = authenticate(request, "datasets:write")
    dataset_id = request.path_params["dataset_id"]
    await live_dataset(request, principal.tenant_id, dataset_id)
    handle = app_state(request).temporal.get_workflow_handle(dataset_workflow_id(principal.tenant_id, dataset_id))
    try:
        await handle.execute_update(DELETE_UPDATE, rpc_timeout=DELETE_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:  # it expired between our look and the delete
            raise ApiError("simio_dataset_not_found", f"No dataset {dataset_id!r}.") from None
        raise ApiError("simio_service_unavailable", "The delete did not complete; retry it.") from None
    await run_in_threadpool(
        app_state(request).audit.record,
        f"client:{principal.client_id}",
        principal.tenant_id,
        "dataset_deleted",
        request_id=request_id_var.get(),
        dataset_id=dataset_id,
    )
    return Response(status_code=204)


routes = [
    Route("/v1/datasets", create_dataset, methods=["POST"]),
    Route("/v1/datasets/{dataset_id}", get_dataset, methods=["GET"]),
    Route("/v1/datasets/{dataset_id}", delete_dataset, methods=["DELETE"]),
    Route("/v1/datasets/{dataset_id}/schema", get_schema, methods=["GET"]),
]
