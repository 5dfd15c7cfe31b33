"""The append-only audit log of operator and security-relevant actions. Never holds secrets or data values."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from simulacra.infra.control_tables import audit
from simulacra.infra.controldb import ControlDB


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    actor: str
    tenant_id: str
    action: str
    outcome: str
    request_id: str | None
    detail: dict[str, Any]


def time_bound(value: str) -> float:
    """An audit query's `since`/`until` (ISO 8601, UTC when no offset) as unix time; ValueError if not one."""
    moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def reference(capability: str) -> str:
    """A stable, non-reversible handle for a capability (a signup's request id) in audit entries."""
    return hashlib.sha256(capability.encode()).hexdigest()[:16]


class AuditLog:
    def __init__(self, db: ControlDB) -> None:
        self.db = db

    def record(
        self, actor: str, tenant_id: str, action: str, outcome: str = "ok", request_id: str | None = None, **detail: Any
    ) -> None:
        with self.db.connect() as conn:
            conn.execute(
                audit.insert().values(
                    at=time.time(),
                    actor=actor,
                    tenant_id=tenant_id,
                    action=action,
                    outcome=outcome,
                    request_id=request_id,
                    detail=json.dumps(detail, sort_keys=True),
                )
            )

    def query(
        self,
        tenant_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
        action: str | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[AuditEntry]:
        """Entries in the order they happened; `after_id` continues from a previous page."""
        query = select(audit).where(audit.c.id > after_id).order_by(audit.c.id).limit(limit)
        if tenant_id is not None:
            query = query.where(audit.c.tenant_id == tenant_id)
        if since is not None:
            query = query.where(audit.c.at >= since)
        if until is not None:
            query = query.where(audit.c.at < until)
        if action is not None:
            query = query.where(audit.c.action == action)
        with self.db.connect() as conn:
            rows = conn.execute(query).all()
        return [
            AuditEntry(r.id, r.at, r.actor, r.tenant_id, r.action, r.outcome, r.request_id, json.loads(r.detail))
            for r in rows
        ]
