"""Per-tenant rate limits, counted in the control database so they hold across every API replica.

A fixed window per bucket (a tenant, or an address on an endpoint open to anyone), opened by the
bucket's first request and counted by one UPSERT per request: one row per bucket, no read-modify-write
race between replicas. The numbers ride on every authenticated response as RateLimit-* headers (IETF
draft) through a context variable the request middleware reads.
"""

from __future__ import annotations

import math
import time
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import case, delete
from starlette.concurrency import run_in_threadpool

from simulacra.api.errors import ApiError
from simulacra.api.metrics import count_rate_limited
from simulacra.infra.control_tables import rate_limits
from simulacra.infra.controldb import ControlDB

WINDOW_SECONDS = 60.0
# Buckets idle this long are deleted (by the next bucket to open a window), so addresses do not pile up.
_FORGET_AFTER_SECONDS = 3600.0


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


# The key prefix of the buckets kept per address for endpoints open to anyone.
ANONYMOUS = "@anonymous:"
current_quota: ContextVar[Quota | None] = ContextVar("current_quota", default=None)


class RateLimiter:
    def __init__(self, db: ControlDB, per_minute: int) -> None:
        self.db = db
        self.limit = max(1, per_minute)

    def count(self, bucket: str) -> tuple[int, float]:
        """Count one request; returns (requests in the bucket's window, when that window began)."""
        now = time.time()
        lapsed = rate_limits.c.window_start <= now - WINDOW_SECONDS
        upsert = self.db.insert(rate_limits).values(bucket=bucket, window_start=now, hits=1)
        upsert = upsert.on_conflict_do_update(
            index_elements=[rate_limits.c.bucket],
            set_={
                "hits": case((lapsed, 1), else_=rate_limits.c.hits + 1),
                "window_start": case((lapsed, now), else_=rate_limits.c.window_start),
            },
        ).returning(rate_limits.c.hits, rate_limits.c.window_start)
        with self.db.connect() as conn:
            hits, window_start = conn.execute(upsert).one()
            if hits == 1:
                conn.execute(delete(rate_limits).where(rate_limits.c.window_start < now - _FORGET_AFTER_SECONDS))
        return hits, window_start

    async def take(self, bucket: str) -> None:
        """Spend one request of the bucket's window, or refuse with 429 and when the window ends."""
        hits, window_start = await run_in_threadpool(self.count, bucket)
        reset = max(1, math.ceil(window_start + WINDOW_SECONDS - time.time()))
        quota = Quota(self.limit, max(0, self.limit - hits), reset)
        current_quota.set(quota)
        if hits > self.limit:
            count_rate_limited("anonymous" if bucket.startswith(ANONYMOUS) else "tenant")
            raise ApiError(
                "simio_rate_limited",
                f"More than {self.limit} requests a minute for this tenant; retry in {reset} s.",
                headers={"Retry-After": str(reset), **quota.headers()},
            )
