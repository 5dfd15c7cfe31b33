"""Time the quickstart on a one-machine cluster beside `simulacra dev`, on the same machine.

    .venv/bin/python bench/cluster.py [--repeats 2] [--rows 2000] [--csv examples/tracker_q3.csv]

The cluster (tests/cluster.py): a Temporal dev server, PostgreSQL 15 as the control database (Debian's binaries,
run as the postgres user when started as root), moto's S3 server as the object store, two `simulacra api`
replicas and two `simulacra worker` processes, all configured through SIMULACRA_* and AWS_* variables. The same
client calls (claim, token, upload, wait for the model, schema, a conditioned generation, download) run against
both; on the cluster they alternate between the replicas. Prints one row per setup: medians of the repeats.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from simulacra.infra.devserver import DevServerOptions, start_dev_server, stop_process  # noqa: E402
from simulacra.infra.temporal import connect  # noqa: E402
from simulacra.workflows.contracts import SEARCH_ATTRIBUTES  # noqa: E402
from tests.cluster import Replicas, claim_everywhere, quickstart, running_cluster  # noqa: E402
from tests.dev_stack import cli, dev_ports, start_dev, stop_dev, wait_for_banner  # noqa: E402
from tests.postgres import running_postgres  # noqa: E402
from tests.s3_server import running_s3_server  # noqa: E402
from tests.stack import free_port  # noqa: E402

COLUMNS = ("claim and token", "upload to ready", "generation to download", "wall")


def _timed(bases: list[str], claim_token: str, table: bytes, rows: int) -> dict[str, float]:
    """The whole quickstart from the claim token on, as a client's wall clock sees it."""
    started = time.perf_counter()
    (claimed,) = claim_everywhere(bases[:1], claim_token)
    replicas = Replicas(bases)
    replicas.sign_in(claimed.json())
    signed_in = time.perf_counter() - started
    run = quickstart(replicas, table, rows)
    if run.rows != rows:
        raise SystemExit(f"downloaded {run.rows} rows, asked for {rows}")
    return {"claim and token": signed_in, **run.seconds, "wall": time.perf_counter() - started}


def _repeat(repeats: int, once: Callable[[], dict[str, float]]) -> dict[str, float]:
    runs = [once() for _ in range(repeats)]
    return {column: statistics.median(run[column] for run in runs) for column in COLUMNS}


def _cluster(work: Path, table: bytes, rows: int, repeats: int) -> dict[str, float]:
    port = free_port()
    temporal = start_dev_server(
        DevServerOptions(
            db_file=work / "temporal" / "temporal.sqlite",
            port=port,
            ui_port=None,
            namespace="default",
            search_attributes=SEARCH_ATTRIBUTES,
            log_file=work / "temporal.log",
        )
    )
    try:
        address = f"127.0.0.1:{port}"
        asyncio.run(connect(address, "default", wait_seconds=60))
        with running_postgres() as postgres, running_s3_server(work / "moto.log") as s3:
            with running_cluster(work / "cluster", address, postgres, s3) as cluster:
                return _repeat(repeats, lambda: _timed(cluster.apis, cluster.create_client("bench"), table, rows))
    finally:
        stop_process(temporal)


def _dev(work: Path, table: bytes, rows: int, repeats: int) -> dict[str, float]:
    data_dir, ports = work / "dev", dev_ports()
    dev = start_dev(data_dir, ports, work / "dev.log")
    try:
        wait_for_banner(dev)

        def claim_token() -> str:
            made = subprocess.run(
                cli("admin", "create-client", "--tenant", "bench", "--json", "--data-dir", str(data_dir)),
                capture_output=True,
                text=True,
                check=True,
            )
            return str(json.loads(made.stdout)["credential_claim_token"])

        base = f"http://127.0.0.1:{ports['port']}"
        return _repeat(repeats, lambda: _timed([base], claim_token(), table, rows))
    finally:
        stop_dev(dev)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rows", type=int, default=2000, help="rows generated (the quickstart's 2000)")
    parser.add_argument("--csv", type=Path, default=REPO / "examples" / "tracker_q3.csv")
    args = parser.parse_args()
    table = args.csv.read_bytes()
    with tempfile.TemporaryDirectory(prefix="simulacra-cluster-bench-") as tmp:
        work = Path(tmp)
        load = os.getloadavg()[0]
        results = {
            "cluster: 2 API + 2 workers, PostgreSQL, S3": _cluster(work, table, args.rows, args.repeats),
            "simulacra dev": _dev(work, table, args.rows, args.repeats),
        }
    seed_rows = table.count(b"\n") - 1
    print(f"\nquickstart on {args.csv.name} ({seed_rows} rows), {args.rows} rows generated;")
    print(f"median of {args.repeats} runs, seconds; load average at start {load:.1f} on {os.cpu_count()} cores\n")
    print(f"{'setup':<44}" + "".join(f"{column:>24}" for column in COLUMNS))
    for setup, seconds in results.items():
        print(f"{setup:<44}" + "".join(f"{seconds[column]:>24.1f}" for column in COLUMNS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
