"""Generations: create under conditions, read, download the artifact through a signed URL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from simulacra.api.bodies import validate
from simulacra.api.context import RequestContext
from simulacra.api.errors import ApiError
from simulacra.api.ids import GENERATION, seed_for
from simulacra.api.jobs import DOWNLOADABLE
from simulacra.api.listing import PAGE_QUERY, list_jobs, next_cursor, page_request
from simulacra.api.lookups import generation_job, live_dataset, live_generation, ready_dataset
from simulacra.api.models import GenerationAccepted, GenerationRequest
from simulacra.api.operations import Link, Operation
from simulacra.api.ranges import requested_range
from simulacra.api.reports.links import report_url
from simulacra.api.starts import accepted, initial_memo, start_job, start_once
from simulacra.api.state import AppState, app_state
from simulacra.api.views import Generation, JobPage
from simulacra.engine.checks.conditions import parse_conditions
from simulacra.infra import layout
from simulacra.infra.encryption import DecryptingReader
from simulacra.infra.scopes import Scope
from simulacra.infra.usage import ReservationConflict, WindowExceeded
from simulacra.workflows.contracts import (
    GENERATION_WORKFLOW,
    GenerationInput,
    generation_workflow_id,
    job_id_for,
)

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "arrow": "application/vnd.apache.arrow.file",
}


async def _start_generation(
    request: Request, state: AppState, tenant_id: str, dataset_id: str, generation_id: str, data: object
) -> JSONResponse:
    spec = validate(GenerationRequest, data)
    if spec.row_count > state.settings.max_generation_rows:
        raise ApiError(
            "simio_invalid_field",
            f"/row_count: at most {state.settings.max_generation_rows} rows",
            errors=[{"pointer": "/row_count", "message": "too many rows"}],
        )
    dataset, schema = await ready_dataset(request, tenant_id, dataset_id)
    model_version = dataset.memo.model_version or 1
    conditions = spec.conditions.model_dump()
    parse_conditions(conditions, schema)
    retention_hours = spec.retention_hours or state.settings.default_retention_hours
    seed = spec.seed if spec.seed is not None else seed_for(generation_id)
    memo = initial_memo(
        state,
        "generation",
        tenant_id,
        dataset_id,
        retention_hours,
        generation_id=generation_id,
        rows_requested=spec.row_count,
        format=spec.format,
        seed=seed,
        conditions=conditions,
        model_version=model_version,
    )
    job = GenerationInput(
        tenant_id=tenant_id,
        dataset_id=dataset_id,
        generation_id=generation_id,
        row_count=spec.row_count,
        conditions=conditions,
        format=spec.format,
        seed=seed,
        model_version=model_version,
        expires_at=datetime.fromisoformat(memo.expires_at),
        shard_rows=max(1, state.settings.generation_shard_rows),
        parallel_shards=max(1, state.settings.generation_parallel_shards),
    )
    await _reserve_rows(state, tenant_id, generation_id, spec.row_count)
    try:
        await start_job(state, GENERATION_WORKFLOW, generation_workflow_id(tenant_id, generation_id), job, memo)
    except ApiError:
        await run_in_threadpool(state.usage.settle, generation_id, 0)
        raise
    body = GenerationAccepted(
        generation_id=generation_id, dataset_id=dataset_id, job_id=job_id_for(generation_id), status="queued"
    )
    return accepted(body, body.job_id)


async def _reserve_rows(state: AppState, tenant_id: str, generation_id: str, rows: int) -> None:
    try:
        await run_in_threadpool(state.usage.reserve, tenant_id, generation_id, rows)
    except WindowExceeded as exc:
        usage = exc.args[0]
        raise ApiError(
            "simio_row_quota_exceeded",
            f"{rows} rows would exceed this period's window: {usage.rows_generated} of {usage.rows_per_period}"
            f" rows already generated in {usage.period}.",
        ) from None
    except ReservationConflict as exc:
        usage = exc.args[0]
        raise ApiError(
            "simio_quota_reservation_conflict",
            f"Generations still running hold {usage.rows_reserved} of the remaining rows; retry when they finish.",
            headers={"Retry-After": "5"},
        ) from None


async def create_generation(request: Request, ctx: RequestContext) -> Response:
    state, principal = ctx.state, ctx.principal
    dataset_id = request.path_params["dataset_id"]
    return await start_once(
        request,
        principal.tenant_id,
        "gen",
        lambda generation_id, data: _start_generation(
            request, state, principal.tenant_id, dataset_id, generation_id, data
        ),
    )


async def get_generation(request: Request, ctx: RequestContext) -> JSONResponse:
    principal = ctx.principal
    snap = await live_generation(request, principal.tenant_id, request.path_params["generation_id"])
    job = generation_job(request, principal.tenant_id, snap)
    memo = snap.memo
    report, link = None, None
    if snap.status in DOWNLOADABLE:
        link = report_url(request, principal.tenant_id, f"/v1/generations/{memo.generation_id}/report")
        key = layout.generation_report_key(principal.tenant_id, str(memo.generation_id))
        with contextlib.suppress(FileNotFoundError):  # removed by its retention timer a moment ago
            report = await run_in_threadpool(app_state(request).storage.read_json, key)
    body = Generation(
        **job.model_dump(),
        format=memo.format,
        seed=memo.seed,
        conditions=memo.conditions,
        model_version=memo.model_version,
        expires_at=memo.expires_at,
        report=report,
        report_url=link,
    )
    return JSONResponse(body.model_dump())


async def list_generations(request: Request, ctx: RequestContext) -> JSONResponse:
    principal = ctx.principal
    dataset_id = request.path_params["dataset_id"]
    await live_dataset(request, principal.tenant_id, dataset_id)
    scope = f"{principal.tenant_id}|generations|{dataset_id}"
    limit, cursor = page_request(request, scope)
    snaps, token = await list_jobs(
        app_state(request).temporal, principal.tenant_id, ("generation",), limit, cursor, dataset_id=dataset_id
    )
    data = [generation_job(request, principal.tenant_id, snap) for snap in snaps]
    return JSONResponse(JobPage(data=data, next_cursor=next_cursor(request, scope, token)).model_dump())


def _chunks(handle: DecryptingReader, start: int, length: int) -> Iterator[bytes]:
    with handle:
        if start:
            handle.seek(start)  # reads and authenticates only the chunks the range spans
        while length > 0 and (chunk := handle.read(min(256 * 1024, length))):
            length -= len(chunk)
            yield chunk


async def download_artifact(request: Request, ctx: RequestContext) -> Response:
    """The router has judged the signed link already (api/signed_links.py)."""
    state, principal = ctx.state, ctx.principal
    generation_id = request.path_params["generation_id"]
    snap = await live_generation(request, principal.tenant_id, generation_id)
    if snap.status not in DOWNLOADABLE:
        raise ApiError("simio_artifact_not_ready", f"Generation {generation_id!r} is {snap.status}.")
    fmt = snap.memo.format or "csv"
    key = layout.artifact_key(principal.tenant_id, generation_id, fmt)
    try:
        handle = await run_in_threadpool(state.storage.open_read, key)
    except FileNotFoundError:  # removed by its retention timer a moment ago
        raise GENERATION.not_found(generation_id) from None
    size = handle.plaintext_size
    # A generation's artifact never changes once downloadable: its id and format name its bytes.
    etag = f'"{generation_id}.{fmt}"'
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Content-Disposition": f'attachment; filename="{generation_id}.{fmt}"',
        "Cache-Control": "no-store",
    }
    try:
        # If-Range: resume only the same artifact; any other validator gets the whole file.
        wanted = request.headers.get("if-range", etag) == etag
        span = requested_range(request.headers.get("range"), size) if wanted else None
    except ApiError as exc:
        handle.close()
        exc.headers["Accept-Ranges"] = "bytes"
        raise
    start, last = span or (0, size - 1)
    status = 200
    if span is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{last}/{size}"
    # The exact byte count, from the stored object's framing: clients can tell a complete download.
    headers["Content-Length"] = str(last - start + 1)
    return StreamingResponse(
        _chunks(handle, start, last - start + 1), status_code=status, media_type=MEDIA_TYPES[fmt], headers=headers
    )


operations = [
    Operation(
        "createGeneration",
        "POST",
        "/v1/datasets/{dataset_id}/generations",
        create_generation,
        "Generate rows under conditions",
        "generations",
        description="Conditions are interventions by default (do-operator): the set columns are fixed, their "
        "descendants react, their ancestors keep the seed's distribution.",
        scopes=(Scope.GENERATIONS_WRITE,),
        body=GenerationRequest,
        status=202,
        returns=GenerationAccepted,
        errors=(
            "simio_invalid_json",
            "simio_body_too_large",
            "simio_invalid_field",
            "simio_dataset_not_found",
            "simio_dataset_not_ready",
            "simio_dataset_failed",
            "simio_unknown_condition_column",
            "simio_unknown_condition_level",
            "simio_row_quota_exceeded",
            "simio_quota_reservation_conflict",
        ),
        links={
            "GetJob": Link("getJob", "job_id", "job_id"),
            "GetGeneration": Link("getGeneration", "generation_id", "generation_id"),
        },
    ),
    Operation(
        "listDatasetGenerations",
        "GET",
        "/v1/datasets/{dataset_id}/generations",
        list_generations,
        "List a dataset's generations, newest first",
        "generations",
        description="Cursor pagination as for datasets. Each entry is the generation's job, with `artifact_url` "
        "once its rows are downloadable.",
        scopes=(Scope.GENERATIONS_READ,),
        returns=JobPage,
        query=PAGE_QUERY,
        errors=("simio_invalid_field", "simio_cursor_not_found", "simio_dataset_not_found"),
    ),
    Operation(
        "getGeneration",
        "GET",
        "/v1/generations/{generation_id}",
        get_generation,
        "Get a generation (with its artifact_url once ready)",
        "generations",
        scopes=(Scope.GENERATIONS_READ,),
        returns=Generation,
        errors=("simio_generation_not_found",),
    ),
    Operation(
        "downloadArtifact",
        "GET",
        "/v1/generations/{generation_id}/artifact",
        download_artifact,
        "Download generated rows",
        "generations",
        description="Use the `artifact_url` of a ready generation as it is (it carries `expires` and "
        "`signature`, valid 15 minutes by default), with a bearer token of the same tenant. An altered link answers "
        "403 "
        "`simio_invalid_signature`, an expired one 403 `simio_signature_expired` (fetch the generation for a fresh "
        "link), and a link issued to another tenant 404 `simio_generation_not_found`, like any generation you lack. "
        "`Content-Length` is the artifact's exact size. Downloads resume: send `Range: bytes={first}-` (one range, "
        "RFC 9110) for `206 Partial Content` with `Content-Range`, optionally with `If-Range` set to the `ETag`; a "
        "range starting past the end answers 416 `simio_range_not_satisfiable`.",
        scopes=(Scope.GENERATIONS_READ,),
        media_types=("text/csv", "application/vnd.apache.parquet", "application/vnd.apache.arrow.file"),
        attachment=True,
        signed_link=True,
        query={"expires": "Unix time the link stops working (from artifact_url).", "signature": "From artifact_url."},
        errors=(
            "simio_invalid_signature",
            "simio_signature_expired",
            "simio_generation_not_found",
            "simio_artifact_not_ready",
            "simio_range_not_satisfiable",
        ),
    ),
]
