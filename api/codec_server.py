"""`simulacra codec-server`: Temporal's remote codec protocol, so operators can read payloads in a Web UI.

POST {endpoint}/encode and {endpoint}/decode take and return `{"payloads": [...]}` (the JSON form of
temporal.api.common.v1.Payloads), as the Temporal Web UI and `temporal --codec-endpoint` send them.
Callers present the shared secret of infra/codec_access.py; browsers get CORS only from the Web UI's origins.
It is a separate process from the API on purpose: it decodes every tenant's payloads, so it listens on
loopback or an operators' network, never where tenants reach.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Awaitable, Callable, Sequence

from google.protobuf import json_format
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from simulacra.api.errors import REGISTRY
from simulacra.infra.codec_access import codec_server_secret, ui_origins
from simulacra.infra.config import Settings
from simulacra.infra.logs import get_logger
from simulacra.infra.payload_codec import PayloadDecryptionError

log = get_logger("codec_server")
# A page of history is many payloads of at most Temporal's 2 MiB each; a bound keeps a caller from exhausting memory.
MAX_BODY_BYTES = 32 * 1024 * 1024
Transform = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]


def create_codec_app(settings: Settings, codec: PayloadCodec) -> Starlette:
    secret = codec_server_secret(settings).encode()

    def problem(code: str, detail: str, headers: dict[str, str] | None = None) -> Response:
        spec = REGISTRY[code]
        body = {
            "type": f"{settings.base_url}/errors/{code}",
            "title": spec.title,
            "status": spec.status,
            "detail": detail,
            "code": code,
            "retryable": spec.retryable,
            "request_id": f"req_{uuid.uuid4().hex}",
        }
        return JSONResponse(body, spec.status, headers=headers, media_type="application/problem+json")

    def authorised(request: Request) -> bool:
        presented = request.path_params.get("secret")
        if presented is None:
            scheme, _, presented = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer":
                return False
        return hmac.compare_digest(presented.strip().encode(), secret)

    def endpoint(transform: Transform, action: str) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            if not authorised(request):
                detail = "Present the codec server's secret: `Authorization: Bearer <secret>`, or as the endpoint path."
                return problem("simio_unauthorized", detail, {"WWW-Authenticate": 'Bearer realm="codec"'})
            body = await _bounded_body(request)
            if body is None:
                return problem("simio_body_too_large", f"At most {MAX_BODY_BYTES // 2**20} MiB of payloads per call.")
            try:
                payloads = json_format.Parse(body, Payloads())
            except (json_format.ParseError, UnicodeDecodeError) as exc:
                return problem("simio_invalid_json", f'The body is not {{"payloads": [...]}}: {exc}.')
            try:
                result = await transform(payloads.payloads)
            except PayloadDecryptionError as exc:
                return problem("simio_invalid_field", f"A payload cannot be decoded here: {exc}.")
            # Who read what is worth a line: the namespace the Web UI names, and how many payloads.
            log.info("codec_request", action=action, namespace=request.headers.get("x-namespace"), count=len(result))
            return Response(json_format.MessageToJson(Payloads(payloads=result)), media_type="application/json")

        return handle

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = "simio_method_not_allowed" if exc.status_code == 405 else "simio_not_found"
        return problem(code, "The codec server answers POST /encode and POST /decode.")

    encode, decode = endpoint(codec.encode, "encode"), endpoint(codec.decode, "decode")
    routes = [
        Route("/encode", encode, methods=["POST"]),
        Route("/decode", decode, methods=["POST"]),
        Route("/{secret}/encode", encode, methods=["POST"]),
        Route("/{secret}/decode", decode, methods=["POST"]),
    ]
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=ui_origins(settings),
            allow_methods=["POST"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
            allow_credentials=True,
        )
    ]
    return Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: http_error})


async def _bounded_body(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY_BYTES (whatever Content-Length claimed)."""
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > MAX_BODY_BYTES:
            return None
        parts.append(part)
    return b"".join(parts)
