"""Bodies of the webhook endpoints' operations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from simulacra.api.models import Strict
from simulacra.infra.webhook_guard import PUBLISHED_URL_SHAPE
from simulacra.workflows.contracts import WebhookEventType

# Published in the schema so generated clients and fuzzers send usable URLs; the server judges each URL
# itself (infra/webhook_guard.py), with codes that say what is wrong.
URL_PATTERN = PUBLISHED_URL_SHAPE


class WebhookEndpointCreate(BaseModel):
    model_config = Strict
    url: str = Field(
        min_length=1,
        max_length=2048,
        json_schema_extra={"pattern": URL_PATTERN},
        description="Where events are POSTed: an `https://` URL of a public host (no credentials, no fragment).",
    )
    event_types: list[WebhookEventType] = Field(
        min_length=1, max_length=5, description="The events to deliver to this endpoint."
    )
    description: str | None = Field(default=None, max_length=200, description="A note for your own records.")


class WebhookEndpoint(BaseModel):
    endpoint_id: str
    url: str
    event_types: list[WebhookEventType]
    description: str | None = None
    created_at: str
    deliveries_url: str = Field(description="Deliveries made to this endpoint, each with its attempts.")
    secret: str | None = Field(
        default=None,
        description="The signing secret (`whsec_<base64>`, Standard Webhooks): shown when the endpoint is created "
        "(and when that request is replayed with its Idempotency-Key), never by a read. Keep it secret.",
    )


class WebhookEndpointPage(BaseModel):
    data: list[WebhookEndpoint]


class WebhookSecret(BaseModel):
    endpoint_id: str
    secret: str = Field(description="The new signing secret (`whsec_<base64>`), shown once.")
    previous_secret_expires_at: str | None = Field(
        default=None,
        description="Until then, deliveries carry a signature by the previous secret too (space-separated in "
        "`webhook-signature`): switch your receiver over before it.",
    )


class WebhookAttempt(BaseModel):
    attempt: int = Field(description="1 for the first try; retries count up.")
    at: str
    status_code: int | None = Field(default=None, description="Your receiver's HTTP status, if it answered.")
    error: str | None = Field(default=None, description="Why the attempt failed; null when it succeeded.")


class WebhookDelivery(BaseModel):
    delivery_id: str
    event_id: str = Field(description="The `webhook-id` header: the same on every attempt, for de-duplication.")
    event_type: WebhookEventType
    status: Literal["pending", "succeeded", "failed"] = Field(
        description="`pending` while attempts go on (with backoff), `succeeded` after a 2xx answer, `failed` once "
        "the delivery deadline passed."
    )
    created_at: str
    finished_at: str | None = None
    attempts: list[WebhookAttempt]


class WebhookDeliveryPage(BaseModel):
    data: list[WebhookDelivery] = Field(description="Newest first.")
    next_cursor: str | None = None
