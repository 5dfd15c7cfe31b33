"""estimate_effect: the average causal effect of setting one column on an outcome, from the fitted model.

The estimate runs the very path generate_rows takes in intervene mode (both arms share the seed,
so their noise is paired), so effects and generated rows agree. The confidence interval is a
bootstrap over estimation: the outcome's causal ancestors are refitted on resampled seed rows and
the effect recomputed. Without the seed table it falls back to a Monte Carlo interval, which only
says how precisely the fitted model was simulated, and says so.
"""

from __future__ import annotations

import copy
import time

import networkx as nx
import numpy as np
import pyarrow as pa
from dowhy.gcm.fitting_sampling import fit_causal_model_of_target
from threadpoolctl import threadpool_limits

from engine.column_types import CATEGORICAL_TYPES, NUMERIC_TYPES
from engine.conditions import Conditions
from engine.errors import EngineInputError
from engine.frames import model_frame
from engine.hints import resolve_column
from engine.model_file import FittedModel, load_model
from engine.sampling import intervened_table

BOOTSTRAP, BOOTSTRAP_SAMPLES, BOOTSTRAP_SECONDS, CONFIDENCE, Z = 20, 5000, 20.0, 0.95, 1.959964
# Support: seed rows within 5% of the seed's range of a treatment value; under 2% of rows is thin.
NEAR, THIN = 0.05, 0.02


