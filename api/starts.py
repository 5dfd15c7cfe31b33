"""Start a job's workflow with its public memo (once per Idempotency-Key), and answer 202 the same way for every job."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from simulacra.api.bodies import fingerprint, read_json
from simulacra.api.errors import ApiError
from simulacra.api.idempotency import idempotency_key, run_once
from simulacra.api.state import AppState, app_state
from simulacra.workflows.contracts import DATASET_ID, JOB_STATUS, STAGE, TENANT_ID, JobKind, JobMemo, derived_id


def initial_memo(
    state: AppState, kind: JobKind, tenant_id: str, dataset_id: str, retention_hours: int, **fields: Any
) -> JobMemo:
    """What a job shows before any worker touched it (so: while none runs, too)."""
    now = datetime.now(UTC)
    seconds = retention_hours * state.settings.retention_hour_seconds
    return JobMemo(
        kind=kind,
        tenant_id=tenant_id,
        dataset_id=dataset_id,
        created_at=now.isoformat(),
        updated_at=now.isoformat(),
        retention_hours=retention_hours,
        expires_at=(now + timedelta(seconds=seconds)).isoformat(),
        **fields,
    )


async def start_job(state: AppState, workflow: str, workflow_id: str, payload: BaseModel, memo: JobMemo) -> None:
    """Start the workflow; starting one that exists already (a retried request) is success."""
    try:
        await state.temporal.start_workflow(
            workflow,
            payload,
            id=workflow_id,
            task_queue=state.settings.task_queue,
            memo=memo.model_dump(exclude_none=True),
            # Indexed from the start, so lists find a job before any worker has touched it.
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(TENANT_ID, memo.tenant_id),
                    SearchAttributePair(DATASET_ID, memo.dataset_id),
                    SearchAttributePair(JOB_STATUS, "queued"),
                    SearchAttributePair(STAGE, "queued"),
                ]
            ),
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            # Never a second run under the same id: a request replayed after its idempotency record
            # lapsed must not make (and bill) the rows again.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return  # the same request, accepted before: its job exists
    except RPCError:
        # The start may have reached the server before the error: then the job exists and runs.
        if not await _exists(state, workflow_id):
            raise ApiError("simio_service_unavailable", "Could not queue the job; retry with the same key.") from None


async def _exists(state: AppState, workflow_id: str) -> bool:
    try:
        await state.temporal.get_workflow_handle(workflow_id).describe()
        return True
    except RPCError:
        return False


def accepted(body: BaseModel, job_id: str) -> JSONResponse:
    return JSONResponse(
        body.model_dump(), status_code=202, headers={"Location": f"/v1/jobs/{job_id}", "Retry-After": "1"}
    )


async def start_once(
    request: Request, tenant_id: str, prefix: str, start: Callable[[str, Any], Awaitable[JSONResponse]]
) -> Response:
    """A job-creating POST: its resource id follows from (tenant, Idempotency-Key, request), and `start`
    runs once per key; identical retries get the first answer back."""
    key = idempotency_key(request)
    data = await read_json(request)
    request_fingerprint = fingerprint(request, json.dumps(data, sort_keys=True, separators=(",", ":")))
    resource_id = derived_id(prefix, tenant_id, key, request_fingerprint)
    return await run_once(
        app_state(request).idempotency, tenant_id, key, request_fingerprint, lambda: start(resource_id, data)
    )
