"""Row metering: generations reserve rows against the tenant's window, then settle what they made.

Billing counts generated rows, never requested ones. A reservation is made when a generation
is accepted and settled (or released) by the workflow; settling is an overwrite keyed by the
generation id, so a retried activity cannot count twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, case, func, select, update

from simulacra.infra.control_tables import row_windows, usage
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
        upsert = self.db.insert(row_windows).values(tenant_id=tenant_id, rows_per_period=rows_per_period)
        with self.db.connect() as conn:
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[row_windows.c.tenant_id], set_={"rows_per_period": upsert.excluded.rows_per_period}
                )
            )

    def reserve(self, tenant_id: str, generation_id: str, rows: int) -> None:
        """Atomically reserve rows, or refuse: the check and the insert run under a lock on the tenant's usage
        (SQLite: the transaction's write lock; PostgreSQL: a transaction-scoped advisory lock per tenant), so
        reservations racing on several replicas never add up past the window."""
        period = current_period()
        with self.db.connect() as conn:
            self.db.lock_tenant(conn, "usage", tenant_id)
            held = conn.execute(select(usage.c.generation_id).where(usage.c.generation_id == generation_id)).first()
            if held:  # a retry of a generation that already holds its rows
                return
            current = self._usage(conn, tenant_id, period)
            if current.rows_generated + rows > current.rows_per_period:
                raise WindowExceeded(current)
            if current.rows_generated + current.rows_reserved + rows > current.rows_per_period:
                raise ReservationConflict(current)
            conn.execute(
                usage.insert().values(
                    generation_id=generation_id,
                    tenant_id=tenant_id,
                    period=period,
                    rows_reserved=rows,
                    state="reserved",
                    created_at=time.time(),
                )
            )

    def settle(self, generation_id: str, rows_generated: int) -> None:
        """Record what a generation made (0 releases its reservation). Repeating it changes nothing."""
        with self.db.connect() as conn:
            conn.execute(
                update(usage)
                .where(usage.c.generation_id == generation_id)
                .values(rows_generated=rows_generated, state="settled", settled_at=time.time())
            )

    def usage(self, tenant_id: str, period: str | None = None) -> PeriodUsage:
        with self.db.connect() as conn:
            return self._usage(conn, tenant_id, period or current_period())

    def history(self, tenant_id: str) -> list[tuple[str, int]]:
        with self.db.connect() as conn:
            rows = conn.execute(
                select(usage.c.period, func.coalesce(func.sum(usage.c.rows_generated), 0))
                .where(usage.c.tenant_id == tenant_id, usage.c.state == "settled")
                .group_by(usage.c.period)
                .order_by(usage.c.period.desc())
            ).all()
        return [(row[0], int(row[1])) for row in rows]

    def _usage(self, conn: Connection, tenant_id: str, period: str) -> PeriodUsage:
        window = conn.execute(
            select(row_windows.c.rows_per_period).where(row_windows.c.tenant_id == tenant_id)
        ).scalar()
        totals = conn.execute(
            select(
                func.coalesce(func.sum(case((usage.c.state == "settled", usage.c.rows_generated))), 0),
                func.coalesce(func.sum(case((usage.c.state == "reserved", usage.c.rows_reserved))), 0),
            ).where(usage.c.tenant_id == tenant_id, usage.c.period == period)
        ).one()
        rows_per_period = window if window is not None else self.default_rows_per_period
        return PeriodUsage(period, rows_per_period, int(totals[0]), int(totals[1]))
