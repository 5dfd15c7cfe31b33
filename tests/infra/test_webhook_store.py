"""Webhook secrets at rest and in rotation, and creation's idempotency, on a real control database."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from simulacra.infra.controldb import ControlDB
from simulacra.infra.key_provider import LocalKeyProvider
from simulacra.infra.webhook_signing import encode_secret
from simulacra.infra.webhook_store import EndpointKeyReused, EndpointLimitReached, WebhookStore

URL = "https://hooks.example.com/x"


def _store(tmp_path: Path, overlap: float = 3600.0) -> WebhookStore:
    return WebhookStore(ControlDB(tmp_path / "control.sqlite3"), LocalKeyProvider(secrets.token_bytes(32)), overlap)


def _create(store: WebhookStore, tenant: str = "acme", key: str = "k1", fingerprint: str = "f1", limit: int = 20):
    return store.create(tenant, f"whe_{key}", URL, ("job.failed",), None, key, fingerprint, limit)


def test_a_secret_is_stored_only_wrapped_and_a_replay_shows_the_same_one(tmp_path: Path) -> None:
    store = _store(tmp_path)
    issued = _create(store)
    again = _create(store)
    assert again.replayed and again.secret == issued.secret and again.endpoint == issued.endpoint
    with pytest.raises(EndpointKeyReused):
        _create(store, fingerprint="another body")
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("control.sqlite3*"))
    assert issued.secret not in raw and encode_secret(issued.secret).encode() not in raw
    # Another KEK cannot unwrap it: the database alone signs nothing.
    stolen = WebhookStore(store.db, LocalKeyProvider(secrets.token_bytes(32)), 3600.0)
    with pytest.raises(Exception, match="KEK"):
        stolen.signing_secrets("acme", issued.endpoint.endpoint_id)


def test_rotation_signs_with_both_secrets_until_the_overlap_ends(tmp_path: Path) -> None:
    store = _store(tmp_path)
    first = _create(store)
    rotated = store.rotate("acme", first.endpoint.endpoint_id, "r1", "rf")
    assert rotated is not None and not rotated.replayed and rotated.previous_retires_at is not None
    assert store.signing_secrets("acme", first.endpoint.endpoint_id) == (first.endpoint, [rotated.secret, first.secret])
    replay = store.rotate("acme", first.endpoint.endpoint_id, "r1", "rf")
    assert replay is not None and replay.replayed and replay.secret == rotated.secret
    assert store.rotate("globex", first.endpoint.endpoint_id, "r2", "rf") is None  # another tenant's: not found
    ended = _store(tmp_path / "no-overlap", overlap=0.0)
    made = _create(ended)
    fresh = ended.rotate("acme", made.endpoint.endpoint_id, "r1", "rf")
    assert fresh is not None
    assert ended.signing_secrets("acme", made.endpoint.endpoint_id) == (made.endpoint, [fresh.secret])


def test_endpoints_are_per_tenant_and_capped(tmp_path: Path) -> None:
    store = _store(tmp_path)
    mine = _create(store, limit=2)
    _create(store, key="k2", limit=2)
    with pytest.raises(EndpointLimitReached):
        _create(store, key="k3", limit=2)
    assert store.get("globex", mine.endpoint.endpoint_id) is None
    assert not store.delete("globex", mine.endpoint.endpoint_id)
    assert [e.endpoint_id for e in store.endpoints("globex")] == []
    assert store.delete("acme", mine.endpoint.endpoint_id)
    assert store.signing_secrets("acme", mine.endpoint.endpoint_id) is None
