"""Discovery on wide survey batteries: time, peak memory and outcome as the battery widens.

    .venv/bin/python bench/wide_batteries.py [--shapes 5000x15 5000x23 5000x43 200x61 5000x102]

Each shape is ROWSxCOLUMNS of a tracker whose five-point ratings all follow one unobserved attitude
(tests/engine/test_engine_wide_batteries.py draws them, seed 0): a segment, a price, COLUMNS-3
ratings and purchase intent. Every shape runs in a fresh process (so peak RSS is its own) with the
default discovery (bootstrap included), as the dataset job runs it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ONE_SHAPE = """
import json, resource, sys, time
from tests.engine.test_engine_wide_batteries import battery
from simulacra.engine import clean_table, discover_graph
from simulacra.engine.checks.errors import EngineInputError
rows, ratings, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
battery(rows, ratings).to_csv(f"{folder}/seed.csv", index=False)
schema = clean_table(f"{folder}/seed.csv", f"{folder}/clean.parquet")
started = time.perf_counter()
try:
    graph = discover_graph(f"{folder}/clean.parquet", schema)
    outcome = f"{len(graph.edges)} edges, {graph.bootstrap.resamples} resamples"
except EngineInputError as refusal:
    outcome = refusal.code
seconds = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"seconds": seconds, "outcome": outcome, "peak_mb": peak_mb}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["5000x15", "5000x23", "5000x43", "200x61", "5000x102"])
    args = parser.parse_args()
    print("| rows x columns | discovery | peak RSS | outcome |\n|---|---|---|---|")
    for shape in args.shapes:
        rows, columns = (int(part) for part in shape.split("x"))
        with tempfile.TemporaryDirectory() as folder:
            done = subprocess.run(
                [sys.executable, "-c", ONE_SHAPE, str(rows), str(columns - 3), folder],
                capture_output=True,
                text=True,
                check=True,
                cwd=REPO,
            )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"| {rows:,} x {columns} | {result['seconds']:.1f} s | {result['peak_mb']:,} MB | {result['outcome']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
