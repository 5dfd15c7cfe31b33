"""Jobs: one poll endpoint for dataset, generation and effect work."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from simulacra.api.context import RequestContext
from simulacra.api.ids import JOB
from simulacra.api.jobs import Snapshot, job_view, snapshot
from simulacra.api.listing import PAGE_QUERY, list_jobs, next_cursor, page_request
from simulacra.api.lookups import effect_visible, generation_job
from simulacra.api.models import Job
from simulacra.api.operations import Operation
from simulacra.api.state import app_state
from simulacra.api.views import JobPage
from simulacra.infra.scopes import Scope
from simulacra.infra.tokens import Principal
from simulacra.workflows.contracts import workflow_id_for_job

# The scope that reads each kind of job.
READ_SCOPE = {"dataset": Scope.DATASETS_READ, "generation": Scope.GENERATIONS_READ, "effect": Scope.GENERATIONS_READ}
# Any scope that reads some kind of job.
ANY_READ_SCOPE = tuple(dict.fromkeys(READ_SCOPE.values()))


async def get_job(request: Request, ctx: RequestContext) -> JSONResponse:
    principal = ctx.principal
    job_id = request.path_params["job_id"]
    workflow_id = workflow_id_for_job(principal.tenant_id, job_id)
    snap = await snapshot(app_state(request).temporal, workflow_id) if workflow_id else None
    if snap is None or not await _visible(request, principal, snap):
        raise JOB.not_found(job_id)
    if snap.memo.kind == "generation" and not snap.gone:
        return JSONResponse(generation_job(request, principal.tenant_id, snap).model_dump())
    return JSONResponse(job_view(snap).model_dump())


async def _visible(request: Request, principal: Principal, snap: Snapshot) -> bool:
    """A token sees the kinds its scopes read (as in the list), and an effect no longer than its dataset."""
    kind = snap.memo.kind
    if READ_SCOPE.get(kind) not in principal.scopes:
        return False
    if kind != "effect" or snap.gone:
        return True
    return await effect_visible(app_state(request).temporal, principal.tenant_id, snap)


async def list_all_jobs(request: Request, ctx: RequestContext) -> JSONResponse:
    principal = ctx.principal
    kinds = tuple(kind for kind, scope in READ_SCOPE.items() if scope in principal.scopes)
    scope = f"{principal.tenant_id}|jobs|{','.join(kinds)}"
    limit, cursor = page_request(request, scope)
    snaps, token = await list_jobs(app_state(request).temporal, principal.tenant_id, kinds, limit, cursor)
    data = [
        generation_job(request, principal.tenant_id, snap) if snap.memo.kind == "generation" else job_view(snap)
        for snap in snaps
    ]
    return JSONResponse(JobPage(data=data, next_cursor=next_cursor(request, scope, token)).model_dump())


operations = [
    Operation(
        "listJobs",
        "GET",
        "/v1/jobs",
        list_all_jobs,
        "List jobs (datasets, generations and effects), newest first",
        "jobs",
        description="Cursor pagination as for datasets; only the kinds your token's scopes may read.",
        scopes=ANY_READ_SCOPE,
        returns=JobPage,
        query=PAGE_QUERY,
        errors=("simio_invalid_field", "simio_cursor_not_found"),
    ),
    Operation(
        "getJob",
        "GET",
        "/v1/jobs/{job_id}",
        get_job,
        "Poll a job",
        "jobs",
        description="Answered from Temporal, so it works while no worker runs. Poll every `poll_interval_seconds` "
        "until `status` is ready, partial or failed.",
        scopes=ANY_READ_SCOPE,
        returns=Job,
        errors=("simio_job_not_found",),
    ),
]
