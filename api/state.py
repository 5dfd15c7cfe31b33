"""What the API holds for its lifetime, built in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from temporalio.client import Client

from api.idempotency import IdempotencyStore
from api.ratelimit import RateLimiter
from infra.audit import AuditLog
from infra.config import Settings
from infra.credentials import CredentialStore
from infra.signed_urls import UrlSigner
from infra.signups import SignupStore
from infra.storage import Storage
from infra.tokens import Issuer, TokenVerifier
from infra.usage import UsageLedger


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


def app_state(request: Request) -> AppState:
    return request.app.state.simulacra
