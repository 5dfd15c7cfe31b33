"""Usage: generated rows this period against the tenant's row window."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from simulacra.api.context import RequestContext
from simulacra.api.operations import Operation
from simulacra.api.views import Usage, UsagePeriod
from simulacra.infra.scopes import Scope
from simulacra.infra.usage import FREE_ROWS_PER_PERIOD


async def get_usage(request: Request, ctx: RequestContext) -> JSONResponse:
    principal = ctx.principal
    ledger = ctx.state.usage
    current = await run_in_threadpool(ledger.usage, principal.tenant_id)
    history = await run_in_threadpool(ledger.history, principal.tenant_id)
    body = Usage(
        tenant=principal.tenant_id,
        period=current.period,
        rows_per_period=current.rows_per_period,
        rows_generated=current.rows_generated,
        rows_reserved=current.rows_reserved,
        rows_remaining=current.rows_remaining,
        free_rows_per_period=FREE_ROWS_PER_PERIOD,
        free_rows_remaining=current.free_rows_remaining,
        periods=[UsagePeriod(period=period, rows_generated=rows) for period, rows in history],
    )
    return JSONResponse(body.model_dump())


operations = [
    Operation(
        "getUsage",
        "GET",
        "/v1/usage",
        get_usage,
        "Rows generated this month against the tenant's window",
        "usage",
        scopes=(Scope.DATASETS_READ, Scope.GENERATIONS_READ),
        returns=Usage,
    ),
]
