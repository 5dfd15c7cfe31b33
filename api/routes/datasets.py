"""Datasets: upload (streamed), read, schema."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from simulacra.api.bodies import fingerprint, read_json, validate
from simulacra.api.context import RequestContext
from simulacra.api.errors import REGISTRY, ApiError
from simulacra.api.idempotency import idempotency_key, run_once
from simulacra.api.ids import DATASET
from simulacra.api.jobs import dataset_view
from simulacra.api.listing import PAGE_QUERY, list_jobs, next_cursor, page_request
from simulacra.api.lookups import live_dataset, ready_dataset
from simulacra.api.models import (
    DatasetAccepted,
    DatasetUpdate,
    GraphEditRequest,
    RefitAccepted,
    UploadFields,
    UploadForm,
)
from simulacra.api.operations import Link, Operation
from simulacra.api.reports.links import report_url
from simulacra.api.starts import accepted, initial_memo, start_job
from simulacra.api.state import AppState, app_state
from simulacra.api.upload import ReceivedUpload, receive_upload
from simulacra.api.views import Dataset, DatasetGraph, DatasetPage, DatasetSchema, DatasetValidation
from simulacra.engine.checks.graph_edits import edit_graph as apply_edits
from simulacra.engine.records import CausalGraph, FitReport
from simulacra.infra import layout
from simulacra.infra.scopes import Scope
from simulacra.workflows.contracts import (
    DATASET_WORKFLOW,
    DELETE_UPDATE,
    REFIT_UPDATE,
    RETENTION_UPDATE,
    DatasetInput,
    RefitRequest,
    RetentionChange,
    dataset_workflow_id,
    derived_id,
    job_id_for,
)

# A worker must take the update; without one the client gets a retryable 503 instead of a hang. (The
# SDK's rpc_timeout bounds each long poll, not the wait, so the whole call is bounded here too.)
UPDATE_TIMEOUT = timedelta(seconds=30)
UPDATE_SECONDS = UPDATE_TIMEOUT.total_seconds()


async def _start_dataset(
    state: AppState, tenant_id: str, dataset_id: str, staged: str, upload: ReceivedUpload, fields: UploadFields
) -> JSONResponse:
    retention_hours = fields.retention_hours or state.settings.default_retention_hours
    memo = initial_memo(
        state,
        "dataset",
        tenant_id,
        dataset_id,
        retention_hours,
        filename=upload.filename,
        size_bytes=upload.size,
    )
    job = DatasetInput(
        tenant_id=tenant_id,
        dataset_id=dataset_id,
        filename=upload.filename,
        expires_at=datetime.fromisoformat(memo.expires_at),
        upload_key=staged,
    )
    if fields.causal_hints:
        # Names are resolved against the cleaned schema during discovery; a bad name fails the job with a pointer.
        await run_in_threadpool(state.storage.write_json, layout.hints_key(tenant_id, dataset_id), fields.causal_hints)
    await start_job(state, DATASET_WORKFLOW, dataset_workflow_id(tenant_id, dataset_id), job, memo)
    return accepted(
        DatasetAccepted(dataset_id=dataset_id, job_id=job_id_for(dataset_id), status="queued"), job_id_for(dataset_id)
    )


async def create_dataset(request: Request, ctx: RequestContext) -> Response:
    state, principal = ctx.state, ctx.principal
    tenant_id, key = principal.tenant_id, idempotency_key(request)
    staged = layout.staging_key(tenant_id, uuid.uuid4().hex)
    upload = await receive_upload(request, state.storage, staged, state.settings.max_upload_bytes)
    started = False

    async def start(dataset_id: str, fields: UploadFields) -> JSONResponse:
        nonlocal started
        response = await _start_dataset(state, tenant_id, dataset_id, staged, upload, fields)
        started = True
        return response

    try:
        fields = validate(UploadFields, upload.fields)
        request_fingerprint = fingerprint(
            request, json.dumps({"sha256": upload.sha256, "fields": upload.fields}, sort_keys=True)
        )
        dataset_id = derived_id("ds", tenant_id, key, request_fingerprint)
        return await run_once(state.idempotency, tenant_id, key, request_fingerprint, lambda: start(dataset_id, fields))
    finally:
        # A started dataset's clean step reads the staged upload where it is (encrypted once, read once,
        # then removed); a refused or replayed request's copy is not needed.
        if not started:
            await run_in_threadpool(state.storage.delete_prefix, staged)


async def list_datasets(request: Request, ctx: RequestContext) -> JSONResponse:
    principal = ctx.principal
    scope = f"{principal.tenant_id}|datasets"
    limit, cursor = page_request(request, scope)
    snaps, token = await list_jobs(app_state(request).temporal, principal.tenant_id, ("dataset",), limit, cursor)
    page = DatasetPage(data=[dataset_view(s) for s in snaps], next_cursor=next_cursor(request, scope, token))
    return JSONResponse(page.model_dump())


async def _dataset_response(request: Request, tenant_id: str, dataset_id: str) -> JSONResponse:
    snap = await live_dataset(request, tenant_id, dataset_id)
    validation = None
    if snap.status == "ready" and snap.memo.model_version:
        key = layout.validation_key(tenant_id, dataset_id, snap.memo.model_version)
        # A model fitted before validation reports existed, or removed by retention a moment ago, has none.
        with contextlib.suppress(FileNotFoundError):
            validation = await run_in_threadpool(app_state(request).storage.read_document, key, DatasetValidation)
    view = dataset_view(snap, validation)
    if snap.status == "ready":
        view.report_url = report_url(request, tenant_id, f"/v1/datasets/{dataset_id}/report")
    return JSONResponse(view.model_dump())


async def get_dataset(request: Request, ctx: RequestContext) -> JSONResponse:
    principal = ctx.principal
    return await _dataset_response(request, principal.tenant_id, request.path_params["dataset_id"])


async def update_dataset(request: Request, ctx: RequestContext) -> JSONResponse:
    """Change the retention: the workflow re-arms its timer, so the new expiry is as durable as the first."""
    state, principal = ctx.state, ctx.principal
    dataset_id = request.path_params["dataset_id"]
    update = validate(DatasetUpdate, await read_json(request))
    snap = await live_dataset(request, principal.tenant_id, dataset_id)
    created = datetime.fromisoformat(snap.memo.created_at)
    expires_at = created + timedelta(seconds=update.retention_hours * state.settings.retention_hour_seconds)
    if expires_at <= datetime.now(expires_at.tzinfo):
        raise ApiError(
            "simio_invalid_field",
            "That retention has already run out; use DELETE to remove the dataset now.",
            errors=[{"pointer": "/retention_hours", "message": "ends in the past"}],
        )
    handle = state.temporal.get_workflow_handle(dataset_workflow_id(principal.tenant_id, dataset_id))
    with _update_errors(dataset_id):
        change = RetentionChange(expires_at=expires_at, retention_hours=update.retention_hours)
        await asyncio.wait_for(
            handle.execute_update(RETENTION_UPDATE, change, rpc_timeout=UPDATE_TIMEOUT), UPDATE_SECONDS
        )
    await ctx.audit(
        "retention_changed",
        dataset_id=dataset_id,
        retention_hours_before=snap.memo.retention_hours,
        retention_hours=update.retention_hours,
    )
    return await _dataset_response(request, principal.tenant_id, dataset_id)


async def get_schema(request: Request, ctx: RequestContext) -> JSONResponse:
    principal = ctx.principal
    dataset_id = request.path_params["dataset_id"]
    _, schema = await ready_dataset(request, principal.tenant_id, dataset_id)
    return JSONResponse(DatasetSchema(dataset_id=dataset_id, **dict(schema)).model_dump(mode="json", exclude_none=True))


async def get_graph(request: Request, ctx: RequestContext) -> JSONResponse:
    principal = ctx.principal
    dataset_id = request.path_params["dataset_id"]
    snap, _ = await ready_dataset(request, principal.tenant_id, dataset_id)
    version = snap.memo.model_version or 1
    storage = app_state(request).storage
    try:
        graph_key = layout.graph_key(principal.tenant_id, dataset_id, version)
        graph = await run_in_threadpool(storage.read_document, graph_key, CausalGraph)
        fit_key = layout.fit_report_key(principal.tenant_id, dataset_id, version)
        fit = await run_in_threadpool(storage.read_document, fit_key, FitReport)
    except FileNotFoundError:  # removed by its retention timer a moment ago
        raise DATASET.not_found(dataset_id) from None
    return JSONResponse(DatasetGraph.of(dataset_id, version, graph, fit).model_dump(mode="json", by_alias=True))


async def edit_graph(request: Request, ctx: RequestContext) -> JSONResponse:
    """Apply edge edits and refit as the next model version (202; poll the dataset's job)."""
    state, principal = ctx.state, ctx.principal
    tenant_id, dataset_id = principal.tenant_id, request.path_params["dataset_id"]
    edits = validate(GraphEditRequest, await read_json(request))
    snap, schema = await ready_dataset(request, tenant_id, dataset_id)
    version = snap.memo.model_version or 1
    if edits.model_version is not None and edits.model_version != version:
        raise ApiError(
            "simio_graph_version_conflict", f"You edited version {edits.model_version}; current is {version}."
        )
    graph_key = layout.graph_key(tenant_id, dataset_id, version)
    graph = await run_in_threadpool(state.storage.read_document, graph_key, CausalGraph)
    edited = apply_edits(graph, [edit.model_dump(by_alias=True) for edit in edits.edits], schema=schema)
    handle = state.temporal.get_workflow_handle(dataset_workflow_id(tenant_id, dataset_id))
    # The workflow checks that `version` is still current and stores the edited graph itself, so two
    # concurrent edits cannot both land on the same version.
    with _update_errors(dataset_id):
        new_version = await asyncio.wait_for(
            handle.execute_update(
                REFIT_UPDATE,
                RefitRequest(base_version=version, graph=edited.model_dump(mode="json")),
                result_type=int,
                rpc_timeout=UPDATE_TIMEOUT,
            ),
            UPDATE_SECONDS,
        )
    body = RefitAccepted(
        dataset_id=dataset_id, job_id=job_id_for(dataset_id), status="ready", model_version=new_version
    )
    return accepted(body, body.job_id)


@contextlib.contextmanager
def _update_errors(dataset_id: str) -> Iterator[None]:
    """A workflow update refused, timed out or aimed at a finished workflow, as the client should see it."""
    try:
        yield
    except WorkflowUpdateFailedError as exc:  # the validator refused it
        cause = exc.cause
        code = cause.type if isinstance(cause, ApplicationError) and cause.type in REGISTRY else None
        raise ApiError(code or "simio_dataset_not_ready", str(cause)) from None
    except (WorkflowUpdateRPCTimeoutOrCancelledError, TimeoutError):
        raise ApiError("simio_service_unavailable", "No worker took the request in time; retry it.") from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:  # it expired between our look and the update
            raise DATASET.not_found(dataset_id) from None
        raise ApiError("simio_service_unavailable", "The request did not complete; retry it.") from None


async def delete_dataset(request: Request, ctx: RequestContext) -> Response:
    """Remove the dataset: 404 to every reader at once, and nothing of it left in storage on return."""
    principal = ctx.principal
    dataset_id = request.path_params["dataset_id"]
    await live_dataset(request, principal.tenant_id, dataset_id)
    handle = app_state(request).temporal.get_workflow_handle(dataset_workflow_id(principal.tenant_id, dataset_id))
    with _update_errors(dataset_id):
        await asyncio.wait_for(handle.execute_update(DELETE_UPDATE, rpc_timeout=UPDATE_TIMEOUT), UPDATE_SECONDS)
    await ctx.audit("dataset_deleted", dataset_id=dataset_id)
    return Response(status_code=204)


operations = [
    Operation(
        "createDataset",
        "POST",
        "/v1/datasets",
        create_dataset,
        "Upload a seed table",
        "datasets",
        description="Multipart upload (field `file`: CSV, gzip CSV, Parquet, Arrow IPC or SPSS .sav; at most "
        "`SIMULACRA_MAX_TABLE_COLUMNS` columns and `SIMULACRA_MAX_TABLE_ROWS` rows once decoded, else the job "
        "fails with `simio_too_many_columns` or `simio_table_too_large`). Starts the dataset job: "
        "clean, discover, fit.",
        scopes=(Scope.DATASETS_WRITE,),
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
        "listDatasets",
        "GET",
        "/v1/datasets",
        list_datasets,
        "List datasets, newest first",
        "datasets",
        description="Cursor pagination: `limit` (1 to 100, default 20) and the `cursor` from the previous page's "
        "`next_cursor`. Expired and deleted datasets are not listed.",
        scopes=(Scope.DATASETS_READ,),
        returns=DatasetPage,
        query=PAGE_QUERY,
        errors=("simio_invalid_field", "simio_cursor_not_found"),
    ),
    Operation(
        "getDataset",
        "GET",
        "/v1/datasets/{dataset_id}",
        get_dataset,
        "Get a dataset",
        "datasets",
        description="Status, sizes, retention and the current `model_version`. Once ready it carries `validation`, "
        "the model's validation report: held-out fidelity (rows sampled from a model fitted without 20% of the "
        "seed rows, at most 2,000, scored against them beside a real-vs-real reference), each column's mechanism "
        "with its "
        "held-out score, and a falsification test of the graph's implied conditional independences with a "
        '`verdict` ("not falsified" or "falsified: ..."). The docs page "The causal model", section '
        '"What validated means", explains each number.',
        scopes=(Scope.DATASETS_READ,),
        returns=Dataset,
        errors=("simio_dataset_not_found",),
    ),
    Operation(
        "getDatasetGraph",
        "GET",
        "/v1/datasets/{dataset_id}/graph",
        get_graph,
        "Get the learned causal graph and each column's mechanism",
        "datasets",
        description="Directed edges with bootstrap stability, each node's mechanism and fit quality, and warnings "
        "about orientations the data could not decide.",
        scopes=(Scope.DATASETS_READ,),
        returns=DatasetGraph,
        errors=("simio_dataset_not_found", "simio_dataset_not_ready", "simio_dataset_failed"),
    ),
    Operation(
        "editDatasetGraph",
        "PATCH",
        "/v1/datasets/{dataset_id}/graph",
        edit_graph,
        "Add, remove or reverse edges, then refit as a new model version",
        "datasets",
        description="Edits are checked first (the graph stays acyclic and consistent with the upload's "
        "causal_hints). The model refits through the dataset's workflow; poll its job. Generations name the "
        "model version they sampled from; ones already running keep theirs.",
        scopes=(Scope.DATASETS_WRITE,),
        body=GraphEditRequest,
        status=202,
        returns=RefitAccepted,
        errors=(
            "simio_invalid_json",
            "simio_body_too_large",
            "simio_invalid_field",
            "simio_graph_cycle",
            "simio_graph_hint_conflict",
            "simio_graph_version_conflict",
            "simio_dataset_not_found",
            "simio_dataset_not_ready",
            "simio_dataset_failed",
        ),
        links={"GetJob": Link("getJob", "job_id", "job_id")},
    ),
    Operation(
        "updateDataset",
        "PATCH",
        "/v1/datasets/{dataset_id}",
        update_dataset,
        "Change a dataset's retention",
        "datasets",
        description="`retention_hours` counts from the dataset's creation, like the first window (1 to 168): "
        "lengthen or shorten it; the returned dataset shows the new `expires_at`. Recorded in the audit log.",
        scopes=(Scope.DATASETS_WRITE,),
        body=DatasetUpdate,
        returns=Dataset,
        errors=("simio_invalid_json", "simio_body_too_large", "simio_invalid_field", "simio_dataset_not_found"),
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
        scopes=(Scope.DATASETS_WRITE,),
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
        scopes=(Scope.DATASETS_READ,),
        returns=DatasetSchema,
        errors=("simio_dataset_not_found", "simio_dataset_not_ready", "simio_dataset_failed"),
    ),
]
