"""What the API, the workflows and the activities agree on: ids, names and small payload records.

Payloads carry ids and storage keys, never data. Everything here is workflow-safe.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from temporalio.common import SearchAttributeKey

TENANT_ID = SearchAttributeKey.for_keyword("TenantId")
STAGE = SearchAttributeKey.for_keyword("Stage")
JOB_STATUS = SearchAttributeKey.for_keyword("JobStatus")
DATASET_ID = SearchAttributeKey.for_keyword("DatasetId")
SEARCH_ATTRIBUTES = (TENANT_ID, STAGE, JOB_STATUS, DATASET_ID)

DATASET_WORKFLOW = "DatasetWorkflow"
GENERATION_WORKFLOW = "GenerationWorkflow"
EFFECT_WORKFLOW = "EffectWorkflow"
DELETE_UPDATE = "delete"
REFIT_UPDATE = "refit"
RETENTION_UPDATE = "set_retention"
SWEEP_WORKFLOW = "RetentionSweepWorkflow"
SWEEP_SCHEDULE_ID = "simulacra-retention-sweep"

CLEAN = "clean_dataset"
DISCOVER = "discover_graph"
FIT = "fit_model"
GENERATE = "generate_rows"
GENERATE_SHARD = "generate_shard"
COMBINE_SHARDS = "combine_shards"
ESTIMATE_EFFECT = "estimate_effect"
EXPIRE = "expire_resource"
SETTLE_USAGE = "settle_usage"
SWEEP = "sweep_storage"

ArtifactFormat = Literal["csv", "parquet", "arrow"]
# The longest a dataset, generation or effect may be kept (retention_hours), and so the longest an
# upload may wait, staged, for its dataset's clean step.
MAX_RETENTION_HOURS = 168
JobKind = Literal["dataset", "generation", "effect"]


DERIVED_ID_DIGITS = 20  # hex digits of the request's SHA-256 in a resource id (api/ids.py publishes the pattern)


def derived_id(prefix: str, tenant_id: str, idempotency_key: str, fingerprint: str) -> str:
    """Resource ids follow from the request, so a retry of an accepted request (even one whose
    first answer was lost) names the same resource, and the workflow start is idempotent."""
    digest = hashlib.sha256(f"{tenant_id}\n{idempotency_key}\n{fingerprint}".encode()).hexdigest()
    return f"{prefix}_{digest[:DERIVED_ID_DIGITS]}"


def dataset_workflow_id(tenant_id: str, dataset_id: str) -> str:
    return f"simulacra/{tenant_id}/dataset/{dataset_id}"


def generation_workflow_id(tenant_id: str, generation_id: str) -> str:
    return f"simulacra/{tenant_id}/generation/{generation_id}"


def effect_workflow_id(tenant_id: str, effect_id: str) -> str:
    return f"simulacra/{tenant_id}/effect/{effect_id}"


def job_id_for(resource_id: str) -> str:
    return f"job_{resource_id}"


def workflow_id_for_job(tenant_id: str, job_id: str) -> str | None:
    """Jobs are named after the resource they build, so the id alone routes to its workflow."""
    resource_id = job_id.removeprefix("job_")
    if resource_id.startswith("ds_"):
        return dataset_workflow_id(tenant_id, resource_id)
    if resource_id.startswith("gen_"):
        return generation_workflow_id(tenant_id, resource_id)
    if resource_id.startswith("eff_"):
        return effect_workflow_id(tenant_id, resource_id)
    return None


class DatasetInput(BaseModel):
    tenant_id: str
    dataset_id: str
    filename: str
    expires_at: datetime
    # Where the API streamed the upload (infra.layout.staging_key): the clean step reads it there, once,
    # then removes it. None for datasets accepted before uploads stayed staged (theirs is at upload_key).
    upload_key: str | None = None


class DatasetRef(BaseModel):
    tenant_id: str
    dataset_id: str
    model_version: int = 1
    # An edited graph to store as this model version before fitting it (refits only).
    graph: dict[str, Any] | None = None
    upload_key: str | None = None  # DatasetInput.upload_key, for the clean step


class CleanResult(BaseModel):
    row_count: int
    column_count: int


class DiscoverResult(BaseModel):
    edge_count: int


class FitResult(BaseModel):
    node_count: int


class GenerationInput(BaseModel):
    tenant_id: str
    dataset_id: str
    generation_id: str
    row_count: int
    conditions: dict[str, Any] = Field(default_factory=dict)
    format: ArtifactFormat = "csv"
    seed: int
    model_version: int = 1
    expires_at: datetime
    # Set by the API from its settings: a row_count above shard_rows runs as shards, at most
    # parallel_shards at once. None (inputs from before sharding) makes one engine job of it.
    shard_rows: int | None = None
    parallel_shards: int = 1

    @property
    def shard_count(self) -> int:
        """How many shards the generation runs as (1: one engine job, no combining)."""
        if self.shard_rows is None or self.row_count <= self.shard_rows:
            return 1
        return -(-self.row_count // self.shard_rows)


class GenerationResult(BaseModel):
    rows_generated: int
    conditions_met: bool


class ShardInput(BaseModel):
    """One shard of a generation: its rows and randomness follow from (job, index) alone."""

    job: GenerationInput
    index: int


class ShardResult(BaseModel):
    rows_generated: int


class EffectInput(BaseModel):
    tenant_id: str
    dataset_id: str
    effect_id: str
    model_version: int
    # The validated request body (treatment, outcome, outcome_level, segment_by, samples, seed, confidence_level).
    request: dict[str, Any]
    expires_at: datetime


class EffectResult(BaseModel):
    """What the activity reports (seen in the workflow's history); the full result is JSON in storage."""

    estimate: float | None
    method: str


class ExpireInput(BaseModel):
    tenant_id: str
    dataset_id: str
    generation_id: str | None = None
    effect_id: str | None = None
    upload_key: str | None = None  # a staged upload the clean step has not taken yet (a delete during the build)


class UsageSettlement(BaseModel):
    tenant_id: str
    generation_id: str
    rows_generated: int


class SweepResult(BaseModel):
    removed: list[str]


class RetentionChange(BaseModel):
    """Keep the resource until `expires_at` instead (counted from its creation, like the original window)."""

    expires_at: datetime
    retention_hours: int


class RefitRequest(BaseModel):
    """Refit on an edited graph as the next model version, if `base_version` is still the current one."""

    base_version: int
    graph: dict[str, Any]


class Failure(BaseModel):
    """Why a job (or a dataset's refit) failed: a stable simio_* code and a message safe to show."""

    error_code: str
    error_message: str = ""


class JobMemo(BaseModel):
    """A job's public state, kept as its workflow's memo so the API answers from describe() alone.

    The API writes the first version when it starts the workflow; the workflow publishes changes as
    it runs (`changes`). Timestamps are ISO 8601 strings, as the memo stores them.
    """

    kind: JobKind
    tenant_id: str
    dataset_id: str
    generation_id: str | None = None
    effect_id: str | None = None
    status: str = "queued"
    stage: str = "queued"
    progress: float = 0.0
    created_at: str
    updated_at: str
    ready_at: str | None = None
    removed_at: str | None = None
    retention_hours: int
    expires_at: str
    error_code: str | None = None
    error_message: str | None = None
    # Datasets
    filename: str | None = None
    size_bytes: int | None = None
    row_count: int | None = None
    column_count: int | None = None
    edge_count: int | None = None
    model_version: int | None = None
    refit_error: Failure | None = None
    # Generations
    rows_requested: int | None = None
    rows_generated: int | None = None
    format: ArtifactFormat | None = None
    seed: int | None = None
    conditions: dict[str, Any] | None = None
    # Effects: the request in normal form (engine.checks.effect_request.EffectSpec.as_request)
    request: dict[str, Any] | None = None

    @property
    def resource_id(self) -> str:
        return self.generation_id or self.effect_id or self.dataset_id

    @property
    def failure(self) -> Failure | None:
        return Failure(error_code=self.error_code, error_message=self.error_message or "") if self.error_code else None

    @classmethod
    def changes(cls, **fields: Any) -> dict[str, Any]:
        """A partial memo to upsert; naming a field this model does not declare is a bug, caught here."""
        unknown = set(fields) - set(cls.model_fields)
        if unknown:
            raise ValueError(f"not JobMemo fields: {sorted(unknown)}")
        return {name: value.model_dump() if isinstance(value, BaseModel) else value for name, value in fields.items()}


# Webhooks: an event is published once per happening (its id follows from it), then delivered to each
# of the tenant's endpoints that subscribe to its type by a WebhookEventWorkflow (workflows/webhook_delivery.py).
WEBHOOK_EVENT_WORKFLOW = "WebhookEventWorkflow"
PLAN_WEBHOOK_DELIVERIES = "plan_webhook_deliveries"
DELIVER_WEBHOOK = "deliver_webhook"
FINISH_WEBHOOK_DELIVERY = "finish_webhook_delivery"
# The delivery activity's non-retryable error: the endpoint was deleted while its delivery waited.
WEBHOOK_ENDPOINT_GONE = "simio_webhook_endpoint_not_found"
WebhookEventType = Literal["job.succeeded", "job.failed", "job.partial", "dataset.expired", "dataset.deleted"]
WEBHOOK_EVENT_TYPES: tuple[WebhookEventType, ...] = (
    "job.succeeded",
    "job.failed",
    "job.partial",
    "dataset.expired",
    "dataset.deleted",
)


def webhook_event_id(tenant_id: str, subject: str, event_type: str) -> str:
    """One id per happening (a job's end, a dataset's removal): the `webhook-id` receivers de-duplicate on."""
    digest = hashlib.sha256(f"{tenant_id}\n{subject}\n{event_type}".encode()).hexdigest()
    return f"evt_{digest[:DERIVED_ID_DIGITS]}"


def webhook_event_workflow_id(tenant_id: str, event_id: str) -> str:
    return f"simulacra/{tenant_id}/webhook-event/{event_id}"


def webhook_delivery_id(event_id: str, endpoint_id: str) -> str:
    digest = hashlib.sha256(f"{event_id}\n{endpoint_id}".encode()).hexdigest()
    return f"dlv_{digest[:DERIVED_ID_DIGITS]}"


class WebhookEvent(BaseModel):
    """What happened, as the receiver gets it (`type`, `timestamp`, `data`), plus whose it is. Ids only, no rows."""

    event_id: str
    tenant_id: str
    type: WebhookEventType
    timestamp: datetime
    data: dict[str, Any]


class WebhookTarget(BaseModel):
    delivery_id: str
    endpoint_id: str


class WebhookPlan(BaseModel):
    """The endpoints to deliver to, and the retry schedule the operator configured (read by the activity,
    recorded in the history, so the workflow stays deterministic)."""

    targets: list[WebhookTarget]
    first_retry_seconds: float
    max_retry_seconds: float
    deadline_seconds: float
    attempt_timeout_seconds: float


class WebhookDelivery(BaseModel):
    event: WebhookEvent
    target: WebhookTarget


class WebhookOutcome(BaseModel):
    """A delivery given up on (its deadline passed, or its endpoint was deleted)."""

    delivery_id: str
