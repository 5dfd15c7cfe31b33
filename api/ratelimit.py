"""Per-tenant rate limits, kept in the control database so they hold across every API replica.

The generic cell rate algorithm (a token bucket in one number): each bucket (a tenant, or an address
on an endpoint open to anyone) stores the time at which it would be full again, `tat`. A request fits
if moving `tat` on by one request's interval leaves it within a minute of now; one UPSERT per request
decides and moves it, so replicas never race on a read-modify-write. Bursts up to the per-minute limit
pass, then one request per interval. The numbers ride on every authenticated response as RateLimit-*
headers (IETF draft) through a context variable the request middleware reads.
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

PERIOD_SECONDS = 60.0
# Buckets full for this long are deleted (when an idle bucket is used again), so addresses do not pile up.
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
        self.interval = PERIOD_SECONDS / self.limit

    def spend(self, bucket: str, now: float) -> tuple[bool, float]:
        """Spend one request of the bucket: (whether it fits, the bucket's `tat` after it)."""
        tat = rate_limits.c.tat
        start = case((tat > now, tat), else_=now)  # an idle bucket is full: it starts from now
        # A millisecond of slack: sums of unix times lose a little to rounding, and a burst's last request must fit.
        fits = start + self.interval - now <= PERIOD_SECONDS + 1e-3
        upsert = self.db.insert(rate_limits).values(bucket=bucket, tat=now + self.interval, allowed=1)
        upsert = upsert.on_conflict_do_update(
            index_elements=[rate_limits.c.bucket],
            set_={"tat": case((fits, start + self.interval), else_=tat), "allowed": case((fits, 1), else_=0)},
        ).returning(rate_limits.c.allowed, rate_limits.c.tat)
        with self.db.connect() as conn:
            allowed, new_tat = conn.execute(upsert).one()
            if new_tat == now + self.interval:  # the bucket was idle: a cheap moment to forget long-idle ones
                conn.execute(delete(rate_limits).where(rate_limits.c.tat < now - _FORGET_AFTER_SECONDS))
        return bool(allowed), new_tat

    async def take(self, bucket: str) -> None:
        """Spend one request of the bucket, or refuse with 429 and when one request fits again."""
        now = time.time()
        allowed, tat = await run_in_threadpool(self.spend, bucket, now)
        remaining = max(0, math.floor((PERIOD_SECONDS - (tat - now)) / self.interval + 1e-9))
        quota = Quota(self.limit, remaining, max(0, math.ceil(tat - now)))
        current_quota.set(quota)
        if not allowed:
            count_rate_limited("anonymous" if bucket.startswith(ANONYMOUS) else "tenant")
            retry_after = max(1, math.ceil(tat + self.interval - PERIOD_SECONDS - now))
            raise ApiError(
                "simio_rate_limited",
                f"More than {self.limit} requests a minute for this tenant; retry in {retry_after} s.",
                headers={"Retry-After": str(retry_after), **quota.headers()},
            )
