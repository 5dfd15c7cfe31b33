"""generate_rows: synthetic rows from a fitted model, under interventions or observational conditions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from simulacra.engine.checks.conditions import Conditions, parse_conditions
from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.model.model_file import FittedModel, load_model
from simulacra.engine.sampling.assignments import level_totals, range_values, shuffled_codes
from simulacra.engine.sampling.draws import Sampler
from simulacra.engine.sampling.feasibility import achieved, conditions_met, feasibility
from simulacra.engine.sampling.observational import condition_samples
from simulacra.engine.sampling.postprocess import to_table
from simulacra.engine.sampling.privacy import privacy_report
from simulacra.engine.uncertainty.contested import generation_doubts


def generate_rows(
    model_path: str,
    conditions: dict,
    row_count: int,
    *,
    seed: int = 0,
    seed_parquet: str | None = None,
    max_draws: int | None = None,
) -> tuple[pa.Table, dict]:
    """Draw row_count rows meeting the conditions, with a report of what was achieved.

    mode "intervene" (default) sets the conditioned columns (do-operator): the columns they cause
    react, the others keep their seed distribution. mode "condition" returns rows as they would be
    among the model's rows that match, and may return fewer rows when the match is too rare (see
    report["feasibility"]). With ``seed_parquet`` (the cleaned seed table) the report has privacy figures.
    """
    if isinstance(row_count, bool) or not isinstance(row_count, int) or row_count < 1:
        raise EngineInputError("simio_invalid_field", f"row_count must be a positive integer, not {row_count!r}")
    model = load_model(model_path)
    parsed = parse_conditions(conditions, model.schema)
    pool = None
    if parsed.mode == "condition":
        rng = np.random.default_rng(seed)
        samples, pool = condition_samples(model, parsed, row_count, rng, seed=seed, max_draws=max_draws)
        table = to_table(samples, model.schema, parsed, rng)
    else:
        table = intervened_table(model, parsed, row_count, seed)
    reached = achieved(table, parsed)
    report = {
        "rows_generated": table.num_rows,
        "rows_requested": row_count,
        "mode": parsed.mode,
        "achieved": reached,
        "feasibility": feasibility(parsed, reached, row_count, table.num_rows, model.seed_values, pool),
    }
    report["conditions_met"] = conditions_met(report["feasibility"])
    report.update(generation_doubts(model.graph, parsed))
    if pool is not None:
        report["draws"] = pool.draws
    if seed_parquet is not None:
        report["privacy"] = privacy_report(table, seed_parquet, model.schema, seed=seed)
    else:
        report["privacy"] = {"computed": False, "reason": "the seed table was not given to the sampler"}
    return table, report


def intervened_table(
    model: FittedModel,
    conditions: Conditions,
    row_count: int,
    seed: int,
    level_counts: dict[str, dict[str, int]] | None = None,
) -> pa.Table:
    """Rows with the conditioned columns set by intervention; the effects estimator uses the same path.

    ``level_counts`` gives each conditioned level's count outright (a shard's part of a generation's counts).
    """
    rng = np.random.default_rng(seed)
    seed_levels = {column.name: (column.levels or []) for column in model.schema.columns}
    levels = {
        name: shuffled_codes(
            level_totals(seed_levels[name], targets, row_count) if level_counts is None else level_counts[name], rng
        )
        for name, targets in conditions.categorical.items()
    }
    numbers = {
        name: range_values(model.seed_values[name], low, high, row_count, rng)
        for name, (low, high) in conditions.numeric.items()
    }
    samples = Sampler(model).draw(row_count, seed, levels=levels, numbers=numbers)
    return to_table(samples, model.schema, conditions, rng)
