"""Whole rows per stratum that hit exact marginal counts: the rounding step of mode "condition".

Raking gives each joint stratum of the conditioned columns a fractional weight whose column sums are
the requested shares. Rounding every stratum on its own (largest remainder) keeps the total but can
leave a column's level a row or so off its count; a generation split into shards would add those rows
up shard after shard. So the rounded counts are repaired: one row at a time moves from one stratum to
another (never past what the pool holds) while that brings the marginals closer to their exact counts.
"""

from __future__ import annotations

import numpy as np

from simulacra.engine.sampling.assignments import exact_counts


def stratum_counts(
    groups: list[np.ndarray],
    wanted: list[np.ndarray],
    weights: np.ndarray,
    available: np.ndarray,
    total: int,
) -> np.ndarray | None:
    """Rows per stratum summing to `total`, at most `available` each, with every column's group sums
    equal to `wanted`; None when the pool cannot give that.

    groups[c][s] is stratum s's group in conditioned column c (a requested level, or the column's
    free levels taken together) and wanted[c][g] the exact rows group g must hold.
    """
    available = available.astype(np.int64)
    # A group with fewer pooled rows than it needs is hopeless whatever the rounding: say so at once.
    if total > available.sum() or any(
        np.any(np.bincount(group, weights=available, minlength=len(want)) < want)
        for group, want in zip(groups, wanted, strict=True)
    ):
        return None
    counts = np.minimum(exact_counts(weights, total) if total else np.zeros_like(available), available)
    # Every move lowers the summed distance to the marginals by at least one, so this many suffice.
    for _ in range(int(total + available.size + 1)):
        gaps = [
            np.bincount(group, weights=counts, minlength=len(want)) - want
            for group, want in zip(groups, wanted, strict=True)
        ]
        short = total - int(counts.sum())
        if short == 0 and not any(np.any(gap) for gap in gaps):
            return counts
        add = _join_costs(groups, gaps)
        add[counts >= available] = np.inf
        if short > 0:
            target = int(np.argmin(add))
            if not np.isfinite(add[target]):
                return None
            counts[target] += 1
            continue
        move = _move_costs(groups, gaps)
        move[counts == 0, :] = np.inf
        move[:, counts >= available] = np.inf
        giver, taker = np.unravel_index(int(np.argmin(move)), move.shape)
        if not move[giver, taker] < 0:
            return None
        counts[giver] -= 1
        counts[taker] += 1
    return None


def _join_costs(groups: list[np.ndarray], gaps: list[np.ndarray]) -> np.ndarray:
    # Change in the summed |gap| when one more row goes to each stratum.
    change = np.zeros(len(groups[0]))
    for group, gap in zip(groups, gaps, strict=True):
        change += (np.abs(gap + 1) - np.abs(gap))[group]
    return change


def _move_costs(groups: list[np.ndarray], gaps: list[np.ndarray]) -> np.ndarray:
    # Moving a row from stratum s to t changes nothing in a column where both share a group.
    change = np.zeros((len(groups[0]), len(groups[0])))
    for group, gap in zip(groups, gaps, strict=True):
        leave = (np.abs(gap - 1) - np.abs(gap))[group]
        join = (np.abs(gap + 1) - np.abs(gap))[group]
        differs = group[:, None] != group[None, :]
        change += np.where(differs, leave[:, None] + join[None, :], 0.0)
    return change
