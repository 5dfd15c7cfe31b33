"""Credential rotation and revocation for clients of the embedded issuer."""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from simulacra.api.bodies import fingerprint, read_json, validate
from simulacra.api.context import RequestContext
from simulacra.api.credential_models import CredentialRotation, RotationRequest
from simulacra.api.errors import ApiError
from simulacra.api.idempotency import REPLAY_HEADER, idempotency_key
from simulacra.api.ids import CLIENT, ROTATION
from simulacra.api.operations import Operation
from simulacra.api.secrecy import NO_STORE, iso
from simulacra.api.state import AppState
from simulacra.infra.credentials import Client, Rotation, RotationClaimConsumed, RotationKeyReused, RotationRateLimited
from simulacra.infra.scopes import Scope
from simulacra.infra.tokens import Principal
from simulacra.workflows.contracts import derived_id

# Every client may rotate its own secret, whatever it was granted.
ANY_SCOPE = tuple(Scope)


def _rotation_view(state: AppState, rotation: Rotation) -> CredentialRotation:
    return CredentialRotation(
        rotation_id=rotation.rotation_id,
        client_id=rotation.client_id,
        status=rotation.status,
        created_at=iso(rotation.created_at),
        expires_at=iso(rotation.expires_at),
        credential_claim_token=rotation.credential_claim_token if rotation.status == "pending" else None,
        previous_secret_overlap_seconds=state.settings.credential_overlap_seconds,
    )


async def _target_client(state: AppState, principal: Principal, client_id: str | None) -> Client:
    """The caller's own client, or (with `admin`) another live client of the same tenant."""
    target = client_id or principal.client_id
    if target != principal.client_id and Scope.ADMIN not in principal.scopes:
        raise ApiError("simio_insufficient_scope", "Rotating another client of your tenant needs the `admin` scope.")
    client = await run_in_threadpool(state.credentials.find_client, principal.tenant_id, target)
    if client is None:
        raise CLIENT.not_found(target)
    return client


async def create_rotation(request: Request, ctx: RequestContext) -> JSONResponse:
    state, principal = ctx.state, ctx.principal
    key = idempotency_key(request)
    data = await read_json(request)
    body = validate(RotationRequest, data)
    client = await _target_client(state, principal, body.client_id)
    request_fingerprint = fingerprint(request, json.dumps({"client_id": client.client_id}))
    # Idempotency lives in the rotations table itself, so no stored response ever holds the claim token.
    try:
        rotation, replayed = await run_in_threadpool(
            state.credentials.request_rotation,
            client,
            derived_id("rot", principal.tenant_id, key, request_fingerprint),
            key,
            request_fingerprint,
            f"client:{principal.client_id}",
            state.settings.claim_ttl_seconds,
        )
    except RotationKeyReused:
        raise ApiError(
            "simio_idempotency_conflict", "This Idempotency-Key was used for a different rotation request."
        ) from None
    except RotationClaimConsumed:
        raise ApiError(
            "simio_rotation_claim_already_consumed", "This rotation's claim token was already redeemed."
        ) from None
    except RotationRateLimited as limited:
        await ctx.audit("credentials_rotation_requested", outcome="rate_limited", client_id=client.client_id)
        raise ApiError(
            "simio_rotation_rate_limited",
            f"At most {state.settings.rotations_per_hour} rotations an hour; retry in {limited.retry_after} s.",
            headers={"Retry-After": str(limited.retry_after)},
        ) from None
    if not replayed:
        await ctx.audit("credentials_rotation_requested", client_id=client.client_id, rotation_id=rotation.rotation_id)
    headers = {**NO_STORE, "Location": f"/v1/credential-rotations/{rotation.rotation_id}"}
    if replayed:
        headers[REPLAY_HEADER] = "true"
    return JSONResponse(_rotation_view(state, rotation).model_dump(), status_code=201, headers=headers)


async def get_rotation(request: Request, ctx: RequestContext) -> JSONResponse:
    state, principal = ctx.state, ctx.principal
    rotation_id = request.path_params["rotation_id"]
    rotation = await run_in_threadpool(state.credentials.rotation, principal.tenant_id, rotation_id)
    # Only the rotated client or a tenant admin may see a pending claim token.
    if rotation is None or (rotation.client_id != principal.client_id and Scope.ADMIN not in principal.scopes):
        raise ROTATION.not_found(rotation_id)
    return JSONResponse(_rotation_view(state, rotation).model_dump(), headers=NO_STORE)


async def revoke_client(request: Request, ctx: RequestContext) -> Response:
    state, principal = ctx.state, ctx.principal
    client_id = request.path_params["client_id"]
    revoked = await run_in_threadpool(state.credentials.revoke, principal.tenant_id, client_id)
    await ctx.audit("client_revoked", outcome="ok" if revoked else "not_found", client_id=client_id)
    if not revoked:
        raise CLIENT.not_found(client_id)
    return Response(status_code=204)


operations = [
    Operation(
        "createCredentialRotation",
        "POST",
        "/v1/credential-rotations",
        create_rotation,
        "Rotate a client secret: get a new one-time claim token",
        "auth",
        description="Redeem the returned `credential_claim_token` at POST /v1/credential-claims for a new secret; "
        "the previous secret keeps working for `previous_secret_overlap_seconds` (default 3600) after redemption, "
        "then is refused. Replaying the request with the same Idempotency-Key shows the same token until it is "
        "redeemed, and 410 afterwards. Any scope may rotate its own client; `admin` may rotate any client of the "
        "tenant.",
        scopes=ANY_SCOPE,
        body=RotationRequest,
        status=201,
        returns=CredentialRotation,
        errors=(
            "simio_invalid_json",
            "simio_body_too_large",
            "simio_invalid_field",
            "simio_client_not_found",
            "simio_rotation_claim_already_consumed",
            "simio_rotation_rate_limited",
        ),
    ),
    Operation(
        "getCredentialRotation",
        "GET",
        "/v1/credential-rotations/{rotation_id}",
        get_rotation,
        "Get a credential rotation (its claim token while pending)",
        "auth",
        scopes=ANY_SCOPE,
        returns=CredentialRotation,
        errors=("simio_rotation_request_not_found",),
    ),
    Operation(
        "revokeClient",
        "DELETE",
        "/v1/clients/{client_id}",
        revoke_client,
        "Revoke a client at once",
        "auth",
        description="Immediate: its secrets stop minting tokens and the access tokens it already holds are refused "
        "on their next use. Needs `admin`; another tenant's client answers 404 like a missing one.",
        scopes=(Scope.ADMIN,),
        status=204,
        errors=("simio_client_not_found",),
    ),
]
