"""Self-service signup requests: submitted over HTTP, decided by an operator, claimed by the requester.

The request id is the requester's capability (128 random bits, shown once to whoever submitted):
with it, `GET /v1/signup/{id}` shows the decision and, once approved, the one-time claim token,
which is derived rather than stored (see infra.credentials).
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from simulacra.infra.controldb import ControlDB
from simulacra.infra.credentials import CredentialStore
from simulacra.infra.scopes import Scope
from simulacra.infra.tokens import TENANT_PATTERN


@dataclass(frozen=True)
class Signup:
    request_id: str
    company: str
    contact_email: str
    contact_name: str | None
    status: str
    tenant_id: str | None
    client_id: str | None
    reason: str | None
    created_at: float
    decided_at: float | None


class SignupNotFound(Exception):
    pass


class SignupAlreadyDecided(Exception):
    pass


class TenantTaken(Exception):
    """Approving into a tenant that already has clients needs the operator's explicit say-so."""


def tenant_slug(company: str) -> str:
    """A tenant id from a company name: `Acme Research GmbH` -> `acme-research-gmbh`."""
    slug = re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-")[:40].strip("-")
    return slug if TENANT_PATTERN.match(slug) else "tenant"


class SignupStore:
    def __init__(self, db: ControlDB) -> None:
        self.db = db

    def submit(self, company: str, contact_email: str, contact_name: str | None) -> Signup:
        request_id = f"sgn_{secrets.token_hex(16)}"
        with self.db.connect() as conn:
            conn.execute(
                "INSERT INTO signups (request_id, company, contact_email, contact_name, status, created_at)"
                " VALUES (?,?,?,?,?,?)",
                (request_id, company, contact_email, contact_name, "pending", time.time()),
            )
        return self.get(request_id)

    def get(self, request_id: str) -> Signup:
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT request_id, company, contact_email, contact_name, status, tenant_id, client_id, reason,"
                " created_at, decided_at FROM signups WHERE request_id = ?",
                (request_id,),
            ).fetchone()
        if row is None:
            raise SignupNotFound(request_id)
        return Signup(*row)

    def list(self, status: str | None = None) -> list[Signup]:
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT request_id, company, contact_email, contact_name, status, tenant_id, client_id, reason,"
                f" created_at, decided_at FROM signups {where} ORDER BY created_at",
                params,
            ).fetchall()
        return [Signup(*row) for row in rows]

    def approve(
        self,
        request_id: str,
        operator: str,
        credentials: CredentialStore,
        claim_ttl_seconds: int,
        tenant: str | None = None,
        existing_tenant: bool = False,
    ) -> Signup:
        """Create the tenant's first client (with `admin`, as the tenant's owner credential), in one transaction."""
        with self.db.connect() as conn:
            row = conn.execute("SELECT status, company FROM signups WHERE request_id = ?", (request_id,)).fetchone()
            if row is None:
                raise SignupNotFound(request_id)
            if row["status"] != "pending":
                raise SignupAlreadyDecided(row["status"])
            taken = {r[0] for r in conn.execute("SELECT DISTINCT tenant_id FROM clients")}
            # An admin credential for a tenant that already has clients hands its data over: say so explicitly.
            if tenant in taken and not existing_tenant:
                raise TenantTaken(tenant)
            tenant_id = tenant or _free(tenant_slug(row["company"]), taken)
            client, _ = credentials.insert_client(
                conn, tenant_id, claim_ttl_seconds, tuple(Scope), signup_id=request_id
            )
            conn.execute(
                "UPDATE signups SET status = 'approved', decided_at = ?, decided_by = ?, tenant_id = ?, client_id = ?"
                " WHERE request_id = ?",
                (time.time(), operator, tenant_id, client.client_id, request_id),
            )
        return self.get(request_id)

    def reject(self, request_id: str, operator: str, reason: str | None) -> Signup:
        self.get(request_id)  # unknown -> SignupNotFound
        with self.db.connect() as conn:
            changed = conn.execute(
                "UPDATE signups SET status = 'rejected', decided_at = ?, decided_by = ?, reason = ?"
                " WHERE request_id = ? AND status = 'pending'",
                (time.time(), operator, reason, request_id),
            ).rowcount
        if changed != 1:
            raise SignupAlreadyDecided(request_id)
        return self.get(request_id)


def _free(wanted: str, taken: set[str]) -> str:
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}-{n}"
    return candidate
