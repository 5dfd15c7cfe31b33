"""Every metric the worker process exports from its activities (`simulacra_worker_*`).

Recorded in the worker's main process around each engine run: the engine processes of the pool are
separate processes whose counters nobody would scrape. Jobs started and finished are counted where a
job's status changes, in its workflow (workflows/job_metrics.py), and served by the same listener.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from prometheus_client import Counter, Gauge, Histogram
from temporalio.exceptions import ApplicationError

from simulacra.activities.isolation import MEMORY_EXCEEDED, EngineProcessDied

STAGES = ("clean", "discover", "fit", "generate", "combine", "estimate")

STAGE_DURATION = Histogram(
    "simulacra_worker_stage_duration_seconds",
    "Engine stage runs (one activity attempt in an engine process), by stage and outcome.",
    ["stage", "outcome"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0),
)
ROWS_GENERATED = Counter("simulacra_worker_rows_generated_total", "Synthetic rows written by generations.")
ENGINE_PROCESSES = Gauge("simulacra_worker_engine_processes", "Engine processes in this worker's pool.")
ENGINE_BUSY = Gauge("simulacra_worker_engine_processes_busy", "Engine processes running a stage right now.")
MEMORY_REFUSALS = Counter(
    "simulacra_worker_memory_refusals_total",
    f"Stages refused because the table needs more than the engine's memory limit ({MEMORY_EXCEEDED}).",
    ["stage"],
)
ENGINE_DEATHS = Counter(
    "simulacra_worker_engine_process_deaths_total",
    "Engine processes that died mid-stage (killed, out of memory); the attempt is retried on a fresh pool.",
)
for _stage in STAGES:
    MEMORY_REFUSALS.labels(_stage)


class EngineMeter:
    """Measures engine stage runs on one pool: duration and outcome, busy processes, refusals and deaths."""

    def __init__(self, processes: int) -> None:
        self._processes = processes
        self._in_flight = 0
        ENGINE_PROCESSES.set(processes)

    def _count_in_flight(self, change: int) -> None:
        self._in_flight += change
        # More activities may wait for the pool than it has processes: those queue, they do not run.
        ENGINE_BUSY.set(min(self._in_flight, self._processes))

    @contextlib.contextmanager
    def stage(self, stage: str) -> Iterator[None]:
        """Time the block as one run of `stage`. Outcome `ok`; `refused` for input the engine turned down (an
        ApplicationError with a simio_* code, such as a table over the memory limit); `error` for anything
        else: a lost engine process or I/O, which Temporal retries, or an engine fault, which fails the job."""
        self._count_in_flight(+1)
        started, outcome = time.perf_counter(), "error"
        try:
            yield
            outcome = "ok"
        except ApplicationError as exc:
            if (exc.type or "").startswith("simio_"):
                outcome = "refused"
            if exc.type == MEMORY_EXCEEDED:
                MEMORY_REFUSALS.labels(stage).inc()
            raise
        except EngineProcessDied:
            ENGINE_DEATHS.inc()
            raise
        finally:
            self._count_in_flight(-1)
            STAGE_DURATION.labels(stage, outcome).observe(time.perf_counter() - started)
