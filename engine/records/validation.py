"""The validation report of a model version: what "validated" means (docs/causal-model.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from simulacra.engine.records.figures import ValidationFigures
from simulacra.engine.records.fit import Metric
from simulacra.engine.records.uncertainty import Robustness


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
    name: str
    parents: list[str]
    mechanism: str
    metric: Metric | None = Field(
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
    run: int = Field(description="Random relabellings of the graph's columns tested.")
    p_value: float | None = Field(
        default=None, description="Share of relabellings that fit as well as the graph or better (with the graph)."
    )
    informative: bool = Field(description="False when relabellings imply the same independences (e.g. no edges).")
    median_violated_share: float | None = None
    violated_shares: list[float] = Field(
        default_factory=list, description="Each relabelling's share of rejected independences: the distribution."
    )


class Falsification(BaseModel):
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


class FitSample(BaseModel):
    """The subsample a large seed's model was learnt from (docs/causal-model.md, "Large seeds")."""

    table_rows: int = Field(description="Rows of the cleaned seed table.")
    rows: int = Field(description="Rows discovery and fitting used: the setting `fit_sample_rows`.")
    stratified_on: list[str] = Field(description="Categorical columns whose levels keep their shares in the sample.")
    seed: int = Field(description="The seed of the draw: the same table and seed give the same rows.")
    held_out_rows: int = Field(description="Rows never fitted on; held-out fidelity is scored on some of them.")


class ValidationReport(BaseModel):
    """Held-out fidelity, per-node fit and a graph falsification test."""

    model_version: int | None = Field(default=None, description="The model version the report is about.")
    held_out_fidelity: HeldOutFidelity
    nodes: list[NodeFit]
    falsification: Falsification
    robustness: Robustness | None = Field(
        default=None, description="Edge stability, contested edges and the hint that would settle each."
    )
    warnings: list[str] = Field(default_factory=list)
    seconds: float | None = Field(default=None, description="Time the validation took.")
    fit_sample: FitSample | None = Field(
        default=None, description="Set when the seed was larger than `fit_sample_rows`: the model saw a subsample."
    )
    figures: ValidationFigures | None = Field(
        default=None, description="What the model report draws; recorded since reports exist, kept out of the API."
    )
