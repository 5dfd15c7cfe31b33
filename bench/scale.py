"""Sharded generation at scale on a real `simulacra dev`, beside SDV GaussianCopula on the same seed.

    .venv/bin/python bench/scale.py [--full] [--peers-python bench/.venv-peers/bin/python]

One command prints issue 14's table. Uploads examples/tracker_q3.csv to a fresh `simulacra dev` per
engine-process count, generates under a categorical share (one generation at a time): 1M and 10M
rows on 1 engine process, 10M on 2 (the speed-up against 1), and with --full 100M rows on 2 processes.
Each generation is timed from POST to `ready`, then downloaded by streaming (download time and size
are reported, and the 100M row's end-to-end time includes it). Peak resident memory is sampled every
0.2 s from /proc while the generation runs: the worker's own process and its largest engine process.
Flat memory in N is the property: each shard holds at most SIMULACRA_GENERATION_SHARD_ROWS rows, and
the combine step streams one shard at a time.

SDV runs in the peers virtualenv (bash bench/setup_peers.sh) as a subprocess, bench/sdv_scale.py:
GaussianCopula fit on the same table, then --sdv-rows rows sampled in 1M-row chunks.
The 1M x 40 seed upload -> ready row is measured by bench/large_seeds.py, not here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.dev_stack import WORKER, child_of, dev_ports, start_dev, stop_dev, tenant, wait_for_banner  # noqa: E402
from tests.stack import TERMINAL, poll_until  # noqa: E402

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


@dataclass
class Upload:
    """One seed uploaded and waited for: its dataset, the terminal job, seconds from upload, peak memory."""

    dataset_id: str
    job: dict
    seconds: float
    peak: PeakMemory


def timed_upload(client, worker: int, path: Path, timeout: float = 3600) -> Upload:  # type: ignore[no-untyped-def]
    """Upload ``path`` as a CSV seed and wait for its job, with the worker's and engine's peak RSS."""
    with PeakMemory(worker) as peak:
        started = time.perf_counter()
        with path.open("rb") as handle:
            response = requests.post(
                f"{client.base}/v1/datasets",
                headers=client.headers(uuid.uuid4().hex),
                files={"file": (path.name, handle, "text/csv")},
                timeout=timeout,
            )
        assert response.status_code == 202, response.text
        job = client.finished(response.json()["job_id"], timeout=timeout)
        seconds = time.perf_counter() - started
    return Upload(response.json()["dataset_id"], job, seconds, peak)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows-one", default="1000000,10000000", help="row counts run on 1 engine process")
    parser.add_argument("--rows-two", default="10000000", help="row counts run on 2 engine processes")
    parser.add_argument("--full", action="store_true", help="also 100M rows on 2 engine processes (long)")
    parser.add_argument("--format", default="parquet", choices=("csv", "parquet", "arrow"))
    parser.add_argument("--timeout", type=float, default=7200, help="seconds each generation may take")
    parser.add_argument("--sdv-rows", type=int, default=10_000_000, help="rows SDV samples; 0 skips SDV")
    parser.add_argument("--peers-python", default=str(REPO / "bench" / ".venv-peers" / "bin" / "python"))
    args = parser.parse_args()
    plan = {1: _counts(args.rows_one), 2: _counts(args.rows_two) + ([FULL_ROWS] if args.full else [])}
    runs = [run for processes, counts in plan.items() if counts for run in _stack_runs(processes, counts, args)]
    sdv = _sdv(args) if args.sdv_rows else None
    print(f"\nscale run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, one `simulacra dev` per process count,")
    print(f"{args.format}, seed examples/tracker_q3.csv, conditions {json.dumps(CONDITIONS)}\n")
    _print_summary(runs, sdv, args)
    print(
        "\n| rows | engine processes | generation s | of which sampling s | rows/s | download s | artifact MB "
        "| worker peak RSS MB | engine process peak RSS MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        print(
            f"| {run.rows:,} | {run.processes} | {run.seconds:.1f} | {run.sampled_s:.1f} | {run.rate:,.0f} "
            f"| {run.download_s:.1f} "
            f"| {run.size / 1e6:,.0f} | {run.worker_mb:.0f} | {run.engine_mb:.0f} |"
        )
    return 0


FULL_ROWS = 100_000_000
WARMUP_ROWS = 500_000


@dataclass(frozen=True)
class Run:
    rows: int
    processes: int
    seconds: float
    sampled_s: float  # from POST until every shard was sampled; the rest of `seconds` is the combine
    download_s: float
    size: int
    worker_mb: float
    engine_mb: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def _counts(text: str) -> list[int]:
    return [int(value) for value in text.split(",") if value]


def _stack_runs(processes: int, counts: list[int], args: argparse.Namespace) -> list[Run]:
    """The generations of `counts` rows on one fresh `simulacra dev` with `processes` engine processes."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="simulacra-scale-") as tmp:
        data_dir, ports = Path(tmp) / "data", dev_ports()
        settings = {"SIMULACRA_ENGINE_PROCESSES": str(processes), "SIMULACRA_RATE_LIMIT_PER_MINUTE": "1000000"}
        dev = start_dev(data_dir, ports, Path(tmp) / "dev.log", settings=settings)
        try:
            wait_for_banner(dev)
            client = tenant(f"http://127.0.0.1:{ports['port']}", data_dir, "scale", rows_per_period=10**11)
            accepted = client.upload(SEED)
            assert client.finished(accepted.json()["job_id"])["status"] == "ready"
            worker = child_of(dev.pid, WORKER)
            assert worker is not None, "no worker under simulacra dev"
            # An untimed generation of two shards first, so every engine process has started and
            # loaded the model: the timed runs compare steady rates, not process start-up.
            _run(client, accepted.json()["dataset_id"], WARMUP_ROWS, processes, args, worker)
            for rows in counts:
                runs.append(_run(client, accepted.json()["dataset_id"], rows, processes, args, worker))
                print(f"[scale] {runs[-1]}", file=sys.stderr, flush=True)
        finally:
            stop_dev(dev)
    return runs


