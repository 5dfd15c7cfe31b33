"""The one check of an effect request against a cleaned schema and its graph.

Pure Python on purpose, like engine.checks.conditions: the API imports it to refuse a bad request before
any work starts, and engine.effects runs the same check as a library guard. Columns are named as
in conditions (cleaned names; a raw header gets a hint naming the cleaned column).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeGuard

from simulacra.engine.checks.column_types import CATEGORICAL_TYPES, NUMERIC_TYPES
from simulacra.engine.checks.conditions import is_finite_number, schema_column
from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.records.graph import CausalGraph
from simulacra.engine.records.schema import CleanedSchema, SchemaColumn

MIN_SAMPLES, MAX_SAMPLES, DEFAULT_SAMPLES = 1000, 200_000, 20_000
DEFAULT_CONFIDENCE = 0.95
MAX_PATHS = 20
# How the interval is built: over rediscovered graphs (the default, within the compute budget), or with
# the learned graph held fixed (cheap). engine.effects says which one ran.
INTERVAL_METHODS = ("bootstrap_rediscover", "bootstrap_refit")


@dataclass(frozen=True)
class EffectSpec:
    """A validated request: cleaned column names, and the treatment's two values as the sampler takes them."""

    treatment: str
    numeric: bool  # numeric treatment (from/to are numbers) or categorical (from/to are level labels)
    reference: float | str  # "from": DoWhy's interventions_reference
    alternative: float | str  # "to": DoWhy's interventions_alternative
    outcome: str
    outcome_level: str | None
    segment_by: str | None
    samples: int
    seed: int
    confidence_level: float
    paths: list[list[str]]  # directed paths treatment -> outcome in the graph; none: the effect is 0
    interval_method: str = INTERVAL_METHODS[0]

    def values(self) -> dict[str, float | str]:
        return {"from": self.reference, "to": self.alternative}

    def as_request(self) -> dict[str, Any]:
        """The request in normal form (cleaned names, numbers as floats, levels as strings): parses to itself."""
        return {
            "treatment": {"column": self.treatment, **self.values()},
            "outcome": self.outcome,
            "outcome_level": self.outcome_level,
            "segment_by": self.segment_by,
            "samples": self.samples,
            "seed": self.seed,
            "confidence_level": self.confidence_level,
            "interval_method": self.interval_method,
        }


def parse_effect_request(request: dict[str, Any], schema: CleanedSchema, graph: CausalGraph) -> EffectSpec:
    """Check the request; errors carry a stable code and a JSON pointer to the offending field."""
    if not isinstance(request, dict):
        raise _invalid("the request must be an object", "")
    edges = list(graph.edges)
    treatment = request.get("treatment")
    if not isinstance(treatment, dict) or set(treatment) != {"column", "from", "to"}:
        raise _invalid('treatment is {"column": c, "from": a, "to": b}', "/treatment")
    name = _modelled(schema, graph, treatment["column"], "/treatment/column")
    column = schema_column(schema, name, "/treatment/column")
    numeric = column.type in NUMERIC_TYPES
    reference, alternative = (_arm(column, treatment[key], f"/treatment/{key}") for key in ("from", "to"))
    if reference == alternative:
        raise _invalid("from and to are the same value: there is no contrast to estimate", "/treatment/to")
    outcome = _modelled(schema, graph, request.get("outcome"), "/outcome")
    if outcome == name:
        raise _invalid("the outcome must differ from the treatment column", "/outcome")
    level = _outcome_level(schema_column(schema, outcome, "/outcome"), request.get("outcome_level"))
    segment = request.get("segment_by")
    if segment is not None:
        segment = _modelled(schema, graph, segment, "/segment_by")
        _segment(schema_column(schema, segment, "/segment_by"), name, outcome, edges)
    return EffectSpec(
        treatment=name,
        numeric=numeric,
        reference=reference,
        alternative=alternative,
        outcome=outcome,
        outcome_level=level,
        segment_by=segment,
        samples=_integer(request.get("samples", DEFAULT_SAMPLES), MIN_SAMPLES, MAX_SAMPLES, "/samples"),
        seed=_integer(request.get("seed", 0), 0, 2**31 - 1, "/seed"),
        confidence_level=_confidence(request.get("confidence_level", DEFAULT_CONFIDENCE)),
        paths=directed_paths(edges, name, outcome),
        interval_method=_interval_method(request.get("interval_method", INTERVAL_METHODS[0])),
    )


