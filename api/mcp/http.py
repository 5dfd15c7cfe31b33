"""Streamable HTTP at /mcp: the caller's bearer token is checked like on every REST route, and each tool call is
the REST operation, sent by the typed client to this same app in process with that token, so the route's
scopes, tenancy, idempotency and errors apply unchanged.

Stateless and JSON-answered: each POST stands alone, so any API replica can answer any message.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio.from_thread
import httpx
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from simulacra.api.auth import authenticate
from simulacra.api.client.client import Client
from simulacra.api.errors import ApiError
from simulacra.api.mcp.server import Context, build_server
from simulacra.api.mcp.tools import INLINE_UPLOAD_MAX_BYTES, tools_from_openapi
from simulacra.api.metrics import OPERATION_KEY
from simulacra.api.state import app_state

MCP_PATH = "/mcp"
METADATA_PATH = "/.well-known/oauth-protected-resource"
_TOKEN = "simulacra.mcp.token"
# A CSV escaped into JSON can grow (quotes, newlines); the rest of a message is small.
MAX_MESSAGE_BYTES = 2 * INLINE_UPLOAD_MAX_BYTES + 64 * 1024


class InProcess(httpx.BaseTransport):
    """The client's transport, for a client running in a worker thread: each request goes to the ASGI app on the
    event loop (the app buffers the answer; download_artifact only reads the start of a file through it)."""

    def __init__(self, app: ASGIApp) -> None:
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> tuple[int, httpx.Headers, bytes]:
            response = await self._asgi.handle_async_request(request)
            return response.status_code, response.headers, await response.aread()

        status, headers, content = anyio.from_thread.run(send)
        return httpx.Response(status, headers=headers, content=content, request=request)


@contextlib.contextmanager
def _in_process_client(ctx: Context) -> Iterator[Client]:
    request = ctx.request
    if not isinstance(request, Request):
        raise RuntimeError("an MCP message over HTTP carries its request")
    app = request.scope["app"]
    base_url = app_state(request).settings.base_url
    with httpx.Client(transport=InProcess(app)) as http:
        yield Client(base_url, token=request.scope[_TOKEN], http=http, max_attempts=3, max_retry_wait=10)


class McpService:
    """The MCP server of one app: built from its OpenAPI document in the app's lifespan."""

    def __init__(self, openapi: dict[str, Any]) -> None:
        tools = tools_from_openapi(openapi, local_files=False)
        self.server: Server = build_server(tools, _in_process_client, local_files=False)
        self.manager = StreamableHTTPSessionManager(
            self.server, json_response=True, stateless=True, max_request_body_size=MAX_MESSAGE_BYTES
        )

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.manager.run():
            yield


class _Endpoint:
    """A plain ASGI app (not a request-response function), so Starlette passes every method through."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _serve(scope, receive, send)


async def _serve(scope: Scope, receive: Receive, send: Send) -> None:
    scope[OPERATION_KEY] = "mcp"  # counted and timed as one operation; each tool call counts as its own too
    request = Request(scope, receive)
    try:
        await authenticate(request)
    except ApiError as exc:
        if exc.code != "simio_unauthorized":
            raise
        # The MCP authorization spec: a 401 names the protected-resource metadata, which names the issuer.
        metadata = f"{app_state(request).settings.base_url}{METADATA_PATH}"
        challenge = f'Bearer realm="simulacra", resource_metadata="{metadata}"'
        raise ApiError(exc.code, exc.detail, headers={"WWW-Authenticate": challenge}) from None
    scope[_TOKEN] = request.headers["authorization"].partition(" ")[2].strip()
    service: McpService = scope["app"].state.mcp
    await service.manager.handle_request(scope, receive, send)


route = Route(MCP_PATH, _Endpoint())
