"""How long to wait: exponential backoff with jitter, never shorter than the server's `Retry-After`."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx


def retry_after(response: httpx.Response | None) -> float | None:
    """Seconds from `Retry-After` (RFC 9110: delay-seconds or an HTTP date), or None when absent or unreadable."""
    value = response.headers.get("retry-after") if response is not None else None
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass
class Backoff:
    """Delays of base * factor^n capped at `cap`, each drawn in [50%, 100%] of its value ("equal jitter"), so
    clients that failed together do not come back together; a `Retry-After` is a floor, not a suggestion."""

    base: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self, floor: float | None = None) -> float:
        ceiling = min(self.cap, self.base * self.factor**self.attempt)
        self.attempt += 1
        jittered = ceiling * self.rng.uniform(0.5, 1.0)
        return max(jittered, floor or 0.0)
