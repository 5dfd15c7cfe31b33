"""Wide survey batteries: discovery alone, and upload to ready through a real `simulacra dev`.

    .venv/bin/python bench/wide_batteries.py [--shapes 5000x15 5000x23 5000x43 200x61 5000x102]
    .venv/bin/python bench/wide_batteries.py --stack [--shapes 5000x43 5000x102 20000x300] [--memory-limit-mb MB]

Each shape is ROWSxCOLUMNS of a tracker whose five-point ratings all follow one unobserved attitude
(tests/engine/test_engine_wide_batteries.py draws them, seed 0): a segment, a price, COLUMNS-3
ratings and purchase intent.

Without --stack every shape runs the default discovery (bootstrap included) in a fresh process, so
peak RSS is its own. With --stack every shape is uploaded to one `simulacra dev` (as
bench/large_seeds.py does) and timed from upload to a terminal job, with the peak RSS of the worker's
largest engine process sampled every 0.2 s. Targets (issue 15): 5,000 x 100 ready within 3 minutes
with engine peak RSS under 4 GB; 20,000 x 300 ready or refused with a documented code within 10 minutes.
--memory-limit-mb sets the engine processes' address-space limit (SIMULACRA_ENGINE_MEMORY_LIMIT_MB), to
see a job past it fail with its own code, at once.
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

from bench.scale import timed_upload  # noqa: E402
from tests.dev_stack import WORKER, child_of, dev_ports, start_dev, stop_dev, tenant, wait_for_banner  # noqa: E402
from tests.engine.test_engine_wide_batteries import battery  # noqa: E402

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
    outcome = f"{graph.algorithm}: {len(graph.edges)} edges, {graph.bootstrap.resamples} resamples"
except EngineInputError as refusal:
    outcome = refusal.code
seconds = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"seconds": seconds, "outcome": outcome, "peak_mb": peak_mb}))
"""
TARGET_SECONDS = {(5000, 102): 180, (5000, 43): 180, (20000, 300): 600}
TARGET_ENGINE_MB = 4096


def discovery_only(shapes: list[tuple[int, int]]) -> None:
    print("| rows x columns | discovery | peak RSS | outcome |\n|---|---|---|---|")
    for rows, columns in shapes:
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


def through_stack(shapes: list[tuple[int, int]], memory_limit_mb: int | None) -> None:
    lines = []
    settings = {"SIMULACRA_RATE_LIMIT_PER_MINUTE": "100000"}
    if memory_limit_mb is not None:
        settings["SIMULACRA_ENGINE_MEMORY_LIMIT_MB"] = str(memory_limit_mb)
    with tempfile.TemporaryDirectory(prefix="simulacra-wide-") as tmp:
        data_dir, ports = Path(tmp) / "data", dev_ports()
        dev = start_dev(data_dir, ports, Path(tmp) / "dev.log", settings=settings)
        try:
            wait_for_banner(dev)
            client = tenant(f"http://127.0.0.1:{ports['port']}", data_dir, "wide")
            worker = child_of(dev.pid, WORKER)
            assert worker is not None, "no worker under simulacra dev"
            for rows, columns in shapes:
                seed = Path(tmp) / f"battery_{rows}x{columns}.csv"
                battery(rows, columns - 3).to_csv(seed, index=False)
                lines.append(_one_upload(client, worker, seed, rows, columns))
                print(lines[-1], flush=True)
        finally:
            stop_dev(dev)
    print(f"\nwide batteries through one `simulacra dev`: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print("| rows x columns | upload to terminal | engine peak RSS | outcome | target met |\n|---|---:|---:|---|---|")
    for line in lines:
        print(line)


def _one_upload(client, worker: int, seed: Path, rows: int, columns: int) -> str:  # type: ignore[no-untyped-def]
    upload = timed_upload(client, worker, seed)
    job, seconds, peak = upload.job, upload.seconds, upload.peak
    if job["status"] == "ready":
        graph = client.get(f"/v1/datasets/{upload.dataset_id}/graph", timeout=60).json()
        outcome = f"ready: {graph['algorithm']}, {len(graph['edges'])} edges"
    else:
        outcome = f"{job['status']}: {(job.get('error') or {}).get('code')}"
    target = TARGET_SECONDS.get((rows, columns), 180)
    met = seconds <= target and peak.engine_mb < TARGET_ENGINE_MB and "simio_internal" not in outcome
    return (
        f"| {rows:,} x {columns} | {seconds:.0f} s | {peak.engine_mb:,.0f} MB | {outcome} "
        f"| {'yes' if met else 'NO'} (<= {target} s, < {TARGET_ENGINE_MB:,} MB) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="store_true", help="upload to ready through a real simulacra dev")
    parser.add_argument("--shapes", nargs="+")
    parser.add_argument("--memory-limit-mb", type=int, help="engine processes' address-space limit (--stack)")
    args = parser.parse_args()
    default = (
        ["5000x43", "5000x102", "20000x300"] if args.stack else ["5000x15", "5000x23", "5000x43", "200x61", "5000x102"]
    )
    shapes = [tuple(int(part) for part in shape.split("x")) for shape in args.shapes or default]
    if args.stack:
        through_stack(shapes, args.memory_limit_mb)  # type: ignore[arg-type]
    else:
        discovery_only(shapes)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
