"""Sharded generation at scale on a real `simulacra dev`: wall time, rows/s and peak memory against N.

    .venv/bin/python bench/scale.py [--rows 1000000,5000000] [--processes 1] [--format parquet]

Uploads examples/tracker_q3.csv, then for each N generates N rows under a categorical share (one
generation at a time), downloads the artifact by streaming and prints a table: generation wall time
(POST to `ready`), rows/s, download time and size, and the peak resident memory seen while the
generation ran (sampled every 0.2 s from /proc) of the worker's own process and of its largest
engine process. Flat memory in N is the property: each shard holds at most SIMULACRA_GENERATION_SHARD_ROWS
rows, and the combine step streams one shard at a time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.dev_stack import WORKER, child_of, dev_ports, start_dev, stop_dev, tenant, wait_for_banner  # noqa: E402

SEED = (REPO / "examples" / "tracker_q3.csv").read_bytes()
CONDITIONS = {"categorical": {"segment": {"genz_switcher": 0.3}}}


def _rss_mb(pid: int) -> float:
    try:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    return found


class PeakMemory:
    """Peak RSS of the worker process and of its largest engine process while the block runs."""

    def __init__(self, worker: int) -> None:
        self.worker, self.worker_mb, self.engine_mb = worker, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            self.worker_mb = max(self.worker_mb, _rss_mb(self.worker))
            engines = [_rss_mb(pid) for pid in _children(self.worker)]
            self.engine_mb = max([self.engine_mb, *engines])

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="1000000,5000000", help="comma-separated row counts, run in turn")
    parser.add_argument("--processes", type=int, default=1, help="engine processes of the worker")
    parser.add_argument("--format", default="parquet", choices=("csv", "parquet", "arrow"))
    parser.add_argument("--timeout", type=float, default=3600, help="seconds each generation may take")
    args = parser.parse_args()
    counts = [int(value) for value in args.rows.split(",")]
    lines = []
    with tempfile.TemporaryDirectory(prefix="simulacra-scale-") as tmp:
        data_dir, ports = Path(tmp) / "data", dev_ports()
        settings = {"SIMULACRA_ENGINE_PROCESSES": str(args.processes), "SIMULACRA_RATE_LIMIT_PER_MINUTE": "1000000"}
        dev = start_dev(data_dir, ports, Path(tmp) / "dev.log", settings=settings)
        try:
            wait_for_banner(dev)
            client = tenant(f"http://127.0.0.1:{ports['port']}", data_dir, "scale", rows_per_period=10**11)
            accepted = client.upload(SEED)
            assert client.finished(accepted.json()["job_id"])["status"] == "ready"
            worker = child_of(dev.pid, WORKER)
            assert worker is not None, "no worker under simulacra dev"
            for rows in counts:
                lines.append(_run(client, accepted.json()["dataset_id"], rows, args, worker))
        finally:
            stop_dev(dev)
    print(f"\nscale run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, one `simulacra dev`, {args.format}\n")
    print(
        "| rows | engine processes | generation s | rows/s | download s | artifact MB | worker peak RSS MB "
        "| engine process peak RSS MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for line in lines:
        print(line)
    return 0


def _run(client, dataset_id: str, rows: int, args: argparse.Namespace, worker: int) -> str:  # type: ignore[no-untyped-def]
    body = {"row_count": rows, "format": args.format, "conditions": CONDITIONS, "seed": 1}
    with PeakMemory(worker) as peak:
        started = time.perf_counter()
        url = f"{client.base}/v1/datasets/{dataset_id}/generations"
        response = requests.post(url, headers=client.headers(str(rows)), json=body, timeout=60)
        assert response.status_code == 202, response.text
        job = client.finished(response.json()["job_id"], timeout=args.timeout)
        seconds = time.perf_counter() - started
    assert job["status"] == "ready" and job["rows_generated"] == rows, job
    started, size = time.perf_counter(), 0
    with requests.get(job["artifact_url"], headers=client.headers(), stream=True, timeout=600) as download:
        for chunk in download.iter_content(1024 * 1024):
            size += len(chunk)
        assert size == int(download.headers["content-length"])
    fetched = time.perf_counter() - started
    return (
        f"| {rows:,} | {args.processes} | {seconds:.1f} | {rows / seconds:,.0f} | {fetched:.1f} | {size / 1e6:.0f} "
        f"| {peak.worker_mb:.0f} | {peak.engine_mb:.0f} |"
    )


if __name__ == "__main__":
    sys.exit(main())
