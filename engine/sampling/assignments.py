"""The values conditioned columns take: exact level counts and range-truncated seed draws."""

from __future__ import annotations

import numpy as np

from simulacra.engine.records.schema import Level


def level_totals(seed_levels: list[Level], targets: dict[str, float], rows: int) -> dict[str, int]:
    """Each level's exact count among `rows` (largest remainder).

    Levels without a target share the remaining mass in proportion to their seed shares.
    """
    free = [level for level in seed_levels if level.value not in targets]
    free_total = sum(level.share for level in free)
    remaining = max(0.0, 1.0 - sum(targets.values()))
    shares = dict(targets)
    for level in free:
        shares[level.value] = remaining * level.share / free_total if free_total else 0.0
    labels = list(shares)
    counts = exact_counts(np.array([shares[label] for label in labels]), rows)
    return dict(zip(labels, counts.tolist(), strict=True))


def target_counts(targets: dict[str, float], rows: int) -> dict[str, int]:
    """Each requested level's exact count among `rows` (largest remainder), the column's other levels
    taken together as one more part (mode "condition", where the model decides how they share it)."""
    shares = np.array([*targets.values(), max(0.0, 1.0 - sum(targets.values()))])
    counts = exact_counts(shares, rows) if shares.sum() > 0 else np.zeros(len(shares), dtype=np.int64)
    return dict(zip(targets, counts[:-1].tolist(), strict=True))


def shuffled_codes(counts: dict[str, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The labels, and each row's code into them: every label its count of times, in shuffled order."""
    # Shuffling integer codes rather than the strings themselves: the same order, far less work.
    codes = np.repeat(np.arange(len(counts), dtype=np.int32), list(counts.values()))
    rng.shuffle(codes)
    return np.array(list(counts), dtype=object), codes


def exact_counts(shares: np.ndarray, rows: int) -> np.ndarray:
    """Integer counts summing to rows that follow the shares (largest-remainder rounding)."""
    # Rounding first keeps 0.3 * 2000 = 600.0000000000001 from leaking a row to another level.
    ideal = np.round(shares / shares.sum() * rows, 9)
    counts = np.floor(ideal).astype(np.int64)
    leftover = rows - int(counts.sum())
    order = np.argsort(-(ideal - counts), kind="stable")
    counts[order[:leftover]] += 1
    return counts


def range_values(
    seed_values: tuple[np.ndarray, np.ndarray],
    low: float | None,
    high: float | None,
    rows: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draws from the seed's empirical distribution truncated to [low, high]; uniform if none falls inside."""
    values, counts = seed_values
    inside = (values >= (-np.inf if low is None else low)) & (values <= (np.inf if high is None else high))
    if inside.any():
        weights = counts[inside] / counts[inside].sum()
        return rng.choice(values[inside], size=rows, p=weights)
    # An open side of the range reaches to the seed's edge, or collapses onto the given bound.
    start = low if low is not None else min(values.min(), high)
    stop = high if high is not None else max(values.max(), low)
    return rng.uniform(start, stop, size=rows)
