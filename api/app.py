"""API composition root: operations, middleware, error handlers and resources, assembled in plain sight."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware

from api.agent_docs import docs_html, llms_full_txt, llms_txt
from api.context import RequestContextMiddleware
from api.idempotency import IdempotencyStore
from api.openapi import build_openapi
from api.operations import Operation, routes_for
from api.problems import exception_handlers
from api.ratelimit import RateLimiter
from api.routes import auth, datasets, docs, generations, jobs, meta, usage
from api.state import AppState
from infra.audit import AuditLog
from infra.config import Settings
from infra.controldb import ControlDB
from infra.credentials import CredentialStore
from infra.signed_urls import UrlSigner
from infra.storage import Storage
from infra.temporal import connect
from infra.tokens import Issuer
from infra.usage import UsageLedger

OPERATIONS: list[Operation] = [
    *auth.operations,
    *datasets.operations,
    *generations.operations,
    *jobs.operations,
    *usage.operations,
    *meta.operations,
    *docs.operations,
]
middleware = [Middleware(RequestContextMiddleware)]


@dataclass(frozen=True)
class Documents:
    openapi: dict[str, Any]
    llms_txt: str
    llms_full_txt: str
    docs_html: str


def build_documents(base_url: str) -> Documents:
    openapi = build_openapi(OPERATIONS, base_url)
    return Documents(
        openapi=openapi,
        llms_txt=llms_txt(OPERATIONS, base_url),
        llms_full_txt=llms_full_txt(OPERATIONS, openapi, base_url),
        docs_html=docs_html(OPERATIONS, openapi),
    )


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = ControlDB(settings.resolved_control_db)
        app.state.documents = build_documents(settings.base_url)
        app.state.simulacra = AppState(
            settings=settings,
            temporal=await connect(settings.resolved_temporal_address, settings.temporal_namespace, wait_seconds=30),
            storage=Storage(settings.resolved_storage_url),
            credentials=CredentialStore(db),
            issuer=Issuer(settings.keys_dir, settings.issuer, settings.audience, settings.token_ttl_seconds),
            signer=UrlSigner(settings.keys_dir, settings.artifact_url_ttl_seconds),
            idempotency=IdempotencyStore(db),
            usage=UsageLedger(db, settings.default_rows_per_period),
            audit=AuditLog(db),
            limiter=RateLimiter(settings.rate_limit_per_minute),
        )
        yield

    return Starlette(
        routes=routes_for(OPERATIONS),
        middleware=middleware,
        exception_handlers=exception_handlers,
        lifespan=lifespan,
    )
