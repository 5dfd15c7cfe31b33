"""Response bodies (pydantic v2): what every read returns, and what /openapi.json documents."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulacra.api.models import Conditions, Job, JobError, Treatment, TreatmentValue
from simulacra.api.reports.links import REPORT_URL_DESCRIPTION
from simulacra.engine.records import CausalGraph, CleanedSchema, FitReport, NodeFitReport, ValidationReport
from simulacra.engine.records.figures import ValidationFigures
from simulacra.engine.records.graph import Edge, FromTo, wire_name
from simulacra.engine.records.uncertainty import ContestedGraphEdge, EffectRange, StructureUncertainty

# The generation report and the effect result are still dicts from the engine: let fields it adds
# through rather than drop them (the schema, graph and reports are typed in engine/records).
Open = ConfigDict(extra="allow")


class DatasetValidation(ValidationReport):
    """What "validated" means: held-out fidelity, per-node fit and a graph falsification test
    (docs/causal-model.md), for the dataset's current model version."""

    model_version: int = Field(description="The model version the report is about.")
    # Drawn in the model report (report_url), not repeated here.
    figures: ValidationFigures | None = Field(default=None, exclude=True)


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
    validation: DatasetValidation | None = Field(
        default=None,
        description="The validation report of the current model_version; null until the dataset is ready, and in "
        "lists (read the dataset itself).",
    )
    report_url: str | None = Field(
        default=None,
        description="The model report of the current version (`GET /v1/datasets/{id}/report`). "
        + REPORT_URL_DESCRIPTION
        + " Null until the dataset is ready, and in lists.",
    )


