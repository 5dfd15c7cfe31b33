"""BOSS's sparse candidate parents against every column as a candidate, on random linear-Gaussian DAGs.

    .venv/bin/python bench/score_candidates.py [--nodes 30 60 100] [--seeds 3] [--rows 5000]

Each DAG draws every forward pair of a random order as an edge with probability 3/(nodes-1) (three
expected neighbours), weights uniform in +-[0.5, 1.5], unit Gaussian noise, seeded by its index;
columns are shuffled. engine.discovery.score_search.boss_search learns it with no hints; the table
counts true, missed and false adjacencies and the seconds, per variant (candidates / parent cap).
The default takes every column as a candidate up to ALL_CANDIDATES_UP_TO columns and the
MAX_CANDIDATES most partially correlated beyond; both variants are forced here at every size, to
measure what the sparse one costs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulacra.engine.checks.hints import Hints  # noqa: E402
from simulacra.engine.discovery.score_search import MAX_CANDIDATES, MAX_PARENTS, boss_search  # noqa: E402


def linear_dag(nodes: int, rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    edges = np.triu(rng.random((nodes, nodes)) < 3 / (nodes - 1), 1)
    weights = edges * rng.uniform(0.5, 1.5, (nodes, nodes)) * rng.choice([-1, 1], (nodes, nodes))
    data = np.zeros((rows, nodes))
    for node in range(nodes):
        data[:, node] = data @ weights[:, node] + rng.normal(size=rows)
    shuffle = rng.permutation(nodes)
    return data[:, shuffle], edges[np.ix_(shuffle, shuffle)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[30, 60, 100])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    print("| nodes | seed | true adjacencies | variant | missed | false | seconds |\n|---|---|---|---|---|---|---|")
    for nodes in args.nodes:
        for seed in range(args.seeds):
            data, edges = linear_dag(nodes, args.rows, seed)
            truth = edges | edges.T
            variants = {
                f"{MAX_CANDIDATES} candidates, {MAX_PARENTS} parents": (MAX_CANDIDATES, MAX_PARENTS),
                f"all candidates, {MAX_PARENTS} parents": (nodes - 1, MAX_PARENTS),
            }
            for label, (candidates, parents) in variants.items():
                started = time.perf_counter()
                names = [f"x{i}" for i in range(nodes)]
                matrix = boss_search(data, names, Hints(), max_candidates=candidates, max_parents=parents).graph
                seconds = time.perf_counter() - started
                found = (matrix != 0) | (matrix.T != 0)
                missed, false = int((truth & ~found).sum() // 2), int((found & ~truth).sum() // 2)
                print(f"| {nodes} | {seed} | {int(truth.sum() // 2)} | {label} | {missed} | {false} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
