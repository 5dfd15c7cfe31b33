"""The cleaned Parquet table as the gap-free frame the causal model is fitted on."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq

from simulacra.engine.checks.column_types import NUMERIC_TYPES
from simulacra.engine.records.schema import CleanedSchema

# Missing answers of a categorical column become their own level while modelling, so the
# model keeps how missingness depends on other answers; sampling turns it back into null.
MISSING_LEVEL = "__missing__"


def model_frame(parquet_path: str, schema: CleanedSchema) -> pd.DataFrame:
    """Numbers as float with gaps filled by the median; categories and booleans as strings with a missing level."""
    table = pq.read_table(parquet_path, columns=schema.names)
    frame = {}
    for column in schema.columns:
        values = table[column.name].to_pandas()
        if column.type in NUMERIC_TYPES:
            values = values.astype(float)
            frame[column.name] = values.fillna(values.median())
        else:
            frame[column.name] = _as_labels(values, column.type)
    return pd.DataFrame(frame)


def _as_labels(values: pd.Series, column_type: str) -> pd.Series:
    # gcm recognises categories by Python str values in object arrays.
    if column_type == "boolean":
        labels = values.map({True: "true", False: "false"})
    else:
        labels = values.astype(object)
    return labels.where(values.notna(), MISSING_LEVEL).astype(object)
