"""How sure a model is about its graph: the documents effects, generations and validation report it in.

An effect's interval can span several plausible graphs (bootstrap rediscovery), an effect can depend
on edges the data cannot orient (a range over the parent sets the equivalence class allows, the
local IDA of Maathuis, Kalisch and Buehlmann 2009), and a generation under intervention propagates
through edges whose presence or direction is in doubt.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from simulacra.engine.records.graph import EdgeStability, FromTo, wire_name


class PathCount(BaseModel):
    path: list[str] = Field(description="A directed path treatment -> outcome in a rediscovered graph.")
    resamples: int = Field(description="Resamples whose graph held this path.")


class ContestedEffectEdge(BaseModel):
    """An edge on a treatment -> outcome path whose presence or direction varied across resamples."""

    model_config = FromTo
    source: str = wire_name("from", "source")
    target: str = wire_name("to", "target")
    in_model: bool = Field(description="The model's own graph has this edge, in this direction.")
    present_share: float = Field(description="Share of resamples with from -> to.")
    reversed_share: float = Field(description="Share of resamples with to -> from.")
    absent_share: float = Field(description="Share of resamples with no edge between the two.")
    effect_with: float | None = Field(description="Median effect over the resamples with from -> to.")
    effect_reversed: float | None = Field(description="Median effect over the resamples with to -> from.")
    effect_without: float | None = Field(description="Median effect over the resamples without the edge.")


class StructureUncertainty(BaseModel):
    """What rediscovering the graph on bootstrap resamples found (method `bootstrap_rediscover`)."""

    resamples: int = Field(description="Bootstrap resamples, each rediscovered, refitted and re-estimated.")
    rows_per_resample: int
    resamples_with_path: int = Field(description="Resamples whose graph had a directed path treatment -> outcome.")
    paths: list[PathCount] = Field(description="Distinct directed paths treatment -> outcome, most frequent first.")
    contested_edges: list[ContestedEffectEdge] = Field(
        description="Edges on a treatment -> outcome path whose presence or direction changed between resamples."
    )
    effect_low: float | None = Field(description="Smallest effect over the resamples.")
    effect_high: float | None = Field(description="Largest effect over the resamples.")
    effect_median: float | None = Field(
        default=None,
        description="Median effect over the resamples (0 for a resample without a path): the model-averaged "
        "figure beside the model's own `estimate`, which is the learned graph's.",
    )


class Span(BaseModel):
    low: float | None
    high: float | None


class EdgeRange(BaseModel):
    """How the effect depends on the direction of one undirected edge at the treatment."""

    model_config = FromTo
    source: str = wire_name("from", "source")
    target: str = wire_name("to", "target")
    if_forward: Span = Field(description="Effects over the valid parent sets where from -> to (the edge leaves it).")
    if_reversed: Span = Field(description="Effects over the valid parent sets where to -> from.")


class EffectRange(BaseModel):
    """Effects over every parent set of the treatment the equivalence class and the hints allow (local IDA)."""

    low: float | None
    high: float | None
    ci_low: float | None = Field(default=None, description="`low` less its regression's sampling error.")
    ci_high: float | None = Field(default=None, description="`high` plus its regression's sampling error.")
    parent_sets: int = Field(description="Locally valid parent sets of the treatment, each one effect.")
    by_edge: list[EdgeRange] = Field(description="Per undirected edge at the treatment.")
    estimator: str = Field(description="How each parent set's effect was estimated.")
    statement: str = Field(description='E.g. "between -2.3 and -0.4 depending on the direction of x - y".')


class SettlingHint(BaseModel):
    """A causal_hints fragment that would decide a contested edge, and when it is the right one."""

    if_: str = Field(alias="if", description="The fact about the world under which to add this hint.")
    causal_hints: dict[str, Any] = Field(description="Merge into the dataset's causal_hints and upload again.")
    model_config = {"populate_by_name": True, "serialize_by_alias": True}


class ContestedGraphEdge(BaseModel):
    """An edge of the model's graph that discovery could not settle from the data."""

    model_config = FromTo
    source: str = wire_name("from", "source")
    target: str = wire_name("to", "target")
    doubt: Literal["direction", "presence"]
    reason: str
    stability: float | None = None
    adjacency_stability: float | None = None
    settle_with: list[SettlingHint] = Field(default_factory=list)


class Robustness(BaseModel):
    """Validation's robustness section: how stable the graph is, and which hints would settle its doubts."""

    bootstrap_resamples: int = Field(description="Discovery's stability resamples (0: stability not measured).")
    edge_stability: list[EdgeStability] = Field(default_factory=list)
    contested_edges: list[ContestedGraphEdge] = Field(default_factory=list)
    note: str | None = None
