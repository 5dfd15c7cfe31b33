"""Self-service signup: anyone may ask; an operator decides (`simulacra admin approve-signup`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from simulacra.api.auth import anonymous_limit
from simulacra.api.bodies import fingerprint, read_json, validate
from simulacra.api.context import RequestContext
from simulacra.api.credential_models import SignupRequest, SignupStatus
from simulacra.api.idempotency import idempotency_key, run_once
from simulacra.api.ids import SIGNUP
from simulacra.api.operations import Link, Operation
from simulacra.api.secrecy import NO_STORE, iso
from simulacra.api.state import AppState
from simulacra.infra.audit import reference
from simulacra.infra.signups import Signup, SignupNotFound

# Not a tenant id (those match [a-z0-9][a-z0-9_-]*): anonymous signups keep their keys apart from tenants'.
SIGNUP_KEYSPACE = "@signup"


def _iso(unix: float | None) -> str | None:
    return None if unix is None else iso(unix)


def _status_view(state: AppState, signup: Signup) -> SignupStatus:
    status, token, claim_expires = signup.status, None, None
    if status == "approved":
        claim = state.credentials.claim_state("signup", signup.request_id)
        if claim is not None:
            consumed_at, expires_at = claim
            claim_expires = _iso(expires_at)
            if consumed_at is not None:
                status = "claimed"
            elif expires_at <= datetime.now(UTC).timestamp():
                status = "expired"
            else:
                token = state.credentials.derived_claim_token("signup", signup.request_id)
    return SignupStatus(
        request_id=signup.request_id,
        status=status,
        company=signup.company,
        created_at=iso(signup.created_at),
        decided_at=_iso(signup.decided_at),
        tenant=signup.tenant_id,
        credential_claim_token=token,
        claim_expires_at=claim_expires,
        reason=signup.reason,
        status_url=f"{state.settings.base_url}/v1/signup/{signup.request_id}",
    )


async def create_signup(request: Request, ctx: RequestContext) -> Response:
    state = ctx.state
    key = idempotency_key(request)
    # Anonymous callers share no idempotency keys: each address has its own.
    keyspace = f"{SIGNUP_KEYSPACE}:{request.client.host if request.client else 'unknown'}"
    await anonymous_limit(request)
    data = await read_json(request)
    body = validate(SignupRequest, data)

    async def submit() -> JSONResponse:
        signup = await run_in_threadpool(state.signups.submit, body.company, body.contact_email, body.contact_name)
        await ctx.audit("signup_requested", signup_ref=reference(signup.request_id))
        view = _status_view(state, signup)
        return JSONResponse(
            view.model_dump(), status_code=202, headers={**NO_STORE, "Location": f"/v1/signup/{signup.request_id}"}
        )

    request_fingerprint = fingerprint(request, json.dumps(body.model_dump(), sort_keys=True))
    return await run_once(state.idempotency, keyspace, key, request_fingerprint, submit)


async def get_signup(request: Request, ctx: RequestContext) -> JSONResponse:
    state = ctx.state
    request_id = request.path_params["request_id"]
    try:
        signup = await run_in_threadpool(state.signups.get, request_id)
    except SignupNotFound:
        raise SIGNUP.not_found(request_id) from None
    view = await run_in_threadpool(_status_view, state, signup)
    return JSONResponse(view.model_dump(), headers=NO_STORE)


operations = [
    Operation(
        "createSignup",
        "POST",
        "/v1/signup",
        create_signup,
        "Ask for API access (self-service signup)",
        "auth",
        description="No token needed. An operator approves or rejects the request; poll `status_url` "
        "(GET /v1/signup/{request_id}). Once approved it shows a one-time `credential_claim_token` "
        "(valid 72 hours by default) for POST /v1/credential-claims. Keep the `request_id`: it is your only handle.",
        body=SignupRequest,
        status=202,
        returns=SignupStatus,
        errors=("simio_invalid_json", "simio_body_too_large", "simio_invalid_field", "simio_rate_limited"),
        links={"GetSignup": Link("getSignup", "request_id", "request_id")},
    ),
    Operation(
        "getSignup",
        "GET",
        "/v1/signup/{request_id}",
        get_signup,
        "See a signup request's decision (and its claim token once approved)",
        "auth",
        returns=SignupStatus,
        errors=("simio_signup_not_found",),
    ),
]
