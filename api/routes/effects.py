"""Effects: the average causal effect of an intervention, estimated by a worker from the dataset's model.

The request is checked here against the schema and graph (engine.checks.effect_request, pure Python);
the estimate runs in the worker's engine processes, like a generation. An effect describes its
dataset's model, so it is stored under the dataset and answers 404 once the dataset is gone.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from simulacra.api.bodies import validate
from simulacra.api.context import RequestContext
from simulacra.api.ids import DATASET, seed_for
from simulacra.api.jobs import job_view
from simulacra.api.lookups import live_effect, ready_dataset
from simulacra.api.models import EffectAccepted, EffectRequest
from simulacra.api.operations import Link, Operation
from simulacra.api.reports.links import report_url
from simulacra.api.starts import accepted, initial_memo, start_job, start_once
from simulacra.api.state import AppState, app_state
from simulacra.api.views import Effect
from simulacra.engine.checks.effect_request import parse_effect_request
from simulacra.engine.records import CausalGraph
from simulacra.infra import layout
from simulacra.infra.scopes import Scope
from simulacra.workflows.contracts import EFFECT_WORKFLOW, EffectInput, effect_workflow_id, job_id_for

# What the engine reads from the request (retention is the API's business).
ENGINE_FIELDS = (
    "treatment",
    "outcome",
    "outcome_level",
    "segment_by",
    "samples",
    "seed",
    "confidence_level",
    "interval_method",
)


async def _start_effect(
    request: Request, state: AppState, tenant_id: str, dataset_id: str, effect_id: str, data: object
) -> JSONResponse:
    spec = validate(EffectRequest, data)
    dataset, schema = await ready_dataset(request, tenant_id, dataset_id)
    model_version = dataset.memo.model_version or 1
    try:
        graph_key = layout.graph_key(tenant_id, dataset_id, model_version)
        graph = await run_in_threadpool(state.storage.read_document, graph_key, CausalGraph)
    except FileNotFoundError:  # removed by its retention timer a moment ago
        raise DATASET.not_found(dataset_id) from None
    seed = spec.seed if spec.seed is not None else seed_for(effect_id)
    asked = parse_effect_request(
        {**spec.model_dump(by_alias=True, include=set(ENGINE_FIELDS)), "seed": seed}, schema, graph
    ).as_request()
    retention_hours = spec.retention_hours or state.settings.default_retention_hours
    memo = initial_memo(
        state,
        "effect",
        tenant_id,
        dataset_id,
        retention_hours,
        effect_id=effect_id,
        model_version=model_version,
        request=asked,
    )
    # Never outlive the dataset whose model it describes.
    expires_at = min(datetime.fromisoformat(memo.expires_at), datetime.fromisoformat(dataset.memo.expires_at))
    memo.expires_at = expires_at.isoformat()
    job = EffectInput(
        tenant_id=tenant_id,
        dataset_id=dataset_id,
        effect_id=effect_id,
        model_version=model_version,
        request=asked,
        expires_at=expires_at,
    )
    await start_job(state, EFFECT_WORKFLOW, effect_workflow_id(tenant_id, effect_id), job, memo)
    body = EffectAccepted(effect_id=effect_id, dataset_id=dataset_id, job_id=job_id_for(effect_id), status="queued")
    return accepted(body, body.job_id)


async def estimate_effect(request: Request, ctx: RequestContext) -> Response:
    state, principal = ctx.state, ctx.principal
    dataset_id = request.path_params["dataset_id"]
    return await start_once(
        request,
        principal.tenant_id,
        "eff",
        lambda effect_id, data: _start_effect(request, state, principal.tenant_id, dataset_id, effect_id, data),
    )


async def get_effect(request: Request, ctx: RequestContext) -> JSONResponse:
    principal = ctx.principal
    tenant_id, effect_id = principal.tenant_id, request.path_params["effect_id"]
    snap = await live_effect(request, tenant_id, effect_id)
    memo = snap.memo
    result = {}
    if snap.status == "ready":
        key = layout.effect_result_key(tenant_id, memo.dataset_id, effect_id)
        with contextlib.suppress(FileNotFoundError):  # removed by its retention timer a moment ago
            result = await run_in_threadpool(app_state(request).storage.read_json, key)
    body = Effect.model_validate(
        {
            **{field: value for field, value in result.items() if field in Effect.model_fields},
            **job_view(snap).model_dump(),
            **(memo.request or {}),
            "model_version": memo.model_version,
            "expires_at": memo.expires_at,
            "report_url": report_url(request, tenant_id, f"/v1/effects/{effect_id}/report") if result else None,
        }
    )
    return JSONResponse(body.model_dump(by_alias=True))


operations = [
    Operation(
        "estimateEffect",
        "POST",
        "/v1/datasets/{dataset_id}/effects",
        estimate_effect,
        "Estimate a causal effect, e.g. of do(price: 4.99 -> 5.49) on purchase_intent",
        "effects",
        description="E[outcome | do(treatment = to)] - E[outcome | do(treatment = from)] from the dataset's current "
        "model: the same engine and sampling path as an intervene-mode generation, so with the same seed and "
        "`samples` rows the arms' means are those of the two generations. A numeric outcome gives a mean difference; "
        "a categorical or boolean one the change in the share of `outcome_level`. `segment_by` adds the effect per "
        "level. Returns 202; poll the job, then read the effect (estimate, confidence interval, support, graph "
        "path, and how the graph's uncertainty moves the effect: `structure` and `effect_range`). Effects bill no "
        "rows.",
        scopes=(Scope.GENERATIONS_WRITE,),
        body=EffectRequest,
        status=202,
        returns=EffectAccepted,
        errors=(
            "simio_invalid_json",
            "simio_body_too_large",
            "simio_invalid_field",
            "simio_dataset_not_found",
            "simio_dataset_not_ready",
            "simio_dataset_failed",
            "simio_unknown_condition_column",
            "simio_unknown_condition_level",
        ),
        links={
            "GetJob": Link("getJob", "job_id", "job_id"),
            "GetEffect": Link("getEffect", "effect_id", "effect_id"),
        },
    ),
    Operation(
        "getEffect",
        "GET",
        "/v1/effects/{effect_id}",
        get_effect,
        "Get an effect (with its estimate once ready)",
        "effects",
        description="While the job runs, the request and its status; once `ready`, `estimate`, `ci_low`/`ci_high` "
        "at `confidence_level`, `method` and `interval_covers` (what the interval accounts for), `arms`, `support`, "
        "`segments` (if asked), `graph_path`, `structure` (the rediscovered graphs: paths found, contested edges "
        "and the effect with and without each), `effect_range` (the effect over the orientations the data leave "
        "open) and `note`. 404 once the effect or its dataset expired or was deleted.",
        scopes=(Scope.GENERATIONS_READ,),
        returns=Effect,
        errors=("simio_effect_not_found",),
    ),
]
