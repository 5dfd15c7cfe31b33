"""The append-only audit log of operator and security-relevant actions. Never holds secrets or data values."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from infra.controldb import ControlDB


@dataclass(frozen=True)
class AuditEntry:
    at: float
    actor: str
    tenant_id: str
    action: str
    outcome: str
    request_id: str | None
    detail: dict[str, Any]


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

    def query(self, tenant_id: str | None = None, since: float | None = None, limit: int = 1000) -> list[AuditEntry]:
        clauses, params = [], []
        if tenant_id:
            clauses.append("tenant_id = ?")
            params.append(tenant_id)
        if since is not None:
            clauses.append("at >= ?")
            params.append(since)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.db.connect() as conn:
            rows = conn.execute(
                f"SELECT at, actor, tenant_id, action, outcome, request_id, detail FROM audit {where}"
                " ORDER BY id LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6])) for r in rows]
