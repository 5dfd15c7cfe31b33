"""The router authenticates every operation from its record's scopes (derived from the registry, not listed by hand),
before the endpoint runs and before it looks at the path."""

from __future__ import annotations

import re
import uuid

import httpx
from starlette.testclient import TestClient

from simulacra.api.app import OPERATIONS
from simulacra.api.operations import Operation
from simulacra.infra.config import Settings
from simulacra.infra.credentials import CredentialStore
from simulacra.infra.scopes import Scope
from tests.flows import bearer


def _token(client: TestClient, settings: Settings, scope: Scope) -> str:
    store = CredentialStore.for_settings(settings)
    created, claim = store.create_client("scoped", 3600, (scope,))
    secret = store.claim(claim).client_secret
    form = {"grant_type": "client_credentials", "client_id": created.client_id, "client_secret": secret}
    return client.post("/oauth/token", data=form).json()["access_token"]


def _call(client: TestClient, op: Operation, token: str | None = None) -> httpx.Response:
    # Not an id of any shape: what the caller is told must not depend on the path until it is authenticated.
    path = re.sub(r"{\w+}", "not-an-id", op.path)
    headers = bearer(token, uuid.uuid4().hex if op.needs_idempotency_key else None) if token else {}
    return client.request(op.method, path, headers=headers)


def test_every_operation_with_scopes_refuses_a_request_without_a_token(client: TestClient) -> None:
    answers = {op.operation_id: _call(client, op).json()["code"] for op in OPERATIONS if op.authenticated}
    assert answers and set(answers.values()) == {"simio_unauthorized"}


def test_every_operation_with_scopes_refuses_a_token_lacking_them(client: TestClient, settings: Settings) -> None:
    tokens = {scope: _token(client, settings, scope) for scope in Scope}
    answers = {}
    for op in OPERATIONS:
        others = [scope for scope in Scope if scope not in op.scopes]
        if op.authenticated and others:
            answers[op.operation_id] = _call(client, op, tokens[others[0]]).json()["code"]
    assert answers and set(answers.values()) == {"simio_insufficient_scope"}


def test_operations_without_scopes_need_no_token(client: TestClient) -> None:
    statuses = {op.operation_id: _call(client, op).status_code for op in OPERATIONS if not op.authenticated}
    assert statuses and 401 not in statuses.values()