class DatasetSchema(CleanedSchema):
    """The cleaned schema of a dataset: build conditions from these names, never from raw headers."""

    dataset_id: str


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
        default=None,
        description="Exact-copy share of seed rows and distance-to-closest-record figures; for a sharded "
        "generation computed on a sample of its rows (`rows_sampled`, `sample`).",
    )
    shards: int | None = Field(
        default=None, description="How many shards made the rows; absent when one engine job made them."
    )
    warnings: list[str] = Field(
        default_factory=list, description="E.g. a conditioned column whose downstream edges the data did not settle."
    )
    contested_edges: list[ContestedGraphEdge] = Field(
        default_factory=list,
        description="Intervene mode: edges downstream of a conditioned column whose presence or direction is in doubt.",
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
    report_url: str | None = Field(
        default=None,
        description="The generation's report (`GET /v1/generations/{id}/report`) once ready or partial. "
        + REPORT_URL_DESCRIPTION,
    )


class ArmSupport(BaseModel):
    model_config = Open
    value: TreatmentValue
    in_seed_range: bool = Field(description="Numeric: inside the seed's observed range. Categorical: a seen level.")
    share_of_seed_rows_at_or_near: float = Field(
        description="Numeric: share of seed rows within `near_window` of the value. Categorical: the level's share."
    )
    level: Literal["good", "thin", "none"]


class EffectSupport(BaseModel):
    """How much of the seed the estimate stands on; outside it, the model extrapolates."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    in_support: bool = Field(description="Both values lie within what the seed holds.")
    level: Literal["good", "thin", "none"] = Field(
        description="none: a value outside the seed; thin: under 2% of seed rows at or near a value; else good."
    )
    share_of_seed_rows_at_or_near: float = Field(description="The smaller of the two values' shares.")
    near_window: float | None = Field(
        default=None, description="Numeric treatment: 'near' means within this distance (5% of the seed's range)."
    )
    from_: ArmSupport = Field(alias="from")
    to: ArmSupport


class EffectArm(BaseModel):
    value: TreatmentValue
    mean: float | None = Field(description="Mean outcome (or share of outcome_level) under do(treatment = value).")


class EffectSegment(BaseModel):
    level: str = Field(description="A level of `segment_by`.")
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    units: int = Field(description="Simulated units in this segment.")
    support: EffectSupport


class Effect(Job):
    """An effect job and, once ready, its result."""

    model_config = ConfigDict(populate_by_name=True)
    treatment: Treatment | None = None
    outcome: str | None = None
    outcome_level: str | None = None
    segment_by: str | None = None
    samples: int | None = None
    seed: int | None = None
    model_version: int | None = Field(default=None, description="The dataset's model version estimated from.")
    expires_at: str | None = None
    estimand: str | None = None
    estimate: float | None = Field(
        default=None,
        description="E[outcome | do(to)] - E[outcome | do(from)]: a mean difference, or of shares, by the fitted "
        "model (the learned graph); `structure.effect_median` is the median over the rediscovered graphs.",
    )
    ci_low: float | None = None
    ci_high: float | None = None
    confidence_level: float | None = None
    method: Literal["bootstrap_rediscover", "bootstrap_refit", "monte_carlo", "exact_zero"] | None = Field(
        default=None, description="How the interval was built; `interval_covers` says what it covers."
    )
    interval_method: Literal["bootstrap_rediscover", "bootstrap_refit"] | None = Field(
        default=None, description="The interval asked for; `method` is the one that ran."
    )
    resamples: int | None = Field(default=None, description="Bootstrap resamples behind the interval.")
    interval_covers: str | None = None
    arms: dict[str, EffectArm] | None = Field(default=None, description="`from` and `to`: each arm's mean outcome.")
    support: EffectSupport | None = None
    segments: list[EffectSegment] | None = Field(default=None, description="Per level of `segment_by`, when asked.")
    graph_path: list[list[str]] | None = Field(
        default=None, description="Directed paths treatment -> outcome in the model's graph (shortest first, max 20)."
    )
    structure: StructureUncertainty | None = Field(
        default=None, description="bootstrap_rediscover: what the rediscovered graphs held; null otherwise."
    )
    effect_range: EffectRange | None = Field(
        default=None,
        description="Where edges at the treatment are undirected in the learned equivalence class: the effect over "
        "every parent set of the treatment the class and the hints allow (local IDA); null when identified.",
    )
    note: str | None = Field(
        default=None, description="Why the effect is exactly 0, or why the interval fell back to bootstrap_refit."
    )
    warnings: list[str] = Field(default_factory=list)
    report_url: str | None = Field(
        default=None,
        description="The effect's report (`GET /v1/effects/{id}/report`) once ready. " + REPORT_URL_DESCRIPTION,
    )


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


class ProtectedResourceMetadata(BaseModel):
    model_config = Open
    resource: str = Field(description="This API's URL: the REST routes and /mcp take the same tokens.")
    authorization_servers: list[str] = Field(description="The token issuer (its discovery document names token_url).")
    scopes_supported: list[str]
    bearer_methods_supported: list[str]
    resource_documentation: str


class GraphEdge(BaseModel):
    model_config = FromTo
    source: str = wire_name("from", "source")
    target: str = wire_name("to", "target")
    stability: float | None = Field(
        default=None, description="Share of bootstrap resamples that found this edge in this direction."
    )


class GraphNode(NodeFitReport):
    name: str


class DatasetGraph(BaseModel):
    dataset_id: str
    model_version: int
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    algorithm: str = Field(
        description="The search that learned the graph: pc (independence tests), or boss (a score search, "
        "used where nearly every column depends on every other, as in a wide battery of ratings)."
    )
    hints_applied: dict[str, Any] | None = None
    oriented_by_prior: list[Edge] = Field(
        default_factory=list,
        description="Edges whose direction came from the prior (demographic-looking roots, then column order), "
        "not from the data.",
    )
    warnings: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, dataset_id: str, version: int, graph: CausalGraph, fit: FitReport) -> DatasetGraph:
        return cls(
            dataset_id=dataset_id,
            model_version=version,
            nodes=[GraphNode(name=name, **fit.nodes[name].model_dump()) for name in graph.nodes],
            edges=[GraphEdge(source=a, target=b, stability=graph.stability_of((a, b))) for a, b in graph.edges],
            algorithm=graph.algorithm,
            hints_applied=graph.hints_applied,
            oriented_by_prior=graph.oriented_by_prior,
            warnings=graph.warnings,
        )
