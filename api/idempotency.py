"""Idempotency-Key for every POST: per-tenant records in the control database, kept 24 hours.

A first request holds its key with a short lease that it renews while it works. A process that dies
mid-request (SIGKILL, OOM, a lost machine) renews nothing, so an identical retry takes the key over
within LEASE_SECONDS instead of answering `simio_idempotency_in_flight` until the record's 24 hours end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import ColumnElement, delete, select, update
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from simulacra.api.errors import ApiError
from simulacra.infra.control_tables import idempotency
from simulacra.infra.controldb import ControlDB

log = structlog.get_logger("simulacra.idempotency")

KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,255}$")
RETENTION_SECONDS = 24 * 3600
IN_FLIGHT_RETRY_AFTER = "2"
# How long a first request holds its key without renewing it: a dead process's retry waits at most this.
# A live one renews every third of it, so a slow start (Temporal retrying) keeps its claim.
LEASE_SECONDS = 10.0
RENEW_EVERY_SECONDS = LEASE_SECONDS / 3
REPLAY_HEADER = "Idempotent-Replayed"


def idempotency_key(request: Request) -> str:
    """The header's key; the IETF draft's quoted form ("abc") is accepted too."""
    raw = request.headers.get("idempotency-key")
    if raw is None or raw.strip() == "":
        raise ApiError("simio_idempotency_key_required", "This POST needs an `Idempotency-Key` header.")
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not KEY_PATTERN.match(key):
        raise ApiError("simio_invalid_idempotency_key", "Idempotency-Key must match ^[A-Za-z0-9._:-]{1,255}$.")
    return key


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes
    headers: dict[str, str]

    def replay(self) -> Response:
        return Response(
            self.body, self.status_code, headers={**self.headers, REPLAY_HEADER: "true"}, media_type="application/json"
        )


class IdempotencyStore:
    def __init__(self, db: ControlDB) -> None:
        self.db = db

    def begin(self, tenant_id: str, key: str, fingerprint: str) -> StoredResponse | str:
        """Claim the key for this request (returning the claim's owner token), or return the response to
        replay; conflicts raise. Only the owner renews, completes or gives up the claim: a request that
        lost its lease while starved cannot overwrite or free the claim of the retry that took over.

        Exactly once across replicas: the claim is an INSERT that does nothing on conflict (only the one that
        inserted gets a row back) and a takeover an UPDATE conditioned on the lapsed lease it read, checked by
        its row count; of two racers one wins.
        """
        # A key can vanish between a refused insert and the read that follows (its first request was refused
        # and gave it up, on another replica): then it is free, and claiming it again is right.
        for _ in range(3):
            claim = self._claim(tenant_id, key, fingerprint)
            if claim is not None:
                return claim
        raise ApiError(
            "simio_idempotency_in_flight",
            "Another request with this key is starting and stopping; retry shortly.",
            headers={"Retry-After": IN_FLIGHT_RETRY_AFTER},
        )

    def _claim(self, tenant_id: str, key: str, fingerprint: str) -> StoredResponse | str | None:
        """What `begin` does, once; None when the key vanished between the insert and the read."""
        now, owner = time.time(), secrets.token_hex(8)
        this = (idempotency.c.tenant_id == tenant_id) & (idempotency.c.key == key)
        with self.db.connect() as conn:
            conn.execute(delete(idempotency).where(idempotency.c.created_at < now - RETENTION_SECONDS))
            claimed = conn.execute(
                self.db.insert(idempotency)
                .values(
                    tenant_id=tenant_id,
                    key=key,
                    fingerprint=fingerprint,
                    state="in_flight",
                    created_at=now,
                    lease_until=now + LEASE_SECONDS,
                    owner=owner,
                )
                .on_conflict_do_nothing()
                .returning(idempotency.c.owner)  # no row back: the key was already there
            ).first()
            if claimed is not None:
                return owner
            row = conn.execute(select(idempotency).where(this)).first()
            if row is None:
                return None
            if row.state == "in_flight" and row.fingerprint == fingerprint and row.lease_until < now:
                # The first attempt's process died holding the key: this retry takes the work over.
                taken = conn.execute(
                    update(idempotency)
                    .where(this, idempotency.c.owner == row.owner, idempotency.c.lease_until == row.lease_until)
                    .values(lease_until=now + LEASE_SECONDS, owner=owner)
                )
                if taken.rowcount == 1:
                    return owner
                row = conn.execute(select(idempotency).where(this)).first()
                if row is None:
                    return None
        if row.fingerprint != fingerprint:
            # Hashes only: enough to tell a client's changed body from a fault of ours.
            log.info("idempotency_conflict", key=key, stored=row.fingerprint[:12], sent=fingerprint[:12])
            raise ApiError(
                "simio_idempotency_conflict", "This Idempotency-Key was already used for a different request."
            )
        if row.state == "in_flight":
            raise ApiError(
                "simio_idempotency_in_flight",
                "The first request with this key is still running.",
                headers={"Retry-After": IN_FLIGHT_RETRY_AFTER},
            )
        return StoredResponse(row.status_code, row.body, json.loads(row.headers))

    def renew(self, tenant_id: str, key: str, owner: str) -> bool:
        """Extend a running request's lease; False once another request has taken the key over."""
        with self.db.connect() as conn:
            renewed = conn.execute(
                update(idempotency)
                .where(_owned(tenant_id, key, owner), idempotency.c.state == "in_flight")
                .values(lease_until=time.time() + LEASE_SECONDS)
            )
            return renewed.rowcount > 0

    def complete(self, tenant_id: str, key: str, owner: str, response: JSONResponse) -> None:
        headers = {k: v for k, v in response.headers.items() if k.lower() in ("location", "retry-after")}
        with self.db.connect() as conn:
            conn.execute(
                update(idempotency)
                .where(_owned(tenant_id, key, owner))
                .values(
                    state="done",
                    status_code=response.status_code,
                    body=bytes(response.body),
                    headers=json.dumps(headers),
                )
            )

    def forget(self, tenant_id: str, key: str, owner: str) -> None:
        """A request that was refused before doing any work may be retried with the same key."""
        with self.db.connect() as conn:
            conn.execute(delete(idempotency).where(_owned(tenant_id, key, owner), idempotency.c.state == "in_flight"))


def _owned(tenant_id: str, key: str, owner: str) -> ColumnElement[bool]:
    return (idempotency.c.tenant_id == tenant_id) & (idempotency.c.key == key) & (idempotency.c.owner == owner)


async def run_once(
    store: IdempotencyStore, tenant_id: str, key: str, fingerprint: str, work: Callable[[], Awaitable[JSONResponse]]
) -> Response:
    """Run `work` once per (tenant, key); replay its response for identical retries."""
    claim = await run_in_threadpool(store.begin, tenant_id, key, fingerprint)
    if isinstance(claim, StoredResponse):
        return claim.replay()
    renewing = asyncio.create_task(_renew_lease(store, tenant_id, key, claim))
    try:
        response = await work()
    except BaseException:
        await _stop(renewing)
        await run_in_threadpool(store.forget, tenant_id, key, claim)
        raise
    await _stop(renewing)
    await run_in_threadpool(store.complete, tenant_id, key, claim, response)
    return response


async def _renew_lease(store: IdempotencyStore, tenant_id: str, key: str, owner: str) -> None:
    while True:
        await asyncio.sleep(RENEW_EVERY_SECONDS)
        try:
            if not await run_in_threadpool(store.renew, tenant_id, key, owner):
                log.warning("idempotency_lease_lost", key=key)  # a retry took over: it answers for the key now
                return
        except Exception:
            # A renewal that failed (a locked database, say) must not fail the request doing the work: the
            # lease may lapse, and then an identical retry takes the key over, as for a dead process.
            log.warning("idempotency_lease_not_renewed", key=key, exc_info=True)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
