"""Per-tenant rate limits: a token bucket per tenant in each API process.

In-process on purpose: limits protect this process; with N API processes a tenant gets N times
the rate, which docs/api-guide.md states. The numbers ride on every authenticated response as
RateLimit-* headers (IETF draft) through a context variable the request middleware reads.
"""

from __future__ import annotations

import math
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass

from simulacra.api.errors import ApiError
from simulacra.api.metrics import count_rate_limited


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
    def __init__(self, per_minute: int) -> None:
        per_minute = max(1, per_minute)
        self.capacity = per_minute
        self.refill_per_second = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, tenant_id: str) -> None:
        """Spend one request of the tenant's bucket, or refuse with 429 and when to come back."""
        now = time.monotonic()
        with self._lock:
            tokens, updated = self._buckets.get(tenant_id, (float(self.capacity), now))
            tokens = min(self.capacity, tokens + (now - updated) * self.refill_per_second)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[tenant_id] = (tokens, now)
        full_in = math.ceil((self.capacity - tokens) / self.refill_per_second)
        quota = Quota(self.capacity, int(tokens), full_in)
        current_quota.set(quota)
        if not allowed:
            count_rate_limited("anonymous" if tenant_id.startswith(ANONYMOUS) else "tenant")
            retry_after = math.ceil((1.0 - tokens) / self.refill_per_second)
            raise ApiError(
                "simio_rate_limited",
                f"More than {self.capacity} requests a minute for this tenant; retry in {retry_after} s.",
                headers={"Retry-After": str(retry_after), **quota.headers()},
            )
