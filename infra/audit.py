"""The append-only audit log of operator and security-relevant actions. Never holds secrets or data values."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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
                "INSERT INTO audit (at, actor, tenant_id, action, outcome, request_id, detail) VALUES (?,?,?,?,?,?,?)",
                (time.time(), actor, tenant_id, action, outcome, request_id, json.dumps(detail, sort_keys=True)),
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
        clauses, params = ["id > ?"], list[object]([after_id])
        for clause, value in (
            ("tenant_id = ?", tenant_id),
            ("at >= ?", since),
            ("at < ?", until),
            ("action = ?", action),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT id, at, actor, tenant_id, action, outcome, request_id, detail FROM audit"
                f" WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7])) for r in rows]
