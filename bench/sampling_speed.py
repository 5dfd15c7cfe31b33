"""Sampling speed of one engine process on the bench datasets: rows/s and peak memory per path.

    bench/.venv-peers/bin/python bench/sampling_speed.py [--rows 1000000] [--datasets ...] [--profile DATASET:PATH]

(the peers environment has pgmpy, which draws the bnlearn datasets; see bench/setup_peers.sh).
Each dataset is cleaned, its graph discovered and its model fitted once, as bench/compare_peers.py
does; then each sampling path runs generate_rows for --rows rows in a fresh process of its own, so
its peak RSS (VmHWM, libraries included) is that path's alone, and "of which sampling" is that
peak less the process's RSS once the libraries are imported and the model unpickled:
- plain: no conditions (draws from the fitted model as it stands);
- intervene: do() on the first numeric column at its median (a `do(price=5.49)`-style fixed value)
  or, on an all-categorical table, a level fixed at share 1.0, plus a 50% share of the commonest
  level of another categorical column;
- condition: mode "condition" with that 50% share (rejection sampling and stratified selection).
Target (issue 14): at least 200,000 rows/s per engine process on every dataset, plain and intervene.
``--profile child:plain`` prints cProfile's top functions for one dataset and path instead.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import pstats
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

DATASETS = ["confounded_tracker", "tracker_q3", "sachs", "child", "insurance"]
PATHS = ("plain", "intervene", "condition")
TARGET = 200_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--paths", nargs="+", default=list(PATHS), choices=PATHS)
    parser.add_argument("--profile", help="DATASET:PATH to profile with cProfile instead of timing every path")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    context = multiprocessing.get_context("spawn")
    folder = Path(tempfile.mkdtemp(prefix="bench-sampling-"))
    if args.profile:
        name, path = args.profile.split(":")
        with context.Pool(1) as pool:
            model, conditions = pool.apply(fit_dataset, (name, folder))
        profile(model, conditions[path], args.rows)
        return
    print("| dataset | path | rows | seconds | rows/s | peak RSS MB | of which sampling MB | target |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.datasets:
        with context.Pool(1) as pool:
            model, conditions = pool.apply(fit_dataset, (name, folder))
        for path in args.paths:
            with context.Pool(1) as pool:
                rows, seconds, peak, ready = pool.apply(sample, (model, conditions[path], args.rows))
            rate = rows / seconds
            met = "n/a" if path == "condition" else ("met" if rate >= TARGET else "MISSED")
            cells = f"{rows:,} | {seconds:.2f} | {rate:,.0f} | {peak:.0f} | {peak - ready:.0f} | {met}"
            print(f"| {name} | {path} | {cells} |", flush=True)


def fit_dataset(name: str, folder: Path) -> tuple[str, dict[str, dict]]:
    """Clean, discover and fit the dataset; the model's path and the conditions of each path."""
    warnings.filterwarnings("ignore")
    from known_models import LOADERS

    from simulacra.engine import clean_table, discover_graph, fit_model

    dataset = LOADERS[name]()
    seed = folder / f"{name}.{dataset.seed_format}"
    if dataset.seed_format == "csv":
        dataset.train.to_csv(seed, index=False)
    else:
        dataset.train.to_parquet(seed, index=False)
    parquet, model = str(folder / f"{name}.parquet"), str(folder / f"{name}.pkl")
    schema = clean_table(str(seed), parquet)
    fit_model(parquet, schema, discover_graph(parquet, schema), model)
    numeric = [column for column in schema.columns if column.type in ("numeric", "integer")]
    categorical = [column for column in schema.columns if column.levels and len(column.levels) > 1]
    share = categorical[-1]
    commonest = max(share.levels, key=lambda level: level.share).value
    shared = {"categorical": {share.name: {commonest: 0.5}}}
    if numeric:
        fixed = numeric[0]
        value = (fixed.quantiles or {}).get("p50", fixed.bounds[0])
        intervene = {"numeric": {fixed.name: {"min": value, "max": value}}, **shared}
    else:
        fixed = categorical[0]
        level = max(fixed.levels, key=lambda level: level.share).value
        intervene = {"categorical": {fixed.name: {level: 1.0}, **shared["categorical"]}}
    return model, {"plain": {}, "intervene": intervene, "condition": {**shared, "mode": "condition"}}


def sample(model: str, conditions: dict, rows: int) -> tuple[int, float, float, float]:
    """Rows made, seconds taken, this process's peak RSS and its RSS before sampling, in MB."""
    warnings.filterwarnings("ignore")
    from simulacra.engine.model.model_file import load_model
    from simulacra.engine.sampling import generate_rows

    load_model(model)  # libraries loaded and unpickled: what remains is the sampling's own memory
    ready = _memory_mb("VmRSS")
    started = time.perf_counter()
    table, _ = generate_rows(model, conditions, rows, seed=1)
    return table.num_rows, time.perf_counter() - started, _memory_mb("VmHWM"), ready


def profile(model: str, conditions: dict, rows: int) -> None:
    from simulacra.engine import generate_rows

    profiler = cProfile.Profile()
    profiler.runcall(generate_rows, model, conditions, rows, seed=1)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def _memory_mb(field: str) -> float:
    # VmHWM is this process image's own high-water mark; ru_maxrss would carry the parent's over exec.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    main()
