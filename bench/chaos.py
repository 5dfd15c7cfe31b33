"""The long chaos run: a real `simulacra dev` whose children are SIGKILLed while jobs run.

    .venv/bin/python bench/chaos.py [--jobs 20] [--wave 4] [--seed 7] [--rows 50000] [--budget 1800]

Phases, each after an undisturbed baseline wave: `--jobs` uploads in waves of `--wave`, the worker
SIGKILLed once per wave at a seeded random moment; the same for generations; the embedded Temporal
SIGKILLed mid-wave; the API SIGKILLed mid-upload (a slow streaming upload) and while it holds an
Idempotency-Key, each retried with the same key. Then it checks what issue 10 asks: every job
finished, no duplicate datasets or artifacts, no storage leftovers, each generation billed once,
and no process of the stack left after Ctrl-C. Kills are paced under the supervisor's crash-loop
limit. Prints a table; exits 1 if a check failed. `--budget` bounds the run in seconds: no new wave
starts after it, and unfinished jobs count as not recovered.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402

from simulacra.infra.control_tables import usage as ledger_table  # noqa: E402
from simulacra.infra.controldb import ControlDB  # noqa: E402
from simulacra.infra.storage import PARTIAL_SUFFIX  # noqa: E402
from simulacra.infra.supervisor import CRASH_LOOP_RESTARTS, CRASH_LOOP_SECONDS  # noqa: E402
from tests.dev_stack import (  # noqa: E402
    API,
    TEMPORAL,
    WORKER,
    Tenant,
    api_answers,
    child_of,
    dev_ports,
    in_flight_keys,
    kill_child,
    post_slow_upload,
    restarted,
    stack_processes,
    stage_partials,
    start_dev,
    stop_dev,
    storage_leftovers,
    tenant,
    wait_for_banner,
)
from tests.stack import TERMINAL, poll_until  # noqa: E402

SEED = (REPO / "examples" / "tracker_q3.csv").read_bytes()
JOB_TIMEOUT = 600.0


@dataclass
class Job:
    job_id: str
    resource_id: str
    kind: str
    accepted_at: float
    finished_at: float | None = None
    status: str = "queued"
    rows_generated: int = 0


@dataclass
class Phase:
    name: str
    jobs: list[Job] = field(default_factory=list)
    kills: int = 0
    hit: set[str] = field(default_factory=set)  # jobs running when a kill landed
    recoveries: list[float] = field(default_factory=list)  # per kill: until the last job it hit finished
    baseline: float | None = None  # seconds an undisturbed wave took


class Chaos:
    def __init__(self, dev: int, data_dir: Path, client: Tenant, rng: random.Random, deadline: float) -> None:
        self.dev, self.data_dir, self.client, self.rng, self.deadline = dev, data_dir, client, rng, deadline
        self.kill_times: dict[str, list[float]] = {}
        self.expected_staged = 0  # uploads whose API died holding them: the retention sweep's to remove

    def kill(self, marker: str) -> int:
        """SIGKILL a child, first waiting if more kills would look like a crash loop to the supervisor."""
        times = self.kill_times.setdefault(marker, [])
        while len([t for t in times if time.monotonic() - t < CRASH_LOOP_SECONDS]) >= CRASH_LOOP_RESTARTS - 1:
            time.sleep(1)
        pid = kill_child(self.dev, marker)
        times.append(time.monotonic())
        restarted(self.dev, marker, pid, timeout=120)
        return pid

    def submit(self, kind: str, dataset_id: str, rows: int) -> Job:
        answer = poll_until(
            lambda: self.client.upload(SEED) if kind == "upload" else self.client.generate(dataset_id, rows),
            lambda response: response.status_code != 503,
            timeout=60,
        )
        assert answer.status_code == 202, answer.text
        body = answer.json()
        return Job(body["job_id"], body.get("generation_id") or body["dataset_id"], kind, time.monotonic())

    def settle(self, jobs: list[Job]) -> None:
        """Poll until every job is terminal (or the job timeout passed)."""
        limit = time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < limit and any(job.finished_at is None for job in jobs):
            self.refresh(jobs)
            time.sleep(0.3)

    def started(self, jobs: list[Job]) -> bool:
        self.refresh(jobs)
        return any(job.status != "queued" for job in jobs)

    def refresh(self, jobs: list[Job]) -> None:
        for job in jobs:
            if job.finished_at is not None:
                continue
            state = self.client.job(job.job_id)
            if state is None:
                continue
            job.status = state["status"]
            if job.status in TERMINAL:
                job.finished_at = time.monotonic()
                job.rows_generated = state.get("rows_generated") or 0

    def wave(
        self, phase: Phase, kind: str, size: int, dataset_id: str, rows: int, kill: str | None, window: float
    ) -> None:
        jobs = [self.submit(kind, dataset_id, rows) for _ in range(size)]
        phase.jobs += jobs
        hit: list[Job] = []
        killed_at = 0.0
        if kill is not None:
            # A seeded random point while the wave runs: after its first job started, within the time an
            # undisturbed wave takes.
            poll_until(lambda: self.started(jobs), bool)
            time.sleep(self.rng.uniform(0.0, 0.7 * window))
            self.refresh(jobs)
            hit = [job for job in jobs if job.status == "running"]
            killed_at = time.monotonic()
            self.kill(kill)
            phase.kills += 1
            phase.hit.update(job.job_id for job in hit)
        self.settle(jobs)
        finished = [job.finished_at for job in hit if job.finished_at is not None]
        if hit and len(finished) == len(hit):
            phase.recoveries.append(max(finished) - killed_at)

    def run_kind(self, name: str, kind: str, total: int, size: int, dataset_id: str, rows: int, kill: str) -> Phase:
        phase = Phase(name)
        started = time.monotonic()
        self.wave(phase, kind, size, dataset_id, rows, None, 0)  # undisturbed: how long a wave takes
        window = phase.baseline = time.monotonic() - started
        while len(phase.jobs) < total and time.monotonic() < self.deadline:
            self.wave(phase, kind, min(size, total - len(phase.jobs)), dataset_id, rows, kill, window)
        return phase

    def api_kills(self) -> Phase:
        """The API dies mid-upload, and again while holding a key; each upload is retried with its key."""
        phase = Phase("API SIGKILL, retry same key")
        for holding_key in (False, True):
            key = uuid.uuid4().hex
            temporal = child_of(self.dev, TEMPORAL)
            if holding_key and temporal is not None:
                os.kill(temporal, signal.SIGSTOP)  # the job start hangs, so the request holds its key
            sender = threading.Thread(
                target=post_slow_upload, args=(self.client, SEED, key, 32_768, 0 if holding_key else 0.25)
            )
            sender.start()
            if holding_key:
                poll_until(lambda: in_flight_keys(self.data_dir), lambda keys: key in keys, timeout=60)  # noqa: B023
            else:
                poll_until(lambda: stage_partials(self.data_dir), bool, timeout=60)
            killed_at = time.monotonic()
            try:
                self.kill_api_only()
            finally:
                if holding_key and temporal is not None:
                    os.kill(temporal, signal.SIGCONT)
            sender.join(timeout=120)
            self.expected_staged += 1
            answer = poll_until(
                lambda: self.client.upload(SEED, key) if api_answers(self.client.base) else None,  # noqa: B023
                lambda response: response is not None and response.status_code not in (409, 503),
                timeout=120,
            )
            assert answer.status_code == 202, answer.text
            job = Job(answer.json()["job_id"], answer.json()["dataset_id"], "upload", killed_at)
            phase.kills += 1
            phase.hit.add(job.job_id)
            phase.jobs.append(job)
            self.settle([job])
            if job.finished_at is not None:
                phase.recoveries.append(job.finished_at - killed_at)
        return phase

    def kill_api_only(self) -> None:
        # The kill itself must not wait for the restart: the sender is still attached to the dead API.
        times = self.kill_times.setdefault(API, [])
        kill_child(self.dev, API)
        times.append(time.monotonic())


def _duplicates(data_dir: Path, phases: list[Phase], client: Tenant) -> list[str]:
    """Datasets or generations stored or listed beyond those accepted, and generations with other than one artifact."""
    storage = data_dir / "storage" / "tenants"
    accepted = {job.resource_id for phase in phases for job in phase.jobs}
    stored = {path.name for path in storage.glob("*/datasets/*")} | {
        path.name for path in storage.glob("*/generations/*")
    }
    listed, cursor = set(), ""
    while True:
        page = client.get(f"/v1/datasets?limit=100{cursor}").json()
        listed |= {dataset["dataset_id"] for dataset in page["data"]}
        if not page.get("next_cursor"):
            break
        cursor = f"&cursor={page['next_cursor']}"
    extra = sorted((stored | listed) - accepted)
    for generation in storage.glob("*/generations/*"):
        artifacts = [
            path.name
            for path in generation.iterdir()
            if path.name.startswith("rows.") and not path.name.endswith(PARTIAL_SUFFIX)
        ]
        if len(artifacts) != 1:
            extra.append(f"{generation.name}: {artifacts}")
    return extra


def _double_billing(data_dir: Path, phases: list[Phase], client: Tenant) -> list[str]:
    """Generations whose ledger entry is missing, repeated or differs from the rows made; and the usage total."""
    generations = [job for phase in phases for job in phase.jobs if job.kind == "generation"]
    with ControlDB(data_dir / "control.sqlite3").connect() as conn:
        c = ledger_table.c
        ledger = conn.execute(select(c.generation_id, c.rows_generated, c.state)).all()
    problems = []
    for job in generations:
        entries = [entry for entry in ledger if entry[0] == job.resource_id]
        if len(entries) != 1 or entries[0][1] != job.rows_generated or entries[0][2] != "settled":
            problems.append(f"{job.resource_id}: ledger {entries}, made {job.rows_generated}")
    usage = client.get("/v1/usage").json()
    made = sum(job.rows_generated for job in generations)
    if usage["rows_generated"] != made or usage["rows_reserved"] != 0:
        problems.append(f"GET /v1/usage: {usage['rows_generated']} billed, {usage['rows_reserved']} held; {made} made")
    return problems


def _orphans(data_dir: Path, grace: float = 30) -> list[str]:
    """Processes of the stack still alive `grace` seconds after it stopped (dying ones get that long)."""
    limit = time.monotonic() + grace
    while (left := stack_processes(data_dir)) and time.monotonic() < limit:
        time.sleep(0.5)
    return left


def _table(phases: list[Phase]) -> None:
    print(
        "| phase | jobs | kills | jobs hit | recovered | median recovery (s) | max recovery (s) | finished ok "
        "| undisturbed wave (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for phase in phases:
        ok = sum(job.status == "ready" for job in phase.jobs)
        recovered = sum(job.status == "ready" for job in phase.jobs if job.job_id in phase.hit)
        median = f"{statistics.median(phase.recoveries):.1f}" if phase.recoveries else "-"
        worst = f"{max(phase.recoveries):.1f}" if phase.recoveries else "-"
        print(
            f"| {phase.name} | {len(phase.jobs)} | {phase.kills} | {len(phase.hit)} | {recovered} | {median} | {worst} "
            f"| {ok}/{len(phase.jobs)} | {f'{phase.baseline:.1f}' if phase.baseline else '-'} |",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=20, help="jobs of each kind (uploads, generations)")
    parser.add_argument("--wave", type=int, default=4, help="jobs submitted together; one worker kill per wave")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rows", type=int, default=50_000, help="rows per generation")
    parser.add_argument("--budget", type=float, default=1800, help="seconds after which no new wave starts")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="simulacra-chaos-") as tmp:
        data_dir, tmp_dir, ports = Path(tmp) / "data", Path(tmp) / "tmp", dev_ports()
        dev = start_dev(data_dir, ports, Path(tmp) / "dev.log", tmp_dir)
        try:
            wait_for_banner(dev)
            client = tenant(f"http://127.0.0.1:{ports['port']}", data_dir, "chaos")
            chaos = Chaos(dev.pid, data_dir, client, rng, started + args.budget)
            phases = [chaos.run_kind("worker SIGKILL, uploads", "upload", args.jobs, args.wave, "", 0, WORKER)]
            dataset_id = phases[0].jobs[0].resource_id
            phases.append(
                chaos.run_kind(
                    "worker SIGKILL, generations", "generation", args.jobs, args.wave, dataset_id, args.rows, WORKER
                )
            )
            temporal = Phase("Temporal SIGKILL")
            chaos.wave(temporal, "upload", 2, "", 0, TEMPORAL, 3.0)
            chaos.wave(temporal, "generation", 2, dataset_id, args.rows, TEMPORAL, 1.0)
            phases.append(temporal)
            phases.append(chaos.api_kills())
            duplicates = _duplicates(data_dir, phases, client)
            billing = _double_billing(data_dir, phases, client)
        finally:
            code = stop_dev(dev)
        orphans = _orphans(data_dir)
        leftovers = storage_leftovers(data_dir, tmp_dir)  # once stopped: what a dead process left stays
        print(f"\nchaos run, seed {args.seed}, {time.monotonic() - started:.0f} s, simulacra dev exit code {code}\n")
        _table(phases)
        staged = [left for left in leftovers if "/staging/" in left]
        partials = [left for left in leftovers if left.endswith(PARTIAL_SUFFIX) and left not in staged]
        unexpected = [left for left in leftovers if left not in staged and left not in partials]
        print("\n| check | result |\n|---|---|")
        finished = all(job.status == "ready" for phase in phases for job in phase.jobs)
        print(f"| all jobs finished ready | {'yes' if finished else 'NO'} |")
        print(f"| duplicates (datasets, generations, artifacts) | {len(duplicates)} |")
        print(f"| double billing (ledger or GET /v1/usage off) | {len(billing)} |")
        print(
            f"| storage and temporary files left | {len(unexpected)} unexpected; {len(staged)} staged upload(s) of "
            f"requests whose API was killed ({chaos.expected_staged} expected; the sweep removes a half-written one "
            f"after an hour, a complete one after the longest retention); {len(partials)} half-written object(s) "
            "of killed workers (the sweep removes them after an hour) |"
        )
        print(f"| orphan processes after Ctrl-C | {len(orphans)} |")
        for line in [*duplicates, *billing, *unexpected, *partials, *orphans]:
            print(f"  {line}")
        failed = not finished or duplicates or billing or unexpected or orphans or code != 0
        failed = failed or len(staged) > chaos.expected_staged
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
