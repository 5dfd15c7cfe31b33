"""One record per HTTP operation: it makes the route and documents it (OpenAPI, llms-full.txt, /__docs__/).

The route does what the record declares before the endpoint runs: it authenticates the caller against the
operation's scopes, judges a signed link, and checks every path id against its declared pattern
(api/ids.py). The endpoint gets the request and a RequestContext holding what was found.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulacra.api.auth import authenticate
from simulacra.api.context import RequestContext, request_id_var
from simulacra.api.ids import PATH_IDS, PathId
from simulacra.api.metrics import OPERATION_KEY
from simulacra.api.signed_links import require_sealed_link, require_signed_link
from simulacra.api.state import app_state
from simulacra.api.tracing import name_server_span
from simulacra.infra.scopes import Scope

# Every authenticated operation can answer these; POSTs under /v1 add the idempotency codes.
AUTH_ERRORS = ("simio_unauthorized", "simio_insufficient_scope", "simio_rate_limited")
IDEMPOTENCY_ERRORS = (
    "simio_idempotency_key_required",
    "simio_invalid_idempotency_key",
    "simio_idempotency_conflict",
    "simio_idempotency_in_flight",
)
ALWAYS_ERRORS = ("simio_internal", "simio_service_unavailable")


@dataclass(frozen=True)
class Link:
    """An OpenAPI Link: the response field that feeds the next operation's parameter."""

    operation_id: str
    parameter: str
    response_field: str


Endpoint = Callable[[Request, RequestContext], Awaitable[Response]]


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: Literal["GET", "POST", "DELETE", "PATCH"]
    path: str
    endpoint: Endpoint
    summary: str
    tag: str
    description: str = ""
    # Any one of them admits the caller; none means the operation is open to anyone.
    scopes: tuple[Scope, ...] = ()
    body: type[BaseModel] | None = None
    body_kind: Literal["json", "multipart", "form"] = "json"
    status: int = 200
    returns: type[BaseModel] | None = None
    media_types: tuple[str, ...] = ("application/json",)
    # The response is a file to save (documented with Content-Length and Content-Disposition).
    attachment: bool = False
    errors: tuple[str, ...] = ()
    links: dict[str, Link] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    # The URL must be a signed link (`expires`, `signature`) to the resource its last path id names.
    signed_link: bool = False
    # The URL alone admits the caller: a signed link that carries its tenant, sealed (api/signed_links.py), for
    # pages a browser opens without a bearer token.
    sealed_link: bool = False

    def __post_init__(self) -> None:
        # Checked as the route modules load, not on the first request.
        undeclared = set(re.findall(r"{(\w+)}", self.path)) - set(PATH_IDS)
        if undeclared:
            raise ValueError(f"{self.operation_id}: declare the path ids {sorted(undeclared)} in api/ids.py")
        if self.signed_link and not self.authenticated:
            raise ValueError(f"{self.operation_id}: a signed link is checked against the caller's tenant")
        if self.sealed_link and self.authenticated:
            raise ValueError(f"{self.operation_id}: a sealed link is its own credential")

    @property
    def authenticated(self) -> bool:
        return bool(self.scopes)

    @property
    def path_ids(self) -> tuple[PathId, ...]:
        return tuple(PATH_IDS[name] for name in re.findall(r"{(\w+)}", self.path))

    @property
    def needs_idempotency_key(self) -> bool:
        return self.method == "POST" and self.path.startswith("/v1/")

    def all_errors(self) -> tuple[str, ...]:
        codes = list(self.errors)
        if self.authenticated:
            codes += AUTH_ERRORS
        if self.needs_idempotency_key:
            codes += IDEMPOTENCY_ERRORS
        if self.body is not None and self.body_kind == "json":
            codes.append("simio_unsupported_content_type")
        return tuple(dict.fromkeys([*codes, *ALWAYS_ERRORS]))


def routes_for(operations: list[Operation]) -> list[Route]:
    """One route per path, so a wrong method answers 405 with an Allow header naming every right one."""
    by_path: dict[str, dict[str, Operation]] = {}
    for op in operations:
        by_path.setdefault(op.path, {})[op.method] = op
    return [Route(path, _dispatch(ops), methods=list(ops)) for path, ops in by_path.items()]


def _dispatch(ops: dict[str, Operation]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await _run(ops["GET" if request.method == "HEAD" else request.method], request)

    return endpoint


async def _run(op: Operation, request: Request) -> Response:
    # Read back by the request middleware, which counts and times requests by operation, not by raw path.
    request.scope[OPERATION_KEY] = op.operation_id
    name_server_span(op.operation_id, op.path)
    # Credentials first: a caller without them learns nothing about the path, not even whether its ids are well-formed.
    caller = await authenticate(request, *op.scopes) if op.authenticated else None
    state = app_state(request)
    link_tenant = require_sealed_link(request, state.signer) if op.sealed_link else None
    context = RequestContext(state, request_id_var.get(), caller, link_tenant)
    if op.signed_link:
        require_signed_link(request, context.state.signer, context.principal.tenant_id, op.path_ids[-1])
    for path_id in op.path_ids:
        value = request.path_params[path_id.name]
        if not path_id.matches(value):
            raise path_id.not_found(value)
    return await op.endpoint(request, context)
