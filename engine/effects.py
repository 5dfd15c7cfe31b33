"""estimate_effect: the average causal effect of setting one column on an outcome, from the fitted model.

The estimate runs the very path generate_rows takes in intervene mode (both arms share the seed,
so their noise is paired), so effects and generated rows agree: the `from` arm's mean is the mean
of a generation with the treatment fixed at `from`, the same seed and `samples` rows.

The confidence interval is, by default, a bootstrap over the graph and the fit (`bootstrap_rediscover`,
engine.uncertainty.rediscover): discovery reruns on each resample of the seed rows with the dataset's
hints, the mechanisms the outcome depends on are refitted on that graph and the effect recomputed, so
the interval spans the graphs the data support. Over REDISCOVER_WORK it falls back, with a note, to
`bootstrap_refit`: the learned graph held fixed and the outcome's mechanisms (and its causal
ancestors') refitted on resampled rows, which cannot cover a wrong graph. Both add the Monte Carlo
noise of the paired arms. Without the seed table it falls back to a Monte Carlo interval, which only
says how precisely the fitted model was simulated, and says so. Where the data leave an edge at the
treatment undirected, `effect_range` gives the effect over the orientations the equivalence class
allows (engine.uncertainty.ida).
"""

from __future__ import annotations

import copy
from statistics import NormalDist

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from dowhy.gcm.fitting_sampling import fit_causal_model_of_target
from threadpoolctl import threadpool_limits

from simulacra.engine.checks.conditions import Conditions
from simulacra.engine.checks.effect_request import EffectSpec, descendants, parse_effect_request
from simulacra.engine.discovery.discover import discretise
from simulacra.engine.frames import model_frame
from simulacra.engine.model.model_file import FittedModel, load_model
from simulacra.engine.records.schema import SchemaColumn
from simulacra.engine.sampling.sample import intervened_table
from simulacra.engine.uncertainty.ida import effect_range
from simulacra.engine.uncertainty.rediscover import Replicate, graph_hints, rediscover, summarise

BOOTSTRAP, BOOTSTRAP_SAMPLES = 20, 5000
# Refit work allowed per estimate, in rows x refitted columns: fewer resamples on bigger tables (at least
# MIN_RESAMPLES). A count from the data, never a clock, so the same request and seed give the same interval.
BOOTSTRAP_WORK, MIN_RESAMPLES = 2_000_000, 5
# Support: seed rows within 5% of the seed's range of a treatment value; under 2% of rows is thin.
NEAR, THIN = 0.05, 0.02
# Rediscovery work allowed per estimate, in rows x columns x resamples (docs/benchmarks.md, "Effect intervals
# over the graph"): 20 resamples of the 14-column, 8,000-row confounded tracker (2.2 million) took 13-16 s on
# this 2-core machine when quiet, 60-80 s beside six other busy sessions; the budget allows about 2.7 times
# that (e.g. 20 resamples of 15,000 rows x 20 columns). Fewer than MIN_REDISCOVER affordable resamples fall
# back to bootstrap_refit, with a note. A count, never a clock, so a seed reproduces the interval.
REDISCOVER_WORK, MIN_REDISCOVER = 6_000_000, 10
ESTIMAND = "E[outcome | do(treatment = to)] - E[outcome | do(treatment = from)]"
COVERS = {
    "bootstrap_refit": "Estimation uncertainty of the fitted mechanisms (the outcome and its causal ancestors refitted "
    "on bootstrap resamples of the seed rows) plus the Monte Carlo noise of the sampled units. The learned graph is "
    "held fixed: a missing or reversed edge is not covered.",
    "bootstrap_rediscover": "Uncertainty about the graph and the fit together: on each bootstrap resample of the "
    "seed rows the graph was discovered again (with the dataset's hints and edits), the mechanisms the outcome "
    "depends on refitted on it and the effect recomputed; a resample whose graph has no path treatment -> outcome "
    "counts as 0. Discovery orients what the data leave open the same way on every resample, so the interval also "
    "reaches `effect_range` (its ci_low/ci_high), the effect over those orientations. It spans the graphs the data "
    "support, plus the Monte Carlo noise of the sampled units; it cannot cover a dependence every resample misses "
    "(e.g. two paths that cancel), nor hidden confounding.",
    "monte_carlo": "Only the Monte Carlo noise of the sampled units: how precisely the fitted model was simulated, "
    "not how well it was estimated (no seed rows were available to refit on).",
    "exact_zero": "Nothing to cover: the graph has no directed path from the treatment to the outcome, so the "
    "effect is exactly zero under this model.",
}