def _sdv(args: argparse.Namespace) -> dict | None:
    python = Path(args.peers_python)
    if not python.exists():
        print(f"[scale] no peers virtualenv at {python}: run `bash bench/setup_peers.sh`", file=sys.stderr)
        return None
    command = [str(python), str(REPO / "bench" / "sdv_scale.py"), "--rows", str(args.sdv_rows)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=args.timeout)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _print_summary(runs: list[Run], sdv: dict | None, args: argparse.Namespace) -> None:
    def find(rows: int, processes: int) -> Run | None:
        return next((run for run in runs if run.rows == rows and run.processes == processes), None)

    def cell(run: Run | None) -> str:
        if run is None:
            return "not run"
        return (
            f"{run.seconds:.1f} s ({run.sampled_s:.1f} s to sample the shards, the rest combining), "
            f"{run.rate:,.0f} rows/s, worker peak {run.worker_mb:.0f} MB, "
            f"engine process peak {run.engine_mb:.0f} MB"
        )

    one_small, one, two, full = find(1_000_000, 1), find(10_000_000, 1), find(10_000_000, 2), find(FULL_ROWS, 2)
    speedup = f"; {two.rate / one.rate:.2f}x the 1-process rate" if one and two else ""
    if full is None:
        whole = "not run (pass --full)"
    else:
        whole = (
            f"{full.seconds + full.download_s:.0f} s end to end ({full.sampled_s:.0f} s sampling the shards, "
            f"{full.seconds - full.sampled_s:.0f} s combining, "
            f"{full.download_s:.0f} s download of {full.size / 1e9:.2f} GB), worker peak {full.worker_mb:.0f} MB, "
            f"engine process peak {full.engine_mb:.0f} MB"
        )
    if sdv is None:
        peer = "not run (--sdv-rows 0 or no peers virtualenv)"
    else:
        peer = (
            f"fit {sdv['fit_s']:.1f} s on {sdv['seed_rows']:,} rows; {sdv['rows']:,} rows sampled in "
            f"{sdv['sample_s']:.0f} s ({sdv['rows'] / sdv['sample_s']:,.0f} rows/s, 1M-row chunks, not written); "
            f"peak RSS {sdv['peak_mb']:.0f} MB"
        )
    print("| what | measured | target |")
    print("|---|---|---|")
    print(f"| 1M rows, 1 engine process | {cell(one_small)} | (baseline for flat memory) |")
    print(f"| 10M rows, 1 engine process | {cell(one)} | >= 200k rows/s; peak RSS independent of N |")
    print(f"| 10M rows, 2 engine processes | {cell(two)}{speedup} | >= 1.7x the 1-process rate |")
    print(f"| 100M rows ({args.format}) end to end incl. download | {whole} | completes; memory flat |")
    print("| 1M x 40 seed upload -> ready | measured by bench/large_seeds.py | <= 10 min on 2 cores; worker <= 4 GB |")
    print(f"| SDV GaussianCopula, same seed | {peer} | reported beside ours |")


def _run(client, dataset_id: str, rows: int, processes: int, args: argparse.Namespace, worker: int) -> Run:  # type: ignore[no-untyped-def]
    body = {"row_count": rows, "format": args.format, "conditions": CONDITIONS, "seed": rows}
    with PeakMemory(worker) as peak:
        started = time.perf_counter()
        url = f"{client.base}/v1/datasets/{dataset_id}/generations"
        response = requests.post(url, headers=client.headers(f"{rows}-{processes}"), json=body, timeout=60)
        assert response.status_code == 202, response.text
        combining: list[float] = []

        def finished(state: dict | None) -> bool:
            # The stage turns to "combining" once every shard is sampled: the split of the wall time.
            if state is not None and state.get("stage") == "combining" and not combining:
                combining.append(time.perf_counter() - started)
            return state is not None and state["status"] in TERMINAL

        job_id = response.json()["job_id"]
        job = poll_until(lambda: client.job(job_id), finished, args.timeout)
        seconds = time.perf_counter() - started
    assert job["status"] == "ready" and job["rows_generated"] == rows, job
    started, size = time.perf_counter(), 0
    with requests.get(job["artifact_url"], headers=client.headers(), stream=True, timeout=600) as download:
        for chunk in download.iter_content(1024 * 1024):
            size += len(chunk)
        assert size == int(download.headers["content-length"])
    fetched = time.perf_counter() - started
    sampled = combining[0] if combining else float("nan")
    return Run(rows, processes, seconds, sampled, fetched, size, peak.worker_mb, peak.engine_mb)


if __name__ == "__main__":
    sys.exit(main())
