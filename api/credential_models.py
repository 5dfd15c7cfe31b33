"""Bodies of the credential lifecycle: self-service signup, rotation, revocation and the audit trail."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from simulacra.api.models import Strict


class SignupRequest(BaseModel):
    model_config = Strict
    company: str = Field(min_length=1, max_length=200)
    # A shape check only: the operator reviews every request before anything is issued.
    contact_email: str = Field(max_length=254, pattern=r"^[^@ \t\r\n]+@[^@ \t\r\n]+\.[^@ \t\r\n]+$")
    contact_name: str | None = Field(default=None, max_length=200)


class SignupStatus(BaseModel):
    request_id: str = Field(description="Keep it: it is the only way to see the decision and the claim token.")
    status: Literal["pending", "approved", "rejected", "claimed", "expired"] = Field(
        description="`approved` carries the claim token until it is redeemed (`claimed`) or expires (`expired`)."
    )
    company: str
    created_at: str
    decided_at: str | None = None
    tenant: str | None = None
    credential_claim_token: str | None = Field(
        default=None, description="One-time, shown while `approved`: redeem it at POST /v1/credential-claims."
    )
    claim_expires_at: str | None = None
    reason: str | None = Field(default=None, description="Why the request was rejected, if the operator said.")
    status_url: str


class RotationRequest(BaseModel):
    model_config = Strict
    client_id: str | None = Field(
        default=None,
        max_length=64,
        description="The client to rotate; default: the caller's own. Another client of the tenant needs `admin`.",
    )


class CredentialRotation(BaseModel):
    rotation_id: str
    client_id: str
    status: Literal["pending", "claimed", "expired"]
    created_at: str
    expires_at: str = Field(description="When the claim token stops working if not redeemed.")
    credential_claim_token: str | None = Field(
        default=None, description="One-time; redeem at POST /v1/credential-claims for the new secret."
    )
    previous_secret_overlap_seconds: int = Field(
        description="After redemption the previous secret keeps working this long, then is refused."
    )


class AuditEvent(BaseModel):
    at: str
    actor: str
    tenant: str
    action: str
    outcome: str
    request_id: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    data: list[AuditEvent]
    next_cursor: str | None
