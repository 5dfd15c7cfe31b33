"""Health and the error-code pages generated from the registry."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from api.errors import REGISTRY, ApiError


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


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


async def error_index(request: Request) -> Response:
    entries = [_entry(code) for code in sorted(REGISTRY)]
    if _wants_json(request):
        return JSONResponse({"errors": entries})
    items = "".join(
        f'<li><a href="/errors/{e["code"]}"><code>{e["code"]}</code></a> ({e["status"]}) '
        f"{html.escape(str(e['title']))}</li>"
        for e in entries
    )
    return HTMLResponse(f"<!doctype html><title>Simulacra errors</title><h1>Error codes</h1><ul>{items}</ul>")


async def error_page(request: Request) -> Response:
    code = request.path_params["code"]
    if code not in REGISTRY:
        raise ApiError("simio_not_found", f"No error code {code!r}.")
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


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/errors", error_index, methods=["GET"]),
    Route("/errors/{code}", error_page, methods=["GET"]),
]