def directed_paths(edges: list[tuple[str, str]], source: str, target: str, limit: int = MAX_PATHS) -> list[list[str]]:
    """The directed paths source -> target, shortest first, at most ``limit`` (dense graphs have many)."""
    # Only nodes that still reach the target are followed, so every step is on the way to a path.
    reaches = _reachable(_adjacency((child, parent) for parent, child in edges), target)
    children = _adjacency(edges)
    paths: list[list[str]] = []
    stack = [[source]]
    while stack and len(paths) < limit:
        path = stack.pop()
        for child in children.get(path[-1], []):
            if child == target:
                paths.append([*path, child])
            elif child in reaches and child not in path:
                stack.append([*path, child])
    return sorted(paths[:limit], key=len)


def descendants(edges: list[tuple[str, str]], node: str) -> set[str]:
    return _reachable(_adjacency(edges), node)


def _adjacency(edges: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    following: dict[str, list[str]] = {}
    for start, end in edges:
        following.setdefault(start, []).append(end)
    return following


def _reachable(following: dict[str, list[str]], node: str) -> set[str]:
    seen, stack = set(), [node]
    while stack:
        for child in following.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _modelled(schema: CleanedSchema, graph: CausalGraph, name: object, pointer: str) -> str:
    if not isinstance(name, str):
        raise _invalid("name a column of the cleaned schema", pointer)
    column = schema_column(schema, name, pointer)
    if name not in graph.nodes or column.type not in NUMERIC_TYPES + CATEGORICAL_TYPES:
        raise _invalid(f"{name} is {column.type} and not part of the causal model", pointer)
    return name


def _arm(column: SchemaColumn, value: object, pointer: str) -> float | str:
    name = column.name
    if column.type in NUMERIC_TYPES:
        if not is_finite_number(value):
            raise _invalid(f"{name} is {column.type}: give a number", pointer)
        return float(value)
    # Boolean levels are the strings conditions use ("true"/"false"); JSON true/false is accepted too.
    label = str(value).lower() if column.type == "boolean" and isinstance(value, (bool, str)) else value
    return _level(column, label, pointer)


def _outcome_level(column: SchemaColumn, level: object) -> str | None:
    if column.type in NUMERIC_TYPES:
        if level is not None:
            raise _invalid(
                f"{column.name} is {column.type}: its effect is a mean difference, drop outcome_level",
                "/outcome_level",
            )
        return None
    if level is None:
        levels = ", ".join(sorted(_levels(column)))
        raise _invalid(
            f"{column.name} is {column.type}: name the level whose share to compare ({levels})", "/outcome_level"
        )
    label = str(level).lower() if column.type == "boolean" and isinstance(level, (bool, str)) else level
    return _level(column, label, "/outcome_level")


def _segment(column: SchemaColumn, treatment: str, outcome: str, edges: list[tuple[str, str]]) -> None:
    name = column.name
    if column.type not in CATEGORICAL_TYPES:
        raise _invalid(f"segment_by takes a categorical or boolean column; {name} is {column.type}", "/segment_by")
    if name == outcome:
        raise _invalid("segment_by must differ from the outcome", "/segment_by")
    if name == treatment or name in descendants(edges, treatment):
        raise _invalid(
            f"{name} is caused by {treatment}, so its segments would differ between the two arms; pick a column "
            f"{treatment} does not affect",
            "/segment_by",
        )


def _level(column: SchemaColumn, label: object, pointer: str) -> str:
    levels = _levels(column)
    if not isinstance(label, str) or label not in levels:
        raise EngineInputError(
            "simio_unknown_condition_level",
            f"{label!r} is not a level of {column.name}; levels are {', '.join(sorted(levels))}",
            pointer,
        )
    return label


def _levels(column: SchemaColumn) -> set[str]:
    return {str(level.value) for level in column.levels or []}


def _integer(value: object, low: int, high: int, pointer: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _invalid(f"must be an integer from {low} to {high}", pointer)
    return value


def _confidence(value: object) -> float:
    if not _is_number(value) or not 0.5 <= value <= 0.999:
        raise _invalid("confidence_level must be between 0.5 and 0.999", "/confidence_level")
    return float(value)


def _interval_method(value: object) -> str:
    if value not in INTERVAL_METHODS:
        raise _invalid(f"interval_method must be one of {', '.join(INTERVAL_METHODS)}", "/interval_method")
    return str(value)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _invalid(detail: str, pointer: str) -> EngineInputError:
    return EngineInputError("simio_invalid_field", detail, pointer)
