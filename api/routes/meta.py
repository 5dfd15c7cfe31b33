"""Health, readiness and the error-code pages generated from the registry."""

from __future__ import annotations

import html

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from simulacra.api.context import RequestContext
from simulacra.api.errors import REGISTRY, ApiError
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
        "support": "Send support the request_id from the response body (also the X-Request-Id header).",
    }


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def error_index(request: Request, ctx: RequestContext) -> Response:
    entries = [_entry(code) for code in sorted(REGISTRY)]
    if _wants_json(request):
        return JSONResponse({"errors": entries})
    items = "".join(
        f'<li><a href="/errors/{e["code"]}"><code>{e["code"]}</code></a> ({e["status"]}) '
        f"{html.escape(str(e['title']))}</li>"
        for e in entries
    )
    return HTMLResponse(f"<!doctype html><title>Simulacra errors</title><h1>Error codes</h1><ul>{items}</ul>")


async def error_page(request: Request, ctx: RequestContext) -> Response:
    code = request.path_params["code"]
    if code not in REGISTRY:
        raise ERROR_CODE.not_found(code)
    entry = _entry(code)
    if _wants_json(request):
        return JSONResponse(entry)
    retry = "Yes: retry with the same Idempotency-Key." if entry["retryable"] else "No: fix the request first."
    page = (
        f"<!doctype html><title>{code}</title><h1><code>{code}</code></h1>"
        f"<p>HTTP {entry['status']}: {html.escape(str(entry['title']))}</p>"
        f"<h2>Cause</h2><p>{html.escape(str(entry['cause']))}</p>"
        f"<h2>Fix</h2><p>{html.escape(str(entry['fix']))}</p>"
        f"<h2>Retry</h2><p>{retry}</p><h2>Support</h2><p>{entry['support']}</p>"
    )
    return HTMLResponse(page)


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
