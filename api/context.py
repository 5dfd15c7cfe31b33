"""Per-request context: the request id (with the pure-ASGI middleware that sets it and logs the request), and
the RequestContext the operation router hands each endpoint."""

from __future__ import annotations

import re
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulacra.api.metrics import OPERATION_KEY, observe_request
from simulacra.api.ratelimit import current_quota
from simulacra.api.secrecy import loggable_path
from simulacra.api.state import AppState
from simulacra.infra.credentials import Client
from simulacra.infra.logs import get_logger
from simulacra.infra.tokens import Principal

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
log = get_logger("api.request")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


class RequestContextMiddleware:
    """Pure ASGI (not BaseHTTPMiddleware) so the contextvars reach the endpoint and its logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else f"req_{uuid.uuid4().hex}"
        request_id_var.set(request_id)
        current_quota.set(None)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-Id"] = request_id
                quota = current_quota.get()
                if quota is not None:
                    headers.update(quota.headers())
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            observe_request(scope.get(OPERATION_KEY), status, elapsed)
            log.info(
                "request",
                method=scope["method"],
                path=loggable_path(scope["path"]),
                status=status,
                duration_ms=round(elapsed * 1000, 1),
            )


@dataclass(frozen=True)
class RequestContext:
    """What an endpoint works with: the app's state, this request's id, and the caller the router authenticated
    (None on an operation without scopes), or the tenant a sealed link was issued to."""

    state: AppState
    request_id: str
    caller: Principal | None = None
    link_tenant: str | None = None

    @property
    def principal(self) -> Principal:
        """The authenticated caller: every operation that declares scopes has one, checked before it runs."""
        if self.caller is None:
            raise RuntimeError("an operation without scopes has no authenticated caller")
        return self.caller

    async def audit(self, action: str, *, outcome: str = "ok", by: Client | None = None, **detail: Any) -> None:
        """Record `action` by the caller in its tenant (anonymous without one), under this request's id. `by`
        names the actor instead: a credential claim is anonymous until it hands a client its secret."""
        actor = by or self.caller
        who, tenant = (f"client:{actor.client_id}", actor.tenant_id) if actor else ("anonymous", "-")
        await run_in_threadpool(self.state.audit.record, who, tenant, action, outcome, self.request_id, **detail)
