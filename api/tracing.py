"""The API's server span: one per request, named by the operation the router ran, with the request id and the
status answered (infra/tracing.py sets up the rest of the trace)."""

from __future__ import annotations

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulacra.api.context import request_id_var
from simulacra.api.secrecy import loggable_path
from simulacra.infra.tracing import Tracing, request_context

_TRACE_CONTEXT_HEADERS = (b"traceparent", b"tracestate")


class TracingMiddleware:
    """Pure ASGI, inside RequestContextMiddleware: the request id is set by the time a request gets here."""

    def __init__(self, app: ASGIApp, tracer: trace.Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in _TRACE_CONTEXT_HEADERS
        }
        # Attached, not only passed as the span's parent: the baggage must reach the Temporal client's spans too.
        token = context.attach(request_context(request_id_var.get(), headers))
        try:
            # Renamed to the operation id once the router has found one (name_server_span); a 404 keeps this name.
            with self.tracer.start_as_current_span(
                f"{scope['method']} unmatched",
                kind=SpanKind.SERVER,
                attributes={"http.request.method": scope["method"], "url.path": loggable_path(scope["path"])},
            ) as span:

                async def send_with_status(message: Message) -> None:
                    if message["type"] == "http.response.start":
                        span.set_attribute("http.response.status_code", message["status"])
                        if message["status"] >= 500:
                            span.set_status(Status(StatusCode.ERROR))
                    await send(message)

                try:
                    await self.app(scope, receive, send_with_status)
                except Exception:
                    # The server-error middleware, outside this one, answers it with a 500.
                    span.set_attribute("http.response.status_code", 500)
                    raise
        finally:
            context.detach(token)


def tracing_middleware(tracing: Tracing) -> list[Middleware]:
    """The middleware when tracing is on; none at all when it is off."""
    return [Middleware(TracingMiddleware, tracer=tracing.tracer)] if tracing.enabled else []


def name_server_span(operation_id: str, route: str) -> None:
    """Name the request's span after its operation (a no-op when nothing traces)."""
    span = trace.get_current_span()
    span.update_name(operation_id)
    span.set_attribute("http.route", route)
