"""Where a large seed's time and memory go: each engine stage alone, with and without the fit sample.

    .venv/bin/python bench/seed_stages.py [--rows 1000000] [--sample-rows 100000]

Writes bench/large_seeds.py's tracker-like seed (`--rows` x 40), then runs clean, discover and fit
(validation included) each in a fresh process, as an engine process would, once learning from a
stratified sample of `--sample-rows` rows (SIMULACRA_FIT_SAMPLE_ROWS) and once from the whole table
(the setting at 0, what every seed did before), and prints each stage's seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.large_seeds import large_seed  # noqa: E402

STAGE = """
import json, resource, sys, time
from pathlib import Path
from simulacra.engine import clean_table, discover_graph, fit_model, validate_model
from simulacra.engine.model.fit_sample import split_for_fit
from simulacra.engine.records import CausalGraph, CleanedSchema

stage, folder, sample_rows = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
started = time.perf_counter()
cleaned, schema_path = str(folder / "cleaned.parquet"), folder / "schema.json"
if stage == "clean":
    schema_path.write_text(clean_table(str(folder / "seed.csv"), cleaned).model_dump_json())
else:
    schema = CleanedSchema.model_validate_json(schema_path.read_text())
    work = folder / f"sample_{sample_rows}"
    work.mkdir(exist_ok=True)
    rows = split_for_fit(cleaned, schema, sample_rows, 0, str(work))
    source = rows.sample_path if rows else cleaned
    graph_path = folder / f"graph_{sample_rows}.json"
    if stage == "discover":
        graph_path.write_text(discover_graph(source, schema, seed=0).model_dump_json())
    else:
        graph = CausalGraph.model_validate_json(graph_path.read_text())
        model = str(work / "model.pkl")
        report = fit_model(source, schema, graph, model, seed=0, whole_table=cleaned)
        validate_model(source, schema, graph, report, seed=0, fit_rows=rows, model_path=model)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak}))
"""


def _stage(stage: str, folder: Path, sample_rows: int) -> dict[str, float]:
    run = subprocess.run(
        [sys.executable, "-c", STAGE, stage, str(folder), str(sample_rows)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample-rows", type=int, default=100_000)
    args = parser.parse_args()
    lines = []
    with tempfile.TemporaryDirectory(prefix="simulacra-stages-") as tmp:
        folder = Path(tmp)
        large_seed(args.rows).to_csv(folder / "seed.csv", index=False)
        clean = _stage("clean", folder, 0)
        lines.append(f"| clean | whole table | {clean['seconds']:.1f} | {clean['peak_mb']:.0f} |")
        for sample_rows in (args.sample_rows, 0):
            learnt = f"sample of {sample_rows:,}" if sample_rows else "whole table"
            for stage in ("discover", "fit"):
                figures = _stage(stage, folder, sample_rows)
                label = "fit + validation" if stage == "fit" else stage
                lines.append(f"| {label} | {learnt} | {figures['seconds']:.1f} | {figures['peak_mb']:.0f} |")
    print(
        f"\nseed stages: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.rows:,} x 40, one process each\n"
    )
    print("| stage | learnt from | seconds | peak RSS MB |\n|---|---|---:|---:|")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
