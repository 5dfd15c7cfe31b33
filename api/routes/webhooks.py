"""Webhook endpoints: register a URL for events, rotate its signing secret, read its deliveries."""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from simulacra.api.bodies import fingerprint, read_json, validate
from simulacra.api.context import RequestContext
from simulacra.api.errors import ApiError
from simulacra.api.idempotency import REPLAY_HEADER, idempotency_key
from simulacra.api.ids import WEBHOOK_ENDPOINT
from simulacra.api.listing import PAGE_QUERY, next_cursor, page_request
from simulacra.api.operations import Link, Operation
from simulacra.api.secrecy import NO_STORE, iso
from simulacra.api.state import AppState
from simulacra.api.webhook_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryPage,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointPage,
    WebhookSecret,
)
from simulacra.infra.scopes import Scope
from simulacra.infra.webhook_guard import Policy, WebhookUrlRefused, check_url
from simulacra.infra.webhook_signing import encode_secret
from simulacra.infra.webhook_store import Endpoint, EndpointKeyReused, EndpointLimitReached
from simulacra.workflows.contracts import derived_id

READ = (Scope.WEBHOOKS_READ, Scope.WEBHOOKS_WRITE)
WRITE = (Scope.WEBHOOKS_WRITE,)
URL_ERRORS = ("simio_webhook_url_invalid", "simio_webhook_url_insecure", "simio_webhook_url_not_allowed")


def _view(endpoint: Endpoint, secret: bytes | None = None) -> WebhookEndpoint:
    return WebhookEndpoint(
        endpoint_id=endpoint.endpoint_id,
        url=endpoint.url,
        event_types=list(endpoint.event_types),
        description=endpoint.description,
        created_at=iso(endpoint.created_at),
        deliveries_url=f"/v1/webhook-endpoints/{endpoint.endpoint_id}/deliveries",
        secret=encode_secret(secret) if secret is not None else None,
    )


def _check_url(state: AppState, url: str) -> None:
    policy = Policy(allow_http=state.settings.webhook_allow_http, allow_private=state.settings.webhook_allow_private)
    try:
        check_url(url, policy)
    except WebhookUrlRefused as refused:
        raise ApiError(refused.code, str(refused), errors=[{"pointer": "/url", "message": str(refused)}]) from None


def _reused_key() -> ApiError:
    return ApiError("simio_idempotency_conflict", "This Idempotency-Key was already used for a different request.")


async def create_endpoint(request: Request, ctx: RequestContext) -> JSONResponse:
    state, principal = ctx.state, ctx.principal
    key = idempotency_key(request)
    body = validate(WebhookEndpointCreate, await read_json(request))
    _check_url(state, body.url)
    request_fingerprint = fingerprint(request, json.dumps(body.model_dump(), sort_keys=True))
    endpoint_id = derived_id("whe", principal.tenant_id, key, request_fingerprint)
    # Idempotency lives in the endpoints table itself, so no stored response ever holds the secret.
    try:
        issued = await run_in_threadpool(
            state.webhooks.create,
            principal.tenant_id,
            endpoint_id,
            body.url,
            tuple(dict.fromkeys(body.event_types)),
            body.description,
            key,
            request_fingerprint,
            state.settings.webhook_max_endpoints,
        )
    except EndpointKeyReused:
        raise _reused_key() from None
    except EndpointLimitReached:
        raise ApiError(
            "simio_webhook_endpoint_limit",
            f"Your tenant already has {state.settings.webhook_max_endpoints} webhook endpoints.",
        ) from None
    headers = {**NO_STORE, "Location": f"/v1/webhook-endpoints/{issued.endpoint.endpoint_id}"}
    if issued.replayed:
        headers[REPLAY_HEADER] = "true"
    else:
        await ctx.audit("webhook_endpoint_created", endpoint_id=issued.endpoint.endpoint_id)
    return JSONResponse(_view(issued.endpoint, issued.secret).model_dump(), status_code=201, headers=headers)


async def list_endpoints(request: Request, ctx: RequestContext) -> JSONResponse:
    endpoints = await run_in_threadpool(ctx.state.webhooks.endpoints, ctx.principal.tenant_id)
    return JSONResponse(WebhookEndpointPage(data=[_view(e) for e in endpoints]).model_dump())


async def _endpoint(ctx: RequestContext, endpoint_id: str) -> Endpoint:
    endpoint = await run_in_threadpool(ctx.state.webhooks.get, ctx.principal.tenant_id, endpoint_id)
    if endpoint is None:
        raise WEBHOOK_ENDPOINT.not_found(endpoint_id)
    return endpoint


async def get_endpoint(request: Request, ctx: RequestContext) -> JSONResponse:
    endpoint = await _endpoint(ctx, request.path_params["endpoint_id"])
    return JSONResponse(_view(endpoint).model_dump())


async def delete_endpoint(request: Request, ctx: RequestContext) -> Response:
    endpoint_id = request.path_params["endpoint_id"]
    deleted = await run_in_threadpool(ctx.state.webhooks.delete, ctx.principal.tenant_id, endpoint_id)
    if not deleted:
        raise WEBHOOK_ENDPOINT.not_found(endpoint_id)
    await ctx.audit("webhook_endpoint_deleted", endpoint_id=endpoint_id)
    return Response(status_code=204)


