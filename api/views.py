"""Response bodies (pydantic v2): what every read returns, and what /openapi.json documents."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulacra.api.models import Conditions, Job, JobError, Treatment, TreatmentValue

# Engine documents may grow fields before this file does: let them through rather than drop them.
Open = ConfigDict(extra="allow")


class FidelityScores(BaseModel):
    score: float = Field(description="Mean of column_shapes and column_pair_trends, 0 to 1; 1 = indistinguishable.")
    column_shapes: float = Field(description="Marginals: 1 - KS statistic (numbers) or 1 - TVD (categories).")
    column_pair_trends: float = Field(
        description="Pairwise associations: correlation or contingency-table similarity of associated pairs."
    )


class ColumnFidelity(BaseModel):
    column: str
    score: float
    reference: float | None = Field(default=None, description="The same score for real rows against real rows.")


class PairFidelity(BaseModel):
    columns: list[str]
    score: float
    reference: float | None = Field(default=None, description="The same score for real rows against real rows.")


class HeldOutFidelity(BaseModel):
    model_config = Open
    computed: bool = Field(description="False when the table is too small to hold rows out; `reason` says why.")
    reason: str | None = None
    train_rows: int | None = None
    held_out_rows: int | None = None
    score: float | None = Field(default=None, description="Rows sampled from the model vs the held-out rows.")
    column_shapes: float | None = None
    column_pair_trends: float | None = None
    reference: FidelityScores | None = Field(
        default=None, description="Training rows vs the held-out rows: what real data scores; judge `score` by it."
    )
    worst_columns: list[ColumnFidelity] = Field(default_factory=list)
    worst_pairs: list[PairFidelity] = Field(default_factory=list)


class NodeFit(BaseModel):
    model_config = Open
    name: str
    parents: list[str]
    mechanism: str
    metric: Literal["r2", "log_likelihood"] | None = Field(
        default=None, description="The held-out metric the mechanism was selected by; null for root columns."
    )
    held_out: float | None = Field(default=None, description="The mechanism's score on rows it was not fitted on.")
    baseline: float | None = Field(
        default=None, description="What ignoring the parents scores (R² 0, or the marginal log-likelihood)."
    )
    in_sample: dict[str, float] = Field(default_factory=dict, description="In-sample r2 or accuracy.")


class IndependenceViolation(BaseModel):
    column: str
    independent_of: str
    given: list[str]
    p_value: float


class PermutationBaseline(BaseModel):
    model_config = Open
    run: int = Field(description="Random relabellings of the graph's columns tested.")
    p_value: float | None = Field(
        default=None, description="Share of relabellings that fit as well as the graph or better (with the graph)."
    )
    informative: bool = Field(description="False when relabellings imply the same independences (e.g. no edges).")
    median_violated_share: float | None = None


class Falsification(BaseModel):
    model_config = Open
    verdict: str = Field(description='Starts with "not falsified", "falsified" or "not testable".')
    falsified: bool
    test: str = Field(description="The conditional independence test discovery used (gsq: G-test on binned numbers).")
    alpha: float
    rows_used: int
    tests: int = Field(description="Independences implied by the graph (local Markov condition) and tested.")
    violated: int
    violated_share: float
    violated_after_fdr: int = Field(description="Violations still significant after Benjamini-Hochberg correction.")
    max_violated_share: float = Field(description="Above this share of violations the graph is falsified.")
    violations: list[IndependenceViolation] = Field(default_factory=list, description="The strongest few.")
    permutations: PermutationBaseline
    note: str | None = None


class DatasetValidation(BaseModel):
    """What "validated" means: held-out fidelity, per-node fit and a graph falsification test (README)."""

    model_config = Open
    model_version: int
    held_out_fidelity: HeldOutFidelity
    nodes: list[NodeFit]
    falsification: Falsification
    warnings: list[str] = Field(default_factory=list)
    seconds: float | None = Field(default=None, description="Time the validation took.")


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


class Level(BaseModel):
    model_config = Open
    value: str | bool
    share: float


class SchemaColumn(BaseModel):
    model_config = Open
    name: str = Field(description="Cleaned name: use it in conditions.")
    source_name: str = Field(description="The raw header in the upload.")
    source_index: int | None = Field(
        default=None, description="0-based position in the upload: tells apart copies of a repeated header."
    )
    label: str | None = Field(default=None, description="The question text, when the file has one (SPSS).")
    type: Literal["numeric", "integer", "categorical", "ordinal", "boolean", "datetime"] = Field(
        description="`ordinal`: an answer scale; its `levels` are listed low to high and conditioned like categories."
    )
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
    source_index: int | None = None
    name: str | None = None
    reason: str = Field(
        description="id_like, constant, free_text, mostly_empty, datetime_not_modelled, unsupported_type, or "
        "duplicate (an exact one-to-one recoding of the column named in `duplicate_of`)."
    )
    duplicate_of: str | None = Field(default=None, description="For a duplicate: the cleaned column kept instead.")
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
        default=None, description="E[outcome | do(to)] - E[outcome | do(from)]: a mean difference, or of shares."
    )
    ci_low: float | None = None
    ci_high: float | None = None
    confidence_level: float | None = None
    method: Literal["bootstrap_refit", "monte_carlo", "exact_zero"] | None = Field(
        default=None, description="How the interval was built; `interval_covers` says what it covers."
    )
    resamples: int | None = Field(default=None, description="Bootstrap refits behind the interval.")
    interval_covers: str | None = None
    arms: dict[str, EffectArm] | None = Field(default=None, description="`from` and `to`: each arm's mean outcome.")
    support: EffectSupport | None = None
    segments: list[EffectSegment] | None = Field(default=None, description="Per level of `segment_by`, when asked.")
    graph_path: list[list[str]] | None = Field(
        default=None, description="Directed paths treatment -> outcome in the model's graph (shortest first, max 20)."
    )
    note: str | None = Field(default=None, description="Why the effect is exactly 0, when the graph says so.")
    warnings: list[str] = Field(default_factory=list)


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
        default_factory=list,
        description="Edges whose direction came from the prior (demographic-looking roots, then column order), "
        "not from the data.",
    )
    warnings: list[str] = Field(default_factory=list)
