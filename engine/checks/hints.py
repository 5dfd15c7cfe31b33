"""causal_hints: the user's background knowledge about the graph, checked against a cleaned schema.

Pure Python on purpose, like engine.checks.conditions: the API can refuse bad hints at upload without
loading causal-learn. Accepted shape (every part optional)::

    {"tiers": [["segment", "region"], ["brand"], ["price"]],
     "forbidden": [{"from": "purchase_intent", "to": "price"}],
     "required": [["brand", "price"]]}

Tiers are ordered: no edge may point from a later tier to an earlier one (edges within a tier and
to or from untiered columns are free). Columns may be named by raw header or cleaned name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.records.schema import CleanedSchema

Edge = tuple[str, str]
# Column-name words of who a respondent is: such columns are usually causes, rarely effects.
DEMOGRAPHIC_WORDS = frozenset(
    "age gender sex region country state city income education ethnicity race marital household generation "
    "segment".split()
)


@dataclass(frozen=True)
class Hints:
    """Validated hints over cleaned column names."""

    tiers: tuple[tuple[str, ...], ...] = ()
    forbidden: frozenset[Edge] = field(default_factory=frozenset)
    required: frozenset[Edge] = field(default_factory=frozenset)

    def tier_of(self, name: str) -> int | None:
        return next((index for index, tier in enumerate(self.tiers) if name in tier), None)

    def violation(self, source: str, target: str) -> str | None:
        """Why the edge source -> target breaks the hints, or None when it is allowed."""
        if (source, target) in self.forbidden:
            return f"{source} -> {target} is a forbidden edge"
        low, high = self.tier_of(source), self.tier_of(target)
        if low is not None and high is not None and low > high:
            return f"{source} (tier {low}) may not cause {target} (tier {high})"
        return None

    def allows(self, source: str, target: str) -> bool:
        return self.violation(source, target) is None

    def is_empty(self) -> bool:
        return not (self.tiers or self.forbidden or self.required)

    def as_dict(self) -> dict[str, Any]:
        """JSON form over cleaned names, recorded in the graph as hints_applied."""
        return {
            "tiers": [list(tier) for tier in self.tiers],
            "forbidden": [{"from": a, "to": b} for a, b in sorted(self.forbidden)],
            "required": [{"from": a, "to": b} for a, b in sorted(self.required)],
        }


# Hints name columns of a cleaned schema (raw headers allowed), or of a graph's nodes (cleaned names only).
Columns = CleanedSchema | Sequence[str]


def parse_hints(hints: dict[str, Any] | Hints | None, schema: Columns) -> Hints:
    """Check hints against the schema; errors are simio_invalid_field with a /causal_hints pointer."""
    if hints is None or isinstance(hints, Hints):
        return hints or Hints()
    if not isinstance(hints, dict):
        raise _invalid("causal_hints must be a JSON object", "/causal_hints")
    unknown = set(hints) - {"tiers", "forbidden", "required"}
    if unknown:
        raise _invalid(f"unknown causal_hints field(s): {', '.join(sorted(unknown))}", f"/causal_hints/{min(unknown)}")
    tiers = _tiers(hints.get("tiers"), schema)
    result = Hints(tiers, frozenset(), frozenset())
    forbidden = _edges(hints.get("forbidden"), schema, "/causal_hints/forbidden")
    required = _edges(hints.get("required"), schema, "/causal_hints/required")
    for index, (source, target) in enumerate(required):
        pointer = f"/causal_hints/required/{index}"
        if (source, target) in forbidden:
            raise _invalid(f"{source} -> {target} is both required and forbidden", pointer)
        reason = result.violation(source, target)
        if reason:
            raise _invalid(f"the required edge contradicts the tiers: {reason}", pointer)
        if (target, source) in required:
            raise _invalid(f"{source} -> {target} and {target} -> {source} cannot both be required", pointer)
    cycle = find_cycle(required)
    if cycle:
        raise _invalid(f"the required edges form a cycle: {' -> '.join(cycle)}", "/causal_hints/required")
    return Hints(tiers, frozenset(forbidden), frozenset(required))


def looks_demographic(name: str) -> bool:
    """A cleaned column name holding a demographic word (``age_band``, ``income``, ``region``...)."""
    return bool(DEMOGRAPHIC_WORDS & set(name.lower().split("_")))


def default_roots(names: list[str], directed: list[Edge]) -> tuple[str, ...]:
    """The default causes used when no hints are given: demographic-looking columns the data do not
    contradict, i.e. that no independence test pointed an arrow into from a non-demographic column."""
    candidates = [name for name in names if looks_demographic(name)]
    caused = {target for source, target in directed if target in candidates and source not in candidates}
    return tuple(name for name in candidates if name not in caused)


# A profile block takes at least two demographic-looking columns: a lone `age` is as likely a measured
# outcome (the child network's age at presentation, which its disease causes) as a respondent's profile.
MIN_PROFILE = 2


def demographic_tier(names: list[str]) -> Hints:
    """The default background knowledge without hints: a profile block of demographic-looking columns
    (at least MIN_PROFILE of them) in a first tier.

    Nothing else may cause them; among themselves (age band -> household size) the data decide. Empty
    when fewer columns, or every column, look demographic."""
    first = tuple(name for name in names if looks_demographic(name))
    if len(first) < MIN_PROFILE or len(first) == len(names):
        return Hints()
    return Hints((first, tuple(name for name in names if name not in first)))


def resolve_column(name: object, schema: Columns, pointer: str) -> str:
    """The cleaned name of a column given by cleaned name or raw header."""
    names = schema.names if isinstance(schema, CleanedSchema) else list(schema)
    if isinstance(name, str):
        if name in names:
            return name
        cleaned = schema.renamed.get(name) if isinstance(schema, CleanedSchema) else None
        if cleaned in names:
            return str(cleaned)
        dropped = schema.dropped_as(name) if isinstance(schema, CleanedSchema) else None
        # A dropped exact copy of a kept column means that column: the hint still says something true.
        if dropped and dropped.duplicate_of in names:
            return str(dropped.duplicate_of)
        if dropped:
            raise _invalid(f"{name!r} was dropped during cleaning ({dropped.reason}) and is not modelled", pointer)
    raise _invalid(f"{name!r} is not a column of the cleaned schema; columns are {', '.join(names)}", pointer)


def find_cycle(edges: list[Edge] | frozenset[Edge]) -> list[str] | None:
    """One directed cycle as [a, b, ..., a], or None (depth-first search, no third-party imports)."""
    children: dict[str, list[str]] = {}
    for source, target in sorted(edges):
        children.setdefault(source, []).append(target)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for child in children.get(node, []):
            if state.get(child) == 1:
                return path[path.index(child) :] + [child]
            if child not in state:
                found = visit(child)
                if found:
                    return found
        state[node] = 2
        path.pop()
        return None

    for start in sorted(children):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def _tiers(value: object, schema: Columns) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _invalid("tiers must be a list of lists of column names", "/causal_hints/tiers")
    seen: dict[str, int] = {}
    tiers = []
    for index, tier in enumerate(value):
        pointer = f"/causal_hints/tiers/{index}"
        if not isinstance(tier, list) or not tier:
            raise _invalid("each tier must be a non-empty list of column names", pointer)
        names = []
        for position, raw in enumerate(tier):
            name = resolve_column(raw, schema, f"{pointer}/{position}")
            if name in seen:
                raise _invalid(f"{name} is already in tier {seen[name]}", f"{pointer}/{position}")
            seen[name] = index
            names.append(name)
        tiers.append(tuple(names))
    return tuple(tiers)


def _edges(value: object, schema: Columns, pointer: str) -> list[Edge]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid('must be a list of edges ({"from": a, "to": b} or [a, b])', pointer)
    edges: list[Edge] = []
    for index, edge in enumerate(value):
        here = f"{pointer}/{index}"
        if isinstance(edge, dict) and set(edge) == {"from", "to"}:
            source = resolve_column(edge["from"], schema, f"{here}/from")
            target = resolve_column(edge["to"], schema, f"{here}/to")
        elif isinstance(edge, list) and len(edge) == 2:
            source = resolve_column(edge[0], schema, f"{here}/0")
            target = resolve_column(edge[1], schema, f"{here}/1")
        else:
            raise _invalid('an edge is {"from": a, "to": b} or [a, b]', here)
        if source == target:
            raise _invalid(f"an edge from {source} to itself is not allowed", here)
        if (source, target) not in edges:
            edges.append((source, target))
    return edges


def _invalid(detail: str, pointer: str) -> EngineInputError:
    return EngineInputError("simio_invalid_field", detail, pointer)
