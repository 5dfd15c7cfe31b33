"""Response bodies (pydantic v2): what every read returns, and what /openapi.json documents."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.models import Conditions, Job, JobError

# Engine documents may grow fields before this file does: let them through rather than drop them.
Open = ConfigDict(extra="allow")


class Dataset(BaseModel):
    dataset_id: str
    job_id: str
    status: str = Field(description="queued, running, ready or failed.")
    stage: str
    filename: str | None = None
    size_bytes: int | None = None
    row_count: int | None = Field(default=None, description="Rows in the cleaned table.")
    column_count: int | None = Field(default=None, description="Columns kept by cleaning.")
    created_at: str | None = None
    ready_at: str | None = None
    expires_at: str | None = None
    retention_hours: int | None = None
    error: JobError | None = None
    model_version: int | None = Field(default=None, description="The model generations use now.")
    refit_error: JobError | None = Field(default=None, description="Why the last graph edit's refit failed, if it did.")


class Level(BaseModel):
    model_config = Open
    value: str | bool
    share: float


class SchemaColumn(BaseModel):
    model_config = Open
    name: str = Field(description="Cleaned name: use it in conditions.")
    source_name: str = Field(description="The raw header in the upload.")
    type: Literal["numeric", "integer", "categorical", "ordinal", "boolean", "datetime"]
    missing_share: float
    levels: list[Level] | None = None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    quantiles: dict[str, float] | None = None
    decimals: int | None = None


class DroppedColumn(BaseModel):
    model_config = Open
    source_name: str
    name: str | None = None
    reason: str
    detail: str | None = None


class DatasetSchema(BaseModel):
    model_config = Open
    dataset_id: str
    row_count: int
    columns: list[SchemaColumn]
    dropped: list[DroppedColumn]
    renamed: dict[str, str] = Field(description="Every raw header -> its cleaned name.")
    collapsed_levels: dict[str, list[Any]] = Field(default_factory=dict)


class GenerationReport(BaseModel):
    """What the generation achieved: per-condition feasibility, fidelity and privacy figures."""

    model_config = Open
    rows_requested: int | None = None
    rows_generated: int
    conditions_met: bool
    mode: str
    achieved: dict[str, Any] = Field(description="Achieved share per conditioned level, share in range per numeric.")
    feasibility: dict[str, Any] | None = Field(default=None, description="Requested vs achieved, per condition.")
    privacy: dict[str, Any] | None = Field(
        default=None, description="Exact-copy share of seed rows and distance-to-closest-record figures."
    )


class Page(BaseModel):
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class DatasetPage(Page):
    data: list[Dataset]


class JobPage(Page):
    data: list[Job]


class Generation(Job):
    format: Literal["csv", "parquet", "arrow"] | None = None
    seed: int | None = None
    conditions: Conditions | None = None
    model_version: int | None = Field(default=None, description="The dataset's model version sampled from.")
    expires_at: str | None = None
    report: GenerationReport | None = None


class UsagePeriod(BaseModel):
    period: str
    rows_generated: int


class Usage(BaseModel):
    tenant: str
    period: str = Field(description="Calendar month (UTC), e.g. 2026-11.")
    rows_per_period: int
    rows_generated: int
    rows_reserved: int = Field(description="Rows held by generations still running.")
    rows_remaining: int
    free_rows_per_period: int
    free_rows_remaining: int
    periods: list[UsagePeriod]


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: dict[str, str]


class FieldProblem(BaseModel):
    pointer: str = Field(description="JSON pointer to the offending field, e.g. /conditions/numeric/price.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error is returned."""

    model_config = Open
    type: str = Field(description="URL of this code's documentation page.")
    title: str
    status: int
    detail: str
    instance: str
    code: str = Field(description="Stable simio_* code.")
    retryable: bool
    request_id: str
    doc_url: str
    errors: list[FieldProblem] | None = None


class Jwks(BaseModel):
    keys: list[dict[str, str]]


class OpenIdConfiguration(BaseModel):
    model_config = Open
    issuer: str
    token_endpoint: str
    jwks_uri: str


class GraphEdge(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    stability: float | None = Field(
        default=None, description="Share of bootstrap resamples that found this edge in this direction."
    )


class GraphNode(BaseModel):
    model_config = Open
    name: str
    parents: list[str]
    mechanism: str = Field(description="The causal mechanism fitted for this column.")
    r2: float | None = Field(default=None, description="In-sample R² (numeric columns).")
    accuracy: float | None = Field(default=None, description="In-sample accuracy (categorical columns).")


class DatasetGraph(BaseModel):
    dataset_id: str
    model_version: int
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    algorithm: str
    hints_applied: dict[str, Any] | None = None
    oriented_by_prior: list[list[str]] = Field(
        default_factory=list, description="Edges whose direction came from column order, not from the data."
    )
    warnings: list[str] = Field(default_factory=list)
