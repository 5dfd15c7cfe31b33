"""Time the quickstart flow against a real `simulacra dev`, cold and warm, at several seed sizes.

    .venv/bin/python bench/flow_times.py [--rows 5000 50000] [--repeats 3] [--wide-rows 10000]

Prints one row per run: server-side time from upload accepted to model fitted, from generation
accepted to artifact written, and the client's wall time for the whole quickstart, beside the
target (dataset ready in under a minute on 2 cores). Then upload-to-ready of the 15-column
confounded tracker (`examples/make_confounded_tracker.py`) beside issue 3's target: 10k x 15 within 20 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "examples"))  # the confounded generator imports its sibling by name

from examples.make_confounded_tracker import make_confounded_tracker  # noqa: E402
from examples.make_tracker import make_tracker  # noqa: E402
from tests.stack import free_port  # noqa: E402

TARGET_READY_SECONDS = 60.0
TARGET_WIDE_READY_SECONDS = 20.0


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulacra.infra.cli", *args], cwd=cwd, capture_output=True, text=True, check=True
    )


def _quickstart(base: str, data_dir: Path, csv_path: Path, work: Path) -> dict[str, float]:
    claim = json.loads(
        _cli("admin", "create-client", "--tenant", "bench", "--json", "--data-dir", str(data_dir), cwd=work).stdout
    )["credential_claim_token"]
    env = {
        "SIMULACRA_URL": base,
        "SIMULACRA_CLAIM_TOKEN": claim,
        "QUICKSTART_CSV": str(csv_path),
        "QUICKSTART_OUT": str(work / "generated.csv"),
    }
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, str(REPO / "examples" / "quickstart.py")], env=env, capture_output=True, text=True, timeout=900
    )
    wall = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(run.stdout + run.stderr)
    dataset = float(re.search(r"dataset ready in ([0-9.]+) s", run.stdout).group(1))
    generation = float(re.search(r"generation ready in ([0-9.]+) s", run.stdout).group(1))
    return {"dataset": dataset, "generation": generation, "wall": wall}


def _upload_to_ready(base: str, data_dir: Path, csv_path: Path, work: Path) -> float:
    """Server time from upload accepted to model fitted (validation report included), as the quickstart reports it."""
    claim = json.loads(
        _cli("admin", "create-client", "--tenant", "bench", "--json", "--data-dir", str(data_dir), cwd=work).stdout
    )["credential_claim_token"]
    key = {"Idempotency-Key": uuid.uuid4().hex}
    claimed = requests.post(f"{base}/v1/credential-claims", json={"credential_claim_token": claim}, headers=key).json()
    grant = {"grant_type": "client_credentials", "client_id": claimed["client_id"]}
    token = requests.post(claimed["token_url"], data={**grant, "client_secret": claimed["client_secret"]}).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    with csv_path.open("rb") as handle:
        job_id = requests.post(
            f"{base}/v1/datasets", headers={**auth, "Idempotency-Key": uuid.uuid4().hex}, files={"file": handle}
        ).json()["job_id"]
    while (job := requests.get(f"{base}/v1/jobs/{job_id}", headers=auth).json())["status"] not in ("ready", "failed"):
        time.sleep(0.5)
    if job["status"] != "ready":
        raise SystemExit(f"dataset failed: {job['error']}")
    return (datetime.fromisoformat(job["updated_at"]) - datetime.fromisoformat(job["created_at"])).total_seconds()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--wide-rows", type=int, default=10000, help="rows of the 15-column table (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="simulacra-bench-") as tmp:
        work = Path(tmp)
        data_dir, port = work / "data", free_port()
        dev = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "simulacra.infra.cli",
                "dev",
                "--data-dir",
                str(data_dir),
                "--port",
                str(port),
                "--temporal-port",
                str(free_port()),
                "--ui-port",
                str(free_port()),
            ],
            cwd=work,
            # Free metrics ports too: a `simulacra dev` of the user's may hold the default ones.
            env=os.environ
            | {f"SIMULACRA_{name}_METRICS_PORT": str(free_port()) for name in ("API", "WORKER", "WORKER_SDK")},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            for line in dev.stdout:  # type: ignore[union-attr]
                if line.startswith("Stop with Ctrl-C"):
                    break
            print(
                "| seed rows | run | dataset ready (s) | generation of 2,000 rows ready (s) | quickstart wall (s) "
                "| target: dataset ready (s) |\n|---:|---|---:|---:|---:|---:|"
            )
            first = True
            for rows in args.rows:
                csv_path = work / f"tracker_{rows}.csv"
                make_tracker(rows=rows, seed=7).to_csv(csv_path, index=False)
                for repeat in range(args.repeats):
                    label = "cold (first job)" if first else f"warm {repeat + 1}"
                    first = False
                    result = _quickstart(f"http://127.0.0.1:{port}", data_dir, csv_path, work)
                    print(
                        f"| {rows:,} | {label} | {result['dataset']:.1f} | {result['generation']:.1f} "
                        f"| {result['wall']:.1f} | < {TARGET_READY_SECONDS:.0f} |",
                        flush=True,
                    )
            if args.wide_rows:
                wide = work / "confounded.csv"
                make_confounded_tracker(rows=args.wide_rows, seed=7).to_csv(wide, index=False)
                print(
                    "\n| seed | run | upload to ready (s) | target (s) |\n|---|---|---:|---:|",
                    flush=True,
                )
                for repeat in range(args.repeats):
                    seconds = _upload_to_ready(f"http://127.0.0.1:{port}", data_dir, wide, work)
                    print(
                        f"| {args.wide_rows:,} x 15 confounded tracker | warm {repeat + 1} | {seconds:.1f} "
                        f"| < {TARGET_WIDE_READY_SECONDS:.0f} |",
                        flush=True,
                    )
        finally:
            dev.send_signal(signal.SIGINT)
            dev.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
