"""Summary statistics of numeric columns for the schema."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

MAX_DECIMALS = 6
QUANTILES = {"p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}


def numeric_summary(column: pa.ChunkedArray, column_type: str) -> dict:
    """min/max/mean/quantiles/decimals of a numeric or integer column, as plain Python numbers."""
    values = column.drop_null().to_numpy().astype(float)
    decimals = 0 if column_type == "integer" else decimal_places(values)
    bound = int if column_type == "integer" else float
    return {
        "min": bound(values.min()),
        "max": bound(values.max()),
        "mean": round(_mean(values), MAX_DECIMALS),
        "quantiles": {k: round(float(np.quantile(values, q)), MAX_DECIMALS) for k, q in QUANTILES.items()},
        "decimals": decimals,
    }


def _mean(values: np.ndarray) -> float:
    """The mean, without overflowing to inf on values near the float limit."""
    scale = float(np.max(np.abs(values))) or 1.0
    return float(np.mean(values / scale)) * scale


def decimal_places(values: np.ndarray) -> int:
    """Largest number of decimal places needed to write the values (capped at 6)."""
    for places in range(MAX_DECIMALS):
        scaled = values * 10.0**places
        # The tolerance absorbs binary representation error (3.49 * 100 = 349.00000000000006).
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return places
    return MAX_DECIMALS