def estimate_effect(
    model_path: str, request: dict, *, seed_parquet: str | None = None, bootstrap: int = BOOTSTRAP
) -> dict:
    """E[outcome | do(treatment=to)] - E[outcome | do(treatment=from)], overall and per level of ``segment_by``.

    ``request`` is the API's body: {"treatment": {"column", "from", "to"}, "outcome", "outcome_level",
    "segment_by", "samples", "seed", "confidence_level"} (see engine.checks.effect_request). A categorical or
    boolean outcome's effect is the change in the share of ``outcome_level``.
    """
    model = load_model(model_path)
    spec = parse_effect_request(request, model.schema, model.graph)
    columns = {column.name: column for column in model.schema.columns}
    arms = tuple(_arm(spec, value) for value in spec.values().values())
    estimate = _contrast(model, arms, spec, spec.samples, spec.seed)
    frame = model_frame(seed_parquet, model.schema) if seed_parquet else None
    connected = bool(spec.paths)
    z = NormalDist().inv_cdf(0.5 + spec.confidence_level / 2)
    replicates, structure, note = [], None, None
    if frame is not None and seed_parquet is not None and spec.interval_method == "bootstrap_rediscover":
        affordable = REDISCOVER_WORK // (len(frame) * len(model.graph.nodes))
        if affordable >= min(bootstrap, MIN_REDISCOVER) and bootstrap > 0:
            runs = _rediscover(model, frame, seed_parquet, arms, spec, min(bootstrap, affordable))
            structure = summarise(runs, model.graph.edges, spec)
            structure.rows_per_resample = len(frame)
            replicates = [run.figures for run in runs]
        else:
            note = (
                f"the interval holds the learned graph fixed (bootstrap_refit): rediscovering the graph on "
                f"{min(bootstrap, MIN_REDISCOVER)} resamples of {len(frame):,} rows x {len(model.graph.nodes)} "
                f"columns exceeds the compute budget of {REDISCOVER_WORK:,} row-columns; it does not cover a "
                "wrong graph"
            )
    if structure is None and connected:
        replicates = _bootstrap(model, arms, spec, frame, bootstrap)
    if structure is not None:
        method = "bootstrap_rediscover" if len(replicates) >= 2 else "monte_carlo"
    else:
        method = "exact_zero" if not connected else "bootstrap_refit" if len(replicates) >= 2 else "monte_carlo"
    graph_interval = method == "bootstrap_rediscover"
    overall = _figures(estimate, [r["effect"] for r in replicates], z, connected, graph_interval)
    span = _range(model, frame, spec, z)
    if graph_interval and span is not None and span["ci_low"] is not None:
        # Every resample orients the undecided edges by the same prior: their other directions come from the range.
        overall["ci_low"] = min(overall["ci_low"], span["ci_low"])
        overall["ci_high"] = max(overall["ci_high"], span["ci_high"])
    result = {
        "treatment": {"column": spec.treatment, **spec.values()},
        "outcome": spec.outcome,
        "outcome_level": spec.outcome_level,
        "segment_by": spec.segment_by,
        "estimand": ESTIMAND,
        **overall,
        "confidence_level": spec.confidence_level,
        "method": method,
        "resamples": len(replicates),
        "interval_covers": COVERS[method],
        "arms": {key: {"value": value, **estimate["arms"][key]} for key, value in spec.values().items()},
        "support": _support(model, columns[spec.treatment], spec, frame),
        "graph_path": spec.paths,
        "structure": None if structure is None else structure.model_dump(mode="json", by_alias=True),
        "effect_range": span,
        "interval_method": spec.interval_method,
        "note": note,
        "samples": spec.samples,
        "seed": spec.seed,
        "warnings": [],
    }
    if not connected:
        found = (
            f" ({structure.resamples_with_path} of {structure.resamples} rediscovered graphs did)" if structure else ""
        )
        result["note"] = "; ".join(
            filter(
                None,
                [
                    note,
                    (
                        f"{spec.outcome} is not a descendant of {spec.treatment} in this model's graph{found}, so "
                        f"setting {spec.treatment} cannot change it and the model's effect is exactly 0. If you know "
                        "it does, add the edge (PATCH .../graph)."
                    ),
                ],
            )
        )
    if spec.segment_by is not None:
        result["segments"] = [
            {
                "level": value,
                **_figures(
                    figures,
                    [
                        0.0 if r.get("zero") else r["segments"][value]["effect"]
                        for r in replicates
                        if r.get("zero") or value in r["segments"]
                    ],
                    z,
                    connected,
                    graph_interval,
                ),
                "units": figures["units"],
                "support": _support(
                    model,
                    columns[spec.treatment],
                    spec,
                    None if frame is None else frame[frame[spec.segment_by] == value],
                ),
            }
            for value, figures in estimate["segments"].items()
        ]
    if not result["support"]["in_support"]:
        result["warnings"].append(
            f"a value of {spec.treatment} lies outside what the seed holds: the effect leans on extrapolation"
        )
    elif result["support"]["level"] == "thin":
        result["warnings"].append(f"few seed rows near a value of {spec.treatment}: the effect leans on extrapolation")
    return result


