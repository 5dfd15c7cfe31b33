"""Bearer-token authentication for /v1 endpoints."""

from __future__ import annotations

import structlog
from starlette.requests import Request

from api.errors import ApiError
from api.state import app_state
from infra.tokens import InvalidToken, Principal, verify_token

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="simulacra"'}


def authenticate(request: Request, *scopes: str) -> Principal:
    """The caller's tenant and scopes; with scopes given, the token must carry at least one of them."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError("simio_unauthorized", "Send `Authorization: Bearer <access_token>`.", headers=_CHALLENGE)
    state = app_state(request)
    try:
        principal = verify_token(
            token.strip(), state.issuer.jwks(), issuer=state.issuer.issuer, audience=state.issuer.audience
        )
    except InvalidToken as exc:
        raise ApiError("simio_unauthorized", f"Access token rejected: {exc}.", headers=_CHALLENGE) from None
    structlog.contextvars.bind_contextvars(tenant_id=principal.tenant_id)
    state.limiter.take(principal.tenant_id)
    if scopes and not set(scopes) & set(principal.scopes):
        raise ApiError(
            "simio_insufficient_scope",
            f"This operation needs the scope {' or '.join(scopes)}; "
            f"the token has: {' '.join(principal.scopes) or 'none'}.",
            headers={"WWW-Authenticate": f'Bearer realm="simulacra", error="insufficient_scope", scope="{scopes[0]}"'},
        )
    return principal
