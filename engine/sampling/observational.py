"""mode "condition": rows as they would be among the model's observational rows that match.

Rejection sampling in bounded batches: draw rows from the fitted SCM, keep those inside every
numeric range, then pick the requested levels' exact counts by stratified selection (without
replacement) from the kept pool. Draws stop once the pool can give those counts, or at DRAW_FACTOR x
row_count (or the time budget); a request the model cannot meet returns fewer rows at the requested
shares, never invented or repeated ones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from simulacra.engine.checks.conditions import Conditions
from simulacra.engine.model.model_file import FittedModel
from simulacra.engine.sampling.assignments import target_counts
from simulacra.engine.sampling.controlled_rounding import stratum_counts
from simulacra.engine.sampling.draws import Draws, Sampler

# BATCH_MAX bounds one batch's memory; the pool itself holds only the rows that match.
DRAW_FACTOR, MIN_DRAWS, BATCH_MIN, BATCH_MAX, SECONDS = 50, 20000, 5000, 500_000, 30.0
RAKING_ROUNDS = 50
SHORT_TRIES = 32


@dataclass
class Pool:
    """What rejection sampling found: the kept rows, draws made, and per-range acceptance counts."""

    rows: Draws
    draws: int
    accepted: dict[str, int]
    tolerance: dict[str, float]


def condition_samples(
    model: FittedModel,
    conditions: Conditions,
    row_count: int,
    rng: np.random.Generator,
    *,
    seed: int,
    level_counts: dict[str, dict[str, int]] | None = None,
    max_draws: int | None = None,
    seconds: float = SECONDS,
) -> tuple[Draws, Pool]:
    """Up to row_count model rows matching the conditions; batch i draws with seed (seed, i).

    ``level_counts`` gives each requested level's exact count among the rows (a shard's part of a
    generation's counts; the column's other levels share the rest); by default the largest-remainder
    counts of the requested shares among row_count rows.
    """
    wanted = level_counts or {
        name: target_counts(targets, row_count) for name, targets in conditions.categorical.items()
    }
    sampler = Sampler(model)
    cap = max_draws or max(MIN_DRAWS, DRAW_FACTOR * row_count)
    tolerance = {name: _tolerance(model.seed_values[name], *bounds) for name, bounds in conditions.numeric.items()}
    decimals = {column.name: (column.decimals or 0) for column in model.schema.columns}
    kept: list[Draws] = []
    accepted, draws = dict.fromkeys(conditions.numeric, 0), 0
    started = time.perf_counter()
    while draws < cap and time.perf_counter() - started < seconds:
        size = min(max(BATCH_MIN, 5 * row_count), BATCH_MAX, cap - draws)
        batch = sampler.draw(size, [seed, len(kept)])
        draws += size
        keep = np.ones(size, dtype=bool)
        for name, (low, high) in conditions.numeric.items():
            inside = _inside(batch.columns[name], low, high, decimals[name], tolerance[name])
            accepted[name] += int(inside.sum())
            keep &= inside
        kept.append(batch.take(keep))
        if _allocation(Draws.concat(kept), conditions, row_count, wanted) is not None:
            break
    pool = Pool(Draws.concat(kept), draws, accepted, tolerance)
    return select(pool.rows, conditions, row_count, rng, wanted), pool


def capacity(rows: Draws, conditions: Conditions) -> int:
    """How many rows the pool can give while holding the requested shares."""
    if not conditions.categorical or not len(rows):
        return len(rows)
    if _absent_level(rows, conditions):
        return 0
    _, available, shares, _ = _strata(rows, conditions)
    wanted = shares > 0
    return int(np.floor(np.min(available[wanted] / shares[wanted]))) if wanted.any() else 0


def select(
    rows: Draws,
    conditions: Conditions,
    row_count: int,
    rng: np.random.Generator,
    level_counts: dict[str, dict[str, int]],
) -> Draws:
    """row_count rows holding level_counts exactly, in random order; when the pool cannot give them,
    as many rows as it can at the requested shares."""
    if not conditions.categorical:
        total = min(row_count, len(rows))
        return rows.take(rng.choice(len(rows), size=total, replace=False))
    found = _allocation(rows, conditions, row_count, level_counts) or _short_allocation(rows, conditions, row_count)
    if found is None:
        return rows.take(np.arange(0))
    strata, counts = found
    # Members of each stratum, grouped by one stable sort instead of one scan of the pool per stratum.
    order = np.argsort(strata, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(strata, minlength=len(counts)))])
    chosen = [
        rng.choice(order[starts[stratum] : starts[stratum + 1]], size=count, replace=False)
        for stratum, count in enumerate(counts)
    ]
    picked = np.concatenate(chosen)
    rng.shuffle(picked)
    return rows.take(picked)


def _short_allocation(rows: Draws, conditions: Conditions, row_count: int) -> tuple[np.ndarray, np.ndarray] | None:
    # Short of rows: the largest total whose exact counts at the requested shares the pool gives. With
    # one conditioned column the capacity itself always works; with several a few rows fewer may be
    # needed, and the search is bounded so a hopeless pool stays cheap.
    largest = min(row_count, capacity(rows, conditions))
    for total in range(largest, max(0, largest - SHORT_TRIES), -1):
        counts = {name: target_counts(targets, total) for name, targets in conditions.categorical.items()}
        found = _allocation(rows, conditions, total, counts)
        if found is not None:
            return found
    return None


def _allocation(
    rows: Draws, conditions: Conditions, total: int, level_counts: dict[str, dict[str, int]]
) -> tuple[np.ndarray, np.ndarray] | None:
    # Each pooled row's stratum and the rows to take per stratum for exactly level_counts among
    # `total` rows; None when the pool cannot give them.
    if not conditions.categorical:
        return (np.zeros(len(rows), dtype=np.int64), np.array([total])) if len(rows) >= total else None
    if not len(rows) or _absent_level(rows, conditions):
        return None
    strata, available, weights, labels = _strata(rows, conditions)
    groups, wanted = [], []
    for name, level_count in level_counts.items():
        requested = list(level_count)
        # Group k is the k-th requested level; the column's other levels together are the last group.
        group = np.full(len(available), len(requested), dtype=np.int64)
        for index, level in enumerate(requested):
            group[labels[name] == level] = index
        groups.append(group)
        wanted.append(np.array([*level_count.values(), total - sum(level_count.values())], dtype=float))
    counts = stratum_counts(groups, wanted, weights, available, total)
    return None if counts is None else (strata, counts)


def _absent_level(rows: Draws, conditions: Conditions) -> bool:
    # A level asked for that no pooled row holds has no stratum to rake: the pool cannot give it yet.
    for name, targets in conditions.categorical.items():
        present = set(rows.levels[name][np.unique(rows.columns[name])])
        if any(share > 0 and level not in present for level, share in targets.items()):
            return True
    return False


def _strata(rows: Draws, conditions: Conditions) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    # Joint strata of the conditioned columns; raking (iterative proportional fitting) finds the
    # weights that give each column its target shares while keeping the observational dependence
    # between them and the relative shares of the levels left free.
    names = list(conditions.categorical)
    # One integer key per combination of level codes (mixed radix over each column's levels).
    key = np.zeros(len(rows), dtype=np.int64)
    for name in names:
        key = key * len(rows.levels[name]) + rows.columns[name]
    uniques, strata = np.unique(key, return_inverse=True)
    available = np.bincount(strata, minlength=len(uniques)).astype(float)
    stratum_labels = {}
    for name in reversed(names):
        size = len(rows.levels[name])
        stratum_labels[name] = np.asarray([str(level) for level in rows.levels[name]])[uniques % size]
        uniques = uniques // size
    weights = available / available.sum()
    for _ in range(RAKING_ROUNDS):
        previous = weights.copy()
        for name, targets in conditions.categorical.items():
            levels = stratum_labels[name]
            free = ~np.isin(levels, list(targets))
            for level, share in targets.items():
                mass = weights[levels == level].sum()
                if mass > 0:
                    weights[levels == level] *= share / mass
            free_mass = weights[free].sum()
            if free_mass > 0:
                weights[free] *= max(0.0, 1 - sum(targets.values())) / free_mass
            weights /= weights.sum() or 1.0
        if np.allclose(weights, previous, atol=1e-12):
            break
    return strata, available, weights, stratum_labels


def _inside(values: np.ndarray, low: float | None, high: float | None, decimals: int, tolerance: float) -> np.ndarray:
    # A draw matches when the value it will be written as lies in the range.
    shown = np.round(values, decimals)
    low = -np.inf if low is None else low - tolerance
    high = np.inf if high is None else high + tolerance
    return (shown >= low - 1e-9) & (shown <= high + 1e-9)


def _tolerance(seed_values: tuple[np.ndarray, np.ndarray], low: float | None, high: float | None) -> float:
    # The model is continuous but seeds are not (prices are x.x9): a fixed value or a range narrower
    # than the seed's step matches draws within half a step, and the output holds the exact bound.
    values = seed_values[0]
    if low is None or high is None or values.size < 2:
        return 0.0
    step = float(np.median(np.diff(np.sort(values))))
    return step / 2 if high - low < step else 0.0
