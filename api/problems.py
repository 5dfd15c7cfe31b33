"""Render every failure as RFC 9457 problem+json; unexpected ones carry nothing but the request id."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from temporalio.service import RPCError

from simulacra.api.context import request_id_var
from simulacra.api.errors import REGISTRY, ApiError
from simulacra.api.metrics import count_problem
from simulacra.engine.checks.errors import EngineInputError
from simulacra.infra.logs import get_logger

log = get_logger("api.errors")
PROBLEM_JSON = "application/problem+json"


def problem_response(
    request: Request, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    spec = REGISTRY[code]
    # From configuration, never from the Host header: a client must not be able to point the link elsewhere.
    doc_url = f"{request.app.state.simulacra.settings.base_url}/errors/{code}"
    body = {
        "type": doc_url,
        "title": spec.title,
        "status": spec.status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
        "retryable": spec.retryable,
        "request_id": request_id_var.get(),
        "doc_url": doc_url,
        **extra,
    }
    # Set here too: a response from the outermost error middleware never passes the request-id middleware.
    headers = {**(headers or {}), "X-Request-Id": request_id_var.get()}
    if spec.status == 503:
        headers.setdefault("Retry-After", "1")
    return Response(json.dumps(body), status_code=spec.status, media_type=PROBLEM_JSON, headers=headers)


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    count_problem(exc.code)
    return problem_response(request, exc.code, exc.detail, exc.headers, **exc.extra)


async def engine_input_error(request: Request, exc: Exception) -> Response:
    """The engine's checks (conditions, effect requests, graph edits) refuse input the caller can fix."""
    assert isinstance(exc, EngineInputError)
    if exc.code not in REGISTRY:  # a code the registry cannot document is our bug, not the caller's
        return await unexpected_error(request, exc)
    errors = [{"pointer": exc.pointer, "message": exc.detail}] if exc.pointer else []
    return problem_response(request, exc.code, exc.detail, errors=errors)


async def temporal_unavailable(request: Request, exc: Exception) -> Response:
    """A Temporal call that failed outright (its NOT_FOUNDs are answered where they are made): retry soon."""
    assert isinstance(exc, RPCError)
    log.warning("temporal_unavailable", path=request.url.path, status=exc.status.name)
    return problem_response(request, "simio_service_unavailable", "The job store (Temporal) did not answer; retry.")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # Starlette raises these itself: unknown routes and methods, and malformed forms (400).
    code = {404: "simio_not_found", 405: "simio_method_not_allowed"}.get(exc.status_code, "simio_invalid_field")
    if exc.status_code >= 500:
        code = "simio_internal"
    return problem_response(request, code, str(exc.detail), dict(exc.headers or {}))


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled_exception", path=request.url.path, exc_info=exc)
    return problem_response(request, "simio_internal", "An unexpected error occurred.")


exception_handlers = {
    ApiError: api_error,
    EngineInputError: engine_input_error,
    RPCError: temporal_unavailable,
    HTTPException: http_error,
    Exception: unexpected_error,
}