def estimate_effect(
    model_path: str,
    treatment: dict,
    outcome: str,
    *,
    by: str | None = None,
    seed: int = 0,
    samples: int = 20000,
    outcome_level: str | None = None,
    seed_parquet: str | None = None,
    bootstrap: int = BOOTSTRAP,
) -> dict:
    """E[outcome | do(treatment=to)] - E[outcome | do(treatment=from)], overall and per level of ``by``.

    treatment is {"column": c, "from": a, "to": b} (numbers, or levels of a categorical column).
    A categorical outcome needs ``outcome_level``; the effect is then a change of that level's share.
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 100:
        raise EngineInputError("simio_invalid_field", "samples must be an integer of at least 100", "/samples")
    model = load_model(model_path)
    schema, dag = model.schema, _dag(model)
    columns = {column["name"]: column for column in schema["columns"]}
    name, arms = _treatment(treatment, schema, columns)
    target = resolve_column(outcome, schema, "/outcome")
    if target == name:
        raise EngineInputError("simio_invalid_field", "the outcome must differ from the treatment column", "/outcome")
    level = _outcome_level(columns[target], outcome_level)
    segment = _segment(by, schema, columns, dag, name)
    estimate = _contrast(model, arms, target, level, segment, samples, seed)
    result = {
        "treatment": {"column": name, "from": treatment["from"], "to": treatment["to"]},
        "outcome": target,
        "outcome_level": level,
        "estimand": "E[outcome | do(treatment = to)] - E[outcome | do(treatment = from)]",
        "effect": estimate["effect"],
        "arms": estimate["arms"],
        "samples": samples,
        "seed": seed,
        "support": _support(model, columns[name], treatment, None),
        "warnings": [],
    }
    if target not in nx.descendants(dag, name):
        result["warnings"].append(f"{target} is not caused by {name} in the graph, so the effect is zero by design")
    replicates = _bootstrap(model, dag, arms, target, level, segment, seed, seed_parquet, bootstrap)
    result["confidence_interval"] = _interval(estimate["effect"], estimate["paired"], [r["effect"] for r in replicates])
    if segment is not None:
        frame = model_frame(seed_parquet, schema) if seed_parquet else None
        result["by"] = segment
        result["segments"] = {
            value: {
                "effect": figures["effect"],
                "rows": figures["rows"],
                "confidence_interval": _interval(
                    figures["effect"],
                    figures["paired"],
                    [r["segments"][value]["effect"] for r in replicates if value in r["segments"]],
                ),
                "support": _support(
                    model, columns[name], treatment, None if frame is None else frame[frame[segment] == value]
                ),
            }
            for value, figures in estimate["segments"].items()
        }
    for entry in result["support"].values():
        if isinstance(entry, dict) and entry.get("level") in ("thin", "none"):
            result["warnings"].append(
                f"little seed data near {name} = {entry['value']}: the effect leans on extrapolation"
            )
    return result


def _treatment(treatment: object, schema: dict, columns: dict) -> tuple[str, tuple[Conditions, Conditions]]:
    if not isinstance(treatment, dict) or set(treatment) != {"column", "from", "to"}:
        raise EngineInputError("simio_invalid_field", 'treatment is {"column": c, "from": a, "to": b}', "/treatment")
    name = resolve_column(treatment["column"], schema, "/treatment/column")
    column = columns[name]
    arms = []
    for key in ("from", "to"):
        value = treatment[key]
        if column["type"] in NUMERIC_TYPES:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise EngineInputError("simio_invalid_field", f"{key} must be a number for {name}", f"/treatment/{key}")
            arms.append(Conditions(numeric={name: (float(value), float(value))}))
        else:
            levels = [str(level["value"]) for level in column["levels"]]
            label = str(value).lower() if column["type"] == "boolean" else value
            if label not in levels:
                raise EngineInputError(
                    "simio_unknown_condition_level",
                    f"{value!r} is not a level of {name}; levels are {', '.join(sorted(levels))}",
                    f"/treatment/{key}",
                )
            arms.append(Conditions(categorical={name: {label: 1.0}}))
    return name, (arms[0], arms[1])


def _outcome_level(column: dict, level: str | None) -> str | None:
    if column["type"] in NUMERIC_TYPES:
        return None
    levels = [str(item["value"]) for item in column["levels"]]
    if level not in levels:
        detail = f"{column['name']} is {column['type']}: name one of its levels ({', '.join(sorted(levels))})"
        raise EngineInputError("simio_invalid_field", detail, "/outcome_level")
    return level


def _segment(by: str | None, schema: dict, columns: dict, dag: nx.DiGraph, treatment: str) -> str | None:
    if by is None:
        return None
    name = resolve_column(by, schema, "/by")
    if columns[name]["type"] not in CATEGORICAL_TYPES:
        raise EngineInputError("simio_invalid_field", f"by must be a categorical column; {name} is not", "/by")
    if name == treatment or name in nx.descendants(dag, treatment):
        detail = f"{name} is affected by {treatment}, so its segments differ between the arms; pick another column"
        raise EngineInputError("simio_invalid_field", detail, "/by")
    return name


def _contrast(
    model: FittedModel,
    arms: tuple[Conditions, Conditions],
    target: str,
    level: str | None,
    segment: str | None,
    samples: int,
    seed: int,
) -> dict:
    tables = [intervened_table(model, arm, samples, seed) for arm in arms]
    values = [_outcome_values(table, target, level) for table in tables]
    paired = values[1] - values[0]
    figures = {
        "effect": _round(np.nanmean(values[1]) - np.nanmean(values[0])),
        "arms": {"from": {"mean": _round(np.nanmean(values[0]))}, "to": {"mean": _round(np.nanmean(values[1]))}},
        "paired": paired,
        "segments": {},
    }
    if segment is not None:
        # segment is not caused by the treatment, and both arms share their noise: same label per row.
        labels = tables[0][segment].cast(pa.string()).fill_null("").to_numpy(zero_copy_only=False)
        for value in sorted(set(labels) - {""}):
            inside = labels == value
            effect = np.nanmean(values[1][inside]) - np.nanmean(values[0][inside])
            figures["segments"][value] = {"effect": _round(effect), "rows": int(inside.sum()), "paired": paired[inside]}
    return figures


def _outcome_values(table: pa.Table, target: str, level: str | None) -> np.ndarray:
    if level is None:
        return table[target].to_numpy(zero_copy_only=False).astype(float)
    labels = table[target].cast(pa.string()).to_numpy(zero_copy_only=False)
    return (labels == level).astype(float)


def _bootstrap(
    model: FittedModel,
    dag: nx.DiGraph,
    arms: tuple,
    target: str,
    level: str | None,
    segment: str | None,
    seed: int,
    seed_parquet: str | None,
    resamples: int,
) -> list[dict]:
    if seed_parquet is None or resamples <= 0:
        return []
    frame = model_frame(seed_parquet, model.schema)
    refit = [node for node in nx.topological_sort(dag) if node == target or node in nx.ancestors(dag, target)]
    if segment is not None:
        refit += [node for node in nx.ancestors(dag, segment) | {segment} if node not in refit]
    # Small models: thread pools cost more than they save (see engine.fitting).
    with threadpool_limits(limits=1):
        return _replicates(model, frame, refit, arms, target, level, segment, seed, resamples)


def _replicates(
    model: FittedModel,
    frame: object,
    refit: list[str],
    arms: tuple,
    target: str,
    level: str | None,
    segment: str | None,
    seed: int,
    resamples: int,
) -> list[dict]:
    rng = np.random.default_rng(seed)
    replicates, started = [], time.perf_counter()
    for index in range(resamples):
        if time.perf_counter() - started > BOOTSTRAP_SECONDS:
            break
        resampled = frame.iloc[rng.integers(0, len(frame), size=len(frame))].reset_index(drop=True)
        scm = copy.deepcopy(model.scm)
        np.random.seed(seed + 1 + index)
        for node in refit:
            fit_causal_model_of_target(scm, node, resampled)
        again = FittedModel(scm, model.schema, model.graph, model.seed_values)
        replicates.append(_contrast(again, arms, target, level, segment, BOOTSTRAP_SAMPLES, seed + 1 + index))
    return replicates


def _interval(effect: float | None, paired: np.ndarray, effects: list[float]) -> dict:
    # Normal interval around the estimate (so it always holds the figure the rows agree with): the
    # spread of effects refitted on resampled seed rows plus the simulation noise of the paired arms.
    present = paired[~np.isnan(paired)]
    simulation = present.std(ddof=1) / np.sqrt(len(present)) if len(present) > 1 else 0.0
    refitted = len(effects) >= 2
    spread = float(np.std(effects, ddof=1)) if refitted else 0.0
    half = Z * np.sqrt(spread**2 + simulation**2)
    centre = np.nan if effect is None else effect
    return {
        "level": CONFIDENCE,
        "low": _round(centre - half),
        "high": _round(centre + half),
        # monte_carlo: simulation noise only, not estimation uncertainty (no seed table was given).
        "method": "bootstrap_refit" if refitted else "monte_carlo",
        "resamples": len(effects) if refitted else 0,
    }


def _support(model: FittedModel, column: dict, treatment: dict, rows: object) -> dict:
    """Whether the seed holds rows at (or near) each treatment value: good, thin or none."""
    name = column["name"]
    support = {}
    for key in ("from", "to"):
        value = treatment[key]
        if column["type"] in NUMERIC_TYPES:
            if rows is None:
                values, counts = model.seed_values[name]
            else:
                values, counts = np.unique(rows[name].to_numpy(dtype=float), return_counts=True)
            if not counts.sum():
                support[key] = {"value": value, "within_seed_range": False, "near_share": 0.0, "level": "none"}
                continue
            window = NEAR * ((column["max"] - column["min"]) or 1.0)
            near = float(counts[np.abs(values - value) <= window].sum() / counts.sum())
            inside = bool(values.min() <= value <= values.max())
            level = "none" if not inside else "thin" if near < THIN else "good"
            support[key] = {"value": value, "within_seed_range": inside, "near_share": round(near, 6), "level": level}
        else:
            label = str(value).lower() if column["type"] == "boolean" else value
            if rows is None:
                share = next(item["share"] for item in column["levels"] if str(item["value"]) == label)
            else:
                share = float((rows[name].astype(str) == label).mean()) if len(rows) else 0.0
            level = "none" if share == 0 else "thin" if share < THIN else "good"
            support[key] = {"value": value, "seed_share": round(share, 6), "level": level}
    levels = [entry["level"] for entry in support.values()]
    support["level"] = "none" if "none" in levels else "thin" if "thin" in levels else "good"
    return support


def _dag(model: FittedModel) -> nx.DiGraph:
    dag = nx.DiGraph()
    dag.add_nodes_from(model.graph["nodes"])
    dag.add_edges_from(tuple(edge) for edge in model.graph["edges"])
    return dag


def _round(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)
