"""Idempotency leases: only the request that holds a key may renew, complete or give it up."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update
from starlette.responses import JSONResponse

from simulacra.api import idempotency
from simulacra.api.idempotency import IdempotencyStore, StoredResponse, run_once
from simulacra.infra.control_tables import idempotency as records
from simulacra.infra.controldb import ControlDB


@pytest.fixture
def store(control_db: ControlDB) -> IdempotencyStore:
    return IdempotencyStore(control_db)


def _lapse(store: IdempotencyStore, key: str) -> None:
    """What a starved or dead first request looks like from the database: its lease ran out."""
    with store.db.connect() as conn:
        conn.execute(update(records).where(records.c.key == key).values(lease_until=0))


def test_a_request_that_lost_its_lease_cannot_free_or_overwrite_the_key(store: IdempotencyStore) -> None:
    first = store.begin("acme", "k1", "same body")
    assert isinstance(first, str)
    _lapse(store, "k1")
    second = store.begin("acme", "k1", "same body")  # an identical retry takes the key over
    assert isinstance(second, str) and second != first
    assert store.renew("acme", "k1", first) is False and store.renew("acme", "k1", second) is True
    store.forget("acme", "k1", first)  # the starved first request fails late: the retry's claim stays
    store.complete("acme", "k1", first, JSONResponse({"from": "first"}, status_code=500))
    store.complete("acme", "k1", second, JSONResponse({"from": "second"}, status_code=202))
    replay = store.begin("acme", "k1", "same body")
    assert isinstance(replay, StoredResponse) and replay.status_code == 202 and b"second" in replay.body


def test_a_failed_renewal_does_not_fail_the_request(store: IdempotencyStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idempotency, "RENEW_EVERY_SECONDS", 0.01)

    def locked(*_: object) -> bool:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(store, "renew", locked)

    async def slow_work() -> JSONResponse:
        await asyncio.sleep(0.1)  # long enough for several renewals to fail
        return JSONResponse({"ok": True}, status_code=202)

    response = asyncio.run(run_once(store, "acme", "k2", "body", slow_work))
    assert response.status_code == 202
    replay = store.begin("acme", "k2", "body")
    assert isinstance(replay, StoredResponse) and replay.status_code == 202