def _arm(spec: EffectSpec, value: float | str) -> Conditions:
    if spec.numeric:
        return Conditions(numeric={spec.treatment: (float(value), float(value))})
    return Conditions(categorical={spec.treatment: {str(value): 1.0}})


def _contrast(model: FittedModel, arms: tuple, spec: EffectSpec, samples: int, seed: int) -> dict:
    tables = [intervened_table(model, arm, samples, seed) for arm in arms]
    values = [_outcome_values(table, spec.outcome, spec.outcome_level) for table in tables]
    figures = _pair(values[0], values[1])
    figures["arms"] = {"from": {"mean": _round(np.nanmean(values[0]))}, "to": {"mean": _round(np.nanmean(values[1]))}}
    figures["segments"] = {}
    if spec.segment_by is not None:
        # segment_by is not caused by the treatment, and both arms share their noise: same label per unit.
        labels = tables[0][spec.segment_by].cast(pa.string()).fill_null("").to_numpy(zero_copy_only=False)
        for value in sorted(set(labels) - {""}):
            inside = labels == value
            figures["segments"][value] = _pair(values[0][inside], values[1][inside])
    return figures


def _pair(reference: np.ndarray, alternative: np.ndarray) -> dict:
    paired = alternative - reference
    present = paired[~np.isnan(paired)]
    noise = float(present.std(ddof=1) / np.sqrt(len(present))) if len(present) > 1 else 0.0
    return {"effect": np.nanmean(alternative) - np.nanmean(reference), "noise": noise, "units": int(len(paired))}


def _outcome_values(table: pa.Table, target: str, level: str | None) -> np.ndarray:
    if level is None:
        return table[target].to_numpy(zero_copy_only=False).astype(float)
    labels = table[target].cast(pa.string()).to_numpy(zero_copy_only=False)
    # A missing answer is neither the level nor another one: left out of the share, as in the seed's shares.
    return np.where(pc.is_null(table[target]).to_numpy(zero_copy_only=False), np.nan, labels == level)


def _bootstrap(
    model: FittedModel, arms: tuple, spec: EffectSpec, frame: pd.DataFrame | None, resamples: int
) -> list[dict]:
    if frame is None or resamples <= 0:
        return []
    edges = list(model.graph.edges)
    reversed_edges = [(child, parent) for parent, child in edges]
    # Only mechanisms the outcome (or the segment labels) depend on can move the estimate.
    needed = {spec.outcome, *descendants(reversed_edges, spec.outcome)}
    if spec.segment_by is not None:
        needed |= {spec.segment_by, *descendants(reversed_edges, spec.segment_by)}
    refit = [node for node in model.graph.nodes if node in needed]
    # Small models: thread pools cost more than they save (see engine.model.fit).
    with threadpool_limits(limits=1):
        return _replicates(model, frame, refit, arms, spec, resamples)


