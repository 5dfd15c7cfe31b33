"""Webhook secrets at rest and in rotation, creation's idempotency and deliveries, on a real control database:
each test on SQLite and on PostgreSQL (the `control_db` fixture)."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select

from simulacra.infra.control_tables import webhook_endpoints, webhook_secrets
from simulacra.infra.controldb import ControlDB
from simulacra.infra.key_provider import LocalKeyProvider
from simulacra.infra.webhook_signing import encode_secret
from simulacra.infra.webhook_store import EndpointKeyReused, EndpointLimitReached, Issued, WebhookStore
from tests.infra.test_control_db import race

URL = "https://hooks.example.com/x"
KEK = LocalKeyProvider(secrets.token_bytes(32))


def _store(db: ControlDB, overlap: float = 3600.0) -> WebhookStore:
    return WebhookStore(db, KEK, overlap)


def _create(store: WebhookStore, tenant: str = "acme", key: str = "k1", fingerprint: str = "f1", limit: int = 20):
    return store.create(tenant, f"whe_{tenant}_{key}", URL, ("job.failed",), None, key, fingerprint, limit)


def test_a_secret_is_stored_only_wrapped_and_a_replay_shows_the_same_one(control_db: ControlDB) -> None:
    store = _store(control_db)
    issued = _create(store)
    again = _create(store)
    assert again.replayed and again.secret == issued.secret and again.endpoint == issued.endpoint
    with pytest.raises(EndpointKeyReused):
        _create(store, fingerprint="another body")
    with control_db.connect() as conn:
        stored = repr([conn.execute(select(table)).all() for table in (webhook_secrets, webhook_endpoints)]).encode()
    raw = (
        b"".join(path.read_bytes() for path in control_db.path.parent.glob("control.sqlite3*"))
        if control_db.path
        else b""
    )
    for place in (stored, raw):
        assert issued.secret not in place and encode_secret(issued.secret).encode() not in place
    # Another KEK cannot unwrap it: the database alone signs nothing.
    stolen = WebhookStore(store.db, LocalKeyProvider(secrets.token_bytes(32)), 3600.0)
    with pytest.raises(Exception, match="KEK"):
        stolen.signing_secrets("acme", issued.endpoint.endpoint_id)


def test_rotation_signs_with_both_secrets_until_the_overlap_ends(control_db: ControlDB) -> None:
    store = _store(control_db)
    first = _create(store)
    rotated = store.rotate("acme", first.endpoint.endpoint_id, "r1", "rf")
    assert rotated is not None and not rotated.replayed and rotated.previous_retires_at is not None
    assert store.signing_secrets("acme", first.endpoint.endpoint_id) == (first.endpoint, [rotated.secret, first.secret])
    replay = store.rotate("acme", first.endpoint.endpoint_id, "r1", "rf")
    assert replay is not None and replay.replayed and replay.secret == rotated.secret
    assert store.rotate("globex", first.endpoint.endpoint_id, "r2", "rf") is None  # another tenant's: not found
    ended = _store(control_db, overlap=0.0)
    made = _create(ended, tenant="initech")
    fresh = ended.rotate("initech", made.endpoint.endpoint_id, "r1", "rf")
    assert fresh is not None
    assert ended.signing_secrets("initech", made.endpoint.endpoint_id) == (made.endpoint, [fresh.secret])


def test_endpoints_are_per_tenant_and_capped(control_db: ControlDB) -> None:
    store = _store(control_db)
    mine = _create(store, limit=2)
    _create(store, key="k2", limit=2)
    with pytest.raises(EndpointLimitReached):
        _create(store, key="k3", limit=2)
    assert store.get("globex", mine.endpoint.endpoint_id) is None
    assert not store.delete("globex", mine.endpoint.endpoint_id)
    assert [e.endpoint_id for e in store.endpoints("globex")] == []
    assert store.delete("acme", mine.endpoint.endpoint_id)
    assert store.signing_secrets("acme", mine.endpoint.endpoint_id) is None


def test_deliveries_are_opened_once_and_an_attempt_recorded_twice_keeps_the_last(control_db: ControlDB) -> None:
    store = _store(control_db)
    endpoint = _create(store).endpoint.endpoint_id
    for _ in range(2):  # a retried plan finds its deliveries there
        opened = store.open_deliveries("acme", "ev_1", "job.failed", lambda e: f"whd_{e}_ev_1")
        assert opened == [(endpoint, f"whd_{endpoint}_ev_1")]
    assert store.open_deliveries("acme", "ev_2", "job.succeeded", lambda e: f"whd_{e}_ev_2") == []
    store.record_attempt(f"whd_{endpoint}_ev_1", 1, 500, None, succeeded=False)
    store.record_attempt(f"whd_{endpoint}_ev_1", 1, 200, None, succeeded=True)
    store.give_up(f"whd_{endpoint}_ev_1")  # too late: it already succeeded
    page, more = store.deliveries("acme", endpoint, 10, None)
    assert more is None and [(d.status, [(a.attempt, a.status_code) for a in d.attempts]) for d in page] == [
        ("succeeded", [(1, 200)])
    ]
    assert store.deliveries("globex", endpoint, 10, None) == ([], None)


def test_replicas_racing_create_one_endpoint_and_rotate_to_distinct_versions(control_db: ControlDB) -> None:
    created = race(control_db, lambda db: _create(_store(db), key="raced"), racers=3)
    assert all(isinstance(r, Issued) for r in created), created
    assert sorted(r.replayed for r in created) == [False, True, True]
    assert len({r.secret for r in created}) == 1
    endpoint = created[0].endpoint.endpoint_id
    rotated = race(control_db, lambda db: _store(db).rotate("acme", endpoint, f"r-{id(db)}", "rf"), racers=3)
    assert all(isinstance(r, Issued) and not r.replayed for r in rotated), rotated
    found = _store(control_db).signing_secrets("acme", endpoint)
    assert found is not None and len(found[1]) == 4  # the first and three rotations, none lost to the race
    with control_db.connect() as conn:
        versions = conn.execute(select(webhook_secrets.c.version).where(webhook_secrets.c.endpoint_id == endpoint))
        assert sorted(v for (v,) in versions) == [1, 2, 3, 4]
