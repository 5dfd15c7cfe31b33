"""Bearer-token authentication: the operation router runs it before every operation that declares scopes."""

from __future__ import annotations

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from simulacra.api.errors import ApiError
from simulacra.api.metrics import count_auth_failure
from simulacra.api.ratelimit import ANONYMOUS
from simulacra.api.state import AppState, app_state
from simulacra.infra.jwks import KeysUnavailable
from simulacra.infra.scopes import Scope
from simulacra.infra.tokens import InvalidToken, Principal

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="simulacra"'}


def _verify(state: AppState, token: str) -> Principal:
    principal = state.verifier.verify(token)
    # Embedded clients can be revoked: that ends their outstanding tokens too, not only their secret.
    if not state.settings.external_auth and not state.credentials.is_active(principal.client_id):
        raise InvalidToken("client revoked", "revoked")
    return principal


async def anonymous_limit(request: Request) -> None:
    """Endpoints open to anyone (each refusal is audited, each secret check costs scrypt) get a bucket per address."""
    await app_state(request).limiter.take(f"{ANONYMOUS}{request.client.host if request.client else 'unknown'}")


async def authenticate(request: Request, *scopes: Scope) -> Principal:
    """The caller's tenant and scopes; with scopes given, the token must carry at least one of them."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        count_auth_failure("missing_token")
        raise ApiError("simio_unauthorized", "Send `Authorization: Bearer <access_token>`.", headers=_CHALLENGE)
    state = app_state(request)
    try:
        # In a thread: an external issuer's JWKS may need fetching, and revocation is a database read.
        principal = await run_in_threadpool(_verify, state, token.strip())
    except InvalidToken as exc:
        count_auth_failure(exc.reason)
        raise ApiError("simio_unauthorized", f"Access token rejected: {exc}.", headers=_CHALLENGE) from None
    except KeysUnavailable:
        raise ApiError(
            "simio_service_unavailable", "The token issuer's keys could not be fetched; retry shortly."
        ) from None
    structlog.contextvars.bind_contextvars(tenant_id=principal.tenant_id)
    await state.limiter.take(principal.tenant_id)
    if scopes and not set(scopes) & set(principal.scopes):
        count_auth_failure("insufficient_scope")
        raise ApiError(
            "simio_insufficient_scope",
            f"This operation needs the scope {' or '.join(scopes)}; "
            f"the token has: {' '.join(principal.scopes) or 'none'}.",
            headers={"WWW-Authenticate": f'Bearer realm="simulacra", error="insufficient_scope", scope="{scopes[0]}"'},
        )
    return principal
