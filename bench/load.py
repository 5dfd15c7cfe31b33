"""Load on a real `simulacra dev`, over loopback: job polling at a fixed rate, then concurrent jobs.

    .venv/bin/python bench/load.py [--rate 200] [--seconds 20] [--jobs 20] [--rows 10000]

1. GET /v1/jobs/{id} open-loop: requests are sent on a fixed schedule (`--rate` a second for
   `--seconds`), whether or not earlier ones answered, and each latency is measured from the moment
   the request was due, so a slow server cannot hide its backlog (no coordinated omission).
   Target: p99 <= 20 ms on this machine with nothing else running.
2. `--jobs` generations of `--rows` rows submitted at once: time until all are done, and each job's
   latency from its POST to the client seeing it finished.
3. `--jobs` uploads of examples/tracker_q3.csv submitted at once: the same.
Bounded: at most rate x seconds requests in 1, and `--timeout` seconds for each of 2 and 3.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.dev_stack import (  # noqa: E402
    API,
    TEMPORAL,
    Tenant,
    child_of,
    dev_ports,
    start_dev,
    stop_dev,
    tenant,
    wait_for_banner,
)
from tests.stack import TERMINAL  # noqa: E402

SEED = (REPO / "examples" / "tracker_q3.csv").read_bytes()
CONDITIONS = {"categorical": {"segment": {"genz_switcher": 0.3}}}


@dataclass
class Result:
    name: str
    count: int
    seconds: float
    latencies: list[float]  # seconds
    errors: Counter[str]  # by status code, job status or exception
    note: str = ""


def _quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def poll_at_rate(client: httpx.AsyncClient, tenant: Tenant, job_id: str, rate: float, seconds: float) -> Result:
    headers, path = tenant.headers(), f"/v1/jobs/{job_id}"
    latencies: list[float] = []
    service: list[float] = []  # from the moment the request was actually sent: without the client's lateness
    errors: Counter[str] = Counter()
    lag = 0.0

    async def one(due: float) -> None:
        sent = time.perf_counter()
        try:
            response = await client.get(path, headers=headers)
        except httpx.HTTPError as exc:
            errors[type(exc).__name__] += 1
            return
        if response.status_code != 200:
            errors[str(response.status_code)] += 1
            return
        latencies.append(time.perf_counter() - due)
        service.append(time.perf_counter() - sent)

    start = time.perf_counter() + 0.1
    tasks = []
    for index in range(int(rate * seconds)):
        due = start + index / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        lag = max(lag, time.perf_counter() - due)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    note = (
        f"{len(tasks) / elapsed:.0f} req/s achieved; sender at most {lag * 1000:.1f} ms late; from the actual send: "
        f"p50 {_quantile(service, 0.5) * 1000:.1f} ms, p99 {_quantile(service, 0.99) * 1000:.1f} ms"
        if service
        else ""
    )
    return Result(f"GET /v1/jobs/{{id}} at {rate:.0f} req/s", len(tasks), elapsed, latencies, errors, note)


async def concurrent_jobs(
    client: httpx.AsyncClient,
    tenant: Tenant,
    name: str,
    count: int,
    submit: Callable[[], Awaitable[httpx.Response]],
    timeout: float,
) -> Result:
    """Submit all jobs at once, then poll each until it finishes; latency from its POST to seen finished."""
    errors: Counter[str] = Counter()

    async def one() -> float | None:
        sent = time.perf_counter()
        response = await submit()
        if response.status_code != 202:
            errors[f"{response.status_code} {response.json().get('code', '')}"] += 1
            return None
        job_id = response.json()["job_id"]
        while time.perf_counter() - sent < timeout:
            job = await client.get(f"/v1/jobs/{job_id}", headers=tenant.headers())
            if job.status_code == 200 and job.json()["status"] in TERMINAL:
                if job.json()["status"] != "ready":
                    errors[job.json()["status"]] += 1
                    return None
                return time.perf_counter() - sent
            await asyncio.sleep(0.25)
        errors["timeout"] += 1
        return None

    started = time.perf_counter()
    done = await asyncio.gather(*(one() for _ in range(count)))
    latencies = [seconds for seconds in done if seconds is not None]
    return Result(name, len(done), time.perf_counter() - started, latencies, errors)


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU time a process has used so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(args: argparse.Namespace, tenant: Tenant, dataset_id: str, job_id: str, dev: int) -> list[Result]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=tenant.base, limits=limits, timeout=30) as client:
        # CPU per request of each side: a figure the machine's other load does not change much.
        servers = {"API": child_of(dev, API), "Temporal": child_of(dev, TEMPORAL)}
        before = {name: _cpu_seconds(pid) for name, pid in servers.items()} | {"client": time.process_time()}
        polled = await poll_at_rate(client, tenant, job_id, args.rate, args.seconds)
        after = {name: _cpu_seconds(pid) for name, pid in servers.items()} | {"client": time.process_time()}
        per_request = ", ".join(
            f"{name} {(after[name] - before[name]) / polled.count * 1000:.1f}" for name in ("API", "Temporal", "client")
        )
        polled.note += f"; CPU ms per request: {per_request}"
        results = [polled]

        def generate() -> Awaitable[httpx.Response]:
            return client.post(
                f"/v1/datasets/{dataset_id}/generations",
                headers=tenant.headers(uuid.uuid4().hex),
                json={"row_count": args.rows, "conditions": CONDITIONS},
            )

        def upload() -> Awaitable[httpx.Response]:
            return client.post(
                "/v1/datasets",
                headers=tenant.headers(uuid.uuid4().hex),
                files={"file": ("tracker_q3.csv", SEED, "text/csv")},
            )

        generations = f"{args.jobs} concurrent generations of {args.rows:,} rows"
        results.append(await concurrent_jobs(client, tenant, generations, args.jobs, generate, args.timeout))
        uploads = f"{args.jobs} concurrent uploads ({len(SEED) // 1024} KB tracker_q3.csv)"
        results.append(await concurrent_jobs(client, tenant, uploads, args.jobs, upload, args.timeout))
    return results


def _table(results: list[Result]) -> None:
    print("| test | requests / jobs | wall (s) | p50 | p95 | p99 | max | errors | note |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for result in results:
        # Request latencies read in milliseconds, job latencies in seconds.
        scale, unit = (1000, "ms") if result.name.startswith("GET") else (1, "s")
        cells = [
            f"{_quantile(result.latencies, share) * scale:.1f} {unit}" if result.latencies else "-"
            for share in (0.50, 0.95, 0.99, 1.0)
        ]
        print(
            f"| {result.name} | {result.count} | {result.seconds:.1f} | {' | '.join(cells)} "
            f"| {sum(result.errors.values())}{f' ({dict(result.errors)})' if result.errors else ''} "
            f"| {result.note} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200, help="GET requests a second")
    parser.add_argument("--seconds", type=float, default=20, help="how long the GET load lasts")
    parser.add_argument("--jobs", type=int, default=20, help="concurrent generations, then concurrent uploads")
    parser.add_argument("--rows", type=int, default=10_000, help="rows per generation")
    parser.add_argument("--timeout", type=float, default=600, help="seconds each concurrent phase may take")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="simulacra-load-") as tmp:
        data_dir, ports = Path(tmp) / "data", dev_ports()
        # The per-tenant rate limit (600 a minute by default) would answer most of the load 429: measure the
        # server's work instead, with the limit out of the way.
        dev = start_dev(
            data_dir, ports, Path(tmp) / "dev.log", settings={"SIMULACRA_RATE_LIMIT_PER_MINUTE": "10000000"}
        )
        try:
            wait_for_banner(dev)
            client = tenant(f"http://127.0.0.1:{ports['port']}", data_dir, "load")
            accepted = client.upload(SEED)
            assert accepted.status_code == 202, accepted.text
            job = client.finished(accepted.json()["job_id"])
            assert job["status"] == "ready", job
            results = asyncio.run(run(args, client, accepted.json()["dataset_id"], accepted.json()["job_id"], dev.pid))
        finally:
            stop_dev(dev)
    print(f"\nload run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, loopback, one `simulacra dev`\n")
    _table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
