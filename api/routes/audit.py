"""The tenant's audit trail, for holders of the `admin` scope."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from simulacra.api.context import RequestContext
from simulacra.api.credential_models import AuditEvent, AuditPage
from simulacra.api.errors import ApiError
from simulacra.api.listing import next_cursor, page_request
from simulacra.api.operations import Operation
from simulacra.infra.audit import time_bound
from simulacra.infra.scopes import Scope


def _time_param(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return time_bound(raw)
    except ValueError:
        raise ApiError(
            "simio_invalid_field",
            f"{name} must be an ISO 8601 date or time, e.g. 2026-11-28T10:00:00Z",
            errors=[{"pointer": f"/{name}", "message": "an ISO 8601 date or time"}],
        ) from None


async def list_audit_events(request: Request, ctx: RequestContext) -> JSONResponse:
    principal = ctx.principal
    scope = f"{principal.tenant_id}|audit"
    limit, cursor = page_request(request, scope)
    since, until = _time_param(request, "since"), _time_param(request, "until")
    after_id = int(cursor.decode()) if cursor else 0
    entries = await run_in_threadpool(
        ctx.state.audit.query,
        principal.tenant_id,
        since,
        until,
        request.query_params.get("action"),
        after_id,
        limit + 1,
    )
    page, more = entries[:limit], len(entries) > limit
    data = [
        AuditEvent(
            at=datetime.fromtimestamp(e.at, UTC).isoformat(),
            actor=e.actor,
            tenant=e.tenant_id,
            action=e.action,
            outcome=e.outcome,
            request_id=e.request_id,
            detail=e.detail,
        )
        for e in page
    ]
    token = str(page[-1].id).encode() if more else None
    return JSONResponse(AuditPage(data=data, next_cursor=next_cursor(request, scope, token)).model_dump())


operations = [
    Operation(
        "listAuditEvents",
        "GET",
        "/v1/audit",
        list_audit_events,
        "Your tenant's audit trail (admin)",
        "auth",
        description="Operator and security actions on your tenant (clients created, claimed, rotated, revoked; "
        "datasets deleted; ...) in the order they happened, with actor, time, request id and outcome. Never "
        "secrets. Needs the `admin` scope; operators see every tenant with `simulacra admin audit`.",
        scopes=(Scope.ADMIN,),
        returns=AuditPage,
        query={
            "since": "ISO 8601 time (UTC if no offset): entries at or after it.",
            "until": "ISO 8601 time: entries before it.",
            "action": "Only this action, e.g. `client_revoked`.",
            "limit": "Page size, 1 to 100 (default 20).",
            "cursor": "The `next_cursor` of the previous page.",
        },
        errors=("simio_invalid_field", "simio_cursor_not_found"),
    ),
]
