"""Row metering: generations reserve rows against the tenant's window, then settle what they made.

Billing counts generated rows, never requested ones. A reservation is made when a generation
is accepted and settled (or released) by the workflow; settling is an overwrite keyed by the
generation id, so a retried activity cannot count twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from simulacra.infra.controldb import ControlDB

FREE_ROWS_PER_PERIOD = 20_000


def current_period(now: float | None = None) -> str:
    """Usage is counted per calendar month (UTC), e.g. 2026-11."""
    return datetime.fromtimestamp(now if now is not None else time.time(), UTC).strftime("%Y-%m")


class WindowExceeded(Exception):
    """The rows would not fit in the tenant's window even if every pending generation made nothing."""


class ReservationConflict(Exception):
    """The rows fit only if generations still running use fewer rows than they reserved: retry later."""


@dataclass(frozen=True)
class PeriodUsage:
    period: str
    rows_per_period: int
    rows_generated: int
    rows_reserved: int

    @property
    def rows_remaining(self) -> int:
        return max(0, self.rows_per_period - self.rows_generated - self.rows_reserved)

    @property
    def free_rows_remaining(self) -> int:
        return max(0, FREE_ROWS_PER_PERIOD - self.rows_generated)


class UsageLedger:
    def __init__(self, db: ControlDB, default_rows_per_period: int = FREE_ROWS_PER_PERIOD) -> None:
        self.db = db
        self.default_rows_per_period = default_rows_per_period

    def set_window(self, tenant_id: str, rows_per_period: int) -> None:
        with self.db.connect() as conn:
            conn.execute(
                "INSERT INTO row_windows (tenant_id, rows_per_period) VALUES (?, ?) "
                "ON CONFLICT (tenant_id) DO UPDATE SET rows_per_period = excluded.rows_per_period",
                (tenant_id, rows_per_period),
            )

    def reserve(self, tenant_id: str, generation_id: str, rows: int) -> None:
        """Atomically reserve rows (the transaction holds SQLite's write lock), or refuse."""
        period = current_period()
        with self.db.connect() as conn:
            held = conn.execute("SELECT 1 FROM usage WHERE generation_id = ?", (generation_id,)).fetchone()
            if held:  # a retry of a generation that already holds its rows
                return
            usage = self._usage(conn, tenant_id, period)
            if usage.rows_generated + rows > usage.rows_per_period:
                raise WindowExceeded(usage)
            if usage.rows_generated + usage.rows_reserved + rows > usage.rows_per_period:
                raise ReservationConflict(usage)
            conn.execute(
                "INSERT INTO usage (generation_id, tenant_id, period, rows_reserved, state, created_at)"
                " VALUES (?, ?, ?, ?, 'reserved', ?)",
                (generation_id, tenant_id, period, rows, time.time()),
            )

    def settle(self, generation_id: str, rows_generated: int) -> None:
        """Record what a generation made (0 releases its reservation). Repeating it changes nothing."""
        with self.db.connect() as conn:
            conn.execute(
                "UPDATE usage SET rows_generated = ?, state = 'settled', settled_at = ? WHERE generation_id = ?",
                (rows_generated, time.time(), generation_id),
            )

    def usage(self, tenant_id: str, period: str | None = None) -> PeriodUsage:
        with self.db.connect() as conn:
            return self._usage(conn, tenant_id, period or current_period())

    def history(self, tenant_id: str) -> list[tuple[str, int]]:
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT period, COALESCE(SUM(rows_generated), 0) FROM usage WHERE tenant_id = ? AND state = 'settled'"
                " GROUP BY period ORDER BY period DESC",
                (tenant_id,),
            ).fetchall()
        return [(row[0], int(row[1])) for row in rows]

    def _usage(self, conn: object, tenant_id: str, period: str) -> PeriodUsage:
        window = conn.execute(  # type: ignore[attr-defined]
            "SELECT rows_per_period FROM row_windows WHERE tenant_id = ?", (tenant_id,)
        ).fetchone()
        totals = conn.execute(  # type: ignore[attr-defined]
            "SELECT COALESCE(SUM(CASE WHEN state = 'settled' THEN rows_generated END), 0),"
            " COALESCE(SUM(CASE WHEN state = 'reserved' THEN rows_reserved END), 0)"
            " FROM usage WHERE tenant_id = ? AND period = ?",
            (tenant_id, period),
        ).fetchone()
        rows_per_period = window[0] if window else self.default_rows_per_period
        return PeriodUsage(period, rows_per_period, int(totals[0]), int(totals[1]))
