"""The model report's cost in the API process: drawing time and memory, by table width.

    .venv/bin/python bench/report_pages.py [--shapes tracker 2000x23 2000x43]

`tracker` is examples/tracker_q3.csv; ROWSxCOLUMNS is a survey battery (tests/engine/test_engine_wide_batteries.py
draws it, seed 0). For each, a first process cleans, discovers, fits and validates as the dataset job does and
stores the records; a second, fresh process imports the API as `simulacra api` does, then draws the page twice
(the first draw imports matplotlib), and reports its resident memory before and after. The API serves later
views of a page from storage, so the second draw is what a cold cache costs once matplotlib is loaded.
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

MODEL = """
import sys
from simulacra import engine
from simulacra.engine.cleaning.limits import TableLimits
shape, folder = sys.argv[1], sys.argv[2]
source = "examples/tracker_q3.csv"
if shape != "tracker":
    from tests.engine.test_engine_wide_batteries import battery
    rows, columns = (int(part) for part in shape.split("x"))
    battery(rows, columns - 3).to_csv(f"{folder}/seed.csv", index=False)
    source = f"{folder}/seed.csv"
limits = TableLimits(rows=10**7, columns=1000, cells=10**9, text_bytes=10**10)
schema = engine.clean_table(source, f"{folder}/clean.parquet", limits)
graph = engine.discover_graph(f"{folder}/clean.parquet", schema)
fit = engine.fit_model(f"{folder}/clean.parquet", schema, graph, f"{folder}/model.pkl")
validation = engine.validate_model(f"{folder}/clean.parquet", schema, graph, fit)
for name, record in (("schema", schema), ("graph", graph), ("fit", fit), ("validation", validation)):
    open(f"{folder}/{name}.json", "w").write(record.model_dump_json())
"""

DRAW = """
import json, resource, sys, time
import simulacra.api.app
from simulacra.api.reports.dataset_page import DatasetReport, Version, render_dataset_report
from simulacra.engine.records import CausalGraph, CleanedSchema, FitReport, ValidationReport
folder = sys.argv[1]
read = lambda name, kind: kind.model_validate_json(open(f"{folder}/{name}.json").read())
report = DatasetReport(
    "ds_bench", "seed.csv", read("schema", CleanedSchema), read("fit", FitReport),
    [Version(1, read("graph", CausalGraph), read("validation", ValidationReport))],
)
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
before = rss()
started = time.perf_counter()
render_dataset_report(report)
first = time.perf_counter() - started
started = time.perf_counter()
page = render_dataset_report(report)
second = time.perf_counter() - started
print(json.dumps({"columns": len(report.schema.columns), "edges": len(report.current.graph.edges),
    "first": first, "second": second, "kb": len(page) / 1024, "before": before, "after": rss()}))
"""


def _run(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO)
    if done.returncode:
        raise RuntimeError((done.stderr.strip().splitlines() or ["failed"])[-1])
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["tracker", "2000x23", "2000x33"])
    args = parser.parse_args()
    print("| table | columns | edges | first draw | next draw | page | API RSS before | after |")
    print("|---|---|---|---|---|---|---|---|")
    for shape in args.shapes:
        with tempfile.TemporaryDirectory() as folder:
            try:
                _run(MODEL, shape, folder)
                result = json.loads(_run(DRAW, folder))
            except RuntimeError as failed:
                print(f"| {shape} | failed: {failed} |||||||")
                continue
        print(
            f"| {shape} | {result['columns']} | {result['edges']} | {result['first']:.2f} s | {result['second']:.2f} s "
            f"| {result['kb']:.0f} KB | {result['before']} MB | {result['after']} MB |"
        )


if __name__ == "__main__":
    main()