def _replicates(
    model: FittedModel, frame: pd.DataFrame, refit: list[str], arms: tuple, spec: EffectSpec, resamples: int
) -> list[dict]:
    rng = np.random.default_rng(spec.seed)
    affordable = max(MIN_RESAMPLES, BOOTSTRAP_WORK // (len(frame) * max(1, len(refit))))
    replicates = []
    for index in range(min(resamples, affordable)):
        resampled = frame.iloc[rng.integers(0, len(frame), size=len(frame))].reset_index(drop=True)
        scm = copy.deepcopy(model.scm)
        np.random.seed(spec.seed + 1 + index)
        for node in refit:
            fit_causal_model_of_target(scm, node, resampled)
        again = FittedModel(scm, model.schema, model.graph, model.seed_values)
        replicates.append(_contrast(again, arms, spec, min(spec.samples, BOOTSTRAP_SAMPLES), spec.seed + 1 + index))
    return replicates


def _figures(estimate: dict, effects: list[float], z: float, connected: bool, over_graphs: bool = False) -> dict:
    """Estimate and normal interval around it (so it always holds the figure the rows agree with).

    Over rediscovered graphs the effects can be lopsided (a share of resamples without a path gives
    zeros), so the interval also reaches the percentiles of the resampled effects.
    """
    if not connected and not over_graphs:
        return {"estimate": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    centre = estimate["effect"] if connected else 0.0
    noise = estimate["noise"] if connected else 0.0
    spread = float(np.std(effects, ddof=1)) if len(effects) >= 2 else 0.0
    half = z * np.sqrt(spread**2 + noise**2)
    low, high = centre - half, centre + half
    if over_graphs and len(effects) >= 2:
        tail = (1 - (2 * NormalDist().cdf(z) - 1)) / 2
        percentiles = np.quantile(effects, [tail, 1 - tail])
        low, high = min(low, percentiles[0] - z * noise), max(high, percentiles[1] + z * noise)
    return {"estimate": _round(centre), "ci_low": _round(low), "ci_high": _round(high)}


def _rediscover(
    model: FittedModel, frame: pd.DataFrame, seed_parquet: str, arms: tuple, spec: EffectSpec, resamples: int
) -> list[Replicate]:
    table = pq.read_table(seed_parquet, columns=model.graph.nodes)
    types = model.schema.types
    codes = np.column_stack([discretise(table[name], types[name]) for name in model.graph.nodes])
    samples = min(spec.samples, BOOTSTRAP_SAMPLES)
    with threadpool_limits(limits=1):
        return rediscover(
            model, frame, codes, spec, resamples, lambda refitted, seed: _contrast(refitted, arms, spec, samples, seed)
        )


def _range(model: FittedModel, frame: pd.DataFrame | None, spec: EffectSpec, z: float) -> dict | None:
    if frame is None:
        return None
    found = effect_range(model.graph, frame, spec, graph_hints(model.graph), z)
    return None if found is None else found.model_dump(mode="json", by_alias=True)


def _support(model: FittedModel, column: SchemaColumn, spec: EffectSpec, rows: pd.DataFrame | None) -> dict:
    """Whether the seed holds rows at (or near) each treatment value, and how many.

    Numeric: a value is in support inside the seed's observed range; "near" is within 5% of that
    range. Categorical: the level must occur; its share is the share of rows "at" it. `level` is
    good, thin (under 2% of seed rows at or near a value) or none (outside the seed).
    """
    name = column.name
    window = NEAR * ((column.bounds[1] - column.bounds[0]) or 1.0) if spec.numeric else None
    arms = {}
    for key, value in spec.values().items():
        if spec.numeric:
            values, counts = (
                model.seed_values[name]
                if rows is None
                else np.unique(rows[name].to_numpy(dtype=float), return_counts=True)
            )
            total = counts.sum()
            share = float(counts[np.abs(values - value) <= window].sum() / total) if total else 0.0
            inside = bool(total and values.min() <= value <= values.max())
        else:
            if rows is None:
                share = next(float(item.share) for item in column.levels or [] if item.value == value)
            else:
                share = float((rows[name].astype(str) == value).mean()) if len(rows) else 0.0
            inside = share > 0
        level = "none" if not inside else "thin" if share < THIN else "good"
        arms[key] = {
            "value": value,
            "in_seed_range": inside,
            "share_of_seed_rows_at_or_near": round(share, 6),
            "level": level,
        }
    levels = [entry["level"] for entry in arms.values()]
    return {
        "in_support": "none" not in levels,
        "level": "none" if "none" in levels else "thin" if "thin" in levels else "good",
        "share_of_seed_rows_at_or_near": min(entry["share_of_seed_rows_at_or_near"] for entry in arms.values()),
        "near_window": None if window is None else round(window, 6),
        **arms,
    }


def _round(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)
