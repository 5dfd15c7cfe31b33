"""Privacy figures of generated rows against the seed: exact copies and distance to closest record.

Distances are Gower's (mixed types): per column, |a - b| / seed range for numbers, 0 or 1 for
levels, 1 when exactly one side is missing, averaged over columns. The reference is the seed
itself: how close a held-out seed row is to the other seed rows (DCR share, as in synthcity and
SDMetrics). A generator that copies sits far above 0.5; one that generalises sits near or below it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulacra.engine.checks.column_types import NUMERIC_TYPES
from simulacra.engine.records.schema import CleanedSchema

REFERENCE_ROWS, PROBE_ROWS, CHUNK = 3000, 1000, 250


def privacy_report(table: pa.Table, seed_parquet: str, schema: CleanedSchema, *, seed: int = 0) -> dict:
    """exact_copy_share over every seed row; DCR share over bounded subsamples."""
    names = schema.names
    seed_frame = _frame(pq.read_table(seed_parquet, columns=names), schema)
    generated = _frame(table.select(names), schema)
    if generated.empty or seed_frame.empty:
        return {"computed": False, "reason": "no rows to compare"}
    seed_hashes = pd.util.hash_pandas_object(seed_frame, index=False).to_numpy()
    copies = np.isin(pd.util.hash_pandas_object(generated, index=False).to_numpy(), seed_hashes)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(seed_frame))
    holdout = order[: min(PROBE_ROWS, len(order) // 4)]
    reference = order[len(holdout) : len(holdout) + REFERENCE_ROWS]
    probe = rng.choice(len(generated), size=min(PROBE_ROWS, len(generated)), replace=False)
    encoded = _encode(pd.concat([seed_frame, generated], ignore_index=True), schema)
    seed_codes = [column[: len(seed_frame)] for column in encoded]
    generated_codes = [column[len(seed_frame) :] for column in encoded]
    kinds = [column.type in NUMERIC_TYPES for column in schema.columns]
    reference_codes = [column[reference] for column in seed_codes]
    synthetic = _nearest([column[probe] for column in generated_codes], reference_codes, kinds)
    report = {
        "computed": True,
        "exact_copy_share": round(float(copies.mean()), 6),
        "seed_duplicate_share": round(float(pd.Series(seed_hashes).duplicated(keep=False).mean()), 6),
        "rows_compared": int(len(probe)),
        "seed_rows_compared": int(len(reference)),
        "distance": "gower",
    }
    if len(holdout):
        baseline = _nearest([column[holdout] for column in seed_codes], reference_codes, kinds)
        median = float(np.median(baseline))
        report |= {
            "dcr_closer_than_seed_share": round(float(np.mean(synthetic < median)), 6),
            "seed_median_nearest_distance": round(median, 6),
            "generated_median_nearest_distance": round(float(np.median(synthetic)), 6),
        }
    return report


def _frame(table: pa.Table, schema: CleanedSchema) -> pd.DataFrame:
    # One comparable form for seed and generated rows: numbers rounded to the schema's decimals.
    frame = {}
    for column in schema.columns:
        values = table[column.name]
        if column.type in NUMERIC_TYPES:
            frame[column.name] = np.round(values.to_numpy(zero_copy_only=False).astype(float), column.decimals or 0)
        else:
            frame[column.name] = values.cast(pa.string()).to_pandas().astype(object)
    return pd.DataFrame(frame)


def _encode(frame: pd.DataFrame, schema: CleanedSchema) -> list[np.ndarray]:
    encoded = []
    for column in schema.columns:
        values = frame[column.name]
        if column.type in NUMERIC_TYPES:
            low, high = column.bounds
            span = (high - low) or 1.0
            encoded.append(values.to_numpy(dtype=float) / span)
        else:
            codes, _ = pd.factorize(values)  # missing -> -1, a level of its own here
            encoded.append(codes.astype(float))
    return encoded


def _nearest(probe: list[np.ndarray], reference: list[np.ndarray], numeric: list[bool]) -> np.ndarray:
    rows = len(probe[0])
    best = np.empty(rows)
    for start in range(0, rows, CHUNK):
        stop = min(start + CHUNK, rows)
        total = np.zeros((stop - start, len(reference[0])))
        for a, b, is_number in zip(probe, reference, numeric, strict=True):
            left, right = a[start:stop, None], b[None, :]
            if is_number:
                gap = np.abs(left - right)
                one_missing = np.isnan(left) != np.isnan(right)
                gap = np.where(one_missing, 1.0, np.where(np.isnan(gap), 0.0, np.minimum(gap, 1.0)))
            else:
                gap = (left != right).astype(float)
            total += gap
        best[start:stop] = total.min(axis=1) / len(probe)
    return best
