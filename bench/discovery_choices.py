"""Which discovery settings recover the known graphs best: SHD, precision, recall, effect paths, time.

    bench/.venv-peers/bin/python bench/discovery_choices.py [--datasets confounded_tracker ...]

Every variant is an engine.discovery.Choices, run on the same cleaned training rows as
bench/compare_peers.py (bootstrap off, seed 0). "paths" counts the benchmark's effects whose treatment
has a directed path to the outcome in the learned graph: without one, an intervention cannot move
the outcome and the estimated effect is exactly 0. Time is one discovery call (wall clock, noisy
on a shared machine). The last rows run with the columns in a shuffled order (seed 0): the
trackers list demographics first, which the column-order prior already exploits, so only there can
the default roots show what they add when an export does not.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import networkx as nx
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from known_models import LOADERS, Dataset, structure_scores  # noqa: E402

from simulacra.engine import clean_table  # noqa: E402
from simulacra.engine.discovery.discover import DEFAULT, Choices, discover_graph  # noqa: E402
from simulacra.engine.records import CleanedSchema  # noqa: E402

VARIANTS = {
    "chi-square, MaxP, any depth, no default roots": Choices(
        test="chisq", max_depth=None, collider_rule=1, default_roots=False
    ),
    "G-test, MaxP, any depth, no default roots": Choices(max_depth=None, collider_rule=1, default_roots=False),
    "G-test, definite MaxP, any depth, no default roots": Choices(max_depth=None, default_roots=False),
    "G-test, definite MaxP, depth 2, no default roots": Choices(default_roots=False),
    "G-test, definite MaxP, depth 1": Choices(max_depth=1),
    "G-test, definite MaxP, depth 3": Choices(max_depth=3),
    "G-test, MaxP, depth 2": Choices(collider_rule=1),
    "G-test, definite MaxP, depth 2, alpha 0.05": Choices(alpha=0.05),
    "chi-square, definite MaxP, depth 2": Choices(test="chisq"),
    "G-test, definite MaxP, depth 2, default roots as a soft prior (no tier)": Choices(demographic_tier=False),
    "default: G-test, definite MaxP, depth 2, alpha 0.01, default roots": DEFAULT,
}
SHUFFLED = {
    "columns shuffled: depth 2, no default roots": Choices(default_roots=False),
    "columns shuffled: default roots as a soft prior (no tier)": Choices(demographic_tier=False),
    "columns shuffled: default": DEFAULT,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=["confounded_tracker", "tracker_q3", "sachs", "child", "insurance"]
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    cleaned = {name: _clean(LOADERS[name]()) for name in args.datasets}
    print("| variant | " + " | ".join(args.datasets) + " | total SHD | effect paths |")
    print("|---|" + "---|" * (len(args.datasets) + 2))
    shuffled = {name: (parquet, _shuffled(schema), *rest) for name, (parquet, schema, *rest) in cleaned.items()}
    for label, choices, tables in [
        *((label, choices, cleaned) for label, choices in VARIANTS.items()),
        *((label, choices, shuffled) for label, choices in SHUFFLED.items()),
    ]:
        cells, total, paths = [], 0, 0
        for parquet, schema, edges, effects in tables.values():
            started = time.perf_counter()
            graph = discover_graph(parquet, schema, bootstrap=0, choices=choices)
            seconds = time.perf_counter() - started
            shd, precision, recall = structure_scores(edges, graph.edges)
            learned = nx.DiGraph(graph.edges)
            learned.add_nodes_from(graph.nodes)
            found = sum(nx.has_path(learned, a, b) for a, b in effects)
            cells.append(f"{shd} / {precision:.2f} / {recall:.2f} / {found}/{len(effects)} / {seconds:.1f} s")
            total, paths = total + shd, paths + found
        print(f"| {label} | " + " | ".join(cells) + f" | {total} | {paths} |")
    print("\nCells: SHD / precision / recall / effect paths / discovery seconds.")


def _shuffled(schema: CleanedSchema) -> CleanedSchema:
    order = np.random.default_rng(0).permutation(len(schema.columns))
    return schema.model_copy(update={"columns": [schema.columns[index] for index in order]})


def _clean(dataset: Dataset) -> tuple[str, CleanedSchema, list[tuple[str, str]], list[tuple[str, str]]]:
    # The same cleaning as compare_peers.py; the true graph and effects in cleaned column names.
    folder = Path(tempfile.mkdtemp(prefix="bench-discovery-"))
    seed, parquet = str(folder / f"seed.{dataset.seed_format}"), str(folder / "clean.parquet")
    if dataset.seed_format == "csv":
        dataset.train.to_csv(seed, index=False)
    else:
        dataset.train.to_parquet(seed, index=False)
    schema = clean_table(seed, parquet)
    clean = {column.source_name: column.name for column in schema.columns}
    edges = [(clean[a], clean[b]) for a, b in dataset.edges if a in clean and b in clean]
    effects = [
        (clean[e.treatment], clean[e.outcome]) for e in dataset.effects if e.treatment in clean and e.outcome in clean
    ]
    return parquet, schema, edges, effects


if __name__ == "__main__":
    main()
