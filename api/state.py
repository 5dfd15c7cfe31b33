"""What the API holds for its lifetime, built in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from temporalio.client import Client

from simulacra.api.idempotency import IdempotencyStore
from simulacra.api.ratelimit import RateLimiter
from simulacra.infra.audit import AuditLog
from simulacra.infra.config import Settings
from simulacra.infra.credentials import CredentialStore
from simulacra.infra.signed_urls import UrlSigner
from simulacra.infra.signups import SignupStore
from simulacra.infra.storage import Storage
from simulacra.infra.tokens import Issuer, TokenVerifier
from simulacra.infra.usage import UsageLedger
from simulacra.infra.webhook_store import WebhookStore


@dataclass
class AppState:
    settings: Settings
    temporal: Client
    storage: Storage
    credentials: CredentialStore
    signups: SignupStore
    issuer: Issuer
    verifier: TokenVerifier
    signer: UrlSigner
    idempotency: IdempotencyStore
    usage: UsageLedger
    audit: AuditLog
    limiter: RateLimiter
    webhooks: WebhookStore


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.simulacra
    return state