async def rotate_secret(request: Request, ctx: RequestContext) -> JSONResponse:
    principal = ctx.principal
    endpoint_id = request.path_params["endpoint_id"]
    key = idempotency_key(request)
    request_fingerprint = fingerprint(request, b"")
    try:
        issued = await run_in_threadpool(
            ctx.state.webhooks.rotate, principal.tenant_id, endpoint_id, key, request_fingerprint
        )
    except EndpointKeyReused:
        raise _reused_key() from None
    if issued is None:
        raise WEBHOOK_ENDPOINT.not_found(endpoint_id)
    headers = dict(NO_STORE)
    if issued.replayed:
        headers[REPLAY_HEADER] = "true"
    else:
        await ctx.audit("webhook_secret_rotated", endpoint_id=endpoint_id)
    retires = issued.previous_retires_at
    rotated = WebhookSecret(
        endpoint_id=endpoint_id,
        secret=encode_secret(issued.secret),
        previous_secret_expires_at=iso(retires) if retires is not None else None,
    )
    return JSONResponse(rotated.model_dump(), headers=headers)


async def list_deliveries(request: Request, ctx: RequestContext) -> JSONResponse:
    principal = ctx.principal
    endpoint_id = request.path_params["endpoint_id"]
    scope = f"{principal.tenant_id}|webhook-deliveries|{endpoint_id}"
    limit, cursor = page_request(request, scope)
    await _endpoint(ctx, endpoint_id)
    # The cursor was signed by us (page_request checks its MAC), so it decodes.
    after = tuple(json.loads(cursor)) if cursor else None
    deliveries, following = await run_in_threadpool(
        ctx.state.webhooks.deliveries, principal.tenant_id, endpoint_id, limit, after
    )
    token = json.dumps(list(following)).encode() if following else None
    page = WebhookDeliveryPage(
        data=[
            WebhookDelivery(
                delivery_id=d.delivery_id,
                event_id=d.event_id,
                event_type=d.event_type,
                status=d.status,
                created_at=iso(d.created_at),
                finished_at=iso(d.finished_at) if d.finished_at is not None else None,
                attempts=[
                    WebhookAttempt(attempt=a.attempt, at=iso(a.at), status_code=a.status_code, error=a.error)
                    for a in d.attempts
                ],
            )
            for d in deliveries
        ],
        next_cursor=next_cursor(request, scope, token),
    )
    return JSONResponse(page.model_dump())


_GET_LINKS = {
    "GetWebhookEndpoint": Link("getWebhookEndpoint", "endpoint_id", "endpoint_id"),
    "ListWebhookDeliveries": Link("listWebhookDeliveries", "endpoint_id", "endpoint_id"),
}

operations = [
    Operation(
        "createWebhookEndpoint",
        "POST",
        "/v1/webhook-endpoints",
        create_endpoint,
        "Register a webhook endpoint for events",
        "webhooks",
        description="Events of your tenant (`job.succeeded`, `job.failed`, `job.partial`, `dataset.expired`, "
        "`dataset.deleted`) are POSTed to `url`, signed as Standard Webhooks specify (`webhook-id`, "
        "`webhook-timestamp`, `webhook-signature`), and retried with exponential backoff for a day until it "
        "answers 2xx. The answer carries the signing `secret`, shown this once (and to a replay with the same "
        "Idempotency-Key). Only `https` URLs of public hosts are accepted. The guide: docs/webhooks.md.",
        scopes=WRITE,
        body=WebhookEndpointCreate,
        status=201,
        returns=WebhookEndpoint,
        errors=(
            "simio_invalid_json",
            "simio_body_too_large",
            "simio_invalid_field",
            *URL_ERRORS,
            "simio_webhook_endpoint_limit",
        ),
        links=_GET_LINKS,
    ),
    Operation(
        "listWebhookEndpoints",
        "GET",
        "/v1/webhook-endpoints",
        list_endpoints,
        "List your webhook endpoints",
        "webhooks",
        description="Newest first; secrets are never shown here.",
        scopes=READ,
        returns=WebhookEndpointPage,
    ),
    Operation(
        "getWebhookEndpoint",
        "GET",
        "/v1/webhook-endpoints/{endpoint_id}",
        get_endpoint,
        "Get a webhook endpoint",
        "webhooks",
        scopes=READ,
        returns=WebhookEndpoint,
        errors=("simio_webhook_endpoint_not_found",),
        links={"ListWebhookDeliveries": _GET_LINKS["ListWebhookDeliveries"]},
    ),
    Operation(
        "deleteWebhookEndpoint",
        "DELETE",
        "/v1/webhook-endpoints/{endpoint_id}",
        delete_endpoint,
        "Delete a webhook endpoint",
        "webhooks",
        description="At once: nothing more is delivered to it (deliveries still retrying stop at their next "
        "attempt), and its secrets and delivery history are removed.",
        scopes=WRITE,
        status=204,
        errors=("simio_webhook_endpoint_not_found",),
    ),
    Operation(
        "rotateWebhookSecret",
        "POST",
        "/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
        rotate_secret,
        "Rotate a webhook endpoint's signing secret",
        "webhooks",
        description="Returns a new secret, shown once. The previous one keeps signing beside it until "
        "`previous_secret_expires_at` (a day by default): each delivery then carries two signatures, "
        "space-separated in `webhook-signature`, so your receiver verifies with either while you switch it over.",
        scopes=WRITE,
        returns=WebhookSecret,
        errors=("simio_webhook_endpoint_not_found",),
    ),
    Operation(
        "listWebhookDeliveries",
        "GET",
        "/v1/webhook-endpoints/{endpoint_id}/deliveries",
        list_deliveries,
        "List an endpoint's deliveries and their attempts",
        "webhooks",
        description="Newest first. Each delivery is one event to this endpoint; each attempt has its time, your "
        "receiver's status code and, if it failed, why.",
        scopes=READ,
        returns=WebhookDeliveryPage,
        query=PAGE_QUERY,
        errors=("simio_webhook_endpoint_not_found", "simio_invalid_field", "simio_cursor_not_found"),
    ),
]
