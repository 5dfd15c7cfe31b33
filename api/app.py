"""API composition root: routes, middleware, error handlers and resources, assembled in plain sight."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware

from api.context import RequestContextMiddleware
from api.idempotency import IdempotencyStore
from api.problems import exception_handlers
from api.routes import auth, datasets, generations, jobs, meta, usage
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

routes = [*meta.routes, *auth.routes, *datasets.routes, *generations.routes, *jobs.routes, *usage.routes]
middleware = [Middleware(RequestContextMiddleware)]


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = ControlDB(settings.resolved_control_db)
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
        )
        yield

    return Starlette(routes=routes, middleware=middleware, exception_handlers=exception_handlers, lifespan=lifespan)
