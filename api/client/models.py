"""What the client returns. Unknown fields are kept, so a newer server's additions reach the caller."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

Open = ConfigDict(extra="allow")
TERMINAL = frozenset({"ready", "partial", "failed"})


class Credentials(BaseModel):
    """A client's credentials, as a credential claim returns them (store the secret: it is shown once)."""

    model_config = Open
    client_id: str
    client_secret: str
    token_url: str
    audience: str | None = None
    scopes: list[str] = []
    tenant: str | None = None


class Accepted(BaseModel):
    """A 202: the job doing the work, and the resource it makes."""

    model_config = Open
    job_id: str
    status: str
    dataset_id: str
    generation_id: str | None = None
    effect_id: str | None = None


class JobError(BaseModel):
    model_config = Open
    code: str
    message: str


class Job(BaseModel):
    model_config = Open
    job_id: str
    kind: str
    status: str
    stage: str
    progress: float
    dataset_id: str
    created_at: str | None = None
    updated_at: str | None = None
    generation_id: str | None = None
    effect_id: str | None = None
    error: JobError | None = None
    rows_requested: int | None = None
    rows_generated: int | None = None
    artifact_url: str | None = None
    poll_interval_seconds: float = 1.0

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    @property
    def succeeded(self) -> bool:
        return self.status in ("ready", "partial")

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
