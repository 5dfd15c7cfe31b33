"""Local IDA: the effect over every parent set of the treatment that the data's equivalence class allows.

Where the data cannot orient an edge at the treatment (it is undirected in the CPDAG: discovery's
`oriented_by_prior`), the learned DAG's direction is one arbitrary member of the class. Local IDA
(Maathuis, Kalisch and Buehlmann 2009, Ann. Statist. 37(6A)) enumerates the treatment's possible
parent sets instead: its directed parents plus any subset S of its undirected neighbours that
creates no new v-structure at the treatment (S pairwise adjacent) and that the hints allow. Each set
is a valid back-door adjustment set in some DAG of the class, and gives one effect.

Each effect is estimated as IDA does, by regression adjustment: least squares of the outcome (or of
its level's indicator) on the treatment and the parent set (categories one-hot), the treatment's
coefficient times the contrast. It is linear, so on curved mechanisms it is an approximation beside
the model's own estimate; the range it gives is what the direction of the edge is worth.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from simulacra.engine.checks.effect_request import EffectSpec
from simulacra.engine.checks.hints import Hints
from simulacra.engine.records.graph import CausalGraph
from simulacra.engine.records.uncertainty import EdgeRange, EffectRange, Span
from simulacra.engine.uncertainty.contested import undirected_pairs

# 2^8 = 256 regressions at most.
MAX_UNDIRECTED_NEIGHBOURS = 8
ESTIMATOR = (
    "back-door regression adjustment for each locally valid parent set of the treatment (local IDA, Maathuis et "
    "al. 2009): least squares of the outcome on the treatment and the parent set"
)


def effect_range(
    graph: CausalGraph, frame: pd.DataFrame, spec: EffectSpec, hints: Hints, z: float
) -> EffectRange | None:
    """None when the treatment has no undirected edge: its parent set, and so the effect, is identified.

    ``z`` widens each end by its regression's standard error into `ci_low`/`ci_high`."""
    treatment = spec.treatment
    undirected = undirected_pairs(graph)
    siblings = sorted(next(iter(pair - {treatment})) for pair in undirected if treatment in pair)
    if not siblings or len(siblings) > MAX_UNDIRECTED_NEIGHBOURS:
        return None
    adjacent = {frozenset(edge) for edge in graph.edges}
    parents = sorted(a for a, b in graph.edges if b == treatment and frozenset((a, b)) not in undirected)
    effects: dict[frozenset[str], float] = {}
    errors: dict[frozenset[str], float] = {}
    for size in range(len(siblings) + 1):
        for chosen in combinations(siblings, size):
            rest = [s for s in siblings if s not in chosen]
            clique = all(frozenset(pair) in adjacent for pair in combinations(chosen, 2))
            allowed = all(hints.allows(s, treatment) for s in chosen) and all(hints.allows(treatment, s) for s in rest)
            if clique and allowed:
                key = frozenset(chosen)
                effects[key], errors[key] = adjusted_effect(frame, spec, [*parents, *chosen])
    if not effects:
        return None
    finite = {key: value for key, value in effects.items() if np.isfinite(value)}
    low, high = (_round(min(finite.values())), _round(max(finite.values()))) if finite else (None, None)
    padded = [(value - z * errors[key], value + z * errors[key]) for key, value in finite.items()]
    by_edge = [
        EdgeRange(
            source=treatment,
            target=sibling,
            if_forward=_span([v for s, v in effects.items() if sibling not in s]),
            if_reversed=_span([v for s, v in effects.items() if sibling in s]),
        )
        for sibling in siblings
    ]
    edges = ", ".join(f"{treatment} - {sibling}" for sibling in siblings)
    return EffectRange(
        low=low,
        high=high,
        ci_low=_round(min(p[0] for p in padded)) if padded else None,
        ci_high=_round(max(p[1] for p in padded)) if padded else None,
        parent_sets=len(effects),
        by_edge=by_edge,
        estimator=ESTIMATOR,
        statement=f"between {low:g} and {high:g} depending on the direction of {edges}"
        if low is not None and high is not None
        else f"not estimable: the direction of {edges} is open",
    )


def adjusted_effect(frame: pd.DataFrame, spec: EffectSpec, adjust: list[str]) -> tuple[float, float]:
    """(E[Y | do(to)] - E[Y | do(from)], its standard error) by least squares of Y on the treatment and ``adjust``."""
    if spec.outcome in adjust:
        return 0.0, 0.0  # the outcome is a parent of the treatment: in that DAG the treatment cannot reach it
    columns = [_design(frame[name], name) for name in adjust]
    if spec.numeric:
        treated = frame[spec.treatment].to_numpy(dtype=float)[:, None]
        contrast = np.array([float(spec.alternative) - float(spec.reference)])
    else:
        labels = frame[spec.treatment].astype(str)
        levels = [str(spec.reference), str(spec.alternative)]
        # The reference level is the baseline: the alternative's coefficient is the contrast.
        treated = np.column_stack([(labels == level).to_numpy(dtype=float) for level in sorted(set(labels))])
        names = sorted(set(labels))
        keep = [i for i, level in enumerate(names) if level != levels[0]]
        treated = treated[:, keep]
        contrast = np.array([1.0 if names[i] == levels[1] else 0.0 for i in keep])
    design = np.column_stack([np.ones(len(frame)), treated, *columns])
    if spec.outcome_level is None:
        target = frame[spec.outcome].to_numpy(dtype=float)
    else:
        target = (frame[spec.outcome].astype(str) == spec.outcome_level).to_numpy(dtype=float)
    coefficients, _, rank, _ = np.linalg.lstsq(design, target, rcond=None)
    chosen = slice(1, 1 + len(contrast))
    residual = target - design @ coefficients
    variance = float(residual @ residual) / max(1, len(target) - rank)
    covariance = variance * np.linalg.pinv(design.T @ design)[chosen, chosen]
    return float(coefficients[chosen] @ contrast), float(np.sqrt(max(0.0, contrast @ covariance @ contrast)))


def _design(column: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=float)[:, None]
    labels = column.astype(str)
    levels = sorted(set(labels))[1:]  # the first level is the baseline
    return (
        np.column_stack([(labels == level).to_numpy(dtype=float) for level in levels])
        if levels
        else np.zeros((len(column), 0))
    )


def _span(values: list[float]) -> Span:
    finite = [v for v in values if np.isfinite(v)]
    return Span(low=_round(min(finite)), high=_round(max(finite))) if finite else Span(low=None, high=None)


def _round(value: float) -> float:
    return round(float(value), 6)
