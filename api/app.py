"""API composition root: operations, middleware, error handlers and resources, assembled in plain sight."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware

from simulacra.api.agent_docs import llms_full_txt, llms_txt
from simulacra.api.context import RequestContextMiddleware
from simulacra.api.idempotency import IdempotencyStore
from simulacra.api.mcp.http import McpService
from simulacra.api.mcp.http import route as mcp_route
from simulacra.api.openapi import build_openapi
from simulacra.api.operations import Operation, routes_for
from simulacra.api.problems import exception_handlers
from simulacra.api.ratelimit import RateLimiter
from simulacra.api.reference import Reference, build_reference
from simulacra.api.routes import (
    audit,
    auth,
    credentials,
    datasets,
    docs,
    effects,
    generations,
    jobs,
    mcp,
    meta,
    reports,
    signup,
    usage,
    webhooks,
)
from simulacra.api.state import AppState
from simulacra.api.tracing import tracing_middleware
from simulacra.infra.audit import AuditLog
from simulacra.infra.config import Settings
from simulacra.infra.controldb import ControlDB
from simulacra.infra.credentials import CredentialStore
from simulacra.infra.jwks import RemoteJwks
from simulacra.infra.key_provider import load_key_provider
from simulacra.infra.signed_urls import UrlSigner
from simulacra.infra.signups import SignupStore
from simulacra.infra.storage import open_storage
from simulacra.infra.temporal import FAIL_FAST, connect_to
from simulacra.infra.tokens import Issuer, KeySource, TokenVerifier
from simulacra.infra.tracing import start_tracing
from simulacra.infra.usage import UsageLedger
from simulacra.infra.webhook_store import WebhookStore

OPERATIONS: list[Operation] = [
    *auth.operations,
    *mcp.operations,
    *signup.operations,
    *credentials.operations,
    *audit.operations,
    *datasets.operations,
    *generations.operations,
    *effects.operations,
    *reports.operations,
    *jobs.operations,
    *usage.operations,
    *webhooks.operations,
    *meta.operations,
    *docs.operations,
]
middleware = [Middleware(RequestContextMiddleware)]


@dataclass(frozen=True)
class Documents:
    openapi: dict[str, Any]
    llms_txt: str
    llms_full_txt: str
    reference: Reference  # /__docs__/ and the /errors pages


def build_documents(base_url: str) -> Documents:
    openapi = build_openapi(OPERATIONS, base_url)
    return Documents(
        openapi=openapi,
        llms_txt=llms_txt(OPERATIONS, base_url),
        llms_full_txt=llms_full_txt(OPERATIONS, openapi, base_url),
        reference=build_reference(OPERATIONS, openapi, base_url),
    )


def token_verifier(settings: Settings, issuer: Issuer) -> TokenVerifier:
    """Embedded mode verifies against the issuer's own key ring; external mode against the issuer's JWKS."""
    keys: KeySource = RemoteJwks(settings.jwks_url) if settings.external_auth else issuer
    return TokenVerifier(keys, settings.issuer, settings.auth_audience, settings.auth_tenant_claim)


def create_app(settings: Settings) -> Starlette:
    tracing = start_tracing(settings, "simulacra-api")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = ControlDB(settings.resolved_control_db)
        issuer = Issuer.for_settings(settings, db)
        app.state.documents = build_documents(settings.base_url)
        app.state.simulacra = AppState(
            settings=settings,
            temporal=await connect_to(settings, wait_seconds=30, retry=FAIL_FAST, interceptors=tracing.interceptors),
            storage=open_storage(settings),
            credentials=CredentialStore.for_settings(settings, db),
            signups=SignupStore(db),
            issuer=issuer,
            verifier=token_verifier(settings, issuer),
            signer=UrlSigner.for_settings(settings, db),
            idempotency=IdempotencyStore(db),
            usage=UsageLedger(db, settings.default_rows_per_period),
            audit=AuditLog(db),
            limiter=RateLimiter(db, settings.rate_limit_per_minute),
            webhooks=WebhookStore(db, load_key_provider(settings), settings.webhook_secret_overlap_seconds),
        )
        app.state.mcp = McpService(app.state.documents.openapi)
        try:
            async with app.state.mcp.running():
                yield
        finally:
            tracing.shutdown()

    return Starlette(
        # /mcp speaks JSON-RPC, not the REST contract: it is routed beside the operations, not one of them.
        routes=[*routes_for(OPERATIONS), mcp_route],
        middleware=[*middleware, *tracing_middleware(tracing)],
        exception_handlers=exception_handlers,
        lifespan=lifespan,
    )
