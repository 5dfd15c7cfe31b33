"""generate_rows: synthetic rows under interventions (do-operator) from a fitted model."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dowhy import gcm

from engine.assignments import level_values, range_values
from engine.conditions import Conditions, parse_conditions
from engine.errors import EngineInputError
from engine.model_file import load_model
from engine.postprocess import to_table


def generate_rows(model_path: str, conditions: dict, row_count: int, *, seed: int = 0) -> tuple[pa.Table, dict]:
    """Draw row_count rows with the conditioned columns set and their descendants reacting."""
    if isinstance(row_count, bool) or not isinstance(row_count, int) or row_count < 1:
        raise EngineInputError("simio_invalid_field", f"row_count must be a positive integer, not {row_count!r}")
    model = load_model(model_path)
    parsed = parse_conditions(conditions, model.schema)
    rng = np.random.default_rng(seed)
    levels = {column["name"]: column.get("levels", []) for column in model.schema["columns"]}
    assigned = {}
    for name, targets in parsed.categorical.items():
        assigned[name] = level_values(levels[name], targets, row_count, rng)
    for name, (low, high) in parsed.numeric.items():
        assigned[name] = range_values(model.seed_values[name], low, high, row_count, rng)
    interventions = {name: _Replay(values) for name, values in assigned.items()}
    # gcm draws its noise from numpy's process-wide generator; the engine runs one job per process.
    np.random.seed(seed)
    samples = gcm.interventional_samples(model.scm, interventions, num_samples_to_draw=row_count)
    table = to_table(samples, model.schema, parsed, rng)
    return table, {"rows_generated": table.num_rows, "achieved": _achieved(table, parsed), "mode": parsed.mode}


class _Replay:
    """An intervention that ignores the drawn value and hands out precomputed values in row order."""

    def __init__(self, values: Iterable) -> None:
        self._values = iter(values)

    def __call__(self, _drawn: object) -> object:
        return next(self._values)


def _achieved(table: pa.Table, conditions: Conditions) -> dict:
    rows = table.num_rows
    categorical = {}
    for name, targets in conditions.categorical.items():
        labels = table[name].cast(pa.string())
        categorical[name] = {level: round(pc.sum(pc.equal(labels, level)).as_py() / rows, 6) for level in targets}
    numeric = {}
    for name, (low, high) in conditions.numeric.items():
        values = table[name].to_numpy().astype(float)
        inside = (values >= (-np.inf if low is None else low)) & (values <= (np.inf if high is None else high))
        numeric[name] = {"min": low, "max": high, "share_in_range": round(float(inside.mean()), 6)}
    return {"categorical": categorical, "numeric": numeric}
