"""The causal graph a dataset's model is fitted on: discovered, then perhaps edited by the user."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

Edge = tuple[str, str]
# Edges are written {"from": a, "to": b} on the wire; `from` is a Python keyword, so the fields are
# source and target in code (and accepted under either name).
FromTo = ConfigDict(serialize_by_alias=True)


def wire_name(name: str, field: str) -> Any:
    return Field(validation_alias=AliasChoices(name, field), serialization_alias=name)


class EdgeStability(BaseModel):
    model_config = FromTo
    source: str = wire_name("from", "source")
    target: str = wire_name("to", "target")
    stability: float | None = Field(description="Share of bootstrap resamples that found this edge in this direction.")
    adjacency_stability: float | None = Field(description="Share that found the two columns adjacent either way.")


class Bootstrap(BaseModel):
    resamples: int
    rows_per_resample: int


class GraphEdit(BaseModel):
    model_config = FromTo
    op: str
    source: str = wire_name("from", "source")
    target: str = wire_name("to", "target")


class CausalGraph(BaseModel):
    nodes: list[str]
    edges: list[Edge]
    algorithm: str = "pc"
    test: str | None = Field(default=None, description="The conditional independence test discovery used.")
    alpha: float | None = None
    max_depth: int | None = None
    rows_used: int | None = None
    oriented_by_prior: list[Edge] = Field(
        default_factory=list, description="Edges whose direction came from the prior, not from the data."
    )
    default_roots: list[str] = Field(default_factory=list)
    edge_stability: list[EdgeStability] | None = None
    bootstrap: Bootstrap | None = None
    # The causal_hints the user gave at upload, as engine.checks.hints.Hints.as_dict() writes them.
    hints_applied: dict[str, Any] | None = None
    warnings: list[str] = Field(default_factory=list)
    edits: list[GraphEdit] = Field(default_factory=list, description="The user's edits, in the order applied.")

    def stability_of(self, edge: Edge) -> float | None:
        return next((e.stability for e in self.edge_stability or [] if (e.source, e.target) == edge), None)
