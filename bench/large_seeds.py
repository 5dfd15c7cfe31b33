"""Large seeds on a real `simulacra dev`: API memory during a 1 GB upload, and a 1M x 40 seed from upload to ready.

    .venv/bin/python bench/large_seeds.py [--upload-mb 1024] [--rows 1000000] [--skip-upload] [--skip-seed]

1. Streams a multipart upload of `--upload-mb` MB of CSV text (generated as it is sent, chunked, so the
   client holds none of it) and reads the API process's peak resident memory (VmHWM in /proc) before and
   after. Target: under 250 MB. The worker then refuses the table (it is far past the row cap): only the
   API's memory is measured here.
2. Writes a tracker-like seed of `--rows` rows x 40 columns (examples/make_tracker.py's structural model
   plus Likert ratings and outcomes driven by it), uploads it and reports upload-to-ready time and the
   peak RSS of the worker and of its largest engine process (sampled every 0.2 s). Targets: ready within
   10 minutes on 2 cores, engine peak RSS under 4 GB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.scale import timed_upload  # noqa: E402
from examples.make_tracker import make_tracker  # noqa: E402
from tests.dev_stack import API, WORKER, child_of, dev_ports, start_dev, stop_dev, tenant, wait_for_banner  # noqa: E402

TARGET_API_MB, TARGET_READY_S, TARGET_ENGINE_MB = 250, 600, 4096
LIKERT_ITEMS = 24  # with make_tracker's 12 columns and 4 outcomes: 40 columns
CHUNK = 1 << 20


def large_seed(rows: int, seed: int = 7) -> pd.DataFrame:
    """make_tracker's table plus ratings (1-5) driven by satisfaction or awareness, and outcomes driven by intent."""
    frame = make_tracker(rows=rows, seed=seed)
    rng = np.random.default_rng(seed + 1)
    satisfaction = frame["Satisfaction"].to_numpy(dtype=float)
    awareness = frame["Awareness"].to_numpy(dtype=float)
    intent = frame["Purchase Intent"].to_numpy(dtype=float)
    for item in range(LIKERT_ITEMS):
        driver = (satisfaction - 5.5) / 2 if item % 2 == 0 else (awareness - 60) / 20
        frame[f"Rating {item + 1}"] = np.clip(np.round(3 + 0.6 * driver + rng.normal(0, 0.9, rows)), 1, 5).astype(int)
    frame["Recommend"] = np.clip(np.round(intent / 10 + rng.normal(0, 1.5, rows)), 0, 10).astype(int)
    frame["Bought Last Month"] = np.where(intent + rng.normal(0, 15, rows) > 50, "yes", "no")
    frame["Spend"] = np.round(np.maximum(0, intent * 0.4 + rng.normal(0, 8, rows)), 2)
    frame["Channel"] = rng.choice(["supermarket", "convenience", "online", "vending"], rows, p=[0.5, 0.25, 0.15, 0.1])
    return frame


def _upload_body(boundary: str, megabytes: int) -> Iterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    yield b"a,b,c,d\n"
    line = b"12345,0.5,north,yes\n"
    block = line * (CHUNK // len(line))
    sent = 0
    while sent < megabytes * CHUNK:
        yield block
        sent += len(block)
    yield f"\r\n--{boundary}--\r\n".encode()


def _hwm_mb(pid: int) -> float:
    for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def upload_memory(base: str, client, api: int, megabytes: int) -> str:  # type: ignore[no-untyped-def]
    before = _hwm_mb(api)
    boundary = uuid.uuid4().hex
    started = time.perf_counter()
    response = requests.post(
        f"{base}/v1/datasets",
        headers={**client.headers(uuid.uuid4().hex), "Content-Type": f"multipart/form-data; boundary={boundary}"},
        data=_upload_body(boundary, megabytes),
        timeout=3600,
    )
    seconds = time.perf_counter() - started
    assert response.status_code == 202, response.text
    after = _hwm_mb(api)
    verdict = "yes" if after < TARGET_API_MB else "NO"
    return (
        f"| {megabytes:,} MB upload, API peak RSS (VmHWM) | {after:.0f} MB (before: {before:.0f} MB; "
        f"{megabytes / seconds:.0f} MB/s) | < {TARGET_API_MB} MB | {verdict} |"
    )


def seed_to_ready(client, worker: int, path: Path, rows: int) -> list[str]:  # type: ignore[no-untyped-def]
    upload = timed_upload(client, worker, path)
    job, seconds, peak = upload.job, upload.seconds, upload.peak
    assert job["status"] == "ready", job
    validation = client.get(f"/v1/datasets/{upload.dataset_id}", timeout=60).json()["validation"] or {}
    sample = validation.get("fit_sample") or {}
    fidelity = validation.get("held_out_fidelity") or {}
    return [
        f"| {rows:,} x 40 seed, upload to ready | {seconds:.0f} s | <= {TARGET_READY_S} s "
        f"| {'yes' if seconds <= TARGET_READY_S else 'NO'} |",
        f"| engine process peak RSS | {peak.engine_mb:.0f} MB | <= {TARGET_ENGINE_MB} MB "
        f"| {'yes' if peak.engine_mb <= TARGET_ENGINE_MB else 'NO'} |",
        f"| worker process peak RSS | {peak.worker_mb:.0f} MB | | |",
        f"| fit sample (rows of the table) | {sample.get('rows', 'whole table')} of {sample.get('table_rows', rows):,}"
        f"; held-out fidelity {fidelity.get('score')} on {fidelity.get('held_out_rows')} rows "
        f"(real-vs-real {(fidelity.get('reference') or {}).get('score')}) | | |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upload-mb", type=int, default=1024)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-upload", action="store_true")
    parser.add_argument("--skip-seed", action="store_true")
    args = parser.parse_args()
    lines = []
    with tempfile.TemporaryDirectory(prefix="simulacra-seeds-") as tmp:
        seed_csv = Path(tmp) / "seed.csv"
        if not args.skip_seed:
            started = time.perf_counter()
            large_seed(args.rows).to_csv(seed_csv, index=False)
            print(f"seed written: {seed_csv.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - started:.0f} s")
        data_dir, ports = Path(tmp) / "data", dev_ports()
        dev = start_dev(data_dir, ports, Path(tmp) / "dev.log", settings={"SIMULACRA_RATE_LIMIT_PER_MINUTE": "100000"})
        try:
            wait_for_banner(dev)
            base = f"http://127.0.0.1:{ports['port']}"
            client = tenant(base, data_dir, "seeds")
            api, worker = child_of(dev.pid, API), child_of(dev.pid, WORKER)
            assert api is not None and worker is not None, "no API or worker under simulacra dev"
            if not args.skip_seed:
                lines += seed_to_ready(client, worker, seed_csv, args.rows)
            if not args.skip_upload:
                lines.append(upload_memory(base, client, api, args.upload_mb))
        finally:
            stop_dev(dev)
    print(f"\nlarge seeds: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, one `simulacra dev`\n")
    print("| what | measured | target | met |\n|---|---:|---:|---|")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
