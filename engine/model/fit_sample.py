"""The rows discovery and fitting learn from when the seed is large: a seeded, stratified subsample.

Structure learning and mechanism fitting gain little past a hundred thousand rows (discovery already
tests on at most 20,000) while their time and memory grow with every row, so a table longer than the
setting `fit_sample_rows` is learnt from that many rows. The sample is stratified on the categorical
columns (categorical, ordinal, boolean; gaps a level of their own), in schema order: rows are sorted by
those columns' levels, ties broken by a seeded random key, and every k-th row is taken from a random
start (systematic sampling of the sorted order). Each level of the first categorical column, and each
combination of the first ones as far as they stay common, therefore gets its proportional share of the
sample to within one row, and a level with at least N / n rows is never missed. Same table and seed,
same rows. The rows left out are where validation scores the model: held out, never fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from simulacra.engine.checks.column_types import CATEGORICAL_TYPES
from simulacra.engine.records.schema import CleanedSchema
from simulacra.engine.records.validation import FitSample

# Held-out rows kept from those left out: validation scores at most 2,000 of them (HOLDOUT_MAX_ROWS).
HELD_OUT_ROWS = 2000


@dataclass(frozen=True)
class FitRows:
    """Where the sample and the held-out rows were written, and what the report says about them."""

    sample_path: str
    held_out_path: str
    sample: FitSample
    # Row positions in the cleaned table, ascending: what was fitted on and what validation may score.
    sample_positions: np.ndarray
    held_out_positions: np.ndarray


def sample_indices(table: pa.Table, schema: CleanedSchema, rows: int, seed: int) -> np.ndarray:
    """Sorted positions of `rows` rows of `table`, stratified on its categorical columns (module docstring)."""
    total = table.num_rows
    rng = np.random.default_rng(seed)
    keys = [rng.random(total)]  # np.lexsort sorts by the last key first: the random tie-break goes first
    for name in reversed(stratified_on(schema)):
        encoded = pc.dictionary_encode(table[name].combine_chunks())
        keys.append(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False))
    order = np.lexsort(keys)
    step = total / rows
    picks = np.floor(rng.random() * step + step * np.arange(rows)).astype(np.int64)
    return np.sort(order[np.minimum(picks, total - 1)])


def stratified_on(schema: CleanedSchema) -> list[str]:
    return [column.name for column in schema.columns if column.type in CATEGORICAL_TYPES]


def split_for_fit(parquet_path: str, schema: CleanedSchema, rows: int, seed: int, folder: str) -> FitRows | None:
    """With more than `rows` rows: write the stratified sample and up to HELD_OUT_ROWS of the other rows
    (a seeded random draw) into `folder`. None when the table is no longer than `rows`: it is used whole."""
    metadata = pq.read_metadata(parquet_path)
    if rows <= 0 or metadata.num_rows <= rows:
        return None
    table = pq.read_table(parquet_path, columns=schema.names)
    chosen = sample_indices(table, schema, rows, seed)
    left = np.ones(table.num_rows, dtype=bool)
    left[chosen] = False
    rest = np.flatnonzero(left)
    held_out = np.sort(np.random.default_rng(seed + 1).choice(rest, size=min(HELD_OUT_ROWS, rest.size), replace=False))
    sample_path, held_out_path = str(Path(folder) / "fit_sample.parquet"), str(Path(folder) / "held_out.parquet")
    pq.write_table(table.take(pa.array(chosen)), sample_path)
    pq.write_table(table.take(pa.array(held_out)), held_out_path)
    sample = FitSample(
        table_rows=table.num_rows, rows=rows, stratified_on=stratified_on(schema), seed=seed, held_out_rows=rest.size
    )
    return FitRows(sample_path, held_out_path, sample, chosen, held_out)
