"""Datasets: upload (streamed), read, schema."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from temporalio.service import RPCError, RPCStatusCode

from api.auth import authenticate
from api.bodies import fingerprint, validate
from api.context import request_id_var
from api.errors import ApiError
from api.idempotency import idempotency_key, run_once
from api.jobs import Snapshot, dataset_view, live_snapshot
from api.models import DatasetAccepted, UploadFields, UploadForm
from api.operations import Link, Operation
from api.starts import accepted, initial_memo, start_job
from api.state import AppState, app_state
from api.upload import ReceivedUpload, receive_upload
from api.views import Dataset, DatasetSchema
from infra import layout
from workflows.contracts import (
    DATASET_WORKFLOW,
    DELETE_UPDATE,
    DatasetInput,
    dataset_workflow_id,
    derived_id,
    job_id_for,
)

# A worker must take the update; without one the client gets a retryable 503 instead of a hang.
DELETE_TIMEOUT = timedelta(seconds=30)


async def _start_dataset(
    state: AppState, tenant_id: str, dataset_id: str, staged: str, upload: ReceivedUpload, fields: UploadFields
) -> JSONResponse:
    retention_hours = fields.retention_hours or state.settings.default_retention_hours
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
    await run_in_threadpool(state.storage.move, staged, layout.upload_key(tenant_id, dataset_id))
    await start_job(state, DATASET_WORKFLOW, dataset_workflow_id(tenant_id, dataset_id), job, memo)
    return accepted(
        DatasetAccepted(dataset_id=dataset_id, job_id=job_id_for(dataset_id), status="queued"), job_id_for(dataset_id)
    )


async def create_dataset(request: Request) -> Response:
    state = app_state(request)
    principal = authenticate(request, "datasets:write")
    tenant_id, key = principal.tenant_id, idempotency_key(request)
    staged = layout.staging_key(tenant_id, uuid.uuid4().hex)
    upload = await receive_upload(request, state.storage, staged, state.settings.max_upload_bytes)
    try:
        fields = validate(UploadFields, upload.fields)
        request_fingerprint = fingerprint(
            request, json.dumps({"sha256": upload.sha256, "fields": upload.fields}, sort_keys=True)
        )
        dataset_id = derived_id("ds", tenant_id, key, request_fingerprint)
        return await run_once(
            state.idempotency,
            tenant_id,
            key,
            request_fingerprint,
            lambda: _start_dataset(state, tenant_id, dataset_id, staged, upload, fields),
        )
    finally:
        # Moved into the dataset when accepted; otherwise (refused, replayed) this copy is not needed.
        await run_in_threadpool(state.storage.delete_prefix, staged)


async def live_dataset(request: Request, tenant_id: str, dataset_id: str) -> Snapshot:
    snap = await live_snapshot(app_state(request).temporal, dataset_workflow_id(tenant_id, dataset_id), "dataset")
    if snap is None:
        raise ApiError("simio_dataset_not_found", f"No dataset {dataset_id!r}.")
    return snap


async def get_dataset(request: Request) -> JSONResponse:
    principal = authenticate(request, "datasets:read")
    snap = await live_dataset(request, principal.tenant_id, request.path_params["dataset_id"])
    return JSONResponse(dataset_view(snap).model_dump())


async def ready_schema(request: Request, tenant_id: str, dataset_id: str) -> dict:
    snap = await live_dataset(request, tenant_id, dataset_id)
    if snap.status == "failed":
        raise ApiError("simio_dataset_failed", f"Dataset {dataset_id!r} failed: {snap.memo.get('error_message', '')}")
    if snap.status != "ready":
        raise ApiError(
            "simio_dataset_not_ready",
            f"Dataset {dataset_id!r} is {snap.status}, not ready.",
            headers={"Retry-After": "2"},
        )
    storage = app_state(request).storage
    try:
        return await run_in_threadpool(storage.read_json, layout.schema_key(tenant_id, dataset_id))
    except FileNotFoundError:  # removed by its retention timer a moment ago
        raise ApiError("simio_dataset_not_found", f"No dataset {dataset_id!r}.") from None


async def get_schema(request: Request) -> JSONResponse:
    principal = authenticate(request, "datasets:read")
    dataset_id = request.path_params["dataset_id"]
    schema = await ready_schema(request, principal.tenant_id, dataset_id)
    return JSONResponse(
        DatasetSchema.model_validate({"dataset_id": dataset_id, **schema}).model_dump(exclude_none=True)
    )


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


operations = [
    Operation(
        "createDataset",
        "POST",
        "/v1/datasets",
        create_dataset,
        "Upload a seed table",
        "datasets",
        description="Multipart upload (field `file`: CSV or Parquet). Starts the dataset job: clean, discover, fit.",
        scopes=("datasets:write",),
        body=UploadForm,
        body_kind="multipart",
        status=202,
        returns=DatasetAccepted,
        errors=(
            "simio_unsupported_content_type",
            "simio_upload_invalid",
            "simio_file_too_large",
            "simio_body_too_large",
            "simio_invalid_field",
        ),
        links={
            "GetJob": Link("getJob", "job_id", "job_id"),
            "GetDataset": Link("getDataset", "dataset_id", "dataset_id"),
        },
    ),
    Operation(
        "getDataset",
        "GET",
        "/v1/datasets/{dataset_id}",
        get_dataset,
        "Get a dataset",
        "datasets",
        scopes=("datasets:read",),
        returns=Dataset,
        errors=("simio_dataset_not_found",),
    ),
    Operation(
        "deleteDataset",
        "DELETE",
        "/v1/datasets/{dataset_id}",
        delete_dataset,
        "Delete a dataset and every stored object of it",
        "datasets",
        description="Returns 204 once storage holds nothing of the dataset. Generations made from it expire on "
        "their own retention windows.",
        scopes=("datasets:write",),
        status=204,
        errors=("simio_dataset_not_found",),
    ),
    Operation(
        "getDatasetSchema",
        "GET",
        "/v1/datasets/{dataset_id}/schema",
        get_schema,
        "Get the cleaned schema",
        "datasets",
        description="Cleaned column names and types, levels with shares, numeric ranges, and every rename, drop "
        "and collapse. Build conditions from this.",
        scopes=("datasets:read",),
        returns=DatasetSchema,
        errors=("simio_dataset_not_found", "simio_dataset_not_ready", "simio_dataset_failed"),
    ),
]
