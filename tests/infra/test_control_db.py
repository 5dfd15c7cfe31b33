"""The control database on both dialects (SQLite and a real PostgreSQL): exactly-once where it matters.

Races run on separate engines (`replica()`: its own pool, as another API process has), started together
by a barrier, so the database, not this process, decides who wins.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError
from starlette.responses import JSONResponse

from simulacra.api.errors import ApiError
from simulacra.api.idempotency import IdempotencyStore, StoredResponse
from simulacra.api.ratelimit import RateLimiter
from simulacra.infra.audit import AuditLog
from simulacra.infra.control_tables import idempotency, shared_secrets, signing_keys
from simulacra.infra.controldb import ControlDB
from simulacra.infra.credentials import ClaimRefused, CredentialStore
from simulacra.infra.key_provider import LocalKeyProvider
from simulacra.infra.sealed import shared_secret
from simulacra.infra.signing_keys import SigningKeyRing, new_private_key_pem
from simulacra.infra.usage import ReservationConflict, UsageLedger, WindowExceeded

KEK = LocalKeyProvider(b"k" * 32)


def race(db: ControlDB, attempt: Callable[[ControlDB], Any], racers: int = 2) -> list[Any]:
    """Run `attempt` at the same moment on `racers` replicas; each result, or the exception it raised."""
    replicas = [db.replica() for _ in range(racers)]
    barrier = threading.Barrier(racers)
    results: list[Any] = [None] * racers

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = attempt(replicas[i])
        except Exception as exc:  # the losers' refusals are what the test looks at
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for replica in replicas:
        replica.engine.dispose()
    return results


def test_two_replicas_racing_on_one_idempotency_key_start_the_work_once(control_db: ControlDB) -> None:
    for round_ in range(5):
        key = f"race-{round_}"
        results = race(control_db, lambda db, key=key: IdempotencyStore(db).begin("acme", key, "body"))
        owners = [r for r in results if isinstance(r, str)]
        refused = [r for r in results if isinstance(r, ApiError)]
        assert len(owners) == 1 and len(refused) == 1, results
        assert refused[0].code == "simio_idempotency_in_flight"
        IdempotencyStore(control_db).complete("acme", key, owners[0], JSONResponse({"id": key}, status_code=202))
    # Another replica replays the stored answer.
    replay = IdempotencyStore(control_db.replica()).begin("acme", "race-0", "body")
    assert isinstance(replay, StoredResponse) and replay.status_code == 202 and b"race-0" in replay.body


def test_a_lapsed_lease_is_taken_over_by_one_retry_only(control_db: ControlDB) -> None:
    store = IdempotencyStore(control_db)
    first = store.begin("acme", "k", "body")
    with control_db.connect() as conn:
        conn.execute(update(idempotency).values(lease_until=0))
    results = race(control_db, lambda db: IdempotencyStore(db).begin("acme", "k", "body"))
    owners = [r for r in results if isinstance(r, str)]
    assert len(owners) == 1 and owners[0] != first, results
    assert [r.code for r in results if isinstance(r, ApiError)] == ["simio_idempotency_in_flight"]
    assert store.renew("acme", "k", first) is False and store.renew("acme", "k", owners[0]) is True
    with pytest.raises(ApiError) as conflict:
        store.begin("acme", "k", "another body")
    assert conflict.value.code == "simio_idempotency_conflict"


def test_a_claim_token_redeemed_concurrently_succeeds_once(control_db: ControlDB) -> None:
    store = CredentialStore(control_db, b"t" * 32, overlap_seconds=60)
    client, token = store.create_client("acme", 3600)
    results = race(control_db, lambda db: CredentialStore(db, b"t" * 32, 60).claim(token), racers=4)
    claimed = [r for r in results if not isinstance(r, Exception)]
    assert len(claimed) == 1 and all(isinstance(r, ClaimRefused) for r in results if r not in claimed), results
    assert store.authenticate(client.client_id, claimed[0].client_secret) == client


def test_concurrent_reservations_never_exceed_the_window(control_db: ControlDB) -> None:
    UsageLedger(control_db).set_window("acme", 100)
    results = race(control_db, lambda db: UsageLedger(db).reserve("acme", f"gen_{id(db)}", 30), racers=6)
    assert sum(r is None for r in results) == 3, results
    assert all(isinstance(r, ReservationConflict) for r in results if r is not None)
    usage = UsageLedger(control_db).usage("acme")
    assert (usage.rows_reserved, usage.rows_remaining) == (90, 10)


def test_reservations_are_atomic_and_settle_what_was_made(control_db: ControlDB) -> None:
    ledger = UsageLedger(control_db, default_rows_per_period=100)
    ledger.reserve("t", "gen_a", 60)
    with pytest.raises(ReservationConflict):  # fits only if gen_a makes fewer rows than it asked for
        ledger.reserve("t", "gen_b", 50)
    with pytest.raises(WindowExceeded):
        ledger.reserve("t", "gen_c", 101)
    ledger.settle("gen_a", 30)
    ledger.settle("gen_a", 30)  # a retried settlement counts once
    ledger.reserve("t", "gen_b", 50)
    ledger.reserve("t", "gen_b", 50)  # a retried reservation holds its rows once
    usage = ledger.usage("t")
    assert (usage.rows_generated, usage.rows_reserved, usage.rows_remaining) == (30, 50, 20)
    assert ledger.history("t") == [(usage.period, 30)]
    ledger.set_window("t", 10**12)  # past 32 bits
    assert ledger.usage("t").rows_per_period == 10**12


def test_rate_limits_hold_across_replicas(control_db: ControlDB) -> None:
    limiter, other = RateLimiter(control_db, 3), RateLimiter(control_db.replica(), 3)
    now = time.time()
    assert [limiter.spend("acme", now)[0], other.spend("acme", now)[0]] == [True, True]
    assert other.spend("globex", now)[0] is True  # buckets are per tenant
    assert [limiter.spend("acme", now)[0], other.spend("acme", now)[0]] == [True, False]
    assert other.spend("acme", now + 20)[0] is True  # one request's interval later, one more fits
    results = race(control_db, lambda db: RateLimiter(db, 4).spend("initech", now)[0], racers=6)
    assert sorted(results) == [False, False, True, True, True, True]  # none let through, none lost, to a race


def test_signing_keys_are_shared_sealed_and_rolled_for_every_replica(control_db: ControlDB, tmp_path: Path) -> None:
    ring = SigningKeyRing(control_db, KEK, tmp_path, publish_seconds=3630)
    other = SigningKeyRing(control_db.replica(), KEK, tmp_path / "elsewhere", publish_seconds=3630)
    first = ring.active
    assert other.active.kid == first.kid  # replicas starting on an empty database converge on one key
    second = other.roll()
    assert ring.active.kid == second.kid and ring.find(second.kid) == second
    assert [k.kid for k in ring.published()] == [second.kid, first.kid]
    assert [k.kid for k in ring.published(second.created_ms / 1000 + 3631)] == [second.kid]
    with control_db.connect() as conn:
        stored = b"".join(row.sealed_pem + row.wrapped_key for row in conn.execute(select(signing_keys)))
    assert b"PRIVATE KEY" not in stored and first.private_pem not in stored


def test_keys_of_a_data_directory_from_before_are_imported(control_db: ControlDB, tmp_path: Path) -> None:
    (tmp_path / "issuer").mkdir()
    pem = new_private_key_pem()
    (tmp_path / "issuer" / "0000000000000.pem").write_bytes(pem)
    (tmp_path / "url-signing.key").write_bytes(b"u" * 32)
    assert SigningKeyRing(control_db, KEK, tmp_path, publish_seconds=60).active.private_pem == pem
    made = shared_secret(control_db, KEK, "url-signing", lambda: b"new", tmp_path / "url-signing.key")
    assert made == b"u" * 32
    assert shared_secret(control_db.replica(), KEK, "url-signing", lambda: b"new", tmp_path / "gone") == made
    with control_db.connect() as conn:
        assert b"u" * 32 not in conn.execute(select(shared_secrets.c.sealed)).scalar_one()


def test_operator_window_overrides_default(control_db: ControlDB) -> None:
    ledger = UsageLedger(control_db, default_rows_per_period=10)
    ledger.set_window("big", 1_000_000)
    ledger.reserve("big", "gen_x", 500_000)
    with pytest.raises(WindowExceeded):
        ledger.reserve("small", "gen_y", 11)


def test_a_kek_rotation_reseals_keys_and_secrets_so_the_old_kek_can_go(control_db: ControlDB, tmp_path: Path) -> None:
    old = SigningKeyRing(control_db, KEK, tmp_path, publish_seconds=60).active
    secret = shared_secret(control_db, KEK, "claim-tokens", lambda: b"c" * 32, tmp_path / "none")
    rotating = LocalKeyProvider(b"n" * 32, previous=[b"k" * 32])
    assert SigningKeyRing(control_db, rotating, tmp_path, publish_seconds=60).active == old
    assert shared_secret(control_db, rotating, "claim-tokens", lambda: b"x", tmp_path / "none") == secret
    rotated = LocalKeyProvider(b"n" * 32)
    assert SigningKeyRing(control_db.replica(), rotated, tmp_path, publish_seconds=60).active == old
    assert shared_secret(control_db, rotated, "claim-tokens", lambda: b"x", tmp_path / "none") == secret


def test_audit_log_is_append_only(control_db: ControlDB) -> None:
    log = AuditLog(control_db)
    log.record("operator:alice", "acme", "client_created", client_id="cl_1")
    for statement in ("UPDATE audit SET actor = 'mallory'", "DELETE FROM audit"):
        with pytest.raises(DatabaseError, match="append-only"), control_db.connect() as conn:
            conn.execute(text(statement))
    [entry] = log.query("acme")
    assert entry.actor == "operator:alice" and entry.detail == {"client_id": "cl_1"}
