"""The embedded OAuth2 issuer: credential claims, client-credentials tokens, JWKS."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from simulacra.api.auth import anonymous_limit
from simulacra.api.bodies import read_json, validate
from simulacra.api.context import RequestContext
from simulacra.api.errors import ApiError
from simulacra.api.idempotency import idempotency_key
from simulacra.api.metrics import count_auth_failure
from simulacra.api.models import CredentialClaimRequest, CredentialClaimResponse, TokenRequest, TokenResponse
from simulacra.api.operations import Operation
from simulacra.api.secrecy import NO_STORE
from simulacra.api.views import Jwks, OpenIdConfiguration
from simulacra.infra.credentials import ClaimRefused, RotationClaimConsumed
from simulacra.infra.scopes import Scope, unknown_scopes


def _oauth_error(code: str, error: str, detail: str) -> ApiError:
    if error in ("invalid_client", "invalid_scope"):
        count_auth_failure(error)
    # RFC 6749 §5.2 fields ride along in the problem body, so OAuth client libraries understand it too.
    return ApiError(code, detail, error=error, error_description=detail, headers=NO_STORE)


async def _token_params(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        data = await read_json(request)
        if not isinstance(data, dict):
            raise _oauth_error("simio_invalid_field", "invalid_request", "The body must be a JSON object.")
        params = {k: str(v) for k, v in data.items() if v is not None}
    else:
        form = await request.form(max_files=0, max_fields=20)
        params = {k: v for k, v in form.items() if isinstance(v, str)}
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise _oauth_error("simio_invalid_client", "invalid_client", "Malformed Basic credentials.") from None
        params.setdefault("client_id", unquote(user))
        params.setdefault("client_secret", unquote(password))
    return params


async def issue_token(request: Request, ctx: RequestContext) -> JSONResponse:
    state = ctx.state
    await anonymous_limit(request)
    params = await _token_params(request)
    if state.settings.external_auth:
        raise _oauth_error(
            "simio_invalid_client",
            "invalid_client",
            f"This API accepts tokens from {state.settings.issuer}; request them there.",
        )
    if params.get("grant_type") != "client_credentials":
        raise _oauth_error(
            "simio_unsupported_grant_type", "unsupported_grant_type", "Only grant_type=client_credentials is supported."
        )
    audience = params.get("audience")
    if audience is not None and audience != state.issuer.audience:
        raise _oauth_error(
            "simio_invalid_field",
            "invalid_request",
            f"Unknown audience; this API's audience is {state.issuer.audience}.",
        )
    client = await run_in_threadpool(
        state.credentials.authenticate, params.get("client_id", ""), params.get("client_secret", "")
    )
    if client is None:
        raise _oauth_error("simio_invalid_client", "invalid_client", "Unknown client or wrong secret.")
    scopes = tuple(params["scope"].split()) if params.get("scope") else client.scopes
    unknown = unknown_scopes(scopes)
    if unknown:
        raise _oauth_error(
            "simio_invalid_scope", "invalid_scope", f"Unknown scope {unknown[0]!r}; scopes are: {' '.join(Scope)}."
        )
    if not set(scopes) <= set(client.scopes):
        raise _oauth_error(
            "simio_invalid_scope", "invalid_scope", f"This client may ask for: {' '.join(client.scopes)}."
        )
    token = state.issuer.mint(client, scopes)
    body = TokenResponse(access_token=token, expires_in=state.issuer.ttl_seconds, scope=" ".join(scopes))
    return JSONResponse(body.model_dump(), headers=NO_STORE)


async def claim_credentials(request: Request, ctx: RequestContext) -> JSONResponse:
    state = ctx.state
    # Required like on every POST; a claim is one-time by nature, so a retry is refused, never replayed
    # (replaying would mean storing the client secret).
    idempotency_key(request)
    await anonymous_limit(request)
    data = await read_json(request)
    claim = validate(CredentialClaimRequest, data)
    try:
        claimed = await run_in_threadpool(state.credentials.claim, claim.credential_claim_token)
    except (ClaimRefused, RotationClaimConsumed) as refused:
        count_auth_failure("claim_refused")
        consumed_rotation = isinstance(refused, RotationClaimConsumed)
        await ctx.audit("credentials_claim", outcome="rotation_replayed" if consumed_rotation else "refused")
        if consumed_rotation:
            raise ApiError(
                "simio_rotation_claim_already_consumed", "This rotation's claim token was already redeemed."
            ) from None
        raise ApiError(
            "simio_credential_claim_not_found", "This claim token is unknown, already used or expired."
        ) from None
    await ctx.audit(
        "credentials_rotated" if claimed.rotated else "credentials_claimed",
        by=claimed.client,
        client_id=claimed.client.client_id,
    )
    body = CredentialClaimResponse(
        client_id=claimed.client.client_id,
        client_secret=claimed.client_secret,
        token_url=f"{state.settings.base_url}/oauth/token",
        audience=state.issuer.audience,
        scopes=list(claimed.client.scopes),
        tenant=claimed.client.tenant_id,
    )
    return JSONResponse(body.model_dump(), status_code=201, headers=NO_STORE)


async def jwks(request: Request, ctx: RequestContext) -> JSONResponse:
    state = ctx.state
    # With an external issuer its JWKS (named in the discovery document) is the one that counts.
    keys = {"keys": []} if state.settings.external_auth else state.issuer.jwks()
    # Short-lived cache: a rolled key must reach verifiers well within one token lifetime.
    return JSONResponse(keys, headers={"Cache-Control": "public, max-age=300"})


async def openid_configuration(request: Request, ctx: RequestContext) -> JSONResponse:
    state = ctx.state
    base = state.settings.base_url
    issuer = state.settings.issuer
    external = state.settings.external_auth
    document: dict[str, Any] = {
        "issuer": issuer,
        # Auth0's token endpoint sits at {issuer}oauth/token, like ours.
        "token_endpoint": f"{issuer.rstrip('/')}/oauth/token" if external else f"{base}/oauth/token",
        "jwks_uri": state.settings.jwks_url if external else f"{base}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    return JSONResponse(document)


operations = [
    Operation(
        "issueToken",
        "POST",
        "/oauth/token",
        issue_token,
        "Mint an access token (OAuth2 client credentials)",
        "auth",
        description="Auth0-compatible request and response: the same fields as a form or as a JSON body, client "
        "credentials in the body or by HTTP Basic. Errors also carry RFC 6749 `error` and `error_description`.",
        body=TokenRequest,
        body_kind="form",
        returns=TokenResponse,
        errors=(
            "simio_unsupported_grant_type",
            "simio_invalid_client",
            "simio_invalid_scope",
            "simio_invalid_field",
            "simio_invalid_json",
            "simio_body_too_large",
            "simio_rate_limited",
        ),
    ),
    Operation(
        "getJwks",
        "GET",
        "/.well-known/jwks.json",
        jwks,
        "Public keys that verify access tokens",
        "auth",
        description="The active signing key and any rolled key whose tokens may still be valid. Empty when the "
        "API trusts an external issuer (its `jwks_uri` is in the discovery document).",
        returns=Jwks,
    ),
    Operation(
        "getOpenIdConfiguration",
        "GET",
        "/.well-known/openid-configuration",
        openid_configuration,
        "Issuer discovery document",
        "auth",
        returns=OpenIdConfiguration,
    ),
    Operation(
        "claimCredentials",
        "POST",
        "/v1/credential-claims",
        claim_credentials,
        "Exchange a one-time claim token for client credentials",
        "auth",
        description="The client secret is shown once. A used, unknown or expired token answers 404 (a rotation's "
        "token redeemed before answers 410). Redeeming a rotation's token starts the previous secret's overlap. The "
        "Idempotency-Key is required, but a claim is never replayed (that would mean storing the secret).",
        body=CredentialClaimRequest,
        status=201,
        returns=CredentialClaimResponse,
        errors=(
            "simio_credential_claim_not_found",
            "simio_rotation_claim_already_consumed",
            "simio_invalid_field",
            "simio_invalid_json",
            "simio_body_too_large",
            "simio_rate_limited",
        ),
    ),
]
