"""Health, readiness and the error-code pages (JSON from the registry, HTML rendered by api/reference/)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from simulacra.api.context import RequestContext
from simulacra.api.errors import REGISTRY, SUPPORT, ApiError
from simulacra.api.ids import ERROR_CODE
from simulacra.api.operations import Operation
from simulacra.api.views import Health, Readiness


async def healthz(request: Request, ctx: RequestContext) -> JSONResponse:
    return JSONResponse(Health(status="ok").model_dump())


async def readyz(request: Request, ctx: RequestContext) -> JSONResponse:
    """Ready when Temporal and storage both answer (what a load balancer should route on)."""
    state = ctx.state
    checks = {}
    try:
        await state.temporal.service_client.check_health()
        checks["temporal"] = "ok"
    except Exception as exc:  # any failure means "not ready"; the reason is for the operator
        checks["temporal"] = type(exc).__name__
    try:
        await run_in_threadpool(state.storage.children, "")
        checks["storage"] = "ok"
    except Exception as exc:
        checks["storage"] = type(exc).__name__
    failing = [name for name, result in checks.items() if result != "ok"]
    if failing:
        raise ApiError("simio_service_unavailable", f"Not ready: {', '.join(failing)} did not answer.")
    return JSONResponse(Readiness(status="ready", checks=checks).model_dump())


def _entry(code: str) -> dict[str, object]:
    spec = REGISTRY[code]
    return {
        "code": code,
        "status": spec.status,
        "title": spec.title,
        "retryable": spec.retryable,
        "cause": spec.cause,
        "fix": spec.fix,
        "support": SUPPORT,
    }


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def error_index(request: Request, ctx: RequestContext) -> Response:
    if _wants_json(request):
        return JSONResponse({"errors": [_entry(code) for code in sorted(REGISTRY)]})
    return HTMLResponse(request.app.state.documents.reference.errors_html)


async def error_page(request: Request, ctx: RequestContext) -> Response:
    code = request.path_params["code"]
    if code not in REGISTRY:
        raise ERROR_CODE.not_found(code)
    if _wants_json(request):
        return JSONResponse(_entry(code))
    return HTMLResponse(request.app.state.documents.reference.error_html[code])


operations = [
    Operation("getHealth", "GET", "/healthz", healthz, "Process is up", "meta", returns=Health),
    Operation("getReadiness", "GET", "/readyz", readyz, "Temporal and storage answer", "meta", returns=Readiness),
    Operation(
        "listErrors",
        "GET",
        "/errors",
        error_index,
        "Every error code",
        "meta",
        media_types=("text/html", "application/json"),
    ),
    Operation(
        "getError",
        "GET",
        "/errors/{code}",
        error_page,
        "One error code: cause, fix, retry, support",
        "meta",
        media_types=("text/html", "application/json"),
        errors=("simio_not_found",),
    ),
]
