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

from sqlalchemy import select, update

from simulacra.infra.control_tables import clients, signups
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
                signups.insert().values(
                    request_id=request_id,
                    company=company,
                    contact_email=contact_email,
                    contact_name=contact_name,
                    status="pending",
                    created_at=time.time(),
                )
            )
        return self.get(request_id)

    def get(self, request_id: str) -> Signup:
        with self.db.connect() as conn:
            row = conn.execute(_SIGNUP.where(signups.c.request_id == request_id)).first()
        if row is None:
            raise SignupNotFound(request_id)
        return Signup(**row._mapping)

    def list(self, status: str | None = None) -> list[Signup]:
        query = _SIGNUP.order_by(signups.c.created_at)
        if status:
            query = query.where(signups.c.status == status)
        with self.db.connect() as conn:
            rows = conn.execute(query).all()
        return [Signup(**row._mapping) for row in rows]

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
            row = conn.execute(
                select(signups.c.status, signups.c.company).where(signups.c.request_id == request_id)
            ).first()
            if row is None:
                raise SignupNotFound(request_id)
            if row.status != "pending":
                raise SignupAlreadyDecided(row.status)
            taken = set(conn.execute(select(clients.c.tenant_id).distinct()).scalars())
            # An admin credential for a tenant that already has clients hands its data over: say so explicitly.
            if tenant in taken and not existing_tenant:
                raise TenantTaken(tenant)
            tenant_id = tenant or _free(tenant_slug(row.company), taken)
            client, _ = credentials.insert_client(
                conn, tenant_id, claim_ttl_seconds, tuple(Scope), signup_id=request_id
            )
            decided = conn.execute(
                update(signups)
                .where(signups.c.request_id == request_id, signups.c.status == "pending")
                .values(
                    status="approved",
                    decided_at=time.time(),
                    decided_by=operator,
                    tenant_id=tenant_id,
                    client_id=client.client_id,
                )
            )
            if decided.rowcount != 1:  # decided by another operator meanwhile: the new client is rolled back
                raise SignupAlreadyDecided(request_id)
        return self.get(request_id)

    def reject(self, request_id: str, operator: str, reason: str | None) -> Signup:
        self.get(request_id)  # unknown -> SignupNotFound
        with self.db.connect() as conn:
            changed = conn.execute(
                update(signups)
                .where(signups.c.request_id == request_id, signups.c.status == "pending")
                .values(status="rejected", decided_at=time.time(), decided_by=operator, reason=reason)
            ).rowcount
        if changed != 1:
            raise SignupAlreadyDecided(request_id)
        return self.get(request_id)


_SIGNUP = select(
    signups.c.request_id,
    signups.c.company,
    signups.c.contact_email,
    signups.c.contact_name,
    signups.c.status,
    signups.c.tenant_id,
    signups.c.client_id,
    signups.c.reason,
    signups.c.created_at,
    signups.c.decided_at,
)


def _free(wanted: str, taken: set[str]) -> str:
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}-{n}"
    return candidate
