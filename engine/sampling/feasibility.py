"""Per-condition feasibility: what was requested, what the rows achieved, and whether that is met."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulacra.engine.checks.conditions import Conditions
from simulacra.engine.sampling.observational import Pool

# A share counts as met within half a percentage point (largest-remainder rounding aside).
SHARE_TOLERANCE = 0.005


def achieved(table: pa.Table, conditions: Conditions) -> dict:
    """The shares and in-range shares the generated rows actually hold."""
    rows = table.num_rows
    categorical = {}
    for name, targets in conditions.categorical.items():
        labels = table[name].cast(pa.string())
        categorical[name] = {
            level: round(pc.sum(pc.equal(labels, level)).as_py() / rows, 6) if rows else None for level in targets
        }
    numeric = {}
    for name, (low, high) in conditions.numeric.items():
        values = table[name].to_numpy(zero_copy_only=False).astype(float)
        inside = (values >= (-np.inf if low is None else low)) & (values <= (np.inf if high is None else high))
        numeric[name] = {"min": low, "max": high, "share_in_range": round(float(inside.mean()), 6) if rows else None}
    return {"categorical": categorical, "numeric": numeric}


def feasibility(
    conditions: Conditions,
    reached: dict,
    row_count: int,
    rows: int,
    seed_values: dict[str, tuple[np.ndarray, np.ndarray]],
    pool: Pool | None = None,
) -> dict:
    """{"rows", "categorical", "numeric"}, each entry with requested, achieved and status met|partial|infeasible."""
    report: dict = {"rows": _rows(row_count, rows), "categorical": {}, "numeric": {}}
    for name, targets in conditions.categorical.items():
        got = reached["categorical"][name]
        report["categorical"][name] = {"requested": targets, "achieved": got, "status": _share_status(targets, got)}
    for name, (low, high) in conditions.numeric.items():
        values = seed_values[name][0]
        support = (low is None or low <= values.max()) and (high is None or high >= values.min())
        entry = {
            "requested": {"min": low, "max": high},
            "achieved": {"share_in_range": reached["numeric"][name]["share_in_range"]},
            "seed_share_in_range": _seed_share(seed_values[name], low, high),
            "within_seed_range": bool(support),
            "status": "met" if rows else "infeasible",
        }
        if pool is not None:
            entry["acceptance_rate"] = round(pool.accepted[name] / pool.draws, 6) if pool.draws else 0.0
            if pool.tolerance[name]:
                entry["matched_within"] = round(pool.tolerance[name], 9)
            if not pool.accepted[name]:
                entry["status"] = "infeasible"
        elif not support:
            entry["note"] = (
                f"the range lies outside the seed's {name} values ({values.min():g} to {values.max():g}): "
                "values are drawn uniformly inside it and the columns it causes are extrapolated"
            )
        report["numeric"][name] = entry
    return report


def conditions_met(report: dict) -> bool:
    """True when every row asked for was made and every condition is met."""
    entries = [report["rows"], *report["categorical"].values(), *report["numeric"].values()]
    return all(entry["status"] == "met" for entry in entries)


def _rows(row_count: int, rows: int) -> dict:
    status = "met" if rows == row_count else "partial" if rows else "infeasible"
    return {"requested": row_count, "achieved": rows, "status": status}


def _share_status(targets: dict[str, float], got: dict[str, float | None]) -> str:
    if any(got[level] is None or (share > 0 and got[level] == 0) for level, share in targets.items()):
        return "infeasible"
    if all(abs((got[level] or 0.0) - share) <= SHARE_TOLERANCE for level, share in targets.items()):
        return "met"
    return "partial"


def _seed_share(seed_values: tuple[np.ndarray, np.ndarray], low: float | None, high: float | None) -> float:
    values, counts = seed_values
    inside = (values >= (-np.inf if low is None else low)) & (values <= (np.inf if high is None else high))
    return round(float(counts[inside].sum() / counts.sum()), 6) if counts.sum() else 0.0
