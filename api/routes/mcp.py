"""OAuth 2.0 protected-resource metadata (RFC 9728), which the MCP authorization spec asks of /mcp: the resource
is the whole API (REST and MCP take the same tokens) and its authorization server is the token issuer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from simulacra.api.context import RequestContext
from simulacra.api.mcp.http import METADATA_PATH
from simulacra.api.operations import Operation
from simulacra.api.views import ProtectedResourceMetadata
from simulacra.infra.scopes import Scope


async def protected_resource(request: Request, ctx: RequestContext) -> JSONResponse:
    settings = ctx.state.settings
    document = ProtectedResourceMetadata(
        resource=settings.base_url,
        authorization_servers=[settings.issuer],
        scopes_supported=[scope.value for scope in Scope],
        bearer_methods_supported=["header"],
        resource_documentation=f"{settings.base_url}/llms.txt",
    )
    return JSONResponse(document.model_dump(), headers={"Cache-Control": "public, max-age=300"})


operations = [
    Operation(
        "getProtectedResourceMetadata",
        "GET",
        METADATA_PATH,
        protected_resource,
        "Protected-resource metadata (RFC 9728)",
        "auth",
        description="Names the authorization server (the token issuer) of this API and of its MCP endpoint, /mcp. "
        "An unauthenticated call to /mcp answers 401 with `WWW-Authenticate: Bearer resource_metadata=...` "
        "pointing here.",
        returns=ProtectedResourceMetadata,
    ),
]
